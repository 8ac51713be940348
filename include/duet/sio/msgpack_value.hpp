// duet/sio/msgpack_value.hpp — MessagePack as notepack.io writes and reads it, to and
// from duet's Socket.IO value model (Boost.JSON + binary attachments).
//
// Owns: msgpack_value::to_json() and msgpack_value::append(), their bounds (limits)
// and errors (category "duet.msgpack"). Encoding/decoding of the scalar forms is
// msgpuck's (libmsgpuck); this file decides which form notepack would use and bounds
// everything a hostile peer controls. Two users: the Socket.IO MessagePack parser
// (sio/msgpack_parser.hpp: notepack 2.2, what socket.io-msgpack-parser 3 uses) and the
// Redis adapter's wire (cluster/: notepack 3, what @socket.io/redis-adapter uses) —
// the two versions write what both use the same way.
//
// Value model: a msgpack `bin` becomes {"_placeholder":true,"num":N} in the JSON
// and its bytes attachments[N] (sio/binary.hpp), the form duet's Socket.IO encoder
// sends as a BINARY_EVENT; encoding turns such placeholders back into `bin`.
// What notepack does that JSON cannot say, and how it maps (see docs/REDIS_WIRE.md):
//  - `undefined` (fixext 1 d4 00 xx, written by notepack 2.2, read by both):
//    null inside an array, member omitted inside a map — what JSON.stringify makes
//    of it when the receiving Node server forwards the value to its clients.
//  - integral doubles: notepack writes them as integers (1.0 -> 01), so do we;
//    integral values ≥ 2^64 notepack corrupts (1e300 -> cf 00..00), we write float64.
//  - Date: notepack 2.2 and 3 write fixext 8 type 0 (d7 00 + float64 ms), read as the
//    ISO string Date.prototype.toJSON gives; msgpack timestamps (ext -1) likewise.
//  - ext 8/16/32 type 0 (old notepack's ArrayBuffer) -> bin; other ext values (fixext
//    1/2/4/16 with type 0 included) -> [type, bin] as notepack.
//  - map keys: strings; integer keys become their decimal text (JS property names).
#pragma once

#include <duet/core/json_writer.hpp>
#include <duet/sio/binary.hpp>
#include <duet/sio/encoder.hpp>
#include <duet/sio/packet.hpp>

#include <msgpuck.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace duet::sio::msgpack_value {

enum class error {
    message_too_large = 1,  // above limits::max_message_bytes
    invalid_msgpack,        // not one complete MessagePack value (truncated, trailing bytes, 0xc1)
    too_deep,               // nests deeper than limits::max_depth
    too_many_attachments,   // more bin values than limits::max_attachments
    invalid_map_key,        // a map key that is neither a string nor an integer
};

namespace detail {
class error_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "duet.msgpack"; }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
            case error::message_too_large: return "MessagePack message exceeds the size limit";
            case error::invalid_msgpack: return "malformed MessagePack";
            case error::too_deep: return "MessagePack value nested too deeply";
            case error::too_many_attachments: return "too many binary values in a MessagePack message";
            case error::invalid_map_key: return "MessagePack map key is not a string or integer";
        }
        return "unknown duet.msgpack error";
    }
};
}  // namespace detail

inline const std::error_category& msgpack_category() noexcept {
    static const detail::error_category cat;
    return cat;
}
inline std::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), msgpack_category()}; }

}  // namespace duet::sio::msgpack_value

template <>
struct std::is_error_code_enum<duet::sio::msgpack_value::error> : std::true_type {};

