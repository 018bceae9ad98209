#include "config/dotenv.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/load.h"

namespace wsup::config {
namespace {

bool is_key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

}  // namespace

std::vector<DotenvEntry> parse_dotenv(std::string_view text, const std::string& file) {
  std::vector<DotenvEntry> entries;
  std::vector<Diagnostic> errors;
  size_t i = 0;
  int line = 1;
  size_t line_start = 0;
  auto column = [&](size_t at) { return static_cast<int>(at - line_start) + 1; };
  auto skip_blanks = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  };
  auto next_line = [&] {
    while (i < text.size() && text[i] != '\n') ++i;
    if (i < text.size()) ++i;
    ++line;
    line_start = i;
  };
  while (i < text.size()) {
    skip_blanks();
    if (i >= text.size()) break;
    if (text[i] == '\n' || text[i] == '\r' || text[i] == '#') {
      next_line();
      continue;
    }
    if (text.substr(i).starts_with("export ")) {
      i += 7;
      skip_blanks();
    }
    const size_t key_start = i;
    while (i < text.size() && is_key_char(text[i])) ++i;
    DotenvEntry entry;
    entry.key = std::string(text.substr(key_start, i - key_start));
    entry.where = SourceLocation{file, line, column(key_start)};
    skip_blanks();
    if (entry.key.empty() || i >= text.size() || text[i] != '=') {
      errors.push_back(Diagnostic{SourceLocation{file, line, column(i)}, "",
                                  "expected KEY=VALUE (a dotenv line)"});
      next_line();
      continue;
    }
    ++i;
    skip_blanks();
    if (i < text.size() && (text[i] == '"' || text[i] == '\'')) {
      const char quote = text[i];
      const SourceLocation opened{file, line, column(i)};
      bool closed = false;
      for (++i; i < text.size(); ++i) {
        char c = text[i];
        if (c == quote) {
          closed = true;
          ++i;
          break;
        }
        if (c == '\n') {
          ++line;
          line_start = i + 1;
        }
        if (quote == '"' && c == '\\' && i + 1 < text.size()) {
          char escaped = text[++i];
          c = escaped == 'n' ? '\n' : escaped == 't' ? '\t' : escaped == 'r' ? '\r' : escaped;
          if (escaped != 'n' && escaped != 't' && escaped != 'r' && escaped != '"' &&
              escaped != '\\')
            entry.value += '\\';
        }
        entry.value += c;
      }
      if (!closed) {
        errors.push_back(Diagnostic{opened, entry.key, "the quoted value is never closed"});
        break;
      }
      skip_blanks();
      if (i < text.size() && text[i] != '\n' && text[i] != '\r' && text[i] != '#')
        errors.push_back(Diagnostic{SourceLocation{file, line, column(i)}, entry.key,
                                    "unexpected text after the quoted value"});
    } else {
      const size_t value_start = i;
      while (i < text.size() && text[i] != '\n' &&
             !(text[i] == '#' && i > value_start && (text[i - 1] == ' ' || text[i - 1] == '\t')))
        ++i;
      std::string_view value = text.substr(value_start, i - value_start);
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
        value.remove_suffix(1);
      entry.value = std::string(value);
    }
    entries.push_back(std::move(entry));
    next_line();
  }
  if (!errors.empty()) throw ConfigError(std::move(errors));
  return entries;
}

std::vector<DotenvEntry> read_dotenv_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw ConfigError({Diagnostic{SourceLocation{path, 0, 0}, "",
                                  std::string("cannot read the file: ") + std::strerror(errno)}});
  std::ostringstream text;
  text << file.rdbuf();
  return parse_dotenv(text.str(), path);
}

}  // namespace wsup::config
