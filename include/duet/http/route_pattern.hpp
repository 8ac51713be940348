// duet/http/route_pattern.hpp — route patterns parsed and matched at compile time.
//
// Owns: the grammar of a route pattern ("/users/:id/files/*"), its compile-time
// validation (a bad pattern is a compile error with a readable message), and the
// matcher the compiler instantiates per pattern: literal segments become fixed
// comparisons, parameters become slices of the path — no regex, no allocation.
//
// Grammar: "/" alone, or one or more "/segment" where a segment is
//   literal   — one or more of A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) + , ; = @ (and %XX),
//   :name     — a parameter; name is [A-Za-z_][A-Za-z0-9_]*, unique in the pattern,
//   *         — the rest of the path (only as the last segment; matches "" too).
// A request path matches with or without one trailing slash (Express's non-strict
// routing). Matching runs on the raw (still percent-encoded) path, as Express does;
// parameter values are decoded afterwards.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include <duet/core/fixed_string.hpp>
#include <duet/http/request.hpp>

namespace duet::http {

enum class pattern_error {
    none,
    not_absolute,
    empty_segment,
    bad_parameter_name,
    duplicate_parameter,
    wildcard_not_last,
    bad_literal_character,
    too_many_segments,
    too_many_parameters,
};

struct pattern_segment {
    enum kind_t : unsigned char { literal, param, wildcard } kind = literal;
    std::size_t begin = 0, len = 0;  // into the pattern text (for a param: its name)
};

inline constexpr std::size_t max_pattern_segments = 32;

struct pattern_info {
    std::array<pattern_segment, max_pattern_segments> segments{};
    std::size_t count = 0;
    std::size_t params = 0;  // named parameters, the wildcard not included
    bool wildcard = false;
    pattern_error error = pattern_error::none;
};

namespace detail {
constexpr bool is_literal_char(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
        case '-': case '.': case '_': case '~': case '!': case '$': case '&': case '\'':
        case '(': case ')': case '+': case ',': case ';': case '=': case '@': case '%':
            return true;
        default:
            return false;
    }
}
// string_view::find, written with indices: GCC's -fsanitize=undefined turns the
// library version's pointer test into something that is no longer a constant
// expression, and these run at compile time.
constexpr std::size_t find_slash(std::string_view s, std::size_t from) {
    for (std::size_t i = from; i < s.size(); ++i)
        if (s[i] == '/') return i;
    return std::string_view::npos;
}
constexpr bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
constexpr bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
}  // namespace detail

constexpr pattern_info parse_pattern(std::string_view p) {
    pattern_info info;
    if (p.empty() || p[0] != '/') {
        info.error = pattern_error::not_absolute;
        return info;
    }
    if (p == "/") return info;
    std::size_t pos = 0;
    while (pos < p.size()) {
        ++pos;  // the '/'
        std::size_t end = detail::find_slash(p, pos);
        if (end == std::string_view::npos) end = p.size();
        std::string_view seg = p.substr(pos, end - pos);
        if (info.count == max_pattern_segments) { info.error = pattern_error::too_many_segments; return info; }
        if (info.wildcard) { info.error = pattern_error::wildcard_not_last; return info; }
        pattern_segment s;
        if (seg.empty()) {
            // A single trailing slash ("/users/") is the same route as "/users".
            if (end == p.size() && info.count > 0) break;
            info.error = pattern_error::empty_segment;
            return info;
        } else if (seg == "*") {
            s.kind = pattern_segment::wildcard;
            info.wildcard = true;
        } else if (seg[0] == ':') {
            std::string_view name = seg.substr(1);
            if (name.empty() || !detail::is_name_start(name[0])) { info.error = pattern_error::bad_parameter_name; return info; }
            for (char c : name)
                if (!detail::is_name_char(c)) { info.error = pattern_error::bad_parameter_name; return info; }
            for (std::size_t i = 0; i < info.count; ++i) {
                const auto& o = info.segments[i];
                if (o.kind == pattern_segment::param && p.substr(o.begin, o.len) == name) {
                    info.error = pattern_error::duplicate_parameter;
                    return info;
                }
            }
            if (info.params == max_route_params) { info.error = pattern_error::too_many_parameters; return info; }
            s.kind = pattern_segment::param;
            s.begin = pos + 1;
            s.len = name.size();
            ++info.params;
        } else {
            for (char c : seg) {
                if (c == '*') { info.error = pattern_error::wildcard_not_last; return info; }
                if (!detail::is_literal_char(c)) { info.error = pattern_error::bad_literal_character; return info; }
            }
            s.kind = pattern_segment::literal;
            s.begin = pos;
            s.len = seg.size();
        }
        info.segments[info.count++] = s;
        pos = end;
    }
    return info;
}

