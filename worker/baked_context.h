// Which of the startup snapshot's contexts a request's fresh context is made from. They differ
// only in cost, never in what a script can observe: `plain` carries every lazy web platform
// family unbuilt (its first use in a request builds it there, ~40-135 µs), the others carry
// some families already built (the snapshot's deserializer then pays a fraction of that for
// every request). A worker picks one from the words its scripts use.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "worker/script_loader.h"

namespace wsup::worker {

enum class BakedContext : size_t {
  plain,   // the snapshot's default context
  url,     // URL and URLSearchParams built: most fetch handlers parse their request's URL
  all,     // every lazy family built but SubtleCrypto (it would cost each request ~40 µs more)
           // and the large ones built only on first use (streams, Blob/FormData)
  crypto,  // as `all`, SubtleCrypto included: scripts that use crypto.subtle
};
inline constexpr BakedContext kBakedContexts[] = {BakedContext::plain, BakedContext::url,
                                                  BakedContext::all, BakedContext::crypto};

// The lazy families (numbered as web::lazy_family_globals) built into `kind`.
std::vector<size_t> families_baked_into(BakedContext kind);

// The context for `scripts`, from the lazy families whose globals their text names (the
// families built on first use only are never baked and count for nothing): `crypto` when it
// names SubtleCrypto's (or `subtle`, as in crypto.subtle), else `plain` for none (or one that is
// cheaper built lazily), `url` for URL's alone, `all` otherwise. `all` and `crypto` leave out
// the families built on first use only.
BakedContext baked_context_for(const std::vector<LoadedScript>& scripts);

std::string_view to_string(BakedContext kind);

}  // namespace wsup::worker
