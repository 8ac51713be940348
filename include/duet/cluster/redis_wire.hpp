// duet/cluster/redis_wire.hpp — the messages of Node's classic Redis adapter
// (@socket.io/redis-adapter 8.3, @socket.io/redis-emitter 5.1) as C++ structs, and
// pure functions between those structs and the bytes published on Redis.
//
// Owns: channel names, the broadcast triple [uid, packet, opts], every request and
// response type, and which of them are JSON and which msgpack. No I/O. The format
// itself, captured from the npm packages, is docs/REDIS_WIRE.md; this file follows
// it field by field, key order included, so that what we publish is byte-equal to
// what a Node node would publish for the same operation.
//
// Decoding is for input from other processes, i.e. untrusted: sizes and depth are
// bounded (wire_limits), every shape is checked, and a message that does not fit
// gives an error code (cluster/error.hpp) — the caller drops it, as Node does.
#pragma once

#include <duet/cluster/error.hpp>
#include <duet/cluster/msgpack.hpp>
#include <duet/sio/encoder.hpp>
#include <duet/sio/packet.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

namespace duet::cluster {

// ---------------------------------------------------------------- channels

inline constexpr std::string_view default_key = "socket.io";
inline constexpr std::string_view emitter_uid = "emitter";

// The channel names of one namespace ("/" or "/chat") under a key prefix.
struct channels {
    std::string broadcast;  // "<key>#<nsp>#": PSUBSCRIBE broadcast + "*"
    std::string request;    // "<key>-request#<nsp>#"
    std::string response;   // "<key>-response#<nsp>#"

    channels(std::string_view nsp, std::string_view key = default_key)
        : broadcast(std::string(key) + "#" + std::string(nsp) + "#"),
          request(std::string(key) + "-request#" + std::string(nsp) + "#"),
          response(std::string(key) + "-response#" + std::string(nsp) + "#") {}

    std::string broadcast_pattern() const { return broadcast + "*"; }
    // "<key>#<nsp>#<room>#": where a broadcast to exactly one room is published.
    std::string room(std::string_view r) const { return broadcast + std::string(r) + "#"; }
    // "<key>-response#<nsp>#<uid>#": subscribed by every node, published to by nodes
    // with publishOnSpecificResponseChannel.
    std::string specific_response(std::string_view uid) const { return response + std::string(uid) + "#"; }

