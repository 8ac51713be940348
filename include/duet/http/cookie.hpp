// duet/http/cookie.hpp — the Cookie request header and the Set-Cookie response value.
//
// Owns: splitting `Cookie: a=1; b="2"` into name/value views (what npm `cookie`'s
// parse does, which is what Express's cookie-parser builds req.cookies from), and
// serializing one Set-Cookie value byte-for-byte like npm `cookie`'s serialize
// (which is what res.cookie emits): same attribute order, same spelling, value
// encoded with encodeURIComponent.
//
// Set-Cookie is built from application data, so every part is validated before a
// byte is written: a name, path or domain that could end the header line or add an
// attribute is an error, never emitted (no response splitting, no `; Domain=` smuggled
// in through a value).
#pragma once

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include <duet/http/ascii.hpp>
#include <duet/http/http_date.hpp>
#include <duet/http/percent.hpp>

namespace duet::http {

// ---------------------------------------------------------------------------------
// Parsing the Cookie request header.
//
// Rules (npm cookie 0.7, used by Express 4/5):
// - pairs are split on ';'; a pair without '=' is skipped (`a; b=1` has only b);
// - name and value are trimmed of SP and HTAB; the first '=' splits them, so the
//   value may contain '=' (base64 padding);
// - a value wrapped in double quotes has them removed (`a="x y"` -> `x y`; a value
//   that is a single '"' becomes empty, as in npm cookie);
// - iteration yields every pair, duplicates included, in header order; lookups
//   return the FIRST pair with that name (browsers send the most specific path first);
// - names are compared byte-for-byte (cookie names are case-sensitive);
// - values are percent-decoded on request, and only if that succeeds: a malformed
//   escape leaves the value exactly as sent (npm cookie's tryDecode). '+' stays '+'.
// ---------------------------------------------------------------------------------

struct cookie_pair {
    std::string_view name;
    std::string_view value;  // quotes removed, still percent-encoded
};

namespace detail {
constexpr bool is_sp_htab(char c) noexcept { return c == ' ' || c == '\t'; }

constexpr std::string_view trim_sp_htab(std::string_view s) noexcept {
    std::size_t b = 0, e = s.size();
    while (b < e && is_sp_htab(s[b])) ++b;
    while (e > b && is_sp_htab(s[e - 1])) --e;
    return s.substr(b, e - b);
}
}  // namespace detail

// A forward range over the pairs of a Cookie header value:
//   for (auto [name, value] : http::cookie_pairs(header)) ...
class cookie_pairs {
public:
    class iterator {
    public:
        using value_type = cookie_pair;
        using difference_type = std::ptrdiff_t;
        using reference = const cookie_pair&;
        using pointer = const cookie_pair*;
        using iterator_category = std::forward_iterator_tag;

        constexpr iterator() noexcept = default;
        constexpr explicit iterator(std::string_view header) noexcept : rest_(header), done_(false) {
            advance();
        }

        constexpr const cookie_pair& operator*() const noexcept { return cur_; }
        constexpr const cookie_pair* operator->() const noexcept { return &cur_; }
        constexpr iterator& operator++() noexcept { advance(); return *this; }
        constexpr iterator operator++(int) noexcept { iterator t = *this; advance(); return t; }
        constexpr bool operator==(const iterator& o) const noexcept {
            return done_ == o.done_ && (done_ || at_ == o.at_);
        }

    private:
        constexpr void advance() noexcept {
            while (!rest_.empty()) {
                const std::size_t semi = rest_.find(';');
                const std::string_view pair = rest_.substr(0, semi);
                at_ = pair.data();
                rest_ = semi == std::string_view::npos ? std::string_view{} : rest_.substr(semi + 1);
                const std::size_t eq = pair.find('=');
                if (eq == std::string_view::npos) continue;
                std::string_view v = detail::trim_sp_htab(pair.substr(eq + 1));
                if (!v.empty() && v.front() == '"' && v.back() == '"')
                    v = v.size() >= 2 ? v.substr(1, v.size() - 2) : v.substr(1);  // a lone '"' -> "" (as npm)
                cur_ = {detail::trim_sp_htab(pair.substr(0, eq)), v};
                return;
            }
            done_ = true;
            cur_ = {};
            at_ = nullptr;
        }

        std::string_view rest_{};
        cookie_pair cur_{};
        const char* at_ = nullptr;  // identity of the current pair (names may be empty)
        bool done_ = true;
    };

    constexpr explicit cookie_pairs(std::string_view header) noexcept : header_(header) {}
    constexpr iterator begin() const noexcept { return iterator(header_); }
    constexpr iterator end() const noexcept { return iterator(); }

private:
    std::string_view header_;
};

// The still-encoded value of the first cookie called `name`, or nullopt.
constexpr std::optional<std::string_view> raw_cookie_value(std::string_view header,
                                                           std::string_view name) noexcept {
    for (const cookie_pair& p : cookie_pairs(header))
        if (p.name == name) return p.value;
    return std::nullopt;
}

// Decodes one raw cookie value the way npm cookie does: strict percent-decoding, and
// on a malformed escape the raw value unchanged.
inline void cookie_decode_append(std::string& out, std::string_view raw) {
    if (!percent_decode_append(out, raw, false)) out.append(raw);
}

// Appends the decoded value of the first cookie called `name`; false (and `out`
// untouched) if there is none.
inline bool cookie_value_append(std::string& out, std::string_view header, std::string_view name) {
    auto v = raw_cookie_value(header, name);
    if (!v) return false;
    cookie_decode_append(out, *v);
    return true;
}

inline std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
    std::string out;
    if (!cookie_value_append(out, header, name)) return std::nullopt;
    return out;
}