namespace duet::sio::msgpack_value {

// Bounds on what one message from Redis may cost. Node has none; these defaults are
// far above anything the adapter sends and keep a hostile publisher from making us
// allocate without bound (every count is also checked against the bytes left).
struct limits {
    std::size_t max_message_bytes = 64 * 1024 * 1024;
    std::size_t max_depth = 32;        // nesting of arrays/maps below the message's own
    std::size_t max_attachments = 1024; // bin values per message
};

namespace detail {

// Bytes of the header (type byte + length/value bytes) of a msgpack value that
// starts with `c`, 0 for 0xc1 (never used) and the ext family (handled apart).
constexpr std::size_t msgpack_header_size(unsigned char c) noexcept {
    if (c <= 0xbf || c >= 0xe0) return 1;  // fixint, fixmap, fixarray, fixstr, negative fixint
    switch (c) {
        case 0xc0: case 0xc2: case 0xc3: return 1;
        case 0xc4: case 0xcc: case 0xd0: case 0xd9: return 2;
        case 0xc5: case 0xcd: case 0xd1: case 0xda: case 0xdc: case 0xde: return 3;
        case 0xc6: case 0xca: case 0xce: case 0xd2: case 0xdb: case 0xdd: case 0xdf: return 5;
        case 0xcb: case 0xcf: case 0xd3: return 9;
        default: return 0;
    }
}

// Date.prototype.toJSON for a time value in ms; nullopt outside Date's range
// (±8.64e15 ms), where toJSON gives null.
inline std::optional<std::string> iso_date(double ms) {
    if (!std::isfinite(ms) || std::fabs(ms) > 8.64e15) return std::nullopt;
    const auto t = static_cast<std::int64_t>(std::trunc(ms));
    using namespace std::chrono;
    const auto total = milliseconds(t);
    const auto day = floor<days>(total);
    const year_month_day ymd{sys_days(day)};
    const auto rest = total - day;
    const auto h = duration_cast<hours>(rest).count();
    const auto m = duration_cast<minutes>(rest).count() % 60;
    const auto s = duration_cast<seconds>(rest).count() % 60;
    const auto milli = rest.count() % 1000;
    const int y = static_cast<int>(ymd.year());
    char buf[64];
    // Years 0..9999 as four digits, others as the expanded ±YYYYYY form.
    if (y >= 0 && y <= 9999)
        std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y,
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(h),
                      static_cast<int>(m), static_cast<int>(s), static_cast<int>(milli));
    else
        std::snprintf(buf, sizeof buf, "%c%06d-%02u-%02uT%02d:%02d:%02d.%03dZ", y < 0 ? '-' : '+', y < 0 ? -y : y,
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(h),
                      static_cast<int>(m), static_cast<int>(s), static_cast<int>(milli));
    return std::string(buf);
}

// sio::make_placeholder stores num as uint64, which sio::placeholder_index does not
// accept (it reserves uint64 for values above INT64_MAX); ours store int64 so that
// both sio's resolver and ours read them.
inline boost::json::object make_placeholder(std::size_t num, boost::json::storage_ptr sp) {
    boost::json::object o(std::move(sp));
    o.reserve(2);
    o.emplace(sio::placeholder_key, true);
    o.emplace(sio::placeholder_num_key, static_cast<std::int64_t>(num));
    return o;
}

// The attachment a placeholder names, whichever integer kind holds its num.
inline const attachment* placeholder_attachment(const boost::json::value& v, std::span<const attachment> atts) noexcept {
    if (!sio::is_placeholder(v)) return nullptr;
    const auto* num = v.get_object().if_contains(sio::placeholder_num_key);
    if (num && num->is_uint64() && num->get_uint64() < atts.size()) return &atts[num->get_uint64()];
    return sio::resolve_placeholder(v, atts);
}

class msgpack_reader {
public:
    msgpack_reader(const char* p, const char* end, const limits& limits, std::vector<attachment>& atts)
        : p_(p), end_(end), limits_(limits), atts_(atts) {}

