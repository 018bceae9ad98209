// The decoders alone: each coding round-trips in small output pieces, gzip members follow one
// another, an inflating bomb never yields more than the output it is given per call.
#include "worker/egress/content_decoder.h"

#include <gtest/gtest.h>

#include "tests/worker/egress/test_encoding.h"

namespace wsup::worker::egress {
namespace {

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
    EXPECT_EQ(decode_in_pieces(*decoder, testing::zlib_encode(kText, bits)), kText)
        << coding << bits;
    EXPECT_TRUE(decoder->finished());
  }
}

TEST(ContentDecoderTest, BrotliRoundTrips) {
  std::string encoded = testing::brotli_encode(kText);
  auto decoder = ContentDecoder::create("br");
  EXPECT_EQ(decode_in_pieces(*decoder, encoded), kText);
  EXPECT_TRUE(decoder->finished());
}

TEST(ContentDecoderTest, ConcatenatedGzipMembersAreOneBody) {
  auto decoder = ContentDecoder::create("gzip");
  EXPECT_EQ(decode_in_pieces(
                *decoder, testing::zlib_encode("first ", 31) + testing::zlib_encode("second", 31)),
            "first second");
}

TEST(ContentDecoderTest, ABombIsDecodedAtMostOneOutputAtATime) {
  const std::string zeros(20 << 20, '\0');  // 20 MiB of zeros: ~20 KiB compressed
  const std::string encoded = testing::zlib_encode(zeros, 31);
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
