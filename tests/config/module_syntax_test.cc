// config::has_module_syntax: module detection by a scan of JavaScript's lexical grammar.
#include "config/module_syntax.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wsup::config {
namespace {

struct SyntaxCase {
  const char* name;
  const char* source;
  bool module;
};

const std::vector<SyntaxCase> kCases = {
    {"MinifiedBundleEndingInExportBraces",
     "var a={fetch(){return new Response(\"x\")}};export{a as default};", true},
    {"ExportDefaultOnItsOwnLine", "export default {\n  fetch() {}\n};\n", true},
    {"IndentedImport", "  import {x} from './x.js';\nexport default x;", true},
    {"ImportWithoutSpace", "import{a}from\"./a.js\";", true},
    {"SideEffectImport", "import\"./polyfill.js\";addEventListener('fetch',()=>{});", true},
    {"ImportMeta", "const here = import.meta.url;", true},
    {"ExportStarAfterAComment", "/* banner */export*from'./x.js'", true},
    {"ExportAfterATemplateWithASubstitution", "const t = `a${ {b: `c`}.b }`;export{t};", true},
    {"ExportAfterARegexpHoldingAQuote", "const r=/[\"']/g;export default r;", true},
    {"ServiceWorker", "addEventListener('fetch', (e) => e.respondWith(new Response('x')));", false},
    {"DynamicImportOnly", "addEventListener('fetch', async (e) => { await import('./x.js'); });",
     false},
    {"KeywordsInStringsAndComments",
     "// export default\n/* import x from 'y' */\nconst s = 'export{a}'; const d = \"import x\";"
     "const t = `\nexport default 1`;",
     false},
    {"KeywordsAsPropertyNames",
     "const o = {export: 1, import: 2}; o.export; o?.import; class C { export() {} import() {}"
     " export = 3; }",
     false},
    {"KeywordsInsideARegexp", "const r = /export default|import\\/x/; const q = a / b / c;", false},
    {"DivisionIsNotARegexp", "const x = (a) / 2; const y = z[0] / 3 /* export */;", false},
    {"EscapedQuoteAndLineContinuation", "const s = 'it\\'s \\\nexport'; f();", false},
    {"TemplateWithNestedBraces", "const t = `${ {a: {b: '}'}}.a.b }export{x}`;", false},
    // The documented limit: a '/' after '}' is taken for a regular expression, as after a block;
    // here it is a division and the "regexp" hides a real export (cluster.yaml's type: fixes it).
    {"DivisionAfterAnObjectLiteralIsTakenForARegexp", "const h = {} / 2; export default h; 1 / 3;",
     false},
};

class HasModuleSyntax : public ::testing::TestWithParam<SyntaxCase> {};

TEST_P(HasModuleSyntax, DecidesAsAJavaScriptParserWould) {
  EXPECT_EQ(has_module_syntax(GetParam().source), GetParam().module) << GetParam().source;
}

INSTANTIATE_TEST_SUITE_P(Sources, HasModuleSyntax, ::testing::ValuesIn(kCases),
                         [](const auto& param) { return std::string(param.param.name); });

}  // namespace
}  // namespace wsup::config
