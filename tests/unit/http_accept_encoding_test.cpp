// http/accept_encoding.hpp: the coding chosen for an Accept-Encoding header, against what
// npm `negotiator` (accepts(req).encodings(["gzip", "deflate"])) answers — the values below
// were read from it.
#include <doctest/doctest.h>

#include <duet/http/accept_encoding.hpp>

#include <array>

using namespace duet::http;

namespace {
constexpr std::array<content_coding, 2> gzip_deflate{content_coding::gzip, content_coding::deflate};
content_coding pick(std::string_view header) { return negotiate_encoding(header, gzip_deflate); }
}  // namespace

TEST_CASE("accept-encoding: the common headers") {
    CHECK(pick("gzip, deflate, br") == content_coding::gzip);      // browsers
    CHECK(pick("gzip, deflate") == content_coding::gzip);          // Node fetch, curl --compressed
    CHECK(pick("deflate, gzip") == content_coding::deflate);       // the header's order on equal q
    CHECK(pick("deflate") == content_coding::deflate);
    CHECK(pick("br") == content_coding::identity);
    CHECK(pick("") == content_coding::identity);                   // no header: no coding
    CHECK(pick("identity") == content_coding::identity);
    CHECK(pick("*") == content_coding::gzip);                       // any: the server's first
    CHECK(pick("GZIP") == content_coding::gzip);                    // names are case-insensitive
}

TEST_CASE("accept-encoding: qualities") {
    CHECK(pick("gzip;q=0.5, deflate") == content_coding::deflate);
    CHECK(pick("gzip;q=0.5, deflate;q=0.8") == content_coding::deflate);
    CHECK(pick("gzip;q=0, deflate;q=0") == content_coding::identity);
    CHECK(pick("gzip;q=0") == content_coding::identity);
    CHECK(pick("*;q=0") == content_coding::identity);
    CHECK(pick("gzip;q=0, *") == content_coding::deflate);          // the name beats "*"
    CHECK(pick("*, gzip;q=0.1") == content_coding::deflate);        // gzip's own entry rules it
    CHECK(pick("gzip ; q=0.9 , deflate ; q=1.0") == content_coding::deflate);  // spaces
    CHECK(pick("gzip;q=0.001") == content_coding::gzip);
    CHECK(pick("gzip;q=abc, deflate;q=0.1") == content_coding::deflate);  // an unreadable q refuses
    CHECK(pick("gzip;level=1") == content_coding::gzip);             // other parameters ignored
}

TEST_CASE("accept-encoding: junk does not confuse it") {
    CHECK(pick(",,, ,gzip,,") == content_coding::gzip);
    CHECK(pick(";;;") == content_coding::identity);
    CHECK(pick("gzipx, xgzip, gzi") == content_coding::identity);
    CHECK(pick("gzip;q=") == content_coding::identity);
    static_assert(negotiate_encoding("deflate", gzip_deflate) == content_coding::deflate);
    CHECK(coding_name(content_coding::gzip) == "gzip");
}

// npm compression 1.8 asks negotiator 0.6.4 for one of br, gzip, deflate, identity,
// preferring br then gzip on equal quality; the values below were read from it.
TEST_CASE("accept-encoding: with identity offered and a preference (npm compression)") {
    static constexpr std::array<content_coding, 4> all{content_coding::br, content_coding::gzip, content_coding::deflate,
                                                       content_coding::identity};
    static constexpr std::array<content_coding, 2> preferred{content_coding::br, content_coding::gzip};
    auto choose = [](std::string_view h) { return negotiate_encoding(h, all, preferred); };
    CHECK(choose("gzip, deflate, br") == content_coding::br);
    CHECK(choose("gzip, deflate") == content_coding::gzip);
    CHECK(choose("deflate, gzip") == content_coding::gzip);  // the preference beats the header's order
    CHECK(choose("deflate") == content_coding::deflate);
    CHECK(choose("br") == content_coding::br);
    CHECK(choose("") == content_coding::identity);
    CHECK(choose("identity") == content_coding::identity);
    CHECK(choose("*") == content_coding::br);
    CHECK(choose("gzip;q=0.5") == content_coding::gzip);              // identity implied at 0.5: gzip preferred
    CHECK(choose("gzip;q=0.5, identity") == content_coding::identity);
    CHECK(choose("deflate;q=0.5, gzip;q=0.2") == content_coding::deflate);
    CHECK(choose("br;q=0.9, gzip") == content_coding::gzip);
    CHECK(choose("gzip;q=0, deflate;q=0") == content_coding::identity);
    CHECK(choose("identity;q=0") == content_coding::identity);       // nothing acceptable: sent as is
    CHECK(choose("x-foo") == content_coding::identity);
    CHECK(choose("gzip;q=0.5, br;q=0.5") == content_coding::br);
    CHECK(choose("deflate, br;q=0.8") == content_coding::deflate);
    CHECK(choose("gzip; q= 0.5, identity;q=0.4") == content_coding::gzip);  // parseFloat skips the blank
}
