#include "worker/script_loader.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "shared/log.h"
#include "worker/js_error.h"
#include "worker/node/node_builtins.h"
#include "worker/startup_error.h"

namespace wsup::worker {
namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path, const std::string& context) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw StartupError(context + "cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

v8::Local<v8::String> v8_string(v8::Isolate* isolate, const std::string& text) {
  return v8::String::NewFromUtf8(isolate, text.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(text.size()))
      .ToLocalChecked();
}

// The name V8 gives the script in stack traces and error locations: the file's path relative to
// the script's folder ("api.mjs", "lib/util.mjs"), never the host's layout (the config's
// absolute paths would tell every client that logs error.stack where the deployment lives).
v8::ScriptOrigin origin_for(v8::Isolate* isolate, const std::string& shown_name, bool module) {
  return v8::ScriptOrigin(isolate, v8_string(isolate, shown_name), 0, 0, false, -1, {}, false,
                          false, module);
}

std::vector<uint8_t> to_bytes(std::unique_ptr<v8::ScriptCompiler::CachedData> data) {
  if (!data) return {};
  return std::vector<uint8_t>(data->data, data->data + data->length);
}

// The source with its code cache attached (V8 deletes the CachedData, not the bytes).
v8::ScriptCompiler::Source cached_source(v8::Local<v8::String> text, const v8::ScriptOrigin& origin,
                                         const std::vector<uint8_t>& cache) {
  auto* data = cache.empty() ? nullptr
                             : new v8::ScriptCompiler::CachedData(
                                   cache.data(), static_cast<int>(cache.size()),
                                   v8::ScriptCompiler::CachedData::BufferNotOwned);
  return v8::ScriptCompiler::Source(text, origin, data);
}

// For the operator (`wsup check`, a worker that cannot start): the location names the file by
// its full path, where the script itself only ever sees `shown_name`.
[[noreturn]] void throw_compile_error(v8::Local<v8::Context> context, v8::TryCatch& try_catch,
                                      const std::string& path, const std::string& shown_name) {
  JsError error = describe_js_error(context, try_catch.Exception(), try_catch.Message());
  if (error.location.starts_with(shown_name + ":")) {
    error.location = path + error.location.substr(shown_name.size());
  }
  if (error.location.empty()) error.location = path;
  // A compile error is not "uncaught" in any sense a script author would recognize.
  if (error.message.starts_with("Uncaught ")) error.message.erase(0, 9);
  throw StartupError(compiler_style(error));
}

class ModuleGraphLoader {
 public:
  ModuleGraphLoader(v8::Local<v8::Context> context, const ScriptSpec& spec,
                    std::vector<std::string>* files_read)
      : files_read_(files_read),
        context_(context),
        root_(fs::path(spec.path).lexically_normal().parent_path()),
        nodejs_compat_(spec.has_flag("nodejs_compat")) {}

  std::vector<ModuleFile> load(const std::string& entry) {
    add(fs::path(entry).lexically_normal().string(), ModuleFile::Kind::file, "");
    return std::move(files_);
  }

 private:
  // Returns the index of `path` in files_, loading and compiling it the first time.
  size_t add(const std::string& path, ModuleFile::Kind kind, const std::string& importer_location) {
    for (size_t i = 0; i < files_.size(); ++i) {
      if (files_[i].path == path) return i;
    }
    v8::Isolate* isolate = context_->GetIsolate();
    v8::HandleScope scope(isolate);
    ModuleFile file;
    file.path = path;
    file.kind = kind;
    // A file is named relative to the entry's folder; a built-in by its specifier.
    file.shown_name =
        kind == ModuleFile::Kind::file ? fs::path(path).lexically_relative(root_).string() : path;
    const size_t index = files_.size();
    if (kind == ModuleFile::Kind::natives) {
      files_.push_back(std::move(file));
      return index;
    }
    if (kind == ModuleFile::Kind::file) {
      if (files_read_ != nullptr) files_read_->push_back(path);
      file.source = read_file(path, importer_location);
    }
    v8::TryCatch try_catch(isolate);
    v8::Local<v8::Module> module;
    if (!compile_module(isolate, file).ToLocal(&module)) {
      throw_compile_error(context_, try_catch, path, file.shown_name);
    }
    file.code_cache = to_bytes(std::unique_ptr<v8::ScriptCompiler::CachedData>(
        v8::ScriptCompiler::CreateCodeCache(module->GetUnboundModuleScript())));
    files_.push_back(std::move(file));

    v8::Local<v8::FixedArray> requests = module->GetModuleRequests();
    for (int i = 0; i < requests->Length(); ++i) {
      auto request = requests->Get(context_, i).As<v8::ModuleRequest>();
      v8::String::Utf8Value specifier_text(isolate, request->GetSpecifier());
      const std::string specifier = *specifier_text;
      v8::Location where = module->SourceOffsetToLocation(request->GetSourceOffset());
      const std::string location = path + ":" + std::to_string(where.GetLineNumber() + 1) + ":" +
                                   std::to_string(where.GetColumnNumber() + 1) + ": ";
      const auto [imported_kind, imported_path] = resolve(specifier, kind, path, location);
      const size_t imported = add(imported_path, imported_kind, location);
      files_[index].imports[specifier] = imported;
    }
    return index;
  }

  // What `specifier`, imported by the module at `importer_path` of `importer` kind, names: a
  // file of the script's folder, or a built-in. Throws StartupError (at `location`) for
  // anything else.
  std::pair<ModuleFile::Kind, std::string> resolve(const std::string& specifier,
                                                   ModuleFile::Kind importer,
                                                   const std::string& importer_path,
                                                   const std::string& location) const {
    const bool from_builtin = importer != ModuleFile::Kind::file;
    const node::Resolved builtin = node::resolve(specifier, from_builtin);
    switch (builtin.kind) {
      case node::SpecifierKind::natives:
        return {ModuleFile::Kind::natives, builtin.path};
      case node::SpecifierKind::builtin:
      case node::SpecifierKind::unsupported:
        if (!nodejs_compat_ && specifier.starts_with("node:")) {
          throw StartupError(location + specifier + " needs compatibility_flags: [nodejs_compat]");
        }
        if (!nodejs_compat_) break;  // a bare "buffer" is only a Node module with the flag
        if (builtin.kind == node::SpecifierKind::unsupported) {
          throw StartupError(location + "cannot import \"" + specifier + "\": " + builtin.path +
                             " is not one of the Node modules wsup offers (" +
                             node::offered_modules() + ")");
        }
        return {ModuleFile::Kind::builtin, builtin.path};
      case node::SpecifierKind::other:
        break;
    }
    if (!specifier.starts_with("./") && !specifier.starts_with("../")) {
      std::string hint;
      if (builtin.kind == node::SpecifierKind::builtin) {
        hint = " (with compatibility_flags: [nodejs_compat], \"" + specifier + "\" names " +
               builtin.path + ")";
      }
      throw StartupError(location + "cannot import \"" + specifier +
                         "\": only relative imports (./ or ../) of files in the script's "
                         "folder are supported" +
                         hint);
    }
    if (from_builtin) {
      throw StartupError(location + "a built-in module imports \"" + specifier + "\"");
    }
    fs::path target = (fs::path(importer_path).parent_path() / specifier).lexically_normal();
    auto [root_end, unused] = std::mismatch(root_.begin(), root_.end(), target.begin());
    if (root_end != root_.end()) {
      throw StartupError(location + "cannot import \"" + specifier +
                         "\": it lies outside the script's folder " + root_.string());
    }
    return {ModuleFile::Kind::file, target.string()};
  }

  std::vector<std::string>* files_read_;
  v8::Local<v8::Context> context_;
  fs::path root_;
  bool nodejs_compat_;
  std::vector<ModuleFile> files_;
};

}  // namespace

