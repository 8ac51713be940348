// duet/http/request.hpp — what a handler sees of one HTTP request (Express's `req`).
//
// Owns: read access to method, path, query, headers, cookies, route parameters and
// the body (as text, JSON or a user type), and `http_error`, the exception a handler
// or an accessor throws to answer with a given status.
//
// A request is a set of views into its connection's read buffer and body string:
// building one allocates nothing. The views stay valid until the handler (or, for a
// coroutine handler, its coroutine) finishes — the connection reads nothing into
// the buffer meanwhile.
#pragma once

#include <array>
#include <cstddef>
#include <exception>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_to.hpp>

#include <duet/core/json_traits.hpp>
#include <duet/core/zlib.hpp>
#include <duet/http/accept.hpp>
#include <duet/http/ascii.hpp>
#include <duet/http/cookie.hpp>
#include <duet/http/form.hpp>
#include <duet/http/percent.hpp>
#include <duet/http/proxy_addr.hpp>
#include <duet/http/query.hpp>
#include <duet/http/request_parser.hpp>

namespace duet {

// Thrown to answer the current request with `status` and a short JSON error body
// `{"error": what()}`. Anything else a handler throws answers 500 and is logged.
struct http_error : std::runtime_error {
    int status;
    http_error(int s, const std::string& message) : std::runtime_error(message), status(s) {}
};

// What a handler (or middleware) threw, as the route table's `on_error` entry receives
// it — Express's `err` in `(err, req, res, next)`.
struct handler_error {
    std::exception_ptr exception;
    int status = 500;     // an http_error's status; 500 for anything else
    std::string message;  // what() ("" for something that is not a std::exception)
};

}  // namespace duet

namespace duet {
class session;
struct session_options;
}  // namespace duet

namespace duet::http {

class response;

inline constexpr std::size_t max_route_params = 16;

class request {
public:
    // ----- request line -----
    http::method method() const noexcept { return parser_->method(); }
    std::string_view method_string() const noexcept { return parser_->method_string(); }
    // The request target as sent ("/users/7?x=1").
    std::string_view url() const noexcept { return url_; }
    // The path part of the target, still percent-encoded (like Express's req.path):
    // inside a mounted routes table (`duet::use<"/api">(api_routes)`) the part below
    // the mount point ("/users/7" for "/api/users/7"; "/" for "/api" itself).
    std::string_view path() const noexcept { return path_; }
    // The mount points the request went through, as the client spelled them ("/api";
    // empty outside a mounted table): Express's req.baseUrl.
    std::string_view base_url() const noexcept { return base_url_; }
    // The whole path as sent, whatever the mounts (base_url() + path() below one).
    std::string_view original_path() const noexcept {
        auto q = url_.find_first_of("?#");
        return url_.substr(0, q);
    }
    // The raw query string without '?', empty when there is none.
    std::string_view query_string() const noexcept { return query_; }
    unsigned http_major() const noexcept { return parser_->http_major(); }
    unsigned http_minor() const noexcept { return parser_->http_minor(); }

    // ----- headers -----
    // First value of a header, case-insensitive name.
    std::optional<std::string_view> header(std::string_view name) const noexcept {
        for (const auto& h : parser_->headers())
            if (ascii_iequals(view(h.name_off, h.name_len), name)) return view(h.value_off, h.value_len);
        return std::nullopt;
    }
    std::string_view header_or(std::string_view name, std::string_view fallback) const noexcept {
        auto v = header(name);
        return v ? *v : fallback;
    }
    // Calls f(name, value) for every header line in order.
    template <class F>
    void for_each_header(F&& f) const {
        for (const auto& h : parser_->headers()) f(view(h.name_off, h.name_len), view(h.value_off, h.value_len));
    }
    std::size_t header_count() const noexcept { return parser_->headers().size(); }

    // Express's req.accepts(types...): of the offered types ("html", "json", or
    // "type/subtype"), the one the Accept header prefers (http/accept.hpp), as given;
    // nullopt when it accepts none. No Accept header: the first.
    std::optional<std::string_view> accepts(std::initializer_list<std::string_view> types) const {
        const std::span<const std::string_view> offered(types.begin(), types.size());
        const auto i = preferred_type(header("accept"), offered);
        if (!i) return std::nullopt;
        return offered[*i];
    }

    // ----- query -----
    // First value of a query parameter, percent-decoded ('+' is a space).
    std::optional<std::string> query(std::string_view key) const { return query_value(query_, key); }

    // ----- cookies -----
    std::optional<std::string> cookie(std::string_view name) const {
        auto h = header("cookie");
        if (!h) return std::nullopt;
        return cookie_value(*h, name);
    }