    // For a message received through the broadcast pattern: the room named by the
    // channel ("" for the namespace-wide channel), or nullopt when the channel is
    // not one of this namespace's (Node: "ignore different channel").
    std::optional<std::string_view> room_of(std::string_view channel) const noexcept {
        if (channel.size() < broadcast.size() || channel.substr(0, broadcast.size()) != broadcast) return std::nullopt;
        auto rest = channel.substr(broadcast.size());
        if (rest.empty()) return std::string_view{};
        // Node slices off the last character whatever it is ("ignore unknown room"
        // then drops the message unless a local room has that name).
        return rest.substr(0, rest.size() - 1);
    }
};

// ---------------------------------------------------------------- broadcast

// Flags of a broadcast operator, as far as they travel. Node writes them in the
// order the user chained them; we write volatile, compress, local, broadcast,
// timeout, expectSingleResponse (receivers do not care about the order).
struct broadcast_flags {
    std::optional<bool> volatile_{};
    std::optional<bool> compress{};
    std::optional<bool> local{};  // never published (Node skips PUBLISH for local)
    std::optional<bool> broadcast{};
    std::optional<std::uint64_t> timeout{};  // ms; broadcast with ack
    std::optional<bool> expect_single_response{};
    bool operator==(const broadcast_flags&) const = default;
};

struct room_filter {
    std::vector<std::string> rooms{};
    std::vector<std::string> except{};
    bool operator==(const room_filter&) const = default;
};

struct broadcast_options {
    std::vector<std::string> rooms{};
    std::vector<std::string> except{};
    broadcast_flags flags{};
    bool operator==(const broadcast_options&) const = default;
};

// Who wrote a message: the emitter orders opts as {rooms, flags, except}, the
// adapter as {rooms, except, flags}.
enum class producer { adapter, emitter };

// [uid, packet, opts]. packet.type is event; packet.data is [event, ...args] with
// binary arguments as placeholders + packet.attachments; packet.id is unused.
struct broadcast_message {
    std::string uid{};
    sio::packet packet{};
    broadcast_options opts{};
};

// ---------------------------------------------------------------- requests

enum class request_type : std::uint8_t {
    sockets = 0,
    all_rooms = 1,
    remote_join = 2,
    remote_leave = 3,
    remote_disconnect = 4,
    remote_fetch = 5,
    server_side_emit = 6,
    broadcast = 7,
    broadcast_client_count = 8,
    broadcast_ack = 9,
};

// Legacy (never sent by adapter 8.3, still answered): socket ids in rooms.
struct sockets_request { std::string uid{}; std::string request_id{}; std::vector<std::string> rooms{}; };
struct all_rooms_request { std::string uid{}; std::string request_id{}; };
// socketsJoin / socketsLeave / disconnectSockets: no reply. uid is absent when an
// emitter sent it. The sender applies these on receipt of its own message.
struct remote_join_request { std::optional<std::string> uid{}; room_filter opts{}; std::vector<std::string> rooms{}; };
struct remote_leave_request { std::optional<std::string> uid{}; room_filter opts{}; std::vector<std::string> rooms{}; };
struct remote_disconnect_request { std::optional<std::string> uid{}; room_filter opts{}; bool close = false; };
struct remote_fetch_request { std::string uid{}; std::string request_id{}; room_filter opts{}; };
// data = [event, ...args] (JSON: a Buffer argument is {"type":"Buffer","data":[...]}).
// request_id present: the sender waits for one reply per other server.
struct server_side_emit_request { std::string uid{}; std::optional<std::string> request_id{}; boost::json::array data{}; };
// Broadcast with ack (msgpack). opts.flags.timeout is the requester's timeout.
struct broadcast_request { std::string uid{}; std::string request_id{}; sio::packet packet{}; broadcast_options opts{}; };

using request = std::variant<sockets_request, all_rooms_request, remote_join_request, remote_leave_request,
                             remote_disconnect_request, remote_fetch_request, server_side_emit_request,
                             broadcast_request>;

// ---------------------------------------------------------------- responses

struct sockets_response { std::string request_id{}; std::vector<std::string> sockets{}; };
struct all_rooms_response { std::string request_id{}; std::vector<std::string> rooms{}; };
struct socket_details {
    std::string id{};
    boost::json::value handshake{};  // Node's socket.handshake minus sessionStore
    std::vector<std::string> rooms{};
    std::optional<boost::json::value> data{};  // absent when socket.data is undefined
};
struct fetch_sockets_response { std::string request_id{}; std::vector<socket_details> sockets{}; };
// The first argument the remote serverSideEmit listener acknowledged with (null if none).
struct server_side_emit_response { std::string request_id{}; boost::json::value data{}; };
struct broadcast_client_count_response { std::string request_id{}; std::uint64_t client_count = 0; };
// One client's ack (msgpack): its first argument, binary as placeholders + attachments.
struct broadcast_ack_response { std::string request_id{}; boost::json::value arg{}; std::vector<attachment> attachments{}; };
// {"requestId"}: the reply to the legacy per-socket join/leave/disconnect.
struct bare_response { std::string request_id{}; };

using response = std::variant<sockets_response, all_rooms_response, fetch_sockets_response,
                              server_side_emit_response, broadcast_client_count_response,
                              broadcast_ack_response, bare_response>;

// ================================================================ implementation

namespace detail {

inline std::string_view as_chars(std::span<const std::byte> b) noexcept {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// JSON when the first byte is '{' (Node's test), msgpack otherwise.
inline std::error_code parse_any(std::span<const std::byte> bytes, boost::json::value& v,
                                 std::vector<attachment>& atts, const wire_limits& limits) {
    if (bytes.size() > limits.max_message_bytes) return error::message_too_large;
    if (!bytes.empty() && bytes[0] == std::byte{'{'}) {
        boost::json::parse_options po;
        po.max_depth = limits.max_depth + 1;  // the message object itself is depth 1
        boost::json::error_code ec;
        v = boost::json::parse(as_chars(bytes), ec, {}, po);
        if (ec == boost::json::error::too_deep) return error::too_deep;
        if (ec) return error::invalid_json;
        return {};
    }
    return msgpack_to_json(bytes, v, atts, limits);
}

// A JavaScript-ish number that is a non-negative integer (JSON may say 2.0).
inline std::optional<std::uint64_t> as_uint(const boost::json::value& v) noexcept {
    if (v.is_int64()) return v.get_int64() >= 0 ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(v.get_int64())) : std::nullopt;
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_double()) {
        const double d = v.get_double();
        if (d >= 0 && d < 18446744073709551616.0 && std::floor(d) == d) return static_cast<std::uint64_t>(d);
    }
    return std::nullopt;
}

inline const boost::json::value* member(const boost::json::object& o, std::string_view k) noexcept {
    return o.if_contains(k);
}

inline std::error_code get_string(const boost::json::object& o, std::string_view k, std::string& out) {
    const auto* v = member(o, k);
    if (!v || !v->is_string()) return error::invalid_shape;
    out.assign(v->get_string().data(), v->get_string().size());
    return {};
}

// A room name: Socket.IO rooms are strings; a number (a room joined as a number
// on a Node node) is read as its JavaScript String().
inline std::error_code room_name(const boost::json::value& v, std::string& out) {
    if (v.is_string()) {
        out.assign(v.get_string().data(), v.get_string().size());
        return {};
    }
    if (v.is_number()) {
        out.clear();
        sio::append_json(out, v);
        return {};
    }
    return error::invalid_shape;
}

// A list of rooms; absent or null is empty (Node: new Set(undefined)).
inline std::error_code room_list(const boost::json::object& o, std::string_view k, std::vector<std::string>& out) {
    out.clear();
    const auto* v = member(o, k);
    if (!v || v->is_null()) return {};
    if (!v->is_array()) return error::invalid_shape;
    out.resize(v->get_array().size());
    for (std::size_t i = 0; i < out.size(); ++i)
        if (auto ec = room_name(v->get_array()[i], out[i])) return ec;
    return {};
}

inline std::error_code read_filter(const boost::json::object& o, room_filter& f) {
    const auto* v = member(o, "opts");
    if (!v || !v->is_object()) return error::invalid_shape;
    if (auto ec = room_list(v->get_object(), "rooms", f.rooms)) return ec;
    return room_list(v->get_object(), "except", f.except);
}

inline std::error_code read_flags(const boost::json::object& o, broadcast_flags& f) {
    f = {};
    const auto* v = member(o, "flags");
    if (!v || v->is_null()) return {};
    if (!v->is_object()) return error::invalid_shape;
    const auto& fo = v->get_object();
    auto flag = [&](std::string_view k, std::optional<bool>& out) -> std::error_code {
        const auto* x = member(fo, k);
        if (!x || x->is_null()) return {};
        if (!x->is_bool()) return error::invalid_shape;
        out = x->get_bool();
        return {};
    };
    if (auto ec = flag("volatile", f.volatile_)) return ec;
    if (auto ec = flag("compress", f.compress)) return ec;
    if (auto ec = flag("local", f.local)) return ec;
    if (auto ec = flag("broadcast", f.broadcast)) return ec;
    if (auto ec = flag("expectSingleResponse", f.expect_single_response)) return ec;
    if (const auto* t = member(fo, "timeout"); t && !t->is_null()) {
        auto ms = as_uint(*t);
        if (!ms) return error::invalid_shape;
        f.timeout = *ms;
    }
    return {};
}

inline std::error_code read_options(const boost::json::value* v, broadcast_options& opts) {
    if (!v || !v->is_object()) return error::invalid_shape;
    const auto& o = v->get_object();
    if (auto ec = room_list(o, "rooms", opts.rooms)) return ec;
    if (auto ec = room_list(o, "except", opts.except)) return ec;
    return read_flags(o, opts.flags);
}

// {type, data, nsp}: an EVENT whose data is [event name, ...args].
inline std::error_code read_packet(boost::json::value* v, std::vector<attachment>& atts, sio::packet& p) {
    if (!v || !v->is_object()) return error::invalid_shape;
    auto& o = v->get_object();
    const auto* type = member(o, "type");
    auto t = type ? as_uint(*type) : std::nullopt;
    // 2 EVENT; 5 BINARY_EVENT is accepted from other implementations.
    if (!t || (*t != 2 && *t != 5)) return error::invalid_shape;
    p.type = sio::packet_type::event;
    p.nsp = std::string(sio::main_namespace);
    if (const auto* nsp = member(o, "nsp"); nsp && !nsp->is_null()) {
        if (!nsp->is_string() || nsp->get_string().empty() || nsp->get_string()[0] != '/') return error::invalid_shape;
        p.nsp.assign(nsp->get_string().data(), nsp->get_string().size());
    }
    auto* data = o.if_contains("data");
    if (!data || !data->is_array() || data->get_array().empty() || !data->get_array()[0].is_string())
        return error::invalid_shape;
    if (auto ec = sio::check_placeholders(*data, atts.size())) return error::invalid_shape;
    p.id.reset();
    p.data = std::move(*data);
    p.attachments = std::move(atts);
    return {};
}

// ---- writers (key order as captured from Node)

inline boost::json::array rooms_json(const std::vector<std::string>& rooms) {
    boost::json::array a;
    a.reserve(rooms.size());
    for (const auto& r : rooms) a.emplace_back(r);
    return a;
}

inline boost::json::object filter_json(const room_filter& f) {
    boost::json::object o;
    o.emplace("rooms", rooms_json(f.rooms));
    o.emplace("except", rooms_json(f.except));
    return o;
}

inline boost::json::object flags_json(const broadcast_flags& f) {
    boost::json::object o;
    if (f.volatile_) o.emplace("volatile", *f.volatile_);
    if (f.compress) o.emplace("compress", *f.compress);
    if (f.local) o.emplace("local", *f.local);
    if (f.broadcast) o.emplace("broadcast", *f.broadcast);
    if (f.timeout) o.emplace("timeout", *f.timeout);
    if (f.expect_single_response) o.emplace("expectSingleResponse", *f.expect_single_response);
    return o;
}

inline boost::json::object options_json(const broadcast_options& opts, producer who) {
    boost::json::object o;
    o.emplace("rooms", rooms_json(opts.rooms));
    if (who == producer::emitter) {
        o.emplace("flags", flags_json(opts.flags));
        o.emplace("except", rooms_json(opts.except));
    } else {
        o.emplace("except", rooms_json(opts.except));
        o.emplace("flags", flags_json(opts.flags));
    }
    return o;
}

inline boost::json::object packet_json(const sio::packet& p) {
    boost::json::object o;
    o.emplace("type", 2);
    o.emplace("data", p.data);
    o.emplace("nsp", p.nsp);
    return o;
}

inline std::string to_json(const boost::json::value& v) {
    std::string s;
    sio::append_json(s, v);
    return s;
}

inline std::string to_msgpack(const boost::json::value& v, std::span<const attachment> atts) {
    std::string s;
    append_msgpack(s, v, atts);
    return s;
}

}  // namespace detail

