// duet/eio/session.hpp — one Engine.IO session, whatever carries it.
//
// Owns: the state of one client across its transports — long-polling (a parked GET
// that waits for packets, POSTs that deliver them), WebSocket, and the upgrade from
// the first to the second (probe → "3probe", "6" noop to release the parked GET, "5"
// to switch, buffered packets flushed on the new transport) — plus the server-driven
// heartbeat (ping every pingInterval, close when no pong within pingTimeout), the
// outgoing queue with its bound, and closing (close packet, reasons as socket.io
// reports them: "transport close", "transport error", "ping timeout", "parse error",
// "forced close", "server shutting down").
//
// The upper layer (`Server::handler_type`, one object per session: an echo handler, or
// the Socket.IO client) is called directly:
//     void on_open(session&);
//     void on_message(session&, const packet&);          // type message, text or binary
//     void on_close(session&, std::string_view reason);  // exactly once
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <duet/core/log.hpp>
#include <duet/eio/broadcast_frame.hpp>
#include <duet/eio/handshake.hpp>
#include <duet/eio/options.hpp>
#include <duet/eio/packet.hpp>
#include <duet/eio/payload.hpp>
#include <duet/eio/sid.hpp>
#include <duet/http/accept_encoding.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/ws/connection.hpp>

namespace duet::eio {

enum class transport_kind : std::uint8_t { polling, websocket };

// engine.io closes its WebSockets with ws.close(): a close frame without a status
// code, which clients report as 1005. duet does the same, whatever the reason.
inline constexpr ws::close_code reference_close = ws::close_code::no_status;

// The reference's interval of noops to a parked GET during an upgrade.
inline constexpr std::chrono::milliseconds upgrade_noop_period{100};

template <class Server>
class session final : public runtime::wheel_timer, public std::enable_shared_from_this<session<Server>> {
    using clock = runtime::clock;

public:
    using handler_type = typename Server::handler_type;

    // The WebSocket layer's handler: forwards to the session that owns the transport.
    struct ws_link {
        std::shared_ptr<session> owner;
        template <class WS>
        void on_ws_message(WS& ws, bool binary, std::span<const std::byte> payload) {
            owner->on_ws_message(&ws, binary, payload);
        }
        template <class WS>
        void on_ws_close(WS& ws, ws::close_code, std::string_view) {
            owner->on_ws_closed(&ws);
        }
    };
    using ws_connection = ws::connection<ws_link>;

    // The handler is built from the shard context and the handshake request when it
    // takes them (the Socket.IO client keeps the handshake), else default-constructed.
    template <class Ctx>
    session(Server& server, session_id sid, transport_kind t, Ctx& ctx, const http::request& handshake)
        : server_(server),
          opts_(server.opts()),
          sid_(sid),
          transport_(t),
          handler_(make_handler(ctx, handshake)) {}
    // Heartbeat and upgrade deadlines are one entry of the shard's timer wheel (no
    // Asio timer per session), to the millisecond like the reference's setTimeout.
    ~session() { server_.shard().cancel(*this); }

    session(const session&) = delete;
    session& operator=(const session&) = delete;

    const session_id& id() const noexcept { return sid_; }
    std::string_view sid() const noexcept { return sid_.view(); }
    transport_kind transport() const noexcept { return transport_; }
    // A probe WebSocket is attached (upgrade not yet completed or failed).
    bool upgrade_in_progress() const noexcept { return probe_ != nullptr; }
    bool is_open() const noexcept { return state_ == state::open; }
    handler_type& handler() noexcept { return handler_; }
    Server& server() noexcept { return server_; }

    // ----- sending (upper layer) -----
    void send_text(std::string_view text) { send(packet::text(packet_type::message, text)); }
    void send_binary(std::span<const std::byte> bytes) { send(packet::binary_message(bytes)); }

    void send(const packet& p) {
        if (state_ != state::open) return;
        if (transport_ == transport_kind::websocket && ws_) return send_ws(p);
        enqueue(p);
    }

