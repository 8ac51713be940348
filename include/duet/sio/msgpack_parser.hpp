// duet/sio/msgpack_parser.hpp — the Socket.IO "msgpack parser" codec
// (npm socket.io-msgpack-parser 3.0.2), one Engine.IO binary message per packet.
//
// Owns: decode_msgpack_packet() (one binary message -> packet, pure), the encoders
// that write the object socket.io 4.8 builds for each emit, byte for byte
// (encode_msgpack_*_append), and the policy type `msgpack_parser` that wraps them.
// The MessagePack itself is sio/msgpack_value.hpp's (notepack-compatible, bounded):
// a `bin` is a placeholder + attachment in the packet, exactly as a BINARY_EVENT's
// binary is after the JSON decoder, so the runtime sees the same packet either way.
//
// The wire form: the whole packet object `{type, data, nsp, id}` encoded by
// notepack.io (2.2.0: what socket.io-msgpack-parser 3.0.2 depends on) into ONE
// binary message. Binaries are inline `bin`; there are no attachment messages and
// no BINARY_EVENT/BINARY_ACK types (a packet with binary stays EVENT/ACK).
//
// Acceptance is the npm Decoder's (msgpack.decode, then checkPacket), in its order:
//  1. one MessagePack value, no trailing bytes, else error::invalid_json (the code
//     the JSON decoder uses for "not one value"); an empty message is
//     error::empty_packet; a top level that is not a map is error::unknown_packet_type
//     (the npm parser: "invalid packet type", `undefined` type);
//  2. `type` an integer (a float64 2.0 counts, as Number.isInteger says) in 0..4,
//     else error::unknown_packet_type — 5 and 6 do not exist in this format;
//  3. `nsp` a string, else error::invalid_payload (npm: "invalid namespace");
//  4. `data`: CONNECT absent or a map; DISCONNECT absent; CONNECT_ERROR a string or
//     a map; EVENT/ACK an array; else error::invalid_payload. "Absent" is a missing
//     key or notepack's `undefined` (d4 00 00, which socket.io-client sends as the
//     data of a CONNECT without auth); nil is a value, so CONNECT with data nil is
//     refused as in npm. A `bin` is not a map (Object.prototype.toString says
//     "[object Uint8Array]");
//  5. `id` absent or an integer, else error::invalid_ack_id;
//  other keys are ignored (socket.io-client sends `options: {compress}`), and a
//  text message is an error (notepack cannot read a string: npm throws
//  "N trailing bytes" or "invalid packet type") — msgpack_parser::decode_text
//  returns error::unexpected_text.
// Deliberate differences, all on input no Socket.IO client produces:
//  - `nsp` must start with '/' (packet::nsp's invariant): error::invalid_payload;
//  - `id` must be ≤ 2^53-1 and not negative (the npm parser takes any integer; a
//    negative id would be echoed in the ACK, duet's ids are unsigned): invalid_ack_id;
//  - EVENT data must also pass validate_payload (decoder.hpp), as from the JSON
//    parser: a non-empty array whose first element is a number or a string that is
//    not reserved ("connect", "disconnect"... : error::reserved_event_name). The npm
//    parser accepts any array there, reserved names included;
//  - map keys must be strings or integers (notepack turns any key into a property
//    name: `true` -> "true"); other keys are error::invalid_payload. A "__proto__"
//    key is an ordinary member here (in JavaScript it sets the prototype);
//  - an object whose "_placeholder" is true is an attachment reference in duet's
//    value model, indistinguishable from a decoded `bin`: it must name a `bin` of
//    the message not named by another one, else error::invalid_placeholder (npm:
//    ordinary data). Bins that nothing in `data` refers to any more (a duplicate key
//    overwrote them, or they sit in an ignored key) are dropped, and the
//    placeholders are renumbered in the order JavaScript enumerates `data`
//    (Object.keys: integer-like keys ascending first), which is the order the
//    encoder writes them back: decode(encode(p)) == p;
//  - strings (values, keys, nsp) that are not UTF-8 get U+FFFD per maximal
//    ill-formed subpart, which is what notepack's Buffer.toString('utf8') does;
//  - ext types, timestamps, `undefined` and integers beyond 2^53 are read as
//    sio/msgpack_value.hpp reads them (see there);
//  - bounds (decoder_options), none of which exists in npm:
//      message size: max_text_size + max_attachment_bytes, checked first;
//      the bytes of all bins: max_attachment_bytes -> error::attachments_too_large;
//      the message without its bins' bytes: max_text_size -> error::packet_too_large;
//      number of bins: max_attachments -> error::too_many_attachments;
//      nesting of `data`: max_depth, as the JSON decoder counts it (the data array
//      is level 1; the packet map around it is not counted; a bin is a leaf, an
//      ext value read as [type, bin] an array)
//      -> error::json_too_deep.
#pragma once

