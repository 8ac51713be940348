// duet/sio/decoder.hpp — Socket.IO v5 packet decoder, fed Engine.IO messages.
//
// Owns: parsing the text part "<type>[<n>-][<nsp>,][<id>][<json>]" (parse_header,
// pure), checking the payload against the packet type (validate_payload, pure), and
// the per-connection state machine that collects the binary attachments announced
// by a BINARY_EVENT/BINARY_ACK (decoder). It never touches a socket: the Engine.IO
// session hands it each message and closes the connection on any error, as the
// reference server does (socket.io Client.ondata -> onerror -> close).
//
// Acceptance follows socket.io-parser 4.2.x (Decoder.decodeString/isPayloadValid and
// BinaryReconstructor), with these deliberate differences, all on input no
// Socket.IO client produces:
//  - an empty text message is an error (the reference reads Number("") as CONNECT);
//  - the type, count and ack id are plain ASCII decimal: the reference's Number()
//    also takes " 1", "1e0", "0x1" as counts, a blank as type 0, and blanks before
//    the payload as (part of) the ack id ("2 [...]" has id 0). duet refuses a
//    payload that starts with a blank rather than read it with another meaning;
//  - EVENT/ACK/BINARY_*/CONNECT_ERROR without a payload are errors (the protocol
//    says the payload is mandatory; the reference only checks a payload that is
//    present, so "2" reached its handlers as an event without a name);
//  - ack ids above 2^53-1 are errors (the reference rounds them);
//  - placeholders are checked when the text part arrives (not after the last
//    attachment), and a fractional num is an error (the reference substitutes
//    undefined);
//  - a lone UTF-16 surrogate escape ("\ud800") decodes as U+FFFD: JSON.parse keeps
//    it, but UTF-8 (and hence a JSON string in C++) cannot hold it;
//  - sizes and JSON depth are bounded (decoder_options);
//  - integers that fit 64 bits are kept exact (JSON.parse rounds them beyond 2^53).
// Doubles, on the other hand, are read exactly as JSON.parse reads them (see
// detail::precise_handler).
#pragma once

#include <duet/sio/binary.hpp>
#include <duet/sio/error.hpp>
#include <duet/sio/packet.hpp>

#include <boost/json/array.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace duet::sio {

struct decoder_options {
    // Attachments one BINARY_* packet may announce. Same default as socket.io-parser
    // (Decoder opts.maxAttachments, 10); larger counts are error::too_many_attachments.
    std::size_t max_attachments = 10;
    // JSON nesting depth (arrays + objects), passed to Boost.JSON's parse_options;
    // deeper is error::json_too_deep. It also bounds every recursive walk of a
    // decoded payload (placeholder check, encoding, destruction).
    std::size_t max_depth = 32;
    // Longest text message, in bytes. Engine.IO's maxPayload (default 1 MB) already
    // bounds a message; keep the two in step if you raise that.
    std::size_t max_text_size = 1'000'000;
    // Total bytes of the attachments of one packet (they are buffered until the last
    // one arrives). Default: max_attachments messages of 1 MB.
    std::size_t max_attachment_bytes = 10'000'000;
};

// The text part split into its fields. Views into the message.
struct packet_header {
    packet_type type = packet_type::connect;
    std::size_t attachments = 0;           // BINARY_* only, >= 1
    std::string_view nsp = main_namespace;
    std::optional<std::uint64_t> id{};
    std::string_view payload{};            // empty: no payload
};

