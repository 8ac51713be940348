// libFuzzer target: Engine.IO polling payload decoding (POST bodies).
//
// Beyond "no crash, no sanitizer report", checks that the three decoding entry points
// agree (validate_payload, payload_reader, for_each_packet), that the maxPayload
// boundary holds, that a valid body re-encodes into one that decodes to the same
// packets, and that the UTF-8 check agrees with a slow, obviously written reference.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <duet/eio/payload.hpp>

#include "fuzz_assert.hpp"

namespace eio = duet::eio;

namespace {

struct owned {
    eio::packet_type type;
    bool binary;
    std::string data;
    bool operator==(const owned&) const = default;
};

// Reference UTF-8 check: decode each code point, then reject what RFC 3629 forbids.
bool slow_valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const unsigned c = static_cast<unsigned char>(s[i]);
        std::size_t len;
        std::uint32_t cp;
        if (c < 0x80) { ++i; continue; }
        else if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
        else return false;
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const unsigned cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        const std::uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

struct decoded {
    std::vector<owned> packets;
    std::error_code ec;
};

decoded read_all(std::string_view body, eio::payload_options opts, std::string& scratch) {
    decoded d;
    eio::payload_reader reader(body, opts);
    eio::packet p;
    while (reader.next(p, scratch, d.ec)) d.packets.push_back({p.type, p.binary, std::string(p.data)});
    FUZZ_ASSERT(reader.done());
    FUZZ_ASSERT(reader.count() == d.packets.size());
    FUZZ_ASSERT(reader.last_error() == d.ec);
    return d;
}

void check(std::string_view body, bool validate_utf8) {
    const eio::payload_options opts{.max_payload = eio::default_max_payload, .validate_utf8 = validate_utf8};
    std::string scratch;

    const decoded r = read_all(body, opts, scratch);
    const std::error_code verdict = eio::validate_payload(body, opts);
    FUZZ_ASSERT(verdict == r.ec);
    if (r.ec) FUZZ_ASSERT(eio::is_parse_error(static_cast<eio::error>(r.ec.value())));

    std::vector<owned> walked;
    const auto wec = eio::for_each_packet(body, scratch, [&](const eio::packet& p) {
        walked.push_back({p.type, p.binary, std::string(p.data)});
    }, opts);
    FUZZ_ASSERT(wec == r.ec);
    FUZZ_ASSERT(r.ec ? walked.empty() : walked == r.packets);

    // The limit is on the body size, inclusive.
    if (!body.empty()) {
        auto tight = opts;
        tight.max_payload = body.size() - 1;
        FUZZ_ASSERT(eio::validate_payload(body, tight) == eio::error::payload_too_large);
        tight.max_payload = body.size();
        FUZZ_ASSERT(eio::validate_payload(body, tight) == verdict);
    }

    if (r.ec) return;

    // Re-encoding gives a body of the announced size that decodes to the same packets.
    std::vector<eio::packet> views;
    for (const auto& o : r.packets) views.push_back({o.type, o.binary, o.data});
    std::string again;
    eio::encode_payload(again, views);
    FUZZ_ASSERT(again.size() == eio::payload_encoded_size(views));
    const decoded r2 = read_all(again, {.max_payload = SIZE_MAX, .validate_utf8 = validate_utf8}, scratch);
    FUZZ_ASSERT(!r2.ec);
    FUZZ_ASSERT(r2.packets == r.packets);

    // Text packets re-encode to exactly their bytes in the body.
    std::size_t text_bytes = 0, binary_count = 0;
    for (const auto& o : r.packets) {
        if (o.binary) ++binary_count;
        else {
            text_bytes += 1 + o.data.size();
            if (validate_utf8) FUZZ_ASSERT(slow_valid_utf8(o.data));
        }
    }
    if (binary_count == 0) FUZZ_ASSERT(again == body);
    else FUZZ_ASSERT(text_bytes < body.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    check(body, true);
    check(body, false);

    // The input as one packet (a WebSocket text frame, or one segment of a body).
    std::string scratch;
    eio::packet p;
    const auto ec = eio::decode_packet(body, p, scratch);
    FUZZ_ASSERT(ec == eio::check_packet(body));
    if (!body.empty() && eio::parse_type_char(body[0]))
        FUZZ_ASSERT((ec == eio::error::invalid_utf8) == !slow_valid_utf8(body.substr(1)));
    return 0;
}
