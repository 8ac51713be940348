// duet/http/response.hpp — what a handler writes (Express's `res`).
//
// Owns: status, header lines, cookies, the body (text, bytes, JSON, user types),
// redirects and chunked streaming, and the serialisation of all that into the
// connection's output buffer. One response object lives per connection and is
// reset per request with its strings' capacity kept, so steady-state requests
// allocate nothing here.
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstddef>
#include <span>
#include <memory>
#include <optional>
#include <string>
#include <stdexcept>
#include <string_view>

#include <asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <duet/core/brotli.hpp>
#include <duet/core/json_traits.hpp>
#include <duet/core/json_writer.hpp>
#include <duet/core/zlib.hpp>
#include <duet/http/accept_encoding.hpp>
#include <duet/http/content_disposition.hpp>
#include <duet/http/ascii.hpp>
#include <duet/http/mime.hpp>
#include <duet/http/cookie.hpp>
#include <duet/http/etag.hpp>
#include <duet/http/percent.hpp>
#include <duet/http/status.hpp>

namespace duet::http {

using json::append_json;

class request;

class response {
public:
    // ----- status and headers -----
    response& status(int code) noexcept {
        status_ = code;
        return *this;
    }
    int status() const noexcept { return status_; }

    // Sets a header, replacing every earlier line of the same name.
    response& set(std::string_view name, std::string_view value) {
        if (is_content_type(name)) return type(value);
        remove(name);
        return append(name, value);
    }
    // Adds a header line, keeping earlier ones (Set-Cookie, Vary, ...).
    response& append(std::string_view name, std::string_view value) {
        if (is_content_type(name)) return type(value);  // a response has one Content-Type
        if (!valid_header(name, value)) throw std::invalid_argument("invalid header name or value");
        headers_.append(name).append(": ", 2).append(value).append("\r\n", 2);
        return *this;
    }
    // The first value of a header already set on this response.
    std::optional<std::string_view> get(std::string_view name) const noexcept {
        if (is_content_type(name)) {
            if (content_type_.empty()) return std::nullopt;
            return std::string_view(content_type_);
        }
        std::string_view all = headers_;
        while (!all.empty()) {
            auto eol = all.find("\r\n");
            std::string_view line = all.substr(0, eol);
            all.remove_prefix(eol + 2);
            auto colon = line.find(':');
            if (ascii_iequals(line.substr(0, colon), name)) return line.substr(colon + 2);
        }
        return std::nullopt;
    }
    // Removes every line of a header.
    response& remove(std::string_view name) {
        if (is_content_type(name)) {
            content_type_.clear();
            return *this;
        }
        std::size_t pos = 0;
        while (pos < headers_.size()) {
            auto eol = headers_.find("\r\n", pos);
            auto colon = headers_.find(':', pos);
            if (ascii_iequals(std::string_view(headers_).substr(pos, colon - pos), name)) {
                headers_.erase(pos, eol + 2 - pos);
            } else {
                pos = eol + 2;
            }
        }
        return *this;
    }
    // Adds `Vary: <fields>` unless a Vary line already names them all (Express's
    // res.vary). A separate line rather than a merged one: set() would drop other Vary
    // lines, and several Vary lines mean the same as one comma-joined list.
    response& vary(std::string_view fields) {
        if (const auto cur = get("Vary")) {
            if (trim_ows(*cur) == "*") return *this;
            bool all = true;
            std::string_view rest = fields;
            while (all && !rest.empty()) {
                const auto comma = rest.find(',');
                const std::string_view f = trim_ows(rest.substr(0, comma));
                rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
                if (!f.empty() && !token_list_contains(*cur, f)) all = false;
            }
            if (all) return *this;
        }
        return append("Vary", fields);
    }

    // Content-Type is kept apart from the other headers: every response sets it, and
    // this makes setting it a plain assignment instead of a search of the header block.
    response& type(std::string_view content_type) {
        if (!is_field_value(content_type)) throw std::invalid_argument("invalid Content-Type");
        content_type_.assign(content_type);
        return *this;
    }

