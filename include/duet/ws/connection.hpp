// duet/ws/connection.hpp — one WebSocket connection on Asio, after the 101.
//
// Owns: the read loop (wait for readability, read into the shard's buffer, parse with
// message_parser; only a partial frame's tail is kept per connection), answering pings,
// the closing handshake (echo the peer's close; our own close waits close_timeout for
// the peer's answer), the send queue with write coalescing (everything queued within
// one event-loop turn goes out in one non-blocking scatter/gather write at the end of
// the turn, through the shard's deferred flush; the rest waits for writability), backpressure (a peer
// whose unsent bytes exceed max_send_queue_bytes is dropped with a logged reason — it
// never grows memory without bound) and the write-stall timeout.
//
// `Handler` receives the messages and the end of the connection; it is called directly
// (a template parameter, no virtual call):
//     void on_ws_message(connection&, bool binary, std::span<const std::byte> payload);
//     void on_ws_close(connection&, close_code code, std::string_view reason);   // exactly once
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

#include <unistd.h>

#include <asio/bind_allocator.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>

#include <duet/core/log.hpp>
#include <duet/core/utf8.hpp>
#include <duet/core/zlib.hpp>
#include <duet/ws/options.hpp>
#include <duet/ws/permessage_deflate.hpp>
#include <duet/runtime/shard.hpp>
#include <duet/ws/frame.hpp>
#include <duet/ws/message_parser.hpp>

namespace duet::ws {

namespace detail {
// Plain operator new at the exact size. Asio otherwise takes handler memory from its
// per-thread recycled blocks, sized for the largest operation seen (an accept), and
// every idle connection keeps one pending read operation.
template <class T>
struct exact_allocator {
    using value_type = T;
    exact_allocator() = default;
    template <class U>
    exact_allocator(const exact_allocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p); }
    template <class U>
    bool operator==(const exact_allocator<U>&) const noexcept { return true; }
};
}  // namespace detail

