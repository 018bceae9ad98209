// A Workers script that signs and verifies JWTs with jose (npm, pinned in
// third_party/npm-packages.txt), which does all its cryptography through crypto.subtle.
// jose_test.cc bundles it with esbuild and serves it with the real `wsup start`.
//   GET  /roundtrip?alg=A  makes a key (pair) for A, signs a token, verifies it, and answers
//                          {alg, token, jwk (the verifying key), payload}
//   POST /verify           {token, jwk, alg}: the token's payload, or 401 with jose's error
import * as jose from 'jose';

async function keysFor(alg) {
  if (alg === 'HS256') {
    const secret = await jose.generateSecret(alg, {extractable: true});
    return {signing: secret, verifying: secret};
  }
  const pair = await jose.generateKeyPair(alg, {extractable: true});
  return {signing: pair.privateKey, verifying: pair.publicKey};
}

async function roundTrip(alg) {
  const {signing, verifying} = await keysFor(alg);
  const token = await new jose.SignJWT({sub: 'wsup', alg})
                    .setProtectedHeader({alg})
                    .setIssuedAt()
                    .setExpirationTime('1h')
                    .sign(signing);
  const {payload} = await jose.jwtVerify(token, verifying, {algorithms: [alg]});
  const jwk = await jose.exportJWK(verifying);
  return Response.json({alg, token, jwk, payload});
}

async function verify(request) {
  const {token, jwk, alg} = await request.json();
  const key = await jose.importJWK(jwk, alg);
  const {payload, protectedHeader} = await jose.jwtVerify(token, key, {algorithms: [alg]});
  return Response.json({payload, alg: protectedHeader.alg});
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    try {
      if (url.pathname === '/roundtrip') return await roundTrip(url.searchParams.get('alg'));
      if (url.pathname === '/verify') return await verify(request);
      return new Response('not found', {status: 404});
    } catch (error) {
      return Response.json({error: `${error.name}: ${error.message}`, code: error.code},
                           {status: 401});
    }
  },
};
