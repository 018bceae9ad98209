// A temporary folder holding script files, so configs under test can name real files; removed
// when the test ends.
#pragma once

#include <string>

#include "tests/support/temp_dir.h"

namespace wsup::config::testing {

class ScriptDir {
 public:
  ScriptDir() {
    write("a.js", "addEventListener('fetch', (e) => e.respondWith(new Response('a')));\n");
    write("b.js", "addEventListener('fetch', (e) => e.respondWith(new Response('b')));\n");
    write("m.mjs", "export default { fetch() { return new Response('m'); } };\n");
    write("exports.js",
          "// a module despite its extension\nexport default {\n  fetch() { return new "
          "Response('x'); },\n};\n");
  }

  void write(const std::string& name, const std::string& text) const { dir_.write(name, text); }
  std::string file(const std::string& name) const { return (dir_.path() / name).string(); }

 private:
  ::wsup::testing::TempDir dir_;
};

}  // namespace wsup::config::testing
