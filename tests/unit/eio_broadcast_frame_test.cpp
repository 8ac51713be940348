// eio/broadcast_frame.hpp: the Engine.IO packets and the WebSocket bytes of one
// broadcast message, byte for byte — a text packet alone, with binary attachments
// (an empty one included), and a text long enough for the 16-bit length form.
#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <duet/eio/broadcast_frame.hpp>

using namespace std::literals;
namespace eio = duet::eio;

namespace {
std::vector<std::byte> bytes_of(std::initializer_list<int> v) {
    std::vector<std::byte> out;
    for (int b : v) out.push_back(static_cast<std::byte>(b));
    return out;
}
}  // namespace

TEST_CASE("a text packet: one Engine.IO message, one WebSocket text frame \"4\" + text") {
    const std::string text = "2[\"hi\"]";
    std::vector<eio::packet> packets;
    auto framed = eio::frame_broadcast(text, {}, packets);
    REQUIRE(framed);
    // FIN + text opcode, unmasked, 8 payload bytes: '4' then the 7 of the text.
    CHECK(*framed == "\x81\x08" "42[\"hi\"]"s);
    REQUIRE(packets.size() == 1);
    CHECK(packets[0].type == eio::packet_type::message);
    CHECK_FALSE(packets[0].binary);
    CHECK(packets[0].data == text);
    CHECK(packets[0].data.data() == text.data());  // a view, not a copy
    // Over long-polling the same packet encodes as "4" + text.
    std::string polled;
    eio::encode_polling_packet(polled, packets[0]);
    CHECK(polled == "42[\"hi\"]");
}

TEST_CASE("with binary attachments: a binary message and a binary frame per attachment, in order") {
    const std::string text = "52-[\"up\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]";
    const std::vector<std::vector<std::byte>> attachments{bytes_of({1, 2, 3}), {}};
    std::vector<eio::packet> packets;
    auto framed = eio::frame_broadcast(text, attachments, packets);
    REQUIRE(framed);
    std::string expected;
    expected += "\x81";
    expected += static_cast<char>(text.size() + 1);
    expected += '4';
    expected += text;
    expected += "\x82\x03\x01\x02\x03"s;  // FIN + binary, 3 bytes
    expected += "\x82\x00"s;              // FIN + binary, empty
    CHECK(*framed == expected);
    REQUIRE(packets.size() == 3);
    CHECK(packets[0] == eio::packet::text(eio::packet_type::message, text));
    CHECK(packets[1].binary);
    CHECK(packets[1].type == eio::packet_type::message);
    CHECK(packets[1].data == "\x01\x02\x03"sv);
    CHECK(static_cast<const void*>(packets[1].data.data()) == static_cast<const void*>(attachments[0].data()));
    CHECK(packets[2].binary);
    CHECK(packets[2].data.empty());
}

TEST_CASE("a text of 200 bytes: the 16-bit extended payload length") {
    const std::string text(200, 'x');
    std::vector<eio::packet> packets;
    auto framed = eio::frame_broadcast(text, {}, packets);
    REQUIRE(framed->size() == 4 + 201);
    CHECK(framed->substr(0, 5) == "\x81\x7e\x00\xc9" "4"s);  // 126, then 201 big-endian
    CHECK(framed->substr(5) == text);
    CHECK(packets.size() == 1);
}
