#include "worker/code_generation_policy.h"

#include "worker/js_values.h"

namespace wsup::worker {

void apply_code_generation_policy(v8::Local<v8::Context> context, const ScriptSpec& spec) {
  if (spec.allow_eval) return;
  // workerd's words, then ours: what is off, for which script, and the setting that turns it on.
  context->AllowCodeGenerationFromStrings(false);
  context->SetErrorMessageForCodeGenerationFromStrings(
      v8_string(context->GetIsolate(),
                "Code generation from strings disallowed for this context: eval() and new "
                "Function() are off for script \"" +
                    spec.name + "\" (cluster.yaml allow_eval: true turns them on)"));
}

}  // namespace wsup::worker
