// A script's bindings (cluster.yaml `vars` and `secrets`) as JavaScript sees them: the `env`
// object a module's fetch(request, env, ctx) gets, or globals for a service worker, as on
// Cloudflare Workers. Made per request for a fresh context, or once into the snapshot context
// of a script whose top level the snapshot holds.
#pragma once

#include <v8.h>

#include "worker/script_loader.h"

namespace wsup::worker {

// A new `env` object: each var parsed from its JSON text (odd text stays a string), each secret
// a string.
v8::Local<v8::Object> make_env(v8::Local<v8::Context> context, const LoadedScript& script);

// Defines every property of `env` as a global of `context`. False with an exception pending.
bool bind_env_as_globals(v8::Local<v8::Context> context, v8::Local<v8::Object> env);

}  // namespace wsup::worker
