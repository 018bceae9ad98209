// Natives of the streams families: moving an ArrayBuffer's memory to a new ArrayBuffer (byte
// streams transfer the buffers enqueued into them), and zlib for CompressionStream and
// DecompressionStream (js/stream_adapters.js).
//
// A zlib stream lives in C++ (z_stream holds pointers into memory zlib allocated). JavaScript
// holds it as an ArrayBuffer of length 0 whose external backing store points at it; the backing
// store's deleter frees it when the ArrayBuffer is collected or its isolate goes away, so no
// C++ pointer is ever stored in a context, and a context that is dropped mid-stream leaks
// nothing. The ArrayBuffer never leaves stream_adapters.js's closures.
#include <zlib.h>

#include <array>
#include <cstring>
#include <memory>

#include "worker/web/natives.h"

namespace wsup::worker::web {
namespace {

// transferArrayBuffer(ArrayBuffer) -> a new ArrayBuffer over the same memory; the argument is
// detached (length 0), as ArrayBuffer.prototype.transfer and structuredClone's transfer do.
void TransferArrayBuffer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsArrayBuffer()) {
    throw_type_error(isolate, "transfer: not an ArrayBuffer");
    return;
  }
  v8::Local<v8::ArrayBuffer> buffer = info[0].As<v8::ArrayBuffer>();
  if (!buffer->IsDetachable()) {
    throw_type_error(isolate, "transfer: this ArrayBuffer cannot be detached");
    return;
  }
  std::shared_ptr<v8::BackingStore> store = buffer->GetBackingStore();
  buffer->Detach();
  info.GetReturnValue().Set(v8::ArrayBuffer::New(isolate, std::move(store)));
}

enum class ZlibFormat { gzip = 0, deflate = 1, deflate_raw = 2 };  // stream_adapters.js kFormats

struct ZlibStream {
  z_stream z{};
  bool compress = false;
  bool initialized = false;
  bool ended = false;  // the compressed stream's end was seen (inflate) or written (deflate)

  ~ZlibStream() {
    if (!initialized) return;
    if (compress) {
      deflateEnd(&z);
    } else {
      inflateEnd(&z);
    }
  }
};

// Output leaves in pieces of this size: each is a Uint8Array from the isolate's ArrayBuffer
// allocator, so a decompression bomb runs into the request's memory budget piece by piece.
constexpr size_t kOutputPiece = 64 * 1024;

ZlibStream* stream_of(v8::Local<v8::Value> handle) {
  if (!handle->IsArrayBuffer()) return nullptr;
  return static_cast<ZlibStream*>(handle.As<v8::ArrayBuffer>()->GetBackingStore()->Data());
}

// zlibNew(format index, compress) -> handle. RangeError-free: stream_adapters.js has checked
// the format.
void ZlibNew(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  const int format = info[0]->Int32Value(context).FromMaybe(-1);
  const bool compress = info[1]->BooleanValue(isolate);
  int window_bits = 15;
  if (format == static_cast<int>(ZlibFormat::gzip)) {
    window_bits = 15 + 16;
  } else if (format == static_cast<int>(ZlibFormat::deflate_raw)) {
    window_bits = -15;
  } else if (format != static_cast<int>(ZlibFormat::deflate)) {
    throw_type_error(isolate, "zlib: unknown format");
    return;
  }
  auto stream = std::make_unique<ZlibStream>();
  stream->compress = compress;
  const int status = compress ? deflateInit2(&stream->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
                                             window_bits, 8, Z_DEFAULT_STRATEGY)
                              : inflateInit2(&stream->z, window_bits);
  if (status != Z_OK) {
    throw_type_error(isolate, "zlib: could not start a stream (out of memory?)");
    return;
  }
  stream->initialized = true;
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      stream.get(), 0, [](void* data, size_t, void*) { delete static_cast<ZlibStream*>(data); },
      nullptr);
  stream.release();  // owned by the backing store now
  info.GetReturnValue().Set(v8::ArrayBuffer::New(isolate, std::move(store)));
}