    // Pre-framed WebSocket bytes shared by many recipients (a broadcast), with the
    // packets they encode for sessions still on long-polling.
    void send_shared(const ws::shared_bytes& framed, const packet* packets, std::size_t count) {
        if (state_ != state::open) return;
        if (transport_ == transport_kind::websocket && ws_) {
            if (ws_->deflate_enabled())
                ws_->send_shared(deflated_broadcast(framed, packets, count, ws_->deflate_threshold()));
            else
                ws_->send_shared(framed);
            if (ws_ && ws_->queued_bytes() > opts_.max_buffered_bytes) slow_consumer();
            return;
        }
        for (std::size_t i = 0; i < count && state_ == state::open; ++i) enqueue(packets[i]);
    }

    // What is queued goes out now as one write of its own: on WebSocket at once; on
    // polling, a parked GET is answered with exactly these packets (later ones wait
    // for the next GET), as the reference answers a waiting GET at the first send.
    void flush_now() {
        if (state_ != state::open) return;
        if (transport_ == transport_kind::websocket && ws_) return ws_->flush_now();
        if (get_pending_ && !queue_.empty()) poll_cut_ = queue_.size();
    }

    // Bytes accepted for this client and not yet written (or collected by a GET).
    std::size_t backlog() const noexcept {
        if (transport_ == transport_kind::websocket && ws_) return ws_->queued_bytes();
        return queued_bytes_;
    }

    // Server-side close ("forced close" in socket.io's words).
    void close(std::string_view reason = "forced close") { close_with(reason, true); }

    // ----- called by the server -----
    void start() {
        schedule_ping();
        handler_.on_open(*this);
    }

    // The wheel: heartbeat, pong deadline, upgrade timeout, end of a closing polling
    // session — whichever of them is due.
    void on_timer() override {
        auto self = this->shared_from_this();
        const auto now = clock::now();
        if (probe_ && now >= upgrade_deadline_) {
            auto* ws = probe_;
            probe_ = nullptr;
            upgrading_ = false;
            ws->close(reference_close);
        }
        if (now >= hb_deadline_) {
            if (state_ == state::open) {
                if (awaiting_pong_) close_with("ping timeout", false);
                else send_ping();
            } else if (state_ == state::closing && close_wait_) {
                finish("");
            }
        }
        rearm();
    }

    // Appends the open packet for this session.
    void append_open(std::string& out, bool websocket_now) const {
        open_params p;
        p.sid = sid_.view();
        p.upgrades = (!websocket_now && opts_.websocket && opts_.allow_upgrades) ? std::span<const std::string_view>(upgrades_websocket)
                                                                                : upgrades_none;
        p.ping_interval = opts_.ping_interval;
        p.ping_timeout = opts_.ping_timeout;
        p.max_payload = opts_.max_payload;
        append_open_packet(out, p);
    }

    // A polling GET. Returns true when it was answered at once; otherwise `pending`
    // holds the coroutine that answers it when packets arrive (or the session ends).
    bool poll(http::response& res, asio::awaitable<void>& pending,
              http::content_coding coding = http::content_coding::identity) {
        if (get_pending_) {
            // Two concurrent GETs: the reference closes the session ("overlap from client").
            res.status(400);
            res.send("");
            close_with("transport error", false);
            return true;
        }
        poll_coding_ = coding;
        if (!queue_.empty() || state_ != state::open) {
            answer_poll(res);
            return true;
        }
        get_pending_ = true;
        if (!poll_wake_) poll_wake_ = std::make_unique<asio::steady_timer>(server_.shard().io());
        pending = wait_and_answer(this->shared_from_this(), res);
        return false;
    }

    // A polling POST: deliver its packets.
    void post(std::string_view body, http::response& res) {
        if (post_pending_) {
            res.status(400);
            res.send("");
            close_with("transport error", false);
            return;
        }
        answer_ok(res);
        if (body.size() > opts_.max_payload) {
            // Like the reference: 413, the body is dropped and the session goes on (the
            // official client ends it itself on the failed POST; others may go on).
            res.status(payload_too_large_status);
            res.send("");
            return;
        }
        post_pending_ = true;
        auto self = this->shared_from_this();  // a handler may close (and unregister) us
        std::error_code ec = for_each_packet(body, scratch(), [&](const packet& p) {
            if (p.type == packet_type::close) {
                // The client ends the session over polling: like the reference, a
                // parked GET is released with a noop (not a close packet), and the
                // rest of the payload is ignored.
                release_ = poll_release::noop;
                close_with("transport close", false);
                return false;
            }
            on_packet(p);
            return state_ == state::open;
        }, payload_options{.max_payload = opts_.max_payload});
        post_pending_ = false;
        if (ec) close_with("parse error", false);
    }

