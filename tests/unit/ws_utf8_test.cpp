// Incremental UTF-8 validation: the Markus Kuhn / Autobahn 6.x cases, every code
// point, a differential check against a decode-then-check reference over all short
// byte strings, fail-fast position, and splitting at every byte.
#include <ostream>

#include <doctest/doctest.h>

#include <duet/core/utf8.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using duet::is_valid_utf8;
using duet::utf8_validator;

namespace {
// Reference: decode each sequence to a code point, then reject what RFC 3629 forbids.
// Written the "other way round" from the validator (compute, then check).
bool reference_valid(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len;
        std::uint32_t cp;
        if (c < 0x80) { ++i; continue; }
        if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
        else return false;
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        const std::uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

std::string encode(std::uint32_t cp) {
    std::string o;
    if (cp < 0x80) o += static_cast<char>(cp);
    else if (cp < 0x800) { o += static_cast<char>(0xC0 | (cp >> 6)); o += static_cast<char>(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) {
        o += static_cast<char>(0xE0 | (cp >> 12));
        o += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        o += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        o += static_cast<char>(0xF0 | (cp >> 18));
        o += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        o += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        o += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return o;
}

// Same verdict when fed in two pieces split at every position, and byte by byte.
bool valid_in_pieces(std::string_view s) {
    const bool whole = is_valid_utf8(s);
    for (std::size_t cut = 0; cut <= s.size(); ++cut) {
        utf8_validator v;
        const bool a = v.feed(s.substr(0, cut));
        const bool b = v.feed(s.substr(cut));
        if ((a && b && v.complete()) != whole) return !whole;
    }
    utf8_validator v;
    bool ok = true;
    for (char c : s) ok = v.feed(std::string_view(&c, 1)) && ok;
    if ((ok && v.complete()) != whole) return !whole;
    return whole;
}

const std::vector<std::string> valid_cases = {
    "",
    "Hello-µ@ßöäüàá-UTF-8!!",
    "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5",  // κόσμε
    std::string("\x00", 1),                             // U+0000
    "\xC2\x80", "\xDF\xBF",                             // U+0080, U+07FF
    "\xE0\xA0\x80", "\xEF\xBF\xBF",                     // U+0800, U+FFFF
    "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF",             // U+10000, U+10FFFF
    "\xED\x9F\xBF", "\xEE\x80\x80",                     // U+D7FF, U+E000 (around surrogates)
    "\xEF\xBF\xBD", "\xEF\xBF\xBE",                     // U+FFFD, noncharacter U+FFFE
    "\xF0\x9F\x98\x80 emoji between ASCII \xF0\x9F\x98\x80",
};

const std::vector<std::string> invalid_cases = {
    // 3.1 unexpected continuation bytes
    "\x80", "\xBF", "\x80\xBF", "\x80\xBF\x80", "abc\x80",
    // 3.2 lonely start characters
    "\xC0 ", "\xDF ", "\xE0 ", "\xEF ", "\xF0 ", "\xF7 ", "\xF8 ", "\xFB ", "\xFC ", "\xFD ",
    // 3.3 sequences with the last byte missing (at the very end)
    "\xC2", "\xE0\xA0", "\xF0\x90\x80", "\xDF", "\xEF\xBF", "\xF4\x8F\xBF", "ok\xE2\x82",
    // 3.5 impossible bytes
    "\xFE", "\xFF", "\xFE\xFE\xFF\xFF",
    // 4. overlong forms
    "\xC0\xAF", "\xE0\x80\xAF", "\xF0\x80\x80\xAF", "\xF8\x80\x80\x80\xAF", "\xFC\x80\x80\x80\x80\xAF",
    "\xC1\xBF", "\xE0\x9F\xBF", "\xF0\x8F\xBF\xBF", "\xC0\x80", "\xE0\x80\x80", "\xF0\x80\x80\x80",
    // 5.1 single UTF-16 surrogates
    "\xED\xA0\x80", "\xED\xAD\xBF", "\xED\xAE\x80", "\xED\xAF\xBF", "\xED\xB0\x80", "\xED\xBE\x80",
    "\xED\xBF\xBF",
    // 5.2 paired surrogates
    "\xED\xA0\x80\xED\xB0\x80", "\xED\xAF\xBF\xED\xBF\xBF",
    // beyond U+10FFFF
    "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xF7\xBF\xBF\xBF",
    // Autobahn 6.3.1: valid text around a surrogate
    "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80\x65\x64\x69\x74\x65\x64",
    // broken sequence followed by ASCII
    "\xE2\x82hello world, long enough for the word loop",
};
}  // namespace

TEST_CASE("utf8: classic valid texts, whole and split at every byte") {
    for (const auto& s : valid_cases) {
        CAPTURE(s);
        CHECK(reference_valid(s));
        CHECK(is_valid_utf8(s));
        CHECK(valid_in_pieces(s));
    }
}

TEST_CASE("utf8: classic invalid texts (Kuhn 3.x-5.x, Autobahn 6.x), whole and split") {
    for (const auto& s : invalid_cases) {
        CAPTURE(s);
        CHECK_FALSE(reference_valid(s));
        CHECK_FALSE(is_valid_utf8(s));
        CHECK_FALSE(valid_in_pieces(s));
    }
}

TEST_CASE("utf8: every code point; every surrogate rejected") {
    for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
        const std::string s = encode(cp);
        const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        if (is_valid_utf8(s) == surrogate) {
            CAPTURE(cp);
            FAIL("wrong verdict");
        }
    }
    // One past the top, encoded the same way.
    CHECK_FALSE(is_valid_utf8(encode(0x110000)));
    CHECK_FALSE(is_valid_utf8(encode(0x1FFFFF)));
}

TEST_CASE("utf8: agrees with the reference on all 1- and 2-byte strings and 3-byte strings led by C0..FF") {
    std::size_t mismatches = 0;
    char buf[3];
    for (int a = 0; a < 256; ++a) {
        buf[0] = static_cast<char>(a);
        mismatches += is_valid_utf8(std::string_view(buf, 1)) != reference_valid(std::string_view(buf, 1));
        for (int b = 0; b < 256; ++b) {
            buf[1] = static_cast<char>(b);
            mismatches += is_valid_utf8(std::string_view(buf, 2)) != reference_valid(std::string_view(buf, 2));
            if (a < 0xC0) continue;
            for (int c = 0; c < 256; ++c) {
                buf[2] = static_cast<char>(c);
                const std::string_view s(buf, 3);
                mismatches += is_valid_utf8(s) != reference_valid(s);
            }
        }
    }
    CHECK(mismatches == 0);
}

TEST_CASE("utf8: 4-byte sequences for every lead F0..FF and second byte, sampled tails") {
    std::size_t mismatches = 0;
    char buf[4];
    for (int a = 0xF0; a < 256; ++a)
        for (int b = 0; b < 256; ++b)
            for (int c : {0x00, 0x7F, 0x80, 0xBF, 0xC0})
                for (int d : {0x00, 0x7F, 0x80, 0x9F, 0xBF, 0xC0, 0xFF}) {
                    buf[0] = static_cast<char>(a);
                    buf[1] = static_cast<char>(b);
                    buf[2] = static_cast<char>(c);
                    buf[3] = static_cast<char>(d);
                    const std::string_view s(buf, 4);
                    mismatches += is_valid_utf8(s) != reference_valid(s);
                }
    CHECK(mismatches == 0);
}

TEST_CASE("utf8: fails fast, at the first byte that cannot lead to valid text") {
    struct row { std::string text; std::size_t fails_at; };
    const std::string kosme = "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5";
    const row rows[] = {
        {kosme + "\xED\xA0\x80" "edited", kosme.size() + 1},  // surrogate: at A0
        {kosme + "\xF4\x90\x80\x80", kosme.size() + 1},       // > U+10FFFF: at 90
        {"ab\xE0\x80\x80", 3},                                  // overlong: at 80
        {"ab\xF0\x8F\xBF\xBF", 3},
        {"ab\xC0\xAF", 2},                                      // C0 is never valid
        {"ab\xF5", 2},
        {"abc\x80", 3},
        {"\xE2\x82" "A", 2},                                    // ASCII where a continuation is due
    };
    for (const auto& r : rows) {
        CAPTURE(r.text);
        utf8_validator v;
        std::size_t i = 0;
        for (; i < r.text.size(); ++i)
            if (!v.feed(std::string_view(&r.text[i], 1))) break;
        CHECK(i == r.fails_at);
        CHECK(v.failed());
        CHECK_FALSE(v.feed(std::string_view("ok")));  // sticky
        v.reset();
        CHECK(v.feed(std::string_view("ok")));
        CHECK(v.complete());
    }
}

TEST_CASE("utf8: a truncated sequence is pending, not failed, until the text ends") {
    utf8_validator v;
    CHECK(v.feed(std::string_view("\xF0\x9F")));
    CHECK_FALSE(v.failed());
    CHECK_FALSE(v.complete());
    CHECK(v.feed(std::string_view("\x98")));
    CHECK_FALSE(v.complete());
    CHECK(v.feed(std::string_view("\x80")));
    CHECK(v.complete());
}

TEST_CASE("utf8: ASCII word loop never skips a bad byte or a split sequence, at any offset") {
    for (std::size_t pad = 0; pad < 40; ++pad) {
        CAPTURE(pad);
        const std::string ascii(pad, 'x');
        CHECK(is_valid_utf8(ascii + "\xC3\xA9" + ascii));
        CHECK(is_valid_utf8(ascii + "\xF0\x9F\x98\x80" + std::string(17, 'y')));
        CHECK_FALSE(is_valid_utf8(ascii + "\x80" + ascii));
        CHECK_FALSE(is_valid_utf8(ascii + "\xFF" + std::string(16, 'y')));
        CHECK_FALSE(is_valid_utf8(ascii + "\xED\xA0\x80" + std::string(16, 'y')));
        CHECK_FALSE(is_valid_utf8(ascii + "\xC3"));
        CHECK_FALSE(is_valid_utf8(ascii + "\xC3" + std::string(16, 'y')));
    }
}
