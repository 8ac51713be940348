// duet/http/accept.hpp — content negotiation on the Accept header.
//
// Owns: `preferred_type(accept, types)`, the choice Express's req.accepts(types) makes
// (npm accepts 2.0 over negotiator 1.1): each offered type — an extension such as
// "html" or "json" (looked up in mime.hpp), or a full "type/subtype" — is ranked by
// the most specific Accept entry that matches it (exact type, then subtype, then
// parameters beat wildcards), then by that entry's q, its position, and the order the
// types were offered; q=0 excludes. No Accept header: the first type. The Accept
// parser is negotiator's: comma-separated entries (commas inside quoted parameter
// values kept), parameters with quoted or bare values, the first of a repeated
// parameter wins, q read as JavaScript's parseFloat reads it (junk after the number
// ignored, no number: the entry is dropped), entries without a '/' skipped.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <system_error>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <duet/http/ascii.hpp>
#include <duet/http/mime.hpp>

namespace duet::http {

namespace accept_detail {

struct media_range {
    std::string_view type, subtype;  // as sent (compared case-insensitively)
    std::vector<std::pair<std::string, std::string>> params;  // keys lower-case, q excluded
    double q = 1;
    std::size_t index = 0;  // position in the header
};

constexpr bool ows(char c) noexcept { return is_ows(c); }
constexpr std::string_view trim(std::string_view s) noexcept { return trim_ows(s); }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// JavaScript's parseFloat: leading white space, the longest decimal prefix; NaN
// (returned as nullopt) when there is none.
inline std::optional<double> js_parse_float(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
    bool negative = false;
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
        negative = s.front() == '-';
        s.remove_prefix(1);
    }
    if (s.starts_with("Infinity")) return negative ? -HUGE_VAL : HUGE_VAL;
    std::size_t n = 0, digits = 0;
    while (n < s.size() && is_digit(s[n])) ++n, ++digits;
    if (n < s.size() && s[n] == '.') {
        ++n;
        while (n < s.size() && is_digit(s[n])) ++n, ++digits;
    }
    if (digits == 0) return std::nullopt;
    if (n < s.size() && (s[n] == 'e' || s[n] == 'E')) {
        std::size_t e = n + 1;
        if (e < s.size() && (s[e] == '+' || s[e] == '-')) ++e;
        if (e < s.size() && is_digit(s[e])) {
            while (e < s.size() && is_digit(s[e])) ++e;
            n = e;
        }
    }
    std::string num;
    if (s.front() == '.') num.push_back('0');  // from_chars wants a digit first
    num.append(s.substr(0, n));
    double v = 0;
    const auto r = std::from_chars(num.data(), num.data() + num.size(), v);
    if (r.ec == std::errc::result_out_of_range) {
        // parseFloat: "1e999" is Infinity, "1e-999" is 0 (from_chars leaves v alone):
        // too large needs a non-zero integer part and no negative exponent.
        const std::size_t e = num.find_first_of("eE");
        const bool negative_exponent = e != std::string::npos && num[e + 1] == '-';
        const std::size_t int_end = std::min(num.find('.'), e);
        const bool big = num.substr(0, int_end).find_first_not_of('0') != std::string::npos;
        v = big && !negative_exponent ? HUGE_VAL : 0.0;
    }
    return negative ? -v : v;
}

// One media type with its parameters, from `pos` up to the next ',' (when `comma`)
// outside a quoted value: npm content-type 2.1's parse. Returns the value (trimmed,
// case kept), fills `params` (lower-case keys, first occurrence wins) and moves `pos`
// to the stop character or the end.
inline std::string_view parse_one(std::string_view h, std::size_t& pos, bool comma,
                                  std::vector<std::pair<std::string, std::string>>& params) {
    const auto stop = [&](char c) { return c == ';' || (comma && c == ','); };
    while (pos < h.size() && ows(h[pos])) ++pos;
    const std::size_t start = pos;
    while (pos < h.size() && !stop(h[pos])) ++pos;
    const std::string_view value = trim(h.substr(start, pos - start));
    const auto add = [&](std::string_view key, std::string value) {
        std::string k;
        ascii_to_lower_append(k, key);
        for (const auto& p : params)
            if (p.first == k) return;
        params.emplace_back(std::move(k), std::move(value));
    };
    while (pos < h.size() && !(comma && h[pos] == ',')) {
        ++pos;  // the ';'
        while (pos < h.size() && ows(h[pos])) ++pos;
        const std::size_t key_start = pos;
        bool next_param = false;
        while (pos < h.size()) {
            const char c = h[pos];
            if (comma && c == ',') return value;
            if (c == ';') {
                next_param = true;
                break;
            }
            if (c == '=') {
                const std::string_view key = trim(h.substr(key_start, pos - key_start));
                ++pos;
                while (pos < h.size() && ows(h[pos])) ++pos;
                if (pos < h.size() && h[pos] == '"') {
                    ++pos;
                    std::string v;
                    while (pos < h.size()) {
                        const char q = h[pos++];
                        if (q == '"') {
                            while (pos < h.size() && !stop(h[pos])) ++pos;
                            add(key, std::move(v));
                            break;
                        }
                        if (q == '\\' && pos < h.size()) {
                            v.push_back(h[pos++]);
                            continue;
                        }
                        v.push_back(q);
                    }
                } else {
                    const std::size_t vs = pos;
                    while (pos < h.size() && !stop(h[pos])) ++pos;
                    add(key, std::string(trim(h.substr(vs, pos - vs))));
                }
                next_param = true;
                break;
            }
            ++pos;
        }
        if (!next_param) break;
    }
    return value;
}

// negotiator's formatMediaType: split type/subtype, take q out of the parameters.
inline bool to_media_range(std::string_view value, std::vector<std::pair<std::string, std::string>> params,
                           std::size_t index, media_range& out) {
    const std::size_t slash = value.find('/');
    if (slash == std::string_view::npos) return false;
    out.type = value.substr(0, slash);
    out.subtype = value.substr(slash + 1);
    out.q = 1;
    for (auto it = params.begin(); it != params.end(); ++it) {
        if (it->first != "q") continue;
        if (!it->second.empty()) {
            const auto q = js_parse_float(it->second);
            out.q = q ? *q : -1;  // NaN: never acceptable
        }
        params.erase(it);
        break;
    }
    out.params = std::move(params);
    out.index = index;
    return true;
}

inline std::vector<media_range> parse_accept(std::string_view header) {
    std::vector<media_range> out;
    std::size_t pos = 0, i = 0;
    while (pos < header.size()) {
        std::vector<std::pair<std::string, std::string>> params;
        const std::string_view value = parse_one(header, pos, true, params);
        media_range r;
        if (to_media_range(value, std::move(params), i, r)) out.push_back(std::move(r));
        ++i;  // negotiator numbers every entry, dropped ones included
        ++pos;  // the ','
    }
    return out;
}

struct priority {
    int s = 0;
    double q = 0;
    long o = -1;
    bool matched = false;
};

// How the best Accept entry ranks `offered` (negotiator's getMediaTypePriority).
inline priority rank(std::string_view offered, const std::vector<media_range>& accepted) {
    std::vector<std::pair<std::string, std::string>> oparams;
    std::size_t pos = 0;
    const std::string_view ovalue = parse_one(offered, pos, false, oparams);
    media_range p;
    priority best;
    if (!to_media_range(ovalue, std::move(oparams), 0, p)) return best;
    for (const media_range& spec : accepted) {
        int s = 0;
        if (ascii_iequals(spec.type, p.type)) s |= 4;
        else if (spec.type != "*") continue;
        if (ascii_iequals(spec.subtype, p.subtype)) s |= 2;
        else if (spec.subtype != "*") continue;
        if (!spec.params.empty()) {
            bool all = true;
            for (const auto& [k, v] : spec.params) {
                if (v == "*") continue;
                std::string_view pv;
                for (const auto& op : p.params)
                    if (op.first == k) pv = op.second;
                if (!ascii_iequals(v, pv)) all = false;
            }
            if (!all) continue;
            s |= 1;
        }
        const long o = static_cast<long>(spec.index);
        const bool better = best.s != s ? best.s < s : best.q != spec.q ? best.q < spec.q : best.o < o;
        if (better) best = {s, spec.q, o, true};
    }
    return best;
}

}  // namespace accept_detail

