// structuredClone against HTML's structured serialize/deserialize.
#include "tests/worker/web/js_test_fixture.h"

namespace wsup::test {
namespace {

using CloneTest = WebPlatformTest;

TEST_F(CloneTest, ClonesMapsDatesAndCycles) {
  EXPECT_EQ(Eval(R"js(
    const key = {k: 1};
    const a = {d: new Date(0), m: new Map([[key, {x: 2}]]), s: new Set([1, 'two']), list: [1, 2]};
    a.self = a;
    a.list.push(a);
    const b = structuredClone(a);
    const [[bKey, bValue]] = b.m;
    [b !== a, b.self === b, b.list[2] === b, b.d instanceof Date, b.d.getTime(), bKey !== key,
     bKey.k, bValue.x, b.s.has('two'), b.m !== a.m].join(','))js"),
            "true,true,true,true,0,true,1,2,true,true");
}

TEST_F(CloneTest, ClonesBuffersRegExpsErrorsAndPrimitives) {
  EXPECT_EQ(Eval(R"js(
    const u = new Uint8Array([1, 2, 3]);
    const c = structuredClone(u);
    u[0] = 9;
    const e = structuredClone(new RangeError('bad'));
    const r = structuredClone(/a+b/gi);
    [c[0], c.length, c.buffer !== u.buffer, e instanceof RangeError, e.message, r.source, r.flags,
     structuredClone(10n) === 10n, structuredClone(null), structuredClone('s')].join(','))js"),
            "1,3,true,true,bad,a+b,gi,true,,s");
}

TEST_F(CloneTest, UncloneableValuesThrowDataCloneError) {
  for (const char* value : {"() => 1", "{f() {}}", "Symbol('s')", "{nested: [new WeakMap()]}"}) {
    EXPECT_EQ(Eval(std::string("try { structuredClone(") + value +
                   "); 'cloned' } catch (e) { (e instanceof DOMException) + e.name + e.code }"),
              "trueDataCloneError25")
        << value;
  }
  // An exception thrown by a getter during serialization propagates unchanged.
  EXPECT_EQ(Eval("try { structuredClone({get x() { throw new URIError('mine'); }}) } catch (e) {"
                 " e.constructor.name + e.message }"),
            "URIErrormine");
  EXPECT_EQ(Eval("try { structuredClone() } catch (e) { e.name }"), "TypeError");
}

}  // namespace
}  // namespace wsup::test
