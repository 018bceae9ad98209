#include "config/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <regex>
#include <set>

#include "config/values.h"
#include "shared/json_escape.h"

namespace wsup::config::detail {
namespace {

std::string range_message(std::string_view written, uint64_t min, uint64_t max,
                          std::string_view unit = "") {
  std::string got = std::string(written) + std::string(unit);
  if (max == UINT64_MAX)
    return "must be at least " + std::to_string(min) + std::string(unit) + ", got " + got;
  return "must be between " + std::to_string(min) + " and " + std::to_string(max) +
         std::string(unit) + ", got " + got;
}

// The scalar's text, or a "must be ..." report naming what it got instead.
std::optional<std::string> scalar_text(const Field& field, std::string_view expected,
                                       DiagnosticList& diagnostics) {
  if (!field.value.IsScalar()) {
    diagnostics.add(field, "must be " + std::string(expected) + ", got " + describe(field.value));
    return std::nullopt;
  }
  return field.value.Scalar();
}

bool is_plain(const YAML::Node& node) {
  return node.Tag() == "?";
}

std::string json_string(std::string_view text) {
  return "\"" + json_escape(text) + "\"";
}

// A plain YAML 1.2 core-schema scalar as a JSON literal, or nullopt when it is a string.
std::optional<std::string> plain_scalar_json(const std::string& text) {
  static const std::regex kNull("~|null|Null|NULL|");
  static const std::regex kBool("true|True|TRUE|false|False|FALSE");
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kHexOrOctal("0x[0-9a-fA-F]+|0o[0-7]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (std::regex_match(text, kNull)) return "null";
  if (std::regex_match(text, kBool)) return text[0] == 't' || text[0] == 'T' ? "true" : "false";
  if (std::regex_match(text, kInt) || std::regex_match(text, kHexOrOctal) ||
      std::regex_match(text, kFloat)) {
    bool hex = text.size() > 2 && text[1] == 'x', octal = text.size() > 2 && text[1] == 'o';
    double value = hex || octal
                       ? static_cast<double>(std::strtoull(text.c_str() + 2, nullptr, hex ? 16 : 8))
                       : std::strtod(text.c_str(), nullptr);
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
  }
  return std::nullopt;
}

}  // namespace

SourceLocation DiagnosticList::location(const YAML::Node& node) const {
  YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0) return SourceLocation{file_, 0, 0};
  return SourceLocation{file_, mark.line + 1, mark.column + 1};
}

SourceLocation DiagnosticList::location(const Field& field) const {
  if (field.value.IsNull() && field.key.IsDefined() && !field.key.Mark().is_null())
    return location(field.key);
  return location(field.value);
}

void DiagnosticList::add(SourceLocation where, std::string key_path, std::string message) {
  list_.push_back(Diagnostic{std::move(where), std::move(key_path), std::move(message)});
}

std::string join_path(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
}

std::string index_path(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return "\"" + node.Scalar() + "\"";
    default:
      return "nothing";
  }
}

