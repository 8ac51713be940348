// core/base64.hpp: RFC 4648 test vectors, both alphabets, padding rules, broken input.
#include <doctest/doctest.h>

#include <duet/core/base64.hpp>

using namespace duet;

TEST_CASE("base64 encodes the RFC 4648 vectors") {
    CHECK(base64::encode(std::string_view("")) == "");
    CHECK(base64::encode(std::string_view("f")) == "Zg==");
    CHECK(base64::encode(std::string_view("fo")) == "Zm8=");
    CHECK(base64::encode(std::string_view("foo")) == "Zm9v");
    CHECK(base64::encode(std::string_view("foob")) == "Zm9vYg==");
    CHECK(base64::encode(std::string_view("fooba")) == "Zm9vYmE=");
    CHECK(base64::encode(std::string_view("foobar")) == "Zm9vYmFy");
    CHECK(base64::encode(std::string_view("fo"), base64::alphabet::standard, false) == "Zm8");
}

TEST_CASE("base64 url alphabet uses - and _") {
    std::string bytes = "\xfb\xff\xbf";
    CHECK(base64::encode(bytes) == "+/+/");
    CHECK(base64::encode(bytes, base64::alphabet::url) == "-_-_");
}

TEST_CASE("base64 decodes with and without padding, all byte values round-trip") {
    CHECK(base64::decode("Zm9vYmFy") == "foobar");
    CHECK(base64::decode("Zm9vYg==") == "foob");
    CHECK(base64::decode("Zm9vYg") == "foob");
    CHECK(base64::decode("Zm8=") == "fo");
    CHECK(base64::decode("") == "");
    CHECK(base64::decode("-_-_") == "\xfb\xff\xbf");
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    for (std::size_t n = 0; n <= all.size(); n += 7) {
        auto part = all.substr(0, n);
        CHECK(base64::decode(base64::encode(part)) == part);
        CHECK(base64::decode(base64::encode(part, base64::alphabet::url, false)) == part);
    }
}

TEST_CASE("base64 rejects malformed input without writing") {
    CHECK_FALSE(base64::decode("Zm9v!mFy"));  // outside the alphabet
    CHECK_FALSE(base64::decode("Z"));         // 4k+1 symbols cannot come from an encoder
    CHECK_FALSE(base64::decode("Zm9vY"));
    CHECK_FALSE(base64::decode("Zg=a"));      // padding in the middle
    CHECK_FALSE(base64::decode("Z==="));
    CHECK_FALSE(base64::decode("Zm 9v"));
    CHECK_FALSE(base64::decode(std::string_view("Zm\0v", 4)));
    std::string out = "keep";
    CHECK_FALSE(base64::decode_append(out, "Zm9v$"));
    CHECK(out == "keep");
}
