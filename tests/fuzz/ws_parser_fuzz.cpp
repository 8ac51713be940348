// libFuzzer target for duet::ws::message_parser (and the UTF-8 validator under it).
//
// Input layout: byte 0 picks max_message_size, byte 1 picks a read size, the rest is
// the client's byte stream. Checks, aborting on any violation:
//  - the parser never consumes more than it was given, never needs more than
//    min_read_buffer bytes buffered, and emits and consumes nothing after
//    close/error (the stream keeps coming: it must be ignored);
//  - the same events come out whether the stream is parsed in one buffer, byte by
//    byte, or in reads of the chosen size (differential over split points);
//  - every text message and close reason is valid UTF-8 by an independent
//    decode-then-check reference, data messages respect max_message_size and
//    control payloads the 125-byte limit;
//  - the validator agrees with the reference on the raw input, whole and split.
#include <duet/core/utf8.hpp>
#include <duet/ws/message_parser.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace duet::ws;
using duet::is_valid_utf8;
using duet::utf8_validator;

namespace {
void check(bool ok) {
    if (!ok) std::abort();
}

bool reference_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len;
        std::uint32_t cp;
        if (c < 0x80) { ++i; continue; }
        if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
        else return false;
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        const std::uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

struct record {
    event_kind kind;
    close_code code;
    int ec;
    std::string payload;
    bool operator==(const record&) const = default;
};

void check_event(const event& ev, const parser_options& o) {
    switch (ev.kind) {
        case event_kind::text:
            check(reference_utf8(ev.text()));
            [[fallthrough]];
        case event_kind::binary: check(ev.payload.size() <= o.max_message_size); break;
        case event_kind::ping:
        case event_kind::pong: check(ev.payload.size() <= max_control_payload); break;
        case event_kind::close:
            check(ev.payload.size() <= max_close_reason);
            check(reference_utf8(ev.text()));
            check(ev.code == close_code::no_status || is_valid_wire_close_code(static_cast<std::uint16_t>(ev.code)));
            check(ev.code != close_code::no_status || ev.payload.empty());
            break;
        case event_kind::error:
            check(static_cast<bool>(ev.ec()));
            check(ev.code == close_code::protocol_error || ev.code == close_code::invalid_payload ||
                  ev.code == close_code::message_too_big);
            break;
        case event_kind::need_more: check(false); break;
    }
}

// Feeds `wire` in reads of `chunk` bytes, as a connection would.
std::vector<record> run(std::string_view wire, std::size_t chunk, const parser_options& o) {
    message_parser p(o);
    std::vector<record> out;
    std::string buf;
    std::size_t fed = 0;
    for (;;) {
        for (;;) {
            const bool was_finished = p.finished();
            auto r = p.next(std::as_writable_bytes(std::span(buf)));
            check(r.consumed <= buf.size());
            if (was_finished) check(!r.ev && r.consumed == 0);
            if (r.ev) {
                check_event(r.ev, o);
                out.push_back({r.ev.kind, r.ev.code, static_cast<int>(r.ev.err), std::string(r.ev.text())});
            }
            buf.erase(0, r.consumed);
            if (!r.ev) break;
        }
        // Until it finishes, the parser never needs more than a control frame buffered.
        if (!p.finished()) check(buf.size() <= min_read_buffer + chunk);
        if (fed == wire.size()) break;
        const std::size_t n = std::min(chunk, wire.size() - fed);
        buf.append(wire.substr(fed, n));
        fed += n;
    }
    return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    static constexpr std::size_t limits[] = {0, 1, 16, 125, 126, 1000, 65536, 1 << 20};
    parser_options o;
    o.max_message_size = limits[data[0] & 7];
    o.retained_capacity = (data[0] & 8) ? 0 : 64 * 1024;
    const std::size_t chunk = 1 + data[1] % 32;
    const std::string_view wire(reinterpret_cast<const char*>(data + 2), size - 2);

    const auto whole = run(wire, wire.size() + 1, o);
    check(run(wire, 1, o) == whole);
    check(run(wire, chunk, o) == whole);

    // The validator alone, on the raw bytes: whole and split at the chunk size.
    const bool ref = reference_utf8(wire);
    check(is_valid_utf8(wire) == ref);
    utf8_validator v;
    bool ok = true;
    for (std::size_t i = 0; i < wire.size(); i += chunk) ok = v.feed(wire.substr(i, chunk)) && ok;
    check((ok && v.complete()) == ref);
    return 0;
}
