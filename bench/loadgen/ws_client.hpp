// bench/loadgen/ws_client.hpp — a small, fast client for load generators: WebSocket
// (RFC 6455, client side) and Engine.IO v4 over it, on standalone Asio.
//
// Owns: the TCP connect, the HTTP/1.1 upgrade request and the check of the 101 answer
// (status, Upgrade, Connection, Sec-WebSocket-Accept, no extension), masked client
// frames (the masking key comes from a cheap per-connection xorshift PRNG: this is a
// load generator, not a browser), parsing of server frames (unmasked; 7-, 16- and
// 64-bit lengths; fragmented messages reassembled; ping answered with pong; close
// answered), write corking, and — in eio_client — the Engine.IO open packet, the
// heartbeat ("2" -> "3") and the message packets.
//
// The byte layout of frames is not re-implemented here: headers are written and read
// by duet's own sans-IO codec (duet/ws/frame.hpp: append_masked_frame,
// decode_frame_header with sender::server) and the accept key by duet/ws/handshake.hpp.
//
// Shape: two CRTP layers, no virtual call, no std::function.
//
//   struct my_conn : duet::loadgen::eio_client<my_conn> {
//       using eio_client::eio_client;
//       void on_eio_open(const duet::loadgen::eio_open_info&) { send_message("hi"); }
//       void on_eio_message(std::string_view data, bool binary) { ... }
//       void on_eio_closed(std::string_view why, bool by_us) { ... }
//   };
//   duet::loadgen::client_options opt{.port = 3000, .target = duet::loadgen::eio_target("/engine.io/")};
//   my_conn c(io, opt);  c.start();  io.run();
//
// A Socket.IO client is a third layer on eio_client: target eio_target("/socket.io/"),
// send "0" (CONNECT) from on_eio_open as send_message("0"), read "0{...}" back, etc.
// A plain WebSocket client derives from ws_client<D> and implements on_ws_open,
// on_ws_message and on_ws_closed.
//
// Threading and lifetime: one client belongs to one io_context and is used from the
// thread that runs it. Completion handlers capture `this`: keep the object alive (and
// at the same address) until its io_context has stopped running handlers for it, e.g.
// until io_context::run() has returned. `options` must outlive the client as well.
//
// Sends are corked: frames are appended to one buffer and written with one write; a
// send made while a write is in flight waits for it and joins the next write. Sends
// made from inside a callback (on_ws_message, on_eio_message, ...) are written once
// every frame of the current read has been handled. The send buffer is not bounded:
// a load generator that sends faster than the server reads should bound itself (for
// example by keeping a fixed number of messages in flight).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <asio.hpp>
#include <boost/json.hpp>

#include <duet/core/base64.hpp>
#include <duet/ws/frame.hpp>
#include <duet/ws/handshake.hpp>

namespace duet::loadgen {

struct client_options {
    std::string host = "127.0.0.1";  // the address connected to (an IP literal)
    std::uint16_t port = 0;
    // The HTTP request-target of the upgrade: path and query.
    std::string target = "/engine.io/?EIO=4&transport=websocket";
    std::string host_header;          // Host header value; empty: "<host>:<port>"
    std::string extra_headers;        // raw "Name: value\r\n" lines added to the request
    std::size_t max_message_size = std::size_t{64} << 20;  // larger server messages fail the client
    std::size_t read_buffer_size = std::size_t{16} << 10;  // initial; grows for big frames
    bool no_delay = true;             // TCP_NODELAY
};

// The request-target for an Engine.IO v4 WebSocket connection at `path` ("/engine.io/",
// "/socket.io/"), with optional extra query parameters ("a=1&b=2").
inline std::string eio_target(std::string_view path, std::string_view extra_query = {}) {
    std::string t(path);
    t += t.find('?') == std::string::npos ? '?' : '&';
    t += "EIO=4&transport=websocket";
    if (!extra_query.empty()) {
        t += '&';
        t += extra_query;
    }
    return t;
}

// ---------------------------------------------------------------------------------
// WebSocket layer
// ---------------------------------------------------------------------------------

// Derived implements:
//   void on_ws_open();                                                // after the 101
//   void on_ws_message(duet::ws::opcode op, std::span<char> payload); // text or binary,
//        whole message; the span is valid until return and may be modified in place
//   void on_ws_closed(std::string_view why, bool by_us);              // exactly once
template <class Derived>
class ws_client {
public:
    using opcode = duet::ws::opcode;
    enum class state : std::uint8_t { idle, connecting, handshaking, open, closing, closed };

