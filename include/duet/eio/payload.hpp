// duet/eio/payload.hpp — HTTP long-polling payloads: several packets in one body.
//
// Owns: decoding a POST body into packets (pull reader, all-or-nothing callback
// walk, validation alone), the maxPayload check, and encoding queued packets into
// one GET response body with its exact size reserved up front.
//
// Format (engine.io-protocol v4): packets in text form joined by the record
// separator 0x1E, binary packets as 'b' + base64:
//     4hello\x1e2\x1ebAQIDBA==
// Every packet must be non-empty and valid; so an empty body, "\x1e" at either end
// and "\x1e\x1e" are errors (engine.io-parser turns each into a parse error, and the
// server then closes the session with reason "parse error").
//
// Ownership: as in packet.hpp, decoded packets view the body (text) or the caller's
// scratch buffer (binary, refilled for every binary packet). Nothing is allocated
// per packet once the scratch buffer has grown to the largest binary packet.
#pragma once

#include <cstddef>
#include <functional>
#include <iterator>
#include <limits>
#include <ranges>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include <duet/eio/error.hpp>
#include <duet/eio/packet.hpp>

namespace duet::eio {

inline constexpr char record_separator = '\x1e';

// engine.io's default maxHttpBufferSize, sent to clients as maxPayload.
inline constexpr std::size_t default_max_payload = 1'000'000;

struct payload_options {
    // Largest accepted body in bytes (the maxPayload announced in the handshake).
    // std::numeric_limits<std::size_t>::max() disables the limit.
    std::size_t max_payload = default_max_payload;
    // See decode_options::validate_utf8. On by default: nothing else checks a body.
    bool validate_utf8 = true;
};

// The size check the server makes before decoding: on Content-Length before reading
// the body, and on the bytes received so far while reading a chunked one, so that
// an oversized body is never buffered whole. Error: answer HTTP 413
// (payload_too_large_status) and drop the body, as the reference does.
inline std::error_code check_payload_size(std::size_t body_size,
                                             std::size_t max_payload) noexcept {
    if (body_size > max_payload) return error::payload_too_large;
    return {};
}

// Pull decoder, packet by packet, for a server that wants to act on each packet as
// it is decoded (the reference server does: packets before a malformed one have
// been delivered when it closes the session). For all-or-nothing delivery use
// for_each_packet. The body must outlive the reader and the packets it returns.
//
//     payload_reader r(body, {.max_payload = limit});
//     eio::packet p;
//     std::error_code ec;
//     while (r.next(p, scratch, ec)) handle(p);
//     if (ec) close_session("parse error");
class payload_reader {
public:
    explicit payload_reader(std::string_view body, payload_options opts = {}) noexcept
        : body_(body), opts_(opts) {}

    // Decodes the next packet into `out`. Returns true with `ec` cleared when a
    // packet was produced; false at the end of the body (ec cleared) or on an error
    // (ec set, and set again by every later call: a reader never resynchronises).
    template <byte_buffer Buffer>
    bool next(packet& out, Buffer& scratch, std::error_code& ec) {
        switch (state_) {
            case state::failed: ec = error_; return false;
            case state::ended: ec.clear(); return false;
            case state::start:
                if (auto e = check_payload_size(body_.size(), opts_.max_payload))
                    return fail(e, ec);
                if (body_.empty()) return fail(error::empty_payload, ec);
                state_ = state::reading;
                break;
            case state::reading: break;
        }
        const std::size_t start = pos_;
        const std::size_t sep = body_.find(record_separator, start);
        std::string_view segment;
        if (sep == std::string_view::npos) {
            segment = body_.substr(start);
            state_ = state::ended;
        } else {
            segment = body_.substr(start, sep - start);
            pos_ = sep + 1;  // == size() after a trailing separator: next call fails
        }
        if (auto e = decode_packet(segment, out, scratch, {.validate_utf8 = opts_.validate_utf8}))
            return fail(e, ec);
        ++count_;
        ec.clear();
        return true;
    }

    // No further packet: the end was reached or an error occurred.
    bool done() const noexcept { return state_ == state::ended || state_ == state::failed; }
    std::error_code last_error() const noexcept { return error_; }
    // Packets produced so far.
    std::size_t count() const noexcept { return count_; }

private:
    enum class state : unsigned char { start, reading, ended, failed };

