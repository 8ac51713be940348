// Engine.IO single packets: type table, text form (polling / WebSocket text frame),
// binary over both transports, malformed packets, scratch-buffer ownership.
#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <ostream>  // doctest prints std::error_code through operator<<
#include <string>
#include <string_view>
#include <vector>

#include <duet/eio/packet.hpp>

using namespace std::literals;
namespace eio = duet::eio;
using eio::packet;
using eio::packet_type;

namespace {
constexpr std::array<packet_type, 7> all_types{
    packet_type::open,    packet_type::close,   packet_type::ping, packet_type::pong,
    packet_type::message, packet_type::upgrade, packet_type::noop};

std::vector<std::byte> bytes_of(std::initializer_list<int> v) {
    std::vector<std::byte> out;
    for (int b : v) out.push_back(static_cast<std::byte>(b));
    return out;
}

std::vector<std::byte> to_vec(std::span<const std::byte> s) { return {s.begin(), s.end()}; }
}  // namespace

TEST_CASE("eio packet: type digits are 0..6 both ways, nothing else parses") {
    for (std::size_t i = 0; i < all_types.size(); ++i) {
        const char c = static_cast<char>('0' + i);
        CHECK(eio::type_char(all_types[i]) == c);
        REQUIRE(eio::parse_type_char(c).has_value());
        CHECK(*eio::parse_type_char(c) == all_types[i]);
        CHECK(eio::type_prefix(all_types[i]) == std::string(1, c));
    }
    for (char c : "789/:b B\x1e\0"sv) CHECK_FALSE(eio::parse_type_char(c).has_value());
    CHECK(eio::name(packet_type::open) == "open");
    CHECK(eio::name(packet_type::noop) == "noop");
}

TEST_CASE("eio packet: every type decodes from its text form, data viewing the input") {
    std::string scratch;
    for (auto t : all_types) {
        const std::string bare(1, eio::type_char(t));
        packet p;
        REQUIRE_FALSE(eio::decode_packet(bare, p, scratch));
        CHECK(p.type == t);
        CHECK_FALSE(p.binary);
        CHECK(p.data.empty());

        const std::string with_data = bare + "probe \xe2\x82\xac";  // "€" keeps it UTF-8
        REQUIRE_FALSE(eio::decode_packet(with_data, p, scratch));
        CHECK(p.type == t);
        CHECK_FALSE(p.binary);
        CHECK(p.data == "probe \xe2\x82\xac");
        CHECK(p.data.data() == with_data.data() + 1);  // a view, not a copy
    }
}

TEST_CASE("eio packet: every type encodes as digit + data for polling and WebSocket") {
    for (auto t : all_types) {
        const packet p = packet::text(t, "hello");
        std::string polling = "prefix:";
        eio::encode_polling_packet(polling, p);
        CHECK(polling == "prefix:" + std::string(1, eio::type_char(t)) + "hello");

        std::string ws;
        CHECK(eio::encode_ws(ws, p) == eio::ws_frame::text);
        CHECK(eio::ws_frame_of(p) == eio::ws_frame::text);
        CHECK(ws == std::string(1, eio::type_char(t)) + "hello");
        // The zero-copy gather form is the same bytes.
        CHECK(ws == std::string(eio::type_prefix(t)) + std::string(p.data));
        CHECK(eio::ws_encoded_size(p) == ws.size());
        CHECK(eio::polling_encoded_size(p) == ws.size());

        std::string scratch;
        packet back;
        REQUIRE_FALSE(eio::decode_packet(ws, back, scratch));
        CHECK(back == p);
    }
    std::string out;
    eio::encode_polling_packet(out, packet::text(packet_type::ping));
    CHECK(out == "2");
}

