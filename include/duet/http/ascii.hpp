// duet/http/ascii.hpp — the ASCII character helpers the whole HTTP layer shares.
//
// Owns: case-insensitive comparison (header names, tokens, units), lower-casing,
// OWS trimming, RFC 9110 token / field-value character classes, hex digits, and the
// comma-separated list walk used for `Connection`, `Cache-Control`, `Accept-*`.
// Everything is locale-free (HTTP is ASCII; <cctype> consults the C locale) and
// constexpr, so it works in compile-time tables and allocates nothing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

namespace duet::http {

namespace detail {
// Bit flags per byte; one table lookup answers every class question below.
inline constexpr std::uint8_t cc_tchar = 1;    // RFC 9110 5.6.2 tchar
inline constexpr std::uint8_t cc_vchar = 2;    // field-vchar: VCHAR / obs-text (0x80-0xFF)
inline constexpr std::uint8_t cc_hex = 4;      // 0-9 A-F a-f
inline constexpr std::uint8_t cc_ows = 8;      // SP / HTAB

inline constexpr std::array<std::uint8_t, 256> char_class = [] {
    std::array<std::uint8_t, 256> t{};
    for (int c = 0x21; c <= 0x7E; ++c) t[c] |= cc_vchar;
    for (int c = 0x80; c <= 0xFF; ++c) t[c] |= cc_vchar;
    for (int c = '0'; c <= '9'; ++c) t[c] |= cc_tchar | cc_hex;
    for (int c = 'a'; c <= 'z'; ++c) t[c] |= cc_tchar;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] |= cc_tchar;
    for (int c = 'a'; c <= 'f'; ++c) t[c] |= cc_hex;
    for (int c = 'A'; c <= 'F'; ++c) t[c] |= cc_hex;
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] |= cc_tchar;
    t[' '] |= cc_ows;
    t['\t'] |= cc_ows;
    return t;
}();

constexpr std::uint8_t cls(char c) noexcept { return char_class[static_cast<unsigned char>(c)]; }
}  // namespace detail

// 'A'..'Z' -> 'a'..'z'; every other byte (including UTF-8 continuation bytes) unchanged.
constexpr char ascii_to_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

constexpr char ascii_to_upper(char c) noexcept {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - ('a' - 'A')) : c;
}

// Case-insensitive equality for ASCII letters only. Bytes >= 0x80 must match exactly,
// so "K" (U+212A KELVIN SIGN) never equals "k" the way a Unicode fold would make it.
constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        // Fast path: identical bytes need no folding (most header names arrive
        // already lower-case from HTTP/2-era clients).
        if (a[i] != b[i] && ascii_to_lower(a[i]) != ascii_to_lower(b[i])) return false;
    }
    return true;
}

constexpr bool ascii_istarts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && ascii_iequals(s.substr(0, prefix.size()), prefix);
}

constexpr bool ascii_iends_with(std::string_view s, std::string_view suffix) noexcept {
    return s.size() >= suffix.size() && ascii_iequals(s.substr(s.size() - suffix.size()), suffix);
}

// Lower-cases in place (header names before storing them in a map, for instance).
constexpr void ascii_to_lower_in_place(std::string& s) noexcept {
    for (char& c : s) c = ascii_to_lower(c);
}

// Appends a lower-cased copy of `in` to `out`.
inline void ascii_to_lower_append(std::string& out, std::string_view in) {
    const std::size_t start = out.size();
    out.resize(start + in.size());
    char* o = out.data() + start;
    for (char c : in) *o++ = ascii_to_lower(c);
}

// OWS = *( SP / HTAB ) (RFC 9110 5.6.3). Not CR/LF: those never survive header
// parsing, and treating them as space would hide an injection attempt.
constexpr bool is_ows(char c) noexcept { return (detail::cls(c) & detail::cc_ows) != 0; }

constexpr std::string_view trim_ows_left(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size() && is_ows(s[i])) ++i;
    return s.substr(i);
}

constexpr std::string_view trim_ows_right(std::string_view s) noexcept {
    std::size_t n = s.size();
    while (n > 0 && is_ows(s[n - 1])) --n;
    return s.substr(0, n);
}

constexpr std::string_view trim_ows(std::string_view s) noexcept {
    return trim_ows_right(trim_ows_left(s));
}

// tchar: the characters of a token (header names, methods, cookie names, range units).
constexpr bool is_tchar(char c) noexcept { return (detail::cls(c) & detail::cc_tchar) != 0; }

// token = 1*tchar
constexpr bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_tchar(c)) return false;
    return true;
}

// True if `s` may be sent as a header field value: field-vchar, SP and HTAB only.
// Rejects CR, LF, NUL and every other control — the check that stops a value taken
// from user input from starting a new header line (response splitting).
constexpr bool is_field_value(std::string_view s) noexcept {
    for (char c : s)
        if (!(detail::cls(c) & (detail::cc_vchar | detail::cc_ows))) return false;
    return true;
}

constexpr bool is_hex_digit(char c) noexcept { return (detail::cls(c) & detail::cc_hex) != 0; }

// 0..15 for a hex digit, -1 otherwise.
constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Walks a comma-separated header list (RFC 9110 5.6.1 `#rule`): elements are
// OWS-trimmed and empty elements (`a,,b`, a trailing comma) are skipped, as the RFC
// asks recipients to do. Quoted strings are NOT special-cased: this is for lists of
// tokens (Connection, Upgrade, Cache-Control directive names, Vary), not for lists
// whose elements may contain quoted commas (If-None-Match has its own parser).
//
//   for (std::string_view t : http::list_elements(value)) ...
class list_elements {
public:
    class iterator {
    public:
        using value_type = std::string_view;
        using difference_type = std::ptrdiff_t;
        using reference = std::string_view;
        using pointer = void;
        using iterator_category = std::forward_iterator_tag;

        constexpr iterator() noexcept = default;
        constexpr explicit iterator(std::string_view rest) noexcept : rest_(rest), done_(false) { advance(); }

        constexpr std::string_view operator*() const noexcept { return cur_; }
        constexpr iterator& operator++() noexcept { advance(); return *this; }
        constexpr iterator operator++(int) noexcept { iterator t = *this; advance(); return t; }
        constexpr bool operator==(const iterator& o) const noexcept {
            return done_ == o.done_ && (done_ || cur_.data() == o.cur_.data());
        }

    private:
        constexpr void advance() noexcept {
            while (!rest_.empty() || pending_) {
                std::size_t comma = rest_.find(',');
                std::string_view elem = rest_.substr(0, comma);
                pending_ = comma != std::string_view::npos;  // a comma means one more (maybe empty) element
                rest_ = pending_ ? rest_.substr(comma + 1) : std::string_view{};
                elem = trim_ows(elem);
                if (!elem.empty()) { cur_ = elem; return; }
                if (!pending_) break;
            }
            done_ = true;
            cur_ = {};
        }

        std::string_view rest_{};
        std::string_view cur_{};
        bool done_ = true;
        bool pending_ = false;
    };

    constexpr explicit list_elements(std::string_view list) noexcept : list_(list) {}
    constexpr iterator begin() const noexcept { return iterator(list_); }
    constexpr iterator end() const noexcept { return iterator(); }

private:
    std::string_view list_;
};

// `Connection: keep-alive, Upgrade` contains "upgrade". Whole elements only
// ("keep-alive" does not contain "alive"), compared case-insensitively.
constexpr bool token_list_contains(std::string_view list, std::string_view token) noexcept {
    for (std::string_view e : list_elements(list))
        if (ascii_iequals(e, token)) return true;
    return false;
}

}  // namespace duet::http