    // ----- route parameters (percent-decoded) -----
    std::size_t param_count() const noexcept { return param_count_; }
    std::string_view param(std::size_t i) const noexcept { return i < param_count_ ? params_[i] : std::string_view{}; }
    std::optional<std::string_view> param(std::string_view name) const noexcept {
        for (std::size_t i = 0; i < param_count_; ++i)
            if (param_names_[i] == name) return params_[i];
        return std::nullopt;
    }

    // ----- body -----
    std::string_view body() const noexcept { return *body_; }
    // The body parsed as JSON; a body that is not JSON answers 400.
    boost::json::value body_json() const {
        thread_local std::string inflated;
        boost::system::error_code ec;
        boost::json::value v = boost::json::parse(decoded_body(inflated), ec);
        if (inflated.capacity() > 64 * 1024) std::string().swap(inflated);  // a large body is not kept per thread
        if (ec) throw http_error(400, "request body is not valid JSON");
        return v;
    }
    // The body as a body parser reads it: inflated into `scratch` when Content-Encoding
    // is gzip or deflate, as Express's body parsers do (inflate: true), the
    // inflated size held to max_body_bytes like the body itself (413 beyond: a small
    // compressed body cannot become a large one); corrupt or truncated data answers 400,
    // any other coding 415 (x-gzip too, as there; br as well, which Express 5 inflates:
    // duet's build carries no brotli decoder);
    // identity, or no header, gives the bytes as they came.
    std::string_view decoded_body(std::string& scratch) const {
        const auto ce = header("content-encoding");
        if (!ce) return *body_;
        const std::string_view coding = trim_ows(*ce);
        zlib::format f;
        if (coding.empty() || ascii_iequals(coding, "identity")) return *body_;
        if (ascii_iequals(coding, "gzip")) f = zlib::format::gzip;
        else if (ascii_iequals(coding, "deflate")) f = zlib::format::zlib;
        else throw http_error(415, "unsupported content encoding \"" + std::string(coding) + "\"");
        scratch.clear();
        if (const auto ec = zlib::decompress(*body_, scratch, f, parser_->request_limits().max_body_bytes)) {
            if (ec == zlib::error::too_large) throw http_error(413, "request entity too large");
            throw http_error(400, "request body could not be decoded (" + std::string(coding) + "): " + ec.message());
        }
        return scratch;
    }
    // The body converted to T with Boost.JSON's value_to (described structs work);
    // a body that does not parse or does not convert answers 400, naming the first
    // member that does not fit: "body.items[2].qty: expected an integer from ...".
    template <class T>
    T body_as() const {
        static_assert(check_json_readable<diag::request_body, 0, T>());
        return body_value_to<T>(body_json());
    }

    // The body of an HTML form (application/x-www-form-urlencoded) as Express 5's
    // express.urlencoded() makes req.body: each field a string, a repeated field an
    // array of strings (rules: duet/http/form.hpp). Inflated like body_json(). Another
    // Content-Type, or a charset other than utf-8 / iso-8859-1, answers 415; more
    // fields than limits.max_form_parameters 413.
    boost::json::object body_form() const {
        const decoded_text body = body_text_of("application/x-www-form-urlencoded", true);
        auto r = parse_form(body.text, body.latin1, {.max_parameters = parser_->request_limits().max_form_parameters});
        if (r.error_status) throw http_error(r.error_status, r.error);
        return std::move(r.fields);
    }
    // The form converted to T: a described struct's members filled from the fields of
    // the same names (numbers and booleans converted from the text, std::vector for a
    // repeated field, std::optional for one that may be absent, an absent bool false);
    // a field that does not fit answers 400 naming it, as body_as<T>() does.
    template <class T>
    T body_form_as() const {
        static_assert(check_json_readable<diag::request_body, 0, T>());
        boost::json::object fields = body_form();
        coerce_form_fields<T>(fields);
        return body_value_to<T>(boost::json::value(std::move(fields)));
    }
    // A text/plain body as text (express.text()): UTF-8, or iso-8859-1 converted to
    // UTF-8, invalid UTF-8 bytes replaced by U+FFFD; inflated like body_json().
    // Another Content-Type or charset answers 415.
    std::string body_text() const { return body_text_of("text/plain", false).text; }

    // ----- session -----
    // The session named by the signed session cookie, or a new one (stored, and its
    // cookie sent, only once something is written to it). Needs
    // server_options.session.store and .secrets.
    // Defined by the session layer (duet/session/session.hpp, which duet/http.hpp and
    // duet/duet.hpp include): HTTP itself knows sessions only by name.
    duet::session& session();
    bool has_session_loaded() const noexcept { return session_ != nullptr; }
    const session_options* session_config() const noexcept { return session_opts_; }

