// Frame codec: header encoding in every length form, header decoding and its
// stream-independent rules, masking (also split at arbitrary points), close payloads.
#include <ostream>  // doctest prints std::error_code through it

#include <doctest/doctest.h>

#include <duet/ws/frame.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <vector>

using namespace duet::ws;

namespace {
std::vector<std::byte> bytes(std::initializer_list<int> v) {
    std::vector<std::byte> out;
    for (int b : v) out.push_back(static_cast<std::byte>(b));
    return out;
}
std::vector<std::byte> bytes(std::string_view s) {
    auto b = std::as_bytes(std::span(s.data(), s.size()));
    return {b.begin(), b.end()};
}
}  // namespace

TEST_CASE("opcode classification") {
    CHECK(is_control(opcode::close));
    CHECK(is_control(opcode::ping));
    CHECK(is_control(opcode::pong));
    CHECK_FALSE(is_control(opcode::text));
    CHECK_FALSE(is_control(opcode::binary));
    CHECK_FALSE(is_control(opcode::continuation));
    for (unsigned op = 0; op < 16; ++op)
        CHECK(is_known_opcode(op) == (op == 0 || op == 1 || op == 2 || op == 8 || op == 9 || op == 10));
}

TEST_CASE("server frame header: 7-bit, 16-bit and 64-bit length forms") {
    struct row { std::uint64_t n; std::vector<std::byte> expect; };
    const row rows[] = {
        {0, bytes({0x81, 0x00})},
        {5, bytes({0x81, 0x05})},
        {125, bytes({0x81, 0x7D})},
        {126, bytes({0x81, 0x7E, 0x00, 0x7E})},
        {127, bytes({0x81, 0x7E, 0x00, 0x7F})},
        {65535, bytes({0x81, 0x7E, 0xFF, 0xFF})},
        {65536, bytes({0x81, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00})},
        {0x0102030405060708ull, bytes({0x81, 0x7F, 1, 2, 3, 4, 5, 6, 7, 8})},
    };
    for (const auto& r : rows) {
        CAPTURE(r.n);
        std::array<std::byte, max_server_header_size> buf{};
        const std::size_t n = write_frame_header(buf, opcode::text, true, r.n);
        CHECK(n == r.expect.size());
        CHECK(n == frame_header_size(r.n));
        CHECK(std::vector<std::byte>(buf.begin(), buf.begin() + n) == r.expect);

        const auto h = make_frame_header(opcode::text, true, r.n);
        CHECK(std::vector<std::byte>(h.bytes().begin(), h.bytes().end()) == r.expect);

        std::vector<std::byte> v = bytes({0xAA});  // appends after existing content
        append_frame_header(v, opcode::text, true, r.n);
        REQUIRE(v.size() == 1 + r.expect.size());
        CHECK(v[0] == std::byte{0xAA});
        CHECK(std::vector<std::byte>(v.begin() + 1, v.end()) == r.expect);
    }
}

TEST_CASE("server frame header: FIN bit and opcode in the first byte, never a mask bit") {
    static_assert(make_frame_header(opcode::binary, false, 3).size == 2);
    CHECK(make_frame_header(opcode::binary, false, 3).bytes()[0] == std::byte{0x02});
    CHECK(make_frame_header(opcode::continuation, true, 3).bytes()[0] == std::byte{0x80});
    CHECK(make_frame_header(opcode::ping, true, 0).bytes()[0] == std::byte{0x89});
    CHECK(make_frame_header(opcode::pong, true, 0).bytes()[0] == std::byte{0x8A});
    CHECK(make_frame_header(opcode::close, true, 0).bytes()[0] == std::byte{0x88});
    for (std::uint64_t n : {0ull, 125ull, 126ull, 70000ull})
        CHECK((make_frame_header(opcode::text, true, n).bytes()[1] & std::byte{0x80}) == std::byte{0});
}

TEST_CASE("append_frame writes header then payload into std::string") {
    std::string out = "x";
    append_frame(out, opcode::text, std::string_view("Hello"));
    CHECK(out == std::string("x\x81\x05Hello", 8));

    std::string big(300, 'a');
    std::string out2;
    append_frame(out2, opcode::binary, big, false);
    REQUIRE(out2.size() == 4 + 300);
    CHECK(out2.substr(0, 4) == std::string("\x02\x7E\x01\x2C", 4));
    CHECK(out2.substr(4) == big);
}

