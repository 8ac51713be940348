// Tests for duet/http/percent.hpp: decoding and encoding of URL parts.
#include <doctest/doctest.h>

#include <duet/http/percent.hpp>

#include <string>
#include <string_view>

using namespace std::string_view_literals;
namespace http = duet::http;

namespace {
std::string lenient(std::string_view in, bool plus) {
    std::string out;
    http::percent_decode_lenient_append(out, in, plus);
    return out;
}
}  // namespace

TEST_CASE("needs_decoding spots '%' and, on request, '+'") {
    CHECK_FALSE(http::needs_decoding("/users/42"));
    CHECK(http::needs_decoding("/a%20b"));
    CHECK(http::needs_decoding("%"));
    CHECK_FALSE(http::needs_decoding("a+b"));
    CHECK(http::needs_decoding("a+b", true));
    CHECK_FALSE(http::needs_decoding(""));
}

TEST_CASE("strict decoding of valid escapes") {
    CHECK(http::percent_decode("a%20b") == "a b");
    CHECK(http::percent_decode("%41%42%43") == "ABC");
    CHECK(http::percent_decode("%e2%82%ac") == "\xE2\x82\xAC");  // lower-case hex
    CHECK(http::percent_decode("%E2%82%AC") == "\xE2\x82\xAC");
    CHECK(http::percent_decode("%25") == "%");                  // no double decoding
    CHECK(http::percent_decode("%2541") == "%41");
    CHECK(http::percent_decode("") == "");
    CHECK(http::percent_decode("a+b") == "a+b");                // '+' is data in a path
    CHECK(http::percent_decode("a+b", true) == "a b");
    CHECK(http::percent_decode("%2B", true) == "+");            // an escaped '+' stays '+'
    // %00 is a valid escape and yields a NUL byte; rejecting it is the caller's job.
    CHECK(http::percent_decode("a%00b") == "a\0b"sv);
    // Not UTF-8 validated: %FF is the byte 0xFF.
    CHECK(http::percent_decode("%FF%fe") == "\xFF\xFE");
    // Raw non-ASCII bytes pass through unchanged.
    CHECK(http::percent_decode("caf\xC3\xA9") == "caf\xC3\xA9");
}

TEST_CASE("strict decoding rejects malformed escapes and leaves the buffer alone") {
    for (std::string_view bad : {"%"sv, "%4"sv, "a%"sv, "%zz"sv, "%4g"sv, "%g4"sv, "ok%2"sv, "%%41"sv,
                                 "%\xC3\xA9"sv, "%-1"sv, "% 1"sv, "%0\0"sv}) {
        CAPTURE(bad);
        CHECK_FALSE(http::percent_decode(bad).has_value());
        std::string out = "prefix";
        CHECK_FALSE(http::percent_decode_append(out, bad));
        CHECK(out == "prefix");
    }
    // Appends after existing content on success.
    std::string out = "x=";
    CHECK(http::percent_decode_append(out, "%31%32"));
    CHECK(out == "x=12");
}

TEST_CASE("lenient decoding keeps malformed escapes, decodes the rest (Node querystring)") {
    CHECK(lenient("a=%zz%41+b", true) == "a=%zzA b");
    CHECK(lenient("100%+sure%21", true) == "100% sure!");
    CHECK(lenient("%", true) == "%");
    CHECK(lenient("%4", false) == "%4");
    CHECK(lenient("50%", false) == "50%");
    CHECK(lenient("%%41", false) == "%A");
    CHECK(lenient("%E9", false) == "\xE9");
    CHECK(lenient("plain", true) == "plain");
    CHECK(lenient("", true) == "");
}

TEST_CASE("percent_decoded_equals compares without decoding") {
    CHECK(http::percent_decoded_equals("user%20name", "user name"));
    CHECK(http::percent_decoded_equals("user+name", "user name", true));
    CHECK_FALSE(http::percent_decoded_equals("user+name", "user name", false));
    CHECK(http::percent_decoded_equals("user+name", "user+name", false));
    CHECK(http::percent_decoded_equals("%7e", "~"));
    CHECK(http::percent_decoded_equals("%zz", "%zz"));  // malformed: literal, like the lenient decoder
    CHECK(http::percent_decoded_equals("a%", "a%"));
    CHECK_FALSE(http::percent_decoded_equals("a%41", "a"));    // longer encoded side
    CHECK_FALSE(http::percent_decoded_equals("a", "aA"));      // longer decoded side
    CHECK_FALSE(http::percent_decoded_equals("%41", "%41"));   // "%41" decodes to "A"
    CHECK(http::percent_decoded_equals("", ""));
    CHECK(http::percent_decoded_equals("%00", "\0"sv));
    static_assert(http::percent_decoded_equals("a%2Fb", "a/b"));
}