#include <duet/sio/msgpack_value.hpp>
#include <duet/core/json_writer.hpp>
#include <duet/core/utf8.hpp>
#include <duet/sio/binary.hpp>
#include <duet/sio/decoder.hpp>
#include <duet/sio/error.hpp>
#include <duet/sio/packet.hpp>
#include <duet/sio/wire.hpp>

#include <msgpuck.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace duet::sio {

namespace msgpack_detail {

// msgpack_value::to_json's errors as Socket.IO decode errors.
inline std::error_code from_msgpack(std::error_code ec) noexcept {
    switch (static_cast<msgpack_value::error>(ec.value())) {
        case msgpack_value::error::message_too_large: return error::packet_too_large;
        case msgpack_value::error::too_deep: return error::json_too_deep;
        case msgpack_value::error::too_many_attachments: return error::too_many_attachments;
        case msgpack_value::error::invalid_map_key: return error::invalid_payload;
        default: return error::invalid_json;
    }
}

// Number.isInteger(v) && 0 <= v <= 4.
inline std::optional<packet_type> type_of(const boost::json::value* v) noexcept {
    if (!v) return std::nullopt;
    std::int64_t t = -1;
    if (v->is_int64()) {
        t = v->get_int64();
    } else if (v->is_double()) {
        const double d = v->get_double();
        if (!(d >= 0.0 && d <= 4.0) || d != std::floor(d)) return std::nullopt;  // NaN fails too
        t = static_cast<std::int64_t>(d);
    }
    if (t < 0 || t > static_cast<std::int64_t>(packet_type::connect_error)) return std::nullopt;
    return static_cast<packet_type>(t);
}

// An integer 0..max_ack_id (Number.isInteger, -0 included, without the negatives).
inline bool ack_id_of(const boost::json::value& v, std::uint64_t& id) noexcept {
    if (v.is_int64()) {
        const std::int64_t i = v.get_int64();
        if (i < 0 || static_cast<std::uint64_t>(i) > max_ack_id) return false;
        id = static_cast<std::uint64_t>(i);
        return true;
    }
    if (v.is_double()) {
        const double d = v.get_double();
        if (!(d >= 0.0 && d <= static_cast<double>(max_ack_id)) || d != std::floor(d)) return false;
        id = static_cast<std::uint64_t>(d);
        return true;
    }
    return false;  // uint64 is above INT64_MAX; strings, null, bool... are not integers
}

// `s` with every maximal ill-formed subpart replaced by U+FFFD (Buffer.toString).
inline std::string repair_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 8);
    append_utf8_replacing(out, s);
    return out;
}

inline void repair_string(boost::json::string& s) {
    const std::string_view v(s.data(), s.size());
    if (!is_valid_utf8(v)) s = repair_utf8(v);
}

// One walk over `data`: repairs UTF-8, checks the nesting (`level` is v's, the
// data itself being level 1; a placeholder is a leaf), checks the placeholders and
// renumbers them in enumeration order, moving the bins they name from `in` to `out`.
// The reader already stopped anything much deeper, so the recursion is bounded; the
// exact check is here because the reader turns an ext value into [type, bin] one
// level below where it counted.
class data_walker {
public:
    data_walker(std::vector<attachment>& in, std::size_t max_depth)
        : in_(in), used_(in.size(), false), max_depth_(max_depth) {}

    std::error_code walk(boost::json::value& v, std::size_t level) {
        switch (v.kind()) {
            case boost::json::kind::string: repair_string(v.get_string()); return {};
            case boost::json::kind::array:
                if (level > max_depth_) return error::json_too_deep;
                for (auto& e : v.get_array())
                    if (auto ec = walk(e, level + 1)) return ec;
                return {};
            case boost::json::kind::object: return walk_object(v, level);
            default: return {};
        }
    }

