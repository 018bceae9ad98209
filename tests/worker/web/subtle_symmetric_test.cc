// SubtleCrypto's symmetric algorithms against the standards' own known answers: RFC 4231 (HMAC),
// the GCM specification's test cases and a NIST CAVP vector (AES-GCM), SP 800-38A F.2 and F.5
// (AES-CBC, AES-CTR), RFC 3394 (AES-KW), RFC 5869 (HKDF), RFC 6070 and RFC 7914 section 11
// (PBKDF2 with SHA-1 and SHA-256).
#include "tests/worker/web/subtle_test_support.h"

namespace wsup::test {
namespace {

using SymmetricTest = SubtleTest;

// hmac(keyBytes, hash, data) -> hex of the MAC, and whether verify accepts it.
constexpr const char* kHmac = R"JS(
  const hmac = async (keyBytes, hash, data) => {
    const key = await subtle.importKey('raw', keyBytes, {name: 'HMAC', hash}, false,
                                       ['sign', 'verify']);
    const mac = await subtle.sign('HMAC', key, data);
    return hex(mac) + (await subtle.verify('HMAC', key, mac, data) ? '' : ' (verify failed)');
  };
)JS";

TEST_F(SymmetricTest, HmacMatchesRfc4231) {
  const std::string run = kHmac;
  // Test case 1.
  EXPECT_EQ(Run(run + "return hmac(new Uint8Array(20).fill(0x0b), 'SHA-256', text('Hi There'));"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(Run(run + "return hmac(new Uint8Array(20).fill(0x0b), 'SHA-384', text('Hi There'));"),
            "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
            "faea9ea9076ede7f4af152e8b2fa9cb6");
  EXPECT_EQ(Run(run + "return hmac(new Uint8Array(20).fill(0x0b), 'SHA-512', text('Hi There'));"),
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
            "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
  // Test case 2: a key shorter than the output.
  EXPECT_EQ(
      Run(run + "return hmac(text('Jefe'), 'SHA-256', text('what do ya want for nothing?'));"),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test cases 6 and 7: a key longer than the hash's block (hashed first).
  EXPECT_EQ(Run(run + "return hmac(new Uint8Array(131).fill(0xaa), 'SHA-256',"
                      "  text('Test Using Larger Than Block-Size Key - Hash Key First'));"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(Run(run + "return hmac(new Uint8Array(131).fill(0xaa), 'SHA-256', text("
                      "'This is a test using a larger than block-size key and a larger than "
                      "block-size data. The key needs to be hashed before being used by the HMAC "
                      "algorithm.'));"),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST_F(SymmetricTest, HmacVerifyRejectsAnyChangeAndWrongLengths) {
  EXPECT_EQ(Run("const key = await subtle.importKey('raw', text('Jefe'),"
                "  {name: 'HMAC', hash: 'SHA-256'}, false, ['verify', 'sign']);"
                "const data = text('what do ya want for nothing?');"
                "const mac = new Uint8Array(await subtle.sign('HMAC', key, data));"
                "const flipped = mac.slice(); flipped[31] ^= 1;"
                "return [await subtle.verify('HMAC', key, mac, data),"
                "        await subtle.verify('HMAC', key, flipped, data),"
                "        await subtle.verify('HMAC', key, mac.subarray(0, 31), data),"
                "        await subtle.verify('HMAC', key, mac, text('what do ya want'))].join();"),
            "true,false,false,false");
}

// aesGcm(keyHex, ivHex, plainHex, aadHex) -> 'ciphertext tag' in hex, after checking that
// decrypt gives the plaintext back.
constexpr const char* kGcm = R"JS(
  const aesGcm = async (keyHex, ivHex, plainHex, aadHex) => {
    const key = await subtle.importKey('raw', unhex(keyHex), 'AES-GCM', false,
                                       ['encrypt', 'decrypt']);
    const params = {name: 'AES-GCM', iv: unhex(ivHex)};
    if (aadHex) params.additionalData = unhex(aadHex);
    const sealed = new Uint8Array(await subtle.encrypt(params, key, unhex(plainHex)));
    const opened = await subtle.decrypt(params, key, sealed);
    if (hex(opened) !== plainHex) return 'round trip failed';
    const cut = sealed.length - 16;
    return hex(sealed.subarray(0, cut)) + ' ' + hex(sealed.subarray(cut));
  };
)JS";

TEST_F(SymmetricTest, AesGcmMatchesTheGcmSpecificationAndCavpVectors) {
  const std::string run = kGcm;
  // McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 2, 4 and 16.
  EXPECT_EQ(
      Run(run + "return aesGcm('00000000000000000000000000000000', '000000000000000000000000',"
                "  '00000000000000000000000000000000');"),
      "0388dace60b6a392f328c2b971b2fe78 ab6e47d42cec13bdf53a67b21257bddf");
  const std::string plain =
      "'d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39'";
  EXPECT_EQ(Run(run +
                "return aesGcm('feffe9928665731c6d6a8f9467308308', "
                "'cafebabefacedbaddecaf888', " +
                plain + ", 'feedfacedeadbeeffeedfacedeadbeefabaddad2');"),
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
            "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091 "
            "5bc94fbc3221a5db94fae95ae7121a47");
  EXPECT_EQ(Run(run +
                "return aesGcm('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',"
                " 'cafebabefacedbaddecaf888', " +
                plain + ", 'feedfacedeadbeeffeedfacedeadbeefabaddad2');"),
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662 "
            "76fc6ece0f4e1768cddf8853bb2d551b");
  // NIST CAVP gcmEncryptExtIV128.rsp, [Keylen = 128, IVlen = 96, PTlen = 0], Count = 0.
  EXPECT_EQ(Run(run + "return aesGcm('11754cd72aec309bf52f7687212e8957', "
                      "'3c819d9a9bed087615030b65', '');"),
            " 250327c674aaf477aef2675748cf6971");
}

TEST_F(SymmetricTest, AesGcmRejectsATamperedMessageAndHonoursTagLength) {
  EXPECT_EQ(Run("const key = await subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false,"
                "  ['encrypt', 'decrypt']);"
                "const params = {name: 'AES-GCM', iv: new Uint8Array(12), tagLength: 96};"
                "const sealed = new Uint8Array(await subtle.encrypt(params, key, text('hello')));"
                "const tampered = sealed.slice(); tampered[0] ^= 1;"
                "const name = await subtle.decrypt(params, key, tampered).catch((e) => e.name);"
                "const short = await subtle.decrypt(params, key, sealed.subarray(0, 8))"
                "  .catch((e) => e.name);"
                "return [sealed.length, name, short].join();"),
            "17,OperationError,OperationError");
}

TEST_F(SymmetricTest, AesCbcAndCtrMatchSp80038a) {
  const std::string plain =
      "const plain = unhex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710');"
      "const run = async (name, keyHex, params) => {"
      "  const key = await subtle.importKey('raw', unhex(keyHex), name, true, ['encrypt', "
      "'decrypt']);"
      "  const out = new Uint8Array(await subtle.encrypt({name, ...params}, key, plain));"
      "  const back = await subtle.decrypt({name, ...params}, key, out);"
      "  return hex(back) === hex(plain) ? hex(out.subarray(0, 64)) + ':' + out.length : 'bad';"
      "};"
      "const iv = unhex('000102030405060708090a0b0c0d0e0f');"
      "const counter = unhex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');";
  // F.2.1 / F.2.5 (CBC; WebCrypto adds a block of PKCS #7 padding) and F.5.1 / F.5.5 (CTR).
  EXPECT_EQ(Run(plain + "return run('AES-CBC', '2b7e151628aed2a6abf7158809cf4f3c', {iv});"),
            "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
            "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7:80");
  EXPECT_EQ(Run(plain + "return run('AES-CBC', "
                        "'603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4', "
                        "{iv});"),
            "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
            "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b:80");
  EXPECT_EQ(Run(plain + "return run('AES-CTR', '2b7e151628aed2a6abf7158809cf4f3c', "
                        "{counter, length: 128});"),
            "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
            "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee:64");
  EXPECT_EQ(Run(plain + "return run('AES-CTR', "
                        "'603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4', "
                        "{counter, length: 64});"),
            "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
            "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6:64");
}

TEST_F(SymmetricTest, AesCtrWrapsOnlyTheCounterBits) {
  // With an 8-bit counter at 0xff, the second block's counter is 0x00 in the last byte and the
  // bytes before it unchanged (not carried into, as OpenSSL's 128-bit CTR would): the same
  // keystream as starting a fresh encryption at that counter. More blocks than 2^length is an
  // OperationError.
  EXPECT_EQ(Run("const key = await subtle.importKey('raw', new Uint8Array(16), 'AES-CTR', false,"
                "  ['encrypt']);"
                "const at = (last) => { const c = new Uint8Array(16).fill(7); c[15] = last;"
                "  return c; };"
                "const zeros = new Uint8Array(32);"
                "const both = new Uint8Array(await subtle.encrypt("
                "  {name: 'AES-CTR', counter: at(0xff), length: 8}, key, zeros));"
                "const second = new Uint8Array(await subtle.encrypt("
                "  {name: 'AES-CTR', counter: at(0x00), length: 8}, key, zeros.subarray(16)));"
                "const tooLong = await subtle.encrypt({name: 'AES-CTR', counter: at(0), length: 1},"
                "  key, new Uint8Array(48)).catch((e) => e.name);"
                "return [hex(both.subarray(16)) === hex(second), tooLong].join();"),
            "true,OperationError");
}

TEST_F(SymmetricTest, AesKwMatchesRfc3394) {
  const std::string run =
      "const wrap = async (kekHex, dataHex) => {"
      "  const kek = await subtle.importKey('raw', unhex(kekHex), 'AES-KW', false,"
      "    ['wrapKey', 'unwrapKey']);"
      "  const key = await subtle.importKey('raw', unhex(dataHex), 'AES-CBC', true, ['encrypt']);"
      "  const wrapped = await subtle.wrapKey('raw', key, kek, 'AES-KW');"
      "  const back = await subtle.unwrapKey('raw', wrapped, kek, 'AES-KW', 'AES-CBC', true,"
      "    ['encrypt']);"
      "  return hex(wrapped) + (hex(await subtle.exportKey('raw', back)) === dataHex ? '' : '!');"
      "};";
  // 4.1: 128 bits of key data with a 128-bit KEK; 4.6: 256 bits with a 256-bit KEK.
  EXPECT_EQ(Run(run + "return wrap('000102030405060708090a0b0c0d0e0f', "
                      "'00112233445566778899aabbccddeeff');"),
            "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5");
  EXPECT_EQ(
      Run(run + "return wrap('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',"
                " '00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f');"),
      "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21");
  // Unwrapping with the wrong KEK fails RFC 3394's integrity check.
  EXPECT_EQ(Run("const kek = await subtle.importKey('raw', new Uint8Array(16), 'AES-KW', false,"
                "  ['unwrapKey']);"
                "return subtle.unwrapKey('raw', unhex('1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2"
                "cfe5'), kek, 'AES-KW', 'AES-CBC', true, ['encrypt']).catch((e) => e.name);"),
            "OperationError");
}

constexpr const char* kHkdf = R"JS(
  const hkdf = async (hash, ikm, salt, info, bits) => {
    const key = await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
    return hex(await subtle.deriveBits({name: 'HKDF', hash, salt, info}, key, bits));
  };
)JS";

TEST_F(SymmetricTest, HkdfMatchesRfc5869) {
  const std::string run = kHkdf;
  EXPECT_EQ(
      Run(run + "return hkdf('SHA-256', new Uint8Array(22).fill(0x0b),"
                "  unhex('000102030405060708090a0b0c'), unhex('f0f1f2f3f4f5f6f7f8f9'), 336);"),
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  // Test case 3: empty salt and info.
  EXPECT_EQ(Run(run + "return hkdf('SHA-256', new Uint8Array(22).fill(0x0b), new Uint8Array(0),"
                      "  new Uint8Array(0), 336);"),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
  // Test cases 4 and 7: SHA-1.
  EXPECT_EQ(
      Run(run + "return hkdf('SHA-1', new Uint8Array(11).fill(0x0b),"
                "  unhex('000102030405060708090a0b0c'), unhex('f0f1f2f3f4f5f6f7f8f9'), 336);"),
      "085a01ea1b10f36933068b56efa5ad81a4f14b822f5b091568a9cdd4f155fda2c22e422478d305f3f896");
  EXPECT_EQ(Run(run + "return hkdf('SHA-1', new Uint8Array(22).fill(0x0c), new Uint8Array(0),"
                      "  new Uint8Array(0), 336);"),
            "2c91117204d745f3500d636a62f64f0ab3bae548aa53d423b0d1f27ebba6f5e5673a081d70cce7acfc48");
  // Past 255 blocks of output, and lengths that are no whole bytes, are OperationErrors.
  EXPECT_EQ(Run(run + "return Promise.all([hkdf('SHA-256', text('k'), text('s'), text('i'),"
                      "  255 * 256 + 8).catch((e) => e.name), hkdf('SHA-256', text('k'), text('s'),"
                      "  text('i'), 12).catch((e) => e.name)]);"),
            "OperationError,OperationError");
}

constexpr const char* kPbkdf2 = R"JS(
  const pbkdf2 = async (hash, password, salt, iterations, bits) => {
    const key = await subtle.importKey('raw', password, 'PBKDF2', false, ['deriveBits']);
    return hex(await subtle.deriveBits({name: 'PBKDF2', hash, salt, iterations}, key, bits));
  };
)JS";

TEST_F(SymmetricTest, Pbkdf2MatchesRfc6070ForSha1) {
  const std::string run = kPbkdf2;
  EXPECT_EQ(Run(run + "return pbkdf2('SHA-1', text('password'), text('salt'), 1, 160);"),
            "0c60c80f961f0e71f3a9b524af6012062fe037a6");
  EXPECT_EQ(Run(run + "return pbkdf2('SHA-1', text('password'), text('salt'), 2, 160);"),
            "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
  EXPECT_EQ(Run(run + "return pbkdf2('SHA-1', text('password'), text('salt'), 4096, 160);"),
            "4b007901b765489abead49d926f721d065a429c1");
  EXPECT_EQ(Run(run + "return pbkdf2('SHA-1', text('passwordPASSWORDpassword'),"
                      "  text('saltSALTsaltSALTsaltSALTsaltSALTsalt'), 4096, 200);"),
            "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038");
  EXPECT_EQ(Run(run + "return pbkdf2('SHA-1', text('pass\\0word'), text('sa\\0lt'), 4096, 128);"),
            "56fa6aa75548099dcc37d7f03425e0c3");
}

TEST_F(SymmetricTest, Pbkdf2MatchesRfc7914ForSha256) {
  const std::string run = kPbkdf2;
  EXPECT_EQ(Run(run + "return pbkdf2('SHA-256', text('passwd'), text('salt'), 1, 512);"),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  EXPECT_EQ(Run(run + "return pbkdf2('SHA-256', text('Password'), text('NaCl'), 80000, 512);"),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
            "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}

TEST_F(SymmetricTest, Pbkdf2IsBoundedToWhatFitsARequestsCpuLimit) {
  // RFC 6070's 16777216-iteration vector is refused (Cloudflare's 100,000 cap), as is an output
  // long enough to multiply the work past twice that.
  const std::string run = kPbkdf2;
  EXPECT_EQ(Run(run + "return pbkdf2('SHA-1', text('password'), text('salt'), 16777216, 160)"
                      "  .catch((e) => e.name + ': ' + e.message);"),
            "NotSupportedError: PBKDF2: iteration counts above 100000 are not supported "
            "(requested 16777216)");
  EXPECT_EQ(Run(run + "return pbkdf2('SHA-256', text('p'), text('s'), 100000, 1024)"
                      "  .catch((e) => e.name);"),
            "NotSupportedError");
  EXPECT_EQ(Run(run + "return pbkdf2('SHA-256', text('p'), text('s'), 0, 256)"
                      "  .catch((e) => e.name);"),
            "OperationError");
}

}  // namespace
}  // namespace wsup::test
