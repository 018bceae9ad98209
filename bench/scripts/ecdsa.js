// Benchmark scenario "ecdsa": imports a P-256 public key from its JWK and verifies an ECDSA
// (SHA-256) signature over 1 KiB per request, as checking an ES256 JWT does.
const publicJwk = {
  kty: "EC",
  crv: "P-256",
  x: "AM9kLO-uvwkFcPlTAGgIYfU7cM-2P8boR559edCVPcA",
  y: "dWFslCoJW1eHJSeNbnHv41X0hW0IXYvgULu4FSOmaOY",
};
const signatureBase64Url =
  "ikHdkS4i2cGa_hPodHkegq1Kg77c7RB3Yl9drojG6iw8eEL7Ns3q1FjqkViGi8T_Bh1f0utdNoAtvnxTWqxGcA";
const data = new TextEncoder().encode("abcdefghijklmnop".repeat(64));

function fromBase64Url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function verify() {
  const key = await crypto.subtle.importKey("jwk", publicJwk, { name: "ECDSA", namedCurve: "P-256" },
    false, ["verify"]);
  const valid = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key,
    fromBase64Url(signatureBase64Url), data);
  return new Response(valid ? "valid\n" : "invalid\n");
}

addEventListener("fetch", (event) => event.respondWith(verify()));
