// duet/core/log.hpp — where the server reports what it cannot answer to anyone.
//
// Owns: the log sink (a plain function pointer the application may replace) and the
// levels. Used for dropped slow consumers, handler exceptions, accept failures: the
// events the error policy says must never be silent. Not on any hot path.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace duet {

enum class log_level { debug, info, warn, error };

using log_sink = void (*)(log_level, std::string_view);

inline void default_log_sink(log_level level, std::string_view msg) {
    static constexpr const char* names[] = {"debug", "info", "warn", "error"};
    std::fprintf(stderr, "duet %s: %.*s\n", names[static_cast<int>(level)], static_cast<int>(msg.size()), msg.data());
}

namespace detail {
inline log_sink& current_sink() {
    static log_sink sink = &default_log_sink;
    return sink;
}
inline log_level& current_level() {
    static log_level level = log_level::info;
    return level;
}
}  // namespace detail

// Replaces the sink (nullptr silences duet) and the lowest level passed to it.
inline void set_log_sink(log_sink sink, log_level min_level = log_level::info) {
    detail::current_sink() = sink;
    detail::current_level() = min_level;
}

inline void log(log_level level, std::string_view msg) {
    if (auto sink = detail::current_sink(); sink && level >= detail::current_level()) sink(level, msg);
}

}  // namespace duet
