// `scripts:` in cluster.yaml: each script's name, file, kind (module or service worker), routes,
// bindings (vars, secrets), compatibility settings (compatibility_flags, compatibility_date) and
// cron triggers (crons).
#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string_view>

#include "config/cron.h"
#include "config/module_syntax.h"
#include "config/sections.h"
#include "config/values.h"

namespace wsup::config::detail {
namespace {

bool is_environment_name(std::string_view text) {
  return is_binding_name(text) && text.find('$') == std::string_view::npos;
}

void read_routes(const Field& field, Script& script, DiagnosticList& diagnostics) {
  auto read_one = [&](const Field& f) {
    if (!f.value.IsScalar()) {
      diagnostics.add(f,
                      "must be a route pattern string (e.g. \"/api/*\"), got " + describe(f.value));
      return;
    }
    std::string error;
    std::optional<Route> route = parse_route(f.value.Scalar(), error);
    if (!route) {
      diagnostics.add(f, "route \"" + f.value.Scalar() + "\" " + error);
      return;
    }
    route->where = diagnostics.location(f);
    script.routes.push_back(*route);
  };
  if (for_each_item(field, read_one) == 0)
    diagnostics.add(field, "must list at least one route (e.g. [\"/*\"])");
}

void read_vars(const Field& field, Script& script, DiagnosticList& diagnostics) {
  if (!field.value.IsMap()) {
    diagnostics.add(field,
                    "must be a mapping of binding names to values, got " + describe(field.value));
    return;
  }
  // Over the wrangler file's and the vars_file's bindings of the same name, if any.
  std::set<std::string> seen;
  for (auto entry : field.value) {
    Field var{entry.first, entry.second,
              join_path(field.path, entry.first.IsScalar() ? entry.first.Scalar() : "?")};
    std::string name = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (!is_binding_name(name)) {
      diagnostics.add(diagnostics.location(entry.first), var.path,
                      "binding name must be a JavaScript identifier (letters, digits, _ or $)");
    } else if (!seen.insert(name).second) {
      diagnostics.add(diagnostics.location(entry.first), var.path, "duplicate key");
    } else {
      script.vars[name] = to_json(entry.second);
    }
  }
}

void read_secrets(const Field& field, Script& script, DiagnosticList& diagnostics) {
  auto bind = [&](const YAML::Node& at, const std::string& path, const std::string& binding,
                  const std::string& variable) {
    if (!is_binding_name(binding)) {
      diagnostics.add(diagnostics.location(at), path,
                      "binding name must be a JavaScript identifier");
    } else if (!is_environment_name(variable)) {
      diagnostics.add(
          diagnostics.location(at), path,
          "\"" + variable + "\" is not an environment variable name (letters, digits and _)");
    } else if (script.vars.count(binding)) {
      diagnostics.add(diagnostics.location(at), path, "binding '" + binding + "' is already a var");
    } else if (!script.secrets.emplace(binding, variable).second) {
      diagnostics.add(diagnostics.location(at), path, "duplicate secret binding '" + binding + "'");
    }
  };
  if (field.value.IsSequence()) {
    for (size_t i = 0; i < field.value.size(); ++i) {
      const YAML::Node item = field.value[i];
      std::string path = index_path(field.path, i);
      if (!item.IsScalar())
        diagnostics.add(diagnostics.location(item), path,
                        "must be an environment variable name, got " + describe(item));
      else
        bind(item, path, item.Scalar(), item.Scalar());
    }
  } else if (field.value.IsMap()) {
    for (auto entry : field.value) {
      std::string binding = entry.first.IsScalar() ? entry.first.Scalar() : "?";
      std::string path = join_path(field.path, binding);
      if (!entry.second.IsScalar())
        diagnostics.add(diagnostics.location(entry.first), path,
                        "must name an environment variable, got " + describe(entry.second));
      else
        bind(entry.first, path, binding, entry.second.Scalar());
    }
  } else {
    diagnostics.add(
        field,
        "must be a mapping (binding: ENV_VAR) or a list of environment variable names, got " +
            describe(field.value));
  }
}

void read_compatibility_flags(const Field& field, Script& script, DiagnosticList& diagnostics) {
  if (!field.value.IsSequence()) {
    diagnostics.add(field,
                    "must be a list of flags (e.g. [nodejs_compat]), got " + describe(field.value));
    return;
  }
  for (size_t i = 0; i < field.value.size(); ++i) {
    Field item{{}, field.value[i], index_path(field.path, i)};
    std::optional<std::string> flag = read_string(item, diagnostics);
    if (!flag) continue;
    if (!is_known_compatibility_flag(*flag)) {
      diagnostics.add(item, "unknown compatibility flag \"" + *flag +
                                "\": wsup knows nodejs_compat (Node's built-in modules) only");
    } else if (std::find(script.compatibility_flags.begin(), script.compatibility_flags.end(),
                         *flag) != script.compatibility_flags.end()) {
      diagnostics.add(item, "duplicate compatibility flag \"" + *flag + "\"");
    } else {
      script.compatibility_flags.push_back(*flag);
    }
  }
}

// "/path" or "METHOD /path": what a warm-up request sends (read by the worker, see
// docs/CONFIG.md).
bool is_warm_up_request(std::string_view text) {
  const size_t space = text.find(' ');
  std::string_view method = space == std::string_view::npos ? "" : text.substr(0, space);
  std::string_view target = space == std::string_view::npos ? text : text.substr(space + 1);
  const bool method_ok =
      std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  return method_ok && !target.empty() && target.front() == '/' &&
         target.find_first_of(" \t\r\n") == std::string_view::npos;
}

// Calls read_one(item, text) for each string of a list; anything but a list is reported as not
// being `expected`.
template <typename ReadOne>
void for_each_string_item(const Field& field, std::string_view expected,
                          DiagnosticList& diagnostics, ReadOne read_one) {
  if (!field.value.IsSequence()) {
    diagnostics.add(field, "must be " + std::string(expected) + ", got " + describe(field.value));
    return;
  }
  for (size_t i = 0; i < field.value.size(); ++i) {
    Field item{{}, field.value[i], index_path(field.path, i)};
    if (std::optional<std::string> text = read_string(item, diagnostics)) read_one(item, *text);
  }
}

void read_warm_up(const Field& field, Script& script, DiagnosticList& diagnostics) {
  for_each_string_item(
      field, "a list of request paths (e.g. [\"/\", \"GET /users/1\"])", diagnostics,
      [&](const Field& item, const std::string& text) {
        if (!is_warm_up_request(text)) {
          diagnostics.add(item, "\"" + text +
                                    "\" is not a warm-up request: write a path starting with / , "
                                    "optionally after a method (\"POST /login\")");
          return;
        }
        script.warm_up.push_back(text);
      });
}

// Each entry a cron expression (config/cron.h); an error points at the character it is about
// when the expression is written on one line.
void read_crons(const Field& field, Script& script, DiagnosticList& diagnostics) {
  for_each_string_item(
      field, "a list of cron expressions (e.g. [\"*/5 * * * *\"])", diagnostics,
      [&](const Field& item, const std::string& text) {
        CronError error;
        if (!parse_cron(text, error)) {
          SourceLocation where = diagnostics.location(item);
          // A quoted scalar's text starts one column after its mark.
          if (where.line > 0 && text.find('\n') == std::string::npos)
            where.column += static_cast<int>(error.offset) + (item.value.Tag() == "!" ? 1 : 0);
          diagnostics.add(where, item.path, "cron \"" + text + "\": " + error.message);
        } else if (std::find(script.crons.begin(), script.crons.end(), text) !=
                   script.crons.end()) {
          diagnostics.add(item, "duplicate cron \"" + text + "\"");
        } else {
          script.crons.push_back(text);
        }
      });
}

void read_recycle(const Field& field, Script& script, DiagnosticList& diagnostics) {
  for_each_field(field, {"requests", "heap_mib"}, diagnostics, [&](const Field& f) {
    std::string_view key = f.key.Scalar();
    if (key == "requests") {
      if (auto count = read_integer(f, 0, 1'000'000'000, diagnostics))
        script.recycle.requests = static_cast<uint32_t>(*count);
    }
    if (key == "heap_mib") {
      if (auto mib = read_integer(f, 0, 64 * 1024, diagnostics))
        script.recycle.heap_mib = static_cast<uint32_t>(*mib);
    }
  });
}

void read_path(const Field& field, const std::filesystem::path& base_dir, Script& script,
               std::string& source, DiagnosticList& diagnostics) {
  std::optional<std::string> text = read_string(field, diagnostics);
  if (!text) return;
  read_script_file(base_dir / *text, diagnostics.location(field), field.path, script, source,
                   diagnostics);
}

}  // namespace

bool is_script_name(std::string_view text) {
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

bool is_binding_name(std::string_view text) {
  return !text.empty() && !std::isdigit(static_cast<unsigned char>(text.front())) &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
         });
}

bool is_known_compatibility_flag(std::string_view flag) {
  // The compatibility flags wsup knows: nodejs_compat turns on Node's built-in modules.
  return flag == "nodejs_compat";
}

// "YYYY-MM-DD", a real date.
bool is_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (const size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  const int year = std::stoi(std::string(text.substr(0, 4)));
  const int month = std::stoi(std::string(text.substr(5, 2)));
  const int day = std::stoi(std::string(text.substr(8, 2)));
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

void read_script_file(const std::filesystem::path& path, const SourceLocation& where,
                      const std::string& key_path, Script& script, std::string& source,
                      DiagnosticList& diagnostics) {
  std::error_code error;
  std::filesystem::path resolved = std::filesystem::absolute(path, error).lexically_normal();
  script.path = resolved.string();
  if (!std::filesystem::exists(resolved, error)) {
    diagnostics.add(where, key_path, "script file " + script.path + " does not exist");
  } else if (!std::filesystem::is_regular_file(resolved, error)) {
    diagnostics.add(where, key_path, "script file " + script.path + " is not a regular file");
  } else if (std::ifstream file(resolved, std::ios::binary); !file) {
    diagnostics.add(where, key_path, "script file " + script.path + " cannot be read");
  } else {
    source.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
}

void read_scripts(const Field& field, const std::filesystem::path& base_dir,
                  std::vector<Script>& scripts, DiagnosticList& diagnostics) {
  if (!field.value.IsSequence()) {
    diagnostics.add(field, "must be a list of scripts, got " + describe(field.value));
    return;
  }
  if (field.value.size() == 0) diagnostics.add(field, "must list at least one script");
  for (size_t i = 0; i < field.value.size(); ++i) {
    Field item{{}, field.value[i], index_path(field.path, i)};
    Script script;
    script.where = diagnostics.location(item);
    std::optional<bool> module;
    std::optional<bool> typed_module;  // from `type:`
    Field type_field;
    std::string source;
    Field vars_field, secrets_field, recycle_field, vars_file_field;
    bool has_name = false, has_path = false, has_routes = false;
    // The wrangler file first: the entry's own keys override what it says.
    if (item.value.IsMap()) {
      for (auto entry : item.value) {
        if (!entry.first.IsScalar() || entry.first.Scalar() != "wrangler") continue;
        // A file that cannot be read is its own error: no "name is missing" besides.
        const bool read =
            read_wrangler(Field{entry.first, entry.second, join_path(item.path, "wrangler")},
                          base_dir, script, source, diagnostics);
        has_name = !read || !script.name.empty();
        has_path = !read || !script.path.empty();
        break;
      }
    }
    bool is_map = for_each_field(
        item,
        {"name", "path", "type", "module", "routes", "vars", "secrets", "allow_eval",
         "compatibility_flags", "compatibility_date", "isolation", "snapshot", "warm_up", "recycle",
         "wrangler", "vars_file", "crons"},
        diagnostics, [&](const Field& f) {
          std::string_view key = f.key.Scalar();
          if (key == "name") {
            has_name = true;
            std::optional<std::string> name = read_string(f, diagnostics);
            if (name && !is_script_name(*name))
              diagnostics.add(
                  f, "\"" + *name + "\" is not a script name (1-64 letters, digits, - or _)");
            else if (name)
              script.name = *name;
          }
          if (key == "path") {
            has_path = true;
            read_path(f, base_dir, script, source, diagnostics);
          }
          if (key == "module") module = read_bool(f, diagnostics);
          if (key == "allow_eval") script.allow_eval = read_bool(f, diagnostics);
          if (key == "type") {
            type_field = f;
            std::optional<std::string> type = read_string(f, diagnostics);
            if (type == "module") {
              typed_module = true;
            } else if (type == "service-worker") {
              typed_module = false;
            } else if (type) {
              diagnostics.add(f, "\"" + *type + "\" is not a script type: write module (export " +
                                     "default { fetch }) or service-worker " +
                                     "(addEventListener('fetch', ...))");
            }
          }
          if (key == "routes") {
            has_routes = true;
            read_routes(f, script, diagnostics);
          }
          if (key == "compatibility_flags") read_compatibility_flags(f, script, diagnostics);
          if (key == "compatibility_date") {
            std::optional<std::string> date = read_string(f, diagnostics);
            if (date && is_date(*date))
              script.compatibility_date = *date;
            else if (date)
              diagnostics.add(f, "\"" + *date + "\" is not a date: write it as YYYY-MM-DD");
          }
          if (key == "vars") vars_field = f;
          if (key == "vars_file") vars_file_field = f;
          if (key == "secrets") secrets_field = f;
          if (key == "isolation") {
            if (auto choice = read_choice(f, {"request", "isolate"}, diagnostics))
              script.isolation = static_cast<Isolation>(*choice);
          }
          if (key == "snapshot") {
            if (auto on = read_bool(f, diagnostics)) script.snapshot = *on;
          }
          if (key == "warm_up") read_warm_up(f, script, diagnostics);
          if (key == "recycle") recycle_field = f;
          if (key == "crons") read_crons(f, script, diagnostics);
        });
    if (!is_map) continue;
    // vars (the wrangler file's, then vars_file's, then the entry's own) before secrets whatever
    // their order in the file, so a clash is always reported on the secret.
    if (vars_file_field.value.IsDefined() && !vars_file_field.path.empty())
      read_vars_file(vars_file_field, base_dir, script, diagnostics);
    if (vars_field.value.IsDefined() && !vars_field.path.empty())
      read_vars(vars_field, script, diagnostics);
    if (secrets_field.value.IsDefined() && !secrets_field.path.empty())
      read_secrets(secrets_field, script, diagnostics);
    if (recycle_field.value.IsDefined() && !recycle_field.path.empty()) {
      if (script.isolation != Isolation::isolate)
        diagnostics.add(recycle_field,
                        "applies to `isolation: isolate` only: a request-isolated script gets a "
                        "fresh context per request");
      else
        read_recycle(recycle_field, script, diagnostics);
    }
    if (!script.snapshot && !script.warm_up.empty())
      diagnostics.add(script.where, item.path + ".warm_up",
                      "needs `snapshot: true`: warm-up requests run before the snapshot is taken");
    if (!has_name)
      diagnostics.add(
          script.where, item.path + ".name",
          "is missing: every script needs a name (here, or `name` in its wrangler file)");
    if (!has_path)
      diagnostics.add(
          script.where, item.path + ".path",
          "is missing: every script needs a file (here, or `main` in its wrangler file)");
    if (!has_routes)
      diagnostics.add(script.where, item.path + ".routes", "is missing: add e.g. routes: [\"/*\"]");
    if (typed_module && module && *typed_module != *module) {
      diagnostics.add(type_field, "says " +
                                      std::string(*typed_module ? "module" : "service-worker") +
                                      " but `module:` says the opposite: keep one of the two");
    }
    if (!typed_module) typed_module = module;
    script.module =
        typed_module.value_or(script.path.ends_with(".mjs") || has_module_syntax(source));
    scripts.push_back(std::move(script));
  }
}

}  // namespace wsup::config::detail
