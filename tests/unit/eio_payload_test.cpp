// Engine.IO polling payloads: POST bodies in (reader, validation, all-or-nothing
// walk, maxPayload) and GET bodies out (exact-size join of queued packets).
#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <limits>
#include <memory>
#include <ostream>  // doctest prints std::error_code through operator<<
#include <string>
#include <string_view>
#include <vector>

#include <duet/eio/payload.hpp>

using namespace std::literals;
namespace eio = duet::eio;
using eio::packet;
using eio::packet_type;

namespace {
// A decoded packet that owns its bytes, for comparing whole payloads.
struct owned {
    packet_type type;
    bool binary;
    std::string data;
    friend bool operator==(const owned&, const owned&) = default;
};

owned own(const packet& p) { return {p.type, p.binary, std::string(p.data)}; }
owned txt(packet_type t, std::string d = {}) { return {t, false, std::move(d)}; }
owned bin(std::string d) { return {packet_type::message, true, std::move(d)}; }

struct read_result {
    std::vector<owned> packets;
    std::error_code ec;
};

read_result read_all(std::string_view body, eio::payload_options opts = {}) {
    read_result r;
    eio::payload_reader reader(body, opts);
    std::string scratch;
    packet p;
    while (reader.next(p, scratch, r.ec)) r.packets.push_back(own(p));
    return r;
}

read_result walk_all(std::string_view body, eio::payload_options opts = {}) {
    read_result r;
    std::string scratch;
    r.ec = eio::for_each_packet(body, scratch, [&](const packet& p) { r.packets.push_back(own(p)); },
                                opts);
    return r;
}
}  // namespace

TEST_CASE("eio payload: the spec's examples decode packet by packet") {
    auto r = read_all("4hello\x1e" "2\x1e" "4world");
    CHECK_FALSE(r.ec);
    CHECK(r.packets == std::vector<owned>{txt(packet_type::message, "hello"), txt(packet_type::ping),
                                          txt(packet_type::message, "world")});

    r = read_all("4hello\x1e" "bAQIDBA==");
    CHECK_FALSE(r.ec);
    CHECK(r.packets == std::vector<owned>{txt(packet_type::message, "hello"), bin("\x01\x02\x03\x04")});

    r = walk_all("4hello\x1e" "bAQIDBA==");
    CHECK_FALSE(r.ec);
    CHECK(r.packets.size() == 2);
    CHECK(r.packets[1] == bin("\x01\x02\x03\x04"));
}

TEST_CASE("eio payload: a single packet is a payload; every type can appear") {
    CHECK(read_all("1").packets == std::vector<owned>{txt(packet_type::close)});
    const auto r = read_all("0\x1e" "1\x1e" "2\x1e" "3probe\x1e" "4\x1e" "5\x1e" "6");
    CHECK_FALSE(r.ec);
    REQUIRE(r.packets.size() == 7);
    for (int i = 0; i < 7; ++i) CHECK(r.packets[i].type == static_cast<packet_type>(i));
    CHECK(r.packets[3].data == "probe");
}

TEST_CASE("eio payload: reader yields views into the body and reports the end cleanly") {
    const std::string body = "4abc\x1e" "4de";
    eio::payload_reader reader(body);
    std::string scratch;
    packet p;
    std::error_code ec = eio::error::bad_request;  // must be cleared
    CHECK_FALSE(reader.done());
    REQUIRE(reader.next(p, scratch, ec));
    CHECK_FALSE(ec);
    CHECK(p.data.data() == body.data() + 1);
    REQUIRE(reader.next(p, scratch, ec));
    CHECK(p.data == "de");
    CHECK(p.data.data() == body.data() + 6);
    CHECK(reader.done());
    CHECK(reader.count() == 2);
    ec = eio::error::bad_request;
    CHECK_FALSE(reader.next(p, scratch, ec));
    CHECK_FALSE(ec);
    CHECK_FALSE(reader.last_error());
}

