// duet/http/accept_encoding.hpp — Owns: content codings and the choice of one from a
// request's Accept-Encoding, the way npm `negotiator` (behind Express's req.acceptsEncodings,
// engine.io's httpCompression and the `compression` middleware) chooses: for each coding the
// server offers, the most specific matching entry (its own name before "*") gives its
// quality; the best quality wins, then (optionally) the server's preferred codings, then
// the more specific match, then the entry that comes first in the header, then the
// server's order. q=0 (or an unreadable q) refuses. No header: nothing but identity.
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
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);  // parseFloat skips blanks
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

}  // namespace detail

// The coding to use among `offered`; identity when none is acceptable (or when
// identity itself, if offered, wins). `preferred` breaks ties of quality first (npm
// compression passes ["br", "gzip"]: "gzip, deflate, br" gets br). As negotiator does,
// identity is acceptable at the lowest quality present unless the header names it or "*".
constexpr content_coding negotiate_encoding(std::string_view accept_encoding, std::span<const content_coding> offered,
                                            std::span<const content_coding> preferred = {}) noexcept {
    struct priority {
        content_coding coding = content_coding::identity;
        int q = 0, s = -1, o = -1, i = 0;
    };
    // Pass 1: does the header cover identity, and its lowest quality (q=0 counts as 1,
    // as `encoding.q || 1` does).
    bool has_identity = false;
    int min_q = 1000, entries = 0;
    auto for_each_entry = [&](auto&& f) {
        std::string_view rest = accept_encoding;
        int index = 0;
        while (true) {
            const auto comma = rest.find(',');
            std::string_view entry = trim_ows(rest.substr(0, comma));
            const int at = index++;
            const auto semi = entry.find(';');
            const std::string_view name = trim_ows(entry.substr(0, semi));
            // negotiator's /^\s*([^\s;]+)\s*(?:;(.*))?$/: a name without blanks inside.
            const bool valid = !name.empty() && name.find_first_of(" \t") == std::string_view::npos;
            if (valid) {
                int q = 1000;
                std::string_view params = semi == std::string_view::npos ? std::string_view{} : entry.substr(semi + 1);
                while (!params.empty()) {
                    const auto next = params.find(';');
                    const std::string_view p = trim_ows(params.substr(0, next));
                    params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
                    if (p.size() >= 2 && p[0] == 'q' && p[1] == '=') {
                        q = detail::parse_quality(p.substr(2));
                        break;
                    }
                }
                f(name, q, at);
            }
            if (comma == std::string_view::npos) break;
            rest = rest.substr(comma + 1);
        }
        return index;
    };
    entries = for_each_entry([&](std::string_view name, int q, int) {
        if (name == "*" || ascii_iequals(name, "identity")) has_identity = true;
        if (q > 0 && q < min_q) min_q = q;
    });
    // Pass 2: each offered coding's priority: the most specific entry, then the higher
    // quality, then the later entry (getEncodingPriority).
    auto priority_of = [&](content_coding c, int index) {
        priority best{c, 0, -1, -1, index};
        auto consider = [&](int s, int q, int o) {
            if (s > best.s || (s == best.s && (q > best.q || (q == best.q && o > best.o)))) best = {c, q, s, o, index};
        };
        for_each_entry([&](std::string_view name, int q, int at) {
            if (ascii_iequals(name, coding_name(c))) consider(1, q, at);
            else if (name == "*") consider(0, q, at);
        });
        if (c == content_coding::identity && !has_identity) consider(0, min_q, entries);
        return best;
    };
    auto rank_in_preferred = [&](content_coding c) {
        for (std::size_t k = 0; k < preferred.size(); ++k)
            if (preferred[k] == c) return int(k);
        return -1;
    };
    // a before b in negotiator's sort.
    auto before = [&](const priority& a, const priority& b) {
        if (a.q != b.q) return a.q > b.q;
        if (!preferred.empty()) {
            const int pa = rank_in_preferred(a.coding), pb = rank_in_preferred(b.coding);
            if (pa != -1 && pb != -1) return pa < pb;
            if (pa != -1 || pb != -1) return pa != -1;
        }
        if (a.s != b.s) return a.s > b.s;
        if (a.o != b.o) return a.o < b.o;
        return a.i < b.i;
    };
    priority best;
    bool found = false;
    for (std::size_t k = 0; k < offered.size(); ++k) {
        const priority p = priority_of(offered[k], int(k));
        if (p.s < 0 || p.q <= 0) continue;
        if (!found || before(p, best)) {
            best = p;
            found = true;
        }
    }
    return found ? best.coding : content_coding::identity;
}

}  // namespace duet::http
