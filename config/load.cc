// load()/parse(): YAML text -> ClusterConfig, collecting every diagnostic before throwing.
#include "config/load.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/sections.h"

namespace wsup::config {
namespace {

std::string join_lines(const std::vector<Diagnostic>& errors) {
  std::string text;
  for (const Diagnostic& error : errors) text += (text.empty() ? "" : "\n") + error.to_string();
  return text;
}

[[noreturn]] void fail(SourceLocation where, std::string message) {
  throw ConfigError({Diagnostic{std::move(where), "", std::move(message)}});
}

}  // namespace

std::string Diagnostic::to_string() const {
  std::string text = where.file;
  if (where.line > 0) text += ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
  if (!key_path.empty()) text += ": " + key_path;
  return text + ": " + message;
}

ConfigError::ConfigError(std::vector<Diagnostic> errors)
    : std::runtime_error(join_lines(errors)), errors_(std::move(errors)) {}

ClusterConfig parse(std::string_view yaml_text, const std::string& file_name_for_messages) {
  const std::string& file = file_name_for_messages;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& error) {
    // yaml-cpp stops at the first syntax error, so this one is all we can report.
    SourceLocation where{file, error.mark.line + 1, error.mark.column + 1};
    if (error.mark.is_null()) where = SourceLocation{file, 0, 0};
    fail(where, "YAML syntax error: " + error.msg);
  }
  if (root.IsNull())
    fail(SourceLocation{file, 0, 0}, "the file is empty: at least one script is required");

  std::error_code ignored;
  std::filesystem::path base_dir =
      std::filesystem::absolute(std::filesystem::path(file).parent_path(), ignored)
          .lexically_normal();
  ClusterConfig config;
  config.file = file;
  detail::DiagnosticList diagnostics(file);
  detail::read_cluster(detail::Field{{}, root, ""}, base_dir, config, diagnostics);
  detail::check_cluster(config, diagnostics);
  for (const Diagnostic& notice : diagnostics.take_notices())
    config.notices.push_back(notice.to_string());
  if (diagnostics.empty()) return config;

  std::vector<Diagnostic> errors = diagnostics.take();
  std::stable_sort(errors.begin(), errors.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
  });
  throw ConfigError(std::move(errors));
}

void require_secrets(const ClusterConfig& config) {
  std::vector<Diagnostic> errors;
  for (size_t i = 0; i < config.scripts.size(); ++i) {
    for (const auto& [binding, variable] : config.scripts[i].secrets) {
      if (std::getenv(variable.c_str()) == nullptr)
        errors.push_back(Diagnostic{config.scripts[i].where,
                                    "scripts[" + std::to_string(i) + "].secrets." + binding,
                                    "environment variable " + variable + " is not set"});
    }
  }
  if (!errors.empty()) throw ConfigError(std::move(errors));
}

ClusterConfig load(const std::string& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored))
    fail(SourceLocation{path, 0, 0}, "is a directory, not a config file");
  std::ifstream file(path, std::ios::binary);
  if (!file)
    fail(SourceLocation{path, 0, 0},
         std::string("cannot read the config file: ") + std::strerror(errno));
  std::ostringstream text;
  text << file.rdbuf();
  return parse(text.str(), path);
}

}  // namespace wsup::config