TEST_CASE("eio packet: binary over polling is 'b' + base64 and decodes into scratch") {
    const auto raw = bytes_of({1, 2, 3, 4});
    std::string out;
    eio::encode_polling_packet(out, packet::binary_message(raw));
    CHECK(out == "bAQIDBA==");  // the spec's example
    CHECK(eio::polling_encoded_size(packet::binary_message(raw)) == out.size());

    std::string scratch = "stale";
    packet p;
    REQUIRE_FALSE(eio::decode_packet(out, p, scratch));
    CHECK(p.type == packet_type::message);
    CHECK(p.binary);
    CHECK(to_vec(p.bytes()) == raw);
    CHECK(p.data.data() == scratch.data());  // views the scratch buffer
    CHECK(scratch.size() == 4);              // cleared before decoding, not appended

    // Unpadded and URL-alphabet spellings are accepted (Node's decoder accepts them).
    REQUIRE_FALSE(eio::decode_packet("bAQIDBA", p, scratch));
    CHECK(to_vec(p.bytes()) == raw);
    REQUIRE_FALSE(eio::decode_packet("b-_8=", p, scratch));
    CHECK(to_vec(p.bytes()) == bytes_of({0xfb, 0xff}));

    // Every length of binary data survives encode -> decode, and sizes are exact.
    std::vector<std::byte> data;
    for (int n = 0; n < 10; ++n) {
        std::string enc;
        eio::encode_polling_packet(enc, packet::binary_message(data));
        CHECK(enc.size() == eio::polling_encoded_size(packet::binary_message(data)));
        std::vector<std::byte> vscratch;
        REQUIRE_FALSE(eio::decode_packet(enc, p, vscratch));
        CHECK(p.binary);
        CHECK(to_vec(p.bytes()) == data);
        data.push_back(static_cast<std::byte>(0xF0 + n));
    }
}

TEST_CASE("eio packet: a binary packet is always a message, whatever its type field") {
    const auto raw = bytes_of({0xde, 0xad});
    packet p{packet_type::ping, true, std::string_view(reinterpret_cast<const char*>(raw.data()), 2)};
    std::string out;
    eio::encode_polling_packet(out, p);
    CHECK(out == "b3q0=");
}

TEST_CASE("eio packet: lone 'b' is an empty binary message, as engine.io-parser decodes it") {
    std::string scratch = "leftover";
    packet p;
    REQUIRE_FALSE(eio::decode_packet("b", p, scratch));
    CHECK(p.type == packet_type::message);
    CHECK(p.binary);
    CHECK(p.data.empty());
    std::string out;
    eio::encode_polling_packet(out, p);
    CHECK(out == "b");
}

TEST_CASE("eio packet: binary over WebSocket is the raw bytes, no type byte") {
    const auto raw = bytes_of({0x00, 0x34, 0xff, 0x1e});  // includes '4' and 0x1E
    const packet p = packet::binary_message(raw);
    std::string frame;
    CHECK(eio::encode_ws(frame, p) == eio::ws_frame::binary);
    CHECK(eio::ws_frame_of(p) == eio::ws_frame::binary);
    CHECK(frame == "\x00\x34\xff\x1e"sv);
    CHECK(eio::ws_encoded_size(p) == 4);

    const packet back = eio::decode_ws_binary(std::as_bytes(std::span(frame)));
    CHECK(back.type == packet_type::message);
    CHECK(back.binary);
    CHECK(back.data.data() == frame.data());
    CHECK(to_vec(back.bytes()) == raw);

    const packet empty = eio::decode_ws_binary({});
    CHECK(empty.binary);
    CHECK(empty.data.empty());
}

TEST_CASE("eio packet: WebSocket text frames decode like the text form, 'b' included") {
    std::string scratch;
    packet p;
    REQUIRE_FALSE(eio::decode_ws_text("4hello", p, scratch));
    CHECK(p == packet::text(packet_type::message, "hello"));
    REQUIRE_FALSE(eio::decode_ws_text("2probe", p, scratch));
    CHECK(eio::is_probe(p));
    REQUIRE_FALSE(eio::decode_ws_text("bAQID", p, scratch));
    CHECK(p.binary);
    CHECK(to_vec(p.bytes()) == bytes_of({1, 2, 3}));
    CHECK(eio::decode_ws_text("", p, scratch) == eio::error::empty_packet);
    CHECK(eio::decode_ws_text("x", p, scratch) == eio::error::unknown_packet_type);
}

