// Helpers for the SubtleCrypto tests: a fixture whose Run() evaluates the body of an async
// function with a few helpers in scope (hex/unhex, text, b64url), runs microtasks, and returns
// String(result), or "REJECTED: <name>: <message>".
#pragma once

#include <string>

#include "tests/worker/web/js_test_fixture.h"

namespace wsup::test {

class SubtleTest : public WebPlatformTest {
 protected:
  std::string Run(const std::string& body) {
    return EvalAsync("(async () => {\n" + std::string(kPrelude) + body +
                     "\n})().catch((e) => { throw `${e.name}: ${e.message}`; })");
  }

  static constexpr const char* kPrelude = R"JS(
    const hex = (b) => Array.from(new Uint8Array(b.buffer ?? b, b.byteOffset ?? 0,
        b.byteLength), (x) => x.toString(16).padStart(2, '0')).join('');
    const unhex = (s) => new Uint8Array(s.match(/../g)?.map((x) => parseInt(x, 16)) ?? []);
    const text = (s) => new TextEncoder().encode(s);
    const b64url = (b) => btoa(String.fromCharCode(...new Uint8Array(b)))
        .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const unb64url = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')),
        (c) => c.charCodeAt(0));
    const subtle = crypto.subtle;
  )JS";
};

}  // namespace wsup::test