    // A WebSocket that joins this session: the direct transport (websocket-only
    // clients) or a probe for an upgrade from polling.
    void attach_websocket(ws_connection* ws, bool is_upgrade) {
        if (!is_upgrade) {
            ws_ = ws;
            return;
        }
        probe_ = ws;
        upgrade_deadline_ = clock::now() + opts_.upgrade_timeout;
        rearm();
    }

    // Server stopping: tell the client and end the session now (a polling client
    // without a parked GET is not waited for).
    void shutdown() {
        close_with("server shutting down", true);
        if (state_ == state::closing && !get_pending_) finish("");
    }

private:
    enum class state : std::uint8_t { open, closing, closed };

    template <class Ctx>
    static handler_type make_handler(Ctx& ctx, const http::request& req) {
        if constexpr (std::is_constructible_v<handler_type, Ctx&, const http::request&>) return handler_type(ctx, req);
        else if constexpr (std::is_constructible_v<handler_type, Ctx&>) return handler_type(ctx);
        else return handler_type{};
    }

    struct queued {
        packet_type type;
        bool binary;
        std::string data;
        packet view() const { return packet{type, binary, data}; }
    };

    void send_ws(const packet& p) {
        if (p.binary) ws_->send_binary(p.bytes());
        else ws_->send_prefixed_text(type_prefix(p.type), p.data);
        if (ws_ && ws_->queued_bytes() > opts_.max_buffered_bytes) slow_consumer();
    }

    void enqueue(const packet& p) {
        queued_bytes_ += p.data.size() + 1;
        queue_.push_back({p.type, p.binary, std::string(p.data)});
        if (queued_bytes_ > opts_.max_buffered_bytes) return slow_consumer();
        if (get_pending_) wake_poll();
    }

    // Decoding space shared by the sessions of the thread (used within one call).
    static std::string& scratch() {
        thread_local std::string s;
        return s;
    }

    void wake_poll() {
        if (poll_wake_) poll_wake_->cancel();
    }

    // Deferred to the next loop turn: a send happens inside broadcasts that are
    // iterating a room, and closing here would change that room under them.
    void slow_consumer() {
        if (slow_consumer_) return;
        slow_consumer_ = true;
        asio::post(server_.shard().io(), [self = this->shared_from_this()] {
            log(log_level::warn, "engine.io client over max_buffered_bytes (slow consumer); session closed");
            self->close_with("transport error", false);
        });
    }

    static void answer_ok(http::response& res) {
        res.type("text/html");
        res.send("ok");
    }

    void answer_poll(http::response& res) {
        std::string body;
        bool closed = false;
        if (queue_.empty()) {
            // Woken without data: the session ended (a close packet, or a noop when
            // the client closed it), the upgrade completed (a close packet: the
            // reference closes the polling transport), or the upgrade's periodic
            // release (a noop).
            closed = state_ != state::open;
            const bool close_packet = release_ == poll_release::close || (closed && release_ != poll_release::noop);
            encode_polling_packet(body, packet::text(close_packet ? packet_type::close : packet_type::noop));
        } else if (poll_cut_ > 0 && poll_cut_ < queue_.size()) {
            const auto cut = queue_.begin() + static_cast<std::ptrdiff_t>(poll_cut_);
            encode_payload(body, std::span<const queued>(queue_.data(), poll_cut_),
                           [](const queued& q) { return q.view(); });
            for (auto it = queue_.begin(); it != cut; ++it) queued_bytes_ -= it->data.size() + 1;
            queue_.erase(queue_.begin(), cut);
        } else {
            encode_payload(body, queue_, [](const queued& q) { return q.view(); });
            queue_.clear();
            queued_bytes_ = 0;
        }
        poll_cut_ = 0;
        res.type("text/plain; charset=UTF-8");
        res.send(body);
        // httpCompression (sent as is if the coder fails).
        if (body.size() >= opts_.http_compression.threshold) res.encode_body(poll_coding_);
        if (state_ == state::closing && closed) finish("");
    }

