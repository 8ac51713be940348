// duet/http/request_parser.hpp — incremental HTTP/1.1 request parsing on llhttp.
//
// Owns: turning the bytes of one connection's read buffer into request heads and
// bodies, one request at a time, and enforcing the header/body limits while doing so.
// Sans-IO: the caller owns the buffer and feeds `[pos, end)`; nothing here reads a
// socket, so unit tests and fuzzers drive it with plain byte strings.
//
// Zero-copy heads: llhttp reports URL, header names and values as pointers into the
// buffer we passed. We store them as offsets *relative to the start of the current
// message*, so the caller may move the unparsed tail of its buffer (compaction or
// growth) between reads without invalidating them, as long as the bytes from the
// message start up to the end of the head move together. Bodies are copied into a
// reusable string, because chunked framing interleaves chunk sizes with data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <llhttp.h>

#include <duet/http/ascii.hpp>
#include <duet/http/options.hpp>

namespace duet::http {

enum class method : std::uint8_t { get, head, post, put, patch, delete_, options, other };

inline constexpr std::string_view method_name(method m) noexcept {
    switch (m) {
        case method::get: return "GET";
        case method::head: return "HEAD";
        case method::post: return "POST";
        case method::put: return "PUT";
        case method::patch: return "PATCH";
        case method::delete_: return "DELETE";
        case method::options: return "OPTIONS";
        case method::other: break;
    }
    return "OTHER";
}

// One header field: offsets relative to the message start.
struct header_slot {
    std::uint32_t name_off, name_len, value_off, value_len;
};

class request_parser {
public:
    enum class result {
        need_more,        // everything given was consumed; read more bytes
        expect_continue,  // headers done, client waits for "100 Continue" before the body
        request_ready,    // a whole request (head + body) is available
        error,            // malformed or over a limit: answer error_status() and close
    };

    const limits& request_limits() const noexcept { return *limits_; }

    explicit request_parser(const limits& l) : limits_(&l) {
        llhttp_init(&parser_, HTTP_REQUEST, &settings());
        parser_.data = this;
        headers_.reserve(32);
    }
    request_parser(const request_parser&) = delete;
    request_parser& operator=(const request_parser&) = delete;

    // Parses from `base + pos` up to `base + end`; advances `pos` past what llhttp
    // consumed. After `request_ready` call `next()` before parsing again.
    result parse(const char* base, std::size_t& pos, std::size_t end) {
        if (after_upgrade_) {
            // What follows an Upgrade request is another protocol's bytes, never HTTP.
            if (pos == end) return result::need_more;
            return fail(400, "Bad Request");
        }
        if (!in_message_) {
            if (pos == end) return result::need_more;  // no byte of a next request yet
            start_message(pos);
        }
        base_ = base;
        const char* begin = base + pos;
        llhttp_errno_t err = llhttp_execute(&parser_, begin, end - pos);
        switch (err) {
            case HPE_OK:
                pos = end;
                if (!headers_done_ && end - msg_start_ > limits_->max_header_bytes)
                    return fail(431, "Request Header Fields Too Large");
                return result::need_more;
            case HPE_PAUSED:
            case HPE_PAUSED_UPGRADE:
                pos = static_cast<std::size_t>(llhttp_get_error_pos(&parser_) - base);
                if (message_done_) return result::request_ready;
                // Paused in on_headers_complete for Expect: 100-continue.
                return result::expect_continue;
            default:
                if (error_status_ == 0) error_status_ = 400;
                pos = end;
                return result::error;
        }
    }

    // Continues after `expect_continue` (the caller has written "100 Continue").
    void resume() noexcept { llhttp_resume(&parser_); }

    // Prepares for the next pipelined request on the same connection.
    void next() noexcept {
        in_message_ = false;
        if (upgrade_) after_upgrade_ = true;
        else llhttp_resume(&parser_);
    }

    // The caller moved the bytes of the current message `shift` bytes towards the
    // buffer start.
    void rebase(std::size_t shift) noexcept { msg_start_ -= shift; }