    std::vector<attachment> take() noexcept { return std::move(out_); }

private:
    std::error_code walk_object(boost::json::value& v, std::size_t level) {
        auto& o = v.get_object();
        repair_keys(o);
        if (is_placeholder(v)) {
            const auto i = placeholder_index(v);
            if (!i || *i >= in_.size() || used_[*i]) return error::invalid_placeholder;
            used_[*i] = true;
            out_.push_back(std::move(in_[*i]));
            v = make_placeholder(out_.size() - 1, v.storage());
            return {};
        }
        if (level > max_depth_) return error::json_too_deep;
        // Object.keys order: integer-like keys ascending, then the others in order.
        std::uint32_t idx;
        std::vector<std::pair<std::uint32_t, boost::json::value*>> indexed;
        for (auto& kv : o)
            if (json::detail::array_index_key({kv.key().data(), kv.key().size()}, idx))
                indexed.emplace_back(idx, &kv.value());
        if (!indexed.empty()) {
            std::sort(indexed.begin(), indexed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            for (auto& [i, val] : indexed)
                if (auto ec = walk(*val, level + 1)) return ec;
        }
        for (auto& kv : o) {
            if (!indexed.empty() && json::detail::array_index_key({kv.key().data(), kv.key().size()}, idx)) continue;
            if (auto ec = walk(kv.value(), level + 1)) return ec;
        }
        return {};
    }

    // Keys are rebuilt only when one is not UTF-8; a repaired key equal to another
    // one overwrites it in place, as `value[key] = ...` does.
    static void repair_keys(boost::json::object& o) {
        bool bad = false;
        for (const auto& kv : o)
            if (!is_valid_utf8(std::string_view(kv.key().data(), kv.key().size()))) { bad = true; break; }
        if (!bad) return;
        boost::json::object fixed(o.storage());
        fixed.reserve(o.size());
        for (auto& kv : o) {
            const std::string_view k(kv.key().data(), kv.key().size());
            fixed.insert_or_assign(is_valid_utf8(k) ? std::string(k) : repair_utf8(k), std::move(kv.value()));
        }
        o = std::move(fixed);
    }

    std::vector<attachment>& in_;
    std::vector<bool> used_;
    std::vector<attachment> out_;
    std::size_t max_depth_;
};

// --- writing: the fixed parts of socket.io's packet objects, as notepack writes them.
inline void raw(std::string& out, std::string_view bytes) { out.append(bytes); }
inline void map_header(std::string& out, unsigned members) { out.push_back(static_cast<char>(0x80 | members)); }
inline void key_type(std::string& out, packet_type t) {
    raw(out, "\xa4type");
    out.push_back(static_cast<char>(t));  // positive fixint
}
inline void key_data(std::string& out) { raw(out, "\xa4" "data"); }
inline void key_id(std::string& out, std::uint64_t id) {
    raw(out, "\xa2id");
    msgpack_value::detail::put(out, 9, [&](char* p) { return mp_encode_uint(p, id); });
}
inline void str(std::string& out, std::string_view s) {
    msgpack_value::detail::put(out, 5 + s.size(), [&](char* p) {
        return mp_encode_str(p, s.data(), static_cast<std::uint32_t>(s.size()));
    });
}
inline void key_nsp(std::string& out, std::string_view nsp) {
    raw(out, "\xa3nsp");
    str(out, nsp.empty() ? main_namespace : nsp);
}
inline void array_header(std::string& out, std::size_t n) {
    msgpack_value::detail::put(out, 5, [&](char* p) { return mp_encode_array(p, static_cast<std::uint32_t>(n)); });
}
// notepack 2.2's `undefined` (fixext 1, type 0): a member whose value is undefined.
inline void undefined(std::string& out) { raw(out, std::string_view("\xd4\x00\x00", 3)); }

}  // namespace msgpack_detail

