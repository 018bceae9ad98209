// eval() and new Function() for one script's contexts (cluster.yaml allow_eval): off by default,
// as on Cloudflare Workers. Applied to every context a script's code runs in: each request's
// fresh context (RequestContext) and the context the snapshot builder evaluates its top level in
// (evaluate_for_snapshot, in `wsup-worker --build-snapshot` or in process), so a top level that
// makes code from a string is refused before a snapshot could keep what it made.
#pragma once

#include <v8-context.h>

#include "worker/script_loader.h"

namespace wsup::worker {

// With allow_eval off, code generation from strings throws an EvalError that names the script
// and the setting; with it on, nothing changes.
void apply_code_generation_policy(v8::Local<v8::Context> context, const ScriptSpec& spec);

}  // namespace wsup::worker