std::string closest(std::string_view word, std::initializer_list<std::string_view> candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (std::string_view candidate : candidates) {
    size_t distance = edit_distance(word, candidate);
    // "cpu" for "cpu_ms": a prefix is a likely typo even when the distance is large.
    if (word.size() >= 3 && candidate.substr(0, word.size()) == word)
      distance = std::min<size_t>(distance, 2);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  return best;
}

size_t for_each_item(const Field& field, const std::function<void(const Field&)>& on_item) {
  if (!field.value.IsSequence()) {
    on_item(field);
    return 1;
  }
  for (size_t i = 0; i < field.value.size(); ++i)
    on_item(Field{{}, field.value[i], index_path(field.path, i)});
  return field.value.size();
}

bool for_each_field(const Field& field, std::initializer_list<std::string_view> known,
                    DiagnosticList& diagnostics, const std::function<void(const Field&)>& on_field,
                    std::string_view (*elsewhere)(std::string_view key)) {
  if (!field.value.IsMap()) {
    diagnostics.add(field, "must be a mapping of keys, got " + describe(field.value));
    return false;
  }
  std::set<std::string> seen;
  for (auto entry : field.value) {
    Field child{entry.first, entry.second, ""};
    std::string key = entry.first.IsScalar() ? entry.first.Scalar() : describe(entry.first);
    child.path = join_path(field.path, key);
    if (!seen.insert(key).second) {
      diagnostics.add(diagnostics.location(entry.first), child.path, "duplicate key");
      continue;
    }
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string hint = closest(key, known);
      if (hint.empty() && elsewhere) hint = std::string(elsewhere(key));
      diagnostics.add(diagnostics.location(entry.first), child.path,
                      "unknown key" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      continue;
    }
    on_field(child);
  }
  return true;
}

std::optional<std::string> read_string(const Field& field, DiagnosticList& diagnostics) {
  if (field.value.IsScalar() && field.value.Scalar().empty() && is_plain(field.value)) {
    diagnostics.add(field, "must be a non-empty string");
    return std::nullopt;
  }
  return scalar_text(field, "a string", diagnostics);
}

std::optional<bool> read_bool(const Field& field, DiagnosticList& diagnostics) {
  std::optional<size_t> choice = read_choice(field, {"false", "true"}, diagnostics);
  if (!choice) return std::nullopt;
  return *choice == 1;
}

std::optional<uint64_t> read_integer(const Field& field, uint64_t min, uint64_t max,
                                     DiagnosticList& diagnostics) {
  std::optional<std::string> text = scalar_text(field, "a whole number", diagnostics);
  if (!text) return std::nullopt;
  std::string error;
  std::optional<uint64_t> value = parse_unsigned(*text, error);
  if (!value) {
    if (error == "must not be negative")
      diagnostics.add(field, range_message(*text, min, max));
    else
      diagnostics.add(field, "must be a whole number, got \"" + *text + "\"");
    return std::nullopt;
  }
  if (*value < min || *value > max) {
    diagnostics.add(field, range_message(std::to_string(*value), min, max));
    return std::nullopt;
  }
  return value;
}

std::optional<uint64_t> read_size(const Field& field, uint64_t min, uint64_t max,
                                  DiagnosticList& diagnostics) {
  std::optional<std::string> text =
      scalar_text(field, "a size (e.g. 65536 or \"64KiB\")", diagnostics);
  if (!text) return std::nullopt;
  std::string error;
  std::optional<uint64_t> value = parse_size_bytes(*text, error);
  if (!value) {
    diagnostics.add(field, "\"" + *text + "\" " + error);
    return std::nullopt;
  }
  if (*value < min || *value > max) {
    diagnostics.add(field, range_message(std::to_string(*value), min, max, " bytes"));
    return std::nullopt;
  }
  return value;
}

std::optional<uint64_t> read_duration_ms(const Field& field, bool bare_number_is_ms, uint64_t min,
                                         uint64_t max, DiagnosticList& diagnostics) {
  std::optional<std::string> text =
      scalar_text(field, "a duration (e.g. \"10s\" or \"500ms\")", diagnostics);
  if (!text) return std::nullopt;
  std::string error;
  std::optional<uint64_t> value = parse_duration_ms(*text, bare_number_is_ms, error);
  if (!value) {
    diagnostics.add(field, "\"" + *text + "\" " + error);
    return std::nullopt;
  }
  if (*value < min || *value > max) {
    diagnostics.add(field, range_message(std::to_string(*value), min, max, " ms"));
    return std::nullopt;
  }
  return value;
}

std::optional<size_t> read_choice(const Field& field,
                                  std::initializer_list<std::string_view> choices,
                                  DiagnosticList& diagnostics) {
  std::string expected;
  for (std::string_view choice : choices)
    expected += (expected.empty() ? "" : ", ") + std::string(choice);
  std::optional<std::string> text = scalar_text(field, "one of: " + expected, diagnostics);
  if (!text) return std::nullopt;
  auto found = std::find(choices.begin(), choices.end(), *text);
  if (found == choices.end()) {
    std::string hint = closest(*text, choices);
    diagnostics.add(field, "must be one of: " + expected + "; got \"" + *text + "\"" +
                               (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    return std::nullopt;
  }
  return static_cast<size_t>(found - choices.begin());
}

std::string to_json_string(std::string_view text) {
  return json_string(text);
}

std::string to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: {
      std::string out = "[";
      for (size_t i = 0; i < node.size(); ++i) out += (i ? "," : "") + to_json(node[i]);
      return out + "]";
    }
    case YAML::NodeType::Map: {
      std::string out = "{";
      bool first = true;
      for (auto entry : node) {
        out += (first ? "" : ",") + json_string(entry.first.Scalar()) + ":" + to_json(entry.second);
        first = false;
      }
      return out + "}";
    }
    case YAML::NodeType::Scalar: {
      if (is_plain(node)) {
        if (std::optional<std::string> literal = plain_scalar_json(node.Scalar())) return *literal;
      }
      return json_string(node.Scalar());
    }
    default:
      return "null";
  }
}

}  // namespace wsup::config::detail