// One Engine.IO binary message -> one packet (acceptance and bounds: see the top of
// this file). `out` is written only on success: type event/ack/connect/disconnect/
// connect_error, nsp, id, data (null when absent) with placeholders numbered 0..n-1,
// attachments = the bins they name. Every error is a decode error (is_decode_error).
inline std::error_code decode_msgpack_packet(std::span<const std::byte> message, packet& out,
                                             const decoder_options& opts) {
    namespace md = msgpack_detail;
    if (message.empty()) return error::empty_packet;
    const std::size_t limit = opts.max_text_size > SIZE_MAX - opts.max_attachment_bytes
                                  ? SIZE_MAX
                                  : opts.max_text_size + opts.max_attachment_bytes;
    if (message.size() > limit) return error::packet_too_large;

    msgpack_value::limits lim;
    lim.max_message_bytes = message.size();
    // The reader counts the packet map as level 0; the data array is then level 1,
    // which is how Boost.JSON counts the payload of a text packet.
    lim.max_depth = opts.max_depth == SIZE_MAX ? SIZE_MAX : opts.max_depth + 1;
    lim.max_attachments = opts.max_attachments;
    boost::json::value root;
    std::vector<attachment> bins;
    if (auto ec = msgpack_value::to_json(message, root, bins, lim)) return md::from_msgpack(ec);

    std::size_t bin_bytes = 0;
    for (const auto& b : bins) bin_bytes += b.size();  // ≤ message.size(): no overflow
    if (bin_bytes > opts.max_attachment_bytes) return error::attachments_too_large;
    if (message.size() - bin_bytes > opts.max_text_size) return error::packet_too_large;

    auto* o = root.if_object();
    if (!o) return error::unknown_packet_type;
    const auto type = md::type_of(o->if_contains("type"));
    if (!type) return error::unknown_packet_type;

    auto* nsp = o->if_contains("nsp");
    if (!nsp || !nsp->is_string() || nsp->get_string().empty() || nsp->get_string()[0] != '/')
        return error::invalid_payload;

    auto* data = o->if_contains("data");
    const auto is_map = [](const boost::json::value* v) { return v && v->is_object() && !is_placeholder(*v); };
    bool data_ok = false;
    switch (*type) {
        case packet_type::connect: data_ok = !data || is_map(data); break;
        case packet_type::disconnect: data_ok = !data; break;
        case packet_type::connect_error: data_ok = data && (data->is_string() || is_map(data)); break;
        default: data_ok = data && data->is_array(); break;  // event, ack
    }
    if (!data_ok) return error::invalid_payload;

    std::optional<std::uint64_t> id;
    if (const auto* v = o->if_contains("id")) {
        std::uint64_t i = 0;
        if (!md::ack_id_of(*v, i)) return error::invalid_ack_id;
        id = i;
    }

    md::data_walker walker(bins, opts.max_depth);
    if (data)
        if (auto ec = walker.walk(*data, 1)) return ec;
    if (auto ec = validate_payload(*type, data)) return ec;

    md::repair_string(nsp->get_string());
    out.type = *type;
    out.nsp.assign(nsp->get_string().data(), nsp->get_string().size());
    out.id = id;
    if (data) out.data = std::move(*data);
    else out.data.emplace_null();
    out.attachments = walker.take();
    return {};
}

// Which object socket.io built, when it puts the ack id after the namespace.
enum class msgpack_emit : std::uint8_t {
    socket,     // socket.emit(...): {type, data, id?, nsp}
    broadcast,  // io.emit / to(room).emit / timeout().emit (adapter.broadcastWithAck): {type, data, nsp, id?}
};

// The EVENT `[event, ...args]` as socket.io writes it through notepack: fixmap
// {type: 2, data, [id], nsp} (or nsp before id for a broadcast with ack), placeholders
// of `args` naming an attachment of `atts` as `bin`. An empty `nsp` is written "/".
// Precondition: id ≤ max_ack_id.
inline void encode_msgpack_event_append(std::string& out, std::string_view nsp, std::string_view event,
                                        std::span<const boost::json::value> args,
                                        std::span<const attachment> atts,
                                        std::optional<std::uint64_t> id = std::nullopt,
                                        msgpack_emit origin = msgpack_emit::socket) {
    namespace md = msgpack_detail;
    out.reserve(out.size() + 24 + nsp.size() + event.size() + 16 * args.size());
    md::map_header(out, id ? 4 : 3);
    md::key_type(out, packet_type::event);
    md::key_data(out);
    md::array_header(out, 1 + args.size());
    md::str(out, event);
    for (const auto& a : args) msgpack_value::append(out, a, atts);
    if (id && origin == msgpack_emit::socket) md::key_id(out, *id);
    md::key_nsp(out, nsp);
    if (id && origin == msgpack_emit::broadcast) md::key_id(out, *id);
}