// A piece of output as a Uint8Array from the isolate's allocator; empty with a RangeError
// thrown past the request's memory budget.
v8::MaybeLocal<v8::Uint8Array> output_piece(v8::Isolate* isolate, const unsigned char* data,
                                            size_t size) {
  v8::ArrayBuffer::Allocator* allocator = isolate->GetArrayBufferAllocator();
  void* memory = allocator->AllocateUninitialized(size);
  if (memory == nullptr) {
    isolate->ThrowException(v8::Exception::RangeError(one_byte_string(
        isolate, "DecompressionStream/CompressionStream: out of memory for the output")));
    return {};
  }
  std::memcpy(memory, data, size);
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      memory, size,
      [](void* bytes, size_t length, void* owner) {
        static_cast<v8::ArrayBuffer::Allocator*>(owner)->Free(bytes, length);
      },
      allocator);
  return v8::Uint8Array::New(v8::ArrayBuffer::New(isolate, std::move(store)), 0, size);
}

// zlibPush(handle, Uint8Array | undefined, finish) -> [Uint8Array...]: feeds the bytes through
// the stream; with `finish`, ends it (deflate writes its trailer; inflate requires that the
// compressed data ended). Corrupt, truncated or trailing input throws a TypeError.
void ZlibPush(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  ZlibStream* stream = stream_of(info[0]);
  if (stream == nullptr) {
    throw_type_error(isolate, "zlib: not a stream handle");
    return;
  }
  const bool finish = info[2]->BooleanValue(isolate);
  z_stream& z = stream->z;
  if (info[1]->IsUint8Array()) {
    v8::Local<v8::Uint8Array> input = info[1].As<v8::Uint8Array>();
    z.next_in = static_cast<Bytef*>(input->Buffer()->Data()) + input->ByteOffset();
    z.avail_in = static_cast<uInt>(input->ByteLength());
  } else {
    z.next_in = nullptr;
    z.avail_in = 0;
  }
  if (!stream->compress && stream->ended && z.avail_in > 0) {
    throw_type_error(isolate, "DecompressionStream: data after the end of the compressed stream");
    return;
  }
  v8::Local<v8::Array> pieces = v8::Array::New(isolate);
  if (stream->compress && stream->ended) {  // finished already: nothing more can come out
    info.GetReturnValue().Set(pieces);
    return;
  }
  uint32_t count = 0;
  std::array<unsigned char, kOutputPiece> buffer;
  for (;;) {
    z.next_out = buffer.data();
    z.avail_out = static_cast<uInt>(buffer.size());
    const uInt input_before = z.avail_in;
    const int status =
        stream->compress ? deflate(&z, finish ? Z_FINISH : Z_NO_FLUSH) : inflate(&z, Z_NO_FLUSH);
    const size_t produced = buffer.size() - z.avail_out;
    if (produced > 0) {
      v8::Local<v8::Uint8Array> piece;
      if (!output_piece(isolate, buffer.data(), produced).ToLocal(&piece) ||
          pieces->Set(context, count++, piece).IsNothing()) {
        return;
      }
    }
    if (status == Z_STREAM_END) {
      stream->ended = true;
      if (!stream->compress && z.avail_in > 0) {
        throw_type_error(isolate,
                         "DecompressionStream: data after the end of the compressed stream");
        return;
      }
      break;
    }
    if (status == Z_DATA_ERROR || status == Z_NEED_DICT || status == Z_STREAM_ERROR ||
        status == Z_MEM_ERROR) {
      throw_type_error(isolate, stream->compress
                                    ? "CompressionStream: zlib failed"
                                    : "DecompressionStream: the data is not valid compressed data");
      return;
    }
    // Room left in the output: zlib has used all the input it can (with Z_FINISH, deflate
    // goes on until Z_STREAM_END). No progress at all: nothing more will come of this call.
    const bool stuck = produced == 0 && z.avail_in == input_before;
    if (stuck || (z.avail_out > 0 && (z.avail_in == 0 || status == Z_BUF_ERROR) &&
                  !(finish && stream->compress))) {
      break;
    }
  }
  z.next_in = nullptr;
  z.avail_in = 0;
  if (finish && !stream->compress && !stream->ended) {
    throw_type_error(isolate, "DecompressionStream: the compressed data ended too soon");
    return;
  }
  info.GetReturnValue().Set(pieces);
}

constexpr NativeFunction kStreamsNatives[] = {
    {"transferArrayBuffer", TransferArrayBuffer, 1},
    {"zlibNew", ZlibNew, 2},
    {"zlibPush", ZlibPush, 3},
};

}  // namespace

std::span<const NativeFunction> streams_natives() {
  return kStreamsNatives;
}

}  // namespace wsup::worker::web
