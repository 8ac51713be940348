// duet/http/connection.hpp — one HTTP/1.1 connection on Asio.
//
// Owns: the read buffer and its compaction, the request loop (keep-alive, pipelining
// with responses strictly in request order, Expect: 100-continue, HTTP/1.0), corking
// (every response produced from one read goes out in one write), the per-connection
// timeouts, error answers for malformed or oversized requests, handing the socket to
// an upgrade handler, and graceful drain.
//
// `App` is the server type; the connection calls `app.dispatch(req, res, pending)`
// (the compile-time router) and `app.upgrade(socket, req, ...)` directly — no
// virtual call, no std::function between a read and the handler.
#pragma once

#include <cstring>
#include <exception>
#include <system_error>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <duet/core/log.hpp>
#include <duet/http/date_line.hpp>
#include <duet/http/options.hpp>
#include <duet/http/request.hpp>
#include <duet/http/request_parser.hpp>
#include <duet/http/response.hpp>
#include <duet/runtime/shard.hpp>

namespace duet::http {

// What the server's upgrade filter did with an Upgrade request.
enum class upgrade_result {
    not_mine,  // not an endpoint's path: answer it as an ordinary request
    taken,     // the socket was handed to a WebSocket session
    answered,  // refused: the response holds the protocol's error answer
};

template <class App>
class connection final : public runtime::connection_node,
                         public std::enable_shared_from_this<connection<App>> {
    using clock = runtime::clock;

public:
    connection(App& app, runtime::shard& shard, asio::ip::tcp::socket socket)
        : app_(app), shard_(shard), limits_(app.http_limits()), socket_(std::move(socket)), parser_(limits_) {
        buffer_.resize(initial_buffer);
        std::error_code ec;
        socket_.set_option(asio::ip::tcp::no_delay(true), ec);
        socket_.non_blocking(true, ec);
        remote_ = socket_.remote_endpoint(ec);
        res_.bind_flush(&flush_thunk, this);
        req_.set_session_options(app.session_config());
        req_.set_trust_proxy(&app.proxy_trust());
        shard_.link(this);
    }
    ~connection() { shard_.unlink(this); }

    void start() {
        set_deadline(limits_.keep_alive_timeout, wait::idle);
        do_read();
    }

    // ----- maintenance (shard) -----
    void on_tick(clock::time_point now) override {
        if (waiting_ == wait::none || now < deadline_ || closed_) return;
        switch (waiting_) {
            case wait::header:
            case wait::body:
                // 408 only when nothing is being written; otherwise just close.
                if (!writing_ && !in_handler_) {
                    send_error(408, "Request Timeout");
                    return;
                }
                [[fallthrough]];
            default:
                close();
        }
    }
    void drain() override {
        draining_ = true;
        if (!writing_ && !in_handler_ && !parser_.in_message()) close();
    }

private:
    static constexpr std::size_t initial_buffer = 4096;
    enum class wait { none, idle, header, body, write };

    void set_deadline(std::chrono::milliseconds d, wait w) noexcept {
        deadline_ = runtime::shard::deadline_after(d);
        waiting_ = w;
    }

    // Which timeout applies while waiting for the client: idle between requests,
    // header (measured from the first byte of the request), or body.
    void update_wait_state() noexcept {
        if (!parser_.in_message()) {
            if (waiting_ != wait::idle) set_deadline(limits_.keep_alive_timeout, wait::idle);
        } else if (!parser_.headers_done()) {
            if (waiting_ != wait::header) set_deadline(limits_.header_timeout, wait::header);
        } else if (waiting_ != wait::body) {
            set_deadline(limits_.body_timeout, wait::body);
        }
    }

    void do_read() {
        if (closed_) return;
        if (end_ == buffer_.size()) {
            // Only a head still being received can fill the buffer (bodies are copied
            // out as they are parsed); let it grow to the header limit.
            std::size_t cap = std::min(buffer_.size() * 2, limits_.max_header_bytes + initial_buffer);
            if (cap <= buffer_.size()) return send_error(431, "Request Header Fields Too Large");
            buffer_.resize(cap);
        }
        // async_read_some rather than async_wait + read: Asio skips the speculative
        // read after a short one (it knows the socket is drained) and waits for the
        // edge, while async_wait re-arms the descriptor with epoll_ctl every time
        // (measured: one extra syscall per request).
        socket_.async_read_some(asio::buffer(buffer_.data() + end_, buffer_.size() - end_),
                                [self = this->shared_from_this()](std::error_code ec, std::size_t n) {
                                    self->on_read(ec, n);
                                });
    }

    void on_read(std::error_code ec, std::size_t n) {
        if (ec) return close();
        end_ += n;
        process();
    }

    // Parses and answers every complete request in the buffer, then writes the
    // corked responses (or reads more).
    void process() {
        std::size_t answered = 0;
        while (!closed_ && !closing_) {
            auto r = parser_.parse(buffer_.data(), pos_, end_);
            switch (r) {
                case request_parser::result::need_more:
                    compact();
                    update_wait_state();
                    return out_.empty() ? do_read() : flush();
                case request_parser::result::expect_continue:
                    out_.append("HTTP/1.1 100 Continue\r\n\r\n");
                    set_deadline(limits_.body_timeout, wait::body);
                    parser_.resume();
                    continue;
                case request_parser::result::error:
                    return send_error(parser_.error_status(), parser_.error_reason());
                case request_parser::result::request_ready:
                    break;
            }
            if (!handle_request()) return;  // asynchronous: a session load, a coroutine handler, a commit
            if (++answered >= limits_.max_pipelined_requests) break;
        }
        flush();
    }

    // Returns false when the request went asynchronous (a session load, a coroutine
    // handler, a session commit): whoever completes it calls process() again.
    bool handle_request() {
        waiting_ = wait::none;
        req_.reset(parser_, buffer_.data(), parser_.body(), remote_);
        res_.reset();
        keep_alive_ = parser_.keep_alive() && !draining_;
        if (parser_.upgrade()) {
            keep_alive_ = false;  // bytes after an upgrade request are not HTTP
            switch (app_.upgrade(shard_, socket_, req_, res_, std::span<const char>(buffer_.data() + pos_, end_ - pos_))) {
                case upgrade_result::taken:
                    // The socket now belongs to a WebSocket session; this object ends.
                    closed_ = true;
                    return false;
                case upgrade_result::answered:
                    return finish_response();
                case upgrade_result::not_mine:
                    break;
            }
        }
        // An asynchronous session store: the session named by the cookie is loaded
        // before the handler runs (express-session's middleware does the same), so
        // req.session() never blocks. Synchronous stores load lazily in session().
        if (req_.session_config()) {
            bool ready = true;
            try {
                ready = req_.prepare_session(&session_loaded, this);
            } catch (const std::exception& e) {
                log(log_level::error, std::string("session store failed: ") + e.what());
            }
            if (!ready) {
                park();
                return false;
            }
        }
        return dispatch();
    }

    bool dispatch() {
        asio::awaitable<void> pending;
        bool done = true;
        try {
            done = app_.dispatch(ctx_, pending);
        } catch (...) {
            handler_failed(std::current_exception());
        }
        if (done) return finish_response();
        in_handler_ = true;
        asio::co_spawn(socket_.get_executor(), std::move(pending),
                       [self = this->shared_from_this()](std::exception_ptr ep) {
                           self->in_handler_ = false;
                           if (ep) self->handler_failed(ep);
                           if (self->closed_) return;
                           if (self->finish_response()) self->process();
                       });
        return false;
    }

    // Waiting for the session store: the connection keeps itself alive and reads
    // nothing (the request's views into the buffer stay valid); drain() and the tick
    // treat it as a running handler.
    void park() {
        in_handler_ = true;
        parked_ = this->shared_from_this();
    }
    std::shared_ptr<connection> unpark() {
        in_handler_ = false;
        return std::move(parked_);
    }
    static void session_loaded(void* p) {
        auto* c = static_cast<connection*>(p);
        auto self = c->unpark();
        if (c->closed_) return;
        if (c->dispatch()) c->process();
    }
    static void session_committed(void* p) {
        auto* c = static_cast<connection*>(p);
        auto self = c->unpark();
        if (c->closed_) return;
        c->write_response();
        c->process();
    }

    void handler_failed(std::exception_ptr ep) {
        int status = 500;
        std::string message = "Internal Server Error";
        handler_error err{ep, 500, {}};
        bool is_http_error = false;
        try {
            std::rethrow_exception(ep);
        } catch (const http_error& e) {
            status = err.status = e.status;
            message = err.message = e.what();
            is_http_error = true;
        } catch (const std::exception& e) {
            err.message = e.what();
        } catch (...) {
        }
        // The table's on_error entry answers it, as Express's error middleware would.
        if (!res_.head_sent()) {
            res_.reset_for_error();
            bool answered = false;
            try {
                answered = app_.handle_error(ctx_, err);
            } catch (const std::exception& e) {
                log(log_level::error, std::string("on_error threw for ").append(req_.path()).append(": ").append(e.what()));
            } catch (...) {
                log(log_level::error, std::string("on_error threw a non-exception for ").append(req_.path()));
            }
            if (answered) return;
        }
        if (!is_http_error)
            log(log_level::error, std::string("handler threw for ").append(req_.method_string()).append(" ")
                                      .append(req_.path()).append(": ").append(err.message.empty() ? "a non-exception" : err.message));
        if (res_.head_sent()) {
            // Part of the response is on the wire: the only honest signal left is
            // to cut the connection.
            keep_alive_ = false;
            closing_ = true;
            res_.end();
            return;
        }
        res_.reset_for_error();
        res_.status(status);
        std::string body = "{\"error\":";
        boost::json::value msg(message);
        append_json(body, msg);
        body += '}';
        res_.type("application/json; charset=utf-8");
        res_.send(body);
    }

    // Commits the session (an asynchronous store: the response waits for the store's
    // confirmation), then serializes the response. false: waiting for the store.
    bool finish_response() {
        if (req_.has_session_loaded() && !res_.head_sent()) {
            bool now = true;
            try {
                now = req_.commit_session(res_, &session_committed, this);
            } catch (const std::exception& e) {
                log(log_level::error, std::string("session store failed: ") + e.what());
            }
            if (!now) {
                park();
                return false;
            }
        }
        write_response();
        return true;
    }

    void write_response() {
        if (res_.closes_connection() || draining_) keep_alive_ = false;
        if (keep_alive_ && parser_.http_minor() == 0 && !res_.head_sent()) res_.set("Connection", "keep-alive");
        const bool head_only = req_.method() == method::head;
        res_.serialize(out_, date_line(shard_.wall_second()), keep_alive_, head_only, true);
        if (res_.length_mismatch(head_only)) {
            log(log_level::error, std::string("streamed body does not match its Content-Length for ").append(req_.path()));
            keep_alive_ = false;
        }
        try {
            res_.finished(req_);  // the access log line, when duet::logger is on
        } catch (const std::exception& e) {
            log(log_level::error, std::string("access log failed: ") + e.what());
        }
        if (!keep_alive_) closing_ = true;
        else parser_.next();
    }

    // Moves what must be kept to the front of the buffer: a partial head, or the head
    // of a request whose body is still arriving (its parsed body bytes are dropped —
    // they were copied into the body string), and the unparsed tail.
    void compact() {
        if (!parser_.in_message()) {
            if (pos_ == end_) pos_ = end_ = 0;
            else if (pos_ > 0 && buffer_.size() - end_ < initial_buffer / 2) {
                std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
                end_ -= pos_;
                pos_ = 0;
            }
            return;
        }
        const std::size_t start = parser_.message_start();
        const std::size_t keep = parser_.headers_done() ? parser_.head_size() : pos_ - start;
        if (start == 0 && keep == pos_) return;
        std::memmove(buffer_.data(), buffer_.data() + start, keep);
        std::memmove(buffer_.data() + keep, buffer_.data() + pos_, end_ - pos_);
        end_ = keep + (end_ - pos_);
        pos_ = keep;
        parser_.rebase(start);
    }

    void flush() {
        if (out_.empty() || closed_) {
            if (closing_) return close();
            return do_read();
        }
        // Write now (non-blocking); only what the kernel does not take goes through
        // an asynchronous write. The usual response then costs one send() and no
        // completion handler.
        std::size_t done = 0;
        std::error_code ec;
        while (done < out_.size()) {
            std::size_t n = socket_.write_some(asio::buffer(out_.data() + done, out_.size() - done), ec);
            if (ec) break;
            done += n;
        }
        if (done == out_.size()) {
            out_.clear();
            return on_written({});
        }
        if (ec != asio::error::would_block && ec != asio::error::try_again) return close();
        writing_ = true;
        set_deadline(limits_.write_timeout, wait::write);
        writing_buf_.assign(out_, done);
        out_.clear();
        asio::async_write(socket_, asio::buffer(writing_buf_),
                          [self = this->shared_from_this()](std::error_code ec, std::size_t) {
                              self->on_written(ec);
                          });
    }

    void on_written(std::error_code ec) {
        writing_ = false;
        writing_buf_.clear();
        if (ec) return close();
        if (!out_.empty()) return flush();  // an error answer queued while writing
        if (closing_) return close();
        if (draining_ && !parser_.in_message()) return close();
        // Requests may still wait in the buffer (pipelining beyond the batch limit).
        waiting_ = wait::none;
        process();
    }

    // Answers an error and closes once it is written.
    void send_error(int status, std::string_view reason) {
        if (closed_) return;
        res_.reset();
        res_.status(status);
        res_.type("text/plain; charset=utf-8");
        res_.send(reason);
        res_.serialize(out_, date_line(shard_.wall_second()), false, false, true);
        closing_ = true;
        if (!writing_) flush();
    }

    void close() {
        if (closed_) return;
        closed_ = true;
        waiting_ = wait::none;
        std::error_code ec;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
        socket_.close(ec);
    }

    // A coroutine handler's `co_await res.flush()`.
    static asio::awaitable<void> flush_thunk(void* ctx, response& res) {
        auto* c = static_cast<connection*>(ctx);
        if (c->closed_) {
            // The peer is gone (or timed out): stop the handler instead of letting it
            // pile its output up in memory.
            c->out_.clear();
            throw std::system_error(asio::error::operation_aborted);
        }
        res.serialize(c->out_, date_line(c->shard_.wall_second()), c->keep_alive_, c->req_.method() == method::head, false);
        if (c->out_.empty()) co_return;
        // Swap with a buffer kept across flushes: a streamed file reuses the capacity.
        std::swap(c->writing_buf_, c->out_);
        c->set_deadline(c->limits_.write_timeout, wait::write);
        auto self = c->shared_from_this();
        co_await asio::async_write(c->socket_, asio::buffer(c->writing_buf_), asio::use_awaitable);
        c->writing_buf_.clear();
        c->waiting_ = wait::none;
    }

    App& app_;
    runtime::shard& shard_;
    const limits& limits_;
    asio::ip::tcp::socket socket_;
    asio::ip::tcp::endpoint remote_;
    request_parser parser_;
    request req_;
    response res_;
    typename App::context ctx_{app_.make_context(shard_, req_, res_)};
    std::vector<char> buffer_;
    std::size_t pos_ = 0, end_ = 0;
    std::string out_, writing_buf_;
    clock::time_point deadline_{};
    wait waiting_ = wait::none;
    bool keep_alive_ = true;
    bool closing_ = false;   // close once the pending output is written
    bool closed_ = false;
    bool writing_ = false;
    bool in_handler_ = false;
    bool draining_ = false;
    std::shared_ptr<connection> parked_;  // itself, while the session store works
};

}  // namespace duet::http
