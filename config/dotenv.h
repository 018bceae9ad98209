// dotenv files (KEY=VALUE lines), as wrangler reads .dev.vars: `#` comment lines, blank lines,
// an optional `export ` prefix; a value bare (trimmed, ` #` starts a comment), in single quotes
// (literal) or in double quotes (\n, \t, \", \\ escapes; may span lines).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/cluster_config.h"

namespace wsup::config {

struct DotenvEntry {
  std::string key;
  std::string value;
  SourceLocation where;  // of the key
};

// Every entry in file order (a repeated key keeps its last value). Throws ConfigError with one
// diagnostic per line it cannot read.
std::vector<DotenvEntry> parse_dotenv(std::string_view text, const std::string& file);

// Reads the file at `path` and parses it; throws ConfigError when it cannot be read.
std::vector<DotenvEntry> read_dotenv_file(const std::string& path);

}  // namespace wsup::config