// The ACK socket.ack(id) sends: {id, type: 3, data: [...args], nsp}.
inline void encode_msgpack_ack_append(std::string& out, std::string_view nsp, std::uint64_t id,
                                      std::span<const boost::json::value> args,
                                      std::span<const attachment> atts) {
    namespace md = msgpack_detail;
    out.reserve(out.size() + 24 + nsp.size() + 16 * args.size());
    md::map_header(out, 4);
    md::key_id(out, id);
    md::key_type(out, packet_type::ack);
    md::key_data(out);
    md::array_header(out, args.size());
    for (const auto& a : args) msgpack_value::append(out, a, atts);
    md::key_nsp(out, nsp);
}

// The CONNECT reply of socket._onconnect: {type: 0, data: {sid, pid}, nsp}; without
// connection state recovery pid is undefined, which notepack 2.2 writes (d4 00 00).
inline void encode_msgpack_connect_append(std::string& out, std::string_view nsp, std::string_view sid,
                                          std::optional<std::string_view> pid = std::nullopt) {
    namespace md = msgpack_detail;
    md::map_header(out, 3);
    md::key_type(out, packet_type::connect);
    md::key_data(out);
    md::map_header(out, 2);
    md::raw(out, "\xa3sid");
    md::str(out, sid);
    md::raw(out, "\xa3pid");
    if (pid) md::str(out, *pid);
    else md::undefined(out);
    md::key_nsp(out, nsp);
}

// A CONNECT_ERROR from a namespace middleware (socket._error({message, data})):
// {type: 4, data: {message, data}, nsp}; `data` null (duet: no data) is written as
// undefined, as socket.io does when err.data is not set.
inline void encode_msgpack_connect_error_append(std::string& out, std::string_view nsp, std::string_view message,
                                                const boost::json::value& data = nullptr) {
    namespace md = msgpack_detail;
    md::map_header(out, 3);
    md::key_type(out, packet_type::connect_error);
    md::key_data(out);
    md::map_header(out, 2);
    md::raw(out, "\xa7message");
    md::str(out, message);
    md::key_data(out);
    if (data.is_null()) md::undefined(out);
    else msgpack_value::append(out, data, {});
    md::key_nsp(out, nsp);
}

// The CONNECT_ERROR of Client.connect for a namespace that does not exist
// ("Invalid namespace"): {type: 4, nsp, data: {message}} — nsp before data.
inline void encode_msgpack_namespace_refused_append(std::string& out, std::string_view nsp,
                                                    std::string_view message = "Invalid namespace") {
    namespace md = msgpack_detail;
    md::map_header(out, 3);
    md::key_type(out, packet_type::connect_error);
    md::key_nsp(out, nsp);
    md::key_data(out);
    md::map_header(out, 1);
    md::raw(out, "\xa7message");
    md::str(out, message);
}

// Any packet, with socket.io's key order for its type and the members it holds
// (data omitted when null, id when absent):
//   EVENT (BINARY_EVENT too): {type: 2, data, id, nsp}   (socket.emit)
//   ACK (BINARY_ACK too):     {id, type: 3, data, nsp}   (socket.ack)
//   CONNECT, CONNECT_ERROR, DISCONNECT: {type, data, id, nsp}
// Placeholders naming an attachment of p.attachments become `bin`. A packet is
// written as it is: for socket.io's exact bytes of a CONNECT reply (pid undefined)
// or a CONNECT_ERROR (data undefined; the "Invalid namespace" key order) use the
// dedicated functions above. decode_msgpack_packet(encode) gives the packet back.
inline void encode_msgpack_append(std::string& out, const packet& p) {
    namespace md = msgpack_detail;
    const bool has_data = !p.data.is_null();
    md::map_header(out, 2u + (has_data ? 1u : 0u) + (p.id ? 1u : 0u));
    const packet_type t = is_event(p.type) ? packet_type::event : is_ack(p.type) ? packet_type::ack : p.type;
    if (t == packet_type::ack && p.id) md::key_id(out, *p.id);
    md::key_type(out, t);
    if (has_data) {
        md::key_data(out);
        msgpack_value::append(out, p.data, p.attachments);
    }
    if (t != packet_type::ack && p.id) md::key_id(out, *p.id);
    md::key_nsp(out, p.nsp);
}

inline std::string encode_msgpack(const packet& p) {
    std::string out;
    encode_msgpack_append(out, p);
    return out;
}