// Splits a text message into header fields; does not look inside the payload.
inline std::error_code parse_header(std::string_view msg, packet_header& h,
                                    std::size_t max_attachments = decoder_options{}.max_attachments) noexcept {
    if (msg.empty()) return error::empty_packet;
    const char t = msg[0];
    if (t < '0' || t > '6') return error::unknown_packet_type;
    h.type = static_cast<packet_type>(t - '0');
    std::size_t i = 1;
    const std::size_t n = msg.size();
    auto is_digit = [](char c) { return c >= '0' && c <= '9'; };

    h.attachments = 0;
    if (is_binary(h.type)) {
        // "<digits>-", nothing else. Stop accumulating once above the limit (any
        // larger value is equally too many) but keep scanning: "599x-" is malformed,
        // not too many, as in the reference.
        const std::size_t start = i;
        std::size_t count = 0;
        bool over = false;
        for (; i < n && is_digit(msg[i]); ++i) {
            if (over) continue;
            const auto d = static_cast<std::size_t>(msg[i] - '0');
            if (count > (SIZE_MAX - d) / 10 || count * 10 + d > max_attachments) over = true;
            else count = count * 10 + d;
        }
        if (i == start || i == n || msg[i] != '-') return error::invalid_attachments;
        if (!over && count == 0) return error::invalid_attachments;
        if (over) return error::too_many_attachments;
        h.attachments = count;
        ++i;
    }

    // Namespace: from a leading '/' up to the first ',' (consumed) or the end of the
    // message (then there is nothing else, as in the reference).
    h.nsp = main_namespace;
    if (i < n && msg[i] == '/') {
        const std::size_t comma = msg.find(',', i);
        if (comma == std::string_view::npos) {
            h.nsp = msg.substr(i);
            i = n;
        } else {
            h.nsp = msg.substr(i, comma - i);
            i = comma + 1;
        }
    }

    h.id.reset();
    if (i < n && is_digit(msg[i])) {
        std::uint64_t id = 0;
        for (; i < n && is_digit(msg[i]); ++i) {
            const auto d = static_cast<std::uint64_t>(msg[i] - '0');
            if (id > (max_ack_id - d) / 10) return error::invalid_ack_id;
            id = id * 10 + d;
        }
        h.id = id;
    }

    // The reference reads blanks here as (part of) an ack id (Number(" ") == 0), so
    // its payload never starts with one; accepting "2 [...]" without an id would
    // give the packet another meaning than the reference does.
    if (i < n && (msg[i] == ' ' || msg[i] == '\t' || msg[i] == '\n' || msg[i] == '\r'))
        return error::invalid_ack_id;
    h.payload = msg.substr(i);
    return {};
}

// Event names the reference refuses to receive (socket.io-parser RESERVED_EVENTS):
// they name the library's own events on one side or the other.
inline bool is_reserved_event_name(std::string_view name) noexcept {
    return name == "connect" || name == "connect_error" || name == "disconnect" ||
           name == "disconnecting" || name == "newListener" || name == "removeListener";
}

// Is `payload` (nullptr: absent) acceptable for `type`?
//  CONNECT: absent or object. DISCONNECT: absent. CONNECT_ERROR: object or string.
//  EVENT, BINARY_EVENT: array whose first element is a number or a non-reserved
//  string. ACK, BINARY_ACK: array (possibly empty).
inline std::error_code validate_payload(packet_type type, const boost::json::value* payload) noexcept {
    switch (type) {
        case packet_type::connect:
            if (!payload || payload->is_object()) return {};
            return error::invalid_payload;
        case packet_type::disconnect:
            if (!payload) return {};
            return error::invalid_payload;
        case packet_type::connect_error:
            if (payload && (payload->is_object() || payload->is_string())) return {};
            return error::invalid_payload;
        case packet_type::event:
        case packet_type::binary_event: {
            const auto* a = payload ? payload->if_array() : nullptr;
            if (!a || a->empty()) return error::invalid_payload;
            const auto& name = a->front();
            if (name.is_number()) return {};
            if (!name.is_string()) return error::invalid_payload;
            const auto& s = name.get_string();
            if (is_reserved_event_name({s.data(), s.size()})) return error::reserved_event_name;
            return {};
        }
        case packet_type::ack:
        case packet_type::binary_ack:
            if (payload && payload->is_array()) return {};
            return error::invalid_payload;
    }
    return error::unknown_packet_type;
}

