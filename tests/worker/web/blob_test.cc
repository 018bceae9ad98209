// Blob and File (WPT FileAPI/blob/{Blob-constructor,Blob-slice,Blob-text,Blob-array-buffer,
// Blob-bytes,Blob-stream}.any.js, FileAPI/file/File-constructor.any.js) and FormData (WPT
// xhr/formdata/{append,delete,get,has,set,iteration,constructor}.any.js).
#include <string>
#include <vector>

#include "tests/worker/web/js_test_fixture.h"

namespace wsup::test {
namespace {

struct BlobCase {
  const char* name;
  const char* script;
  const char* expected;
};

const std::vector<BlobCase> kCases = {
    // Blob-constructor.any.js
    {"EmptyBlob", "[new Blob().size, new Blob().type, new Blob([]).size].join()", "0,,0"},
    {"PartsOfEveryKindConcatenate",
     "new Blob(['a', new Uint8Array([98]), new Uint16Array([0x6463]).buffer,"
     " new Blob(['e']), new DataView(new Uint8Array([102]).buffer)]).text()",
     "abcdef"},
    {"StringsAreUtf8AndLoneSurrogatesAreReplaced",
     "new Blob(['\\u00e9\\ud800']).bytes().then((b) => Array.from(b).join())",
     "195,169,239,191,189"},
    {"OtherValuesAreStringified", "new Blob([12, null, {}]).text()", "12null[object Object]"},
    {"ANonIterableIsATypeError", "(() => { try { new Blob({}); } catch (e) { return e.name; } })()",
     "TypeError"},
    {"TypeIsLowerCasedOrEmptiedWhenNotPrintableAscii",
     "[new Blob([], {type: 'Text/HTML'}).type, new Blob([], {type: 'a\\u00e9'}).type,"
     " JSON.stringify(new Blob([], {type: 'a\\tb'}).type)].join()",
     "text/html,,\"\""},
    {"NativeEndingsBecomeLf",
     "new Blob(['a\\r\\nb\\rc'], {endings: 'native'}).text().then(JSON.stringify)",
     "\"a\\nb\\nc\""},
    {"BadEndingsIsATypeError",
     "(() => { try { new Blob([], {endings: 'nope'}); } catch (e) { return e.name; } })()",
     "TypeError"},
    {"PartsAreCopiedAtConstruction",
     "(() => { const bytes = new Uint8Array([1]); const blob = new Blob([bytes]); bytes[0] = 2;"
     " return blob.bytes().then((b) => b[0]); })()",
     "1"},
    // Blob-slice.any.js
    {"SliceIsRelativeAndClamped",
     "Promise.all([new Blob(['abcdef']).slice(2).text(), new Blob(['abcdef']).slice(-2).text(),"
     " new Blob(['abcdef']).slice(1, -1).text(), new Blob(['abcdef']).slice(4, 2).text(),"
     " new Blob(['abcdef']).slice(-100, 100).text()]).then((r) => r.join('|'))",
     "cdef|ef|bcde||abcdef"},
    {"SliceTakesAContentType",
     "[new Blob(['x'], {type: 'a/b'}).slice(0, 1).type, new Blob(['x']).slice(0, 1, 'C/D').type]"
     ".join()",
     ",c/d"},
    // Blob-text/array-buffer/bytes/stream.any.js
    {"TextDropsABom", "new Blob([new Uint8Array([0xEF, 0xBB, 0xBF, 0x61])]).text()", "a"},
    {"ArrayBufferAndBytesAreCopies",
     "(async () => { const blob = new Blob(['ab']); const a = await blob.arrayBuffer();"
     " const b = await blob.bytes(); new Uint8Array(a)[0] = 0; b[1] = 0;"
     " return [a instanceof ArrayBuffer, b instanceof Uint8Array, await blob.text()].join(); })()",
     "true,true,ab"},
    {"StreamYieldsTheBytes",
     "(async () => { const r = new Blob(['hi']).stream().getReader(); const x = await r.read();"
     " const y = await r.read(); return [Array.from(x.value).join(), y.done].join('/'); })()",
     "104,105/true"},
    {"ToStringTags",
     "[new Blob(), new File([], 'f'), new FormData()].map((x) =>"
     " Object.prototype.toString.call(x)).join()",
     "[object Blob],[object File],[object FormData]"},
    // File-constructor.any.js
    {"FileHasANameAndLastModified",
     "(() => { const f = new File(['ab'], 'a/b.txt', {type: 'text/plain', lastModified: 42});"
     " return [f.name, f.lastModified, f.size, f.type, f instanceof Blob].join(); })()",
     "a/b.txt,42,2,text/plain,true"},
    {"FileLastModifiedDefaultsToNow",
     "(() => { const before = Date.now(); const f = new File([], 'x');"
     " return f.lastModified >= before && f.lastModified <= Date.now(); })()",
     "true"},
    {"FileNeedsTwoArguments", "(() => { try { new File([]); } catch (e) { return e.name; } })()",
     "TypeError"},
    // xhr/formdata
    {"AppendGetGetAllHas",
     "(() => { const f = new FormData(); f.append('a', '1'); f.append('a', '2');"
     " f.append('b', '3'); return [f.get('a'), f.getAll('a').join('+'), f.has('b'), f.has('c'),"
     " f.get('c')].join(); })()",
     "1,1+2,true,false,"},
    {"SetReplacesTheFirstAndRemovesTheRest",
     "(() => { const f = new FormData(); f.append('a', '1'); f.append('b', 'x');"
     " f.append('a', '2'); f.set('a', '3'); return JSON.stringify([...f]); })()",
     "[[\"a\",\"3\"],[\"b\",\"x\"]]"},
    {"DeleteRemovesEveryEntryOfTheName",
     "(() => { const f = new FormData(); f.append('a', '1'); f.append('b', '2');"
     " f.append('a', '3'); f.delete('a'); return JSON.stringify([...f.keys()]); })()",
     "[\"b\"]"},
    {"BlobValuesBecomeFilesNamedBlob",
     "(() => { const f = new FormData(); f.append('b', new Blob(['x'], {type: 'a/b'}));"
     " f.append('c', new Blob(['y']), 'c.txt'); const b = f.get('b'); const c = f.get('c');"
     " return [b instanceof File, b.name, b.type, c.name].join(); })()",
     "true,blob,a/b,c.txt"},
    {"AFileKeepsItsNameUnlessAFilenameIsGiven",
     "(() => { const f = new FormData(); const file = new File(['x'], 'orig.txt');"
     " f.append('a', file); f.append('b', file, 'new.txt');"
     " return [f.get('a').name, f.get('b').name].join(); })()",
     "orig.txt,new.txt"},
    {"AFilenameWithANonBlobValueIsATypeError",
     "(() => { try { new FormData().append('a', 'x', 'f.txt'); } catch (e) { return e.name; }"
     " })()",
     "TypeError"},
    {"ValuesAreUsvStrings",
     "(() => { const f = new FormData(); f.append('a\\ud800', 5); return JSON.stringify([...f]);"
     " })()",
     "[[\"a\xEF\xBF\xBD\",\"5\"]]"},
    {"IterationIsLive",
     "(() => { const f = new FormData(); f.append('a', '1'); const seen = [];"
     " for (const [name] of f) { seen.push(name); if (seen.length === 1) f.append('b', '2'); }"
     " return seen.join(); })()",
     "a,b"},
    {"ForEachPassesValueNameAndTheForm",
     "(() => { const f = new FormData(); f.append('a', '1'); let out;"
     " f.forEach(function (v, n, form) { out = [v, n, form === f, this.x].join(); }, {x: 'y'});"
     " return out; })()",
     "1,a,true,y"},
    {"AFormArgumentIsATypeError",
     "(() => { try { new FormData({}); } catch (e) { return e.name; } })()", "TypeError"},
    {"MissingArgumentsAreTypeErrors",
     "['append', 'set', 'get', 'has', 'delete', 'getAll'].map((m) => { try {"
     " new FormData()[m](); } catch (e) { return e.name; } }).join()",
     "TypeError,TypeError,TypeError,TypeError,TypeError,TypeError"},
};

class BlobAndFormData : public WebPlatformTest, public ::testing::WithParamInterface<BlobCase> {};

TEST_P(BlobAndFormData, BehaveAsTheWptExpects) {
  EXPECT_EQ(EvalAsync(GetParam().script), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Wpt, BlobAndFormData, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<BlobCase>& param) {
                           return std::string(param.param.name);
                         });

}  // namespace
}  // namespace wsup::test
