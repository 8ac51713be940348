// duet/core/json_traits.hpp — which types convert to and from JSON, and why a value
// did not.
//
// Owns:
// - `json_unreadable_part_t<T>` / `json_unwritable_part_t<T>`: the first type inside T
//   (T itself, a member of a described struct, an element, an optional's value...)
//   that Boost.JSON's value_to / value_from has no conversion for, or void. Checked
//   before any conversion is instantiated, so a struct without BOOST_DESCRIBE_STRUCT
//   is one readable static_assert, not pages of Boost overload candidates.
// - `to_json(v)`: value_from behind that check (emit payloads, acks, res.json()).
// - `json_mismatch<T>(v, root)`: after a conversion to T failed, the path of the first
//   member that does not fit and what was expected there, e.g.
//   "body.items[2].qty: expected an integer from -2147483648 to 2147483647". Only
//   ever run on the failure path: a successful conversion never walks anything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>

#include <boost/describe.hpp>
#include <boost/json/conversion.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <boost/mp11/algorithm.hpp>

#include <duet/core/diagnostic.hpp>

namespace duet {

namespace json_detail {

template <class T>
struct is_std_optional : std::false_type {};
template <class T>
struct is_std_optional<std::optional<T>> : std::true_type {};

// A tag_invoke conversion written for T (it wins over every generic conversion).
template <class T>
concept user_value_to = requires(const boost::json::value& v) {
    tag_invoke(boost::json::value_to_tag<T>(), v);
} || requires(const boost::json::value& v) { tag_invoke(boost::json::try_value_to_tag<T>(), v); };
template <class T>
concept user_value_from = requires(boost::json::value& v, const T& t) {
    tag_invoke(boost::json::value_from_tag(), v, t);
};

template <class T>
using public_members = boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;

template <class... T>
struct first_non_void {
    using type = void;
};
template <class T, class... R>
struct first_non_void<T, R...> {
    using type = std::conditional_t<std::is_void_v<T>, typename first_non_void<R...>::type, T>;
};

// Read: true = value_to (reading), false = value_from (writing).
template <class T, bool Read>
struct bad_part;

template <class T, bool Read>
using bad_part_t = typename bad_part<std::remove_cvref_t<T>, Read>::type;

template <class T, bool Read>
consteval auto find_bad_part() {
    constexpr bool convertible = Read ? boost::json::has_value_to<T>::value : boost::json::has_value_from<T>::value;
    if constexpr (is_std_optional<T>::value) {
        return std::type_identity<bad_part_t<typename T::value_type, Read>>{};
    } else if constexpr (Read ? user_value_to<T> : user_value_from<T>) {
        return std::type_identity<void>{};
    } else if constexpr (!convertible) {
        return std::type_identity<T>{};
    } else if constexpr (boost::json::is_string_like<T>::value || std::is_arithmetic_v<T> ||
                         std::is_same_v<T, boost::json::value>) {
        return std::type_identity<void>{};
    } else if constexpr (boost::json::is_map_like<T>::value) {
        return std::type_identity<bad_part_t<typename T::mapped_type, Read>>{};
    } else if constexpr (boost::json::is_sequence_like<T>::value) {
        return std::type_identity<bad_part_t<typename T::value_type, Read>>{};
    } else if constexpr (boost::json::is_tuple_like<T>::value) {
        return []<std::size_t... I>(std::index_sequence<I...>) {
            return std::type_identity<
                typename first_non_void<bad_part_t<std::tuple_element_t<I, T>, Read>...>::type>{};
        }(std::make_index_sequence<std::tuple_size_v<T>>{});
    } else if constexpr (boost::json::is_described_class<T>::value) {
        return []<template <class...> class L, class... D>(L<D...>*) {
            return std::type_identity<typename first_non_void<
                bad_part_t<decltype(std::declval<T&>().*(D::pointer)), Read>...>::type>{};
        }(static_cast<public_members<T>*>(nullptr));
    } else {
        return std::type_identity<void>{};
    }
}

template <class T, bool Read>
struct bad_part {
    using type = typename decltype(find_bad_part<T, Read>())::type;
};

}  // namespace json_detail

// The part of T (T itself or a type inside it) Boost.JSON cannot convert, or void.
template <class T>
using json_unreadable_part_t = json_detail::bad_part_t<T, true>;
template <class T>
using json_unwritable_part_t = json_detail::bad_part_t<T, false>;
template <class T>
inline constexpr bool json_readable = std::is_void_v<json_unreadable_part_t<T>>;
template <class T>
inline constexpr bool json_writable = std::is_void_v<json_unwritable_part_t<T>>;

// Called where a type must be read from / written as JSON; Where and Number say
// where (diag:: places, core/diagnostic.hpp). Always true: a type without a
// conversion is reported by the static_assert, which names T and the part of it
// (T itself or a type inside it) that has no conversion.
template <class Where, std::size_t Number, class T>
consteval bool check_json_readable() {
    using Part = json_unreadable_part_t<T>;
    if constexpr (!std::is_void_v<Part>)
        static_assert(diag::json<Where, Number, T, Part>::add_BOOST_DESCRIBE_STRUCT_or_tag_invoke,
                      "duet: this type cannot be read from JSON (no Boost.JSON value_to conversion for the last "
                      "type shown): after the struct write BOOST_DESCRIBE_STRUCT(T, (), (members...)) "
                      "(#include <boost/describe.hpp>), or give it a tag_invoke(boost::json::value_to_tag<T>, ...) "
                      "overload");
    return true;
}
template <class Where, std::size_t Number, class T>
consteval bool check_json_writable() {
    using Part = json_unwritable_part_t<T>;
    if constexpr (!std::is_void_v<Part>)
        static_assert(diag::json<Where, Number, T, Part>::add_BOOST_DESCRIBE_STRUCT_or_tag_invoke,
                      "duet: this type cannot be written as JSON (no Boost.JSON value_from conversion for the last "
                      "type shown): after the struct write BOOST_DESCRIBE_STRUCT(T, (), (members...)) "
                      "(#include <boost/describe.hpp>), or give it a tag_invoke(boost::json::value_from_tag, ...) "
                      "overload");
    return true;
}

// boost::json::value_from(v), checked first: an unconvertible type is one static_assert
// and Boost's overload resolution is never instantiated for it.
template <class T>
boost::json::value to_json(const T& v) {
    static_assert(check_json_writable<diag::emit_payload, 0, T>());
    if constexpr (json_writable<T>) return boost::json::value_from(v);
    else return {};
}

// ----- why a conversion failed -----
namespace json_detail {

inline const char* kind_article(boost::json::kind k) {
    switch (k) {
        case boost::json::kind::object: return "an object";
        case boost::json::kind::array: return "an array";
        case boost::json::kind::string: return "a string";
        case boost::json::kind::bool_: return "a boolean";
        case boost::json::kind::null: return "null";
        default: return "a number";
    }
}

// Appends ".name" (or ["name"] when it is not an identifier) to a path.
inline void append_key(std::string& path, std::string_view key) {
    bool ident = !key.empty() && !(key[0] >= '0' && key[0] <= '9');
    for (char ch : key)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '$'))
            ident = false;
    if (ident) {
        path += '.';
        path.append(key);
    } else {
        boost::json::string s(key);
        path += '[';
        path += boost::json::serialize(boost::json::value(s));
        path += ']';
    }
}