// The bare media type an offered name stands for: "html" -> "text/html" (mime.hpp,
// without parameters), "text/plain" as it is; empty for an unknown extension.
inline std::string_view offered_media_type(std::string_view name) noexcept {
    if (name.find('/') != std::string_view::npos) return name;
    const auto t = lookup_mime_type(name);
    if (!t) return {};
    const std::size_t semi = t->find(';');
    return t->substr(0, semi);
}

// Index in `types` of the type the client prefers (see the top of this file); nullopt
// when it accepts none of them. `accept` is the header, nullopt when there is none.
inline std::optional<std::size_t> preferred_type(std::optional<std::string_view> accept,
                                                 std::span<const std::string_view> types) {
    if (types.empty()) return std::nullopt;
    if (!accept || accept->empty()) return 0;
    const auto accepted = accept_detail::parse_accept(*accept);
    std::optional<std::size_t> best;
    accept_detail::priority best_p;
    for (std::size_t i = 0; i < types.size(); ++i) {
        const std::string_view mt = offered_media_type(types[i]);
        if (mt.empty()) continue;
        const auto p = accept_detail::rank(mt, accepted);
        if (!p.matched || !(p.q > 0)) continue;
        // negotiator's compareSpecs: q, then specificity, then Accept order, then offer order.
        const bool better = !best || p.q > best_p.q ||
                            (p.q == best_p.q && (p.s > best_p.s || (p.s == best_p.s && p.o < best_p.o)));
        if (better) {
            best = i;
            best_p = p;
        }
    }
    return best;
}

}  // namespace duet::http