TEST_CASE("unmask: RFC 6455 5.7 masked \"Hello\"") {
    // 0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58
    auto payload = bytes({0x7f, 0x9f, 0x4d, 0x51, 0x58});
    const mask_key key{std::byte{0x37}, std::byte{0xfa}, std::byte{0x21}, std::byte{0x3d}};
    unmask(payload, key);
    CHECK(payload == bytes("Hello"));

    std::string wire;
    append_masked_frame(wire, opcode::text, std::string_view("Hello"), key);
    CHECK(wire == std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
}

TEST_CASE("unmask: any length, any offset, split at any point equals byte-wise XOR") {
    const mask_key key{std::byte{0x12}, std::byte{0x34}, std::byte{0x56}, std::byte{0x78}};
    for (std::size_t len = 0; len <= 41; ++len) {
        std::vector<std::byte> plain(len);
        for (std::size_t i = 0; i < len; ++i) plain[i] = static_cast<std::byte>(i * 37 + 11);
        std::vector<std::byte> expect = plain;
        for (std::size_t i = 0; i < len; ++i) expect[i] ^= key[i & 3];

        for (std::size_t a = 0; a <= len; ++a) {
            for (std::size_t b = a; b <= len; b += 3) {
                auto data = plain;
                std::span<std::byte> s(data);
                unmask(s.subspan(0, a), key, 0);
                unmask(s.subspan(a, b - a), key, a);
                unmask(s.subspan(b), key, b);
                REQUIRE(data == expect);
            }
        }
        auto twice = plain;  // masking is an involution
        unmask(twice, key, 5);
        unmask(twice, key, 5);
        CHECK(twice == plain);
    }
}

TEST_CASE("decode_frame_header: every length form, masked client frames") {
    std::string wire;
    const mask_key key{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
    for (std::size_t n : {0u, 125u, 126u, 65535u, 65536u}) {
        CAPTURE(n);
        wire.clear();
        append_masked_frame(wire, opcode::binary, std::string(n, 'z'), key, false);
        frame_header h;
        std::error_code ec;
        const std::size_t hs = decode_frame_header(std::as_bytes(std::span(wire)), h, ec);
        REQUIRE_FALSE(ec);
        CHECK(hs == frame_header_size(n) + 4);
        CHECK(h.header_size == hs);
        CHECK(h.op == opcode::binary);
        CHECK_FALSE(h.fin);
        CHECK(h.masked);
        CHECK(h.mask == key);
        CHECK(h.payload_size == n);
        // Every strict prefix of the header asks for more without an error.
        for (std::size_t cut = 0; cut < hs; ++cut) {
            frame_header h2;
            CHECK(decode_frame_header(std::as_bytes(std::span(wire.data(), cut)), h2, ec) == 0);
            CHECK_FALSE(ec);
        }
    }
}

TEST_CASE("decode_frame_header: server frames must not be masked, client frames must") {
    const auto server_hello = bytes({0x81, 0x05, 'H', 'e', 'l', 'l', 'o'});
    frame_header h;
    std::error_code ec;
    CHECK(decode_frame_header(server_hello, h, ec, sender::server) == 2);
    CHECK_FALSE(ec);
    CHECK(h.payload_size == 5);
    CHECK(decode_frame_header(server_hello, h, ec, sender::client) == 0);
    CHECK(ec == error::unmasked_frame);

    const auto client_hello = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d});
    CHECK(decode_frame_header(client_hello, h, ec, sender::server) == 0);
    CHECK(ec == error::masked_frame);
}

TEST_CASE("decode_frame_header: rule violations are reported from the first two bytes") {
    struct row { int b0, b1; error e; };
    const row rows[] = {
        {0xC1, 0x85, error::reserved_bits},  // RSV1
        {0xA1, 0x85, error::reserved_bits},  // RSV2
        {0x91, 0x85, error::reserved_bits},  // RSV3
        {0x83, 0x80, error::reserved_opcode}, {0x84, 0x80, error::reserved_opcode},
        {0x85, 0x80, error::reserved_opcode}, {0x86, 0x80, error::reserved_opcode},
        {0x87, 0x80, error::reserved_opcode}, {0x8B, 0x80, error::reserved_opcode},
        {0x8C, 0x80, error::reserved_opcode}, {0x8D, 0x80, error::reserved_opcode},
        {0x8E, 0x80, error::reserved_opcode}, {0x8F, 0x80, error::reserved_opcode},
        {0x09, 0x80, error::fragmented_control},  // ping without FIN
        {0x08, 0x80, error::fragmented_control},
        {0x89, 0xFE, error::control_too_big},     // ping with 16-bit length
        {0x88, 0xFF, error::control_too_big},     // close with 64-bit length
        {0x81, 0x05, error::unmasked_frame},
    };
    for (const auto& r : rows) {
        CAPTURE(r.b0);
        CAPTURE(r.b1);
        frame_header h;
        std::error_code ec;
        CHECK(decode_frame_header(bytes({r.b0, r.b1}), h, ec) == 0);
        CHECK(ec == r.e);
        CHECK(close_code_for(r.e) == close_code::protocol_error);
    }
}

