// Tests for duet/http/http_date.hpp: IMF-fixdate formatting and HTTP date parsing.
// Expected strings are JavaScript's Date#toUTCString (what Express writes).
#include <doctest/doctest.h>

#include <duet/http/http_date.hpp>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <limits>
#include <string>
#include <string_view>

using namespace std::string_view_literals;
namespace http = duet::http;

namespace {
std::string fmt(std::int64_t t) { return std::string(http::format_http_date(t).view()); }
}  // namespace

TEST_CASE("format_http_date matches toUTCString") {
    CHECK(fmt(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(fmt(-1) == "Wed, 31 Dec 1969 23:59:59 GMT");
    CHECK(fmt(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(fmt(1445412480) == "Wed, 21 Oct 2015 07:28:00 GMT");
    CHECK(fmt(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");  // 2000 is a leap year
    CHECK(fmt(951868800) == "Wed, 01 Mar 2000 00:00:00 GMT");
    CHECK(fmt(4107456000) == "Sun, 28 Feb 2100 00:00:00 GMT");  // 2100 is not
    CHECK(fmt(4107542400) == "Mon, 01 Mar 2100 00:00:00 GMT");
    CHECK(fmt(1700000000) == "Tue, 14 Nov 2023 22:13:20 GMT");
    CHECK(fmt(-2207520000) == "Thu, 18 Jan 1900 00:00:00 GMT");
    CHECK(fmt(253402300799) == "Fri, 31 Dec 9999 23:59:59 GMT");
    CHECK(fmt(-62135596800) == "Mon, 01 Jan 0001 00:00:00 GMT");
    static_assert(http::format_http_date(784111777).view() == "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST_CASE("format_http_date clamps out-of-range times instead of overflowing") {
    CHECK(fmt(253402300800) == "Fri, 31 Dec 9999 23:59:59 GMT");
    CHECK(fmt(std::numeric_limits<std::int64_t>::max()) == "Fri, 31 Dec 9999 23:59:59 GMT");
    CHECK(fmt(std::numeric_limits<std::int64_t>::min()) == "Mon, 01 Jan 0001 00:00:00 GMT");
    CHECK(fmt(-62135596801) == "Mon, 01 Jan 0001 00:00:00 GMT");
}

TEST_CASE("format agrees with gmtime/strftime (C locale) across centuries") {
    char expect[64];
    // Every ~9.7 days from 1901 to 2038 plus odd second offsets: walks through every
    // month, leap and non-leap years and all weekdays.
    for (std::int64_t t = -2145916800; t < 2145916800; t += 838861 + 17) {
        std::time_t tt = static_cast<std::time_t>(t);
        std::tm tm{};
        REQUIRE(gmtime_r(&tt, &tm) != nullptr);
        REQUIRE(std::strftime(expect, sizeof expect, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 29);
        const auto got = http::format_http_date(t);
        if (got.view() != std::string_view(expect, 29)) {
            CAPTURE(t);
            CHECK(got.view() == std::string_view(expect, 29));
            break;
        }
        // And it parses back to the same second.
        if (http::parse_http_date(got.view()) != t) {
            CAPTURE(t);
            CHECK(http::parse_http_date(got.view()) == t);
            break;
        }
    }
}

TEST_CASE("time_point overloads, append and the per-second cache") {
    using namespace std::chrono;
    const system_clock::time_point tp = system_clock::time_point{} + seconds(784111777) + milliseconds(999);
    CHECK(http::format_http_date(tp).view() == "Sun, 06 Nov 1994 08:49:37 GMT");  // ms dropped
    const system_clock::time_point before = system_clock::time_point{} - milliseconds(1);
    CHECK(http::format_http_date(before).view() == "Wed, 31 Dec 1969 23:59:59 GMT");  // floor, not truncation

    std::string out = "Date: ";
    http::http_date_append(out, 0);
    CHECK(out == "Date: Thu, 01 Jan 1970 00:00:00 GMT");
    out.clear();
    http::http_date_append(out, tp);
    CHECK(out == "Sun, 06 Nov 1994 08:49:37 GMT");

    http::http_date_cache cache;
    const std::string_view a = cache.get(std::int64_t{0});
    CHECK(a == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(cache.get(std::int64_t{0}).data() == a.data());  // same buffer, no re-format
    CHECK(cache.get(std::int64_t{1}) == "Thu, 01 Jan 1970 00:00:01 GMT");
    CHECK(cache.get(tp) == "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST_CASE("parse the three formats of RFC 9110") {
    CHECK(http::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
    CHECK(http::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777);
    CHECK(http::parse_http_date("Sun Nov  6 08:49:37 1994") == 784111777);
    CHECK(http::parse_http_date("Sun Nov 06 08:49:37 1994") == 784111777);
    CHECK(http::parse_http_date("Wednesday, 21-Oct-15 07:28:00 GMT") == 1445412480);
    // RFC 850 two-digit years: 00-69 -> 20xx, 70-99 -> 19xx.
    CHECK(http::parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT") == 0);
    CHECK(http::parse_http_date("Friday, 31-Dec-99 23:59:59 GMT") == 946684799);
    CHECK(http::parse_http_date("Tuesday, 01-Jan-69 00:00:00 GMT") == 3124224000);
    // Surrounding OWS and name case are tolerated.
    CHECK(http::parse_http_date("  Sun, 06 Nov 1994 08:49:37 GMT\t") == 784111777);
    CHECK(http::parse_http_date("sun, 06 NOV 1994 08:49:37 GMT") == 784111777);
    // Leap day and leap second.
    CHECK(http::parse_http_date("Thu, 29 Feb 2024 12:00:00 GMT") == 1709208000);
    CHECK(http::parse_http_date("Wed, 31 Dec 1969 23:59:60 GMT") == 0);
    // The weekday is not cross-checked (nor by Node or nginx).
    CHECK(http::parse_http_date("Mon, 06 Nov 1994 08:49:37 GMT") == 784111777);
    static_assert(*http::parse_http_date("Thu, 01 Jan 1970 00:00:01 GMT") == 1);
}

TEST_CASE("parse rejects broken, truncated and impossible dates") {
    for (std::string_view bad : {
             ""sv,
             "   "sv,
             "Sun, 06 Nov 1994 08:49:37"sv,           // truncated
             "Sun, 06 Nov 1994 08:49:37 GM"sv,
             "Sun, 06 Nov 1994 08:49:37 UTC"sv,       // only GMT
             "Sun, 06 Nov 1994 08:49:37 +0000"sv,
             "Sun, 6 Nov 1994 08:49:37 GMT"sv,        // IMF day is two digits
             "Sun, 06 Nov 94 08:49:37 GMT"sv,
             "Sun, 06 Nvm 1994 08:49:37 GMT"sv,       // bad month
             "Xyz, 06 Nov 1994 08:49:37 GMT"sv,       // bad weekday
             "Sun, 31 Nov 1994 08:49:37 GMT"sv,       // November has 30 days
             "Sun, 29 Feb 2100 08:49:37 GMT"sv,       // 2100 is not a leap year
             "Sun, 00 Nov 1994 08:49:37 GMT"sv,
             "Sun, 06 Nov 1994 24:00:00 GMT"sv,
             "Sun, 06 Nov 1994 08:60:00 GMT"sv,
             "Sun, 06 Nov 1994 08:49:61 GMT"sv,
             "Sun, 06 Nov 1994 08-49-37 GMT"sv,
             "Sun, 06 Nov 19x4 08:49:37 GMT"sv,
             "Sun, -6 Nov 1994 08:49:37 GMT"sv,
             "Sun,\t06 Nov 1994 08:49:37 GMT"sv,
             "Sun, 06 Nov 1994 08:49:37 GMT; length=13774"sv,  // old IE suffix
             "Sun, 06 Nov 1994 08:49:37 GMT\r\n"sv,
             "Sun, 06 Nov 1994 0\0:49:37 GMT"sv,
             "Sun, 06 Nov 1994 08:49:37 G\xC3\x8D"sv,
             "Sunday, 06-Nov-1994 08:49:37 GMT"sv,     // RFC 850 has a 2-digit year
             "Sun, 06-Nov-94 08:49:37 GMT"sv,          // RFC 850 needs the long name
             "Sundae, 06-Nov-94 08:49:37 GMT"sv,
             "Sunday 06-Nov-94 08:49:37 GMT"sv,
             "Sunday, 06 Nov 94 08:49:37 GMT"sv,
             "Sun Nov  6 08:49:37 94"sv,               // asctime has a 4-digit year
             "Sun Nov 6 08:49:37 1994"sv,
             "Sun Nov  x 08:49:37 1994"sv,
             "Sun Nov 31 08:49:37 1994"sv,
             ","sv,
             "Wednesday,"sv,
             "1994-11-06T08:49:37Z"sv,
             "784111777"sv,
         }) {
        CAPTURE(bad);
        CHECK_FALSE(http::parse_http_date(bad).has_value());
    }
}
