// Ciphers for SubtleCrypto's encrypt/decrypt and wrapKey/unwrapKey: AES-GCM, AES-CBC (PKCS #7
// padding), AES-CTR (WebCrypto's counter: only its rightmost `length` bits count, wrapping
// without carrying into the rest), AES-KW (RFC 3394) and RSA-OAEP. JS has checked the parameter
// sizes WebCrypto fixes (IV and counter lengths, tag lengths); what fails here (a wrong tag,
// bad padding, a message too long for the key) is an OperationError.
#include <openssl/err.h>
#include <openssl/rsa.h>

#include <array>
#include <cstring>

#include "worker/web/crypto_support.h"
#include "worker/web/natives.h"

namespace wsup::worker::web {
namespace {

using namespace crypto;

enum class Mode { gcm, cbc, ctr, wrap };

const EVP_CIPHER* aes_cipher(Mode mode, size_t key_size) {
  switch (key_size) {
    case 16:
      return mode == Mode::gcm   ? EVP_aes_128_gcm()
             : mode == Mode::cbc ? EVP_aes_128_cbc()
             : mode == Mode::ctr ? EVP_aes_128_ctr()
                                 : EVP_aes_128_wrap();
    case 24:
      return mode == Mode::gcm   ? EVP_aes_192_gcm()
             : mode == Mode::cbc ? EVP_aes_192_cbc()
             : mode == Mode::ctr ? EVP_aes_192_ctr()
                                 : EVP_aes_192_wrap();
    case 32:
      return mode == Mode::gcm   ? EVP_aes_256_gcm()
             : mode == Mode::cbc ? EVP_aes_256_cbc()
             : mode == Mode::ctr ? EVP_aes_256_ctr()
                                 : EVP_aes_256_wrap();
    default:
      return nullptr;
  }
}

// The secret AES key of argument `index`, with its cipher for `mode`; null (thrown) otherwise.
const KeyMaterial* aes_key(const v8::FunctionCallbackInfo<v8::Value>& info, int index, Mode mode,
                           const EVP_CIPHER** cipher) {
  const KeyMaterial* key = unwrap<KeyMaterial>(info[index]);
  *cipher = key != nullptr && key->is_secret() ? aes_cipher(mode, key->secret().size()) : nullptr;
  if (*cipher == nullptr) {
    throw_bad_handle(info.GetIsolate());
    return nullptr;
  }
  return key;
}

// One pass of `cipher` over `in` (output at most in.size + one block); false on failure.
bool run_cipher(const EVP_CIPHER* cipher, const KeyMaterial& key, const unsigned char* iv,
                bool encrypt, ByteView in, SecretBytes& out, size_t& written) {
  CipherCtx context(EVP_CIPHER_CTX_new());
  int length = 0, final_length = 0;
  if (context == nullptr ||
      EVP_CipherInit_ex(context.get(), cipher, nullptr, key.secret().data(), iv, encrypt) != 1 ||
      EVP_CipherUpdate(context.get(), out.data() + written, &length, in.nonnull(),
                       static_cast<int>(in.size)) != 1 ||
      EVP_CipherFinal_ex(context.get(), out.data() + written + length, &final_length) != 1) {
    return false;
  }
  written += static_cast<size_t>(length + final_length);
  return true;
}

void set_result(const v8::FunctionCallbackInfo<v8::Value>& info, const SecretBytes& out,
                size_t size) {
  info.GetReturnValue().Set(new_array_buffer(info.GetIsolate(), out.data(), size));
}

// aesGcm(encrypt, handle, iv, data, additionalData | undefined, tagBytes) -> ArrayBuffer:
// ciphertext || tag when encrypting, the plaintext when decrypting.
void AesGcm(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const bool encrypt = info[0]->IsTrue();
  const EVP_CIPHER* cipher = nullptr;
  const KeyMaterial* key = aes_key(info, 1, Mode::gcm, &cipher);
  if (key == nullptr) return;
  const ByteView iv = bytes_of(info[2]);
  ByteView data = bytes_of(info[3]);
  const ByteView aad = bytes_of(info[4]);
  const int tag_size = static_cast<int>(info[5].As<v8::Uint32>()->Value());
  if (!encrypt && data.size < static_cast<size_t>(tag_size)) {
    return throw_operation_error(isolate, "the data is shorter than the authentication tag");
  }
  const unsigned char* tag = encrypt ? nullptr : data.data + data.size - tag_size;
  if (!encrypt) data.size -= static_cast<size_t>(tag_size);
  CipherCtx context(EVP_CIPHER_CTX_new());
  SecretBytes out(data.size + (encrypt ? static_cast<size_t>(tag_size) : 0));
  int length = 0, final_length = 0, aad_length = 0;
  if (context == nullptr ||
      EVP_CipherInit_ex(context.get(), cipher, nullptr, nullptr, nullptr, encrypt) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size),
                          nullptr) != 1 ||
      EVP_CipherInit_ex(context.get(), nullptr, nullptr, key->secret().data(), iv.data, encrypt) !=
          1 ||
      (aad.size != 0 && EVP_CipherUpdate(context.get(), nullptr, &aad_length, aad.data,
                                         static_cast<int>(aad.size)) != 1) ||
      EVP_CipherUpdate(context.get(), out.data(), &length, data.nonnull(),
                       static_cast<int>(data.size)) != 1 ||
      (!encrypt && EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, tag_size,
                                       const_cast<unsigned char*>(tag)) != 1)) {
    return throw_operation_error(isolate, "AES-GCM failed");
  }
  if (EVP_CipherFinal_ex(context.get(), out.data() + length, &final_length) != 1) {
    return throw_operation_error(isolate, encrypt ? "AES-GCM encryption failed"
                                                  : "AES-GCM decryption failed (wrong key, "
                                                    "data or tag)");
  }
  size_t size = static_cast<size_t>(length + final_length);
  if (encrypt) {
    if (EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, tag_size, out.data() + size) !=
        1) {
      return throw_operation_error(isolate, "AES-GCM failed");
    }
    size += static_cast<size_t>(tag_size);
  }
  set_result(info, out, size);
}

