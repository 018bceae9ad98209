// Internal to config/: reading typed values out of yaml-cpp nodes while collecting every problem
// as a Diagnostic instead of stopping at the first.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/load.h"

namespace wsup::config::detail {

// A map entry as the readers see it: the key's node (for locations of missing/null values), the
// value, and the dotted key path used in messages.
struct Field {
  YAML::Node key;
  YAML::Node value;
  std::string path;
};

class DiagnosticList {
 public:
  explicit DiagnosticList(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  SourceLocation location(const YAML::Node& node) const;
  // A null value ("key:" with nothing after it) has no useful mark of its own: use the key's.
  SourceLocation location(const Field& field) const;

  void add(SourceLocation where, std::string key_path, std::string message);
  void add(const Field& field, std::string message) {
    add(location(field), field.path, std::move(message));
  }

  // Not an error: something the config says that wsup ignores (ClusterConfig::notices).
  void notice(SourceLocation where, std::string key_path, std::string message) {
    notices_.push_back(Diagnostic{std::move(where), std::move(key_path), std::move(message)});
  }

  bool empty() const { return list_.empty(); }
  std::vector<Diagnostic> take() { return std::move(list_); }
  std::vector<Diagnostic> take_notices() { return std::move(notices_); }

 private:
  std::string file_;
  std::vector<Diagnostic> list_;
  std::vector<Diagnostic> notices_;
};

std::string join_path(std::string_view parent, std::string_view key);
std::string index_path(std::string_view parent, size_t index);

// "a list", "a mapping", "nothing", "\"abc\"": how a wrong value is named in messages.
std::string describe(const YAML::Node& node);

// Walks a mapping: reports duplicate keys and keys not in `known` (with a "did you mean"), and
// calls `on_field` for each known key once. Reports and returns false when `field` is not a
// mapping.
// `elsewhere` may say where an unknown key belongs ("cpu_ms" at the top -> "limits.cpu_ms").
bool for_each_field(const Field& field, std::initializer_list<std::string_view> known,
                    DiagnosticList& diagnostics, const std::function<void(const Field&)>& on_field,
                    std::string_view (*elsewhere)(std::string_view key) = nullptr);

// A value that may be one item or a list of items ("routes: /*" or "routes: [/a, /b]"): calls
// `on_item` for each, a list item with its index in the key path. Returns how many there were.
size_t for_each_item(const Field& field, const std::function<void(const Field&)>& on_item);

// The closest candidate within a small edit distance, or "" when nothing is close.
std::string closest(std::string_view word, std::initializer_list<std::string_view> candidates);

// Typed readers: each reports its own error and returns nullopt on failure.
std::optional<std::string> read_string(const Field& field, DiagnosticList& diagnostics);
std::optional<bool> read_bool(const Field& field, DiagnosticList& diagnostics);
std::optional<uint64_t> read_integer(const Field& field, uint64_t min, uint64_t max,
                                     DiagnosticList& diagnostics);
std::optional<uint64_t> read_size(const Field& field, uint64_t min, uint64_t max,
                                  DiagnosticList& diagnostics);
std::optional<uint64_t> read_duration_ms(const Field& field, bool bare_number_is_ms, uint64_t min,
                                         uint64_t max, DiagnosticList& diagnostics);
// One of `choices`, returned as its index.
std::optional<size_t> read_choice(const Field& field,
                                  std::initializer_list<std::string_view> choices,
                                  DiagnosticList& diagnostics);

// The node as JSON text: plain scalars that look like YAML 1.2 core ints/floats/bools/null keep
// their type, every other scalar becomes a JSON string; mappings and lists recurse.
std::string to_json(const YAML::Node& node);
// `text` as a JSON string literal.
std::string to_json_string(std::string_view text);

}  // namespace wsup::config::detail