TEST_CASE("eio payload: broken bodies are refused with the right error") {
    struct bad { std::string_view body; eio::error e; std::size_t good_before; };
    const bad cases[] = {
        {"", eio::error::empty_payload, 0},
        {"\x1e", eio::error::empty_packet, 0},
        {"\x1e" "4a", eio::error::empty_packet, 0},            // leading separator
        {"4a\x1e", eio::error::empty_packet, 1},                // trailing separator
        {"4a\x1e\x1e" "4b", eio::error::empty_packet, 1},       // empty packet in the middle
        {"4a\x1e" "9", eio::error::unknown_packet_type, 1},
        {"hello", eio::error::unknown_packet_type, 0},
        {"4a\x1e" "4b\x1e" "?", eio::error::unknown_packet_type, 2},
        {"4a\x1e" "b@@@@", eio::error::invalid_base64, 1},
        {"bAQIDBA=\x1e" "4a", eio::error::invalid_base64, 0},   // bad padding length
        {"bA", eio::error::invalid_base64, 0},
        {"4a\x1e" "4\xc0\xaf", eio::error::invalid_utf8, 1},
    };
    for (const auto& c : cases) {
        CAPTURE(c.body);
        // Streaming: the packets before the bad one come out, then the error, for good.
        eio::payload_reader reader(c.body);
        std::string scratch;
        packet p;
        std::error_code ec;
        std::size_t n = 0;
        while (reader.next(p, scratch, ec)) ++n;
        CHECK(n == c.good_before);
        CHECK(ec == c.e);
        CHECK(reader.done());
        CHECK(reader.last_error() == c.e);
        ec.clear();
        CHECK_FALSE(reader.next(p, scratch, ec));  // no resynchronisation
        CHECK(ec == c.e);

        // Validation alone gives the same verdict without any buffer.
        CHECK(eio::validate_payload(c.body) == c.e);

        // All-or-nothing: the callback never sees a packet of a malformed body.
        const auto w = walk_all(c.body);
        CHECK(w.ec == c.e);
        CHECK(w.packets.empty());
    }
}

TEST_CASE("eio payload: lone 'b' inside a payload is an empty binary message") {
    const auto r = read_all("4a\x1e" "b\x1e" "4c");
    CHECK_FALSE(r.ec);
    CHECK(r.packets == std::vector<owned>{txt(packet_type::message, "a"), bin(""),
                                          txt(packet_type::message, "c")});
}

TEST_CASE("eio payload: maxPayload is enforced on the body size, boundary included") {
    const std::string body = "4" + std::string(99, 'x');  // 100 bytes
    CHECK_FALSE(eio::check_payload_size(100, 100));
    CHECK(eio::check_payload_size(101, 100) == eio::error::payload_too_large);
    CHECK(eio::check_payload_size(std::numeric_limits<std::size_t>::max(), eio::default_max_payload) ==
          eio::error::payload_too_large);

    CHECK_FALSE(read_all(body, {.max_payload = 100}).ec);
    CHECK(read_all(body, {.max_payload = 99}).ec == eio::error::payload_too_large);
    CHECK(read_all(body, {.max_payload = 99}).packets.empty());
    CHECK_FALSE(eio::validate_payload(body, {.max_payload = 100}));
    CHECK(eio::validate_payload(body, {.max_payload = 99}) == eio::error::payload_too_large);
    CHECK(walk_all(body, {.max_payload = 99}).ec == eio::error::payload_too_large);

    // The default is engine.io's 1e6 bytes.
    const std::string big = "4" + std::string(eio::default_max_payload, 'x');
    CHECK(eio::validate_payload(big) == eio::error::payload_too_large);
    CHECK_FALSE(eio::validate_payload(std::string_view(big).substr(0, eio::default_max_payload)));
    CHECK_FALSE(eio::validate_payload(big, {.max_payload = std::numeric_limits<std::size_t>::max()}));
    CHECK(eio::payload_too_large_status == 413);
}

TEST_CASE("eio payload: invalid UTF-8 is refused unless validation is turned off") {
    const std::string_view body = "4ok\x1e" "4\xed\xa0\x80";
    CHECK(read_all(body).ec == eio::error::invalid_utf8);
    CHECK(eio::validate_payload(body) == eio::error::invalid_utf8);
    const auto r = read_all(body, {.validate_utf8 = false});
    CHECK_FALSE(r.ec);
    CHECK(r.packets.size() == 2);
    CHECK_FALSE(eio::validate_payload(body, {.validate_utf8 = false}));
    CHECK(walk_all(body, {.validate_utf8 = false}).packets.size() == 2);
}

TEST_CASE("eio payload: for_each_packet stops when the callback returns false") {
    std::string scratch;
    std::vector<packet_type> seen;
    const auto ec = eio::for_each_packet("4a\x1e" "1\x1e" "4b"sv, scratch, [&](const packet& p) {
        seen.push_back(p.type);
        return p.type != packet_type::close;  // the polling transport stops at close
    });
    CHECK_FALSE(ec);
    CHECK(seen == std::vector<packet_type>{packet_type::message, packet_type::close});
}

