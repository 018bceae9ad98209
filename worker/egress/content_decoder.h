// Decoding a response body's Content-Encoding as Workers do: gzip (and x-gzip), deflate (zlib
// wrapped, or raw as some servers send it) with zlib, br with Debian's libbrotli. Streaming and
// bounded: each call fills at most the output it is given, so a small compressed body that
// inflates to gigabytes is delivered chunk by chunk under the reader's backpressure.
//
//   auto decoder = ContentDecoder::create("gzip");           // null: deliver the body as is
//   ContentDecoder::Step step = decoder->decode(input, output);
//   // step.consumed bytes of input were used, step.produced bytes of output written; call
//   // again with the rest of the input, and also while a call fills the whole output (the
//   // decoder may hold more output without needing more input).
//   decoder->finished();                                      // the encoded stream ended
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace wsup::worker::egress {

class ContentDecoder {
 public:
  struct Step {
    size_t consumed = 0;
    size_t produced = 0;
    std::string error;  // "" or why the body cannot be decoded ("invalid gzip data: ...")
  };

  virtual ~ContentDecoder() = default;

  // A decoder for this Content-Encoding value, or null for identity, for a coding this client
  // does not decode, and for several codings in a row: such bodies are delivered as received.
  static std::unique_ptr<ContentDecoder> create(std::string_view content_encoding);

  // Decodes from `input` into `output`. Makes progress (consumed or produced > 0) whenever the
  // input is not empty and the stream has not finished; bytes after the end are consumed unread.
  // Empty input only drains output held back by an earlier call that filled its output.
  virtual Step decode(std::string_view input, std::span<char> output) = 0;
  // True once the whole encoded stream has been decoded (a body that ends before is truncated).
  virtual bool finished() const = 0;
  // "gzip", "deflate" or "br".
  virtual std::string_view name() const = 0;
};

}  // namespace wsup::worker::egress