    // ----- the current message (valid from headers complete until next()) -----
    bool in_message() const noexcept { return in_message_; }
    bool headers_done() const noexcept { return headers_done_; }
    std::size_t message_start() const noexcept { return msg_start_; }
    std::size_t head_size() const noexcept { return head_end_; }
    http::method method() const noexcept { return method_; }
    std::string_view method_string() const noexcept {
        return llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
    }
    std::string_view url(const char* base) const noexcept {
        return {base + msg_start_ + url_off_, url_len_};
    }
    const std::vector<header_slot>& headers() const noexcept { return headers_; }
    std::string& body() noexcept { return body_; }
    const std::string& body() const noexcept { return body_; }
    unsigned http_major() const noexcept { return parser_.http_major; }
    unsigned http_minor() const noexcept { return parser_.http_minor; }
    bool keep_alive() const noexcept { return keep_alive_; }
    bool upgrade() const noexcept { return upgrade_; }
    bool expects_continue() const noexcept { return expect_continue_; }

    int error_status() const noexcept { return error_status_; }
    std::string_view error_reason() const noexcept { return error_reason_; }

private:
    void start_message(std::size_t pos) noexcept {
        in_message_ = true;
        headers_done_ = false;
        message_done_ = false;
        in_value_ = false;
        field_done_ = false;
        upgrade_ = false;
        expect_continue_ = false;
        keep_alive_ = false;
        msg_start_ = pos;
        url_off_ = url_len_ = 0;
        head_end_ = 0;
        headers_.clear();
        body_.clear();
    }

    result fail(int status, const char* reason) noexcept {
        error_status_ = status;
        error_reason_ = reason;
        return result::error;
    }

    int user_error(int status, const char* reason) noexcept {
        error_status_ = status;
        error_reason_ = reason;
        return -1;
    }

    std::uint32_t offset_of(const char* at) const noexcept {
        return static_cast<std::uint32_t>(at - (base_ + msg_start_));
    }

    // Head bytes so far; checked on every piece so that one huge read cannot slip a
    // head past the limit before the buffer-level check runs.
    int note_head_end(const char* at, std::size_t len) noexcept {
        head_end_ = offset_of(at) + len;
        if (head_end_ > limits_->max_header_bytes)
            return user_error(431, "Request Header Fields Too Large");
        return 0;
    }

    static request_parser& self(llhttp_t* p) noexcept { return *static_cast<request_parser*>(p->data); }

    static int on_url(llhttp_t* p, const char* at, std::size_t len) {
        auto& s = self(p);
        if (s.url_len_ == 0) s.url_off_ = s.offset_of(at);
        s.url_len_ += static_cast<std::uint32_t>(len);  // pieces are contiguous in the buffer
        return s.note_head_end(at, len);
    }

    static int on_header_field(llhttp_t* p, const char* at, std::size_t len) {
        auto& s = self(p);
        if (s.in_value_ || s.headers_.empty() || s.field_done_) {
            if (s.headers_.size() >= s.limits_->max_header_count)
                return s.user_error(431, "Request Header Fields Too Large");
            s.headers_.push_back({s.offset_of(at), 0, 0, 0});
            s.in_value_ = false;
            s.field_done_ = false;
        }
        s.headers_.back().name_len += static_cast<std::uint32_t>(len);
        return s.note_head_end(at, len);
    }

    static int on_header_field_complete(llhttp_t* p) {
        self(p).field_done_ = true;
        return 0;
    }

    static int on_header_value(llhttp_t* p, const char* at, std::size_t len) {
        auto& s = self(p);
        auto& h = s.headers_.back();
        if (!s.in_value_) {
            h.value_off = s.offset_of(at);
            s.in_value_ = true;
        }
        h.value_len += static_cast<std::uint32_t>(len);
        return s.note_head_end(at, len);
    }

