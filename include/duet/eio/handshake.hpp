// duet/eio/handshake.hpp — the JSON the server writes at the edges of a session: the
// open packet that answers a handshake, and the error body of a refused request.
//
// Owns: byte-exact reproductions of what the reference server (engine.io) sends, so
// that clients and tests written against it see the same bytes:
//   open packet  0{"sid":"...","upgrades":["websocket"],"pingInterval":25000,
//                  "pingTimeout":20000,"maxPayload":1000000}        (one line, keys in this order)
//   error body   {"code":3,"message":"Bad request"}   Content-Type: application/json,
//                HTTP status from http_status(server_error) (error.hpp): 403 for
//                Forbidden, 400 otherwise.
#pragma once

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <duet/core/json_writer.hpp>
#include <duet/eio/error.hpp>
#include <duet/eio/packet.hpp>
#include <duet/eio/payload.hpp>

namespace duet::eio {

// Upgrade lists for open_params::upgrades. The reference offers "websocket" on a
// polling handshake when upgrades are allowed and the websocket transport is
// enabled, and nothing on a websocket handshake (nothing left to upgrade to).
inline constexpr std::array<std::string_view, 1> upgrades_websocket{"websocket"};
inline constexpr std::span<const std::string_view> upgrades_none{};

struct open_params {
    std::string_view sid;
    std::span<const std::string_view> upgrades = upgrades_none;
    std::chrono::milliseconds ping_interval{25000};
    std::chrono::milliseconds ping_timeout{20000};
    std::size_t max_payload = default_max_payload;
};

namespace detail {


constexpr std::size_t decimal_digits(std::uint64_t v) noexcept {
    std::size_t n = 1;
    while (v >= 10) { v /= 10; ++n; }
    return n;
}

inline void append_decimal(std::string& out, std::uint64_t v) {
    char buf[20];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

// A negative duration has no meaning here; it is written as 0 rather than as a
// huge unsigned number.
constexpr std::uint64_t ms_count(std::chrono::milliseconds d) noexcept {
    return d.count() < 0 ? 0 : static_cast<std::uint64_t>(d.count());
}

inline constexpr std::string_view k_sid = "{\"sid\":";
inline constexpr std::string_view k_upgrades = ",\"upgrades\":[";
inline constexpr std::string_view k_ping_interval = "],\"pingInterval\":";
inline constexpr std::string_view k_ping_timeout = ",\"pingTimeout\":";
inline constexpr std::string_view k_max_payload = ",\"maxPayload\":";

}  // namespace detail

// Exact size of the JSON append_open_json writes (without the '0' type digit).
constexpr std::size_t open_json_size(const open_params& p) noexcept {
    std::size_t n = detail::k_sid.size() + json::string_size(p.sid) +
                    detail::k_upgrades.size() + detail::k_ping_interval.size() +
                    detail::decimal_digits(detail::ms_count(p.ping_interval)) +
                    detail::k_ping_timeout.size() +
                    detail::decimal_digits(detail::ms_count(p.ping_timeout)) +
                    detail::k_max_payload.size() + detail::decimal_digits(p.max_payload) + 1;
    for (std::size_t i = 0; i < p.upgrades.size(); ++i)
        n += json::string_size(p.upgrades[i]) + (i ? 1 : 0);
    return n;
}

// Appends the JSON payload of the open packet, key order as the reference:
// sid, upgrades, pingInterval, pingTimeout, maxPayload.
inline void append_open_json(std::string& out, const open_params& p) {
    out.reserve(out.size() + open_json_size(p));
    out.append(detail::k_sid);
    json::append_json_string(out, p.sid);
    out.append(detail::k_upgrades);
    for (std::size_t i = 0; i < p.upgrades.size(); ++i) {
        if (i) out.push_back(',');
        json::append_json_string(out, p.upgrades[i]);
    }
    out.append(detail::k_ping_interval);
    detail::append_decimal(out, detail::ms_count(p.ping_interval));
    out.append(detail::k_ping_timeout);
    detail::append_decimal(out, detail::ms_count(p.ping_timeout));
    out.append(detail::k_max_payload);
    detail::append_decimal(out, p.max_payload);
    out.push_back('}');
}

// Appends the open packet in text form ("0{...}"): the body of the polling handshake
// response (a payload of one packet) and the first WebSocket text frame of a
// websocket-only session.
inline void append_open_packet(std::string& out, const open_params& p) {
    out.reserve(out.size() + 1 + open_json_size(p));
    out.push_back(type_char(packet_type::open));
    append_open_json(out, p);
}

inline std::string open_packet(const open_params& p) {
    std::string out;
    append_open_packet(out, p);
    return out;
}

// ---- error bodies ------------------------------------------------------------------

inline constexpr std::string_view error_content_type = "application/json";

namespace detail {
inline constexpr std::array<std::string_view, 6> error_bodies{
    R"({"code":0,"message":"Transport unknown"})",
    R"({"code":1,"message":"Session ID unknown"})",
    R"({"code":2,"message":"Bad handshake method"})",
    R"({"code":3,"message":"Bad request"})",
    R"({"code":4,"message":"Forbidden"})",
    R"({"code":5,"message":"Unsupported protocol version"})",
};
}  // namespace detail

// The constant body of a refused polling request, as the reference sends it.
constexpr std::string_view error_json(server_error e) noexcept {
    const auto i = static_cast<std::size_t>(e);
    return i < detail::error_bodies.size() ? detail::error_bodies[i]
                                           : detail::error_bodies[3];  // Bad request
}

// The body with a custom message: the reference replaces the standard message with
// the reason an allowRequest hook gave when it refused (code 4, Forbidden). An
// empty `custom_message` writes the standard one. The message must be UTF-8.
inline void append_error_json(std::string& out, server_error e, std::string_view custom_message = {}) {
    if (custom_message.empty()) {
        out.append(error_json(e));
        return;
    }
    constexpr std::string_view head = "{\"code\":", mid = ",\"message\":";
    out.reserve(out.size() + head.size() + 1 + mid.size() +
                json::string_size(custom_message) + 1);
    out.append(head);
    detail::append_decimal(out, static_cast<std::uint8_t>(e));
    out.append(mid);
    json::append_json_string(out, custom_message);
    out.push_back('}');
}

}  // namespace duet::eio