template <class T>
std::string integer_range() {
    return "expected an integer from " + std::to_string(std::numeric_limits<T>::min()) + " to " +
           std::to_string(std::numeric_limits<T>::max());
}

// Sets `what` ("<path>: <reason>") and returns true at the first place where `v`
// does not fit T.
template <class T>
bool mismatch(const boost::json::value& v, std::string& path, std::string& what) {
    auto fail = [&](std::string reason) {
        what = path + ": " + std::move(reason);
        return true;
    };
    if constexpr (std::is_same_v<T, boost::json::value>) {
        return false;
    } else if constexpr (is_std_optional<T>::value) {
        if (v.is_null()) return false;
        return mismatch<typename T::value_type>(v, path, what);
    } else if constexpr (user_value_to<T>) {
        // A conversion written by the user: it knows, we only know that it failed.
        boost::system::error_code ec;
        try {
            auto r = boost::json::try_value_to<T>(v);
            if (r) return false;
            ec = r.error();
        } catch (const std::exception& e) {
            return fail(std::string("does not convert (") + e.what() + ")");
        }
        return fail("does not convert (" + ec.message() + ")");
    } else if constexpr (std::is_same_v<T, bool>) {
        return v.is_bool() ? false : fail("expected true or false");
    } else if constexpr (std::is_integral_v<T>) {
        if (!v.is_number()) return fail("expected an integer");
        boost::system::error_code ec;
        (void)v.to_number<T>(ec);
        if (!ec) return false;
        if (v.is_double()) {
            const double d = v.get_double();
            if (d != static_cast<double>(static_cast<std::int64_t>(d))) return fail("expected an integer");
        }
        return fail(integer_range<T>());
    } else if constexpr (std::is_floating_point_v<T>) {
        return v.is_number() ? false : fail("expected a number");
    } else if constexpr (std::is_same_v<T, boost::json::object>) {
        return v.is_object() ? false : fail("expected an object");
    } else if constexpr (std::is_same_v<T, boost::json::array>) {
        return v.is_array() ? false : fail("expected an array");
    } else if constexpr (boost::json::is_string_like<T>::value || std::is_same_v<T, boost::json::string>) {
        return v.is_string() ? false : fail("expected a string");
    } else if constexpr (boost::json::is_map_like<T>::value) {
        if (!v.is_object()) return fail("expected an object");
        for (const auto& [k, e] : v.as_object()) {
            const std::size_t n = path.size();
            append_key(path, k);
            if (mismatch<typename T::mapped_type>(e, path, what)) return true;
            path.resize(n);
        }
        return false;
    } else if constexpr (boost::json::is_sequence_like<T>::value) {
        if (!v.is_array()) return fail("expected an array");
        std::size_t i = 0;
        for (const auto& e : v.as_array()) {
            const std::size_t n = path.size();
            path += '[' + std::to_string(i++) + ']';
            if (mismatch<typename T::value_type>(e, path, what)) return true;
            path.resize(n);
        }
        return false;
    } else if constexpr (boost::json::is_tuple_like<T>::value) {
        constexpr std::size_t N = std::tuple_size_v<T>;
        if (!v.is_array()) return fail("expected an array");
        if (v.as_array().size() != N) return fail("expected an array of " + std::to_string(N) + " elements");
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            auto one = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
                const std::size_t n = path.size();
                path += '[' + std::to_string(J) + ']';
                if (mismatch<std::remove_cvref_t<std::tuple_element_t<J, T>>>(v.as_array()[J], path, what)) return true;
                path.resize(n);
                return false;
            };
            return (one(std::integral_constant<std::size_t, I>{}) || ...);
        }(std::make_index_sequence<N>{});
    } else if constexpr (boost::json::is_described_class<T>::value) {
        if (!v.is_object()) return fail("expected an object");
        const auto& obj = v.as_object();
        bool found = false;
        std::size_t known = 0;
        boost::mp11::mp_for_each<public_members<T>>([&](auto D) {
            if (found) return;
            using M = std::remove_cvref_t<decltype(std::declval<T&>().*(decltype(D)::pointer))>;
            const std::size_t n = path.size();
            append_key(path, D.name);
            auto it = obj.find(D.name);
            if (it == obj.end()) {
                // Boost.JSON wants every described member, optional ones too (as null).
                // What was expected there: the reason a null would be refused.
                constexpr bool opt = is_std_optional<M>::value;
                using Probe = typename std::conditional_t<opt, M, std::optional<M>>::value_type;
                std::string expected;
                std::string sub = path;
                if (mismatch<Probe>(boost::json::value(nullptr), sub, expected) && expected.size() > sub.size() + 2)
                    what = path + ": missing (" + expected.substr(sub.size() + 2) + (opt ? " or null)" : ")");
                else
                    what = path + ": missing";
                found = true;
                return;
            }
            ++known;
            if (mismatch<M>(it->value(), path, what)) {
                found = true;
                return;
            }
            path.resize(n);
        });
        if (found) return true;
        if (obj.size() != known) {
            // Boost.JSON's described-struct conversion takes exactly the described members.
            for (const auto& kv : obj) {
                const std::string_view k = kv.key();
                bool described = false;
                boost::mp11::mp_for_each<public_members<T>>([&](auto D) { described = described || k == D.name; });
                if (!described) {
                    append_key(path, k);
                    return fail("unexpected member");
                }
            }
        }
        return false;
    } else {
        // Enums and anything else Boost converts itself: report its own reason.
        auto r = boost::json::try_value_to<T>(v);
        if (r) return false;
        return fail("does not convert (" + r.error().message() + ")");
    }
}

}  // namespace json_detail

// After a conversion of `v` to T failed: "<root><path>: <what was expected>", e.g.
// "body.age: expected an integer from -2147483648 to 2147483647". If nothing is found
// (a conversion that failed for a reason the walk does not see) "<root>: does not
// convert".
template <class T>
std::string json_mismatch(const boost::json::value& v, std::string root) {
    std::string what;
    if (json_detail::mismatch<std::remove_cvref_t<T>>(v, root, what)) return what;
    return root + ": does not convert";
}

}  // namespace duet