LoadedScript load_script(v8::Isolate* isolate, const ScriptSpec& spec,
                         std::vector<std::string>* files_read) {
  LoadedScript script;
  script.spec = spec;
  v8::HandleScope scope(isolate);
  v8::Local<v8::Context> context = v8::Context::New(isolate);
  v8::Context::Scope context_scope(context);
  if (spec.module) {
    script.modules = ModuleGraphLoader(context, spec, files_read).load(spec.path);
  } else {
    if (files_read != nullptr) files_read->push_back(spec.path);
    script.source = read_file(spec.path, "");
    script.shown_name = fs::path(spec.path).filename().string();
    v8::TryCatch try_catch(isolate);
    v8::ScriptOrigin origin = origin_for(isolate, script.shown_name, false);
    v8::ScriptCompiler::Source source(v8_string(isolate, script.source), origin);
    v8::Local<v8::UnboundScript> unbound;
    if (!v8::ScriptCompiler::CompileUnboundScript(isolate, &source).ToLocal(&unbound)) {
      throw_compile_error(context, try_catch, spec.path, script.shown_name);
    }
    script.code_cache = to_bytes(std::unique_ptr<v8::ScriptCompiler::CachedData>(
        v8::ScriptCompiler::CreateCodeCache(unbound)));
  }
  for (const auto& [binding, variable] : spec.secrets) {
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr) {
      log::warn("secret not bound: environment variable is not set",
                {{"script", spec.name}, {"binding", binding}, {"variable", variable}});
      continue;
    }
    script.secret_values.emplace_back(binding, value);
  }
  return script;
}

v8::MaybeLocal<v8::UnboundScript> compile_service_worker(v8::Isolate* isolate,
                                                         const LoadedScript& script) {
  v8::ScriptOrigin origin = origin_for(isolate, script.shown_name, false);
  v8::ScriptCompiler::Source source =
      cached_source(v8_string(isolate, script.source), origin, script.code_cache);
  const auto options = script.code_cache.empty() ? v8::ScriptCompiler::kNoCompileOptions
                                                 : v8::ScriptCompiler::kConsumeCodeCache;
  return v8::ScriptCompiler::CompileUnboundScript(isolate, &source, options);
}

bool ScriptSpec::has_flag(std::string_view flag) const {
  return std::find(compatibility_flags.begin(), compatibility_flags.end(), flag) !=
         compatibility_flags.end();
}

v8::MaybeLocal<v8::Module> compile_module(v8::Isolate* isolate, const ModuleFile& file) {
  if (file.kind == ModuleFile::Kind::natives) return node::natives_module(isolate);
  v8::ScriptOrigin origin = origin_for(isolate, file.shown_name, true);
  v8::Local<v8::String> text;
  if (file.kind == ModuleFile::Kind::builtin) {
    if (!node::builtin_source(isolate, file.path).ToLocal(&text)) return {};
  } else {
    text = v8_string(isolate, file.source);
  }
  v8::ScriptCompiler::Source source = cached_source(text, origin, file.code_cache);
  const auto options = file.code_cache.empty() ? v8::ScriptCompiler::kNoCompileOptions
                                               : v8::ScriptCompiler::kConsumeCodeCache;
  return v8::ScriptCompiler::CompileModule(isolate, &source, options);
}

}  // namespace wsup::worker
