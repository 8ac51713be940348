// duet/eio/broadcast_frame.hpp — one Engine.IO message framed once for many recipients.
//
// Owns: `frame_broadcast`, which turns an encoded upper-layer packet (its text and its
// binary attachments) into the two forms a broadcast hands out: the Engine.IO packets
// (message "4" + text, then one binary message per attachment) for recipients still
// on long-polling, and the WebSocket bytes of those packets (one text frame, then one
// binary frame per attachment) that every WebSocket recipient's send queue shares by
// reference. It lives here, not in sio, because those bytes are Engine.IO's and
// WebSocket's: the Socket.IO layer encodes its packet once and calls this once.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <duet/eio/packet.hpp>
#include <duet/ws/frame.hpp>
#include <duet/ws/options.hpp>

namespace duet::eio {

// Appends to `packets` the Engine.IO packets of the message (views of `text` and
// `attachments`, which must outlive them) and returns its WebSocket frames.
inline ws::shared_bytes frame_broadcast(std::string_view text, std::span<const std::vector<std::byte>> attachments,
                                        std::vector<packet>& packets) {
    packets.reserve(packets.size() + 1 + attachments.size());
    packets.push_back(packet::text(packet_type::message, text));
    for (auto& a : attachments) packets.push_back(packet::binary_message(a));
    auto framed = std::make_shared<std::string>();
    framed->reserve(text.size() + 16);
    ws::append_frame_header(*framed, ws::opcode::text, true, text.size() + 1);
    framed->push_back('4');
    framed->append(text);
    for (auto& a : attachments) ws::append_frame(*framed, ws::opcode::binary, std::span<const std::byte>(a));
    return framed;
}

}  // namespace duet::eio