// aesCbc(encrypt, handle, iv (16 bytes), data) -> ArrayBuffer, with PKCS #7 padding
void AesCbc(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const bool encrypt = info[0]->IsTrue();
  const EVP_CIPHER* cipher = nullptr;
  const KeyMaterial* key = aes_key(info, 1, Mode::cbc, &cipher);
  if (key == nullptr) return;
  const ByteView iv = bytes_of(info[2]);
  const ByteView data = bytes_of(info[3]);
  SecretBytes out(data.size + 16);
  size_t written = 0;
  if (iv.size != 16 || !run_cipher(cipher, *key, iv.data, encrypt, data, out, written)) {
    return throw_operation_error(
        info.GetIsolate(), encrypt ? "AES-CBC encryption failed"
                                   : "AES-CBC decryption failed (wrong key, data or padding)");
  }
  set_result(info, out, written);
}

// aesCtr(handle, counter (16 bytes), lengthBits (1-128), data) -> ArrayBuffer (encrypting and
// decrypting are the same). OpenSSL's CTR mode increments all 128 bits; WebCrypto increments
// the rightmost `length` bits and wraps them. So the data is run in at most two passes: up to
// the wrap, then from the counter with those bits cleared.
void AesCtr(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const EVP_CIPHER* cipher = nullptr;
  const KeyMaterial* key = aes_key(info, 0, Mode::ctr, &cipher);
  if (key == nullptr) return;
  const ByteView counter = bytes_of(info[1]);
  const uint32_t bits = info[2].As<v8::Uint32>()->Value();
  const ByteView data = bytes_of(info[3]);
  if (counter.size != 16 || bits == 0 || bits > 128) return throw_bad_handle(isolate);
  // The counter block as two big-endian halves; the mask selects its rightmost `bits` bits.
  uint64_t high = 0, low = 0;
  for (int i = 0; i < 8; ++i) high = (high << 8) | counter.data[i];
  for (int i = 8; i < 16; ++i) low = (low << 8) | counter.data[i];
  const uint64_t mask_low = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  const uint64_t mask_high =
      bits <= 64 ? 0 : (bits == 128 ? ~uint64_t{0} : (uint64_t{1} << (bits - 64)) - 1);
  const uint64_t blocks = (data.size + 15) / 16;
  if (bits < 64 && blocks > (uint64_t{1} << bits)) {
    return throw_operation_error(isolate, "the data is longer than the counter can count");
  }
  // Increments left before the counter bits wrap; more than any data when the high part is set.
  const uint64_t left_high = mask_high - (high & mask_high);
  const uint64_t left_low = mask_low - (low & mask_low);
  const bool one_pass = left_high != 0 || blocks == 0 || left_low >= blocks - 1;
  SecretBytes out(data.size + 16);
  size_t written = 0;
  bool ok = false;
  if (one_pass) {
    ok = run_cipher(cipher, *key, counter.data, true, data, out, written);
  } else {
    const size_t first = static_cast<size_t>(left_low + 1) * 16;
    std::array<unsigned char, 16> wrapped{};
    const uint64_t wrapped_high = high & ~mask_high, wrapped_low = low & ~mask_low;
    for (int i = 0; i < 8; ++i) {
      wrapped[i] = static_cast<unsigned char>(wrapped_high >> (56 - 8 * i));
      wrapped[8 + i] = static_cast<unsigned char>(wrapped_low >> (56 - 8 * i));
    }
    ok = run_cipher(cipher, *key, counter.data, true, {data.data, first}, out, written) &&
         run_cipher(cipher, *key, wrapped.data(), true, {data.data + first, data.size - first}, out,
                    written);
  }
  if (!ok) return throw_operation_error(isolate, "AES-CTR failed");
  set_result(info, out, written);
}