// ---------------------------------------------------------------- broadcast codec

// The bytes to PUBLISH, and the channel: the room channel when opts.rooms has
// exactly one room, else the namespace channel (Node's rule).
inline std::string encode(const broadcast_message& m, producer who = producer::adapter) {
    boost::json::array triple;
    triple.emplace_back(m.uid);
    triple.emplace_back(detail::packet_json(m.packet));
    triple.emplace_back(detail::options_json(m.opts, who));
    return detail::to_msgpack(triple, m.packet.attachments);
}

inline std::string broadcast_channel(const channels& ch, const broadcast_options& opts) {
    return opts.rooms.size() == 1 ? ch.room(opts.rooms.front()) : ch.broadcast;
}

inline std::error_code decode(std::span<const std::byte> bytes, broadcast_message& m, const wire_limits& limits = {}) {
    boost::json::value v;
    std::vector<attachment> atts;
    // Always msgpack (a '{' here would be a fixmap of 11 entries, which is fine).
    if (auto ec = msgpack_to_json(bytes, v, atts, limits)) return ec;
    auto* a = v.if_array();
    if (!a || a->size() < 3 || !(*a)[0].is_string()) return error::invalid_shape;  // extra elements: ignored, as Node
    m.uid.assign((*a)[0].get_string().data(), (*a)[0].get_string().size());
    if (auto ec = detail::read_packet(&(*a)[1], atts, m.packet)) return ec;
    return detail::read_options(&(*a)[2], m.opts);
}