template <class Handler>
class connection final : public runtime::connection_node,
                      public runtime::flush_node,
                      public std::enable_shared_from_this<connection<Handler>> {
    using clock = runtime::clock;

public:
    // The socket is bound to the shard's io_context type rather than any_io_executor:
    // 48 bytes less per connection, and its pending read operation shrinks from 200
    // to 96 bytes (idle connections are what the memory is spent on).
    using socket_type = asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;

    // `initial` holds bytes the client sent right after its upgrade request (they
    // arrived in the HTTP connection's buffer) — they are the first frames.
    template <class... A>
    connection(runtime::shard& shard, asio::ip::tcp::socket socket, const connection_options& opts,
            std::span<const char> initial, A&&... handler_args)
        : shard_(shard),
          opts_(opts),
          socket_(adopt(socket, shard.io())),
          parser_(parser_options{opts.max_message_size, 64 * 1024, opts.max_fragments}),
          handler_(static_cast<A&&>(handler_args)...) {
        if (!initial.empty()) leftover_ = std::make_unique<std::string>(initial.data(), initial.size());
        std::error_code ec;
        socket_.non_blocking(true, ec);
        shard_.link(this);
    }
    ~connection() {
        if (dirty_) shard_.cancel_flush(this);
        shard_.unlink(this);
    }

    // permessage-deflate was negotiated in the 101 (before start()): compressed messages
    // are accepted, and messages of at least the threshold are sent compressed.
    void enable_deflate(const deflate_params& p) noexcept {
        deflate_ = true;
        inflate_reset_ = p.client_no_context_takeover;
        inflate_window_bits_ = p.client_max_window_bits;
        parser_.set_compressed(true);
    }
    bool deflate_enabled() const noexcept { return deflate_; }
    std::size_t deflate_threshold() const noexcept { return opts_.permessage_deflate.threshold; }

    Handler& handler() noexcept { return handler_; }
    runtime::shard& shard() noexcept { return shard_; }
    bool is_open() const noexcept { return !closed_ && !close_sent_; }
    std::size_t queued_bytes() const noexcept { return queued_bytes_; }
    const socket_type& socket() const noexcept { return socket_; }

    // Queues `head` (e.g. the 101 response), runs `opened(*this)` (sends made there
    // follow the head in the same write) and starts reading; frames already in the
    // buffer are parsed first.
    template <class F = void (*)(connection&)>
    void start(std::string_view head = {}, F&& opened = [](connection&) {}) {
        pending_.append(head);
        queued_bytes_ += head.size();
        opened(*this);
        if (leftover_ && !closed_) {
            // Parsed in place from their own copy (the shard's read buffer may be in use).
            auto first = std::move(leftover_);
            process(reinterpret_cast<std::byte*>(first->data()), first->size());
        }
        if (!closed_) {
            request_flush();
            on_readable();  // bytes may already wait in the socket
        }
    }

    // ----- sending -----
    // Everything queued within one event-loop turn is written with one syscall at the
    // end of the turn (the shard's deferred flush).
    void send_text(std::string_view text) { send_frame(opcode::text, std::as_bytes(std::span(text.data(), text.size()))); }
    void send_binary(std::span<const std::byte> bytes) { send_frame(opcode::binary, bytes); }
    // A text frame whose payload is `prefix` followed by `text` (Engine.IO's type byte
    // before a message), framed without an intermediate copy.
    void send_prefixed_text(std::string_view prefix, std::string_view text) {
        if (!is_open()) return;
        if (deflate_ && prefix.size() + text.size() >= opts_.permessage_deflate.threshold) {
            std::string& whole = deflate_scratch();
            whole.assign(prefix).append(text);
            return send_frame(opcode::text, std::as_bytes(std::span(whole.data(), whole.size())));
        }
        std::size_t before = pending_.size();
        append_frame_header(pending_, opcode::text, true, prefix.size() + text.size());
        pending_.append(prefix).append(text);
        account(pending_.size() - before);
    }
    void send_frame(opcode op, std::span<const std::byte> payload) {
        if (!is_open()) return;
        std::size_t before = pending_.size();
        if (deflate_ && !is_control(op) && payload.size() >= opts_.permessage_deflate.threshold) {
            // Deflated from an empty window (server_no_context_takeover), RSV1 set.
            std::string& packed = packed_scratch();
            packed.clear();
            if (zlib::deflate_message({reinterpret_cast<const char*>(payload.data()), payload.size()}, packed)) {
                append_frame(pending_, op, std::as_bytes(std::span(packed.data(), packed.size())));
                pending_[before] = static_cast<char>(static_cast<unsigned char>(pending_[before]) | 0x40);
                return account(pending_.size() - before);
            }
        }
        append_frame(pending_, op, payload);
        account(pending_.size() - before);
    }
    // Pre-framed bytes, possibly shared with other connections (broadcast).
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
        deadline_ = runtime::shard::deadline_after(opts_.close_timeout);  // from now on the only deadline
        notify_close(code, reason);
        request_flush();
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
        if (writing_ && now >= deadline_) {
            log(log_level::warn, "websocket peer stopped reading (write timeout); connection dropped");
            abort(close_code::abnormal, "write timeout");
        }
    }
    void drain() override { close(close_code::going_away, "server shutting down"); }

    // Writes what is queued now instead of at the end of the turn (what is queued
    // later in this turn goes in the deferred write).
    void flush_now() {
        if (writing_ || closed_ || (queue_.empty() && pending_.empty())) return;
        auto keep = this->shared_from_this();
        write_now();
    }

    // The end of the turn in which bytes were queued.
    void flush_deferred() override {
        dirty_ = false;
        auto keep = this->shared_from_this();  // an error may end the last reference
        write_now();
    }