    // Reads one value into `out`. `undefined` is reported through `*undef` when
    // the caller can drop it (a map member), else stored as null.
    std::error_code read(boost::json::value& out, std::size_t depth, bool* undef = nullptr) {
        if (p_ >= end_) return error::invalid_msgpack;
        const auto c = static_cast<unsigned char>(*p_);
        if ((c >= 0xc7 && c <= 0xc9) || (c >= 0xd4 && c <= 0xd8)) return read_ext(out, depth, undef);
        const std::size_t hs = msgpack_header_size(c);
        if (hs == 0 || hs > left()) return error::invalid_msgpack;
        switch (mp_typeof(*p_)) {
            case MP_NIL: mp_decode_nil(&p_); out = nullptr; return {};
            case MP_BOOL: out = mp_decode_bool(&p_); return {};
            case MP_UINT: {
                const std::uint64_t u = mp_decode_uint(&p_);
                if (u <= static_cast<std::uint64_t>(INT64_MAX)) out = static_cast<std::int64_t>(u);
                else out = u;
                return {};
            }
            case MP_INT: out = static_cast<std::int64_t>(mp_decode_int(&p_)); return {};
            case MP_FLOAT: out = static_cast<double>(mp_decode_float(&p_)); return {};
            case MP_DOUBLE: out = mp_decode_double(&p_); return {};
            case MP_STR: {
                const std::uint32_t n = mp_decode_strl(&p_);
                if (n > left()) return error::invalid_msgpack;
                out = boost::json::string(std::string_view(p_, n), out.storage());
                p_ += n;
                return {};
            }
            case MP_BIN: {
                const std::uint32_t n = mp_decode_binl(&p_);
                if (n > left()) return error::invalid_msgpack;
                return take_bin(out, n);
            }
            case MP_ARRAY: {
                const std::uint32_t n = mp_decode_array(&p_);
                if (n > left()) return error::invalid_msgpack;  // every element takes ≥ 1 byte
                if (depth >= limits_.max_depth) return error::too_deep;
                auto& a = out.emplace_array();
                a.reserve(n);
                for (std::uint32_t i = 0; i < n; ++i) {
                    a.emplace_back(nullptr);
                    if (auto ec = read(a.back(), depth + 1)) return ec;
                }
                return {};
            }
            case MP_MAP: {
                const std::uint32_t n = mp_decode_map(&p_);
                if (n > left() / 2) return error::invalid_msgpack;
                if (depth >= limits_.max_depth) return error::too_deep;
                auto& o = out.emplace_object();
                o.reserve(n);
                std::string key;
                for (std::uint32_t i = 0; i < n; ++i) {
                    if (auto ec = read_key(key)) return ec;
                    boost::json::value v(o.storage());
                    bool u = false;
                    if (auto ec = read(v, depth + 1, &u)) return ec;
                    // JS assignment: a later duplicate wins; `undefined` leaves the
                    // key holding undefined, which JSON.stringify omits.
                    if (u) o.erase(key);
                    else o.insert_or_assign(key, std::move(v));
                }
                return {};
            }
            case MP_EXT: break;
        }
        return error::invalid_msgpack;
    }

    const char* position() const noexcept { return p_; }

private:
    std::size_t left() const noexcept { return static_cast<std::size_t>(end_ - p_); }

    std::error_code take_bin(boost::json::value& out, std::size_t n) {
        if (atts_.size() >= limits_.max_attachments) return error::too_many_attachments;
        const auto* b = reinterpret_cast<const std::byte*>(p_);
        atts_.emplace_back(b, b + n);
        p_ += n;
        out = make_placeholder(atts_.size() - 1, out.storage());
        return {};
    }

    std::error_code read_key(std::string& key) {
        if (p_ >= end_) return error::invalid_msgpack;
        const auto c = static_cast<unsigned char>(*p_);
        const std::size_t hs = msgpack_header_size(c);
        if (hs == 0 || hs > left()) return error::invalid_map_key;
        switch (mp_typeof(*p_)) {
            case MP_STR: {
                const std::uint32_t n = mp_decode_strl(&p_);
                if (n > left()) return error::invalid_msgpack;
                key.assign(p_, n);
                p_ += n;
                return {};
            }
            case MP_UINT: key = std::to_string(mp_decode_uint(&p_)); return {};
            case MP_INT: key = std::to_string(mp_decode_int(&p_)); return {};
            default: return error::invalid_map_key;
        }
    }