// ---------------------------------------------------------------- requests

constexpr request_type type_of(const request& r) noexcept {
    constexpr request_type types[] = {request_type::sockets,         request_type::all_rooms,
                                      request_type::remote_join,     request_type::remote_leave,
                                      request_type::remote_disconnect, request_type::remote_fetch,
                                      request_type::server_side_emit, request_type::broadcast};
    return types[r.index()];
}

// JSON for every request except broadcast_request (msgpack), as Node.
inline std::string encode(const request& r) {
    return std::visit(
        [](const auto& q) -> std::string {
            using T = std::decay_t<decltype(q)>;
            boost::json::object o;
            auto type = [&](request_type t) { o.emplace("type", static_cast<int>(t)); };
            if constexpr (std::is_same_v<T, sockets_request>) {
                o.emplace("uid", q.uid);
                o.emplace("requestId", q.request_id);
                type(request_type::sockets);
                o.emplace("rooms", detail::rooms_json(q.rooms));
            } else if constexpr (std::is_same_v<T, all_rooms_request>) {
                o.emplace("uid", q.uid);
                o.emplace("requestId", q.request_id);
                type(request_type::all_rooms);
            } else if constexpr (std::is_same_v<T, remote_join_request> || std::is_same_v<T, remote_leave_request>) {
                if (q.uid) o.emplace("uid", *q.uid);
                type(std::is_same_v<T, remote_join_request> ? request_type::remote_join : request_type::remote_leave);
                o.emplace("opts", detail::filter_json(q.opts));
                o.emplace("rooms", detail::rooms_json(q.rooms));
            } else if constexpr (std::is_same_v<T, remote_disconnect_request>) {
                if (q.uid) o.emplace("uid", *q.uid);
                type(request_type::remote_disconnect);
                o.emplace("opts", detail::filter_json(q.opts));
                o.emplace("close", q.close);
            } else if constexpr (std::is_same_v<T, remote_fetch_request>) {
                o.emplace("uid", q.uid);
                o.emplace("requestId", q.request_id);
                type(request_type::remote_fetch);
                o.emplace("opts", detail::filter_json(q.opts));
            } else if constexpr (std::is_same_v<T, server_side_emit_request>) {
                o.emplace("uid", q.uid);
                if (q.request_id) o.emplace("requestId", *q.request_id);
                type(request_type::server_side_emit);
                o.emplace("data", q.data);
            } else {
                static_assert(std::is_same_v<T, broadcast_request>);
                o.emplace("uid", q.uid);
                o.emplace("requestId", q.request_id);
                type(request_type::broadcast);
                o.emplace("packet", detail::packet_json(q.packet));
                o.emplace("opts", detail::options_json(q.opts, producer::adapter));
                return detail::to_msgpack(o, q.packet.attachments);
            }
            return detail::to_json(o);
        },
        r);
}

