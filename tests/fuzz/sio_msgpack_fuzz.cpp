// libFuzzer target for the Socket.IO msgpack parser (duet/sio/msgpack_parser.hpp).
//
// Input layout:
//   byte 0: option bits — 1: max_attachments 2, 2: max_depth 4,
//           4: max_attachment_bytes 64, 8: max_text_size 64 (defaults otherwise)
//   the rest: one Engine.IO binary message.
// Besides "no crash, no leak, no UB, no unbounded allocation":
//  - a rejected message leaves the output packet untouched, with a duet.sio code;
//  - an accepted packet keeps the invariants the runtime relies on (type 0..4, nsp
//    starting with '/', id <= 2^53-1, UTF-8 strings, placeholders numbered 0..n-1,
//    each naming exactly one attachment, EVENT data = [name, ...]);
//  - encode -> decode gives the same packet back (type, nsp, id, attachments in
//    the same order; data too unless it holds a double, which notepack writes as an
//    integer when integral), and the second encoding equals the first;
//  - the dedicated EVENT/ACK encoders write what the generic one writes.
#include <duet/core/utf8.hpp>
#include <duet/sio/binary.hpp>
#include <duet/sio/decoder.hpp>
#include <duet/sio/msgpack_parser.hpp>

#include <boost/json/value.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace duet::sio;

bool utf8_ok(const boost::json::string& s) { return duet::is_valid_utf8(std::string_view(s.data(), s.size())); }

// Checks strings and placeholders; `seen` collects the placeholder numbers in walk order.
bool well_formed(const boost::json::value& v, std::vector<std::size_t>& seen, bool& has_double) {
    switch (v.kind()) {
        case boost::json::kind::double_: has_double = true; return true;
        case boost::json::kind::string: return utf8_ok(v.get_string());
        case boost::json::kind::array:
            for (const auto& e : v.get_array())
                if (!well_formed(e, seen, has_double)) return false;
            return true;
        case boost::json::kind::object: {
            if (is_placeholder(v)) {
                const auto i = placeholder_index(v);
                if (!i) return false;
                seen.push_back(*i);
                return true;
            }
            for (const auto& kv : v.get_object())
                if (!duet::is_valid_utf8(std::string_view(kv.key().data(), kv.key().size())) ||
                    !well_formed(kv.value(), seen, has_double))
                    return false;
            return true;
        }
        default: return true;
    }
}

void check_packet(const packet& p, const decoder_options& used) {
    if (is_binary(p.type)) std::abort();
    if (p.nsp.empty() || p.nsp[0] != '/' || !duet::is_valid_utf8(p.nsp)) std::abort();
    if (p.id && *p.id > max_ack_id) std::abort();
    if (validate_payload(p.type, p.has_data() ? &p.data : nullptr)) std::abort();
    std::vector<std::size_t> seen;
    bool has_double = false;
    if (!well_formed(p.data, seen, has_double)) std::abort();
    if (seen.size() != p.attachments.size()) std::abort();
    // Each attachment named once (numbered in Object.keys order, which this walk
    // does not follow: compared as a set).
    std::sort(seen.begin(), seen.end());
    for (std::size_t i = 0; i < seen.size(); ++i)
        if (seen[i] != i) std::abort();
    std::size_t total = 0;
    for (const auto& a : p.attachments) total += a.size();
    if (seen.size() > used.max_attachments || total > used.max_attachment_bytes) std::abort();

    // Round trip. Re-encoding may lengthen the message (float32 -> float64), so the
    // size limits are lifted; depth and attachment count stay those the packet met.
    const std::string first = encode_msgpack(p);
    decoder_options o = used;
    o.max_text_size = SIZE_MAX;
    o.max_attachment_bytes = SIZE_MAX;
    packet q;
    if (decode_msgpack_packet(std::as_bytes(std::span(first.data(), first.size())), q, o)) std::abort();
    if (q.type != p.type || q.nsp != p.nsp || q.id != p.id || q.attachments != p.attachments) std::abort();
    if (!has_double && q.data != p.data) std::abort();
    if (encode_msgpack(q) != first) std::abort();

    // The dedicated encoders agree with the generic one on socket.io's layouts.
    if (p.type == packet_type::event && p.data.get_array().front().is_string()) {
        const auto& a = p.data.get_array();
        const auto& name = a.front().get_string();
        std::string e;
        encode_msgpack_event_append(e, p.nsp, {name.data(), name.size()},
                                    std::span<const boost::json::value>(a.data() + 1, a.size() - 1), p.attachments, p.id);
        if (e != first) std::abort();
    }
    if (p.type == packet_type::ack && p.id) {
        const auto& a = p.data.get_array();
        std::string e;
        encode_msgpack_ack_append(e, p.nsp, *p.id, std::span<const boost::json::value>(a.data(), a.size()), p.attachments);
        if (e != first) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    decoder_options opts;
    if (data[0] & 1) opts.max_attachments = 2;
    if (data[0] & 2) opts.max_depth = 4;
    if (data[0] & 4) opts.max_attachment_bytes = 64;
    if (data[0] & 8) opts.max_text_size = 64;
    const auto msg = std::as_bytes(std::span(data + 1, size - 1));

    packet p;
    p.nsp = "/sentinel";
    const std::error_code ec = msgpack_parser::decode(msg, p, opts);
    if (ec) {
        if (!is_decode_error(ec)) std::abort();
        if (p.nsp != "/sentinel" || p.has_data() || p.id || p.has_binary()) std::abort();  // untouched
        return 0;
    }
    check_packet(p, opts);
    return 0;
}