    bool fail(std::error_code e, std::error_code& ec) noexcept {
        state_ = state::failed;
        error_ = ec = e;
        return false;
    }

    std::string_view body_;
    std::size_t pos_ = 0;
    std::size_t count_ = 0;
    std::error_code error_;
    payload_options opts_;
    state state_ = state::start;
};

// Checks a whole body without decoding it; the verdict of payload_reader on the
// same body (the first error it would meet), without touching any buffer.
inline std::error_code validate_payload(std::string_view body, payload_options opts = {}) noexcept {
    if (auto e = check_payload_size(body.size(), opts.max_payload)) return e;
    if (body.empty()) return error::empty_payload;
    const decode_options dopts{.validate_utf8 = opts.validate_utf8};
    for (std::size_t pos = 0;;) {
        const std::size_t sep = body.find(record_separator, pos);
        if (auto e = check_packet(body.substr(pos, sep == std::string_view::npos ? sep : sep - pos), dopts))
            return e;
        if (sep == std::string_view::npos) return {};
        pos = sep + 1;
    }
}

// Calls f(const packet&) for every packet of the body, in order, all or nothing: the
// body is validated first, so f is never called for a malformed body. f may return
// bool; false stops the walk (e.g. after a close packet, which is what the
// reference polling transport does). A text packet views the body; a binary one
// views `scratch` and so is only valid until f returns (the next binary packet
// reuses the buffer).
template <byte_buffer Buffer, class F>
std::error_code for_each_packet(std::string_view body, Buffer& scratch, F&& f,
                                payload_options opts = {}) {
    if (auto e = validate_payload(body, opts)) return e;
    payload_reader reader(body, {.max_payload = opts.max_payload, .validate_utf8 = false});
    packet p;
    std::error_code ec;
    while (reader.next(p, scratch, ec)) {
        if constexpr (std::is_convertible_v<std::invoke_result_t<F&, const packet&>, bool>) {
            if (!std::invoke(f, std::as_const(p))) break;
        } else {
            std::invoke(f, std::as_const(p));
        }
    }
    return ec;  // stays clear: the body was validated
}

// ---- encoding ----------------------------------------------------------------------

// The queued packets of a session rarely are eio::packet values; `proj` maps an
// element of the range to something convertible to `packet` (a view of its bytes).
template <class R, class Proj>
concept packet_range = std::ranges::forward_range<R> &&
    std::convertible_to<std::invoke_result_t<Proj&, std::ranges::range_reference_t<R>>, packet>;

// Exact size of the body encode_payload appends for `packets`.
template <class R, class Proj = std::identity>
    requires packet_range<R, Proj>
std::size_t payload_encoded_size(R&& packets, Proj proj = {}) {
    std::size_t n = 0, count = 0;
    for (auto&& e : packets) {
        n += polling_encoded_size(static_cast<packet>(std::invoke(proj, e)));
        ++count;
    }
    return count ? n + count - 1 : 0;
}

// Appends the GET response body for `packets`: each in text form (binary as 'b' +
// base64), joined by 0x1E. One reservation of the exact size, then one pass. An
// empty range appends nothing (a server never answers a GET with no packet).
template <class R, class Proj = std::identity>
    requires packet_range<R, Proj>
void encode_payload(std::string& out, R&& packets, Proj proj = {}) {
    out.reserve(out.size() + payload_encoded_size(packets, proj));
    bool first = true;
    for (auto&& e : packets) {
        if (!first) out.push_back(record_separator);
        first = false;
        encode_polling_packet(out, static_cast<packet>(std::invoke(proj, e)));
    }
}

// How many leading packets fit in one body of at most `max_payload` bytes; at
// least one when the range is not empty, so that an oversized packet still goes
// out, alone (this is the client's maxPayload batching rule, for a server that
// wants to bound its GET responses too).
template <class R, class Proj = std::identity>
    requires packet_range<R, Proj>
std::size_t payload_prefix_fitting(R&& packets, std::size_t max_payload, Proj proj = {}) {
    std::size_t n = 0, count = 0;
    for (auto&& e : packets) {
        const std::size_t add = polling_encoded_size(static_cast<packet>(std::invoke(proj, e))) +
                                (count ? 1 : 0);
        if (count && add > max_payload - n) break;  // n <= max_payload here, no overflow
        n += add;
        ++count;
        if (n > max_payload) break;  // a lone oversized first packet
    }
    return count;
}

}  // namespace duet::eio
