// wrangler.jsonc / wrangler.json: JSON with comments and trailing commas. The comments are
// blanked in place (strip_json_comments) and the JSON read by yaml-cpp (JSON is YAML 1.2), whose
// marks give every key's line and column; Boost.JSON accepts comments too but keeps no positions.
#include <yaml-cpp/yaml.h>

#include "config/load.h"
#include "config/wrangler_file.h"
#include "config/yaml_reader.h"

namespace wsup::config {
namespace {

// Index of the first byte after the string that opens at `i` (text[i] == '"').
size_t skip_string(std::string_view text, size_t i) {
  for (++i; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return text.size();
}

SourceLocation where(const YAML::Node& node, const std::string& file) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0) return SourceLocation{file, 0, 0};
  return SourceLocation{file, mark.line + 1, mark.column + 1};
}

[[noreturn]] void fail(SourceLocation at, std::string key_path, std::string message) {
  throw ConfigError({Diagnostic{std::move(at), std::move(key_path), std::move(message)}});
}

WranglerNode convert(const YAML::Node& node, const SourceLocation& at, const std::string& path,
                     const std::string& file) {
  WranglerNode out;
  out.where = at;
  out.json = detail::to_json(node);  // what a var binding holds, whatever the kind
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      out.kind = WranglerNode::Kind::table;
      for (auto entry : node) {
        const std::string key = entry.first.Scalar();
        const std::string key_path = path.empty() ? key : path + "." + key;
        if (out.member(key) != nullptr) fail(where(entry.first, file), key_path, "duplicate key");
        out.members.emplace_back(key,
                                 convert(entry.second, where(entry.first, file), key_path, file));
      }
      break;
    }
    case YAML::NodeType::Sequence:
      out.kind = WranglerNode::Kind::array;
      for (size_t i = 0; i < node.size(); ++i)
        out.items.push_back(
            convert(node[i], where(node[i], file), path + "[" + std::to_string(i) + "]", file));
      break;
    case YAML::NodeType::Scalar:
      out.text = node.Scalar();
      if (node.Tag() == "!") {
        out.kind = WranglerNode::Kind::string;
      } else if (out.json == "true" || out.json == "false") {
        out.kind = WranglerNode::Kind::boolean;
      } else if (out.json == "null") {
        out.kind = WranglerNode::Kind::other;
      } else if (out.json.front() != '"') {
        out.kind = WranglerNode::Kind::number;
      } else {
        fail(where(node, file), path,
             "\"" + out.text + "\" is not JSON: a string needs double quotes");
      }
      break;
    default:
      break;
  }
  return out;
}

}  // namespace

std::string strip_json_comments(std::string_view text) {
  std::string out(text);
  // Comments first: after this pass the only non-string bytes left are JSON's own.
  for (size_t i = 0; i < out.size();) {
    if (out[i] == '"') {
      i = skip_string(out, i);
    } else if (out.compare(i, 2, "//") == 0) {
      for (; i < out.size() && out[i] != '\n'; ++i) out[i] = ' ';
    } else if (out.compare(i, 2, "/*") == 0) {
      const size_t end = out.find("*/", i + 2);
      const size_t stop = end == std::string::npos ? out.size() : end + 2;
      for (; i < stop; ++i)
        if (out[i] != '\n') out[i] = ' ';
    } else {
      ++i;
    }
  }
  // Then trailing commas: a comma whose next non-blank byte closes an object or array.
  for (size_t i = 0; i < out.size();) {
    if (out[i] == '"') {
      i = skip_string(out, i);
      continue;
    }
    if (out[i] == ',') {
      const size_t next = out.find_first_not_of(" \t\r\n", i + 1);
      if (next != std::string::npos && (out[next] == '}' || out[next] == ']')) out[i] = ' ';
    }
    ++i;
  }
  return out;
}

WranglerNode parse_wrangler_jsonc(std::string_view text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(strip_json_comments(text));
  } catch (const YAML::Exception& error) {
    SourceLocation at{file, error.mark.line + 1, error.mark.column + 1};
    if (error.mark.is_null()) at = SourceLocation{file, 0, 0};
    fail(at, "", "JSON syntax error: " + error.msg);
  }
  if (!root.IsMap())
    fail(SourceLocation{file, root.IsDefined() && !root.IsNull() ? 1 : 0, 1}, "",
         "must be a JSON object ({ \"name\": ..., \"main\": ... })");
  return convert(root, SourceLocation{file, 1, 1}, "", file);
}

}  // namespace wsup::config
