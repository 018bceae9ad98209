// `wrangler:` in a script entry: a Workers project's wrangler.toml / wrangler.jsonc read into the
// script (name, main, vars, compatibility settings, triggers.crons). Whatever else the file says
// is a notice, one line per key, so nothing in it is silently ignored.
#include <algorithm>
#include <cctype>
#include <iterator>

#include "config/dotenv.h"
#include "config/sections.h"
#include "config/wrangler_file.h"

namespace wsup::config::detail {
namespace {

// Keys that change nothing at run time and so need no notice: the editor's JSON schema.
constexpr std::string_view kMetadataKeys[] = {"$schema"};

std::string kind_name(WranglerNode::Kind kind) {
  switch (kind) {
    case WranglerNode::Kind::string:
      return "a string";
    case WranglerNode::Kind::number:
      return "a number";
    case WranglerNode::Kind::boolean:
      return "a boolean";
    case WranglerNode::Kind::array:
      return "an array";
    case WranglerNode::Kind::table:
      return "a table";
    case WranglerNode::Kind::other:
      break;
  }
  return "a value of another kind";
}

class WranglerReader {
 public:
  WranglerReader(const std::string& file, Script& script, std::string& source,
                 DiagnosticList& diagnostics)
      : file_(file), script_(script), source_(source), diagnostics_(diagnostics) {}

  void read(const WranglerNode& root) {
    for (const auto& [key, value] : root.members) {
      if (key == "name")
        read_name(value);
      else if (key == "main")
        read_main(value);
      else if (key == "vars")
        read_vars(value);
      else if (key == "compatibility_date")
        read_date(value);
      else if (key == "compatibility_flags")
        read_flags(value);
      else if (key == "triggers")
        read_triggers(value);
      else if (std::find(std::begin(kMetadataKeys), std::end(kMetadataKeys), key) ==
               std::end(kMetadataKeys))
        unsupported(key, value);
    }
    // wrangler dev runs a project without a name too: the folder's name stands in for it.
    if (script_.name.empty() && root.member("name") == nullptr) {
      std::string name = std::filesystem::path(file_).parent_path().filename().string();
      for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
      if (is_script_name(name)) script_.name = name;
    }
  }

 private:
  void unsupported(const std::string& key_path, const WranglerNode& value) {
    diagnostics_.notice(value.where, key_path, "not supported by wsup, ignored");
  }

  bool expect(const WranglerNode& value, WranglerNode::Kind kind, const std::string& key_path,
              std::string_view what) {
    if (value.kind == kind) return true;
    diagnostics_.add(value.where, key_path,
                     "must be " + std::string(what) + ", got " + kind_name(value.kind));
    return false;
  }

  void read_name(const WranglerNode& value) {
    if (!expect(value, WranglerNode::Kind::string, "name", "a string")) return;
    if (!is_script_name(value.text))
      diagnostics_.add(
          value.where, "name",
          "\"" + value.text + "\" is not a script name (1-64 letters, digits, - or _)");
    else
      script_.name = value.text;
  }

  void read_main(const WranglerNode& value) {
    if (!expect(value, WranglerNode::Kind::string, "main", "a string (the Worker's entry file)"))
      return;
    // Relative to the wrangler file's folder, as wrangler resolves it.
    const std::filesystem::path base = std::filesystem::path(file_).parent_path();
    read_script_file(base / value.text, value.where, "main", script_, source_, diagnostics_);
  }

  void read_vars(const WranglerNode& value) {
    if (!expect(value, WranglerNode::Kind::table, "vars", "a table of bindings")) return;
    for (const auto& [name, var] : value.members) {
      if (!is_binding_name(name))
        diagnostics_.add(var.where, "vars." + name,
                         "binding name must be a JavaScript identifier (letters, digits, _ or $)");
      else
        script_.vars[name] = var.json;
    }
  }

  void read_date(const WranglerNode& value) {
    if (!expect(value, WranglerNode::Kind::string, "compatibility_date", "a date string")) return;
    if (is_date(value.text))
      script_.compatibility_date = value.text;
    else
      diagnostics_.add(value.where, "compatibility_date",
                       "\"" + value.text + "\" is not a date: write it as YYYY-MM-DD");
  }

