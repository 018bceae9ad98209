// A temporary folder holding script files, so configs under test can name real files; removed
// when the test ends.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace wsup::config::testing {

class ScriptDir {
 public:
  ScriptDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "wsup-config-test-XXXXXX").string();
    if (!mkdtemp(pattern.data())) std::abort();
    path_ = pattern;
    write("a.js", "addEventListener('fetch', (e) => e.respondWith(new Response('a')));\n");
    write("b.js", "addEventListener('fetch', (e) => e.respondWith(new Response('b')));\n");
    write("m.mjs", "export default { fetch() { return new Response('m'); } };\n");
    write("exports.js",
          "// a module despite its extension\nexport default {\n  fetch() { return new "
          "Response('x'); },\n};\n");
  }
  ~ScriptDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScriptDir(const ScriptDir&) = delete;
  ScriptDir& operator=(const ScriptDir&) = delete;

  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace wsup::config::testing
