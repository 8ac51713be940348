// eio/broadcast_frame.hpp: the Engine.IO packets and the WebSocket bytes of one
// broadcast message, byte for byte — a text packet alone, with binary attachments
// (an empty one included), and a text long enough for the 16-bit length form; and the
// permessage-deflate form of the same frames, deflated once per broadcast.
#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <duet/core/zlib.hpp>
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

namespace {
// The messages in `frames` (unmasked, server to client), each inflated when RSV1 says it
// is compressed: {compressed, opcode, payload}.
struct message {
    bool compressed;
    int opcode;
    std::string payload;
};
std::vector<message> read_frames(std::string_view frames) {
    std::vector<message> out;
    while (!frames.empty()) {
        const auto b0 = static_cast<unsigned char>(frames[0]);
        std::size_t len = static_cast<unsigned char>(frames[1]) & 0x7f, at = 2;
        if (len == 126) len = static_cast<std::size_t>(static_cast<unsigned char>(frames[2])) << 8 | static_cast<unsigned char>(frames[3]), at = 4;
        REQUIRE(len != 127);
        std::string payload(frames.substr(at, len));
        const bool compressed = (b0 & 0x40) != 0;
        if (compressed) {
            duet::zlib::message_inflater z;
            std::string inflated;
            REQUIRE_FALSE(z.inflate_message(payload, inflated, 1 << 20));
            payload = inflated;
        }
        out.push_back({compressed, b0 & 0x0f, payload});
        frames.remove_prefix(at + len);
    }
    return out;
}
}  // namespace

TEST_CASE("deflated_broadcast: messages over the threshold deflated with RSV1, the others as they are, built once") {
    const std::string text = "2[\"news\",\"" + std::string(3000, 'a') + "\"]";
    const std::vector<std::vector<std::byte>> attachments{std::vector<std::byte>(2000, std::byte{7}), bytes_of({1, 2})};
    std::vector<eio::packet> packets;
    auto framed = eio::frame_broadcast(text, attachments, packets);
    auto deflated = eio::deflated_broadcast(framed, packets.data(), packets.size(), 1024);
    REQUIRE(deflated);
    CHECK(deflated != framed);
    CHECK(deflated->size() < framed->size() / 10);
    const auto msgs = read_frames(*deflated);
    REQUIRE(msgs.size() == 3);
    CHECK(msgs[0].compressed);
    CHECK(msgs[0].opcode == 1);
    CHECK(msgs[0].payload == "4" + text);
    CHECK(msgs[1].compressed);
    CHECK(msgs[1].opcode == 2);
    CHECK(msgs[1].payload == std::string(2000, '\x07'));
    CHECK_FALSE(msgs[2].compressed);  // 2 bytes: under the threshold
    CHECK(msgs[2].payload == "\x01\x02"s);
    // The next recipient of the same broadcast gets the same bytes, not a new deflate.
    CHECK(eio::deflated_broadcast(framed, packets.data(), packets.size(), 1024) == deflated);
    // Another threshold is another form.
    auto all = eio::deflated_broadcast(framed, packets.data(), packets.size(), 0);
    CHECK(all != deflated);
    CHECK(read_frames(*all)[2].compressed);
    // Another broadcast (even at the same address once the first is gone) is framed anew.
    std::vector<eio::packet> packets2;
    const std::string text2 = "2[\"x\"]" + std::string(2000, ' ');  // packets view it: it outlives them
    auto framed2 = eio::frame_broadcast(text2, {}, packets2);
    auto d2 = eio::deflated_broadcast(framed2, packets2.data(), packets2.size(), 1024);
    CHECK(read_frames(*d2)[0].payload == "42[\"x\"]" + std::string(2000, ' '));
}

TEST_CASE("deflated_broadcast: nothing over the threshold gives the plain frames themselves") {
    std::vector<eio::packet> packets;
    auto framed = eio::frame_broadcast("2[\"hi\"]", {}, packets);
    CHECK(eio::deflated_broadcast(framed, packets.data(), packets.size(), 1024) == framed);
}