namespace detail {

inline int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The code unit of "\uXXXX" at s[i] (s[i] == '\\'), or -1 if s[i..] is not one.
inline long u_escape_at(std::string_view s, std::size_t i) noexcept {
    if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u') return -1;
    long v = 0;
    for (std::size_t k = 2; k < 6; ++k) {
        const int h = hex_value(s[i + k]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

// Boost.JSON rejects "\ud800" (a lone surrogate escape) where JSON.parse accepts
// it, and JavaScript clients do send them (a string cut in the middle of an
// emoji). Rewrites each lone surrogate escape into "\ufffd" — same length, so it is
// done in place in a copy — and returns the text to parse: `payload` itself when
// nothing had to change (the common case: no backslash at all costs one memchr).
inline std::string_view replace_lone_surrogates(std::string_view payload, std::string& scratch) {
    bool copied = false;
    std::size_t i = payload.find('\\');
    while (i != std::string_view::npos && i + 1 < payload.size()) {
        if (payload[i + 1] != 'u') { i = payload.find('\\', i + 2); continue; }
        const long cu = u_escape_at(payload, i);
        std::size_t next = i + 2;
        bool lone = false;
        if (cu >= 0xD800 && cu <= 0xDBFF) {
            const long low = u_escape_at(payload, i + 6);
            if (low >= 0xDC00 && low <= 0xDFFF) next = i + 12;
            else { lone = true; next = i + 6; }
        } else if (cu >= 0xDC00 && cu <= 0xDFFF) {
            lone = true;
            next = i + 6;
        } else if (cu >= 0) {
            next = i + 6;
        }
        if (lone) {
            if (!copied) { scratch.assign(payload); copied = true; }
            scratch.replace(i + 2, 4, "fffd");
        }
        i = payload.find('\\', next);
    }
    return copied ? std::string_view(scratch) : payload;
}

// Boost.JSON 1.81 converts decimal text to double with a fast algorithm that is off
// by one ulp for roughly one number in seven (e.g. 2.3626711020495984e-17), where
// JSON.parse is exact; echoing such a number back would change its digits. This
// handler is Boost's own value-building handler (a value_stack fed by basic_parser)
// except that each double is re-read from its text with std::from_chars, which is
// correctly rounded. Integers are exact already and untouched. Out-of-range text
// ("1e400") keeps Boost's value (infinity or zero), which is also JSON.parse's.
struct precise_handler {
    static constexpr std::size_t max_object_size = boost::json::object::max_size();
    static constexpr std::size_t max_array_size = boost::json::array::max_size();
    static constexpr std::size_t max_key_size = boost::json::string::max_size();
    static constexpr std::size_t max_string_size = boost::json::string::max_size();

    using ec_t = boost::json::error_code;
    using sv = boost::json::string_view;

    boost::json::value_stack st;
    std::string number;  // earlier pieces of a number split across writes (unused: one write per text)

    explicit precise_handler(boost::json::storage_ptr sp) : st(std::move(sp)) {}

    bool on_document_begin(ec_t&) { return true; }
    bool on_document_end(ec_t&) { return true; }
    bool on_object_begin(ec_t&) { return true; }
    bool on_object_end(std::size_t n, ec_t&) { st.push_object(n); return true; }
    bool on_array_begin(ec_t&) { return true; }
    bool on_array_end(std::size_t n, ec_t&) { st.push_array(n); return true; }
    bool on_key_part(sv s, std::size_t, ec_t&) { st.push_chars(s); return true; }
    bool on_key(sv s, std::size_t, ec_t&) { st.push_key(s); return true; }
    bool on_string_part(sv s, std::size_t, ec_t&) { st.push_chars(s); return true; }
    bool on_string(sv s, std::size_t, ec_t&) { st.push_string(s); return true; }
    bool on_number_part(sv s, ec_t&) { number.append(s.data(), s.size()); return true; }
    bool on_int64(std::int64_t i, sv, ec_t&) { number.clear(); st.push_int64(i); return true; }
    bool on_uint64(std::uint64_t u, sv, ec_t&) { number.clear(); st.push_uint64(u); return true; }
    bool on_double(double d, sv s, ec_t&) {
        const char* b = s.data();
        const char* e = b + s.size();
        if (!number.empty()) {
            number.append(s.data(), s.size());
            b = number.data();
            e = b + number.size();
        }
        double exact;
        const auto r = std::from_chars(b, e, exact);
        if (r.ec == std::errc{} && r.ptr == e) d = exact;
        number.clear();
        st.push_double(d);
        return true;
    }
    bool on_bool(bool b, ec_t&) { st.push_bool(b); return true; }
    bool on_null(ec_t&) { st.push_null(); return true; }
    bool on_comment_part(sv, ec_t&) { return true; }
    bool on_comment(sv, ec_t&) { return true; }
};

// One complete JSON text -> value, with precise doubles. Reusable: the parser's
// stacks keep their memory between calls.
class json_reader {
public:
    explicit json_reader(const boost::json::parse_options& opt) : p_(opt, boost::json::storage_ptr{}) {}

    // Returns the Boost.JSON error (syntax, too_deep, extra_data, ...) or fills `out`.
    boost::json::error_code read(std::string_view text, boost::json::value& out) {
        p_.reset();
        p_.handler().st.reset();
        p_.handler().number.clear();
        boost::json::error_code ec;
        const std::size_t n = p_.write_some(false, text.data(), text.size(), ec);
        if (ec) return ec;
        if (n < text.size()) return boost::json::error::extra_data;
        out = p_.handler().st.release();
        return {};
    }

private:
    boost::json::basic_parser<precise_handler> p_;
};

}  // namespace detail

// Per-connection decoder. Feed it every Engine.IO message of the connection in
// order; after a call returns success, has_packet() says whether a packet is
// complete (take it with take_packet() before feeding the next message, or it is
// dropped). After an error the decoder is reset; the caller is expected to close
// the connection.
//
// Attachment bytes are owned by the packet: feed_binary(span) copies them,
// feed_binary(attachment&&) takes the buffer without copying. Parsing reuses one
// Boost.JSON parser (and its internal stacks) per thread, shared by every decoder, so in steady state
// a packet allocates only what it keeps: its JSON value, its attachment list, and
// a namespace name too long for the small-string buffer. The decoder is movable,
// also in the middle of a packet.
class decoder {
public:
    explicit decoder(decoder_options opts = {}) : opts_(opts) {}

    const decoder_options& options() const noexcept { return opts_; }

    // A text message: starts (and, unless it is BINARY_*, completes) a packet.
    std::error_code feed_text(std::string_view message) {
        if (state_ == state::awaiting_binary) return fail(error::unexpected_text);
        clear();
        if (message.size() > opts_.max_text_size) return fail(error::packet_too_large);
        packet_header h;
        if (auto ec = parse_header(message, h, opts_.max_attachments)) return fail(ec);

        boost::json::value data;
        if (!h.payload.empty()) {
            const std::string_view text = detail::replace_lone_surrogates(h.payload, scratch());
            if (const auto ec = shared_reader(opts_.max_depth).read(text, data))
                return fail(ec == boost::json::error::too_deep ? error::json_too_deep : error::invalid_json);
        }
        if (auto ec = validate_payload(h.type, h.payload.empty() ? nullptr : &data)) return fail(ec);
        if (is_binary(h.type))
            if (auto ec = check_placeholders(data, h.attachments)) return fail(ec);

        pkt_.type = h.type == packet_type::binary_event ? packet_type::event
                    : h.type == packet_type::binary_ack ? packet_type::ack
                                                        : h.type;
        pkt_.nsp.assign(h.nsp);
        pkt_.id = h.id;
        pkt_.data = std::move(data);
        if (h.attachments) {
            pkt_.attachments.reserve(h.attachments);
            expected_ = h.attachments;
            state_ = state::awaiting_binary;
        } else {
            state_ = state::ready;
        }
        return {};
    }

    // A binary message: the next attachment of the pending BINARY_* packet.
    std::error_code feed_binary(std::span<const std::byte> message) {
        if (auto ec = admit_binary(message.size())) return ec;
        pkt_.attachments.emplace_back(message.begin(), message.end());
        return after_binary();
    }

    std::error_code feed_binary(attachment&& message) {
        if (auto ec = admit_binary(message.size())) return ec;
        pkt_.attachments.push_back(std::move(message));
        return after_binary();
    }

    bool has_packet() const noexcept { return state_ == state::ready; }

    // Attachments still expected by the pending BINARY_* packet (0 when none is).
    std::size_t pending_attachments() const noexcept {
        return state_ == state::awaiting_binary ? expected_ - pkt_.attachments.size() : 0;
    }

    // Precondition: has_packet().
    packet take_packet() {
        packet out = std::move(pkt_);
        clear();
        return out;
    }

    // Drops any partial or untaken packet (e.g. when the connection closes).
    void reset() noexcept { clear(); }

private:
    enum class state : std::uint8_t { idle, awaiting_binary, ready };

    // One JSON reader per thread (and depth limit), shared by every decoder of the
    // thread: read() completes within the call, and an idle connection then keeps no
    // parser or parser stacks of its own.
    static detail::json_reader& shared_reader(std::size_t max_depth) {
        struct cache {
            std::size_t depth = 0;
            std::unique_ptr<detail::json_reader> reader;
        };
        thread_local cache c;
        if (!c.reader || c.depth != max_depth) {
            decoder_options o;
            o.max_depth = max_depth;
            c.reader = std::make_unique<detail::json_reader>(make_parse_options(o));
            c.depth = max_depth;
        }
        return *c.reader;
    }

    static std::string& scratch() {
        thread_local std::string s;
        return s;
    }

    static boost::json::parse_options make_parse_options(const decoder_options& o) noexcept {
        boost::json::parse_options p;
        p.max_depth = o.max_depth;
        return p;
    }

    std::error_code admit_binary(std::size_t size) {
        if (state_ != state::awaiting_binary) return fail(error::unexpected_binary);
        if (size > opts_.max_attachment_bytes - received_bytes_) return fail(error::attachments_too_large);
        received_bytes_ += size;
        return {};
    }

    std::error_code after_binary() noexcept {
        if (pkt_.attachments.size() == expected_) state_ = state::ready;
        return {};
    }

    std::error_code fail(std::error_code ec) noexcept {
        clear();
        return ec;
    }

    void clear() noexcept {
        state_ = state::idle;
        expected_ = 0;
        received_bytes_ = 0;
        pkt_.type = packet_type::event;
        pkt_.nsp.assign(main_namespace);  // fits the small-string buffer: no allocation
        pkt_.id.reset();
        pkt_.data.emplace_null();
        pkt_.attachments.clear();
    }

    decoder_options opts_;
    // Held by pointer only because Boost.JSON's parser cannot move; the decoder can.
    packet pkt_;
    std::size_t expected_ = 0;
    std::size_t received_bytes_ = 0;
    state state_ = state::idle;
};

}  // namespace duet::sio
