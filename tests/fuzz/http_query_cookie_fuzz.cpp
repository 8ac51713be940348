// libFuzzer target for the pure HTTP helpers: query strings, percent coding, Cookie
// and Set-Cookie, Range, HTTP dates, entity-tag lists and comma lists.
//
// Besides "no crash, no sanitizer report", it checks properties the rest of the
// server relies on, and traps when one breaks:
// - every view a parser hands out lies inside the input;
// - the allocation-free key comparison agrees with the decoder;
// - strict decoding round-trips through encoding;
// - nothing the encoders or Set-Cookie produce can break a header line;
// - ranges are inside the representation, combined ranges are sorted and disjoint;
// - a parsed date formats and parses back to the same second.
//
// Build and run (seeds in tests/fuzz/corpus/http_query_cookie; copy them to a scratch
// directory first, libFuzzer adds what it finds to the directory it is given):
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I include
//       tests/fuzz/http_query_cookie_fuzz.cpp -o /tmp/f && /tmp/f -runs=200000 DIR
#include <duet/http/ascii.hpp>
#include <duet/http/cookie.hpp>
#include <duet/http/etag.hpp>
#include <duet/http/http_date.hpp>
#include <duet/http/mime.hpp>
#include <duet/http/percent.hpp>
#include <duet/http/query.hpp>
#include <duet/http/range.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace http = duet::http;