// Two patterns that match exactly the same paths (parameter names aside).
constexpr bool same_shape(std::string_view a, std::string_view b) {
    pattern_info x = parse_pattern(a), y = parse_pattern(b);
    if (x.count != y.count) return false;
    for (std::size_t i = 0; i < x.count; ++i) {
        const auto &s = x.segments[i], &t = y.segments[i];
        if (s.kind != t.kind) return false;
        if (s.kind == pattern_segment::literal && a.substr(s.begin, s.len) != b.substr(t.begin, t.len)) return false;
    }
    return true;
}

// The compiled matcher of one pattern.
template <fixed_string Pattern>
struct route_pattern {
    static constexpr std::string_view text = Pattern.view();
    static constexpr pattern_info info = parse_pattern(text);
    static_assert(info.error != pattern_error::not_absolute, "duet route pattern: must start with '/'");
    static_assert(info.error != pattern_error::empty_segment, "duet route pattern: empty segment ('//')");
    static_assert(info.error != pattern_error::bad_parameter_name,
                  "duet route pattern: a parameter is ':' followed by an identifier ([A-Za-z_][A-Za-z0-9_]*)");
    static_assert(info.error != pattern_error::duplicate_parameter, "duet route pattern: the same parameter name twice");
    static_assert(info.error != pattern_error::wildcard_not_last,
                  "duet route pattern: '*' must be a whole segment and the last one");
    static_assert(info.error != pattern_error::bad_literal_character,
                  "duet route pattern: a literal segment holds a character that is not allowed in a path");
    static_assert(info.error != pattern_error::too_many_segments, "duet route pattern: too many segments");
    static_assert(info.error != pattern_error::too_many_parameters, "duet route pattern: more than 16 parameters");

    static constexpr std::size_t param_count = info.params;
    static constexpr bool has_wildcard = info.wildcard;

    static constexpr std::array<std::string_view, max_route_params> names = [] {
        std::array<std::string_view, max_route_params> n{};
        std::size_t k = 0;
        for (std::size_t i = 0; i < info.count; ++i) {
            const auto& s = info.segments[i];
            if (s.kind == pattern_segment::param) n[k++] = text.substr(s.begin, s.len);
            else if (s.kind == pattern_segment::wildcard) n[k++] = "*";
        }
        return n;
    }();

    // Matches `path`; fills `out` with the raw parameter values in pattern order
    // (the wildcard's value last). Returns false when the path does not match.
    static constexpr bool match(std::string_view path, std::array<std::string_view, max_route_params>& out) noexcept {
        std::size_t pos = 0, k = 0;
        const std::size_t n = path.size();
        for (std::size_t i = 0; i < info.count; ++i) {
            const auto& s = info.segments[i];
            if (s.kind == pattern_segment::wildcard) {
                if (pos == n) out[k++] = {};
                else if (path[pos] == '/') out[k++] = path.substr(pos + 1);
                else return false;
                return true;
            }
            if (pos >= n || path[pos] != '/') return false;
            ++pos;
            if (s.kind == pattern_segment::literal) {
                if (n - pos < s.len || path.substr(pos, s.len) != text.substr(s.begin, s.len)) return false;
                pos += s.len;
                if (pos < n && path[pos] != '/') return false;
            } else {
                std::size_t end = detail::find_slash(path, pos);
                if (end == std::string_view::npos) end = n;
                if (end == pos) return false;
                out[k++] = path.substr(pos, end - pos);
                pos = end;
            }
        }
        return pos == n || (pos + 1 == n && path[pos] == '/') || (info.count == 0 && n == 0);
    }
};

// A `use<"/prefix">` mount: the prefix itself or anything below it.
// Returns the rest of the path (starting with '/', or empty) when it matches.
constexpr bool mount_matches(std::string_view prefix, std::string_view path, std::string_view& rest) noexcept {
    if (prefix == "/" || prefix.empty()) {
        rest = path;
        return true;
    }
    if (prefix.back() == '/') prefix.remove_suffix(1);
    if (path.size() < prefix.size() || path.substr(0, prefix.size()) != prefix) return false;
    if (path.size() > prefix.size() && path[prefix.size()] != '/') return false;
    rest = path.substr(prefix.size());
    return true;
}

}  // namespace duet::http