    ws_client(asio::io_context& io, const client_options& options)
        : opt_(options), sock_(io), rng_(seed()) {}
    ws_client(const ws_client&) = delete;
    ws_client& operator=(const ws_client&) = delete;

    // Connects to options.host:options.port and performs the upgrade.
    void start() {
        asio::error_code ec;
        const auto addr = asio::ip::make_address(opt_.host, ec);
        if (ec) return fail("bad host address \"" + opt_.host + "\": " + ec.message());
        start(asio::ip::tcp::endpoint(addr, opt_.port));
    }
    void start(const asio::ip::tcp::endpoint& ep) {
        state_ = state::connecting;
        sock_.async_connect(ep, [this](const asio::error_code& ec) {
            if (ec) return fail("connect: " + ec.message());
            if (state_ != state::connecting) return;
            if (opt_.no_delay) {
                asio::error_code ignored;
                sock_.set_option(asio::ip::tcp::no_delay(true), ignored);
            }
            send_upgrade_request();
        });
    }

    // Frames. Only valid once open (on_ws_open has run); before that they are dropped.
    void send(opcode op, std::span<const std::byte> payload) {
        if (state_ != state::open) return;
        duet::ws::append_masked_frame(out_, op, payload, next_mask());
        maybe_flush();
    }
    void send_text(std::string_view s) { send(opcode::text, std::as_bytes(std::span(s.data(), s.size()))); }
    void send_binary(std::span<const std::byte> b) { send(opcode::binary, b); }
    // A text frame holding `prefix` followed by `s` (Engine.IO's "4" + data), built in a
    // reused scratch buffer.
    void send_text(char prefix, std::string_view s) {
        scratch_.resize(1 + s.size());
        scratch_[0] = prefix;
        if (!s.empty()) std::memcpy(scratch_.data() + 1, s.data(), s.size());
        send_text(std::string_view(scratch_));
    }

    // Starts the close handshake (RFC 6455 §7): sends a close frame; the connection
    // ends when the server's close frame arrives (on_ws_closed(..., true)).
    void close(duet::ws::close_code code = duet::ws::close_code::normal, std::string_view reason = {}) {
        if (state_ != state::open) return;
        std::string payload;
        duet::ws::append_close_payload(payload, code, reason);
        duet::ws::append_masked_frame(out_, opcode::close, payload, next_mask());
        state_ = state::closing;
        maybe_flush();
    }
    // Ends the connection now, without a close handshake.
    void abort(std::string_view why = "aborted") {
        if (state_ == state::closed) return;
        finish(why, true);
    }

    // Writes what the send calls have queued. Needed only after sends made from outside
    // a callback when auto_flush(false) is in effect.
    void flush() {
        if (writing_ || out_.empty() || state_ == state::closed) return;
        writing_ = true;
        std::swap(out_, wbuf_);
        asio::async_write(sock_, asio::buffer(wbuf_), [this](const asio::error_code& ec, std::size_t n) {
            writing_ = false;
            bytes_sent_ += n;
            if (ec) {
                if (state_ != state::closed) fail("write: " + ec.message());
                return;
            }
            wbuf_.clear();
            if (state_ == state::closed) return;
            flush();
        });
    }
    // With auto_flush(false), sends from outside callbacks are only queued until
    // flush(): a way to put many frames into one write.
    void auto_flush(bool on) noexcept { auto_flush_ = on; }