    // fixext 1/2/4/8/16 (d4..d8) and ext 8/16/32 (c7..c9): msgpuck 1.0 has no ext
    // decoder, so the header is read here.
    std::error_code read_ext(boost::json::value& out, std::size_t depth, bool* undef) {
        const auto c = static_cast<unsigned char>(*p_);
        std::size_t len = 0, hs = 0;
        if (c >= 0xd4) {
            len = std::size_t{1} << (c - 0xd4);
            hs = 2;
        } else {
            const std::size_t lb = std::size_t{1} << (c - 0xc7);  // 1, 2, 4 length bytes
            hs = 2 + lb;
            if (hs > left()) return error::invalid_msgpack;
            const auto* u = reinterpret_cast<const unsigned char*>(p_ + 1);
            for (std::size_t i = 0; i < lb; ++i) len = (len << 8) | u[i];
        }
        if (hs > left() || len > left() - hs) return error::invalid_msgpack;
        const auto type = static_cast<std::int8_t>(static_cast<unsigned char>(p_[hs - 1]));
        const auto* d = reinterpret_cast<const unsigned char*>(p_ + hs);
        p_ += hs;
        if (c == 0xd4 && type == 0) {  // notepack's `undefined`
            p_ += len;
            if (undef) *undef = true;
            out = nullptr;
            return {};
        }
        if (type == 0 && c == 0xd7) {  // notepack's Date: float64 ms since the epoch
            std::uint64_t bits = 0;
            for (std::size_t i = 0; i < 8; ++i) bits = (bits << 8) | d[i];
            double ms;
            std::memcpy(&ms, &bits, 8);
            p_ += len;
            if (auto iso = iso_date(ms)) out = boost::json::string(*iso, out.storage());
            else out = nullptr;
            return {};
        }
        if (type == 0 && c >= 0xc7 && c <= 0xc9) return take_bin(out, len);  // old notepack ArrayBuffer
        if (type == -1 && (len == 4 || len == 8 || len == 12)) {  // timestamp -> Date -> toJSON()
            auto be = [&](std::size_t at, std::size_t n) {
                std::uint64_t v = 0;
                for (std::size_t i = 0; i < n; ++i) v = (v << 8) | d[at + i];
                return v;
            };
            double ms;
            if (len == 4) {
                ms = static_cast<double>(be(0, 4)) * 1e3;
            } else if (len == 8) {
                const std::uint64_t hi = be(0, 4), lo = be(4, 4);
                ms = (static_cast<double>(hi & 3) * 4294967296.0 + static_cast<double>(lo)) * 1e3 +
                     static_cast<double>(hi >> 2) / 1e6;
            } else {
                const auto s = static_cast<std::int64_t>(be(4, 8));
                ms = static_cast<double>(s) * 1e3 + static_cast<double>(be(0, 4)) / 1e6;
            }
            p_ += len;
            if (auto iso = iso_date(ms)) out = boost::json::string(*iso, out.storage());
            else out = nullptr;
            return {};
        }
        // Any other extension: notepack gives [type, Buffer] — an array, a level deeper.
        if (depth >= limits_.max_depth) return error::too_deep;
        auto& a = out.emplace_array();
        a.emplace_back(static_cast<std::int64_t>(type));
        a.emplace_back(nullptr);
        return take_bin(a.back(), len);
    }

    const char* p_;
    const char* end_;
    const limits& limits_;
    std::vector<attachment>& atts_;
};

template <class F>
inline void put(std::string& out, std::size_t max, F&& write) {
    const std::size_t n = out.size();
    out.resize(n + max);
    char* e = write(out.data() + n);
    out.resize(static_cast<std::size_t>(e - out.data()));
}

inline void append_msgpack_int(std::string& out, std::int64_t v) {
    put(out, 9, [&](char* p) {
        return v >= 0 ? mp_encode_uint(p, static_cast<std::uint64_t>(v)) : mp_encode_int(p, v);
    });
}

}  // namespace detail

// Decodes exactly one msgpack value filling the whole of `bytes` (trailing bytes are
// an error, as in notepack). bin values are appended to `attachments`.
inline std::error_code to_json(std::span<const std::byte> bytes, boost::json::value& out,
                               std::vector<attachment>& attachments, const limits& limits = {}) {
    if (bytes.size() > limits.max_message_bytes) return error::message_too_large;
    const char* begin = reinterpret_cast<const char*>(bytes.data());
    const char* end = begin + bytes.size();
    // msgpuck validates the whole buffer first. Its element counter is an int, so
    // counts near 2^31 can wrap it and let a truncated buffer pass: the reader
    // below checks every header and count against the bytes left regardless.
    const char* chk = begin;
    if (bytes.empty() || mp_check(&chk, end) != 0 || chk != end) return error::invalid_msgpack;
    detail::msgpack_reader r(begin, end, limits, attachments);
    if (auto ec = r.read(out, 0)) return ec;
    if (r.position() != end) return error::invalid_msgpack;
    return {};
}