inline std::error_code decode(std::span<const std::byte> bytes, request& out, const wire_limits& limits = {}) {
    boost::json::value v;
    std::vector<attachment> atts;
    if (auto ec = detail::parse_any(bytes, v, atts, limits)) return ec;
    auto* o = v.if_object();
    if (!o) return error::invalid_shape;
    const auto* tv = o->if_contains("type");
    const auto t = tv ? detail::as_uint(*tv) : std::nullopt;
    if (!t) return error::invalid_shape;
    auto opt_uid = [&](std::optional<std::string>& uid) -> std::error_code {
        uid.reset();
        const auto* u = o->if_contains("uid");
        if (!u || u->is_null()) return {};
        if (!u->is_string()) return error::invalid_shape;
        uid.emplace(u->get_string().data(), u->get_string().size());
        return {};
    };
    switch (static_cast<request_type>(*t)) {
        case request_type::sockets: {
            sockets_request q;
            if (auto ec = detail::get_string(*o, "uid", q.uid)) return ec;
            if (auto ec = detail::get_string(*o, "requestId", q.request_id)) return ec;
            if (auto ec = detail::room_list(*o, "rooms", q.rooms)) return ec;
            out = std::move(q);
            return {};
        }
        case request_type::all_rooms: {
            all_rooms_request q;
            if (auto ec = detail::get_string(*o, "uid", q.uid)) return ec;
            if (auto ec = detail::get_string(*o, "requestId", q.request_id)) return ec;
            out = std::move(q);
            return {};
        }
        case request_type::remote_join:
        case request_type::remote_leave: {
            // Without "opts" it is the legacy per-socket form ({sid, room}), which
            // adapter 8.3 never sends: not supported.
            remote_join_request q;
            if (auto ec = opt_uid(q.uid)) return ec;
            if (auto ec = detail::read_filter(*o, q.opts)) return ec;
            if (auto ec = detail::room_list(*o, "rooms", q.rooms)) return ec;
            if (*t == 2) out = std::move(q);
            else out = remote_leave_request{std::move(q.uid), std::move(q.opts), std::move(q.rooms)};
            return {};
        }
        case request_type::remote_disconnect: {
            remote_disconnect_request q;
            if (auto ec = opt_uid(q.uid)) return ec;
            if (auto ec = detail::read_filter(*o, q.opts)) return ec;
            const auto* c = o->if_contains("close");
            if (c && !c->is_null() && !c->is_bool()) return error::invalid_shape;
            q.close = c && c->is_bool() && c->get_bool();
            out = std::move(q);
            return {};
        }
        case request_type::remote_fetch: {
            remote_fetch_request q;
            if (auto ec = detail::get_string(*o, "uid", q.uid)) return ec;
            if (auto ec = detail::get_string(*o, "requestId", q.request_id)) return ec;
            if (auto ec = detail::read_filter(*o, q.opts)) return ec;
            out = std::move(q);
            return {};
        }
        case request_type::server_side_emit: {
            server_side_emit_request q;
            if (auto ec = detail::get_string(*o, "uid", q.uid)) return ec;
            if (const auto* id = o->if_contains("requestId"); id && !id->is_null()) {
                if (!id->is_string()) return error::invalid_shape;
                q.request_id.emplace(id->get_string().data(), id->get_string().size());
            }
            auto* d = o->if_contains("data");
            if (!d || !d->is_array() || d->get_array().empty() || !d->get_array()[0].is_string())
                return error::invalid_shape;
            q.data = std::move(d->get_array());
            out = std::move(q);
            return {};
        }
        case request_type::broadcast: {
            broadcast_request q;
            if (auto ec = detail::get_string(*o, "uid", q.uid)) return ec;
            if (auto ec = detail::get_string(*o, "requestId", q.request_id)) return ec;
            if (auto ec = detail::read_packet(o->if_contains("packet"), atts, q.packet)) return ec;
            if (auto ec = detail::read_options(o->if_contains("opts"), q.opts)) return ec;
            out = std::move(q);
            return {};
        }
        default: return error::unknown_request_type;
    }
}