namespace {

void check(bool ok) {
    if (!ok) __builtin_trap();
}

bool inside(std::string_view part, std::string_view whole) {
    // Compare addresses as integers: relational operators on unrelated pointers are
    // unspecified, and an empty view may legitimately sit at the very end.
    const auto p = reinterpret_cast<std::uintptr_t>(part.data());
    const auto b = reinterpret_cast<std::uintptr_t>(whole.data());
    return part.empty() ? (p >= b && p <= b + whole.size()) : (p >= b && p + part.size() <= b + whole.size());
}

void fuzz_percent(std::string_view in) {
    std::string strict;
    const bool ok = http::percent_decode_append(strict, in, false);
    std::string lenient;
    http::percent_decode_lenient_append(lenient, in, false);
    check(lenient.size() <= in.size());
    if (ok) {
        check(strict == lenient);  // where strict succeeds both decoders agree
        check(http::percent_decode(http::percent_encode(strict)) == strict);
    } else {
        check(strict.empty());  // failure leaves the buffer as it was
    }
    check(http::percent_decoded_equals(in, lenient, false));

    for (auto set : {http::encode_set::component, http::encode_set::url}) {
        const std::string enc = http::percent_encode(in, set);
        check(http::is_field_value(enc));
        for (char c : enc) check(c != ' ' && static_cast<unsigned char>(c) < 0x7F);
    }
}

void fuzz_query(std::string_view q) {
    std::size_t n = 0;
    std::string key;
    for (const http::query_param& p : http::query_params(q)) {
        check(inside(p.key, q) && inside(p.value, q));
        check(p.key.find('&') == std::string_view::npos && p.value.find('&') == std::string_view::npos);
        check(p.key.find('=') == std::string_view::npos);
        key.clear();
        http::query_decode_append(key, p.key);
        check(http::percent_decoded_equals(p.key, key, true));
        // The first pair with this decoded key is found by lookup (maybe an earlier one).
        const auto found = http::find_query_param(q, key);
        check(found.has_value());
        check(found->key.data() <= p.key.data());
        if (++n > 64) break;
    }
    if (n == 0) check(!http::raw_query_value(q, "").has_value());  // no pairs, nothing to find
}

void fuzz_cookie(std::string_view h) {
    std::size_t n = 0;
    for (const http::cookie_pair& p : http::cookie_pairs(h)) {
        check(inside(p.name, h) && inside(p.value, h));
        check(p.name.find(';') == std::string_view::npos && p.value.find(';') == std::string_view::npos);
        check(http::trim_ows(p.name).size() == p.name.size());
        const auto first = http::raw_cookie_value(h, p.name);
        check(first.has_value());
        check(first->data() <= p.value.data());
        std::string v;
        http::cookie_decode_append(v, p.value);
        check(v.size() <= p.value.size());
        if (++n > 64) break;
    }

    // Use the input as every part of a Set-Cookie: either rejected, or a safe line.
    const std::size_t third = h.size() / 3;
    const std::string_view a = h.substr(0, third), b = h.substr(third, third), c = h.substr(2 * third);
    for (bool encode : {true, false}) {
        std::string out;
        const auto err = http::set_cookie_append(out, a, b, {.path = c, .domain = b, .encode = encode});
        if (err == http::cookie_error::none) {
            check(http::is_field_value(out));
            check(out.find('\r') == std::string::npos && out.find('\n') == std::string::npos);
            // The value part ends at the first "; " the serializer wrote itself.
            const std::size_t eq = out.find('=');
            check(eq == a.size());
        } else {
            check(out.empty());
        }
    }
}

void fuzz_range(std::string_view h, std::uint64_t size) {
    std::array<http::byte_range, 8> buf{};
    for (bool combine : {false, true}) {
        const auto r = http::parse_range(h, size, buf, combine);
        if (r.status != http::range_status::ok) {
            check(r.count == 0);
            continue;
        }
        check(r.count >= 1 && r.count <= buf.size());
        for (std::size_t i = 0; i < r.count; ++i) {
            check(buf[i].first <= buf[i].last && buf[i].last < size);
            if (combine && i > 0) check(buf[i].first > buf[i - 1].last + 1);
        }
    }
    const auto s = http::parse_single_range(h, size);
    if (s.status == http::range_status::ok) {
        check(s.range.first <= s.range.last && s.range.last < size);
        std::string cr;
        http::content_range_append(cr, s.range, size);
        check(cr.size() <= http::content_range_max_size);
    }
}

void fuzz_date(std::string_view s) {
    const auto t = http::parse_http_date(s);
    if (!t) return;
    if (*t >= -62135596800 && *t <= 253402300799) {
        const auto f = http::format_http_date(*t);
        check(http::parse_http_date(f.view()) == t);
    }
}

void fuzz_lists(std::string_view s) {
    std::size_t n = 0;
    for (std::string_view e : http::list_elements(s)) {
        check(!e.empty() && inside(e, s));
        check(!http::is_ows(e.front()) && !http::is_ows(e.back()));
        check(e.find(',') == std::string_view::npos);
        check(http::token_list_contains(s, e));
        if (++n > 64) break;
    }
    const std::size_t half = s.size() / 2;
    const std::string_view x = s.substr(0, half), y = s.substr(half);
    (void)http::etag_list_matches(x, y);
    (void)http::fresh({.if_none_match = x, .if_modified_since = y, .cache_control = s},
                      {.etag = y, .last_modified = x});
    (void)http::precondition_failed({.if_match = x, .if_unmodified_since = y}, {.etag = y, .last_modified = x});
    (void)http::if_range_matches(x, {.etag = y, .last_modified = y});
    const auto mt = http::mime_type_for_path(s);
    check(!mt.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    fuzz_percent(in);
    fuzz_query(in);
    fuzz_cookie(in);
    fuzz_date(in);
    fuzz_lists(in);

    // Range: the first 8 bytes (when there are more) choose the representation size,
    // sometimes tiny, sometimes near 2^64, so clamping and saturation both get hit.
    std::uint64_t rep = 1000;
    std::string_view header = in;
    if (in.size() > 8) {
        std::memcpy(&rep, in.data(), 8);
        if (rep & 1) rep >>= (rep >> 1) % 64;
        header = in.substr(8);
    }
    fuzz_range(header, rep);
    fuzz_range(in, 1000);
    return 0;
}