    state current_state() const noexcept { return state_; }
    bool is_open() const noexcept { return state_ == state::open; }
    std::size_t queued_bytes() const noexcept { return out_.size() + wbuf_.size(); }
    std::uint64_t bytes_sent() const noexcept { return bytes_sent_; }
    std::uint64_t bytes_received() const noexcept { return bytes_received_; }
    asio::ip::tcp::socket& socket() noexcept { return sock_; }
    const client_options& options() const noexcept { return opt_; }

protected:
    ~ws_client() = default;

    Derived& derived() noexcept { return static_cast<Derived&>(*this); }

    // Fails the connection with a reason (a protocol error, an I/O error, ...).
    void fail(std::string_view why) {
        if (state_ == state::closed) return;
        finish(why, false);
    }

private:
    static std::uint64_t seed() noexcept {
        static std::atomic<std::uint64_t> counter{0};
        std::uint64_t x = static_cast<std::uint64_t>(
                              std::chrono::steady_clock::now().time_since_epoch().count()) ^
                          (0x9E3779B97F4A7C15ull * (counter.fetch_add(1, std::memory_order_relaxed) + 1));
        // splitmix64 finaliser, so neighbouring seeds give unrelated streams
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
        x ^= x >> 31;
        return x ? x : 1;
    }
    std::uint64_t next_random() noexcept {  // xorshift64*
        rng_ ^= rng_ >> 12;
        rng_ ^= rng_ << 25;
        rng_ ^= rng_ >> 27;
        return rng_ * 0x2545F4914F6CDD1Dull;
    }
    duet::ws::mask_key next_mask() noexcept {
        const std::uint64_t r = next_random();
        duet::ws::mask_key k;
        for (int i = 0; i < 4; ++i) k[static_cast<std::size_t>(i)] = static_cast<std::byte>(r >> (32 + 8 * i));
        return k;
    }

    void maybe_flush() {
        if (!in_dispatch_ && auto_flush_) flush();
    }

    void finish(std::string_view why, bool by_us) {
        state_ = state::closed;
        asio::error_code ignored;
        sock_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        sock_.close(ignored);
        out_.clear();
        derived().on_ws_closed(why, by_us);
    }

    // ---- handshake ----------------------------------------------------------------

    void send_upgrade_request() {
        state_ = state::handshaking;
        std::array<std::byte, 16> nonce;
        const std::uint64_t a = next_random(), b = next_random();
        std::memcpy(nonce.data(), &a, 8);
        std::memcpy(nonce.data() + 8, &b, 8);
        const std::string key = duet::base64::encode(std::span<const std::byte>(nonce));
        expected_accept_ = duet::ws::accept_key(key);

        std::string& r = out_;
        r.clear();
        r += "GET ";
        r += opt_.target;
        r += " HTTP/1.1\r\nHost: ";
        if (opt_.host_header.empty()) {
            r += opt_.host;
            r += ':';
            r += std::to_string(opt_.port);
        } else {
            r += opt_.host_header;
        }
        r += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
        r += key;
        r += "\r\nSec-WebSocket-Version: 13\r\n";
        r += opt_.extra_headers;
        r += "\r\n";
        flush();  // state is handshaking, not closed: the write goes out
        in_.resize(std::max<std::size_t>(opt_.read_buffer_size, 4096));
        read();
    }

