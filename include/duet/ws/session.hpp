// duet/ws/session.hpp — one WebSocket connection on Asio, after the 101.
//
// Owns: the read loop (message_parser over a per-connection buffer), answering pings,
// the closing handshake (echo the peer's close; our own close waits close_timeout for
// the peer's answer), the send queue with corking (everything queued while a write is
// in flight goes out in the next single scatter/gather write), backpressure (a peer
// whose unsent bytes exceed max_send_queue_bytes is dropped with a logged reason — it
// never grows memory without bound) and the write-stall timeout.
//
// `Handler` receives the messages and the end of the connection; it is called directly
// (a template parameter, no virtual call):
//     void on_ws_message(session&, bool binary, std::span<const std::byte> payload);
//     void on_ws_close(session&, close_code code, std::string_view reason);   // exactly once
// A payload view is valid only during the call.
//
// Frames can be queued pre-encoded and shared (`send_shared`): a broadcast frames its
// message once and every recipient's queue holds a reference to the same bytes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include <duet/core/log.hpp>
#include <duet/server/shard.hpp>
#include <duet/ws/frame.hpp>
#include <duet/ws/message_parser.hpp>

namespace duet::ws {

struct session_options {
    // Largest message accepted from the peer (all fragments); over it: close 1009.
    std::size_t max_message_size = 1'000'000;
    // Most frames one message may arrive in; over it: close 1009 (see
    // parser_options::max_fragments — a flood of empty continuation frames). 0 = no limit.
    std::size_t max_fragments = 4096;
    // Unsent bytes queued for the peer; over it the peer is a slow consumer and the
    // connection is dropped (logged), so one client cannot grow the server's memory.
    std::size_t max_send_queue_bytes = 8 * 1024 * 1024;
    // After we send a close frame, how long the peer has to answer with its own.
    std::chrono::milliseconds close_timeout{5'000};
    // A write that has not completed after this long: the peer stopped reading.
    std::chrono::milliseconds write_timeout{30'000};
};

using shared_bytes = std::shared_ptr<const std::string>;

template <class Handler>
class session final : public server_detail::connection_node, public std::enable_shared_from_this<session<Handler>> {
    using clock = server_detail::clock;

public:
    // `initial` holds bytes the client sent right after its upgrade request (they
    // arrived in the HTTP connection's buffer) — they are the first frames.
    template <class... A>
    session(server_detail::shard& shard, asio::ip::tcp::socket socket, const session_options& opts,
            std::span<const char> initial, A&&... handler_args)
        : shard_(shard),
          opts_(opts),
          socket_(std::move(socket)),
          parser_(parser_options{opts.max_message_size, 64 * 1024, opts.max_fragments}),
          handler_(static_cast<A&&>(handler_args)...) {
        rbuf_.resize(std::max<std::size_t>(initial_read_buffer, initial.size() + min_read_buffer));
        std::memcpy(rbuf_.data(), initial.data(), initial.size());
        rend_ = initial.size();
        shard_.link(this);
    }
    ~session() { shard_.unlink(this); }

    Handler& handler() noexcept { return handler_; }
    server_detail::shard& shard() noexcept { return shard_; }
    bool is_open() const noexcept { return !closed_ && !close_sent_; }
    std::size_t queued_bytes() const noexcept { return queued_bytes_; }
    const asio::ip::tcp::socket& socket() const noexcept { return socket_; }

    // Queues `head` (e.g. the 101 response), runs `opened(*this)` (sends made there
    // follow the head in the same write) and starts reading; frames already in the
    // buffer are parsed first.
    template <class F = void (*)(session&)>
    void start(std::string_view head = {}, F&& opened = [](session&) {}) {
        pending_.append(head);
        queued_bytes_ += head.size();
        in_process_ = true;
        opened(*this);
        in_process_ = false;
        if (rend_ > 0 && !closed_) process();
        if (!closed_) {
            flush();
            do_read();
        }
    }

    // ----- sending -----
    void send_text(std::string_view text) { send_frame(opcode::text, std::as_bytes(std::span(text.data(), text.size()))); }
    void send_binary(std::span<const std::byte> bytes) { send_frame(opcode::binary, bytes); }
    // A text frame whose payload is `prefix` followed by `text` (Engine.IO's type byte
    // before a message), framed without an intermediate copy.
    void send_text2(std::string_view prefix, std::string_view text) {
        if (!is_open()) return;
        std::size_t before = pending_.size();
        append_frame_header(pending_, opcode::text, true, prefix.size() + text.size());
        pending_.append(prefix).append(text);
        account(pending_.size() - before);
    }
    void send_frame(opcode op, std::span<const std::byte> payload) {
        if (!is_open()) return;
        std::size_t before = pending_.size();
        append_frame(pending_, op, payload);
        account(pending_.size() - before);
    }
    // Pre-framed bytes, possibly shared with other sessions (broadcast).
    void send_shared(shared_bytes framed) {
        if (!is_open() || !framed || framed->empty()) return;
        std::size_t n = framed->size();
        if (!pending_.empty()) queue_.emplace_back(std::move(pending_)), pending_.clear();
        queue_.emplace_back(std::move(framed));
        account(n);
    }

    // Starts the closing handshake (§7.1.2): our close frame, then wait for the peer's.
    void close(close_code code = close_code::normal, std::string_view reason = {}) {
        if (closed_ || close_sent_) return;
        append_close(code, reason);
        close_sent_ = true;
        deadline_ = shard_.now() + opts_.close_timeout;
        notify_close(code, reason);
        flush();
    }

    // Closes the TCP connection now, without a closing handshake (errors, slow consumers).
    void abort(close_code code, std::string_view reason) {
        notify_close(code, reason);
        shutdown();
    }

    // ----- maintenance (shard tick) -----
    void on_tick(clock::time_point now) override {
        if (closed_) return;
        if (close_sent_ && now >= deadline_) return shutdown();
        if (writing_ && now >= write_deadline_) {
            log(log_level::warn, "websocket peer stopped reading (write timeout); connection dropped");
            abort(close_code::abnormal, "write timeout");
        }
    }
    void drain() override { close(close_code::going_away, "server shutting down"); }

private:
    // Small to start with: most connections are idle most of the time, and this buffer
    // is the largest per-connection allocation (the bench's idle-memory figure). A
    // read that fills it doubles it, up to max_read_buffer.
    static constexpr std::size_t initial_read_buffer = 512;
    static constexpr std::size_t max_read_buffer = 64 * 1024;

    void account(std::size_t n) {
        queued_bytes_ += n;
        if (queued_bytes_ > opts_.max_send_queue_bytes) {
            log(log_level::warn, "websocket send queue over max_send_queue_bytes (slow consumer); connection dropped");
            abort(close_code::policy_violation, "slow consumer");
            return;
        }
        if (!in_process_) flush();
    }

    void append_close(close_code code, std::string_view reason = {}) {
        std::size_t before = pending_.size();
        append_close_frame(pending_, code, reason);
        queued_bytes_ += pending_.size() - before;
    }

    void do_read() {
        if (closed_) return;
        if (rend_ == rbuf_.size()) rbuf_.resize(rbuf_.size() * 2);
        else if (last_read_filled_ && rbuf_.size() < max_read_buffer) rbuf_.resize(rbuf_.size() * 2);
        socket_.async_read_some(asio::buffer(rbuf_.data() + rend_, rbuf_.size() - rend_),
                                [self = this->shared_from_this()](std::error_code ec, std::size_t n) {
                                    if (ec) return self->abort(close_code::abnormal, "transport closed");
                                    self->last_read_filled_ = self->rend_ + n == self->rbuf_.size();
                                    self->rend_ += n;
                                    self->process();
                                    if (!self->closed_) {
                                        self->flush();
                                        self->do_read();
                                    }
                                });
    }

    // Parses every event in the buffer. Sends queued meanwhile are corked into one
    // write by the caller.
    void process() {
        in_process_ = true;
        std::size_t pos = 0;
        while (!closed_) {
            auto [ev, used] = parser_.next(std::span(rbuf_.data() + pos, rend_ - pos));
            pos += used;
            if (!ev) break;
            switch (ev.kind) {
                case event_kind::text:
                case event_kind::binary:
                    if (!close_sent_) handler_.on_ws_message(*this, ev.kind == event_kind::binary, ev.payload);
                    break;
                case event_kind::ping:
                    if (!close_sent_) send_frame(opcode::pong, ev.payload);
                    break;
                case event_kind::pong:
                    break;
                case event_kind::close:
                    if (!close_sent_) {
                        // Echo the peer's code (§5.5.1); a close without status is answered 1000.
                        close_code code = ev.code == close_code::no_status ? close_code::normal : ev.code;
                        append_close(code);
                        close_sent_ = true;
                        notify_close(ev.code, ev.text());
                    }
                    shutdown_after_write_ = true;
                    break;
                case event_kind::error:
                    if (!close_sent_) {
                        append_close(ev.code);
                        close_sent_ = true;
                    }
                    notify_close(ev.code, "protocol error");
                    shutdown_after_write_ = true;
                    break;
                case event_kind::need_more:
                    break;
            }
            if (parser_.finished()) break;
        }
        in_process_ = false;
        // Keep the unconsumed tail at the front (at most one partial frame header or
        // control frame: the parser copies data payloads out as they arrive).
        if (pos > 0) {
            std::memmove(rbuf_.data(), rbuf_.data() + pos, rend_ - pos);
            rend_ -= pos;
        }
        if (shutdown_after_write_ && pending_.empty() && queue_.empty() && !writing_) shutdown();
    }

    void flush() {
        if (writing_ || closed_) return;
        if (!pending_.empty()) queue_.emplace_back(std::move(pending_)), pending_.clear();
        if (queue_.empty()) {
            if (shutdown_after_write_) shutdown();
            return;
        }
        writing_ = true;
        write_deadline_ = shard_.now() + opts_.write_timeout;
        std::swap(queue_, inflight_);
        buffers_.clear();
        for (auto& c : inflight_) {
            if (auto* s = std::get_if<std::string>(&c)) buffers_.emplace_back(asio::buffer(*s));
            else buffers_.emplace_back(asio::buffer(*std::get<shared_bytes>(c)));
        }
        asio::async_write(socket_, buffers_, [self = this->shared_from_this()](std::error_code ec, std::size_t n) {
            self->writing_ = false;
            self->queued_bytes_ -= std::min(n, self->queued_bytes_);
            // Keep one owned buffer's capacity for the next batch.
            for (auto& c : self->inflight_)
                if (auto* s = std::get_if<std::string>(&c); s && s->capacity() > self->pending_.capacity() &&
                                                          s->capacity() <= 64 * 1024 && self->pending_.empty()) {
                    s->clear();
                    std::swap(*s, self->pending_);
                }
            self->inflight_.clear();
            if (ec) return self->abort(close_code::abnormal, "transport closed");
            self->flush();
        });
    }

    void notify_close(close_code code, std::string_view reason) {
        if (notified_) return;
        notified_ = true;
        handler_.on_ws_close(*this, code, reason);
    }

    void shutdown() {
        if (closed_) return;
        closed_ = true;
        notify_close(close_code::abnormal, "transport closed");
        std::error_code ec;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
        socket_.close(ec);
    }

    server_detail::shard& shard_;
    const session_options& opts_;
    asio::ip::tcp::socket socket_;
    message_parser parser_;
    Handler handler_;
    std::vector<std::byte> rbuf_;
    std::size_t rend_ = 0;
    bool last_read_filled_ = false;
    std::string pending_;  // frames appended since the last flush
    using chunk = std::variant<std::string, shared_bytes>;
    std::vector<chunk> queue_, inflight_;
    std::vector<asio::const_buffer> buffers_;
    std::size_t queued_bytes_ = 0;
    clock::time_point deadline_{}, write_deadline_{};
    bool writing_ = false;
    bool in_process_ = false;
    bool close_sent_ = false;
    bool shutdown_after_write_ = false;
    bool notified_ = false;
    bool closed_ = false;
};

}  // namespace duet::ws
