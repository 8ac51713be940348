// duet/http/query.hpp — reading `k=v&k2=v2` query strings without allocating.
//
// Owns: splitting a raw query string (the part of the request target after '?',
// without the '?') into key/value views, and looking a key up by its decoded name.
//
// Rules (those of Node's `querystring`, Express 5's default "simple" query parser):
// - pairs are separated by '&' only (';' is data); empty pairs (`&&`, a leading or
//   trailing '&') are skipped;
// - the first '=' splits key from value: `a` and `a=` both give value "", `=b` gives
//   key "" (yielded: the caller decides whether a nameless pair means anything),
//   `a=b=c` gives value "b=c";
// - repeated keys are all yielded by iteration, in order; lookups return the first;
// - decoding treats '+' as space and is lenient: a malformed escape (`%zz`, a
//   trailing `%`) is kept as the literal characters while valid escapes around it
//   are decoded — querystring.unescape's fallback. Keys are compared after decoding,
//   so `user%20name=x` and `user+name=x` are both found by "user name".
// Views point into the caller's query string and live as long as it does.
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include <duet/http/percent.hpp>

namespace duet::http {

// One `key=value` pair, still percent-encoded.
struct query_param {
    std::string_view key;
    std::string_view value;
};

// A forward range over the pairs of a raw query string:
//   for (auto [k, v] : http::query_params(raw)) ...
class query_params {
public:
    class iterator {
    public:
        using value_type = query_param;
        using difference_type = std::ptrdiff_t;
        using reference = const query_param&;
        using pointer = const query_param*;
        using iterator_category = std::forward_iterator_tag;

        constexpr iterator() noexcept = default;
        constexpr explicit iterator(std::string_view query) noexcept : rest_(query), done_(false) {
            advance();
        }

        constexpr const query_param& operator*() const noexcept { return cur_; }
        constexpr const query_param* operator->() const noexcept { return &cur_; }
        constexpr iterator& operator++() noexcept { advance(); return *this; }
        constexpr iterator operator++(int) noexcept { iterator t = *this; advance(); return t; }
        constexpr bool operator==(const iterator& o) const noexcept {
            return done_ == o.done_ && (done_ || cur_.key.data() == o.cur_.key.data());
        }

    private:
        constexpr void advance() noexcept {
            while (!rest_.empty()) {
                const std::size_t amp = rest_.find('&');
                const std::string_view pair = rest_.substr(0, amp);
                rest_ = amp == std::string_view::npos ? std::string_view{} : rest_.substr(amp + 1);
                if (pair.empty()) continue;
                const std::size_t eq = pair.find('=');
                if (eq == std::string_view::npos) {
                    cur_ = {pair, pair.substr(pair.size())};  // empty value, still inside the input
                } else {
                    cur_ = {pair.substr(0, eq), pair.substr(eq + 1)};
                }
                return;
            }
            done_ = true;
            cur_ = {};
        }

        std::string_view rest_{};
        query_param cur_{};
        bool done_ = true;
    };

    constexpr explicit query_params(std::string_view query) noexcept : query_(query) {}
    constexpr iterator begin() const noexcept { return iterator(query_); }
    constexpr iterator end() const noexcept { return iterator(); }

private:
    std::string_view query_;
};

// The first pair whose decoded key equals `key`, or nullopt.
constexpr std::optional<query_param> find_query_param(std::string_view query,
                                                      std::string_view key) noexcept {
    for (const query_param& p : query_params(query))
        if (percent_decoded_equals(p.key, key, true)) return p;
    return std::nullopt;
}

// The still-encoded value of the first pair whose decoded key equals `key`.
// `?a` and `?a=` both give "" (present, empty); absent gives nullopt.
constexpr std::optional<std::string_view> raw_query_value(std::string_view query,
                                                          std::string_view key) noexcept {
    if (auto p = find_query_param(query, key)) return p->value;
    return std::nullopt;
}

constexpr bool query_has(std::string_view query, std::string_view key) noexcept {
    return find_query_param(query, key).has_value();
}

// Appends the decoded value of the first pair named `key` to `out`; false (and `out`
// untouched) if there is none.
inline bool query_value_append(std::string& out, std::string_view query, std::string_view key) {
    auto v = raw_query_value(query, key);
    if (!v) return false;
    percent_decode_lenient_append(out, *v, true);
    return true;
}

inline std::optional<std::string> query_value(std::string_view query, std::string_view key) {
    std::string out;
    if (!query_value_append(out, query, key)) return std::nullopt;
    return out;
}

// Decodes one key or value the way the lookups above do ('+' is space, lenient).
inline void query_decode_append(std::string& out, std::string_view raw) {
    percent_decode_lenient_append(out, raw, true);
}

}  // namespace duet::http