TEST_CASE("component encoding is encodeURIComponent") {
    // Expected strings produced by Node: encodeURIComponent("a b;c=d,é\0+")
    CHECK(http::percent_encode("a b;c=d,\xC3\xA9\0+"sv) == "a%20b%3Bc%3Dd%2C%C3%A9%00%2B");
    CHECK(http::percent_encode("AZaz09-_.!~*'()") == "AZaz09-_.!~*'()");
    CHECK(http::percent_encode("/?#[]@$&=:,\"<>\\^`{|}%") ==
          "%2F%3F%23%5B%5D%40%24%26%3D%3A%2C%22%3C%3E%5C%5E%60%7B%7C%7D%25");
    CHECK(http::percent_encode("\r\n\x7F\xFF") == "%0D%0A%7F%FF");
    CHECK(http::percent_encode("") == "");

    std::string out = "k=";
    http::percent_encode_append(out, "v v");
    CHECK(out == "k=v%20v");
}

TEST_CASE("url encoding is npm encodeurl: keeps URL syntax and existing escapes") {
    using http::encode_set;
    CHECK(http::percent_encode("http://localhost/foo/bar.html?fizz=buzz#readme", encode_set::url) ==
          "http://localhost/foo/bar.html?fizz=buzz#readme");
    CHECK(http::percent_encode("http://[::1]:8080/foo/bar", encode_set::url) == "http://[::1]:8080/foo/bar");
    CHECK(http::percent_encode("http://localhost/\nsnow.html", encode_set::url) ==
          "http://localhost/%0Asnow.html");
    CHECK(http::percent_encode("/a b\r\nSet-Cookie: x", encode_set::url) == "/a%20b%0D%0ASet-Cookie:%20x");
    // The byte table of encodeurl's own test suite, row by row.
    CHECK(http::percent_encode("/\x20\x21\x22\x23\x24\x25\x26\x27\x28\x29\x2a\x2b\x2c\x2d\x2e\x2f",
                               encode_set::url) == "/%20!%22#$%25&'()*+,-./");
    CHECK(http::percent_encode("/\x30\x31\x32\x33\x34\x35\x36\x37\x38\x39\x3a\x3b\x3c\x3d\x3e\x3f",
                               encode_set::url) == "/0123456789:;%3C=%3E?");
    CHECK(http::percent_encode("/\x50\x51\x52\x53\x54\x55\x56\x57\x58\x59\x5a\x5b\x5c\x5d\x5e\x5f",
                               encode_set::url) == "/PQRSTUVWXYZ[%5C]%5E_");
    CHECK(http::percent_encode("/\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
                               encode_set::url) == "/%60abcdefghijklmno");
    CHECK(http::percent_encode("/\x70\x71\x72\x73\x74\x75\x76\x77\x78\x79\x7a\x7b\x7c\x7d\x7e\x7f",
                               encode_set::url) == "/pqrstuvwxyz%7B%7C%7D~%7F");
    CHECK(http::percent_encode("/\x00\x01\x1f"sv, encode_set::url) == "/%00%01%1F");
    // Existing escapes are kept (valid UTF-8 or not); a stray '%' becomes %25.
    CHECK(http::percent_encode("http://localhost/%20snow.html", encode_set::url) ==
          "http://localhost/%20snow.html");
    CHECK(http::percent_encode("http://localhost/%F0snow.html", encode_set::url) ==
          "http://localhost/%F0snow.html");
    CHECK(http::percent_encode("http://localhost/%foo%bar%zap%", encode_set::url) ==
          "http://localhost/%25foo%bar%25zap%25");
    CHECK(http::percent_encode("%", encode_set::url) == "%25");
    CHECK(http::percent_encode("%4", encode_set::url) == "%254");
    // UTF-8 input is escaped byte by byte (what encodeurl produces from the JS string).
    CHECK(http::percent_encode("/caf\xC3\xA9", encode_set::url) == "/caf%C3%A9");
}

TEST_CASE("encode then strict-decode round-trips every byte") {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    CHECK(http::percent_decode(http::percent_encode(all)) == all);
    // url set keeps existing escapes, so it round-trips only input without '%'.
    std::string no_pct = all;
    std::erase(no_pct, '%');
    CHECK(http::percent_decode(http::percent_encode(no_pct, http::encode_set::url)) == no_pct);
}
