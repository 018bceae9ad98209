#include "config/module_syntax.h"

#include <array>
#include <cctype>
#include <string>
#include <vector>

namespace wsup::config {
namespace {

bool is_identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Keywords after which a '/' starts a regular expression rather than a division.
bool keyword_precedes_expression(std::string_view word) {
  static constexpr std::array<std::string_view, 14> kWords = {
      "return", "typeof", "instanceof", "in", "of",   "new",   "delete",
      "void",   "throw",  "case",       "do", "else", "yield", "await"};
  for (std::string_view keyword : kWords)
    if (word == keyword) return true;
  return false;
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool run() {
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (c == '/' && peek(1) == '/') {
        skip_line_comment();
      } else if (c == '/' && peek(1) == '*') {
        skip_block_comment();
      } else if (c == '\'' || c == '"') {
        skip_string(c);
        last_ = Last::value;
      } else if (c == '`') {
        ++at_;
        scan_template();
        last_ = Last::value;
      } else if (c == '/') {
        if (last_ == Last::value) {
          ++at_;
          last_ = Last::punctuator;
        } else {
          skip_regexp();
          last_ = Last::value;
        }
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++at_;
      } else if (is_identifier_char(c) || c == '#') {
        if (scan_word()) return true;
      } else {
        punctuator(c);
      }
    }
    return false;
  }

 private:
  enum class Last { punctuator, value, dot };

  char peek(size_t ahead) const { return at_ + ahead < text_.size() ? text_[at_ + ahead] : '\0'; }

  void skip_line_comment() {
    while (at_ < text_.size() && text_[at_] != '\n' && text_[at_] != '\r') ++at_;
  }

  void skip_block_comment() {
    const size_t end = text_.find("*/", at_ + 2);
    at_ = end == std::string_view::npos ? text_.size() : end + 2;
  }

  void skip_string(char quote) {
    ++at_;
    while (at_ < text_.size() && text_[at_] != quote) {
      if (text_[at_] == '\\') {
        at_ += 2;  // the escaped character, a line continuation included
        continue;
      }
      if (text_[at_] == '\n') break;  // unterminated: stop at the line's end
      ++at_;
    }
    ++at_;
  }

  // After the opening '`': up to and including the closing '`', scanning the code of each
  // ${...} substitution (which may hold strings and templates of its own).
  void scan_template() {
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (c == '\\') {
        at_ += 2;
      } else if (c == '`') {
        ++at_;
        return;
      } else if (c == '$' && peek(1) == '{') {
        at_ += 2;
        braces_.push_back(kTemplateBrace);
        return;  // run() scans the substitution; its closing '}' resumes the template
      } else {
        ++at_;
      }
    }
  }

  void skip_regexp() {
    ++at_;
    bool in_class = false;
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (c == '\\') {
        at_ += 2;
        continue;
      }
      if (c == '\n') break;
      ++at_;
      if (c == '[') in_class = true;
      if (c == ']') in_class = false;
      if (c == '/' && !in_class) break;
    }
    while (at_ < text_.size() && is_identifier_char(text_[at_])) ++at_;  // flags
  }

  void punctuator(char c) {
    ++at_;
    if (c == '{') {
      braces_.push_back(kCodeBrace);
    } else if (c == '}') {
      const bool resumes_template = !braces_.empty() && braces_.back() == kTemplateBrace;
      if (!braces_.empty()) braces_.pop_back();
      if (resumes_template) {
        scan_template();
        last_ = Last::value;
        return;
      }
    }
    if (c == '.' && !(at_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at_])))) {
      last_ = Last::dot;
      return;
    }
    // ')' and ']' end an expression, so a '/' after them divides; '}' usually ends a block,
    // after which a '/' starts a regular expression.
    last_ = (c == ')' || c == ']') ? Last::value : Last::punctuator;
  }

  size_t next_significant(size_t from) const {
    while (from < text_.size()) {
      const char c = text_[from];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++from;
      } else if (c == '/' && from + 1 < text_.size() && text_[from + 1] == '*') {
        const size_t end = text_.find("*/", from + 2);
        from = end == std::string_view::npos ? text_.size() : end + 2;
      } else if (c == '/' && from + 1 < text_.size() && text_[from + 1] == '/') {
        while (from < text_.size() && text_[from] != '\n') ++from;
      } else {
        break;
      }
    }
    return from;
  }

  // An identifier, keyword, number or private name; true when it is module syntax.
  bool scan_word() {
    const size_t start = at_;
    ++at_;
    while (at_ < text_.size() && is_identifier_char(text_[at_])) ++at_;
    const std::string_view word = text_.substr(start, at_ - start);
    const bool after_dot = last_ == Last::dot;
    last_ = keyword_precedes_expression(word) ? Last::punctuator : Last::value;
    if (after_dot || (word != "import" && word != "export")) return false;
    const size_t next = next_significant(at_);
    const char following = next < text_.size() ? text_[next] : '\0';
    // A property name or method: `{export: 1}`, `import() {}` in a class, `export = 1` field.
    if (following == ':' || following == '=' || following == ';' || following == ',') {
      return false;
    }
    if (word == "import") {
      if (following == '(') return false;  // dynamic import()
      return true;                         // import declaration, or import.meta
    }
    return following != '(';  // export declaration (`export(` is a method name)
  }

  static constexpr char kCodeBrace = '{';
  static constexpr char kTemplateBrace = '`';

  std::string_view text_;
  size_t at_ = 0;
  Last last_ = Last::punctuator;
  std::vector<char> braces_;
};

}  // namespace

bool has_module_syntax(std::string_view source) {
  return Scanner(source).run();
}

}  // namespace wsup::config
