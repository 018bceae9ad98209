// A wrangler configuration file (wrangler.toml, wrangler.jsonc, wrangler.json) read into one tree
// that keeps where each key was written, so that read_wrangler.cc reads both formats alike and
// every message it gives names file:line:column.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/cluster_config.h"

namespace wsup::config {

struct WranglerNode {
  enum class Kind { string, number, boolean, array, table, other };
  Kind kind = Kind::other;
  std::string text;  // a string's value; a number's or boolean's literal
  std::string json;  // the value as JSON text (what a var binding holds)
  std::vector<std::pair<std::string, WranglerNode>> members;  // a table's, in file order
  std::vector<WranglerNode> items;                            // an array's
  SourceLocation where;  // of the key that names it (of the value for array items)

  const WranglerNode* member(std::string_view key) const;
};

// Parses the file by its extension: .toml with toml++, .json and .jsonc as JSON with comments
// and trailing commas. Throws ConfigError (file:line:column) when it cannot be read or parsed, or
// when its top level is not a table.
WranglerNode read_wrangler_file(const std::string& path);

// Parsers of text already in memory, `file` naming it in locations.
WranglerNode parse_wrangler_toml(std::string_view text, const std::string& file);
WranglerNode parse_wrangler_jsonc(std::string_view text, const std::string& file);

// JSONC to JSON with every byte in place: comments (// and /* */) and trailing commas become
// spaces (newlines kept), strings untouched, so a position in the result is the same line and
// column in the original. An unterminated /* comment is blanked to the end.
std::string strip_json_comments(std::string_view text);

}  // namespace wsup::config
