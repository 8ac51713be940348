// core/zlib.hpp: round trips in the three formats, streams made by another zlib user
// (Python's gzip/zlib, byte for byte), and the broken input a peer can send: bombs over
// the limit, truncated and corrupt streams, the wrong format.
#include <ostream>  // doctest prints std::error_code values

#include <doctest/doctest.h>

#include <duet/core/zlib.hpp>

#include <random>
#include <string>

using namespace duet;
using zlib::format;

namespace {
// A literal with its embedded NULs.
template <std::size_t N>
std::string bytes(const char (&a)[N]) {
    return std::string(a, N - 1);
}

std::string compressed(std::string_view in, format f) {
    std::string out;
    REQUIRE(zlib::compress(in, out, f));
    return out;
}
}  // namespace

TEST_CASE("zlib: round trip in every format, empty and large, appended to what is there") {
    std::mt19937 rng(7);
    std::string random(300'000, '\0');
    for (auto& c : random) c = static_cast<char>(rng());
    const std::string text = [] {
        std::string t;
        for (int i = 0; i < 20'000; ++i) t += "42[\"message\",\"hello " + std::to_string(i % 97) + "\"]\x1e";
        return t;
    }();
    for (format f : {format::gzip, format::zlib, format::raw}) {
        for (const std::string& in : {std::string(), std::string("a"), text, random}) {
            std::string out = "prefix";
            REQUIRE(zlib::compress(in, out, f));
            CHECK(out.substr(0, 6) == "prefix");
            std::string back = "x";
            CHECK_FALSE(zlib::decompress(std::string_view(out).substr(6), back, f));
            CHECK(back == "x" + in);
        }
        // Repetitive text shrinks (the thread's stream is reset between uses, not reused dirty).
        CHECK(compressed(text, f).size() < text.size() / 10);
        CHECK(compressed(text, f) == compressed(text, f));
    }
}

TEST_CASE("zlib: the container of each format, byte for byte") {
    const std::string gz = compressed("hello", format::gzip);
    CHECK(gz.substr(0, 3) == bytes("\x1f\x8b\x08"));
    const std::string zl = compressed("hello", format::zlib);
    CHECK(zl == bytes("\x78\x9c\xcb\x48\xcd\xc9\xc9\x07\x00\x06\x2c\x02\x15"));  // Python zlib.compress(b"hello")
    CHECK(compressed("hello", format::raw) == bytes("\xcb\x48\xcd\xc9\xc9\x07\x00"));
}

TEST_CASE("zlib: decompresses streams another implementation wrote") {
    // Python: gzip.compress(b"hello world", mtime=0)
    const std::string gz = bytes("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xcb\x48\xcd\xc9\xc9\x57\x28\xcf"
                                 "\x2f\xca\x49\x01\x00\x85\x11\x4a\x0d\x0b\x00\x00\x00");
    REQUIRE(gz.size() == 31);
    std::string out;
    CHECK_FALSE(zlib::decompress(gz, out, format::gzip));
    CHECK(out == "hello world");
}

TEST_CASE("zlib: a bomb stops at the limit, wherever the limit falls") {
    const std::string zeros(10 * 1024 * 1024, '\0');
    for (format f : {format::gzip, format::zlib, format::raw}) {
        const std::string bomb = compressed(zeros, f);
        CHECK(bomb.size() < 20'000);  // 10 MiB in ~10 KiB
        for (std::size_t limit : {std::size_t(0), std::size_t(1), std::size_t(4095), std::size_t(1 << 20), zeros.size() - 1}) {
            std::string out = "keep";
            CHECK(zlib::decompress(bomb, out, f, limit) == zlib::error::too_large);
            CHECK(out == "keep");  // restored: nothing of the partial output stays
        }
        std::string exact;
        CHECK_FALSE(zlib::decompress(bomb, exact, f, zeros.size()));
        CHECK(exact.size() == zeros.size());
    }
}

TEST_CASE("zlib: truncated, corrupt and wrong-format streams are errors, never a partial result") {
    const std::string text(5000, 'q');
    for (format f : {format::gzip, format::zlib, format::raw}) {
        const std::string good = compressed(text + "end", f);
        for (std::size_t cut : {std::size_t(0), std::size_t(1), good.size() / 2, good.size() - 1}) {
            if (f == format::raw && cut == 0) continue;  // an empty raw stream: see below
            std::string out = "keep";
            const auto ec = zlib::decompress(std::string_view(good).substr(0, cut), out, f);
            CHECK(ec);
            CHECK(out == "keep");
        }
    }
    std::string out;
    CHECK(zlib::decompress("", out, format::raw) == zlib::error::truncated);
    CHECK(zlib::decompress("not compressed at all", out, format::gzip) == zlib::error::corrupt);
    CHECK(zlib::decompress("not compressed at all", out, format::zlib) == zlib::error::corrupt);
    // gzip bytes read as zlib (and the reverse): the header does not match.
    CHECK(zlib::decompress(compressed("abc", format::gzip), out, format::zlib) == zlib::error::corrupt);
    CHECK(zlib::decompress(compressed("abc", format::zlib), out, format::gzip) == zlib::error::corrupt);
    // A flipped bit in a gzip body fails its CRC.
    std::string flipped = compressed(text, format::gzip);
    flipped[flipped.size() - 6] ^= 0x01;
    CHECK(zlib::decompress(flipped, out, format::gzip) == zlib::error::corrupt);
    CHECK(out.empty());
    CHECK(std::error_code(zlib::error::too_large).message() == "inflated data over the limit");
}

// ----- permessage-deflate -----

TEST_CASE("zlib: a deflated message has no 00 00 ff ff tail and inflates back (RFC 7692 §7.2)") {
    // The RFC's example: "Hello" deflated from an empty window.
    std::string out;
    REQUIRE(zlib::deflate_message("Hello", out));
    CHECK(out == bytes("\xf2\x48\xcd\xc9\xc9\x07\x00"));
    zlib::message_inflater inf;
    std::string back;
    CHECK_FALSE(inf.inflate_message(out, back, 100));
    CHECK(back == "Hello");
    // The same message twice: the same bytes (no context kept by the deflater).
    std::string again;
    REQUIRE(zlib::deflate_message("Hello", again));
    CHECK(again == out);
    // The RFC's example of a peer that keeps its context: the second "Hello" refers to
    // the first (f2 48 cd c9 c9 07 00, then f2 00 11 00 00).
    back.clear();
    CHECK_FALSE(inf.inflate_message(bytes("\xf2\x00\x11\x00\x00"), back, 100));
    CHECK(back == "Hello");
    // A stored (uncompressed) block and an empty message.
    zlib::message_inflater fresh;
    back.clear();
    CHECK_FALSE(fresh.inflate_message(bytes("\x00\x05\x00\xfa\xffHello\x00"), back, 100));
    CHECK(back == "Hello");
    std::string empty;
    REQUIRE(zlib::deflate_message("", empty));
    back.clear();
    CHECK_FALSE(fresh.inflate_message(empty, back, 100));
    CHECK(back.empty());
}

TEST_CASE("zlib: message inflater limits, large messages, broken streams") {
    std::string big;
    for (int i = 0; i < 50'000; ++i) big += "{\"n\":" + std::to_string(i) + "}";
    std::string packed;
    REQUIRE(zlib::deflate_message(big, packed));
    zlib::message_inflater a;
    std::string back;
    CHECK_FALSE(a.inflate_message(packed, back, big.size()));  // exactly at the limit
    CHECK(back == big);
    zlib::message_inflater b;
    back = "keep";
    CHECK(b.inflate_message(packed, back, big.size() - 1) == zlib::error::too_large);
    CHECK(back == "keep");
    // After an error the inflater refuses everything (the connection is failing).
    CHECK(b.inflate_message(packed, back, big.size()) == zlib::error::internal);
    // A bomb: 16 MiB of zeros in a few KiB stops at the limit.
    std::string zeros(16 << 20, '\0'), bomb;
    REQUIRE(zlib::deflate_message(zeros, bomb));
    CHECK(bomb.size() < 40'000);
    zlib::message_inflater c;
    back.clear();
    CHECK(c.inflate_message(bomb, back, 1'000'000) == zlib::error::too_large);
    CHECK(back.empty());
    // Garbage.
    zlib::message_inflater d;
    CHECK(d.inflate_message(bytes("\xff\xff\xff\xff\xff"), back, 100) == zlib::error::corrupt);
    // reset = true: a message that referred to an earlier one no longer inflates to it.
    zlib::message_inflater e;
    std::string first;
    CHECK_FALSE(e.inflate_message(bytes("\xf2\x48\xcd\xc9\xc9\x07\x00"), first, 100));
    std::string second;
    const auto ec = e.inflate_message(bytes("\xf2\x00\x11\x00\x00"), second, 100, true);
    CHECK((ec || second != "Hello"));
}

TEST_CASE("deflate_stream: a body compressed piece by piece; each flush makes everything so far decodable") {
    for (auto f : {zlib::format::gzip, zlib::format::zlib}) {
        zlib::deflate_stream s(f);
        std::string wire, sent;
        z_stream in{};
        REQUIRE(inflateInit2(&in, f == zlib::format::gzip ? 15 + 16 : 15) == Z_OK);
        std::string decoded;
        auto decode_available = [&](std::string_view piece) {
            std::string out(1 << 20, '\0');
            in.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
            in.avail_in = static_cast<uInt>(piece.size());
            in.next_out = reinterpret_cast<Bytef*>(out.data());
            in.avail_out = static_cast<uInt>(out.size());
            const int rc = inflate(&in, Z_SYNC_FLUSH);
            CHECK((rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR));
            decoded.append(out.data(), out.size() - in.avail_out);
            return rc;
        };
        for (int i = 0; i < 6; ++i) {
            const std::string piece = "piece " + std::to_string(i) + std::string(3000 + i * 777, static_cast<char>('a' + i));
            std::string out;
            REQUIRE(s.write(piece, out, false, false));  // may hold everything back
            sent += piece;
            std::string flushed;
            REQUIRE(s.write({}, flushed, true, false));  // a sync point: all of it is out now
            decode_available(out + flushed);
            CHECK(decoded == sent);
        }
        std::string tail;
        REQUIRE(s.write("the end", tail, false, true));
        sent += "the end";
        CHECK(decode_available(tail) == Z_STREAM_END);
        CHECK(decoded == sent);
        inflateEnd(&in);
    }
}