    static asio::awaitable<void> wait_and_answer(std::shared_ptr<session> self, http::response& res) {
        // Packets may have arrived between poll() and the first step of this coroutine;
        // a wake without any of these reasons (an upgrade starting) waits again.
        while (self->queue_.empty() && self->state_ == state::open && self->release_ == poll_release::none) {
            // During an upgrade the client pauses polling and waits for this GET: the
            // reference releases it with a noop on a 100 ms interval that starts at
            // the probe.
            asio::steady_timer& wake = *self->poll_wake_;
            if (self->upgrading_) {
                const auto now = clock::now();
                const auto since = now - self->probe_time_;
                wake.expires_at(self->probe_time_ + (since / upgrade_noop_period + 1) * upgrade_noop_period);
            } else {
                wake.expires_at(asio::steady_timer::time_point::max());
            }
            std::error_code ec;
            co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (!ec && self->upgrading_) break;  // the interval's noop
        }
        self->get_pending_ = false;
        self->answer_poll(res);
        self->release_ = poll_release::none;
    }

    // ----- incoming -----
    void on_packet(const packet& p) {
        if (awaiting_pong_ && !pong_deadline_refreshed_ && p.type != packet_type::pong) {
            pong_deadline_refreshed_ = true;
            set_heartbeat(opts_.ping_timeout);
        }
        switch (p.type) {
            case packet_type::pong:
                awaiting_pong_ = false;
                schedule_ping();
                break;
            case packet_type::message:
                handler_.on_message(*this, p);
                break;
            case packet_type::close:
                // Over WebSocket the reference ignores it (the client closes the
                // WebSocket right after, which ends the session); over polling
                // post() handles it.
                break;
            case packet_type::ping:
                // v4: the server pings, never the client.
                close_with("parse error", false);
                break;
            default:
                break;  // open/upgrade/noop on an established transport: ignored like the reference
        }
    }

    void on_ws_message(ws_connection* ws, bool binary, std::span<const std::byte> payload) {
        packet p;
        if (binary) {
            p = decode_ws_binary(payload);
        } else if (decode_ws_text(std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()), p,
                                  scratch())) {
            if (ws == ws_) close_with("parse error", false);
            else ws->close(reference_close);
            return;
        }
        if (ws == probe_) return on_probe_message(ws, p);
        if (ws != ws_ || state_ != state::open) return;
        auto self = this->shared_from_this();
        on_packet(p);
    }

    void on_probe_message(ws_connection* ws, const packet& p) {
        if (p.type == packet_type::ping && p.data == probe) {
            ws->send_prefixed_text(type_prefix(packet_type::pong), probe);
            upgrading_ = true;
            probe_time_ = clock::now();
            // A parked GET now waits for the upgrade's noop interval.
            if (get_pending_) wake_poll();
            return;
        }
        if (p.type == packet_type::upgrade && state_ == state::open) {
            probe_ = nullptr;
            upgrading_ = false;
            ws_ = ws;
            transport_ = transport_kind::websocket;
            if (get_pending_) {
                release_ = poll_release::close;
                wake_poll();
            }
            // Packets queued for polling go out on the WebSocket, in order.
            for (auto& q : queue_) send_ws(q.view());
            queue_.clear();
            queued_bytes_ = 0;
            return;
        }
        // Anything else during the probe: the upgrade fails, polling continues.
        probe_ = nullptr;
        upgrading_ = false;
        ws->close(reference_close);
    }

    void on_ws_closed(ws_connection* ws) {
        if (ws == probe_) {
            probe_ = nullptr;
            upgrading_ = false;
            return;
        }
        if (ws == ws_) {
            ws_ = nullptr;
            // Deferred like slow_consumer(): a failed write can end the WebSocket
            // inside a broadcast that is iterating a room.
            if (state_ == state::open)
                asio::post(server_.shard().io(), [self = this->shared_from_this()] { self->close_with("transport close", false); });
            else if (state_ == state::closing) finish("");
        }
    }