  void read_flags(const WranglerNode& value) {
    if (!expect(value, WranglerNode::Kind::array, "compatibility_flags", "an array of flags"))
      return;
    for (size_t i = 0; i < value.items.size(); ++i) {
      const WranglerNode& flag = value.items[i];
      const std::string key_path = "compatibility_flags[" + std::to_string(i) + "]";
      if (!expect(flag, WranglerNode::Kind::string, key_path, "a string")) continue;
      // Cloudflare's flags change behaviour wsup has one way of: only nodejs_compat means
      // something here (Node's built-in modules); the others are listed, not refused, so that a
      // project runs as it is.
      if (!is_known_compatibility_flag(flag.text))
        diagnostics_.notice(
            flag.where, key_path,
            "compatibility flag \"" + flag.text + "\" is not supported by wsup, " + "ignored");
      else if (std::find(script_.compatibility_flags.begin(), script_.compatibility_flags.end(),
                         flag.text) == script_.compatibility_flags.end())
        script_.compatibility_flags.push_back(flag.text);
    }
  }

  void read_triggers(const WranglerNode& value) {
    if (!expect(value, WranglerNode::Kind::table, "triggers", "a table")) return;
    for (const auto& [key, member] : value.members) {
      if (key != "crons") {
        unsupported("triggers." + key, member);
        continue;
      }
      if (!expect(member, WranglerNode::Kind::array, "triggers.crons", "an array of cron strings"))
        continue;
      for (size_t i = 0; i < member.items.size(); ++i) {
        const WranglerNode& cron = member.items[i];
        if (expect(cron, WranglerNode::Kind::string, "triggers.crons[" + std::to_string(i) + "]",
                   "a cron expression string"))
          script_.crons.push_back(cron.text);
      }
    }
  }

  const std::string& file_;
  Script& script_;
  std::string& source_;
  DiagnosticList& diagnostics_;
};

// The errors of the file at `path`, which `field` of cluster.yaml names.
void add_errors(const ConfigError& error, const Field& field, const std::string& path,
                DiagnosticList& diagnostics) {
  for (const Diagnostic& d : error.errors()) {
    // A file that cannot be opened is reported where cluster.yaml names it.
    if (d.where.line == 0)
      diagnostics.add(field, path + ": " + d.message);
    else
      diagnostics.add(d.where, d.key_path, d.message);
  }
}

}  // namespace

bool read_wrangler(const Field& field, const std::filesystem::path& base_dir, Script& script,
                   std::string& source, DiagnosticList& diagnostics) {
  std::optional<std::string> text = read_string(field, diagnostics);
  if (!text) return false;
  std::error_code ignored;
  const std::string path =
      std::filesystem::absolute(base_dir / *text, ignored).lexically_normal().string();
  script.wrangler_file = path;
  try {
    WranglerReader(path, script, source, diagnostics).read(read_wrangler_file(path));
  } catch (const ConfigError& error) {
    add_errors(error, field, path, diagnostics);
    return false;
  }
  return true;
}

void read_vars_file(const Field& field, const std::filesystem::path& base_dir, Script& script,
                    DiagnosticList& diagnostics) {
  std::optional<std::string> text = read_string(field, diagnostics);
  if (!text) return;
  std::error_code ignored;
  const std::string path =
      std::filesystem::absolute(base_dir / *text, ignored).lexically_normal().string();
  script.vars_file = path;
  try {
    for (const DotenvEntry& entry : read_dotenv_file(path)) {
      if (!is_binding_name(entry.key))
        diagnostics.add(entry.where, entry.key,
                        "binding name must be a JavaScript identifier (letters, digits, _ or $)");
      else
        script.vars[entry.key] = to_json_string(entry.value);
    }
  } catch (const ConfigError& error) {
    add_errors(error, field, path, diagnostics);
  }
}

}  // namespace wsup::config::detail