    // ----- cookies -----
    response& cookie(std::string_view name, std::string_view value, const cookie_options& opts = {}) {
        scratch_.clear();
        if (auto err = set_cookie_append(scratch_, name, value, opts); err != cookie_error::none)
            throw std::invalid_argument(std::string("invalid cookie: ").append(to_string(err)));
        return append("Set-Cookie", scratch_);
    }
    // Expires the cookie in the browser; `opts` must name the same path/domain it was set with.
    response& clear_cookie(std::string_view name, cookie_options opts = {}) {
        opts.max_age.reset();
        opts.expires = std::chrono::system_clock::time_point{};  // Thu, 01 Jan 1970 00:00:00 GMT
        return cookie(name, "", opts);
    }

    // ----- bodies -----
    // Text body; Content-Type defaults to text/html like Express's res.send(string).
    void send(std::string_view text) {
        if (content_type_.empty()) type("text/html; charset=utf-8");
        body_.assign(text);
        ended_ = true;
        whole_body_ = true;
    }
    void send_bytes(std::span<const std::byte> bytes) {
        if (content_type_.empty()) type("application/octet-stream");
        body_.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        ended_ = true;
        whole_body_ = true;
    }
    // Status only, with its reason phrase as a text body (Express's res.sendStatus).
    void send_status(int code) {
        status_ = code;
        if (content_type_.empty()) type("text/plain; charset=utf-8");
        body_.assign(reason_phrase(code));
        ended_ = true;
        whole_body_ = true;
    }
    void json(const boost::json::value& v) {
        if (content_type_.empty()) type("application/json; charset=utf-8");
        body_.clear();
        append_json(body_, v);
        ended_ = true;
        whole_body_ = true;
    }
    // Any type Boost.JSON can convert: described structs, containers, scalars.
    template <class T>
        requires(!std::is_convertible_v<const T&, const boost::json::value&>)
    void json(const T& v) {
        json(to_json(v));  // a type without a conversion: one static_assert naming it
    }
    void redirect(std::string_view url, int code = 302) {
        status_ = code;
        location(url);
        if (content_type_.empty()) type("text/plain; charset=utf-8");
        body_.assign(reason_phrase(code)).append(". Redirecting to ").append(scratch_);
        ended_ = true;
        whole_body_ = true;
    }
    // Express's res.location(url): the Location header, percent-encoded as npm
    // encodeurl does (existing escapes kept, nothing else decoded).
    response& location(std::string_view url) {
        scratch_.clear();
        percent_encode_append(scratch_, url, encode_set::url);
        set("Location", scratch_);
        return *this;
    }
    // Express's res.attachment(filename): `Content-Disposition: attachment` naming the
    // file's base name (content_disposition.hpp), and the Content-Type of its
    // extension; without a name, just `attachment`.
    response& attachment(std::string_view filename = {}) {
        filename = path_basename(filename);
        if (filename.empty()) return set("Content-Disposition", "attachment");
        type(mime_type_for_path(filename));
        return set("Content-Disposition", content_disposition(filename));
    }
    // Ends the response with whatever body it has (none by default).
    void end() noexcept { ended_ = true; }

    // ----- chunked streaming -----
    // Appends one chunk; the response is sent with Transfer-Encoding: chunked. A
    // coroutine handler can `co_await res.flush()` to put what it has on the wire.
    void write(std::string_view chunk) {
        // duet::compression decides on a streamed body at its first piece (as npm
        // compression does at the first write): compressed, it goes out chunked.
        if (compress_ && !head_sent_) start_stream_compression();
        if (zstream_ || brstream_) {
            if (!chunk.empty()) encode_chunk(chunk, false, false);
            return;
        }
        if (fixed_length_) {
            // Declared length: the bytes go out as they are, no chunk framing.
            body_.append(chunk);
            return;
        }
        chunked_ = true;
        if (chunk.empty()) return;  // an empty chunk would end the stream
        char hex[16];
        auto r = std::to_chars(hex, hex + sizeof hex, chunk.size(), 16);
        body_.append(hex, r.ptr).append("\r\n").append(chunk).append("\r\n");
    }
    // Streams a body of known size: the head carries `Content-Length: n` and the
    // following write() calls append raw bytes (a file served in pieces). Writing
    // more or fewer than n bytes in total is the handler's bug; the connection is
    // closed after a response whose streamed size does not match.
    response& stream_length(std::uint64_t n) noexcept {
        fixed_length_ = true;
        stream_length_ = n;
        return *this;
    }

