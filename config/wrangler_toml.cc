// wrangler.toml through toml++ (Debian's libtomlplusplus-dev, used header-only so the binaries
// gain no runtime dependency), converted to the WranglerNode tree with each key's position.
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "config/load.h"
#include "config/wrangler_file.h"
#include "shared/json_escape.h"

namespace wsup::config {
namespace {

SourceLocation where(const toml::source_region& region, const std::string& file) {
  return SourceLocation{file, static_cast<int>(region.begin.line),
                        static_cast<int>(region.begin.column)};
}

std::string json_string(std::string_view text) {
  return "\"" + json_escape(text) + "\"";
}

WranglerNode convert(const toml::node& node, const SourceLocation& at, const std::string& file) {
  WranglerNode out;
  out.where = at;
  if (const toml::table* table = node.as_table()) {
    out.kind = WranglerNode::Kind::table;
    std::string json = "{";
    for (const auto& [key, value] : *table) {
      out.members.emplace_back(std::string(key.str()),
                               convert(value, where(key.source(), file), file));
      json += (json.size() > 1 ? "," : "") + json_string(key.str()) + ":" +
              out.members.back().second.json;
    }
    out.json = json + "}";
    // toml++ keeps a table's keys sorted by name: back into the order they were written.
    std::stable_sort(out.members.begin(), out.members.end(), [](const auto& a, const auto& b) {
      return std::pair(a.second.where.line, a.second.where.column) <
             std::pair(b.second.where.line, b.second.where.column);
    });
  } else if (const toml::array* array = node.as_array()) {
    out.kind = WranglerNode::Kind::array;
    std::string json = "[";
    for (const toml::node& item : *array) {
      out.items.push_back(convert(item, where(item.source(), file), file));
      json += (json.size() > 1 ? "," : "") + out.items.back().json;
    }
    out.json = json + "]";
  } else if (const auto* text = node.as_string()) {
    out.kind = WranglerNode::Kind::string;
    out.text = text->get();
    out.json = json_string(out.text);
  } else if (const auto* boolean = node.as_boolean()) {
    out.kind = WranglerNode::Kind::boolean;
    out.text = out.json = boolean->get() ? "true" : "false";
  } else if (const auto* integer = node.as_integer()) {
    out.kind = WranglerNode::Kind::number;
    out.text = out.json = std::to_string(integer->get());
  } else if (const auto* floating = node.as_floating_point()) {
    out.kind = WranglerNode::Kind::number;
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, floating->get());
    out.text = out.json = std::string(buffer, result.ptr);  // nan and inf are no JSON: strings
    if (!std::isfinite(floating->get())) out.json = json_string(out.text);
  } else {
    // Dates and times: JSON has none, so a var gets the TOML text as a string.
    std::ostringstream literal;
    node.visit([&](const auto& value) { literal << value; });
    out.text = literal.str();
    out.json = json_string(out.text);
  }
  return out;
}

}  // namespace

WranglerNode parse_wrangler_toml(std::string_view text, const std::string& file) {
  try {
    toml::table root = toml::parse(text, file);
    return convert(root, SourceLocation{file, 1, 1}, file);
  } catch (const toml::parse_error& error) {
    throw ConfigError({Diagnostic{where(error.source(), file), "",
                                  "TOML syntax error: " + std::string(error.description())}});
  }
}

}  // namespace wsup::config
