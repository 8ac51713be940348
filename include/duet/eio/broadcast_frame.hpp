// duet/eio/broadcast_frame.hpp — one Engine.IO message framed once for many recipients.
//
// Owns: `frame_broadcast`, which turns an encoded upper-layer packet (its text and its
// binary attachments) into the two forms a broadcast hands out: the Engine.IO packets
// (message "4" + text, then one binary message per attachment) for recipients still
// on long-polling, and the WebSocket bytes of those packets (one text frame, then one
// binary frame per attachment) that every WebSocket recipient's send queue shares by
// reference. It lives here, not in sio, because those bytes are Engine.IO's and
// WebSocket's: the Socket.IO layer encodes its packet once and calls this once.
// `deflated_broadcast` gives the same frames for recipients that negotiated
// permessage-deflate, deflated once per broadcast (not once per recipient).
#pragma once

#include <cstddef>
#include <memory>
#include <duet/core/zlib.hpp>
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
// `binary`: the upper layer's packet is one binary message (`text` holds its bytes,
// e.g. Socket.IO's MessagePack parser) — one binary frame, no attachments.
inline ws::shared_bytes frame_broadcast(std::string_view text, std::span<const std::vector<std::byte>> attachments,
                                        std::vector<packet>& packets, bool binary = false) {
    if (binary) {
        const auto bytes = std::as_bytes(std::span(text.data(), text.size()));
        packets.push_back(packet::binary_message(bytes));
        auto framed = std::make_shared<std::string>();
        ws::append_frame(*framed, ws::opcode::binary, bytes);
        return framed;
    }
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

namespace detail {

// Appends one WebSocket frame whose payload is `prefix` + `body`, deflated with RSV1
// set when it reaches `threshold` (and zlib succeeds), as it is otherwise.
inline void append_maybe_deflated(std::string& out, ws::opcode op, std::string_view prefix, std::string_view body,
                                  std::size_t threshold, std::string& scratch) {
    if (prefix.size() + body.size() >= threshold) {
        scratch.assign(prefix).append(body);
        std::string packed;
        if (zlib::deflate_message(scratch, packed)) {
            const std::size_t at = out.size();
            ws::append_frame(out, op, std::as_bytes(std::span(packed.data(), packed.size())));
            out[at] = static_cast<char>(static_cast<unsigned char>(out[at]) | 0x40);  // RSV1: compressed
            return;
        }
    }
    ws::append_frame_header(out, op, true, prefix.size() + body.size());
    out.append(prefix).append(body);
}

}  // namespace detail

// The frames of `packets` (what frame_broadcast made `framed` from) for a recipient
// that negotiated permessage-deflate: every message of `threshold` bytes or more
// deflated, the others as they are. Deflating without context takeover gives the same
// bytes on every connection, so the frames are built once per broadcast: the result
// is remembered for the last `framed` seen on this thread (a broadcast hands its
// frames to its recipients one after another on one thread). `framed` itself when no
// message reaches the threshold.
inline ws::shared_bytes deflated_broadcast(const ws::shared_bytes& framed, const packet* packets, std::size_t count,
                                           std::size_t threshold) {
    struct last_broadcast {
        std::weak_ptr<const std::string> source;
        const std::string* source_ptr = nullptr;
        std::size_t threshold = 0;
        ws::shared_bytes deflated;
    };
    thread_local last_broadcast last;
    if (last.source_ptr == framed.get() && last.threshold == threshold && !last.source.expired() &&
        last.source.lock() == framed)
        return last.deflated;
    bool any = false;
    for (std::size_t i = 0; i < count; ++i) any |= packets[i].data.size() + (packets[i].binary ? 0 : 1) >= threshold;
    ws::shared_bytes result = framed;
    if (any) {
        auto out = std::make_shared<std::string>();
        out->reserve(framed->size());
        thread_local std::string scratch;
        for (std::size_t i = 0; i < count; ++i) {
            const packet& p = packets[i];
            if (p.binary) detail::append_maybe_deflated(*out, ws::opcode::binary, {}, p.data, threshold, scratch);
            else detail::append_maybe_deflated(*out, ws::opcode::text, type_prefix(p.type), p.data, threshold, scratch);
        }
        result = std::move(out);
    }
    last = {framed, framed.get(), threshold, result};
    return result;
}

}  // namespace duet::eio
