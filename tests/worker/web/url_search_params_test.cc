// URLSearchParams against the WHATWG URL Standard's application/x-www-form-urlencoded rules.
#include "tests/worker/web/js_test_fixture.h"

namespace wsup::test {
namespace {

using UrlSearchParamsTest = WebPlatformTest;

TEST_F(UrlSearchParamsTest, ParsesFormEncodingWithPlusAndPercent) {
  EXPECT_EQ(Eval("new URLSearchParams('?a=1&b=2&a=3').getAll('a').join(',')"), "1,3");
  EXPECT_EQ(Eval("const p = new URLSearchParams('x=a+b%20c&y=%zz&&z&=v&%C3%A9=%E2%82%AC');"
                 "[p.get('x'), p.get('y'), p.get('z'), p.get(''), p.get('\\u00e9'), p.size]"
                 ".join('|')"),
            "a b c|%zz||v|\u20AC|5");
  EXPECT_EQ(Eval("String(new URLSearchParams('a=1').get('missing'))"), "null");
}

TEST_F(UrlSearchParamsTest, SerializesWithTheFormPercentEncodeSet) {
  EXPECT_EQ(Eval("new URLSearchParams([['a b', 'c&d=e'], ['*-._', \"~!'()\"], ['\\u00e9', '+']])"
                 ".toString()"),
            "a+b=c%26d%3De&*-._=%7E%21%27%28%29&%C3%A9=%2B");
  EXPECT_EQ(Eval("new URLSearchParams({x: '1', y: 2}).toString()"), "x=1&y=2");
  EXPECT_EQ(Eval("try { new URLSearchParams([['a']]) } catch (e) { e.name }"), "TypeError");
}

TEST_F(UrlSearchParamsTest, MutatorsFollowTheSpec) {
  EXPECT_EQ(Eval(R"js(
    const p = new URLSearchParams('a=1&b=2&a=3');
    const out = [];
    p.set('a', 'x'); out.push(p.toString());
    p.append('b', '4'); p.delete('b', '2'); out.push(p.toString());
    out.push(p.has('b'), p.has('b', '2'), p.has('b', '4'));
    p.delete('b'); out.push(p.toString());
    const s = new URLSearchParams('z=1&a=2&z=0&a=1&\u00e9=0&B=0');
    s.sort(); out.push(s.toString());
    out.join('|'))js"),
            "a=x&b=2|a=x&b=4|true|false|true|a=x|B=0&a=2&a=1&z=1&z=0&%C3%A9=0");
}

TEST_F(UrlSearchParamsTest, IteratesPairsInOrder) {
  EXPECT_EQ(Eval(R"js(
    const p = new URLSearchParams('a=1&b=2');
    const out = [];
    for (const [k, v] of p) out.push(k + v);
    out.push([...p.keys()].join(''), [...p.values()].join(''));
    p.forEach((v, k, self) => out.push(k + '=' + v + (self === p)));
    out.push(URLSearchParams.prototype[Symbol.iterator] === URLSearchParams.prototype.entries);
    out.join('|'))js"),
            "a1|b2|ab|12|a=1true|b=2true|true");
}

}  // namespace
}  // namespace wsup::test