    // ----- sessions, as the connection drives them (also defined by the session layer) -----
    using session_ready = void (*)(void* ctx);
    // Before dispatch, when sessions are on. false: the session named by the request's
    // validly signed cookie is being loaded from an asynchronous store; `ready(ctx)`
    // runs later on this thread, once session() has it (a store that failed reads as
    // no session). true: nothing to wait for (synchronous store: session() loads lazily).
    bool prepare_session(session_ready ready, void* ctx);
    // After the handler, before the head is written, when has_session_loaded(): writes
    // the session back and sets or clears the cookie. true: done. false: `ready(ctx)`
    // runs once the store confirmed; if it failed, `res` then holds a 500.
    bool commit_session(response& res, session_ready ready, void* ctx);

    // ----- connection -----
    const asio::ip::tcp::endpoint& remote_endpoint() const noexcept { return remote_; }

    // ----- the client, as trusted proxies report it (server_options.trust_proxy) -----
    // Express's req.ip: the socket's peer address (Node's remoteAddress text, e.g.
    // "::ffff:10.0.0.1" on a dual-stack listener); when the peer is a trusted proxy,
    // the X-Forwarded-For address furthest from it that trusted hops vouch for.
    std::string ip() const { return address_chain().back(); }
    // req.ips: the X-Forwarded-For addresses trusted hops vouch for, client first;
    // empty when the peer is not a trusted proxy.
    std::vector<std::string> ips() const {
        auto chain = address_chain();
        return std::vector<std::string>(chain.rbegin(), chain.rend() - 1);
    }
    // req.protocol: "http" (a plain connection), or, when the peer is a trusted proxy,
    // the first value of its X-Forwarded-Proto.
    std::string_view protocol() const {
        constexpr std::string_view own = "http";
        if (!peer_is_trusted_proxy()) return own;
        auto h = header("x-forwarded-proto");
        if (!h || h->empty()) return own;
        return trim_ows(h->substr(0, h->find(',')));
    }
    // req.secure: protocol() is "https".
    bool secure() const { return protocol() == "https"; }
    // req.host (Express 5): the Host header, or a trusted proxy's X-Forwarded-Host
    // (its first value); with the port, if any. nullopt when there is none.
    std::optional<std::string_view> host() const {
        std::optional<std::string_view> h = header("x-forwarded-host");
        if (!h || h->empty() || !peer_is_trusted_proxy()) {
            h = header("host");
        } else if (auto comma = h->find(','); comma != std::string_view::npos) {
            h = trim_ows_right(h->substr(0, comma));
        }
        if (!h || h->empty()) return std::nullopt;
        return h;
    }
    // req.hostname: host() without the port ("[::1]:3000" gives "[::1]").
    std::optional<std::string_view> hostname() const {
        auto h = host();
        if (!h) return std::nullopt;
        const std::size_t from = h->front() == '[' ? h->find(']') + 1 : 0;  // npos + 1 == 0, as in Express
        return h->substr(0, h->find(':', from));
    }
    bool keep_alive() const noexcept { return parser_->keep_alive(); }

    // ----- set up by the connection and the router -----
    void reset(const request_parser& p, const char* buffer_base, const std::string& body,
               const asio::ip::tcp::endpoint& remote) noexcept {
        parser_ = &p;
        base_ = buffer_base + p.message_start();
        body_ = &body;
        remote_ = remote;
        url_ = p.url(buffer_base);
        auto q = url_.find('?');
        path_ = url_.substr(0, q);
        query_ = q == std::string_view::npos ? std::string_view{} : url_.substr(q + 1);
        if (auto h = path_.find('#'); h != std::string_view::npos) path_ = path_.substr(0, h);
        base_url_ = {};
        param_count_ = 0;
        session_.reset();
    }

    // Entering a mounted table: path() becomes `rest` (a suffix of the current path;
    // "/" when empty) and base_url() grows to everything before it. The router
    // restores the returned state when it leaves the table (mount_scope).
    struct mount_state {
        std::string_view path, base_url;
    };
    mount_state enter_mount(std::string_view rest) noexcept {
        const mount_state saved{path_, base_url_};
        // original_path() is base_url_ + path_, except after an empty rest, where
        // path_ is "/" and consumed nothing: the only prefix matching it is "/".
        base_url_ = original_path().substr(0, base_url_.size() + (path_.size() - rest.size()));
        path_ = rest.empty() ? std::string_view("/") : rest;
        return saved;
    }
    // Restores a state enter_mount or leave_all_mounts returned.
    void leave_mount(const mount_state& s) noexcept {
        path_ = s.path;
        base_url_ = s.base_url;
    }
    // Back to the whole path for a moment (the server's not-found entry); returns the
    // state to restore.
    mount_state leave_all_mounts() noexcept {
        const mount_state saved{path_, base_url_};
        path_ = original_path();
        base_url_ = {};
        return saved;
    }

