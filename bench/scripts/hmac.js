// Benchmark scenario "hmac": imports an HMAC-SHA-256 key and signs 1 KiB per request, as a
// webhook signature or signed-cookie check does, and answers the MAC in hex.
const encoder = new TextEncoder();
const secret = encoder.encode("bench secret key, 32 bytes long!");
const data = encoder.encode("abcdefghijklmnop".repeat(64));

async function sign() {
  const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false,
    ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, data));
  return new Response(Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("") + "\n");
}

addEventListener("fetch", (event) => event.respondWith(sign()));
