// duet/http/form.hpp — HTML form bodies and text bodies, as Express's body parsers read them.
//
// Owns: `application/x-www-form-urlencoded` parsing with the rules of Express 5's
// `express.urlencoded()` (body-parser 2, `extended: false`, which parses with qs at
// depth 0), the charset handling of body-parser's text and urlencoded parsers
// (utf-8 — invalid bytes become U+FFFD as iconv-lite decodes them — and iso-8859-1),
// and the Content-Type tests they make. request::body_form() / body_text() and the
// `form_body<T>` / `text_body` handler parameters build on it (duet/http/request.hpp,
// duet/http/router.hpp).
//
// Form rules (qs 6 at depth 0, what req.body holds in Express):
// - pairs separated by '&' only; a pair's key ends at its first '=' (or at "]=");
//   a pair without '=' has the value "";
// - '+' is a space; %XX escapes are decoded when the whole key or value decodes to
//   valid UTF-8 (decodeURIComponent), otherwise it is kept as written (only '+'
//   turned into spaces) — "%zz%41" stays "%zz%41";
// - repeated keys make an array of their values, in order; a key written "[name]"
//   is "name" ("[]" numbers its values 0, 1, ...); empty keys and "__proto__" are
//   dropped; brackets inside a key are kept ("a[b]" is the key "a[b]");
// - more pairs than the parameter limit (1000 by default) answer 413.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <duet/core/json_traits.hpp>
#include <duet/core/utf8.hpp>
#include <duet/http/ascii.hpp>

namespace duet::http {

// ----- Content-Type -----

// The media type of a Content-Type value ("text/plain; charset=x" gives "text/plain"),
// trimmed; compare it case-insensitively.
constexpr std::string_view media_type_of(std::string_view content_type) noexcept {
    return trim_ows(content_type.substr(0, content_type.find(';')));
}

// The charset parameter of a Content-Type value, lower-cased (quotes removed); ""
// when there is none.
inline std::string content_type_charset(std::string_view content_type) {
    std::size_t semi = content_type.find(';');
    while (semi != std::string_view::npos) {
        std::string_view rest = content_type.substr(semi + 1);
        const std::size_t next = rest.find(';');
        std::string_view param = trim_ows(rest.substr(0, next));
        semi = next == std::string_view::npos ? next : semi + 1 + next;
        const std::size_t eq = param.find('=');
        if (eq == std::string_view::npos || !ascii_iequals(trim_ows(param.substr(0, eq)), "charset")) continue;
        std::string_view v = trim_ows(param.substr(eq + 1));
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        std::string out(v);
        ascii_to_lower_in_place(out);
        return out;
    }
    return {};
}

// ----- text -----


// Body text in a charset body-parser supports (utf-8, the default when "", or
// iso-8859-1); false for any other charset (the caller answers 415).
inline bool decode_text(std::string_view bytes, std::string_view charset, std::string& out) {
    if (charset.empty() || charset == "utf-8" || charset == "utf8") {
        append_utf8_replacing(out, bytes);
        return true;
    }
    if (charset == "iso-8859-1" || charset == "latin1") {
        append_latin1_as_utf8(out, bytes);
        return true;
    }
    return false;
}

// ----- urlencoded -----

// One key or value of a form, decoded as qs decodes it (see the top of this file).
// `latin1`: the body's charset is iso-8859-1 (escapes are bytes of that charset).
inline std::string decode_form_component(std::string_view in, bool latin1) {
    std::string plus(in);
    for (char& c : plus)
        if (c == '+') c = ' ';
    if (plus.find('%') == std::string::npos) return plus;
    std::string out;
    out.reserve(plus.size());
    if (latin1) {
        // %XX → that byte as a character; anything else as written.
        for (std::size_t i = 0; i < plus.size(); ++i) {
            if (plus[i] == '%' && i + 2 < plus.size()) {
                const int hi = hex_value(plus[i + 1]), lo = hex_value(plus[i + 2]);
                if ((hi | lo) >= 0) {
                    const char byte = static_cast<char>((hi << 4) | lo);
                    append_latin1_as_utf8(out, std::string_view(&byte, 1));
                    i += 2;
                    continue;
                }
            }
            out.push_back(plus[i]);
        }
        return out;
    }
    // decodeURIComponent: every '%' starts two hex digits and the result is UTF-8.
    for (std::size_t i = 0; i < plus.size(); ++i) {
        if (plus[i] != '%') {
            out.push_back(plus[i]);
            continue;
        }
        if (i + 2 >= plus.size()) return plus;
        const int hi = hex_value(plus[i + 1]), lo = hex_value(plus[i + 2]);
        if ((hi | lo) < 0) return plus;
        out.push_back(static_cast<char>((hi << 4) | lo));
        i += 2;
    }
    return is_valid_utf8(out) ? out : plus;
}

struct form_limits {
    // Pairs ('&'-separated parts, empty ones included, as body-parser counts them).
    std::size_t max_parameters = 1000;
};

// What parsing a form gave: the fields (each a string, or an array of the strings of
// a repeated key), or an error status and message (413 too many parameters).
struct form_result {
    boost::json::object fields;
    int error_status = 0;
    std::string error;
};

// Parses a form body that is already text (UTF-8: see decode_text) as Express 5's
// express.urlencoded() does. `latin1`: the request said charset=iso-8859-1.
inline form_result parse_form(std::string_view text, bool latin1 = false, form_limits limits = {}) {
    form_result r;
    if (text.empty()) return r;
    std::size_t count = 1;
    for (char c : text) count += c == '&';
    if (count > limits.max_parameters) {
        r.error_status = 413;
        r.error = "too many parameters";
        return r;
    }
    std::size_t brackets_pushed = 0;  // "[]" keys seen: they number their values
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t amp = text.find('&', pos);
        if (amp == std::string_view::npos) amp = text.size();
        const std::string_view part = text.substr(pos, amp - pos);
        pos = amp + 1;
        if (part.empty()) continue;
        const std::size_t bracket_eq = part.find("]=");
        const std::size_t eq = bracket_eq == std::string_view::npos ? part.find('=') : bracket_eq + 1;
        std::string key = decode_form_component(part.substr(0, eq), latin1);
        std::string value = eq == std::string_view::npos ? std::string() : decode_form_component(part.substr(eq + 1), latin1);
        if (key.size() >= 2 && key.front() == '[' && key.back() == ']') {
            key = key.substr(1, key.size() - 2);
            if (key.empty()) key = std::to_string(brackets_pushed++);
        }
        if (key.empty() || key == "__proto__") continue;
        auto it = r.fields.find(key);
        if (it == r.fields.end()) {
            r.fields.emplace(key, boost::json::string(value));
        } else if (it->value().is_array()) {
            it->value().as_array().emplace_back(boost::json::string(value));
        } else {
            boost::json::array both;
            both.emplace_back(std::move(it->value()));
            both.emplace_back(boost::json::string(value));
            it->value() = std::move(both);
        }
    }
    return r;
}

