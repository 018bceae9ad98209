#include "config/wrangler_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/load.h"

namespace wsup::config {

const WranglerNode* WranglerNode::member(std::string_view key) const {
  for (const auto& [name, value] : members)
    if (name == key) return &value;
  return nullptr;
}

WranglerNode read_wrangler_file(const std::string& path) {
  auto fail = [&](std::string message) {
    throw ConfigError({Diagnostic{SourceLocation{path, 0, 0}, "", std::move(message)}});
  };
  const std::string extension = std::filesystem::path(path).extension().string();
  if (extension != ".toml" && extension != ".json" && extension != ".jsonc")
    fail("a wrangler configuration is a .toml, .json or .jsonc file");
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) fail("is a directory, not a wrangler file");
  std::ifstream file(path, std::ios::binary);
  if (!file) fail(std::string("cannot read the wrangler file: ") + std::strerror(errno));
  std::ostringstream text;
  text << file.rdbuf();
  return extension == ".toml" ? parse_wrangler_toml(text.str(), path)
                              : parse_wrangler_jsonc(text.str(), path);
}

}  // namespace wsup::config
