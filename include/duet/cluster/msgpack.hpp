// duet/cluster/msgpack.hpp — the MessagePack value codec as the Redis adapter's wire
// uses it: sio/msgpack_value.hpp (notepack-compatible, bounded) with the cluster
// layer's names and error codes (category "duet.cluster", so that is_decode_error()
// covers everything a message read from Redis can fail with).
#pragma once

#include <duet/cluster/error.hpp>
#include <duet/sio/msgpack_value.hpp>

#include <cstddef>
#include <span>
#include <system_error>
#include <vector>

namespace duet::cluster {

using sio::attachment;

// Bounds on what one message from Redis may cost (max_message_bytes, max_depth,
// max_attachments). Node has none; the defaults are far above anything the adapter
// sends and keep a hostile publisher from making us allocate without bound.
using wire_limits = sio::msgpack_value::limits;


// Appends `v` as notepack would encode the equivalent JavaScript value (placeholders
// naming an existing attachment become `bin`).
inline void append_msgpack(std::string& out, const boost::json::value& v, std::span<const attachment> atts) {
    sio::msgpack_value::append(out, v, atts);
}

// Decodes exactly one msgpack value filling the whole of `bytes`; bin values are
// appended to `attachments`. Errors are the cluster layer's.
inline std::error_code msgpack_to_json(std::span<const std::byte> bytes, boost::json::value& out,
                                       std::vector<attachment>& attachments, const wire_limits& limits = {}) {
    using E = sio::msgpack_value::error;
    const std::error_code ec = sio::msgpack_value::to_json(bytes, out, attachments, limits);
    if (!ec) return {};
    switch (static_cast<E>(ec.value())) {
        case E::message_too_large: return error::message_too_large;
        case E::invalid_msgpack: return error::invalid_msgpack;
        case E::too_deep: return error::too_deep;
        case E::too_many_attachments: return error::too_many_attachments;
        case E::invalid_map_key: return error::invalid_map_key;
    }
    return error::invalid_msgpack;
}

}  // namespace duet::cluster
