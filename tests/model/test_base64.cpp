// test_base64.cpp — base64 of model/io/base64.h: RFC 4648's test vectors both ways, every byte
// value round-trips, and the strict decoder's errors.
#include <gtest/gtest.h>

#include "model/io/base64.h"
#include "tests/support/testing.h"

namespace induction::testing {
namespace {

TEST(Base64, EncodesAndDecodesTheRfcVectors) {
    const std::pair<const char*, const char*> vectors[] = {{"", ""},           {"f", "Zg=="},
                                                           {"fo", "Zm8="},     {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (auto [bytes, text] : vectors) {
        EXPECT_EQ(base64_encode(bytes), text);
        EXPECT_EQ(base64_decode(text), bytes);
    }
}

TEST(Base64, EveryByteRoundTrips) {
    std::string bytes;
    for (int b = 0; b < 256; ++b) bytes += static_cast<char>(b);
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
}

TEST(Base64, TheDecoderIsStrict) {
    EXPECT_THROW_MESSAGE(base64_decode("abc"), "base64 of 3 characters (not a multiple of 4)");
    EXPECT_THROW_MESSAGE(base64_decode("ab!d"), "not base64: character '!' at 2");
}

}  // namespace
}  // namespace induction::testing