namespace msgpack_detail {
// The wire_format entries (sio/wire.hpp) the runtime calls.
inline void wire_event(std::string& out, std::string_view nsp, std::string_view event,
                       std::span<const boost::json::value> args, std::span<const attachment> atts,
                       std::optional<std::uint64_t> id, std::string_view offset) {
    if (offset.empty()) return encode_msgpack_event_append(out, nsp, event, args, atts, id);
    // Connection state recovery: the offset is one more argument (a copy of the
    // arguments; only emits that are logged for replay take this path).
    std::vector<boost::json::value> with(args.begin(), args.end());
    with.emplace_back(boost::json::string(offset));
    encode_msgpack_event_append(out, nsp, event, with, atts, id);
}
inline void wire_ack(std::string& out, std::string_view nsp, std::uint64_t id, std::span<const boost::json::value> args,
                     std::span<const attachment> atts) {
    encode_msgpack_ack_append(out, nsp, id, args, atts);
}
// The packets the runtime builds itself (CONNECT reply, CONNECT_ERROR, DISCONNECT),
// with socket.io's members and key order for each.
inline void wire_packet(std::string& out, const packet& p) {
    const auto* o = p.data.if_object();
    const auto text = [&](std::string_view key) -> std::optional<std::string_view> {
        const auto* v = o ? o->if_contains(key) : nullptr;
        if (!v || !v->is_string()) return std::nullopt;
        return std::string_view(v->get_string());
    };
    if (p.type == packet_type::connect && o && text("sid") && o->size() <= 2 && (o->size() == 1 || text("pid")))
        return encode_msgpack_connect_append(out, p.nsp, *text("sid"), text("pid"));
    if (p.type == packet_type::connect_error && o && text("message") && o->size() <= 2) {
        const auto* data = o->if_contains("data");
        if (o->size() == 2 && !data) return encode_msgpack_append(out, p);
        if (!data && *text("message") == "Invalid namespace")
            return encode_msgpack_namespace_refused_append(out, p.nsp);
        return encode_msgpack_connect_error_append(out, p.nsp, *text("message"), data ? *data : boost::json::value());
    }
    encode_msgpack_append(out, p);
}
}  // namespace msgpack_detail

inline constexpr wire_format msgpack_wire{true, &msgpack_detail::wire_event, &msgpack_detail::wire_ack,
                                          &msgpack_detail::wire_packet};

// The codec as a policy: `duet::events<duet::msgpack_parser>(...)` (sio/app.hpp).
struct msgpack_parser {
    // Every packet travels as one Engine.IO *binary* message.
    static constexpr bool binary_messages = true;
    // The runtime's encoders (sio/wire.hpp).
    static constexpr const wire_format& wire = msgpack_wire;

    static std::error_code decode(std::span<const std::byte> message, packet& out, const decoder_options& opts) {
        return decode_msgpack_packet(message, out, opts);
    }
    // A text message cannot be a packet of this format.
    static std::error_code decode_text(std::string_view, packet&, const decoder_options&) noexcept {
        return error::unexpected_text;
    }

    // Returns the number of attachment messages to send after `out`: always 0.
    static std::size_t encode_append(std::string& out, const packet& p) {
        encode_msgpack_append(out, p);
        return 0;
    }
    static void encode_event_append(std::string& out, std::string_view nsp, std::string_view event,
                                    std::span<const boost::json::value> args, std::span<const attachment> atts,
                                    std::optional<std::uint64_t> id = std::nullopt,
                                    msgpack_emit origin = msgpack_emit::socket) {
        encode_msgpack_event_append(out, nsp, event, args, atts, id, origin);
    }
    static void encode_ack_append(std::string& out, std::string_view nsp, std::uint64_t id,
                                  std::span<const boost::json::value> args, std::span<const attachment> atts) {
        encode_msgpack_ack_append(out, nsp, id, args, atts);
    }
    static void encode_connect_append(std::string& out, std::string_view nsp, std::string_view sid,
                                      std::optional<std::string_view> pid = std::nullopt) {
        encode_msgpack_connect_append(out, nsp, sid, pid);
    }
    static void encode_connect_error_append(std::string& out, std::string_view nsp, std::string_view message,
                                            const boost::json::value& data = nullptr) {
        encode_msgpack_connect_error_append(out, nsp, message, data);
    }
    static void encode_namespace_refused_append(std::string& out, std::string_view nsp,
                                                std::string_view message = "Invalid namespace") {
        encode_msgpack_namespace_refused_append(out, nsp, message);
    }
};

}  // namespace duet::sio

namespace duet {
using sio::msgpack_parser;
}  // namespace duet