TEST_CASE("eio payload: binary packets reuse one scratch buffer; each is whole in its callback") {
    std::string scratch;
    std::vector<std::string> copies;
    const auto ec = eio::for_each_packet("bAQID\x1e" "4t\x1e" "bBAUG"sv, scratch, [&](const packet& p) {
        copies.emplace_back(p.data);
        if (p.binary) CHECK(p.data.data() == scratch.data());
    });
    CHECK_FALSE(ec);
    CHECK(copies == std::vector<std::string>{"\x01\x02\x03", "t", "\x04\x05\x06"});
}

TEST_CASE("eio payload: encoding joins packets with 0x1E, binary as b+base64, exact size") {
    const std::string raw = "\x01\x02\x03\x04";
    const std::array<packet, 4> queue{
        packet::text(packet_type::message, "hello"),
        packet::binary_message(std::as_bytes(std::span(raw))),
        packet::text(packet_type::ping),
        packet::text(packet_type::message, "\xe2\x82\xac"),
    };
    const std::string expected = "4hello\x1e" "bAQIDBA==\x1e" "2\x1e" "4\xe2\x82\xac";
    CHECK(eio::payload_encoded_size(queue) == expected.size());

    std::string out = "HTTP-body:";
    eio::encode_payload(out, queue);
    CHECK(out == "HTTP-body:" + expected);

    // What we encode decodes back to the same packets.
    const auto r = read_all(expected);
    CHECK_FALSE(r.ec);
    REQUIRE(r.packets.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) CHECK(r.packets[i] == own(queue[i]));

    // A single packet needs no separator; an empty queue writes nothing.
    std::string one;
    eio::encode_payload(one, std::span(queue).first(1));
    CHECK(one == "4hello");
    std::string none = "x";
    eio::encode_payload(none, std::span<const packet>());
    CHECK(none == "x");
    CHECK(eio::payload_encoded_size(std::span<const packet>()) == 0);
    std::string noop;
    eio::encode_payload(noop, std::array{packet::text(packet_type::noop)});
    CHECK(noop == "6");
}

TEST_CASE("eio payload: encoding from a session's own queue type through a projection") {
    struct queued {
        packet_type type;
        bool binary;
        std::shared_ptr<const std::string> bytes;  // e.g. shared by a broadcast
    };
    std::vector<queued> q;
    q.push_back({packet_type::message, false, std::make_shared<const std::string>("2[\"chat\",\"hi\"]")});
    q.push_back({packet_type::message, true, std::make_shared<const std::string>("\xff\xfe")});
    q.push_back({packet_type::noop, false, std::make_shared<const std::string>()});
    const auto view = [](const queued& e) { return packet{e.type, e.binary, *e.bytes}; };

    std::string out;
    eio::encode_payload(out, q, view);
    CHECK(out == "42[\"chat\",\"hi\"]\x1e" "b//4=\x1e" "6");
    CHECK(eio::payload_encoded_size(q, view) == out.size());
}

TEST_CASE("eio payload: the leading packets that fit a size bound, never zero") {
    const std::array<packet, 3> q{packet::text(packet_type::message, "aaaa"),   // 5 bytes
                                  packet::text(packet_type::message, "bbbb"),   // +1+5
                                  packet::text(packet_type::message, "cccc")};  // +1+5
    CHECK(eio::payload_prefix_fitting(q, 1000) == 3);
    CHECK(eio::payload_prefix_fitting(q, 17) == 3);
    CHECK(eio::payload_prefix_fitting(q, 16) == 2);
    CHECK(eio::payload_prefix_fitting(q, 11) == 2);
    CHECK(eio::payload_prefix_fitting(q, 10) == 1);
    CHECK(eio::payload_prefix_fitting(q, 5) == 1);
    CHECK(eio::payload_prefix_fitting(q, 1) == 1);  // an oversized packet still goes, alone
    CHECK(eio::payload_prefix_fitting(std::span<const packet>(), 10) == 0);

    // The count is right: encoding that prefix stays within the bound.
    std::string out;
    eio::encode_payload(out, std::span(q).first(eio::payload_prefix_fitting(q, 16)));
    CHECK(out.size() <= 16);
    CHECK(out == "4aaaa\x1e" "4bbbb");
}
