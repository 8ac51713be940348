// duet/http/accept_encoding.hpp — Owns: content codings and the choice of one from a
// request's Accept-Encoding, the way npm `negotiator` (behind Express's req.acceptsEncodings,
// engine.io's httpCompression and the `compression` middleware) chooses: for each coding the
// server offers, the most specific matching entry (its own name before "*") gives its
// quality; the best quality wins, then the more specific match, then the entry that comes first
// in the header, then the server's order. q=0 (or an unreadable q) refuses. No header: nothing but identity.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include <duet/http/ascii.hpp>

namespace duet::http {

enum class content_coding : std::uint8_t { identity, gzip, deflate, br };

constexpr std::string_view coding_name(content_coding c) noexcept {
    switch (c) {
        case content_coding::identity: return "identity";
        case content_coding::gzip: return "gzip";
        case content_coding::deflate: return "deflate";
        case content_coding::br: return "br";
    }
    return "identity";
}

namespace detail {
// q-value (RFC 9110 12.4.2, read leniently like parseFloat): 0..1000 in thousandths;
// -1 when it cannot be read.
constexpr int parse_quality(std::string_view v) noexcept {
    if (v.empty() || (v[0] != '0' && v[0] != '1' && v[0] != '.')) return -1;
    int whole = 0;
    std::size_t i = 0;
    for (; i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i) {
        whole = whole * 10 + (v[i] - '0');
        if (whole > 1) return 1000;  // parseFloat("2") = 2: above every real quality
    }
    int frac = 0, scale = 100;
    if (i < v.size() && v[i] == '.') {
        for (++i; i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i) {
            frac += (v[i] - '0') * scale;
            scale /= 10;
        }
    }
    return whole * 1000 + frac;
}

constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}
}  // namespace detail

// The coding to use among `offered` (the server's preference first); identity when
// none is acceptable.
constexpr content_coding negotiate_encoding(std::string_view accept_encoding,
                                            std::span<const content_coding> offered) noexcept {
    content_coding best = content_coding::identity;
    int best_q = 0, best_s = 0, best_order = 0;
    for (const content_coding c : offered) {
        // The entry that gives c its priority: its own name beats "*", then the higher
        // quality, then the later entry (negotiator's getEncodingPriority).
        int specificity = -1, q = 0, order = -1, index = 0;
        std::string_view rest = accept_encoding;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            std::string_view entry = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            const auto semi = entry.find(';');
            const std::string_view name = detail::trim_ows(entry.substr(0, semi));
            if (name.empty()) continue;
            const int at = index++;
            int entry_q = 1000;
            std::string_view params = semi == std::string_view::npos ? std::string_view{} : entry.substr(semi + 1);
            while (!params.empty()) {
                const auto next = params.find(';');
                const std::string_view p = detail::trim_ows(params.substr(0, next));
                params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
                if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=')
                    entry_q = detail::parse_quality(detail::trim_ows(p.substr(2)));
            }
            int s = -1;
            if (ascii_iequals(name, coding_name(c))) s = 1;
            else if (name == "*") s = 0;
            if (s < 0) continue;
            if (s > specificity || (s == specificity && (entry_q > q || (entry_q == q && at > order)))) {
                specificity = s;
                q = entry_q;
                order = at;
            }
        }
        if (specificity < 0 || q <= 0) continue;
        // negotiator's order: quality, then specificity, then place in the header, then
        // the server's order (the loop's).
        if (best == content_coding::identity || q > best_q || (q == best_q && specificity > best_s) ||
            (q == best_q && specificity == best_s && order < best_order)) {
            best = c;
            best_q = q;
            best_s = specificity;
            best_order = order;
        }
    }
    return best;
}

}  // namespace duet::http
