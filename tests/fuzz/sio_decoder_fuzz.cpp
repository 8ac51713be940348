// libFuzzer target for the Socket.IO decoder (duet/sio/decoder.hpp).
//
// Input layout:
//   byte 0: option bits — 1: max_attachments 2, 2: max_depth 4,
//           4: max_attachment_bytes 64, 8: max_text_size 64 (defaults otherwise)
//   then messages, each: kind byte (bit 0 set: binary, clear: text),
//           length (2 bytes, little endian, clamped to what is left), bytes.
// Besides "no crash, no leak, no UB", every completed packet must survive
// encode -> decode -> encode unchanged (the encoder's output is always accepted,
// and decoding it yields the same packet), except packets holding a non-finite
// double, which JSON (and hence the encoder) writes as null.
#include <duet/sio/decoder.hpp>
#include <duet/sio/encoder.hpp>

#include <boost/json/value.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

namespace {

bool has_nonfinite(const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::double_: return !std::isfinite(v.get_double());
        case boost::json::kind::array:
            for (const auto& e : v.get_array())
                if (has_nonfinite(e)) return true;
            return false;
        case boost::json::kind::object:
            for (const auto& kv : v.get_object())
                if (has_nonfinite(kv.value())) return true;
            return false;
        default: return false;
    }
}

void check_round_trip(const duet::sio::packet& p, const duet::sio::decoder_options& used) {
    using namespace duet::sio;
    if (has_nonfinite(p.data)) return;
    std::string first;
    const std::size_t n = encode_append(first, p);
    if (n != p.attachments.size()) std::abort();

    // Re-encoding may lengthen the text ("1e20" -> "100000000000000000000"), so the
    // size limit is lifted; the depth and attachment limits stay those the packet
    // already met.
    decoder_options o = used;
    o.max_text_size = SIZE_MAX;
    o.max_attachment_bytes = SIZE_MAX;
    decoder d(o);
    if (d.feed_text(first)) std::abort();
    for (const auto& a : p.attachments)
        if (d.feed_binary(std::span<const std::byte>(a))) std::abort();
    if (!d.has_packet()) std::abort();
    const packet q = d.take_packet();
    if (q.type != p.type || q.nsp != p.nsp || q.id != p.id || q.attachments != p.attachments) std::abort();
    if (encode(q) != first) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace duet::sio;
    if (size == 0) return 0;
    decoder_options opts;
    if (data[0] & 1) opts.max_attachments = 2;
    if (data[0] & 2) opts.max_depth = 4;
    if (data[0] & 4) opts.max_attachment_bytes = 64;
    if (data[0] & 8) opts.max_text_size = 64;
    decoder dec(opts);

    std::size_t i = 1;
    while (i < size) {
        const bool binary = data[i] & 1;
        std::size_t len = 0;
        if (i + 1 < size) len = data[i + 1];
        if (i + 2 < size) len |= static_cast<std::size_t>(data[i + 2]) << 8;
        i += 3;
        if (i > size) i = size;
        if (len > size - i) len = size - i;
        const std::uint8_t* msg = data + i;
        i += len;

        std::error_code ec;
        if (binary) {
            const auto bytes = std::as_bytes(std::span(msg, len));
            // Alternate between the copying and the moving overload.
            if (len & 1) ec = dec.feed_binary(attachment(bytes.begin(), bytes.end()));
            else ec = dec.feed_binary(bytes);
        } else {
            ec = dec.feed_text(std::string_view(reinterpret_cast<const char*>(msg), len));
        }
        if (ec) {
            if (!is_decode_error(ec)) std::abort();
            if (dec.has_packet() || dec.pending_attachments()) std::abort();  // errors reset
            continue;
        }
        if (dec.has_packet()) check_round_trip(dec.take_packet(), opts);
    }
    return 0;
}