    asio::awaitable<void> flush() {
        if (flush_fn_) co_await flush_fn_(flush_ctx_, *this);
    }

    bool ended() const noexcept { return ended_; }
    bool head_sent() const noexcept { return head_sent_; }
    bool chunked() const noexcept { return chunked_; }
    std::string_view body() const noexcept { return body_; }

    // ----- ETag (set by duet::etag(), applied when the head goes out) -----
    // A body given whole (send, send_bytes, send_status, json, redirect) gets Express's
    // ETag (weak unless `weak` is false) unless the handler set one; a GET or HEAD
    // (`conditional`) whose validators the request's conditions find fresh is then
    // answered 304 without Content-Type or body — Express's res.send. The conditions
    // are copied: they outlive nothing here.
    void etag_on_send(bool weak, bool conditional, const request_conditions& c) {
        etag_ = true;
        etag_weak_ = weak;
        etag_conditional_ = conditional;
        if_none_match_.assign(c.if_none_match);
        if_modified_since_.assign(c.if_modified_since);
        cache_control_.assign(c.cache_control);
    }

    // ----- compression (set by duet::compression, applied when the head goes out) -----
    // The body is sent in `coding` when it is at least `threshold` bytes, of a
    // compressible type, not already encoded, not for HEAD and without Cache-Control:
    // no-transform — npm compression's rules. identity: Vary only. A complete body is
    // encoded at once; a streamed one (write(), stream_length(): static files) through
    // a stream encoder as it is written — its size judged by its declared length, a
    // chunked one compressed whatever its size — and sent chunked (Content-Length
    // dropped), each flush a sync point, as npm compression streams.
    void compress_on_send(content_coding coding, std::size_t threshold) noexcept {
        compress_ = true;
        compress_coding_ = coding;
        compress_threshold_ = threshold;
    }
    // Encodes the body now in `coding` (gzip, deflate, or br when built in) and sets
    // Content-Encoding; false (body untouched) for identity or when the coder failed.
    // The one place a body gets compressed: duet::compression and Engine.IO's
    // httpCompression both end here.
    bool encode_body(content_coding coding) {
        scratch_.clear();
        bool packed = false;
        switch (coding) {
            case content_coding::identity: return false;
            case content_coding::gzip: packed = zlib::compress(body_, scratch_, zlib::format::gzip); break;
            case content_coding::deflate: packed = zlib::compress(body_, scratch_, zlib::format::zlib); break;
            case content_coding::br: packed = brotli::compress(body_, scratch_); break;
        }
        if (!packed) return false;
        body_.swap(scratch_);
        set("Content-Encoding", coding_name(coding));
        return true;
    }

    // ----- access log (set by duet::logger, run by the connection when the response
    // has been written whole) -----
    // `fn(options, req, res)` runs once, after the last byte of this response went to
    // the connection's output; `options` is the logger's own. Not copied: both outlive
    // the request.
    using finish_function = void (*)(const void* options, const request& req, const response& res);
    void on_finish(finish_function fn, const void* options) noexcept {
        finish_fn_ = fn;
        finish_options_ = options;
        started_ = std::chrono::steady_clock::now();
    }
    // For the connection: runs the hook, if any, once.
    void finished(const request& req) {
        if (!finish_fn_) return;
        const finish_function fn = finish_fn_;
        finish_fn_ = nullptr;
        fn(finish_options_, req, *this);
    }
    // When on_finish was called, and when the head went out (morgan's response time).
    std::chrono::steady_clock::time_point started() const noexcept { return started_; }
    std::chrono::steady_clock::time_point head_written_at() const noexcept { return head_at_; }
    // The Content-Length the head carried; nullopt for a chunked or bodiless answer
    // (or before the head went out).
    std::optional<std::uint64_t> sent_content_length() const noexcept {
        if (!head_sent_ || sent_length_ < 0) return std::nullopt;
        return static_cast<std::uint64_t>(sent_length_);
    }

