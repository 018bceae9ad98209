// The decoders alone: each coding round-trips in small output pieces, gzip members follow one
// another, an inflating bomb never yields more than the output it is given per call.
#include "worker/egress/content_decoder.h"

#include <brotli/encode.h>
#include <gtest/gtest.h>
#include <zlib.h>

namespace wsup::worker::egress {
namespace {

std::string deflate_with(const std::string& text, int window_bits) {
  z_stream stream{};
  deflateInit2(&stream, 9, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, text.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

// Feeds `encoded` 7 bytes at a time with a 100-byte output, as the subrequest's pump would.
std::string decode_in_pieces(ContentDecoder& decoder, const std::string& encoded,
                             size_t* largest_step = nullptr) {
  std::string out;
  char buffer[100];
  std::string_view rest = encoded;
  bool full = false;
  while (!rest.empty() || full) {
    std::string_view input = rest.substr(0, 7);
    ContentDecoder::Step step = decoder.decode(input, buffer);
    EXPECT_EQ(step.error, "");
    if (!step.error.empty()) break;
    rest.remove_prefix(step.consumed);
    out.append(buffer, step.produced);
    full = step.produced == sizeof(buffer);
    if (largest_step) *largest_step = std::max(*largest_step, step.produced);
    if (step.consumed == 0 && step.produced == 0 && !full) break;
  }
  return out;
}

const std::string kText = [] {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "line " + std::to_string(i) + " of the body\n";
  return text;
}();

TEST(ContentDecoderTest, GzipDeflateAndRawDeflateRoundTrip) {
  for (auto [coding, bits] :
       {std::pair{"gzip", 31}, {"x-gzip", 31}, {"deflate", 15}, {"deflate", -15}, {" GZIP ", 31}}) {
    auto decoder = ContentDecoder::create(coding);
    ASSERT_TRUE(decoder) << coding;
    EXPECT_EQ(decode_in_pieces(*decoder, deflate_with(kText, bits)), kText) << coding << bits;
    EXPECT_TRUE(decoder->finished());
  }
}

TEST(ContentDecoderTest, BrotliRoundTrips) {
  size_t size = BrotliEncoderMaxCompressedSize(kText.size());
  std::string encoded(size, '\0');
  ASSERT_TRUE(BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, kText.size(),
                                    reinterpret_cast<const uint8_t*>(kText.data()), &size,
                                    reinterpret_cast<uint8_t*>(encoded.data())));
  encoded.resize(size);
  auto decoder = ContentDecoder::create("br");
  EXPECT_EQ(decode_in_pieces(*decoder, encoded), kText);
  EXPECT_TRUE(decoder->finished());
}

TEST(ContentDecoderTest, ConcatenatedGzipMembersAreOneBody) {
  auto decoder = ContentDecoder::create("gzip");
  EXPECT_EQ(decode_in_pieces(*decoder, deflate_with("first ", 31) + deflate_with("second", 31)),
            "first second");
}

TEST(ContentDecoderTest, ABombIsDecodedAtMostOneOutputAtATime) {
  const std::string zeros(20 << 20, '\0');  // 20 MiB of zeros: ~20 KiB compressed
  const std::string encoded = deflate_with(zeros, 31);
  ASSERT_LT(encoded.size(), 64u << 10);
  auto decoder = ContentDecoder::create("gzip");
  size_t largest = 0;
  EXPECT_EQ(decode_in_pieces(*decoder, encoded, &largest).size(), zeros.size());
  EXPECT_LE(largest, 100u);
}

TEST(ContentDecoderTest, IdentityUnknownAndStackedCodingsAreNotDecoded) {
  EXPECT_EQ(ContentDecoder::create(""), nullptr);
  EXPECT_EQ(ContentDecoder::create("identity"), nullptr);
  EXPECT_EQ(ContentDecoder::create("zstd"), nullptr);
  EXPECT_EQ(ContentDecoder::create("gzip, br"), nullptr);
}

TEST(ContentDecoderTest, GarbageIsAnError) {
  auto decoder = ContentDecoder::create("br");
  char out[64];
  ContentDecoder::Step step = decoder->decode("\xff\xff\xff\xff not brotli", out);
  EXPECT_NE(step.error.find("invalid br data"), std::string::npos) << step.error;
}

}  // namespace
}  // namespace wsup::worker::egress