// ----- typed forms -----
// A form's fields are strings; to fill a described struct, the fields of its
// arithmetic members are first turned into numbers and booleans ("true"/"on"/"1",
// "false"/"off"/"0"/""), a std::vector<M> member takes every value of a repeated key
// (one value: a vector of one; none: empty), a std::optional<M> member may be absent,
// and a bool member that is absent reads false (an unchecked checkbox sends nothing). A field
// that does not convert stays a string, so the conversion that follows reports it
// by name ("body.age: expected an integer from ...").
namespace form_detail {
template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template <class M>
boost::json::value coerce(boost::json::value v) {
    if constexpr (json_detail::is_std_optional<M>::value) {
        return coerce<typename M::value_type>(std::move(v));
    } else if constexpr (is_vector<M>::value) {
        boost::json::array a;
        if (v.is_array()) {
            for (auto& e : v.as_array()) a.push_back(coerce<typename M::value_type>(std::move(e)));
        } else {
            a.push_back(coerce<typename M::value_type>(std::move(v)));
        }
        return a;
    } else if constexpr (std::is_same_v<M, bool>) {
        if (!v.is_string()) return v;
        const std::string_view s = v.as_string();
        if (s == "true" || s == "on" || s == "1") return true;
        if (s == "false" || s == "off" || s == "0" || s.empty()) return false;
        return v;
    } else if constexpr (std::is_integral_v<M> || std::is_floating_point_v<M>) {
        if (!v.is_string()) return v;
        const std::string_view s = v.as_string();
        using wide = std::conditional_t<std::is_floating_point_v<M>, double,
                                        std::conditional_t<std::is_signed_v<M>, std::int64_t, std::uint64_t>>;
        wide n{};
        const auto r = std::from_chars(s.data(), s.data() + s.size(), n);
        if (s.empty() || r.ec != std::errc{} || r.ptr != s.data() + s.size()) return v;
        return boost::json::value(n);
    } else {
        return v;
    }
}
}  // namespace form_detail

// Prepares a parsed form for conversion to T (see above); other types: unchanged.
template <class T>
void coerce_form_fields(boost::json::object& fields) {
    if constexpr (boost::describe::has_describe_members<T>::value) {
        boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) {
            using M = std::remove_cvref_t<decltype(std::declval<T&>().*d.pointer)>;
            if (auto* f = fields.if_contains(d.name)) *f = form_detail::coerce<M>(std::move(*f));
            else if constexpr (std::is_same_v<M, bool>) fields.emplace(d.name, false);
            else if constexpr (form_detail::is_vector<M>::value) fields.emplace(d.name, boost::json::array());
            else if constexpr (json_detail::is_std_optional<M>::value) fields.emplace(d.name, nullptr);
        });
    }
}

}  // namespace duet::http