// ---------------------------------------------------------------- responses

// JSON, except broadcast_ack_response (msgpack), as Node.
inline std::string encode(const response& r) {
    return std::visit(
        [](const auto& q) -> std::string {
            using T = std::decay_t<decltype(q)>;
            boost::json::object o;
            if constexpr (std::is_same_v<T, sockets_response>) {
                o.emplace("requestId", q.request_id);
                o.emplace("sockets", detail::rooms_json(q.sockets));
            } else if constexpr (std::is_same_v<T, all_rooms_response>) {
                o.emplace("requestId", q.request_id);
                o.emplace("rooms", detail::rooms_json(q.rooms));
            } else if constexpr (std::is_same_v<T, fetch_sockets_response>) {
                o.emplace("requestId", q.request_id);
                boost::json::array a;
                for (const auto& s : q.sockets) {
                    boost::json::object so;
                    so.emplace("id", s.id);
                    so.emplace("handshake", s.handshake);
                    so.emplace("rooms", detail::rooms_json(s.rooms));
                    if (s.data) so.emplace("data", *s.data);
                    a.emplace_back(std::move(so));
                }
                o.emplace("sockets", std::move(a));
            } else if constexpr (std::is_same_v<T, server_side_emit_response>) {
                o.emplace("type", static_cast<int>(request_type::server_side_emit));
                o.emplace("requestId", q.request_id);
                o.emplace("data", q.data);
            } else if constexpr (std::is_same_v<T, broadcast_client_count_response>) {
                o.emplace("type", static_cast<int>(request_type::broadcast_client_count));
                o.emplace("requestId", q.request_id);
                o.emplace("clientCount", q.client_count);
            } else if constexpr (std::is_same_v<T, broadcast_ack_response>) {
                o.emplace("type", static_cast<int>(request_type::broadcast_ack));
                o.emplace("requestId", q.request_id);
                o.emplace("packet", q.arg);
                return detail::to_msgpack(o, q.attachments);
            } else {
                static_assert(std::is_same_v<T, bare_response>);
                o.emplace("requestId", q.request_id);
            }
            return detail::to_json(o);
        },
        r);
}