private:
    // Moves the descriptor to a socket of socket_type (getsockname, and an epoll
    // re-registration: once per connection). On failure the connection starts closed.
    static socket_type adopt(asio::ip::tcp::socket& from, asio::io_context& io) {
        socket_type to(io);
        std::error_code ec;
        const auto protocol = from.local_endpoint(ec).protocol();
        if (ec) return to;
        const auto fd = from.release(ec);
        if (ec) return to;
        to.assign(protocol, fd, ec);
        if (ec) ::close(fd);
        return to;
    }

    // Reads per readiness before yielding to other connections (64 KiB each).
    static constexpr int max_reads_per_turn = 4;

    void account(std::size_t n) {
        queued_bytes_ += n;
        if (queued_bytes_ > opts_.max_send_queue_bytes) {
            log(log_level::warn, "websocket send queue over max_send_queue_bytes (slow consumer); connection dropped");
            abort(close_code::policy_violation, "slow consumer");
            return;
        }
        request_flush();
    }

    void request_flush() {
        if (dirty_ || writing_ || closed_) return;
        dirty_ = true;
        shard_.defer_flush(this);
    }

    void append_close(close_code code, std::string_view reason = {}) {
        std::size_t before = pending_.size();
        append_close_frame(pending_, code, reason);
        queued_bytes_ += pending_.size() - before;
    }

    // ----- reading -----
    // No buffer per connection while idle: wait for readability, then read into the
    // shard's buffer; only the unconsumed tail of a partial frame (a few bytes: the
    // parser copies data payloads out as they arrive) is kept, in leftover_.
    void arm_read() {
        if (closed_) return;
        // Every idle connection holds this operation: allocated at its own size.
        socket_.async_wait(asio::ip::tcp::socket::wait_read,
                           asio::bind_allocator(detail::exact_allocator<void>(), [self = this->shared_from_this()](std::error_code ec) {
                               if (self->closed_) return;
                               if (ec) return self->abort(close_code::abnormal, "transport closed");
                               self->on_readable();
                           }));
    }

    void on_readable() {
        std::span<std::byte> buf = shard_.read_buffer();
        for (int round = 0; round < max_reads_per_turn; ++round) {
            if (closed_) return;
            const std::size_t have = leftover_ ? leftover_->size() : 0;
            if (have) std::memcpy(buf.data(), leftover_->data(), have);
            std::error_code ec;
            std::size_t n = socket_.read_some(asio::buffer(buf.data() + have, buf.size() - have), ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again) return arm_read();
            if (ec) return abort(close_code::abnormal, "transport closed");
            leftover_.reset();
            process(buf.data(), have + n);
            if (have + n < buf.size()) return arm_read();  // a short read: the socket is drained
        }
        // Still more to read: continue after the other connections' handlers.
        asio::post(socket_.get_executor(), [self = this->shared_from_this()] {
            if (!self->closed_) self->on_readable();
        });
    }

    // Parses every event in data[0, size). Sends queued meanwhile go out together at
    // the end of the turn.
    void process(std::byte* data, std::size_t size) {
        std::size_t pos = 0;
        while (!closed_) {
            auto [ev, used] = parser_.next(std::span(data + pos, size - pos));
            pos += used;
            if (!ev) break;
            switch (ev.kind) {
                case event_kind::text:
                case event_kind::binary:
                    if (close_sent_) break;
                    if (ev.compressed) {
                        deliver_compressed(ev.kind == event_kind::binary, ev.payload);
                        break;
                    }
                    handler_.on_ws_message(*this, ev.kind == event_kind::binary, ev.payload);
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
        // Keep the unconsumed tail (at most one partial frame header or control frame).
        if (pos < size && !closed_)
            leftover_ = std::make_unique<std::string>(reinterpret_cast<const char*>(data + pos), size - pos);
        if (closed_) return;
        if (shutdown_after_write_ && pending_.empty() && queue_.empty() && !writing_) return shutdown();
        if (!pending_.empty() || !queue_.empty()) request_flush();
    }

    // A compressed message: inflated (bounded by max_message_size: 1009 beyond it),
    // checked (text: UTF-8, 1007), then delivered like any other.
    void deliver_compressed(bool binary, std::span<const std::byte> payload) {
        // Without the client's context takeover every message starts from an empty
        // window: one inflater per thread serves every such connection. Otherwise the
        // connection keeps its own (the window holds what later messages refer to).
        zlib::message_inflater* inflater = nullptr;
        if (inflate_reset_) {
            inflater = &shared_inflater();
        } else {
            if (!inflater_) inflater_ = std::make_unique<zlib::message_inflater>(inflate_window_bits_ < 9 ? 9 : inflate_window_bits_);
            inflater = inflater_.get();
        }
        std::string& out = inflate_scratch();
        out.clear();
        const auto ec = inflater->inflate_message({reinterpret_cast<const char*>(payload.data()), payload.size()}, out,
                                                   opts_.max_message_size, inflate_reset_);
        if (ec) {
            const close_code code = ec == zlib::error::too_large ? close_code::message_too_big : close_code::invalid_payload;
            return fail_connection(code, ec == zlib::error::too_large ? "message too big" : "invalid compressed data");
        }
        if (!binary && !is_valid_utf8(std::string_view(out))) return fail_connection(close_code::invalid_payload, "invalid UTF-8");
        handler_.on_ws_message(*this, binary, std::as_bytes(std::span(out.data(), out.size())));
        if (out.capacity() > 64 * 1024) std::string().swap(out);  // a large message is not kept per thread
    }

    // A rule broken above the frame layer: our close frame, then the end (as a parser error).
    void fail_connection(close_code code, std::string_view why) {
        if (!close_sent_) {
            append_close(code);
            close_sent_ = true;
        }
        notify_close(code, why);
        shutdown_after_write_ = true;
    }

    // A 15-bit window inflates every smaller one. Replaced after a failure (a stream
    // that failed is unusable; the next message starts afresh anyway).
    static zlib::message_inflater& shared_inflater() {
        thread_local std::unique_ptr<zlib::message_inflater> z;
        if (!z || !z->usable()) z = std::make_unique<zlib::message_inflater>(15);
        return *z;
    }

    // Per-thread buffers: compression never keeps a buffer per connection.
    static std::string& deflate_scratch() {
        thread_local std::string s;
        return s;
    }
    static std::string& packed_scratch() {
        thread_local std::string s;
        return s;
    }
    static std::string& inflate_scratch() {
        thread_local std::string s;
        return s;
    }

    // ----- writing -----
    // One non-blocking gather write of everything queued; what the kernel does not
    // take waits for writability (no completion handler when it all goes at once).
    void write_now() {
        while (!closed_) {
            if (queue_.empty() && pending_.empty()) {
                // Nothing kept while idle.
                std::vector<chunk>().swap(queue_);
                std::string().swap(pending_);
                front_off_ = 0;
                if (shutdown_after_write_) shutdown();
                return;
            }
            auto& iov = shard_.iov_scratch();
            iov.clear();
            std::size_t offered = 0;
            auto add = [&](const char* p, std::size_t n) {
                if (n == 0) return;
                iov.emplace_back(p, n);
                offered += n;
            };
            std::size_t skip = front_off_;
            for (auto& c : queue_) {
                if (iov.size() == max_iov) break;
                const std::string& s = chunk_bytes(c);
                add(s.data() + skip, s.size() - skip);
                skip = 0;
            }
            if (iov.size() < max_iov) add(pending_.data() + skip, pending_.size() - skip);
            std::error_code ec;
            const std::size_t n = socket_.write_some(iov, ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again) return wait_writable();
            if (ec) return abort(close_code::abnormal, "transport closed");
            consume(n);
            if (n < offered) return wait_writable();  // the socket buffer is full
        }
    }

    void consume(std::size_t n) {
        queued_bytes_ -= std::min(n, queued_bytes_);
        std::size_t done = 0;
        while (n > 0 && done < queue_.size()) {
            const std::size_t left = chunk_bytes(queue_[done]).size() - front_off_;
            if (n < left) {
                front_off_ += n;
                n = 0;
                break;
            }
            n -= left;
            front_off_ = 0;
            ++done;
        }
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(done));
        if (n > 0) {
            // Into pending_ (only once queue_ is empty).
            if (n + front_off_ >= pending_.size()) {
                pending_.clear();
                front_off_ = 0;
            } else {
                front_off_ += n;
            }
        }
    }

    void wait_writable() {
        writing_ = true;
        if (!close_sent_) deadline_ = runtime::shard::deadline_after(opts_.write_timeout);
        // pending_ must not grow under a partly written prefix: later sends go after it.
        if (!pending_.empty()) {
            if (front_off_ > 0 && queue_.empty()) pending_.erase(0, front_off_), front_off_ = 0;
            queue_.emplace_back(std::move(pending_));
            pending_.clear();
        }
        socket_.async_wait(asio::ip::tcp::socket::wait_write, [self = this->shared_from_this()](std::error_code ec) {
            self->writing_ = false;
            if (self->closed_) return;
            if (ec) return self->abort(close_code::abnormal, "transport closed");
            self->write_now();
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
        std::vector<chunk>().swap(queue_);
        std::string().swap(pending_);
        leftover_.reset();
        queued_bytes_ = 0;
    }

    using chunk = std::variant<std::string, shared_bytes>;
    static const std::string& chunk_bytes(const chunk& c) noexcept {
        if (auto* s = std::get_if<std::string>(&c)) return *s;
        return *std::get<shared_bytes>(c);
    }
    static constexpr std::size_t max_iov = 64;  // what asio passes to one sendmsg

    runtime::shard& shard_;
    const connection_options& opts_;
    socket_type socket_;
    message_parser parser_;
    Handler handler_;
    std::unique_ptr<std::string> leftover_;  // unconsumed input (a partial frame header; usually none)
    std::string pending_;           // frames appended since the last write, after queue_
    std::vector<chunk> queue_;      // earlier chunks (shared broadcast bytes, or a write in progress)
    std::size_t front_off_ = 0;     // bytes of the first queued chunk already written
    std::size_t queued_bytes_ = 0;
    clock::time_point deadline_{};  // close_sent_: the peer's close; else writing_: the write stall
    bool writing_ = false;          // waiting for the socket to become writable
    bool dirty_ = false;            // in the shard's flush list
    bool close_sent_ = false;
    bool shutdown_after_write_ = false;
    bool notified_ = false;
    bool closed_ = false;
    // permessage-deflate (enable_deflate): the peer's stream, allocated at its first
    // compressed message.
    bool deflate_ = false;
    bool inflate_reset_ = false;
    std::uint8_t inflate_window_bits_ = 15;
    std::unique_ptr<zlib::message_inflater> inflater_;
};

}  // namespace duet::ws
