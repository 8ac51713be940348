// duet/http/middleware/logger.hpp — one access-log line per request (morgan).
//
// Owns: `duet::logger(logger_options)`, the request logger Express apps mount first
// (npm morgan 1.10 to 1.12), with morgan's predefined formats written byte for byte:
//
//   combined  :remote-addr - :remote-user [:date[clf]] ":method :url HTTP/:http-version" :status :res[content-length] ":referrer" ":user-agent"
//   common    :remote-addr - :remote-user [:date[clf]] ":method :url HTTP/:http-version" :status :res[content-length]
//   short     :remote-addr :remote-user :method :url HTTP/:http-version :status :res[content-length] - :response-time ms
//   tiny      :method :url :status :res[content-length] - :response-time ms
//   dev       :method :url :status :response-time ms - :res[content-length], the status coloured
//             (5xx red, 4xx yellow, 3xx cyan, 2xx green)
//
//   duet::use(duet::logger({.format = duet::log_format::combined}))
//
// The line is written when the response has been written whole (morgan's default;
// `.immediate = true` logs on arrival, without status, length or time), to a file
// descriptor (stdout by default) with one write() per line, so lines from several
// shards never interleave. :remote-addr is req.ip() (trust_proxy applies, as Express's
// req.ip does for morgan); :remote-user the user of a Basic Authorization header;
// :url the target as sent (req.originalUrl); :date[clf] in UTC; :response-time the
// milliseconds from the logger's entry to the head going out, three decimals; a
// value that is missing is "-". `.skip(req, res)` returning true leaves the request out.
//
// Off by default: a line per request is the operator's choice, never the framework's.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include <duet/core/base64.hpp>
#include <duet/http/ascii.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/http/router.hpp>

namespace duet {

enum class log_format : std::uint8_t { combined, common, dev, short_, tiny };

struct logger_options {
    log_format format = log_format::combined;
    // Log when the request arrives instead of when its response is written.
    bool immediate = false;
    // Requests for which it returns true are not logged (morgan's skip).
    bool (*skip)(const http::request&, const http::response&) = nullptr;
    // Where the lines go (stdout by default).
    int fd = 1;
};

namespace http {
namespace access_log {

// The user of `Authorization: Basic <base64 user:pass>` (npm basic-auth), if any.
inline std::optional<std::string> basic_auth_user(std::string_view authorization) {
    std::string_view v = authorization;
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    if (!ascii_istarts_with(v, "basic ")) return std::nullopt;
    v.remove_prefix(6);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    auto decoded = base64::decode(v);
    if (!decoded) return std::nullopt;
    const std::size_t colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;
    decoded->resize(colon);
    return decoded;
}

// "08/Dec/2026:03:26:15 +0000"
inline void append_clf_date(std::string& out, std::time_t t) {
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buf[40];
    const int n = std::snprintf(buf, sizeof buf, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday, months[tm.tm_mon],
                                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (n > 0) out.append(buf, static_cast<std::size_t>(n));
}

inline void append_or_dash(std::string& out, std::optional<std::string_view> v) {
    if (v) out.append(*v);
    else out.push_back('-');
}

// What a line says about the answer; all absent for an immediate line.
struct outcome {
    std::optional<int> status;
    std::optional<std::uint64_t> content_length;
    std::optional<double> response_ms;
};

inline outcome outcome_of(const response& res) {
    outcome o;
    if (!res.head_sent()) return o;
    o.status = res.status();
    o.content_length = res.sent_content_length();
    o.response_ms = std::chrono::duration<double, std::milli>(res.head_written_at() - res.started()).count();
    return o;
}

// Appends one line (with its '\n') in `format`.
inline void append_line(std::string& out, log_format format, const request& req, const outcome& o, std::time_t now) {
    const auto status = [&] {
        if (o.status) out.append(std::to_string(*o.status));
        else out.push_back('-');
    };
    const auto length = [&] {
        if (o.content_length) out.append(std::to_string(*o.content_length));
        else out.push_back('-');
    };
    const auto time = [&] {
        if (!o.response_ms) {
            out.push_back('-');
            return;
        }
        char buf[32];
        const int n = std::snprintf(buf, sizeof buf, "%.3f", *o.response_ms);
        if (n > 0) out.append(buf, static_cast<std::size_t>(n));
    };
    const auto version = [&] {
        out.append(std::to_string(req.http_major())).push_back('.');
        out.append(std::to_string(req.http_minor()));
    };
    const auto user = [&] {
        const auto a = req.header("authorization");
        const auto u = a ? basic_auth_user(*a) : std::nullopt;
        if (u) out.append(*u);
        else out.push_back('-');
    };
    switch (format) {
        case log_format::combined:
        case log_format::common:
            out.append(req.ip()).append(" - ");
            user();
            out.append(" [");
            append_clf_date(out, now);
            out.append("] \"").append(req.method_string()).push_back(' ');
            out.append(req.url()).append(" HTTP/");
            version();
            out.append("\" ");
            status();
            out.push_back(' ');
            length();
            if (format == log_format::combined) {
                out.append(" \"");
                auto referrer = req.header("referer");
                if (!referrer) referrer = req.header("referrer");
                append_or_dash(out, referrer);
                out.append("\" \"");
                append_or_dash(out, req.header("user-agent"));
                out.push_back('"');
            }
            break;
        case log_format::short_:
        case log_format::tiny:
            if (format == log_format::short_) {
                out.append(req.ip()).push_back(' ');
                user();
                out.push_back(' ');
            }
            out.append(req.method_string()).push_back(' ');
            out.append(req.url());
            if (format == log_format::short_) {
                out.append(" HTTP/");
                version();
            }
            out.push_back(' ');
            status();
            out.push_back(' ');
            length();
            out.append(" - ");
            time();
            out.append(" ms");
            break;
        case log_format::dev: {
            const int s = o.status.value_or(0);
            const int color = s >= 500 ? 31 : s >= 400 ? 33 : s >= 300 ? 36 : s >= 200 ? 32 : 0;
            out.append("\x1b[0m").append(req.method_string()).push_back(' ');
            out.append(req.url()).append(" \x1b[").append(std::to_string(color)).push_back('m');
            status();
            out.append("\x1b[0m ");
            time();
            out.append(" ms - ");
            length();
            out.append("\x1b[0m");
            break;
        }
    }
    out.push_back('\n');
}

inline void write_line(int fd, const std::string& line) {
    std::string_view left = line;
    while (!left.empty()) {
        const ssize_t n = ::write(fd, left.data(), left.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // a closed log stream must not take the server down
        left.remove_prefix(static_cast<std::size_t>(n));
    }
}

inline void log_request(const logger_options& o, const request& req, const outcome& out) {
    thread_local std::string line;
    line.clear();
    append_line(line, o.format, req, out, std::time(nullptr));
    write_line(o.fd, line);
}

// response::finish_function for a finished response.
inline void on_finished(const void* options, const request& req, const response& res) {
    const auto& o = *static_cast<const logger_options*>(options);
    if (o.skip && o.skip(req, res)) return;
    log_request(o, req, outcome_of(res));
}

}  // namespace access_log

struct logger_middleware {
    // Public: the middleware is a structural type (a template argument of the table).
    logger_options options;

    void operator()(request& req, response& res) const {
        if (options.immediate) {
            if (!options.skip || !options.skip(req, res)) access_log::log_request(options, req, {});
            return;
        }
        res.on_finish(&access_log::on_finished, &options);
    }
};

}  // namespace http

constexpr http::logger_middleware logger(logger_options o = {}) { return http::logger_middleware{o}; }

}  // namespace duet