TEST_CASE("eio packet: malformed packets are refused with their error, out untouched") {
    std::string scratch;
    const packet sentinel = packet::text(packet_type::noop, "sentinel");
    struct bad { std::string_view in; eio::error e; };
    const bad cases[] = {
        {"", eio::error::empty_packet},
        {"7", eio::error::unknown_packet_type},
        {"9hello", eio::error::unknown_packet_type},
        {"x4", eio::error::unknown_packet_type},
        {"B", eio::error::unknown_packet_type},   // the prefix is lower-case only
        {"\x1e" "4", eio::error::unknown_packet_type},
        {" 4", eio::error::unknown_packet_type},
        {"b!!!!", eio::error::invalid_base64},
        {"bA", eio::error::invalid_base64},        // 4k+1 symbols
        {"bAQIDB", eio::error::invalid_base64},
        {"bAQ=D", eio::error::invalid_base64},     // padding in the middle
        {"bAQID=", eio::error::invalid_base64},    // padding on a non-multiple of 4
        {"b====", eio::error::invalid_base64},
        {"b===", eio::error::invalid_base64},
        {"bAQ\nID", eio::error::invalid_base64},   // no whitespace inside
        {"4\xff", eio::error::invalid_utf8},
    };
    for (const auto& c : cases) {
        CAPTURE(c.in);
        packet p = sentinel;
        const auto ec = eio::decode_packet(c.in, p, scratch);
        CHECK(ec == c.e);
        CHECK(ec.category() == eio::eio_category());
        CHECK(p == sentinel);
        CHECK(eio::check_packet(c.in) == c.e);  // check-only gives the same verdict
    }
}

TEST_CASE("eio packet: text packets must be UTF-8 unless the caller already checked") {
    std::string scratch;
    packet p;
    const std::string_view good[] = {
        "4", "4plain ascii longer than eight bytes", "4\xc3\xa9", "4\xe2\x82\xac",
        "4\xf0\x9f\x98\x80", "4\xef\xbf\xbf", "4\xf4\x8f\xbf\xbf", "4\xed\x9f\xbf",
        "4abcdefghijklmnop\xc3\xa9qrstuvwxyz",
    };
    for (auto in : good) {
        CAPTURE(in);
        CHECK_FALSE(eio::decode_packet(in, p, scratch));
    }
    const std::string_view bad[] = {
        "4\x80",                 // stray continuation
        "4\xc0\xaf",             // overlong '/'
        "4\xc1\xbf",             // overlong
        "4\xe0\x80\xaf",         // overlong 3-byte
        "4\xed\xa0\x80",         // UTF-16 surrogate
        "4\xf0\x80\x80\xaf",     // overlong 4-byte
        "4\xf4\x90\x80\x80",     // above U+10FFFF
        "4\xf5\x80\x80\x80",     // invalid lead
        "4\xe2\x82",             // truncated at the end
        "4\xe2\x28\xac",         // bad continuation
        "4\xc3",                 // truncated 2-byte
        "4abcdefghijklmnopqrstuvw\xff",  // after the 8-byte ASCII fast path
        "4abcdefgh\xc3\x28",
    };
    for (auto in : bad) {
        CAPTURE(in);
        CHECK(eio::decode_packet(in, p, scratch) == eio::error::invalid_utf8);
        // A WebSocket text frame was validated by the ws layer: no second check.
        CHECK_FALSE(eio::decode_packet(in, p, scratch, {.validate_utf8 = false}));
        CHECK(p.data == in.substr(1));
    }
}

TEST_CASE("eio packet: the scratch buffer is reused, not reallocated, across packets") {
    std::string scratch;
    packet p;
    REQUIRE_FALSE(eio::decode_packet("bAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", p, scratch));
    CHECK(p.data.size() == 32);
    const char* const storage = scratch.data();
    REQUIRE_FALSE(eio::decode_packet("bAQID", p, scratch));
    CHECK(to_vec(p.bytes()) == bytes_of({1, 2, 3}));
    CHECK(scratch.data() == storage);
    CHECK(p.data.data() == storage);

    std::vector<unsigned char> uscratch;
    REQUIRE_FALSE(eio::decode_packet("bAQID", p, uscratch));
    CHECK(to_vec(p.bytes()) == bytes_of({1, 2, 3}));
}

TEST_CASE("eio packet: probe recognition is exact") {
    CHECK(eio::is_probe(packet::text(packet_type::ping, "probe")));
    CHECK(eio::is_probe(packet::text(packet_type::pong, "probe")));
    CHECK_FALSE(eio::is_probe(packet::text(packet_type::message, "probe")));
    CHECK_FALSE(eio::is_probe(packet::text(packet_type::ping, "probes")));
    CHECK_FALSE(eio::is_probe(packet::text(packet_type::ping)));
    const std::string_view raw = "probe";
    CHECK_FALSE(eio::is_probe(packet::binary_message(std::as_bytes(std::span(raw)))));
}
