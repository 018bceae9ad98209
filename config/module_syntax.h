// Whether a script's text is an ES module, without a JavaScript engine (the config is read by
// the supervisor, which never links V8).
#pragma once

#include <string_view>

namespace wsup::config {

// True when `source` holds an `import` or `export` declaration, or `import.meta`, anywhere in
// its code: a service worker (classic script) can have none of them, so their presence decides.
// A real scan of JavaScript's lexical grammar, not of lines: comments, string and template
// literals and regular expression literals are skipped, so a minified bundle ending in
// `;export{a as default};` is a module and the text "export " inside a string is not.
// `import(` (dynamic import, legal in both) and property names (`x.export`, `{import: 1}`,
// `export() {}` methods) do not count. Regular expressions are told from division by the token
// before the '/', as JavaScript tools do; in the rare text where that guess is wrong, a
// script's `type:` in cluster.yaml settles it.
bool has_module_syntax(std::string_view source);

}  // namespace wsup::config