// aesKw(wrap, handle, data) -> ArrayBuffer (RFC 3394: the wrapped key is 8 bytes longer)
void AesKw(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const bool wrap = info[0]->IsTrue();
  const EVP_CIPHER* cipher = nullptr;
  const KeyMaterial* key = aes_key(info, 1, Mode::wrap, &cipher);
  if (key == nullptr) return;
  const ByteView data = bytes_of(info[2]);
  SecretBytes out(data.size + 16);
  size_t written = 0;
  // RFC 3394 wraps 64-bit blocks, at least two of them.
  const bool sized = data.size % 8 == 0 && data.size >= (wrap ? 16u : 24u);
  if (!sized || !run_cipher(cipher, *key, nullptr, wrap, data, out, written)) {
    return throw_operation_error(info.GetIsolate(),
                                 !sized ? "AES-KW needs a multiple of 8 bytes, at least 16 "
                                          "to wrap or 24 to unwrap"
                                 : wrap ? "AES-KW wrapping failed"
                                        : "AES-KW unwrapping failed (wrong key or data)");
  }
  set_result(info, out, written);
}

// rsaOaep(encrypt, handle, hash, label | undefined, data) -> ArrayBuffer
void RsaOaep(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const bool encrypt = info[0]->IsTrue();
  const KeyMaterial* key = unwrap<KeyMaterial>(info[1]);
  const EVP_MD* md = digest_by_name(to_utf8(isolate, info[2]));
  if (key == nullptr || key->is_secret() || md == nullptr) return throw_bad_handle(isolate);
  const ByteView label = bytes_of(info[3]);
  const ByteView data = bytes_of(info[4]);
  PkeyCtx context(EVP_PKEY_CTX_new_from_pkey(nullptr, key->pkey(), nullptr));
  if (context == nullptr ||
      (encrypt ? EVP_PKEY_encrypt_init(context.get()) : EVP_PKEY_decrypt_init(context.get())) !=
          1 ||
      EVP_PKEY_CTX_set_rsa_padding(context.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(context.get(), md) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(context.get(), md) != 1) {
    return throw_operation_error(isolate, "RSA-OAEP set-up failed");
  }
  if (label.size != 0) {
    void* copy = OPENSSL_memdup(label.data, label.size);  // the context takes ownership
    if (copy == nullptr ||
        EVP_PKEY_CTX_set0_rsa_oaep_label(context.get(), copy, static_cast<int>(label.size)) != 1) {
      OPENSSL_free(copy);
      return throw_operation_error(isolate, "RSA-OAEP set-up failed");
    }
  }
  auto run = [&](unsigned char* out, size_t* size) {
    return encrypt ? EVP_PKEY_encrypt(context.get(), out, size, data.nonnull(), data.size)
                   : EVP_PKEY_decrypt(context.get(), out, size, data.nonnull(), data.size);
  };
  // The first call gives the output's bound (the modulus size), the second the output.
  size_t size = 0;
  bool ok = run(nullptr, &size) == 1;
  SecretBytes out(ok ? size : 0);
  ok = ok && run(out.data(), &size) == 1;
  if (!ok) {
    return throw_operation_error(isolate, encrypt ? "RSA-OAEP encryption failed (is the data "
                                                    "too long for the key?)"
                                                  : "RSA-OAEP decryption failed");
  }
  set_result(info, out, size);
}

constexpr NativeFunction kCipherNatives[] = {
    {"aesGcm", AesGcm, 6}, {"aesCbc", AesCbc, 4},   {"aesCtr", AesCtr, 4},
    {"aesKw", AesKw, 3},   {"rsaOaep", RsaOaep, 5},
};

}  // namespace

std::span<const NativeFunction> crypto_cipher_natives() {
  return kCipherNatives;
}

}  // namespace wsup::worker::web
