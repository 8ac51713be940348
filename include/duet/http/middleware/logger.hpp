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
// value that is missing or empty is "-". Every text value is escaped as morgan 1.12's
// escapeLogField does (control characters, '"', '\\' — a header cannot forge a line),
// and header bytes from 0x80 are written as Node writes its latin1 header strings. `.skip(req, res)` returning true leaves the request out.
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
#include <duet/core/utf8.hpp>
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

// morgan 1.12's escapeLogField for one character (a code point below U+0100 or
// U+2028/U+2029): what a line-oriented log must not carry raw — a newline forging a
// second line, a quote closing a field.
inline bool append_escaped(std::string& out, unsigned cp) {
    switch (cp) {
        case '\\': out.append("\\\\"); return true;
        case '"': out.append("\\\""); return true;
        case '\b': out.append("\\b"); return true;
        case '\f': out.append("\\f"); return true;
        case '\n': out.append("\\n"); return true;
        case '\r': out.append("\\r"); return true;
        case '\t': out.append("\\t"); return true;
        default: break;
    }
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", cp);
        out.append(buf, 6);
        return true;
    }
    return false;
}

// A value Node holds as a latin1 string (the URL, header values: one code unit per
// byte), escaped, and written as Node writes that string: bytes from 0xA0 as the
// UTF-8 of the same code point.
inline void append_field_latin1(std::string& out, std::string_view bytes) {
    for (unsigned char c : bytes) {
        if (append_escaped(out, c)) continue;
        if (c < 0x80) out.push_back(static_cast<char>(c));
        else append_latin1_as_utf8(out, std::string_view(reinterpret_cast<const char*>(&c), 1));
    }
}

// UTF-8 text (a Basic user name, which basic-auth decodes as UTF-8), escaped.
inline void append_field_utf8(std::string& out, std::string_view bytes) {
    std::string text;
    append_utf8_replacing(text, bytes);
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;  // well-formed after the repair
        unsigned cp = c;
        if (len == 2) cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3Fu);
        if (len == 3)
            cp = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(text[i + 1]) & 0x3Fu) << 6) |
                 (static_cast<unsigned char>(text[i + 2]) & 0x3Fu);
        if (len == 4 || !append_escaped(out, cp)) out.append(text, i, len);
        i += len;
    }
}

// morgan's `(token || "-")`: an absent or empty value is "-".
inline void append_or_dash(std::string& out, std::optional<std::string_view> v) {
    if (v && !v->empty()) append_field_latin1(out, *v);
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
        if (u && !u->empty()) append_field_utf8(out, *u);
        else out.push_back('-');
    };
    const auto url = [&] { append_or_dash(out, req.url()); };
    switch (format) {
        case log_format::combined:
        case log_format::common:
            out.append(req.ip()).append(" - ");
            user();
            out.append(" [");
            append_clf_date(out, now);
            out.append("] \"").append(req.method_string()).push_back(' ');
            url();
            out.append(" HTTP/");
            version();
            out.append("\" ");
            status();
            out.push_back(' ');
            length();
            if (format == log_format::combined) {
                out.append(" \"");
                auto referrer = req.header("referer");
                if (!referrer || referrer->empty()) referrer = req.header("referrer");
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
            url();
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
            url();
            out.append(" \x1b[").append(std::to_string(color)).push_back('m');
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
