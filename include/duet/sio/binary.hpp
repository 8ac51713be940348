// duet/sio/binary.hpp — binary arguments as {"_placeholder":true,"num":N} + bytes.
//
// Owns: building, recognising, resolving and validating attachment placeholders.
// The reference parser swaps each Buffer for a placeholder when encoding and swaps
// it back when decoding; Boost.JSON cannot hold bytes, so duet stops half-way and
// keeps the placeholder in the JSON, with the bytes beside it in
// packet::attachments (see packet.hpp). Higher layers use append_binary() to emit a
// binary argument and resolve_placeholder() to read one.
#pragma once

#include <duet/sio/error.hpp>
#include <duet/sio/packet.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace duet::sio {

inline constexpr std::string_view placeholder_key = "_placeholder";
inline constexpr std::string_view placeholder_num_key = "num";

// {"_placeholder":true,"num":num}, keys in the order the reference writes them, so
// that encoding it gives the reference's bytes.
inline boost::json::object make_placeholder(std::size_t num, boost::json::storage_ptr sp = {}) {
    boost::json::object o(std::move(sp));
    o.reserve(2);
    o.emplace(placeholder_key, true);
    o.emplace(placeholder_num_key, static_cast<std::int64_t>(num));
    return o;
}

// The reference's test (`data._placeholder === true`): an object whose
// "_placeholder" member is the boolean true. Such an object stands for an
// attachment whatever else it holds; whether its "num" is usable is checked
// separately (placeholder_index). An object with "_placeholder": 1 or "true" is
// ordinary data, as in the reference.
inline bool is_placeholder(const boost::json::value& v) noexcept {
    const auto* o = v.if_object();
    if (!o) return false;
    const auto* flag = o->if_contains(placeholder_key);
    return flag && flag->is_bool() && flag->get_bool();
}

// The attachment index of a placeholder, or nullopt when `v` is not a placeholder
// or its num is not a non-negative integer. Like a JavaScript Number, 0.0 and 1e0
// count as integers; unlike the reference (which would substitute `undefined`), a
// fractional num such as 0.5 is rejected.
// Indices above this are refused outright: no packet has that many attachments,
// and the cap keeps the conversion to size_t exact on 32-bit targets too.
inline constexpr std::int64_t max_placeholder_index = 0xFFFF'FFFE;

inline std::optional<std::size_t> placeholder_index(const boost::json::value& v) noexcept {
    if (!is_placeholder(v)) return std::nullopt;
    const auto* num = v.get_object().if_contains(placeholder_num_key);
    if (!num) return std::nullopt;
    switch (num->kind()) {
        case boost::json::kind::int64:
            if (num->get_int64() < 0 || num->get_int64() > max_placeholder_index) return std::nullopt;
            return static_cast<std::size_t>(num->get_int64());
        case boost::json::kind::uint64:
            // Boost.JSON only uses uint64 above INT64_MAX: no real index, and a
            // 32-bit size_t would wrap.
            return std::nullopt;
        case boost::json::kind::double_: {
            const double d = num->get_double();
            // -0.0 passes (it is index 0 in JavaScript too); NaN fails both tests.
            if (!(d >= 0.0) || d != std::floor(d) || d > max_placeholder_index) return std::nullopt;
            return static_cast<std::size_t>(d);
        }
        default:
            return std::nullopt;
    }
}

// The bytes a placeholder stands for, or nullptr if `v` is not a placeholder or
// names an attachment that does not exist. A placeholder in a packet that arrived
// without attachments (plain EVENT/ACK) therefore resolves to nullptr: the
// reference leaves such objects as ordinary data.
inline const attachment* resolve_placeholder(const boost::json::value& v,
                                             std::span<const attachment> attachments) noexcept {
    auto i = placeholder_index(v);
    if (!i || *i >= attachments.size()) return nullptr;
    return &attachments[*i];
}

// Appends a binary argument: a placeholder numbered attachments.size() goes to the
// end of `args`, the bytes to the end of `attachments`. Use it while building an
// EVENT/ACK argument list; encode_append() then announces the attachments.
inline void append_binary(boost::json::array& args, std::vector<attachment>& attachments,
                          attachment bytes) {
    args.emplace_back(make_placeholder(attachments.size(), args.storage()));
    attachments.push_back(std::move(bytes));
}

inline void append_binary(boost::json::array& args, std::vector<attachment>& attachments,
                          std::span<const std::byte> bytes) {
    append_binary(args, attachments, attachment(bytes.begin(), bytes.end()));
}

// Same for a packet whose data is (or, when null, becomes) the argument array.
// Precondition: p.data is null or an array.
inline void append_binary(packet& p, attachment bytes) {
    if (p.data.is_null()) p.data.emplace_array();
    append_binary(p.data.get_array(), p.attachments, std::move(bytes));
}

// Checks every placeholder reachable from `v` (placeholders are leaves: their own
// members are not searched): each must have a usable num below `count`. Returns
// error::invalid_placeholder otherwise. The reference throws "illegal attachments"
// for the same inputs. Recursion depth is the nesting depth of `v`, which the
// decoder bounds through decoder_options::max_depth.
inline std::error_code check_placeholders(const boost::json::value& v, std::size_t count) noexcept {
    if (const auto* a = v.if_array()) {
        for (const auto& e : *a)
            if (auto ec = check_placeholders(e, count)) return ec;
    } else if (const auto* o = v.if_object()) {
        if (is_placeholder(v)) {
            auto i = placeholder_index(v);
            if (!i || *i >= count) return error::invalid_placeholder;
            return {};
        }
        for (const auto& kv : *o)
            if (auto ec = check_placeholders(kv.value(), count)) return ec;
    }
    return {};
}

}  // namespace duet::sio