    // ----- used by the connection -----
    using flush_function = asio::awaitable<void> (*)(void*, response&);
    void bind_flush(flush_function fn, void* ctx) noexcept {
        flush_fn_ = fn;
        flush_ctx_ = ctx;
    }

    // A handler threw before the head went out: the error answer replaces its status
    // and body, but — as on Express's `res`, which the error middleware receives as it
    // was — the headers it set (Vary, cookies, Content-Type...), what middleware
    // switched on (compression, ETag) and the access log stay.
    void reset_for_error() noexcept {
        status_ = 200;
        body_.clear();
        ended_ = false;
        chunked_ = false;
        fixed_length_ = false;
        stream_length_ = 0;
        streamed_ = 0;
        zstream_.reset();
        brstream_.reset();
        whole_body_ = false;
    }

    void reset() noexcept {
        reset_for_error();
        headers_.clear();
        content_type_.clear();
        head_sent_ = false;
        close_ = false;
        compress_ = false;
        etag_ = false;
        finish_fn_ = nullptr;
        sent_length_ = -1;
    }

    // Asks the connection to close after this response.
    void close_connection() noexcept { close_ = true; }
    bool closes_connection() const noexcept { return close_; }

    // Appends what is not yet on the wire: the head (unless sent by an earlier
    // flush), the body or chunks so far, and when `final` the chunked terminator.
    // `head_only` is a HEAD request: the head advertises the body's length but the
    // body itself is left out.
    // `date_line` is the whole "Date: ...\r\n" line (the shard caches it).
    void serialize(std::string& out, std::string_view date_line, bool keep_alive, bool head_only, bool final) {
        // A compressed stream puts out what it holds: all of it (a sync point), or its end.
        if (zstream_ || brstream_) {
            encode_chunk({}, !final, final);
            if (final) zstream_.reset(), brstream_.reset();
        }
        if (!head_sent_) {
            if (etag_ && whole_body_ && !chunked_ && !fixed_length_) apply_etag();
            const bool bodiless = status_ == 204 || status_ == 304 || (status_ >= 100 && status_ < 200);
            if (compress_ && !bodiless) apply_compression(head_only);
            out.append(status_line(status_));
            out.append(date_line);
            if (!content_type_.empty()) put(out, "Content-Type: ").append(content_type_).append("\r\n", 2);
            out.append(headers_);
            sent_length_ = -1;
            if (!bodiless) {
                if (chunked_) {
                    put(out, "Transfer-Encoding: chunked\r\n");
                } else {
                    const std::uint64_t length = fixed_length_ ? stream_length_ : body_.size();
                    char num[24];
                    auto r = std::to_chars(num, num + sizeof num, length);
                    put(out, "Content-Length: ").append(num, r.ptr).append("\r\n", 2);
                    sent_length_ = static_cast<std::int64_t>(length);
                }
            }
            if (finish_fn_) head_at_ = std::chrono::steady_clock::now();
            if (!keep_alive) put(out, "Connection: close\r\n");
            out.append("\r\n", 2);
            head_sent_ = true;
            if (bodiless) body_.clear();
        }
        if (!head_only) {
            out.append(body_);
            if (final && chunked_) put(out, "0\r\n\r\n");
        }
        streamed_ += body_.size();
        body_.clear();
    }

    // A streamed response whose byte count differs from its declared length has
    // left the connection out of sync: it must be closed.
    bool length_mismatch(bool head_only) const noexcept {
        return fixed_length_ && !head_only && streamed_ != stream_length_;
    }

private:
    void apply_etag() {
        etag_ = false;
        if (!get("ETag")) {
            scratch_.clear();
            append_body_etag(scratch_, body_, etag_weak_);
            set("ETag", scratch_);
        }
        if (!etag_conditional_ || !((status_ >= 200 && status_ < 300) || status_ == 304)) return;
        const auto tag = get("ETag");
        const auto lm = get("Last-Modified");
        if (fresh({.if_none_match = if_none_match_, .if_modified_since = if_modified_since_, .cache_control = cache_control_},
                  {.etag = tag ? *tag : std::string_view{}, .last_modified = lm ? *lm : std::string_view{}})) {
            status_ = 304;
            content_type_.clear();
        }
    }