// A response's kind is in its shape: "type" 6/8/9, else "rooms", else "sockets"
// (socket objects: fetchSockets; strings: the legacy SOCKETS reply; an empty list
// reads as fetchSockets), else only "requestId". Node dispatches on the pending
// request's type instead; a caller should check the variant against it.
inline std::error_code decode(std::span<const std::byte> bytes, response& out, const wire_limits& limits = {}) {
    boost::json::value v;
    std::vector<attachment> atts;
    if (auto ec = detail::parse_any(bytes, v, atts, limits)) return ec;
    auto* o = v.if_object();
    if (!o) return error::invalid_shape;
    std::string id;
    if (auto ec = detail::get_string(*o, "requestId", id)) return ec;
    if (const auto* tv = o->if_contains("type"); tv && !tv->is_null()) {
        const auto t = detail::as_uint(*tv);
        if (!t) return error::invalid_shape;
        switch (static_cast<request_type>(*t)) {
            case request_type::server_side_emit: {
                auto* d = o->if_contains("data");
                out = server_side_emit_response{std::move(id), d ? std::move(*d) : boost::json::value()};
                return {};
            }
            case request_type::broadcast_client_count: {
                const auto* c = o->if_contains("clientCount");
                const auto n = c ? detail::as_uint(*c) : std::nullopt;
                if (!n) return error::invalid_shape;
                out = broadcast_client_count_response{std::move(id), *n};
                return {};
            }
            case request_type::broadcast_ack: {
                auto* p = o->if_contains("packet");
                broadcast_ack_response r{std::move(id), p ? std::move(*p) : boost::json::value(), {}};
                if (sio::check_placeholders(r.arg, atts.size())) return error::invalid_shape;
                r.attachments = std::move(atts);
                out = std::move(r);
                return {};
            }
            default: return error::unknown_response;
        }
    }
    if (o->contains("rooms")) {
        all_rooms_response r{std::move(id), {}};
        if (auto ec = detail::room_list(*o, "rooms", r.rooms)) return ec;
        out = std::move(r);
        return {};
    }
    if (auto* s = o->if_contains("sockets")) {
        if (!s->is_array()) return error::invalid_shape;
        auto& a = s->get_array();
        if (!a.empty() && a[0].is_string()) {
            sockets_response r{std::move(id), {}};
            if (auto ec = detail::room_list(*o, "sockets", r.sockets)) return ec;
            out = std::move(r);
            return {};
        }
        fetch_sockets_response r{std::move(id), {}};
        r.sockets.reserve(a.size());
        for (auto& e : a) {
            auto* so = e.if_object();
            if (!so) return error::invalid_shape;
            socket_details d;
            if (auto ec = detail::get_string(*so, "id", d.id)) return ec;
            if (auto* h = so->if_contains("handshake")) d.handshake = std::move(*h);
            if (auto ec = detail::room_list(*so, "rooms", d.rooms)) return ec;
            if (auto* x = so->if_contains("data")) d.data = std::move(*x);
            r.sockets.push_back(std::move(d));
        }
        out = std::move(r);
        return {};
    }
    out = bare_response{std::move(id)};
    return {};
}

}  // namespace duet::cluster
