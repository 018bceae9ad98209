// JWTs made and checked with Node's own crypto (not jose, not WebCrypto), for jose_test.cc.
//   node node_tokens.mjs sign      prints one JSON line per algorithm: {alg, token, jwk}
//   node node_tokens.mjs verify F  reads such lines from the file F, prints "<alg> ok" or
//                                  "<alg> FAILED" per line
import crypto from 'node:crypto';
import fs from 'node:fs';

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
const json64 = (value) => b64url(JSON.stringify(value));

function signer(alg) {
  switch (alg) {
    case 'HS256': {
      const secret = crypto.randomBytes(32);
      return {
        sign: (input) => crypto.createHmac('sha256', secret).update(input).digest(),
        jwk: {kty: 'oct', k: b64url(secret)},
      };
    }
    case 'RS256': {
      const {privateKey, publicKey} = crypto.generateKeyPairSync('rsa', {modulusLength: 2048});
      return {
        sign: (input) => crypto.sign('sha256', Buffer.from(input), privateKey),
        jwk: publicKey.export({format: 'jwk'}),
      };
    }
    case 'ES256': {
      const {privateKey, publicKey} = crypto.generateKeyPairSync('ec', {namedCurve: 'P-256'});
      return {
        sign: (input) => crypto.sign('sha256', Buffer.from(input),
                                     {key: privateKey, dsaEncoding: 'ieee-p1363'}),
        jwk: publicKey.export({format: 'jwk'}),
      };
    }
    case 'EdDSA': {
      const {privateKey, publicKey} = crypto.generateKeyPairSync('ed25519');
      return {
        sign: (input) => crypto.sign(null, Buffer.from(input), privateKey),
        jwk: publicKey.export({format: 'jwk'}),
      };
    }
  }
  throw new Error(`unknown alg ${alg}`);
}

function verifies({alg, token, jwk}) {
  const [header, payload, signature] = token.split('.');
  const input = Buffer.from(`${header}.${payload}`);
  const bytes = Buffer.from(signature, 'base64url');
  if (JSON.parse(Buffer.from(header, 'base64url')).alg !== alg) return false;
  if (alg === 'HS256') {
    const mac = crypto.createHmac('sha256', Buffer.from(jwk.k, 'base64url')).update(input).digest();
    return mac.length === bytes.length && crypto.timingSafeEqual(mac, bytes);
  }
  const key = crypto.createPublicKey({key: jwk, format: 'jwk'});
  if (alg === 'ES256') return crypto.verify('sha256', input, {key, dsaEncoding: 'ieee-p1363'}, bytes);
  return crypto.verify(alg === 'EdDSA' ? null : 'sha256', input, key, bytes);
}

if (process.argv[2] === 'sign') {
  const now = Math.floor(Date.now() / 1000);
  for (const alg of ['HS256', 'RS256', 'ES256', 'EdDSA']) {
    const {sign, jwk} = signer(alg);
    const input = `${json64({alg, typ: 'JWT'})}.${json64({sub: 'node', iat: now, exp: now + 3600})}`;
    console.log(JSON.stringify({alg, token: `${input}.${b64url(sign(input))}`, jwk}));
  }
} else {
  for (const line of fs.readFileSync(process.argv[3], 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line);
    console.log(`${entry.alg} ${verifies(entry) ? 'ok' : 'FAILED'}`);
  }
}