// ---------------------------------------------------------------------------------
// Serializing a Set-Cookie value.
// ---------------------------------------------------------------------------------

enum class cookie_same_site : std::uint8_t { unset, lax, strict, none };
enum class cookie_priority : std::uint8_t { unset, low, medium, high };

struct cookie_options {
    // Max-Age in seconds; may be zero or negative (both delete the cookie).
    std::optional<std::chrono::seconds> max_age{};
    // Expires, formatted as an IMF-fixdate (sub-second part dropped).
    std::optional<std::chrono::system_clock::time_point> expires{};
    std::string_view path{};    // empty: no Path attribute
    std::string_view domain{};  // empty: no Domain attribute (host-only cookie)
    bool http_only = false;
    bool secure = false;
    bool partitioned = false;   // CHIPS; browsers also require Secure
    cookie_priority priority = cookie_priority::unset;
    cookie_same_site same_site = cookie_same_site::unset;
    // true: the value is percent-encoded with encodeURIComponent (always valid).
    // false: the value is written as given and must already be a valid cookie-value
    // (RFC 6265 cookie-octets, optionally in double quotes), else invalid_value.
    bool encode = true;
};

enum class cookie_error : std::uint8_t {
    none,
    invalid_name,    // empty, or not an RFC 9110 token
    invalid_value,   // only with encode == false
    invalid_domain,  // not [.]label(.label)*, labels of letters/digits/inner '-', <= 63
    invalid_path,    // a control character or ';'
};

constexpr std::string_view to_string(cookie_error e) noexcept {
    switch (e) {
        case cookie_error::none: return "none";
        case cookie_error::invalid_name: return "cookie name is invalid";
        case cookie_error::invalid_value: return "cookie value is invalid";
        case cookie_error::invalid_domain: return "cookie domain is invalid";
        case cookie_error::invalid_path: return "cookie path is invalid";
    }
    return "unknown cookie error";
}

// RFC 6265 4.1.1 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
// (no CTLs, whitespace, DQUOTE, comma, semicolon or backslash).
constexpr bool is_cookie_octet(char ch) noexcept {
    const auto c = static_cast<unsigned char>(ch);
    return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
           (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

// cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )
constexpr bool is_cookie_value(std::string_view v) noexcept {
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    for (char c : v)
        if (!is_cookie_octet(c)) return false;
    return true;
}

// Domain as npm cookie accepts it: an optional leading '.', then dot-separated
// labels of letters and digits with '-' allowed inside, each at most 63 long.
constexpr bool is_cookie_domain(std::string_view d) noexcept {
    if (!d.empty() && d.front() == '.') d.remove_prefix(1);
    if (d.empty()) return false;
    std::size_t label = 0;
    char prev = '.';
    for (char c : d) {
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (c == '.') {
            if (label == 0 || prev == '-') return false;  // empty label or label ending in '-'
            label = 0;
        } else if (alnum || c == '-') {
            if (c == '-' && label == 0) return false;     // label starting with '-'
            if (++label > 63) return false;
        } else {
            return false;
        }
        prev = c;
    }
    return label != 0 && prev != '-';
}

// RFC 6265 4.1.1 path-value: any CHAR except CTLs or ';'.
constexpr bool is_cookie_path(std::string_view p) noexcept {
    for (char ch : p) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x7F || c == ';') return false;
    }
    return true;
}

// Appends `name=value[; Max-Age=N][; Domain=d][; Path=p][; Expires=date][; HttpOnly]
// [; Secure][; Partitioned][; Priority=P][; SameSite=S]` — npm cookie's order — to
// `out`. On error nothing is appended and the reason is returned.
inline cookie_error set_cookie_append(std::string& out, std::string_view name, std::string_view value,
                                      const cookie_options& opt = {}) {
    if (!is_token(name)) return cookie_error::invalid_name;
    if (!opt.encode && !is_cookie_value(value)) return cookie_error::invalid_value;
    if (!opt.domain.empty() && !is_cookie_domain(opt.domain)) return cookie_error::invalid_domain;
    if (!is_cookie_path(opt.path)) return cookie_error::invalid_path;

    out.append(name);
    out.push_back('=');
    if (opt.encode) percent_encode_append(out, value, encode_set::component);
    else out.append(value);

    if (opt.max_age) {
        char buf[24];
        auto r = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(opt.max_age->count()));
        out.append("; Max-Age=");
        out.append(buf, r.ptr);
    }
    if (!opt.domain.empty()) {
        out.append("; Domain=");
        out.append(opt.domain);
    }
    if (!opt.path.empty()) {
        out.append("; Path=");
        out.append(opt.path);
    }
    if (opt.expires) {
        out.append("; Expires=");
        http_date_append(out, *opt.expires);
    }
    if (opt.http_only) out.append("; HttpOnly");
    if (opt.secure) out.append("; Secure");
    if (opt.partitioned) out.append("; Partitioned");
    switch (opt.priority) {
        case cookie_priority::unset: break;
        case cookie_priority::low: out.append("; Priority=Low"); break;
        case cookie_priority::medium: out.append("; Priority=Medium"); break;
        case cookie_priority::high: out.append("; Priority=High"); break;
    }
    switch (opt.same_site) {
        case cookie_same_site::unset: break;
        case cookie_same_site::lax: out.append("; SameSite=Lax"); break;
        case cookie_same_site::strict: out.append("; SameSite=Strict"); break;
        case cookie_same_site::none: out.append("; SameSite=None"); break;
    }
    return cookie_error::none;
}

}  // namespace duet::http