    // Returns false when the connection was failed.
    bool check_upgrade_response(std::string_view head) {
        // head: the status line and the header lines, without the final CRLF CRLF.
        const std::size_t eol = head.find("\r\n");
        const std::string_view status_line = head.substr(0, eol);
        if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/" ||
            status_line.substr(9, 3) != "101") {
            fail("upgrade refused: \"" + std::string(status_line) + "\"");
            return false;
        }
        std::string upgrade, connection, accept, extensions;
        std::string_view rest = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
        while (!rest.empty()) {
            const std::size_t e = rest.find("\r\n");
            const std::string_view line = rest.substr(0, e);
            rest = e == std::string_view::npos ? std::string_view{} : rest.substr(e + 2);
            const std::size_t colon = line.find(':');
            if (colon == std::string_view::npos) continue;
            const std::string_view name = line.substr(0, colon);
            std::string_view value = line.substr(colon + 1);
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
            auto join = [&](std::string& to) {
                if (!to.empty()) to += ',';
                to += value;
            };
            if (iequals(name, "upgrade")) join(upgrade);
            else if (iequals(name, "connection")) join(connection);
            else if (iequals(name, "sec-websocket-accept")) join(accept);
            else if (iequals(name, "sec-websocket-extensions")) join(extensions);
        }
        if (!duet::ws::header_has_token(upgrade, "websocket")) {
            fail("upgrade: 101 without \"Upgrade: websocket\"");
            return false;
        }
        if (!duet::ws::header_has_token(connection, "upgrade")) {
            fail("upgrade: 101 without \"Connection: Upgrade\"");
            return false;
        }
        if (accept != expected_accept_) {
            fail("upgrade: Sec-WebSocket-Accept is \"" + accept + "\", expected \"" + expected_accept_ + "\"");
            return false;
        }
        if (!extensions.empty()) {  // none was offered (§4.1: the client must fail)
            fail("upgrade: server chose an extension that was not offered: " + extensions);
            return false;
        }
        return true;
    }

