// core/brotli.hpp: what the encoder writes decodes (libbrotlidec) to the input, empty
// and large, appended after what the output already held.
#include <doctest/doctest.h>

#include <brotli/decode.h>

#include <duet/core/brotli.hpp>

#include <random>
#include <string>

using namespace duet;

namespace {
std::string decoded(std::string_view in, std::size_t expected) {
    std::string out(expected + 16, '\0');
    std::size_t size = out.size();
    REQUIRE(BrotliDecoderDecompress(in.size(), reinterpret_cast<const std::uint8_t*>(in.data()), &size,
                                    reinterpret_cast<std::uint8_t*>(out.data())) == BROTLI_DECODER_RESULT_SUCCESS);
    out.resize(size);
    return out;
}
}  // namespace

TEST_CASE("brotli: round trip, empty, text and random bytes") {
    REQUIRE(brotli::available);
    std::mt19937 rng(3);
    std::string random(200'000, '\0');
    for (auto& c : random) c = static_cast<char>(rng());
    std::string text;
    for (int i = 0; i < 10'000; ++i) text += "<li>item " + std::to_string(i % 50) + "</li>\n";
    for (const std::string& in : {std::string(), std::string("a"), text, random}) {
        std::string out = "prefix";
        REQUIRE(brotli::compress(in, out));
        CHECK(out.substr(0, 6) == "prefix");
        CHECK(decoded(std::string_view(out).substr(6), in.size()) == in);
    }
    std::string packed;
    REQUIRE(brotli::compress(text, packed));
    CHECK(packed.size() < text.size() / 20);
}

TEST_CASE("brotli compress_stream: pieces, flushes and the end decode to the whole body") {
    if (!duet::brotli::available) return;
    duet::brotli::compress_stream s;
    std::string wire, sent;
    for (int i = 0; i < 5; ++i) {
        const std::string piece = "line " + std::to_string(i) + std::string(5000, static_cast<char>('k' + i));
        REQUIRE(s.write(piece, wire, i % 2 == 1, false));
        sent += piece;
    }
    REQUIRE(s.write("end", wire, false, true));
    sent += "end";
    CHECK(wire.size() < sent.size() / 10);
    CHECK(decoded(wire, sent.size()) == sent);
}
