// duet/http/date_line.hpp — the cached "Date: ...\r\n" header line.
//
// Owns: one formatted Date line per thread, re-formatted only when the wall-clock
// second it is asked for changes. The shard's tick keeps that second (runtime/shard.hpp
// `wall_second()`), so a response costs one compare and a 37-byte copy, not a clock
// read and a date format. Per thread, because each shard runs on its own thread.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <ctime>
#include <string_view>

#include <duet/http/http_date.hpp>

namespace duet::http {

class date_line_cache {
public:
    static constexpr std::size_t size = 8 + http_date_size;  // "Date: " + date + CRLF

    // "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n" for `second`.
    std::string_view line(std::time_t second) noexcept {
        if (second != second_ || !formatted_) {
            second_ = second;
            formatted_ = true;
            std::copy_n("Date: ", 6, line_.data());
            format_http_date(line_.data() + 6, static_cast<std::int64_t>(second));
            line_[6 + http_date_size] = '\r';
            line_[7 + http_date_size] = '\n';
        }
        return {line_.data(), line_.size()};
    }

private:
    std::time_t second_ = 0;
    bool formatted_ = false;
    std::array<char, size> line_{};
};

// This thread's Date line for `second`.
inline std::string_view date_line(std::time_t second) noexcept {
    thread_local date_line_cache cache;
    return cache.line(second);
}

}  // namespace duet::http