    static bool iequals(std::string_view a, std::string_view b) noexcept {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            char x = a[i], y = b[i];
            if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
            if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
            if (x != y) return false;
        }
        return true;
    }

    // ---- reading --------------------------------------------------------------------

    void read() {
        if (in_end_ == in_.size()) {  // make room: compact, then grow if still full
            if (in_begin_ > 0) {
                std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
                in_end_ -= in_begin_;
                in_begin_ = 0;
            }
            if (in_end_ == in_.size()) in_.resize(in_.size() * 2);
        }
        sock_.async_read_some(asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
                              [this](const asio::error_code& ec, std::size_t n) { on_read(ec, n); });
    }

    void on_read(const asio::error_code& ec, std::size_t n) {
        if (state_ == state::closed) return;
        if (ec) {
            if (ec == asio::error::eof) return fail("server closed the TCP connection");
            return fail("read: " + ec.message());
        }
        in_end_ += n;
        bytes_received_ += n;
        if (state_ == state::handshaking) {
            const std::string_view have(in_.data() + in_begin_, in_end_ - in_begin_);
            const std::size_t end = have.find("\r\n\r\n");
            if (end == std::string_view::npos) {
                if (have.size() > 16384) return fail("upgrade: response head larger than 16 KiB");
                return read();
            }
            if (!check_upgrade_response(have.substr(0, end))) return;
            in_begin_ += end + 4;
            state_ = state::open;
            in_dispatch_ = true;
            derived().on_ws_open();
            in_dispatch_ = false;
            if (state_ == state::closed) return;
            // frames that came with the 101 (e.g. the Engine.IO open packet) fall through
        }
        in_dispatch_ = true;
        parse_frames();
        in_dispatch_ = false;
        if (state_ == state::closed) return;
        flush();  // everything the callbacks sent for this read, in one write
        if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
        read();
    }

    void parse_frames() {
        using duet::ws::opcode;
        while (state_ != state::closed) {
            const std::size_t avail = in_end_ - in_begin_;
            if (avail == 0) return;
            auto* p = reinterpret_cast<std::byte*>(in_.data() + in_begin_);
            duet::ws::frame_header h;
            std::error_code ec;
            const std::size_t hn = duet::ws::decode_frame_header({p, avail}, h, ec, duet::ws::sender::server);
            if (ec) return fail("bad frame from server: " + ec.message());
            if (hn == 0) return reserve(duet::ws::max_server_header_size);
            if (h.payload_size > opt_.max_message_size ||
                (h.op == opcode::continuation && msg_.size() + h.payload_size > opt_.max_message_size))
                return fail("server message larger than max_message_size (" +
                            std::to_string(opt_.max_message_size) + " bytes)");
            const std::size_t total = hn + static_cast<std::size_t>(h.payload_size);
            if (avail < total) return reserve(total);
            char* payload = in_.data() + in_begin_ + hn;
            const std::size_t size = static_cast<std::size_t>(h.payload_size);
            in_begin_ += total;  // consumed before the callback, which may send or close
            switch (h.op) {
                case opcode::text:
                case opcode::binary:
                    if (fragmented_) return fail("server started a new message inside a fragmented one");
                    if (h.fin) {
                        derived().on_ws_message(h.op, std::span<char>(payload, size));
                    } else {
                        fragmented_ = true;
                        msg_op_ = h.op;
                        msg_.assign(payload, size);
                    }
                    break;
                case opcode::continuation:
                    if (!fragmented_) return fail("server sent a continuation frame with no message open");
                    msg_.append(payload, size);
                    if (h.fin) {
                        fragmented_ = false;
                        derived().on_ws_message(msg_op_, std::span<char>(msg_.data(), msg_.size()));
                    }
                    break;
                case opcode::ping:
                    if (state_ == state::open)
                        duet::ws::append_masked_frame(
                            out_, opcode::pong, std::as_bytes(std::span<const char>(payload, size)), next_mask());
                    break;
                case opcode::pong:
                    break;
                case opcode::close: {
                    std::string why = "server closed the WebSocket";
                    if (size >= 2) {
                        const unsigned code = (static_cast<unsigned char>(payload[0]) << 8) |
                                              static_cast<unsigned char>(payload[1]);
                        why += " (" + std::to_string(code);
                        if (size > 2) why += " " + std::string(payload + 2, size - 2);
                        why += ")";
                    }
                    if (state_ == state::closing) return finish("closed", true);  // our close, answered
                    // Echo the close (§5.5.1), then end: the server closes TCP after it.
                    std::string body;
                    if (size >= 2) body.assign(payload, 2);
                    duet::ws::append_masked_frame(out_, opcode::close, body, next_mask());
                    std::string bytes;
                    std::swap(bytes, out_);
                    asio::error_code ignored;
                    if (!writing_) asio::write(sock_, asio::buffer(bytes), ignored);  // tiny; best effort
                    return fail(why);
                }
            }
        }
    }

    // Makes sure the buffer can hold `total` bytes from in_begin_ on.
    void reserve(std::size_t total) {
        if (in_begin_ + total <= in_.size()) return;
        if (in_begin_ > 0) {
            std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
            in_end_ -= in_begin_;
            in_begin_ = 0;
        }
        if (total > in_.size()) in_.resize(std::max(total, in_.size() * 2));
    }

    const client_options& opt_;
    asio::ip::tcp::socket sock_;
    std::uint64_t rng_;
    state state_ = state::idle;
    bool writing_ = false;
    bool in_dispatch_ = false;
    bool auto_flush_ = true;
    bool fragmented_ = false;
    opcode msg_op_ = opcode::text;
    std::string out_;      // frames queued for the next write
    std::string wbuf_;     // the write in flight
    std::string scratch_;  // send_text(prefix, s)
    std::string msg_;      // a fragmented message being reassembled
    std::vector<char> in_;
    std::size_t in_begin_ = 0, in_end_ = 0;
    std::string expected_accept_;
    std::uint64_t bytes_sent_ = 0;
    std::uint64_t bytes_received_ = 0;
};

// ---------------------------------------------------------------------------------
// Engine.IO v4 layer
// ---------------------------------------------------------------------------------

struct eio_open_info {
    std::string sid;
    std::vector<std::string> upgrades;
    std::chrono::milliseconds ping_interval{0};
    std::chrono::milliseconds ping_timeout{0};
    std::size_t max_payload = 0;
    std::string raw;  // the open packet's JSON as received
};

// Derived implements:
//   void on_eio_open(const eio_open_info&);                   // the open packet arrived
//   void on_eio_message(std::string_view data, bool binary);  // a message packet; for a
//        text message `data` is what follows the "4"; the view is valid until return
//   void on_eio_closed(std::string_view why, bool by_us);     // exactly once
// and may override on_eio_ping(std::string_view data) (called after the pong is queued).
template <class Derived>
class eio_client : public ws_client<Derived> {
    using base = ws_client<Derived>;
    friend base;

public:
    using base::base;

