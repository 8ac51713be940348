// duet/http/range.hpp — the Range request header (bytes) and Content-Range values.
//
// Owns: turning `Range: bytes=0-99,-500,1000-` into byte ranges of a representation
// of known size, deciding between 206 / 416 / "ignore it and send 200", and writing
// the matching Content-Range value.
//
// Behaviour follows npm range-parser (used by Express's `send` / serve-static) with
// its strict number parsing, and RFC 9110 14.1-14.2 where range-parser is looser:
// - no '=', a unit other than `bytes` (case-insensitive), an element without '-',
//   a lone "-", anything but digits in a position, or no element at all
//   -> range_status::ignore: serve the whole representation with 200;
// - `a-b` with b past the end is clamped to size-1; `a-` runs to the end;
//   `-n` is the last n bytes, and all of them when n >= size (RFC 9110 14.1.2 —
//   range-parser instead drops such a suffix);
// - elements that select nothing (`a` >= size, `b` < `a`, `-0`, anything on an
//   empty representation) are dropped; if none is left -> unsatisfiable (416 with
//   `Content-Range: bytes */size`);
// - OWS around each element and empty list elements (`0-1,,5-6`) are accepted;
// - positions have no length limit: digits beyond 2^64-1 saturate, so a huge first
//   position is simply unsatisfiable and a huge last position means "to the end".
//   Nothing overflows.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include <duet/http/ascii.hpp>

namespace duet::http {

// An inclusive byte range [first, last], always with first <= last < size.
struct byte_range {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    constexpr std::uint64_t length() const noexcept { return last - first + 1; }
    constexpr bool operator==(const byte_range&) const noexcept = default;
};

enum class range_status : std::uint8_t {
    ok,             // at least one satisfiable range: answer 206
    unsatisfiable,  // well-formed but selects nothing: answer 416 + Content-Range: bytes */size
    ignore,         // malformed, not bytes, or too many ranges: answer 200 with everything
};

struct range_set {
    range_status status = range_status::ignore;
    std::size_t count = 0;  // ranges written to the caller's span (status ok only)
};

namespace detail {
inline constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

// Digits only, at least one; saturates at 2^64-1 instead of wrapping.
// Returns false for an empty string or any non-digit (sign, space, '+', "0x").
constexpr bool parse_range_pos(std::string_view s, std::uint64_t& v) noexcept {
    if (s.empty()) return false;
    v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        const auto d = static_cast<std::uint64_t>(c - '0');
        v = v > (u64_max - d) / 10 ? u64_max : v * 10 + d;
    }
    return true;
}
}  // namespace detail

// Parses `header` (the Range field value) against a representation of `size` bytes
// and writes the satisfiable ranges, in request order, to `out`. More satisfiable
// ranges than `out` can hold -> ignore (a cheap defence against the "thousands of
// overlapping ranges" amplification; size `out` for what you are willing to serve).
// With `combine`, overlapping and adjacent ranges are merged first (range-parser's
// `combine: true`, which `send` uses) and the result is sorted by position.
constexpr range_set parse_range(std::string_view header, std::uint64_t size, std::span<byte_range> out,
                                bool combine = false) noexcept {
    header = trim_ows(header);
    const std::size_t eq = header.find('=');
    if (eq == std::string_view::npos) return {};
    if (!ascii_iequals(header.substr(0, eq), "bytes")) return {};

    std::string_view rest = header.substr(eq + 1);
    bool any_element = false;
    std::size_t n = 0;
    bool overflow = false;
    for (;;) {
        const std::size_t comma = rest.find(',');
        const std::string_view elem = trim_ows(rest.substr(0, comma));
        if (!elem.empty()) {
            any_element = true;
            const std::size_t dash = elem.find('-');
            if (dash == std::string_view::npos) return {};
            const std::string_view a = elem.substr(0, dash), b = elem.substr(dash + 1);
            std::uint64_t first = 0, last = 0;
            bool satisfiable = false;
            if (a.empty()) {  // suffix: the last b bytes
                std::uint64_t suffix = 0;
                if (!detail::parse_range_pos(b, suffix)) return {};
                if (suffix > 0 && size > 0) {
                    first = suffix >= size ? 0 : size - suffix;
                    last = size - 1;
                    satisfiable = true;
                }
            } else {
                if (!detail::parse_range_pos(a, first)) return {};
                if (b.empty()) {
                    last = detail::u64_max;
                } else if (!detail::parse_range_pos(b, last)) {
                    return {};
                }
                if (first < size && first <= last) {
                    if (last > size - 1) last = size - 1;
                    satisfiable = true;
                }
            }
            if (satisfiable) {
                if (n < out.size()) out[n] = {first, last};
                else overflow = true;  // keep validating: a later syntax error still means ignore
                ++n;
            }
        }
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
    }
    if (!any_element || overflow) return {};
    if (n == 0) return {range_status::unsatisfiable, 0};

    if (combine && n > 1) {
        std::sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n),
                  [](const byte_range& x, const byte_range& y) { return x.first < y.first; });
        std::size_t j = 0;
        for (std::size_t i = 1; i < n; ++i) {
            // last <= size-1 < 2^64-1, so last + 1 cannot wrap.
            if (out[i].first > out[j].last + 1) out[++j] = out[i];
            else if (out[i].last > out[j].last) out[j].last = out[i].last;
        }
        n = j + 1;
    }
    return {range_status::ok, n};
}

struct single_range {
    range_status status = range_status::ignore;
    byte_range range{};  // valid when status == ok
};

// What a static-file server serves (Express's `send`): the ranges are combined, and
// if they still are more than one contiguous range the header is ignored (200 with
// the whole file) rather than answered with multipart/byteranges. At most 32 ranges
// are considered before combining; more -> ignore.
constexpr single_range parse_single_range(std::string_view header, std::uint64_t size) noexcept {
    std::array<byte_range, 32> buf{};
    const range_set r = parse_range(header, size, buf, true);
    if (r.status != range_status::ok) return {r.status, {}};
    if (r.count != 1) return {range_status::ignore, {}};
    return {range_status::ok, buf[0]};
}

// Longest Content-Range value: "bytes " + 3 * 20 digits + '-' + '/'.
inline constexpr std::size_t content_range_max_size = 6 + 20 + 1 + 20 + 1 + 20;

namespace detail {
// Writes straight into the caller's string: reserve the worst case, write, shrink.
template <class Fill>
inline void append_bounded(std::string& out, Fill fill) {
    const std::size_t start = out.size();
    out.resize(start + content_range_max_size);
    char* const first = out.data() + start;
    char* const last = fill(first, first + content_range_max_size);
    out.resize(start + static_cast<std::size_t>(last - first));
}

inline char* put_literal(char* p, std::string_view s) noexcept {
    for (char c : s) *p++ = c;
    return p;
}
}  // namespace detail

// Appends `bytes first-last/size` (a 206 answer).
inline void content_range_append(std::string& out, byte_range r, std::uint64_t size) {
    detail::append_bounded(out, [&](char* p, char* end) {
        p = detail::put_literal(p, "bytes ");
        p = std::to_chars(p, end, r.first).ptr;
        *p++ = '-';
        p = std::to_chars(p, end, r.last).ptr;
        *p++ = '/';
        return std::to_chars(p, end, size).ptr;
    });
}

// Appends `bytes */size` (a 416 answer).
inline void content_range_unsatisfied_append(std::string& out, std::uint64_t size) {
    detail::append_bounded(out, [&](char* p, char* end) {
        p = detail::put_literal(p, "bytes */");
        return std::to_chars(p, end, size).ptr;
    });
}

}  // namespace duet::http