    // ----- heartbeat -----
    // One deadline: the next ping while waiting for nothing, the pong's deadline while
    // awaiting_pong_, the end of a closing polling session while close_wait_. As in
    // the reference: the next ping is pingInterval after the pong (not after the last
    // ping), and the first other packet that arrives while a pong is awaited proves
    // the client alive once — the pong's deadline restarts from it.
    void schedule_ping() { set_heartbeat(opts_.ping_interval); }
    void send_ping() {
        awaiting_pong_ = true;
        pong_deadline_refreshed_ = false;
        set_heartbeat(opts_.ping_timeout);
        send(packet::text(packet_type::ping));
    }
    void set_heartbeat(clock::duration d) {
        hb_deadline_ = clock::now() + d;
        rearm();
    }
    // Puts the session's wheel entry at its earliest pending deadline (none once
    // closed, or while a WebSocket closes on its own).
    void rearm() {
        const bool heartbeat = state_ == state::open || (state_ == state::closing && close_wait_);
        if (!heartbeat && !probe_) return server_.shard().cancel(*this);
        clock::time_point when = heartbeat ? hb_deadline_ : clock::time_point::max();
        if (probe_) when = std::min(when, upgrade_deadline_);
        server_.shard().schedule_at(*this, when);
    }

    // ----- closing -----
    // `notify_client` (server-initiated close): a polling client gets a close packet;
    // otherwise the transport is just dropped (errors, client-initiated close,
    // timeouts).
    void close_with(std::string_view reason, bool notify_client) {
        if (state_ != state::open) return;
        auto self = this->shared_from_this();
        state_ = state::closing;
        const std::string why(reason);  // `reason` may not outlive the handler's callbacks
        if (probe_) {
            auto* p = probe_;
            probe_ = nullptr;
            p->close(reference_close);
        }
        handler_.on_close(*this, why);
        if (transport_ == transport_kind::websocket && ws_) {
            auto* w = ws_;
            ws_ = nullptr;
            // No close packet on WebSocket: the reference just closes it (after what
            // is queued), and clients take the close frame as the end.
            w->close(reference_close);
            return finish("");
        }
        // Polling: the close packet goes to the parked GET, or waits (up to one
        // ping timeout) for the next one.
        // Packets already queued are delivered first (engine.io flushes its write
        // buffer, then closes): this GET carries them, the next one the close packet.
        if (!notify_client) {
            queue_.clear();
            queued_bytes_ = 0;
        }
        if (get_pending_ && queue_.empty()) {
            wake_poll();  // answer_poll() sends the close packet and finishes
            return;
        }
        if (get_pending_) wake_poll();
        if (!notify_client) return finish("");
        close_wait_ = true;
        set_heartbeat(opts_.ping_timeout);
    }

    // The session is gone: unregistered (a later request with its sid gets "Session
    // ID unknown"), timers stopped. Until then a closing polling session stays
    // registered so that the next GET can collect its close packet.
    void finish(std::string_view) {
        if (state_ == state::closed) return;
        state_ = state::closed;
        close_wait_ = false;
        server_.shard().cancel(*this);
        server_.unregister(sid_);
    }

    Server& server_;
    const options& opts_;
    session_id sid_;
    transport_kind transport_;
    std::unique_ptr<asio::steady_timer> poll_wake_;  // polling sessions only: wakes the parked GET
    clock::time_point hb_deadline_{}, upgrade_deadline_{};
    handler_type handler_;
    ws_connection* ws_ = nullptr;
    ws_connection* probe_ = nullptr;
    std::vector<queued> queue_;
    std::size_t queued_bytes_ = 0;
    std::uint32_t poll_cut_ = 0;  // > 0: the parked GET takes only the first poll_cut_ packets
    state state_ = state::open;
    bool get_pending_ = false;
    bool post_pending_ = false;
    bool awaiting_pong_ = false;
    bool pong_deadline_refreshed_ = false;
    enum class poll_release : std::uint8_t { none, noop, close };
    poll_release release_ = poll_release::none;  // how a parked GET without data is answered
    clock::time_point probe_time_{};
    bool upgrading_ = false;  // probe answered, upgrade packet not yet received
    http::content_coding poll_coding_ = http::content_coding::identity;  // the current GET's (httpCompression)
    bool slow_consumer_ = false;
    bool close_wait_ = false;  // closing polling session: finish at hb_deadline_
};

}  // namespace duet::eio