    // npm compression's rules for a body of `length` bytes (adds Vary when the type
    // qualifies, whatever the outcome); true: compress it.
    bool compression_applies(std::size_t length) {
        compress_ = false;
        if (!compressible_type(content_type_)) return false;
        if (const auto cc = get("Cache-Control"); cc && token_list_contains(*cc, "no-transform")) return false;
        vary("Accept-Encoding");
        if (length < compress_threshold_ || compress_coding_ == content_coding::identity) return false;
        if (const auto ce = get("Content-Encoding"); ce && !ascii_iequals(trim_ows(*ce), "identity")) return false;
        return true;
    }
    void apply_compression(bool head_only) {
        // A streamed body not written to by now (HEAD, empty): Vary only.
        if (chunked_ || fixed_length_) return (void)compression_applies(0);
        if (compression_applies(body_.size()) && !head_only) encode_body(compress_coding_);
    }
    // A declared length (stream_length) is judged against the threshold; a chunked
    // stream has none and is compressed whatever its size, as npm compression does
    // (its threshold test reads Content-Length, or the body given to end()).
    void start_stream_compression() {
        const std::size_t length = fixed_length_ ? static_cast<std::size_t>(stream_length_) : SIZE_MAX;
        if (!compression_applies(length)) return;
        if (compress_coding_ == content_coding::br) {
            if (!brotli::available) return;
            brstream_ = std::make_unique<brotli::compress_stream>();
        } else {
            zstream_ = std::make_unique<zlib::deflate_stream>(compress_coding_ == content_coding::gzip ? zlib::format::gzip
                                                                                                  : zlib::format::zlib);
        }
        set("Content-Encoding", coding_name(compress_coding_));
        fixed_length_ = false;
        stream_length_ = 0;
        chunked_ = true;
    }
    // Compresses `in` into one chunk of the body (none when the coder holds it back).
    void encode_chunk(std::string_view in, bool flush, bool finish) {
        scratch_.clear();
        const bool ok = zstream_ ? zstream_->write(in, scratch_, flush, finish) : brstream_->write(in, scratch_, flush, finish);
        if (!ok) close_ = true;  // the coder failed: what was sent cannot be completed
        if (scratch_.empty()) return;
        char hex[16];
        auto r = std::to_chars(hex, hex + sizeof hex, scratch_.size(), 16);
        body_.append(hex, r.ptr).append("\r\n").append(scratch_).append("\r\n");
    }

    // Appends a string literal without a strlen at run time.
    template <std::size_t N>
    static std::string& put(std::string& out, const char (&lit)[N]) {
        return out.append(lit, N - 1);
    }
    static constexpr bool is_content_type(std::string_view name) noexcept {
        return name.size() == 12 && ascii_iequals(name, "content-type");
    }

    static bool valid_header(std::string_view name, std::string_view value) noexcept {
        return is_token(name) && is_field_value(value);  // no CR/LF/NUL: no header injection
    }

    int status_ = 200;
    std::string headers_;
    std::string body_;
    std::string scratch_;
    std::string content_type_;
    bool ended_ = false;
    bool chunked_ = false;
    bool fixed_length_ = false;
    std::uint64_t stream_length_ = 0;
    std::uint64_t streamed_ = 0;
    bool head_sent_ = false;
    bool close_ = false;
    flush_function flush_fn_ = nullptr;
    void* flush_ctx_ = nullptr;
    bool compress_ = false;
    content_coding compress_coding_ = content_coding::identity;
    std::unique_ptr<zlib::deflate_stream> zstream_;      // a streamed body being compressed
    std::unique_ptr<brotli::compress_stream> brstream_;
    std::size_t compress_threshold_ = 0;
    bool whole_body_ = false;  // the body was given at once (send, json...): ETag material
    bool etag_ = false;
    bool etag_weak_ = true;
    bool etag_conditional_ = false;
    std::string if_none_match_, if_modified_since_, cache_control_;
    finish_function finish_fn_ = nullptr;
    const void* finish_options_ = nullptr;
    std::chrono::steady_clock::time_point started_{}, head_at_{};
    std::int64_t sent_length_ = -1;
};

}  // namespace duet::http