// Appends `v` as notepack.io 3 would encode the equivalent JavaScript value;
// placeholders naming an existing attachment become `bin`. Object members keep
// insertion order, except integer-like keys first (Object.keys order). Recursion
// depth is the nesting depth of `v`.
inline void append(std::string& out, const boost::json::value& v, std::span<const attachment> atts) {
    using detail::put;
    switch (v.kind()) {
        case boost::json::kind::null: out.push_back(static_cast<char>(0xc0)); return;
        case boost::json::kind::bool_: out.push_back(static_cast<char>(v.get_bool() ? 0xc3 : 0xc2)); return;
        case boost::json::kind::int64: detail::append_msgpack_int(out, v.get_int64()); return;
        case boost::json::kind::uint64:
            put(out, 9, [&](char* p) { return mp_encode_uint(p, v.get_uint64()); });
            return;
        case boost::json::kind::double_: {
            const double d = v.get_double();
            // notepack: an integral finite number is written as an integer.
            if (std::isfinite(d) && std::floor(d) == d) {
                if (d >= 0 && d < 18446744073709551616.0) {
                    put(out, 9, [&](char* p) { return mp_encode_uint(p, static_cast<std::uint64_t>(d)); });
                    return;
                }
                if (d < 0 && d >= -9223372036854775808.0) {
                    detail::append_msgpack_int(out, static_cast<std::int64_t>(d));
                    return;
                }
            }
            put(out, 9, [&](char* p) { return mp_encode_double(p, d); });
            return;
        }
        case boost::json::kind::string: {
            const auto& s = v.get_string();
            put(out, 5 + s.size(), [&](char* p) {
                return mp_encode_str(p, s.data(), static_cast<std::uint32_t>(s.size()));
            });
            return;
        }
        case boost::json::kind::array: {
            const auto& a = v.get_array();
            put(out, 5, [&](char* p) { return mp_encode_array(p, static_cast<std::uint32_t>(a.size())); });
            for (const auto& e : a) append(out, e, atts);
            return;
        }
        case boost::json::kind::object: {
            if (const auto* bin = detail::placeholder_attachment(v, atts)) {
                // mp_encode_bin memcpy()s from data(), which is null for an empty vector.
                put(out, 5, [&](char* p) { return mp_encode_binl(p, static_cast<std::uint32_t>(bin->size())); });
                if (!bin->empty()) out.append(reinterpret_cast<const char*>(bin->data()), bin->size());
                return;
            }
            const auto& o = v.get_object();
            put(out, 5, [&](char* p) { return mp_encode_map(p, static_cast<std::uint32_t>(o.size())); });
            auto member = [&](const boost::json::key_value_pair& kv) {
                const auto k = kv.key();
                put(out, 5 + k.size(), [&](char* p) {
                    return mp_encode_str(p, k.data(), static_cast<std::uint32_t>(k.size()));
                });
                append(out, kv.value(), atts);
            };
            std::uint32_t idx;
            std::vector<std::pair<std::uint32_t, const boost::json::key_value_pair*>> indexed;
            for (const auto& kv : o)
                if (json::detail::array_index_key({kv.key().data(), kv.key().size()}, idx)) indexed.emplace_back(idx, &kv);
            if (indexed.empty()) {
                for (const auto& kv : o) member(kv);
                return;
            }
            std::sort(indexed.begin(), indexed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            for (const auto& [i, kv] : indexed) member(*kv);
            for (const auto& kv : o)
                if (!json::detail::array_index_key({kv.key().data(), kv.key().size()}, idx)) member(kv);
            return;
        }
    }
}

}  // namespace duet::sio::msgpack_value
