// Tests for duet/http/ascii.hpp: the character helpers every HTTP header parser uses.
#include <doctest/doctest.h>

#include <duet/http/ascii.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace std::string_view_literals;
namespace http = duet::http;

namespace {
std::vector<std::string_view> elements(std::string_view list) {
    std::vector<std::string_view> v;
    for (std::string_view e : http::list_elements(list)) v.push_back(e);
    return v;
}
}  // namespace

TEST_CASE("ascii_iequals folds ASCII letters only") {
    CHECK(http::ascii_iequals("Content-Length", "content-length"));
    CHECK(http::ascii_iequals("UPGRADE", "upgrade"));
    CHECK(http::ascii_iequals("", ""));
    CHECK_FALSE(http::ascii_iequals("content-length", "content-lengt"));
    CHECK_FALSE(http::ascii_iequals("a", ""));
    // '@' (0x40) and '`' (0x60) differ only by the 0x20 bit but are not letters:
    // a naive `| 0x20` compare would call them equal.
    CHECK_FALSE(http::ascii_iequals("@", "`"));
    CHECK_FALSE(http::ascii_iequals("[", "{"));
    // Bytes >= 0x80 compare exactly: no Unicode folding of UTF-8 sequences.
    CHECK(http::ascii_iequals("caf\xC3\xA9", "CAF\xC3\xA9"));
    CHECK_FALSE(http::ascii_iequals("\xC3\xA9", "\xC3\x89"));  // é vs É
    // Embedded NUL is an ordinary byte, not a terminator.
    CHECK_FALSE(http::ascii_iequals("ab\0c"sv, "ab\0d"sv));
    CHECK(http::ascii_iequals("AB\0C"sv, "ab\0c"sv));
    static_assert(http::ascii_iequals("Keep-Alive", "keep-alive"));
}

TEST_CASE("prefix/suffix and lower-casing") {
    CHECK(http::ascii_istarts_with("Bytes=0-1", "bytes="));
    CHECK_FALSE(http::ascii_istarts_with("byte", "bytes"));
    CHECK(http::ascii_iends_with("index.HTML", ".html"));
    CHECK_FALSE(http::ascii_iends_with("ml", ".html"));

    std::string out = "x:";
    http::ascii_to_lower_append(out, "Content-TYPE\xC3\x89");
    CHECK(out == "x:content-type\xC3\x89");  // É's bytes untouched
    std::string s = "X-Forwarded-For";
    http::ascii_to_lower_in_place(s);
    CHECK(s == "x-forwarded-for");
    CHECK(http::ascii_to_upper('q') == 'Q');
    CHECK(http::ascii_to_upper('1') == '1');
}

TEST_CASE("trim_ows removes SP and HTAB, never CR/LF") {
    CHECK(http::trim_ows(" \t value \t ") == "value");
    CHECK(http::trim_ows("   ") == "");
    CHECK(http::trim_ows("") == "");
    CHECK(http::trim_ows("a b") == "a b");
    // CR/LF are not whitespace here: if one reaches a value it must stay visible.
    CHECK(http::trim_ows("v\r\n") == "v\r\n");
    CHECK(http::trim_ows_left("  x ") == "x ");
    CHECK(http::trim_ows_right("  x ") == "  x");
}

TEST_CASE("token and field-value character classes") {
    CHECK(http::is_token("Content-Type"));
    CHECK(http::is_token("!#$%&'*+-.^_`|~09azAZ"));
    CHECK_FALSE(http::is_token(""));
    for (char c : std::string_view("()<>@,;:\\\"/[]?={} \t"))
        CHECK_FALSE(http::is_token(std::string(1, c)));
    CHECK_FALSE(http::is_token("a\x7F"));
    CHECK_FALSE(http::is_token("caf\xC3\xA9"));
    CHECK_FALSE(http::is_token("a\0b"sv));

    CHECK(http::is_field_value("text/html; charset=utf-8"));
    CHECK(http::is_field_value("tab\there"));
    CHECK(http::is_field_value("obs-text \xC3\xA9"));
    CHECK(http::is_field_value(""));
    // Response splitting: none of these may ever be written into a header.
    CHECK_FALSE(http::is_field_value("a\r\nSet-Cookie: x=1"));
    CHECK_FALSE(http::is_field_value("a\nb"));
    CHECK_FALSE(http::is_field_value("a\rb"));
    CHECK_FALSE(http::is_field_value("a\0b"sv));
    CHECK_FALSE(http::is_field_value("\x7F"));
}

TEST_CASE("hex digits") {
    CHECK(http::hex_value('0') == 0);
    CHECK(http::hex_value('9') == 9);
    CHECK(http::hex_value('a') == 10);
    CHECK(http::hex_value('F') == 15);
    CHECK(http::hex_value('g') == -1);
    CHECK(http::hex_value('G') == -1);
    CHECK(http::hex_value('/') == -1);  // '0' - 1
    CHECK(http::hex_value(':') == -1);  // '9' + 1
    CHECK(http::hex_value('\xB0') == -1);
    CHECK(http::is_hex_digit('c'));
    CHECK_FALSE(http::is_hex_digit(' '));
}

TEST_CASE("list_elements: comma lists with OWS and empty elements") {
    CHECK(elements("keep-alive, Upgrade") == std::vector<std::string_view>{"keep-alive", "Upgrade"});
    CHECK(elements(" a ,, \t,b,") == std::vector<std::string_view>{"a", "b"});
    CHECK(elements("").empty());
    CHECK(elements(",,, ,").empty());
    CHECK(elements("single") == std::vector<std::string_view>{"single"});
    CHECK(elements("a b, c") == std::vector<std::string_view>{"a b", "c"});
}

TEST_CASE("token_list_contains matches whole elements case-insensitively") {
    CHECK(http::token_list_contains("keep-alive, Upgrade", "upgrade"));
    CHECK(http::token_list_contains("Upgrade", "upgrade"));
    CHECK(http::token_list_contains("max-age=0,no-cache", "no-cache"));
    CHECK_FALSE(http::token_list_contains("keep-alive", "alive"));
    CHECK_FALSE(http::token_list_contains("upgraded", "upgrade"));
    CHECK_FALSE(http::token_list_contains("no-cache=\"set-cookie\"", "no-cache"));
    CHECK_FALSE(http::token_list_contains("", "close"));
    CHECK_FALSE(http::token_list_contains(",,,", ""));
    static_assert(http::token_list_contains("close, TE", "te"));
}