TEST_CASE("decode_frame_header: 64-bit length with the top bit set, non-minimal lengths") {
    frame_header h;
    std::error_code ec;
    // Caught from the first length byte, before the rest of the header.
    CHECK(decode_frame_header(bytes({0x82, 0xFF, 0x80}), h, ec) == 0);
    CHECK(ec == error::bad_length);
    CHECK(decode_frame_header(bytes({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4}), h, ec) == 0);
    CHECK(ec == error::bad_length);
    CHECK(decode_frame_header(bytes({0x82, 0xFE, 0x00, 0x7D, 1, 2, 3, 4}), h, ec) == 0);
    CHECK(ec == error::non_minimal_length);
    CHECK(decode_frame_header(bytes({0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3, 4}), h, ec) == 0);
    CHECK(ec == error::non_minimal_length);
    // Largest legal 64-bit length.
    CHECK(decode_frame_header(bytes({0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4}),
                              h, ec) == 14);
    CHECK_FALSE(ec);
    CHECK(h.payload_size == 0x7FFFFFFFFFFFFFFFull);
}

TEST_CASE("close payload: code in network order, reason, limits") {
    std::string p;
    CHECK(append_close_payload(p, close_code::normal, "bye") == 5);
    CHECK(p == std::string("\x03\xE8" "bye", 5));

    p.clear();
    CHECK(append_close_payload(p, close_code::message_too_big) == 2);
    CHECK(p == std::string("\x03\xF1", 2));

    // Codes that must never be sent become the empty payload ("no status").
    for (auto c : {close_code::no_status, close_code::abnormal, close_code::tls_handshake}) {
        p.clear();
        CHECK(append_close_payload(p, c, "ignored") == 0);
        CHECK(p.empty());
    }

    // Reason cut to 123 bytes, never inside a UTF-8 character.
    p.clear();
    CHECK(append_close_payload(p, close_code::going_away, std::string(200, 'r')) == 125);
    p.clear();
    const std::string reason = std::string(122, 'a') + "\xC3\xA9" + "tail";  // é straddles byte 123
    CHECK(append_close_payload(p, close_code::going_away, reason) == 2 + 122);
    CHECK(p.substr(2) == std::string(122, 'a'));
}

TEST_CASE("append_close_frame: complete server close frame") {
    std::vector<std::byte> out;
    append_close_frame(out, close_code::protocol_error, "bad");
    CHECK(out == bytes({0x88, 0x05, 0x03, 0xEA, 'b', 'a', 'd'}));
    out.clear();
    append_close_frame(out, close_code::no_status);
    CHECK(out == bytes({0x88, 0x00}));
    std::string s;
    append_close_frame(s, close_code::normal, std::string(500, 'x'));
    CHECK(s.size() == 2 + 125);
    CHECK(static_cast<unsigned char>(s[1]) == 125);
}

TEST_CASE("close code validity on the wire (RFC 6455 7.4, Autobahn 7.7/7.9)") {
    for (int c : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999})
        CHECK(is_valid_wire_close_code(static_cast<std::uint16_t>(c)));
    for (int c : {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535})
        CHECK_FALSE(is_valid_wire_close_code(static_cast<std::uint16_t>(c)));
}

TEST_CASE("error category and close code mapping") {
    std::error_code ec = error::invalid_utf8;
    CHECK(std::string(ec.category().name()) == "duet.ws");
    CHECK(ec.message() == "text message is not valid UTF-8");
    CHECK(ec != std::error_code{});
    CHECK(close_code_for(error::invalid_utf8) == close_code::invalid_payload);
    CHECK(close_code_for(error::invalid_close_reason) == close_code::invalid_payload);
    CHECK(close_code_for(error::message_too_big) == close_code::message_too_big);
    CHECK(close_code_for(error::unexpected_continuation) == close_code::protocol_error);
    CHECK(close_code_for(error::bad_close_code) == close_code::protocol_error);
}
