// duet/http/http_date.hpp — HTTP dates (RFC 9110 5.6.7): format and parse.
//
// Owns: writing IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, always 29 bytes) for
// the Date, Last-Modified and Expires headers, and reading the three formats a
// recipient must accept (IMF-fixdate, RFC 850, asctime) for If-Modified-Since,
// If-Unmodified-Since and If-Range.
//
// Hand-written on purpose: strftime/strptime consult the C locale (a German locale
// prints "So, 06 Nov"), gmtime_r may take a lock for the timezone, and neither is
// constexpr. Here a date is days-from-civil arithmetic (exact for the proleptic
// Gregorian calendar) plus a few table lookups; `unix seconds` is the only currency.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <duet/http/ascii.hpp>

namespace duet::http {

inline constexpr std::size_t http_date_size = 29;  // "Sun, 06 Nov 1994 08:49:37 GMT"

namespace detail {
inline constexpr std::string_view wday_names[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
inline constexpr std::string_view wday_long_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                        "Thursday", "Friday", "Saturday"};
inline constexpr std::string_view month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Days since 1970-01-01 of a proleptic Gregorian date (m 1..12, d 1..31). Eras of
// 400 years make the leap rule exact without a loop or a table.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);                     // [0, 399]
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;      // [0, 365]
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;               // [0, 146096]
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil_date {
    std::int64_t year;
    unsigned month;  // 1..12
    unsigned day;    // 1..31
};

constexpr civil_date civil_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

constexpr bool is_leap(std::int64_t y) noexcept {
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
    constexpr unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

// IMF-fixdate has a 4-digit year; times outside years 0001..9999 are clamped.
inline constexpr std::int64_t http_date_min = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr std::int64_t http_date_max = 253402300799;  // 9999-12-31T23:59:59Z

constexpr char* put2(char* o, unsigned v) noexcept {
    o[0] = static_cast<char>('0' + v / 10);
    o[1] = static_cast<char>('0' + v % 10);
    return o + 2;
}

constexpr char* put3(char* o, std::string_view s) noexcept {
    o[0] = s[0];
    o[1] = s[1];
    o[2] = s[2];
    return o + 3;
}

// Reads exactly `n` ASCII digits; -1 if any is not a digit.
constexpr int digits(std::string_view s, std::size_t pos, std::size_t n) noexcept {
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[pos + i];
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

// 1..12 for a month abbreviation (case-insensitive), 0 otherwise.
constexpr unsigned month_index(std::string_view s) noexcept {
    for (unsigned i = 0; i < 12; ++i)
        if (ascii_iequals(s, month_names[i])) return i + 1;
    return 0;
}

constexpr bool is_wday(std::string_view s) noexcept {
    for (auto w : wday_names)
        if (ascii_iequals(s, w)) return true;
    return false;
}

constexpr bool is_wday_long(std::string_view s) noexcept {
    for (auto w : wday_long_names)
        if (ascii_iequals(s, w)) return true;
    return false;
}

// "HH:MM:SS" at `pos` -> seconds into the day, -1 if malformed or out of range.
// Second 60 is accepted (RFC 9110 allows a leap second) and counts as 60.
constexpr std::int64_t time_of_day(std::string_view s, std::size_t pos) noexcept {
    if (s[pos + 2] != ':' || s[pos + 5] != ':') return -1;
    const int h = digits(s, pos, 2), m = digits(s, pos + 3, 2), sec = digits(s, pos + 6, 2);
    if (h < 0 || m < 0 || sec < 0 || h > 23 || m > 59 || sec > 60) return -1;
    return h * 3600 + m * 60 + sec;
}

constexpr std::optional<std::int64_t> assemble(std::int64_t y, unsigned mon, int day,
                                               std::int64_t tod) noexcept {
    if (mon == 0 || day < 1 || tod < 0) return std::nullopt;
    if (static_cast<unsigned>(day) > days_in_month(y, mon)) return std::nullopt;
    return days_from_civil(y, mon, static_cast<unsigned>(day)) * 86400 + tod;
}
}  // namespace detail

// Writes the IMF-fixdate of `unix_seconds` to out[0..29) (no terminating NUL) and
// returns out + 29. The weekday is computed, never trusted from input.
constexpr char* format_http_date(char* out, std::int64_t unix_seconds) noexcept {
    if (unix_seconds < detail::http_date_min) unix_seconds = detail::http_date_min;
    if (unix_seconds > detail::http_date_max) unix_seconds = detail::http_date_max;
    // Floor division: a negative time belongs to the day that starts before it.
    std::int64_t days = unix_seconds / 86400;
    std::int64_t secs = unix_seconds % 86400;
    if (secs < 0) {
        secs += 86400;
        --days;
    }
    const auto c = detail::civil_from_days(days);
    std::int64_t wd = (days + 4) % 7;  // 1970-01-01 was a Thursday
    if (wd < 0) wd += 7;

    char* o = out;
    o = detail::put3(o, detail::wday_names[wd]);
    *o++ = ',';
    *o++ = ' ';
    o = detail::put2(o, c.day);
    *o++ = ' ';
    o = detail::put3(o, detail::month_names[c.month - 1]);
    *o++ = ' ';
    const auto y = static_cast<unsigned>(c.year);
    o = detail::put2(o, y / 100);
    o = detail::put2(o, y % 100);
    *o++ = ' ';
    const auto s = static_cast<unsigned>(secs);
    o = detail::put2(o, s / 3600);
    *o++ = ':';
    o = detail::put2(o, s / 60 % 60);
    *o++ = ':';
    o = detail::put2(o, s % 60);
    *o++ = ' ';
    *o++ = 'G';
    *o++ = 'M';
    *o++ = 'T';
    return o;
}

// A formatted date by value: no allocation, usable as a string_view.
struct http_date_buffer {
    std::array<char, http_date_size> chars{};
    constexpr std::string_view view() const noexcept { return {chars.data(), chars.size()}; }
};

constexpr http_date_buffer format_http_date(std::int64_t unix_seconds) noexcept {
    http_date_buffer b;
    format_http_date(b.chars.data(), unix_seconds);
    return b;
}

// Seconds since the epoch, rounded toward the past (JavaScript's toUTCString drops
// milliseconds the same way).
inline std::int64_t to_unix_seconds(std::chrono::system_clock::time_point tp) noexcept {
    return std::chrono::floor<std::chrono::seconds>(tp).time_since_epoch().count();
}

inline http_date_buffer format_http_date(std::chrono::system_clock::time_point tp) noexcept {
    return format_http_date(to_unix_seconds(tp));
}

inline void http_date_append(std::string& out, std::int64_t unix_seconds) {
    const std::size_t start = out.size();
    out.resize(start + http_date_size);
    format_http_date(out.data() + start, unix_seconds);
}

inline void http_date_append(std::string& out, std::chrono::system_clock::time_point tp) {
    http_date_append(out, to_unix_seconds(tp));
}

// The once-a-second Date header: re-formats only when the second changes. The clock
// stays with the caller (one cache per shard/thread; not synchronised).
class http_date_cache {
public:
    std::string_view get(std::int64_t unix_seconds) noexcept {
        if (unix_seconds != last_) {
            last_ = unix_seconds;
            format_http_date(buf_.chars.data(), unix_seconds);
        }
        return buf_.view();
    }
    std::string_view get(std::chrono::system_clock::time_point tp) noexcept {
        return get(to_unix_seconds(tp));
    }

private:
    std::int64_t last_ = INT64_MIN;
    http_date_buffer buf_{};
};

// Parses an HTTP date into seconds since the epoch; nullopt if it is none of:
//   IMF-fixdate  Sun, 06 Nov 1994 08:49:37 GMT
//   RFC 850      Sunday, 06-Nov-94 08:49:37 GMT
//   asctime      Sun Nov  6 08:49:37 1994        (day may also be "06")
// Leniency, deliberately limited: surrounding OWS is ignored, day and month names
// are matched case-insensitively, and the weekday name must be a real one but is not
// checked against the date (nginx and Node do not check it either). Impossible
// dates (Feb 30, hour 24) are rejected. RFC 850's two-digit year is read as
// 1970..2069 (00-69 -> 20xx), a fixed pivot instead of RFC 9110's "50 years from
// now" so that the result does not depend on the clock.
constexpr std::optional<std::int64_t> parse_http_date(std::string_view s) noexcept {
    s = trim_ows(s);
    if (s.size() == 29 && s[3] == ',') {  // IMF-fixdate
        if (!detail::is_wday(s.substr(0, 3)) || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
            s[16] != ' ' || s[25] != ' ' || s.substr(26) != "GMT")
            return std::nullopt;
        const int day = detail::digits(s, 5, 2);
        const int year = detail::digits(s, 12, 4);
        if (year < 0) return std::nullopt;
        return detail::assemble(year, detail::month_index(s.substr(8, 3)), day,
                                detail::time_of_day(s, 17));
    }
    if (s.size() == 24 && s[3] == ' ') {  // asctime
        if (!detail::is_wday(s.substr(0, 3)) || s[7] != ' ' || s[10] != ' ' || s[19] != ' ')
            return std::nullopt;
        int day;
        if (s[8] == ' ') day = detail::digits(s, 9, 1);
        else day = detail::digits(s, 8, 2);
        const int year = detail::digits(s, 20, 4);
        if (year < 0) return std::nullopt;
        return detail::assemble(year, detail::month_index(s.substr(4, 3)), day,
                                detail::time_of_day(s, 11));
    }
    // RFC 850: the long weekday name, then exactly ", DD-Mon-YY HH:MM:SS GMT".
    const std::size_t comma = s.find(',');
    if (comma == std::string_view::npos || s.size() - comma != 24) return std::nullopt;
    if (!detail::is_wday_long(s.substr(0, comma))) return std::nullopt;
    const std::string_view r = s.substr(comma);  // ", 06-Nov-94 08:49:37 GMT"
    if (r[1] != ' ' || r[4] != '-' || r[8] != '-' || r[11] != ' ' || r[20] != ' ' ||
        r.substr(21) != "GMT")
        return std::nullopt;
    const int day = detail::digits(r, 2, 2);
    const int yy = detail::digits(r, 9, 2);
    if (yy < 0) return std::nullopt;
    return detail::assemble(yy < 70 ? 2000 + yy : 1900 + yy, detail::month_index(r.substr(5, 3)),
                            day, detail::time_of_day(r, 12));
}

}  // namespace duet::http
