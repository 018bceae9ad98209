// The key operations of each WebCrypto algorithm: import (raw, spki, pkcs8, jwk), export and
// generate, as internal.webCrypto.keyKinds[name] = {importKey, exportKey, generateKey,
// keyLength}. The checks follow the spec's steps in order (usages first: SyntaxError; then the
// data: DataError); the bytes are natives' (natives_crypto_keys.cc, natives_crypto_jwk.cc).
(function(global, natives, internal) {
'use strict';
const webCrypto = internal.webCrypto;
const {errors, limits} = webCrypto;
const {
  importSecret, generateSecret, exportSecret, importSpki, importPkcs8, importRaw, keyInfo,
  exportSpki, exportPkcs8, exportRaw, publicKeyOf, generateRsa, generateKeyPair, importJwk,
  exportJwk
} = natives;

function newKey(type, extractable, algorithm, usages, handle) {
  return webCrypto.newCryptoKey(type, extractable, algorithm, usages, handle);
}
function checkUsages(usages, allowed, name) {
  for (const usage of usages) {
    if (!allowed.includes(usage))
      throw errors.syntax(`${name}: '${usage}' is not a valid usage for this key`);
  }
}
function intersect(usages, allowed) { return usages.filter((usage) => allowed.includes(usage)); }

// ---- JSON Web Keys --------------------------------------------------------------------------
const kJwkMembers = [
  'alg', 'crv', 'd', 'dp', 'dq', 'e', 'ext', 'k', 'key_ops', 'kty', 'n', 'oth', 'p', 'q', 'qi',
  'use', 'x', 'y'
];
// The JsonWebKey dictionary (WebIDL): members read in order and converted to their types.
function toJsonWebKey(value) {
  const jwk = {__proto__: null};
  if (value === undefined || value === null) return jwk;
  if (typeof value !== 'object' && typeof value !== 'function')
    throw new TypeError('keyData must be a JsonWebKey dictionary for the \'jwk\' format');
  for (const member of kJwkMembers) {
    const item = value[member];
    if (item === undefined) continue;
    if (member === 'ext') {
      jwk.ext = Boolean(item);
    } else if (member === 'key_ops') {
      if (item === null || typeof item !== 'object' || typeof item[Symbol.iterator] !== 'function')
        throw new TypeError('The JWK\'s \'key_ops\' must be a sequence of strings');
      jwk.key_ops = Array.from(item, webCrypto.toDOMString);
    } else if (member === 'oth') {
      jwk.oth = item;  // multi-prime RSA: refused by the RSA import below
    } else {
      jwk[member] = webCrypto.toDOMString(item);
    }
  }
  return jwk;
}

// The checks common to every JWK import (WebCrypto's import steps for 'jwk').
function checkJwk(jwk, kty, usages, extractable, use) {
  if (jwk.kty !== kty) throw errors.data(`The JWK's 'kty' must be '${kty}'`);
  if (usages.length > 0 && jwk.use !== undefined && jwk.use !== use)
    throw errors.data(`The JWK's 'use' must be '${use}'`);
  if (jwk.key_ops !== undefined) {
    if (new Set(jwk.key_ops).size !== jwk.key_ops.length)
      throw errors.data('The JWK\'s \'key_ops\' has duplicates');
    for (const usage of usages) {
      if (!jwk.key_ops.includes(usage))
        throw errors.data(`The JWK's 'key_ops' does not allow '${usage}'`);
    }
  }
  if (jwk.ext === false && extractable)
    throw errors.data('The JWK is not extractable (\'ext\' is false)');
}
function checkJwkAlg(jwk, expected) {
  if (jwk.alg !== undefined && jwk.alg !== expected)
    throw errors.data(`The JWK's 'alg' is '${jwk.alg}', expected '${expected}'`);
}
function jwkOf(key, fields) {
  return {
    ...fields,
    key_ops: [...webCrypto.keyUsagesOf(key)],
    ext: webCrypto.keyExtractable(key),
  };
}
// The data of a non-jwk format must be a BufferSource, and a jwk a dictionary.
function keyDataFor(format, keyData) {
  if (format === 'jwk') {
    if (webCrypto.isBufferSource(keyData))
      throw new TypeError('keyData must be a JsonWebKey dictionary for the \'jwk\' format');
    return toJsonWebKey(keyData);
  }
  if (!webCrypto.isBufferSource(keyData))
    throw new TypeError(`keyData must be a BufferSource for the '${format}' format`);
  return webCrypto.bufferSource(keyData, 'keyData');
}

const kHashSuffix = {'SHA-1': '1', 'SHA-256': '256', 'SHA-384': '384', 'SHA-512': '512'};
const kBlockBits = {'SHA-1': 512, 'SHA-256': 512, 'SHA-384': 1024, 'SHA-512': 1024};

// ---- secret keys: HMAC, AES-*, PBKDF2, HKDF -------------------------------------------------
function secretBits(handle) { return keyInfo(handle)[2] * 8; }

function importSecretData(format, keyData, extractable, usages, use) {
  if (format === 'raw') return importSecret(keyData);
  if (format !== 'jwk') throw errors.notSupported(`Secret keys cannot be imported as '${format}'`);
  checkJwk(keyData, 'oct', usages, extractable, use);
  if (keyData.k === undefined) throw errors.data('The JWK has no \'k\' member');
  return importJwk('oct', [keyData.k]);
}
function exportSecretData(format, key, alg) {
  const handle = webCrypto.keyHandle(key);
  if (format === 'raw') return exportSecret(handle);
  if (format !== 'jwk') throw errors.notSupported(`Secret keys cannot be exported as '${format}'`);
  return jwkOf(key, {kty: 'oct', k: exportJwk(handle)[0], alg});
}

const hmac = {
  importKey(format, keyData, algorithm, extractable, usages) {
    checkUsages(usages, ['sign', 'verify'], 'HMAC');
    const handle = importSecretData(format, keyData, extractable, usages, 'sig');
    if (format === 'jwk') checkJwkAlg(keyData, `HS${kHashSuffix[algorithm.hash.name]}`);
    const bits = secretBits(handle);
    if (bits === 0) throw errors.data('HMAC: the key is empty');
    let length = bits;
    if (algorithm.length !== undefined) {
      if (algorithm.length > bits || algorithm.length <= bits - 8)
        throw errors.data(`HMAC: length ${algorithm.length} does not match the key's ${bits} bits`);
      length = algorithm.length;
    }
    return newKey(
        'secret', extractable, {name: 'HMAC', length, hash: algorithm.hash}, usages, handle);
  },
  exportKey(format, key) {
    const {hash} = webCrypto.keyAlgorithm(key);
    return exportSecretData(format, key, `HS${kHashSuffix[hash.name]}`);
  },
  generateKey(algorithm, extractable, usages) {
    checkUsages(usages, ['sign', 'verify'], 'HMAC');
    const length = hmac.keyLength(algorithm, errors.operation);
    return newKey('secret', extractable, {name: 'HMAC', length, hash: algorithm.hash}, usages,
                  generateSecret(Math.ceil(length / 8)));
  },
  keyLength(algorithm, error = (message) => new TypeError(message)) {
    if (algorithm.length === undefined) return kBlockBits[algorithm.hash.name];
    if (algorithm.length === 0) throw error('HMAC: length must not be zero');
    return algorithm.length;
  },
};

function aes(name, allowed, mode) {
  const checkLength = (bits, error) => {
    if (bits !== 128 && bits !== 192 && bits !== 256)
      throw error(`${name}: the key length must be 128, 192 or 256 bits, not ${bits}`);
  };
  return {
    importKey(format, keyData, algorithm, extractable, usages) {
      checkUsages(usages, allowed, name);
      const handle = importSecretData(format, keyData, extractable, usages, 'enc');
      const length = secretBits(handle);
      checkLength(length, errors.data);
      if (format === 'jwk') checkJwkAlg(keyData, `A${length}${mode}`);
      return newKey('secret', extractable, {name, length}, usages, handle);
    },
    exportKey(format, key) {
      return exportSecretData(format, key, `A${webCrypto.keyAlgorithm(key).length}${mode}`);
    },
    generateKey(algorithm, extractable, usages) {
      checkUsages(usages, allowed, name);
      checkLength(algorithm.length, errors.operation);
      return newKey('secret', extractable, {name, length: algorithm.length}, usages,
                    generateSecret(algorithm.length / 8));
    },
    keyLength(algorithm) {
      checkLength(algorithm.length, errors.operation);
      return algorithm.length;
    },
  };
}
const kAesUsages = ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'];

function kdf(name) {
  return {
    importKey(format, keyData, algorithm, extractable, usages) {
      if (format !== 'raw') throw errors.notSupported(`${name} keys can only be imported as 'raw'`);
      checkUsages(usages, ['deriveKey', 'deriveBits'], name);
      if (extractable) throw errors.syntax(`${name} keys cannot be extractable`);
      return newKey('secret', false, {name}, usages, importSecret(keyData));
    },
    keyLength() { return null; },
  };
}

// ---- asymmetric keys ------------------------------------------------------------------------
// What spki/pkcs8/jwk import gives: [handle, info] once the info's kind is the one expected.
function importAsymmetric(format, keyData, kind, jwkKind, jwkMembers) {
  let handle;
  if (format === 'spki') handle = importSpki(keyData);
  else if (format === 'pkcs8') handle = importPkcs8(keyData);
  else handle = importJwk(jwkKind, jwkMembers);
  const info = keyInfo(handle);
  if (info[0] !== kind) throw errors.data(`The key data holds no ${kind} key`);
  return [handle, info];
}
function exportAsymmetric(format, key, jwkFields) {
  const handle = webCrypto.keyHandle(key);
  const type = webCrypto.keyType(key);
  switch (format) {
    case 'spki':
      if (type !== 'public') throw errors.invalidAccess('Only public keys export as \'spki\'');
      return exportSpki(handle);
    case 'pkcs8':
      if (type !== 'private') throw errors.invalidAccess('Only private keys export as \'pkcs8\'');
      return exportPkcs8(handle);
    case 'raw':
      if (type !== 'public') throw errors.invalidAccess('Only public keys export as \'raw\'');
      return exportRaw(handle);
    default:
      return jwkOf(key, jwkFields(exportJwk(handle)));
  }
}
function keyPair(name, algorithm, extractable, usages, privateHandle, publicUsages,
                 privateUsages) {
  const publicHandle = publicKeyOf(privateHandle);
  return {
    publicKey: newKey('public', true, algorithm, intersect(usages, publicUsages), publicHandle),
    privateKey:
        newKey('private', extractable, algorithm, intersect(usages, privateUsages), privateHandle),
  };
}

const kRsaJwkAlg = {
  'RSASSA-PKCS1-v1_5': (suffix) => `RS${suffix}`,
  'RSA-PSS': (suffix) => `PS${suffix}`,
  'RSA-OAEP': (suffix) => (suffix === '1' ? 'RSA-OAEP' : `RSA-OAEP-${suffix}`),
};
function rsa(name, publicUsages, privateUsages, use) {
  const jwkAlg = (hash) => kRsaJwkAlg[name](kHashSuffix[hash.name]);
  const rsaAlgorithm = (info, hash) =>
      ({name, modulusLength: info[2], publicExponent: info[3], hash});
  return {
    importKey(format, keyData, algorithm, extractable, usages) {
      if (format === 'raw') throw errors.notSupported(`${name} keys cannot be imported as 'raw'`);
      const isPrivate = format === 'pkcs8' || (format === 'jwk' && keyData.d !== undefined);
      checkUsages(usages, isPrivate ? privateUsages : publicUsages, name);
      let members;
      if (format === 'jwk') {
        checkJwk(keyData, 'RSA', usages, extractable, use);
        checkJwkAlg(keyData, jwkAlg(algorithm.hash));
        if (keyData.oth !== undefined)
          throw errors.notSupported('Multi-prime RSA keys (\'oth\') are not supported');
        const {n, e, d, p, q, dp, dq, qi} = keyData;
        members = isPrivate ? [n, e, d, p, q, dp, dq, qi] : [n, e];
      }
      const [handle, info] = importAsymmetric(format, keyData, 'RSA', 'RSA', members);
      if (info[2] < limits.rsaMinimumBits || info[2] > limits.rsaImportBits) {
        throw errors.notSupported(`${name}: RSA keys of ${info[2]} bits are not supported ` +
                                  `(wsup takes ${limits.rsaMinimumBits} to ` +
                                  `${limits.rsaImportBits}: a private-key operation on a larger ` +
                                  'key would outlast a request\'s CPU limit)');
      }
      return newKey(isPrivate ? 'private' : 'public', extractable,
                    rsaAlgorithm(info, algorithm.hash), usages, handle);
    },
    exportKey(format, key) {
      if (format === 'raw') throw errors.notSupported(`${name} keys cannot be exported as 'raw'`);
      return exportAsymmetric(format, key, (parts) => {
        const [n, e, d, p, q, dp, dq, qi] = parts;
        const fields = {kty: 'RSA', alg: jwkAlg(webCrypto.keyAlgorithm(key).hash), n, e};
        return d === undefined ? fields : {...fields, d, p, q, dp, dq, qi};
      });
    },
    generateKey(algorithm, extractable, usages) {
      checkUsages(usages, [...publicUsages, ...privateUsages], name);
      const bits = algorithm.modulusLength;
      if (bits % 8 !== 0 || bits < limits.rsaMinimumBits)
        throw errors.operation(`${name}: modulusLength must be a multiple of 8, at least 256`);
      if (bits > limits.rsaGenerateBits) {
        throw errors.notSupported(
            `${name}: generating RSA keys above ${limits.rsaGenerateBits} bits is not supported ` +
            '(it would outlast a request\'s CPU limit); generate the key elsewhere and import it');
      }
      const exponent = algorithm.publicExponent;
      const e = exponent.reduce((value, byte) => value * 256 + byte, 0);
      if (e !== 3 && e !== 65537)
        throw errors.operation(`${name}: publicExponent must be 3 or 65537`);
      const handle = generateRsa(bits, exponent);
      return keyPair(name, rsaAlgorithm(keyInfo(handle), algorithm.hash), extractable, usages,
                     handle, publicUsages, privateUsages);
    },
  };
}

const kCurves = ['P-256', 'P-384', 'P-521'];
const kEcdsaJwkAlg = {'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512'};
function ec(name, publicUsages, privateUsages, use) {
  const checkCurve = (curve) => {
    if (!kCurves.includes(curve))
      throw errors.notSupported(`${name}: the curve '${curve}' is not supported`);
  };
  return {
    importKey(format, keyData, algorithm, extractable, usages) {
      const curve = algorithm.namedCurve;
      const isPrivate = format === 'pkcs8' || (format === 'jwk' && keyData.d !== undefined);
      checkUsages(usages, isPrivate ? privateUsages : publicUsages, name);
      checkCurve(curve);
      let handle;
      if (format === 'raw') {
        handle = importRaw(curve, keyData);
      } else {
        if (format === 'jwk') {
          checkJwk(keyData, 'EC', usages, extractable, use);
          if (keyData.crv !== curve)
            throw errors.data(`The JWK's 'crv' must be '${curve}'`);
          if (name === 'ECDSA') checkJwkAlg(keyData, kEcdsaJwkAlg[curve]);
        }
        const [imported, info] =
            importAsymmetric(format, keyData, 'EC', curve, [keyData.x, keyData.y, keyData.d]);
        if (info[2] !== curve) throw errors.data(`${name}: the key is not on ${curve}`);
        handle = imported;
      }
      return newKey(isPrivate ? 'private' : 'public', extractable, {name, namedCurve: curve},
                    usages, handle);
    },
    exportKey(format, key) {
      const curve = webCrypto.keyAlgorithm(key).namedCurve;
      return exportAsymmetric(format, key, ([x, y, d]) => {
        const fields = {kty: 'EC', crv: curve, x, y};
        return d === undefined ? fields : {...fields, d};
      });
    },
    generateKey(algorithm, extractable, usages) {
      checkUsages(usages, [...publicUsages, ...privateUsages], name);
      checkCurve(algorithm.namedCurve);
      return keyPair(name, {name, namedCurve: algorithm.namedCurve}, extractable, usages,
                     generateKeyPair(algorithm.namedCurve), publicUsages, privateUsages);
    },
  };
}

// Ed25519 and X25519 (OKP keys, RFC 8037).
function okp(name, publicUsages, privateUsages, use) {
  return {
    importKey(format, keyData, algorithm, extractable, usages) {
      const isPrivate = format === 'pkcs8' || (format === 'jwk' && keyData.d !== undefined);
      checkUsages(usages, isPrivate ? privateUsages : publicUsages, name);
      let handle;
      if (format === 'raw') {
        handle = importRaw(name, keyData);
      } else {
        if (format === 'jwk') {
          checkJwk(keyData, 'OKP', usages, extractable, use);
          if (keyData.crv !== name) throw errors.data(`The JWK's 'crv' must be '${name}'`);
          if (name === 'Ed25519' && keyData.alg !== undefined && keyData.alg !== 'Ed25519')
            checkJwkAlg(keyData, 'EdDSA');
        }
        handle = importAsymmetric(format, keyData, name, name, [keyData.x, keyData.d])[0];
      }
      return newKey(isPrivate ? 'private' : 'public', extractable, {name}, usages, handle);
    },
    exportKey(format, key) {
      return exportAsymmetric(format, key, ([x, d]) => {
        const fields = {kty: 'OKP', crv: name, x};
        if (name === 'Ed25519') fields.alg = 'EdDSA';  // what Workers and jose write
        return d === undefined ? fields : {...fields, d};
      });
    },
    generateKey(algorithm, extractable, usages) {
      checkUsages(usages, [...publicUsages, ...privateUsages], name);
      return keyPair(name, {name}, extractable, usages, generateKeyPair(name), publicUsages,
                     privateUsages);
    },
  };
}

const kDerive = ['deriveKey', 'deriveBits'];
webCrypto.keyKinds = {
  __proto__: null,
  'HMAC': hmac,
  'AES-CTR': aes('AES-CTR', kAesUsages, 'CTR'),
  'AES-CBC': aes('AES-CBC', kAesUsages, 'CBC'),
  'AES-GCM': aes('AES-GCM', kAesUsages, 'GCM'),
  'AES-KW': aes('AES-KW', ['wrapKey', 'unwrapKey'], 'KW'),
  'PBKDF2': kdf('PBKDF2'),
  'HKDF': kdf('HKDF'),
  'RSASSA-PKCS1-v1_5': rsa('RSASSA-PKCS1-v1_5', ['verify'], ['sign'], 'sig'),
  'RSA-PSS': rsa('RSA-PSS', ['verify'], ['sign'], 'sig'),
  'RSA-OAEP': rsa('RSA-OAEP', ['encrypt', 'wrapKey'], ['decrypt', 'unwrapKey'], 'enc'),
  'ECDSA': ec('ECDSA', ['verify'], ['sign'], 'sig'),
  'ECDH': ec('ECDH', [], kDerive, 'enc'),
  'Ed25519': okp('Ed25519', ['verify'], ['sign'], 'sig'),
  'X25519': okp('X25519', [], kDerive, 'enc'),
};
webCrypto.keyDataFor = keyDataFor;
})