    // `o` is null when sessions are off (no store configured).
    void set_session_options(const session_options* o) noexcept { session_opts_ = o; }
    // `t` outlives the request (the server's options); null: trust no proxy.
    void set_trust_proxy(const trust_proxy* t) noexcept { trust_ = t; }

    // Stores route parameters, percent-decoding those that need it into a scratch
    // string reserved up front so earlier views stay valid. Returns false when a
    // parameter has a malformed escape.
    bool set_params(const std::array<std::string_view, max_route_params>& raw,
                    const std::array<std::string_view, max_route_params>& names, std::size_t n) {
        std::size_t need = 0;
        for (std::size_t i = 0; i < n; ++i) need += raw[i].size();
        param_scratch_.clear();
        param_scratch_.reserve(need);
        for (std::size_t i = 0; i < n; ++i) {
            param_names_[i] = names[i];
            if (!needs_decoding(raw[i])) {
                params_[i] = raw[i];
                continue;
            }
            std::size_t start = param_scratch_.size();
            if (!percent_decode_append(param_scratch_, raw[i], false)) return false;
            params_[i] = std::string_view(param_scratch_).substr(start);
        }
        param_count_ = n;
        return true;
    }

private:
    std::string_view view(std::uint32_t off, std::uint32_t len) const noexcept { return {base_ + off, len}; }

    // The body of a request that must be of `type`, decoded (Content-Encoding) and as
    // UTF-8 text from its charset.
    // `v` converted to T (Boost.JSON's value_to); 400 naming the first member that does
    // not fit, found only on that failure path.
    template <class T>
    static T body_value_to(const boost::json::value& v) {
        if constexpr (json_readable<T>) {
            try {
                return boost::json::value_to<T>(v);
            } catch (const std::exception&) {
                throw http_error(400, json_mismatch<T>(v, "body"));
            }
        } else {
            return T{};  // reported at compile time by check_json_readable
        }
    }

    // A body read as text: UTF-8, and whether it came as iso-8859-1 (form escapes are
    // then bytes of that charset).
    struct decoded_text {
        std::string text;
        bool latin1 = false;
    };
    // The body of a request that must be of `type`, decoded (Content-Encoding) and
    // turned into UTF-8 from its charset. A form knows only "utf-8" and "iso-8859-1" by
    // those names (body-parser's urlencoded check); text also "utf8" and "latin1".
    decoded_text body_text_of(std::string_view type, bool form) const {
        const auto ct = header("content-type");
        if (!ct || !ascii_iequals(media_type_of(*ct), type))
            throw http_error(415, std::string(form ? "form" : "text") + " body expected: Content-Type " + std::string(type));
        const std::string charset = content_type_charset(*ct);
        thread_local std::string inflated;
        const std::string_view bytes = decoded_body(inflated);
        decoded_text out;
        const bool ok = (!form || charset.empty() || charset == "utf-8" || charset == "iso-8859-1") &&
                        decode_text(bytes, charset, out.text);
        if (inflated.capacity() > 64 * 1024) std::string().swap(inflated);
        if (!ok) {
            std::string upper = charset;
            for (char& c : upper) c = ascii_to_upper(c);
            throw http_error(415, "unsupported charset \"" + upper + "\"");
        }
        out.latin1 = charset == "iso-8859-1" || charset == "latin1";
        return out;
    }
    std::string peer_address() const { return remote_.address().to_string(); }
    bool peer_is_trusted_proxy() const { return trust_ && trust_->enabled() && trust_->trusts(peer_address(), 0); }
    std::vector<std::string> address_chain() const {
        const auto xff = header("x-forwarded-for");
        return trusted_address_chain(trust_ ? *trust_ : trust_proxy{}, peer_address(), xff ? *xff : std::string_view{});
    }

    const request_parser* parser_ = nullptr;
    const char* base_ = nullptr;
    const std::string* body_ = nullptr;
    asio::ip::tcp::endpoint remote_;
    std::string_view url_, path_, query_, base_url_;
    std::array<std::string_view, max_route_params> params_{};
    std::array<std::string_view, max_route_params> param_names_{};
    std::size_t param_count_ = 0;
    std::string param_scratch_;
    const session_options* session_opts_ = nullptr;
    const trust_proxy* trust_ = nullptr;
    std::shared_ptr<duet::session> session_;  // shared_ptr: the type may be incomplete here
};

}  // namespace duet::http