    static int on_header_value_complete(llhttp_t* p) {
        auto& s = self(p);
        // A field with an empty value gets no on_header_value call.
        if (!s.in_value_) {
            s.headers_.back().value_off = s.headers_.back().name_off + s.headers_.back().name_len;
            s.in_value_ = true;
        }
        // llhttp leaves trailing OWS in the value: trim it here, once.
        auto& h = s.headers_.back();
        const char* v = s.base_ + s.msg_start_ + h.value_off;
        while (h.value_len && (v[h.value_len - 1] == ' ' || v[h.value_len - 1] == '\t')) --h.value_len;
        return 0;
    }

    static bool header_is(const request_parser& s, const header_slot& h, std::string_view name) {
        if (h.name_len != name.size()) return false;
        const char* n = s.base_ + s.msg_start_ + h.name_off;
        for (std::size_t i = 0; i < name.size(); ++i)
            if ((n[i] | 0x20) != name[i]) return false;
        return true;
    }

    static int on_headers_complete(llhttp_t* p) {
        auto& s = self(p);
        s.headers_done_ = true;
        s.keep_alive_ = llhttp_should_keep_alive(p) != 0;
        switch (p->method) {
            case HTTP_GET: s.method_ = method::get; break;
            case HTTP_HEAD: s.method_ = method::head; break;
            case HTTP_POST: s.method_ = method::post; break;
            case HTTP_PUT: s.method_ = method::put; break;
            case HTTP_PATCH: s.method_ = method::patch; break;
            case HTTP_DELETE: s.method_ = method::delete_; break;
            case HTTP_OPTIONS: s.method_ = method::options; break;
            default: s.method_ = method::other; break;
        }
        const bool has_length = (p->flags & F_CONTENT_LENGTH) != 0;
        if (has_length && p->content_length > s.limits_->max_body_bytes)
            return s.user_error(413, "Payload Too Large");
        const bool has_body = (has_length && p->content_length > 0) || (p->flags & F_CHUNKED);
        if (has_body) {
            for (const auto& h : s.headers_) {
                if (header_is(s, h, "expect")) {
                    std::string_view v(s.base_ + s.msg_start_ + h.value_off, h.value_len);
                    if (ascii_iequals(v, "100-continue")) {
                        s.expect_continue_ = true;
                        return HPE_PAUSED;
                    }
                }
            }
            if (has_length) s.body_.reserve(static_cast<std::size_t>(p->content_length));
        }
        return 0;
    }

    static int on_body(llhttp_t* p, const char* at, std::size_t len) {
        auto& s = self(p);
        if (s.body_.size() + len > s.limits_->max_body_bytes)
            return s.user_error(413, "Payload Too Large");
        s.body_.append(at, len);
        return 0;
    }

    static int on_message_complete(llhttp_t* p) {
        auto& s = self(p);
        s.message_done_ = true;
        s.upgrade_ = p->upgrade != 0;
        return HPE_PAUSED;  // one request at a time: the caller answers it, then next()
    }

    static const llhttp_settings_t& settings() noexcept {
        static const llhttp_settings_t s = [] {
            llhttp_settings_t v;
            llhttp_settings_init(&v);
            v.on_url = &on_url;
            v.on_header_field = &on_header_field;
            v.on_header_field_complete = &on_header_field_complete;
            v.on_header_value = &on_header_value;
            v.on_header_value_complete = &on_header_value_complete;
            v.on_headers_complete = &on_headers_complete;
            v.on_body = &on_body;
            v.on_message_complete = &on_message_complete;
            return v;
        }();
        return s;
    }

    llhttp_t parser_{};
    const limits* limits_;
    const char* base_ = nullptr;
    std::size_t msg_start_ = 0;
    std::uint32_t url_off_ = 0, url_len_ = 0;
    std::size_t head_end_ = 0;
    std::vector<header_slot> headers_;
    std::string body_;
    http::method method_ = method::other;
    bool in_message_ = false;
    bool headers_done_ = false;
    bool message_done_ = false;
    bool in_value_ = false;
    bool field_done_ = false;
    bool upgrade_ = false;
    bool after_upgrade_ = false;
    bool expect_continue_ = false;
    bool keep_alive_ = false;
    int error_status_ = 0;
    const char* error_reason_ = "Bad Request";
};

}  // namespace duet::http
