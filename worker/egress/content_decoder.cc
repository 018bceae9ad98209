#include "worker/egress/content_decoder.h"

#include <brotli/decode.h>
#include <zlib.h>

#include <boost/beast/core/string.hpp>

namespace wsup::worker::egress {
namespace {

class ZlibDecoder final : public ContentDecoder {
 public:
  enum class Format { gzip, deflate };
  explicit ZlibDecoder(Format format) : format_(format) {}
  ~ZlibDecoder() override {
    if (initialized_) inflateEnd(&stream_);
  }

  Step decode(std::string_view input, std::span<char> output) override {
    Step step;
    if (finished_) {
      step.consumed = input.size();
      return step;
    }
    if (!initialized_ && !start(input, step)) return step;
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    stream_.avail_in = static_cast<uInt>(input.size());
    stream_.next_out = reinterpret_cast<Bytef*>(output.data());
    stream_.avail_out = static_cast<uInt>(output.size());
    int result = inflate(&stream_, Z_NO_FLUSH);
    step.consumed = input.size() - stream_.avail_in;
    step.produced = output.size() - stream_.avail_out;
    if (result == Z_STREAM_END) {
      // gzip allows several members one after the other (RFC 1952 2.2).
      if (format_ == Format::gzip && stream_.avail_in > 0 && input[step.consumed] == '\x1f') {
        inflateReset(&stream_);
      } else {
        finished_ = true;
        step.consumed = input.size();
      }
    } else if (result != Z_OK && result != Z_BUF_ERROR) {  // Z_BUF_ERROR: no progress possible
      step.error = std::string("invalid ") + std::string(name()) + " data" +
                   (stream_.msg != nullptr ? std::string(": ") + stream_.msg : std::string());
    }
    return step;
  }

  bool finished() const override { return finished_; }
  std::string_view name() const override { return format_ == Format::gzip ? "gzip" : "deflate"; }

 private:
  // "deflate" is meant to be zlib-wrapped (RFC 9110 8.4.1.2), but some servers send raw deflate.
  // A zlib stream's first byte names method 8 with a window of at most 2^15 (0x08-0x78, low
  // nibble 8); a raw stream starting so would be a stored block with non-zero padding bits.
  bool start(std::string_view input, Step& step) {
    if (input.empty()) return false;
    int window_bits = 15 + 16;  // gzip only
    if (format_ == Format::deflate) {
      auto cmf = static_cast<unsigned char>(input[0]);
      window_bits = (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 ? 15 : -15;
    }
    if (inflateInit2(&stream_, window_bits) != Z_OK) {
      step.error = "zlib could not start";
      return false;
    }
    initialized_ = true;
    return true;
  }

  Format format_;
  z_stream stream_{};
  bool initialized_ = false;
  bool finished_ = false;
};

class BrotliDecoder final : public ContentDecoder {
 public:
  BrotliDecoder() : state_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {}
  ~BrotliDecoder() override { BrotliDecoderDestroyInstance(state_); }

  Step decode(std::string_view input, std::span<char> output) override {
    Step step;
    if (finished_) {
      step.consumed = input.size();
      return step;
    }
    size_t available_in = input.size();
    auto next_in = reinterpret_cast<const uint8_t*>(input.data());
    size_t available_out = output.size();
    auto next_out = reinterpret_cast<uint8_t*>(output.data());
    BrotliDecoderResult result = BrotliDecoderDecompressStream(state_, &available_in, &next_in,
                                                               &available_out, &next_out, nullptr);
    step.consumed = input.size() - available_in;
    step.produced = output.size() - available_out;
    if (result == BROTLI_DECODER_RESULT_SUCCESS) {
      finished_ = true;
      step.consumed = input.size();
    } else if (result == BROTLI_DECODER_RESULT_ERROR) {
      step.error = std::string("invalid br data: ") +
                   BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state_));
    }
    return step;
  }

  bool finished() const override { return finished_; }
  std::string_view name() const override { return "br"; }

 private:
  BrotliDecoderState* state_;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<ContentDecoder> ContentDecoder::create(std::string_view content_encoding) {
  std::string_view coding = content_encoding;
  while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t'))
    coding.remove_prefix(1);
  while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t'))
    coding.remove_suffix(1);
  using boost::beast::iequals;
  if (iequals(coding, "gzip") || iequals(coding, "x-gzip"))
    return std::make_unique<ZlibDecoder>(ZlibDecoder::Format::gzip);
  if (iequals(coding, "deflate"))
    return std::make_unique<ZlibDecoder>(ZlibDecoder::Format::deflate);
  if (iequals(coding, "br")) return std::make_unique<BrotliDecoder>();
  return nullptr;
}

}  // namespace wsup::worker::egress