    // Sends a message packet: text as a text frame "4<data>", binary as a binary frame.
    void send_message(std::string_view data) { base::send_text('4', data); }
    void send_message(std::span<const std::byte> data) { base::send_binary(data); }
    // Sends any Engine.IO packet as text, e.g. send_packet('4', "40") for Socket.IO.
    void send_packet(char type, std::string_view data) { base::send_text(type, data); }

    // Sends the Engine.IO close packet ("1"), then closes the WebSocket.
    void close_session() {
        if (!this->is_open()) return;
        base::send_text("1");
        base::close();
    }

    bool eio_open() const noexcept { return eio_open_; }
    const eio_open_info& open_info() const noexcept { return info_; }
    std::uint64_t pings_answered() const noexcept { return pings_; }

    void on_eio_ping(std::string_view) {}

protected:
    ~eio_client() = default;

private:
    Derived& self() noexcept { return static_cast<Derived&>(*this); }

    void on_ws_open() {}

    void on_ws_message(duet::ws::opcode op, std::span<char> payload) {
        if (op == duet::ws::opcode::binary) {
            if (!eio_open_) return this->fail("engine.io: binary message before the open packet");
            self().on_eio_message(std::string_view(payload.data(), payload.size()), true);
            return;
        }
        const std::string_view p(payload.data(), payload.size());
        if (p.empty()) return this->fail("engine.io: empty text frame");
        const std::string_view data = p.substr(1);
        if (!eio_open_ && p[0] != '0')
            return this->fail("engine.io: packet type '" + std::string(1, p[0]) + "' before the open packet");
        switch (p[0]) {
            case '0': {  // open
                if (eio_open_) return this->fail("engine.io: second open packet");
                if (!parse_open(data)) return;
                eio_open_ = true;
                self().on_eio_open(info_);
                return;
            }
            case '1':
                return this->fail("engine.io: server sent the close packet");
            case '2':  // ping -> pong with the same data
                ++pings_;
                base::send_text('3', data);
                self().on_eio_ping(data);
                return;
            case '3':  // pong (a v4 server never pings back; ignore)
            case '6':  // noop
                return;
            case '4':
                self().on_eio_message(data, false);
                return;
            default:
                return this->fail("engine.io: unexpected packet type '" + std::string(1, p[0]) + "'");
        }
    }

    void on_ws_closed(std::string_view why, bool by_us) { self().on_eio_closed(why, by_us); }

    bool parse_open(std::string_view json) {
        info_.raw.assign(json);
        boost::system::error_code ec;
        const boost::json::value v = boost::json::parse(json, ec);
        if (ec || !v.is_object()) {
            this->fail("engine.io: open packet is not a JSON object: " + std::string(json.substr(0, 200)));
            return false;
        }
        const auto& o = v.get_object();
        auto num = [&](const char* k) -> std::int64_t {
            const auto* x = o.if_contains(k);
            if (!x) return -1;
            if (x->is_int64()) return x->get_int64();
            if (x->is_uint64()) return static_cast<std::int64_t>(x->get_uint64());
            if (x->is_double()) return static_cast<std::int64_t>(x->get_double());
            return -1;
        };
        const auto* sid = o.if_contains("sid");
        if (!sid || !sid->is_string()) {
            this->fail("engine.io: open packet without a sid: " + std::string(json.substr(0, 200)));
            return false;
        }
        info_.sid = std::string(sid->get_string());
        info_.ping_interval = std::chrono::milliseconds(num("pingInterval"));
        info_.ping_timeout = std::chrono::milliseconds(num("pingTimeout"));
        const std::int64_t mp = num("maxPayload");
        info_.max_payload = mp < 0 ? 0 : static_cast<std::size_t>(mp);
        info_.upgrades.clear();
        if (const auto* u = o.if_contains("upgrades"); u && u->is_array())
            for (const auto& e : u->get_array())
                if (e.is_string()) info_.upgrades.emplace_back(e.get_string());
        return true;
    }

    eio_open_info info_;
    bool eio_open_ = false;
    std::uint64_t pings_ = 0;
};

}  // namespace duet::loadgen
