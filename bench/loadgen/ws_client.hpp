// bench/loadgen/ws_client.hpp — a small, fast client for load generators: WebSocket
// (RFC 6455, client side) and Engine.IO v4 over it, on standalone Asio.
//
// Owns: the TCP connect, the HTTP/1.1 upgrade request and the check of the 101 answer
// (status, Upgrade, Connection, Sec-WebSocket-Accept; no extension unless
// permessage-deflate was offered: client_options::offer_deflate), masked client
// frames (the masking key comes from a cheap per-connection xorshift PRNG: this is a
// load generator, not a browser), parsing of server frames (unmasked; 7-, 16- and
// 64-bit lengths; fragmented messages reassembled; ping answered with pong; close
// answered; compressed messages inflated when deflate was negotiated), write corking,
// and — in eio_client — the Engine.IO open packet, the heartbeat ("2" -> "3") and the
// message packets.
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
// A Socket.IO v5 client is the third layer, sio_client<D> (target
// eio_target("/socket.io/")): it sends CONNECT for its namespace when the Engine.IO
// session opens and hands events and acks over as JSON text, unparsed:
//
//   struct my_sio : duet::loadgen::sio_client<my_sio> {
//       using sio_client::sio_client;
//       void on_sio_connect(std::string_view sid) { emit(R"(["join","r"])", 1); }
//       void on_sio_event(std::string_view args, std::optional<std::uint64_t> ack_id) { ... }
//       void on_sio_ack(std::uint64_t id, std::string_view args) { ... }
//       void on_sio_closed(std::string_view why, bool by_us) { ... }
//   };
//
// With set_msgpack(true) (built with DUET_LOADGEN_MSGPACK, which needs msgpuck) the
// client speaks socket.io-msgpack-parser instead: every packet one binary message, a
// msgpack map {type, data, nsp, id?}, encoded and decoded by duet's own codec
// (duet/sio/msgpack_parser.hpp); the callbacks still take JSON text (see sio_client).
//
// A plain WebSocket client derives from ws_client<D> and implements on_ws_open,
// on_ws_message and on_ws_closed.
//
// The end of this file holds measurement helpers shared by the load generators
// (latency histogram, CPU and memory readings from /proc, number formatting).
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

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <asio.hpp>
#include <boost/json.hpp>

#include <duet/core/base64.hpp>
#include <duet/core/zlib.hpp>
#include <duet/ws/frame.hpp>
#include <duet/ws/handshake.hpp>
#if DUET_LOADGEN_MSGPACK
#include <duet/sio/msgpack_parser.hpp>
#endif

namespace duet::loadgen {

struct client_options {
    std::string host = "127.0.0.1";  // the address connected to (an IP literal)
    std::uint16_t port = 0;
    // The local (source) address to connect from (an IP literal); empty: the kernel's
    // choice. Bound with IP_BIND_ADDRESS_NO_PORT, so the port is still picked at connect
    // time per destination: each source address has its own ephemeral port range, a
    // way past ~28,000 connections to one server port (127.0.0.2, 127.0.0.3, ...).
    std::string bind_host;
    // The HTTP request-target of the upgrade: path and query.
    std::string target = "/engine.io/?EIO=4&transport=websocket";
    std::string host_header;          // Host header value; empty: "<host>:<port>"
    std::string extra_headers;        // raw "Name: value\r\n" lines added to the request
    // Offer permessage-deflate (RFC 7692, as the ws package and browsers do); a server
    // that accepts it lets send_deflated() send compressed messages.
    bool offer_deflate = false;
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
        if (!opt_.bind_host.empty()) {
            asio::error_code ec;
            const auto src = asio::ip::make_address(opt_.bind_host, ec);
            if (ec) return fail("bad source address \"" + opt_.bind_host + "\": " + ec.message());
            sock_.open(ep.protocol(), ec);
            if (ec) return fail("socket: " + ec.message());
            if (src.is_v4()) {
                constexpr int ip_bind_address_no_port = 24;  // IP_BIND_ADDRESS_NO_PORT, <linux/in.h>
                const int one = 1;
                ::setsockopt(sock_.native_handle(), IPPROTO_IP, ip_bind_address_no_port, &one, sizeof one);
            }
            sock_.bind(asio::ip::tcp::endpoint(src, 0), ec);
            if (ec) return fail("bind to source address " + opt_.bind_host + ": " + ec.message());
        }
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
    // A text message deflated (RSV1) when permessage-deflate was negotiated, plain
    // otherwise. Each message is deflated alone (no context kept on this side).
    void send_deflated_text(std::string_view s) {
        if (!deflate_) return send_text(s);
        if (state_ != state::open) return;
        packed_.clear();
        if (!duet::zlib::deflate_message(s, packed_)) return send_text(s);
        const std::size_t at = out_.size();
        duet::ws::append_masked_frame(out_, opcode::text, std::as_bytes(std::span(packed_.data(), packed_.size())), next_mask());
        out_[at] = static_cast<char>(static_cast<unsigned char>(out_[at]) | 0x40);
        maybe_flush();
    }
    bool deflate_negotiated() const noexcept { return deflate_; }
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
        if (opt_.offer_deflate) r += "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
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
        if (opt_.offer_deflate && extensions.rfind("permessage-deflate", 0) == 0) {
            deflate_ = true;
        } else if (!extensions.empty()) {  // none was offered (§4.1: the client must fail)
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

    // A whole message to the derived class, inflated first when it came compressed
    // (the server's stream: kept across messages, as it may use context takeover).
    // false when the connection was failed.
    bool deliver(duet::ws::opcode op, bool compressed, std::span<char> payload) {
        if (!compressed) {
            derived().on_ws_message(op, payload);
            return true;
        }
        if (!inflater_) inflater_ = std::make_unique<duet::zlib::message_inflater>(15);
        inflated_.clear();
        if (inflater_->inflate_message({payload.data(), payload.size()}, inflated_, opt_.max_message_size)) {
            fail("server sent a compressed message that does not inflate within max_message_size");
            return false;
        }
        derived().on_ws_message(op, std::span<char>(inflated_.data(), inflated_.size()));
        return true;
    }

    void parse_frames() {
        using duet::ws::opcode;
        while (state_ != state::closed) {
            const std::size_t avail = in_end_ - in_begin_;
            if (avail == 0) return;
            auto* p = reinterpret_cast<std::byte*>(in_.data() + in_begin_);
            duet::ws::frame_header h;
            duet::ws::error err{};
            // With permessage-deflate on, RSV1 marks a compressed message's first frame.
            const std::size_t hn = duet::ws::detail::decode_header({p, avail}, h, duet::ws::sender::server, err, deflate_);
            if (err != duet::ws::error{}) return fail("bad frame from server: " + std::error_code(err).message());
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
                        if (!deliver(h.op, h.rsv1, std::span<char>(payload, size))) return;
                    } else {
                        fragmented_ = true;
                        msg_op_ = h.op;
                        msg_rsv1_ = h.rsv1;
                        msg_.assign(payload, size);
                    }
                    break;
                case opcode::continuation:
                    if (!fragmented_) return fail("server sent a continuation frame with no message open");
                    msg_.append(payload, size);
                    if (h.fin) {
                        fragmented_ = false;
                        if (!deliver(msg_op_, msg_rsv1_, std::span<char>(msg_.data(), msg_.size()))) return;
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
    bool deflate_ = false;   // permessage-deflate negotiated
    bool msg_rsv1_ = false;  // the fragmented message in msg_ is compressed
    std::string packed_;     // send_deflated_text's output
    std::string inflated_;   // the last inflated message
    std::unique_ptr<duet::zlib::message_inflater> inflater_;
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

// ---------------------------------------------------------------------------------
// Socket.IO v5 layer
// ---------------------------------------------------------------------------------

// The header of a Socket.IO packet in its text encoding,
// "<type>[<attachments>-][<nsp>,][<id>][<json>]".
struct sio_header {
    char type = 0;  // '0' CONNECT .. '6' BINARY_ACK
    std::size_t attachments = 0;
    std::string_view nsp = "/";
    std::optional<std::uint64_t> id;
    std::string_view payload;  // the JSON that follows, possibly empty
};

// Parses the text of a Socket.IO packet (what follows Engine.IO's "4"); nullopt when it
// is not one. The views point into `s`.
inline std::optional<sio_header> parse_sio_header(std::string_view s) noexcept {
    sio_header h;
    if (s.empty() || s[0] < '0' || s[0] > '6') return std::nullopt;
    h.type = s[0];
    std::size_t i = 1;
    auto digit = [&](std::size_t at) { return at < s.size() && s[at] >= '0' && s[at] <= '9'; };
    if (h.type == '5' || h.type == '6') {
        const std::size_t from = i;
        while (digit(i) && i - from < 9) h.attachments = h.attachments * 10 + static_cast<std::size_t>(s[i++] - '0');
        if (i == from || i >= s.size() || s[i] != '-') return std::nullopt;
        ++i;
    }
    if (i < s.size() && s[i] == '/') {
        const std::size_t comma = s.find(',', i);
        if (comma == std::string_view::npos) {
            h.nsp = s.substr(i);
            i = s.size();
        } else {
            h.nsp = s.substr(i, comma - i);
            i = comma + 1;
        }
    }
    if (digit(i)) {
        std::uint64_t id = 0;
        const std::size_t from = i;
        while (digit(i)) {
            if (i - from >= 19) return std::nullopt;
            id = id * 10 + static_cast<std::uint64_t>(s[i++] - '0');
        }
        h.id = id;
    }
    h.payload = s.substr(i);
    return h;
}

// Derived implements:
//   void on_sio_connect(std::string_view sid);           // CONNECT answered for the namespace
//   void on_sio_event(std::string_view args, std::optional<std::uint64_t> ack_id);
//        // EVENT: `args` is the JSON array text, event name first (["echo","x"]);
//        // valid until return
//   void on_sio_ack(std::uint64_t id, std::string_view args);  // ACK: the JSON array text
//   void on_sio_closed(std::string_view why, bool by_us);      // exactly once
// and may override on_sio_connect_error(std::string_view json) (default: fail the
// connection with the server's message).
//
// One namespace per connection (socket.io-client's default `multiplex` aside, that is
// what a load generator needs). Binary packets (BINARY_EVENT, BINARY_ACK) fail the
// connection: this client speaks text only.
//
// MessagePack (set_msgpack(true), DUET_LOADGEN_MSGPACK): CONNECT, EVENT and ACK go out
// as one binary message each ({type, data, nsp, id?} as socket.io-client with
// socket.io-msgpack-parser writes it; CONNECT without auth has data `undefined`), and
// each binary message received is decoded with decode_msgpack_packet and its data
// handed to the same callbacks as JSON text (boost::json::serialize). emit()/send_ack()
// take the same JSON text and re-encode it. Those conversions cost load-generator CPU,
// not server CPU (the servers see only msgpack); a hot path can prebuild its message
// and send it with send_binary(). Bins in received data would arrive as
// {"_placeholder":true,"num":N} objects (the benchmarks send none).
template <class Derived>
class sio_client : public eio_client<Derived> {
    using base = eio_client<Derived>;
    friend base;

public:
    using base::base;

    // Before start(): the namespace to connect to (default "/") and the CONNECT payload
    // (a JSON object's text, e.g. R"({"token":"x"})"; empty: none).
    void set_namespace(std::string nsp) { nsp_ = std::move(nsp); }
    void set_auth(std::string json) { auth_ = std::move(json); }
    // Before start(): speak socket.io-msgpack-parser instead of the JSON text format.
    // Returns false when this build has no MessagePack support (DUET_LOADGEN_MSGPACK).
    bool set_msgpack(bool on) {
#if DUET_LOADGEN_MSGPACK
        msgpack_ = on;
        return true;
#else
        return !on;
#endif
    }
    bool msgpack() const noexcept { return msgpack_; }

    bool sio_connected() const noexcept { return connected_; }
    const std::string& sid() const noexcept { return sid_; }
    const std::string& nsp() const noexcept { return nsp_; }

    // Sends EVENT with `args`, the JSON array text with the event name first
    // (R"(["chat","hi"])"), asking for an ack when ack_id is given.
    void emit(std::string_view args, std::optional<std::uint64_t> ack_id = std::nullopt) {
#if DUET_LOADGEN_MSGPACK
        if (msgpack_) return send_msgpack_event(args, ack_id);
#endif
        begin_packet('2');
        if (ack_id) append_id(*ack_id);
        pkt_ += args;
        this->send_text(std::string_view(pkt_));
    }
    // emit() as a compressed WebSocket message (when permessage-deflate was negotiated).
    void emit_deflated(std::string_view args) {
        if (msgpack_) return this->fail("emit_deflated: text only, not with set_msgpack(true)");
        begin_packet('2');
        pkt_ += args;
        this->send_deflated_text(std::string_view(pkt_));
    }
    // Sends ACK `id` with `args` (a JSON array text, "[]" for none).
    void send_ack(std::uint64_t id, std::string_view args) {
#if DUET_LOADGEN_MSGPACK
        if (msgpack_) {
            boost::json::value v;
            if (!parse_array(args, v)) return;
            pkt_.clear();
            const auto& a = v.get_array();
            duet::sio::encode_msgpack_ack_append(pkt_, nsp_, id, std::span<const boost::json::value>(a.data(), a.size()), {});
            return this->send_binary(std::as_bytes(std::span(pkt_.data(), pkt_.size())));
        }
#endif
        begin_packet('3');
        append_id(id);
        pkt_ += args;
        this->send_text(std::string_view(pkt_));
    }

    void on_sio_connect_error(std::string_view json) {
        this->fail("socket.io: CONNECT_ERROR for namespace " + nsp_ + ": " + std::string(json.substr(0, 200)));
    }

protected:
    ~sio_client() = default;

private:
    Derived& self() noexcept { return static_cast<Derived&>(*this); }

    // "4" (Engine.IO message) + type + "<nsp>," when not the main namespace.
    void begin_packet(char type) {
        pkt_.clear();
        pkt_ += '4';
        pkt_ += type;
        if (nsp_ != "/") {
            pkt_ += nsp_;
            pkt_ += ',';
        }
    }
    void append_id(std::uint64_t id) {
        char b[24];
        const int n = std::snprintf(b, sizeof b, "%llu", static_cast<unsigned long long>(id));
        pkt_.append(b, static_cast<std::size_t>(n));
    }

#if DUET_LOADGEN_MSGPACK
    // `args` (JSON array text, event name first) as a msgpack EVENT in one binary message.
    void send_msgpack_event(std::string_view args, std::optional<std::uint64_t> ack_id) {
        boost::json::value v;
        if (!parse_array(args, v)) return;
        const auto& a = v.get_array();
        if (a.empty() || !a[0].is_string()) return this->fail("emit: the first element must be the event name");
        pkt_.clear();
        const auto& name = a[0].get_string();
        duet::sio::encode_msgpack_event_append(pkt_, nsp_, std::string_view(name.data(), name.size()),
                                               std::span<const boost::json::value>(a.data() + 1, a.size() - 1), {},
                                               ack_id);
        this->send_binary(std::as_bytes(std::span(pkt_.data(), pkt_.size())));
    }
    bool parse_array(std::string_view json, boost::json::value& v) {
        boost::system::error_code ec;
        v = boost::json::parse(json, ec);
        if (ec || !v.is_array()) {
            this->fail("socket.io: arguments are not a JSON array: " + std::string(json.substr(0, 200)));
            return false;
        }
        return true;
    }
    // CONNECT as socket.io-client writes it: {type: 0, data: undefined | auth, nsp}.
    void send_msgpack_connect() {
        namespace md = duet::sio::msgpack_detail;
        pkt_.clear();
        md::map_header(pkt_, 3);
        md::key_type(pkt_, duet::sio::packet_type::connect);
        md::key_data(pkt_);
        if (auth_.empty()) {
            md::undefined(pkt_);
        } else {
            boost::system::error_code ec;
            const boost::json::value v = boost::json::parse(auth_, ec);
            if (ec || !v.is_object()) return this->fail("socket.io: auth is not a JSON object: " + auth_);
            duet::sio::msgpack_value::append(pkt_, v, {});
        }
        md::key_nsp(pkt_, nsp_);
        this->send_binary(std::as_bytes(std::span(pkt_.data(), pkt_.size())));
    }
    void on_msgpack_message(std::string_view data) {
        duet::sio::packet p;
        if (const auto ec = duet::sio::decode_msgpack_packet(std::as_bytes(std::span(data.data(), data.size())), p, {}))
            return this->fail("socket.io: malformed msgpack packet (" + ec.message() + ")");
        if (p.nsp != nsp_) return this->fail("socket.io: packet for namespace " + p.nsp + ", connected to " + nsp_);
        // JSON text for the callbacks: load-generator CPU, not server CPU.
        json_.clear();
        if (!p.data.is_null()) json_ = boost::json::serialize(p.data);
        using duet::sio::packet_type;
        switch (p.type) {
            case packet_type::connect: {
                const auto* o = p.data.if_object();
                const auto* sid = o ? o->if_contains("sid") : nullptr;
                if (!sid || !sid->is_string()) return this->fail("socket.io: CONNECT without a sid: " + json_.substr(0, 200));
                if (connected_) return this->fail("socket.io: second CONNECT for namespace " + nsp_);
                sid_ = std::string(sid->get_string());
                connected_ = true;
                return self().on_sio_connect(sid_);
            }
            case packet_type::disconnect:
                return this->fail("socket.io: the server disconnected namespace " + nsp_);
            case packet_type::event:
            case packet_type::binary_event:
                if (!connected_) return this->fail("socket.io: EVENT before CONNECT");
                return self().on_sio_event(json_, p.id);
            case packet_type::ack:
            case packet_type::binary_ack:
                if (!p.id) return this->fail("socket.io: ACK without an id");
                return self().on_sio_ack(*p.id, json_);
            case packet_type::connect_error:
                return self().on_sio_connect_error(json_);
        }
        return this->fail("socket.io: unknown msgpack packet type");
    }
#endif

    void on_eio_open(const eio_open_info&) {
#if DUET_LOADGEN_MSGPACK
        if (msgpack_) return send_msgpack_connect();
#endif
        begin_packet('0');
        pkt_ += auth_;
        this->send_text(std::string_view(pkt_));
    }

    void on_eio_message(std::string_view data, bool binary) {
#if DUET_LOADGEN_MSGPACK
        if (msgpack_) {
            if (!binary) return this->fail("socket.io: text message with the msgpack parser: " + std::string(data.substr(0, 200)));
            return on_msgpack_message(data);
        }
#endif
        if (binary) return this->fail("socket.io: binary attachment received; this client handles text packets only");
        const auto h = parse_sio_header(data);
        if (!h) return this->fail("socket.io: malformed packet: " + std::string(data.substr(0, 200)));
        if (h->nsp != nsp_)
            return this->fail("socket.io: packet for namespace " + std::string(h->nsp) + ", connected to " + nsp_ + ": " +
                              std::string(data.substr(0, 200)));
        switch (h->type) {
            case '0': {  // CONNECT {"sid":"..."}
                if (connected_) return this->fail("socket.io: second CONNECT for namespace " + nsp_);
                boost::system::error_code ec;
                const boost::json::value v = boost::json::parse(h->payload, ec);
                const boost::json::value* sid = (!ec && v.is_object()) ? v.get_object().if_contains("sid") : nullptr;
                if (!sid || !sid->is_string())
                    return this->fail("socket.io: CONNECT without a sid: " + std::string(data.substr(0, 200)));
                sid_ = std::string(sid->get_string());
                connected_ = true;
                return self().on_sio_connect(sid_);
            }
            case '1':
                return this->fail("socket.io: the server disconnected namespace " + nsp_);
            case '2':
                if (!connected_) return this->fail("socket.io: EVENT before CONNECT");
                return self().on_sio_event(h->payload, h->id);
            case '3':
                if (!h->id) return this->fail("socket.io: ACK without an id");
                return self().on_sio_ack(*h->id, h->payload);
            case '4':
                return self().on_sio_connect_error(h->payload);
            default:
                return this->fail("socket.io: binary packet (type " + std::string(1, h->type) +
                                  "); this client handles text packets only");
        }
    }

    void on_eio_closed(std::string_view why, bool by_us) {
        connected_ = false;
        self().on_sio_closed(why, by_us);
    }

    std::string nsp_ = "/";
    std::string auth_;
    std::string sid_;
    std::string pkt_;
    std::string json_;  // msgpack: the decoded data as JSON text
    bool connected_ = false;
    bool msgpack_ = false;
};

// ---------------------------------------------------------------------------------
// Measurement helpers for the load generators
// ---------------------------------------------------------------------------------

// Latency histogram: HdrHistogram-style log buckets over nanoseconds. Values below 128
// have their own bucket; above, each power of two is split into 64 buckets, so a bucket
// spans less than 1/64 (1.6%) of its value and the midpoint is within 0.8%.
class log_histogram {
public:
    static constexpr int sub_bits = 7;  // 128 linear buckets, then 64 per octave
    static constexpr std::size_t half = std::size_t{1} << (sub_bits - 1);
    static constexpr std::size_t buckets = 128 + 58 * half;  // up to 2^64 ns

    log_histogram() : counts_(buckets, 0) {}

    void record(std::uint64_t v) noexcept {
        ++counts_[index(v)];
        ++n_;
        sum_ += static_cast<double>(v);
        max_ = std::max(max_, v);
        min_ = std::min(min_, v);
    }
    void merge(const log_histogram& o) noexcept {
        for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
        n_ += o.n_;
        sum_ += o.sum_;
        max_ = std::max(max_, o.max_);
        min_ = std::min(min_, o.min_);
    }
    std::uint64_t count() const noexcept { return n_; }
    std::uint64_t max() const noexcept { return n_ ? max_ : 0; }
    std::uint64_t min() const noexcept { return n_ ? min_ : 0; }
    double mean() const noexcept { return n_ ? sum_ / static_cast<double>(n_) : 0; }

    // The value at quantile q (0..1): the midpoint of the bucket holding the
    // ceil(q*n)-th smallest value, clamped to the exact min and max.
    double quantile(double q) const noexcept {
        if (n_ == 0) return 0;
        auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n_)));
        rank = std::clamp<std::uint64_t>(rank, 1, n_);
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            seen += counts_[i];
            if (seen >= rank) return std::clamp(midpoint(i), static_cast<double>(min_), static_cast<double>(max_));
        }
        return static_cast<double>(max_);
    }

private:
    static std::size_t index(std::uint64_t v) noexcept {
        if (v < 128) return static_cast<std::size_t>(v);
        const int shift = std::bit_width(v) - sub_bits;  // >= 1
        const std::uint64_t top = v >> shift;             // in [64, 128)
        return 128 + static_cast<std::size_t>(shift - 1) * half + static_cast<std::size_t>(top - half);
    }
    static double midpoint(std::size_t i) noexcept {
        if (i < 128) return static_cast<double>(i);
        const std::size_t shift = (i - 128) / half + 1;
        const std::uint64_t top = (i - 128) % half + half;
        const double lo = std::ldexp(static_cast<double>(top), static_cast<int>(shift));
        return lo + std::ldexp(1.0, static_cast<int>(shift)) / 2;
    }

    std::vector<std::uint64_t> counts_;
    std::uint64_t n_ = 0;
    double sum_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t min_ = UINT64_MAX;
};

// This process's CPU time (every thread), from getrusage.
struct self_cpu {
    double user = 0, sys = 0;
    double total() const noexcept { return user + sys; }
    static self_cpu now() {
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
        return {s(ru.ru_utime), s(ru.ru_stime)};
    }
};

inline double clock_ticks_per_second() {
    static const double t = [] {
        const long v = sysconf(_SC_CLK_TCK);
        return v > 0 ? static_cast<double>(v) : 100.0;
    }();
    return t;
}

// User and system CPU time of every thread of `pid`, in seconds, from /proc/<pid>/stat
// (proc(5) fields 14 utime, 15 stime; clock-tick resolution).
struct proc_cpu {
    double user = 0, sys = 0;
    double total() const noexcept { return user + sys; }
};
inline std::optional<proc_cpu> proc_cpu_times(long pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s;
    if (!f || !std::getline(f, s)) return std::nullopt;
    const std::size_t rp = s.rfind(')');
    if (rp == std::string::npos) return std::nullopt;
    std::istringstream in(s.substr(rp + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && (in >> field); ++i) {
        if (i == 14) utime = std::strtod(field.c_str(), nullptr);
        if (i == 15) stime = std::strtod(field.c_str(), nullptr);
    }
    return proc_cpu{utime / clock_ticks_per_second(), stime / clock_ticks_per_second()};
}
// utime+stime of every thread of `pid`, in seconds.
inline std::optional<double> proc_cpu_seconds(long pid) {
    const auto t = proc_cpu_times(pid);
    if (!t) return std::nullopt;
    return t->total();
}

// Non-idle time of every CPU, from the first line of /proc/stat.
inline std::optional<double> machine_busy_seconds() {
    std::ifstream f("/proc/stat");
    std::string cpu;
    if (!(f >> cpu) || cpu != "cpu") return std::nullopt;
    double v[8] = {};
    for (double& x : v)
        if (!(f >> x)) return std::nullopt;
    double total = 0;
    for (double x : v) total += x;  // user..steal (guest is counted inside user)
    return (total - v[3] - v[4]) / clock_ticks_per_second();  // minus idle and iowait
}

// A "kB" field of /proc/<pid>/status ("VmRSS", "VmHWM", "RssAnon", ...), in KiB.
inline std::optional<std::uint64_t> proc_status_kib(long pid, std::string_view field) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 && line[field.size()] == ':')
            return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10);
    }
    return std::nullopt;
}

// Raises the soft RLIMIT_NOFILE towards the hard limit so that `needed` descriptors
// fit; returns the soft limit in effect.
inline std::uint64_t raise_fd_limit(std::uint64_t needed) {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
    if (rl.rlim_cur < needed && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? needed : std::min<rlim_t>(rl.rlim_max, needed);
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

inline std::string json_escape(std::string_view s) {
    std::string o;
    for (const char ch : s) {
        const auto u = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') o += '\\', o += ch;
        else if (u < 0x20) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", u);
            o += b;
        } else o += ch;
    }
    return o;
}

// 1234567 -> "1,234,567"
inline std::string fmt_count(double x) {
    const auto v = static_cast<unsigned long long>(std::llround(std::max(x, 0.0)));
    const std::string d = std::to_string(v);
    std::string s;
    for (std::size_t i = 0; i < d.size(); ++i) {
        if (i > 0 && (d.size() - i) % 3 == 0) s += ',';
        s += d[i];
    }
    return s;
}

// Nanoseconds as "850us", "1.25ms", "2.00s".
inline std::string fmt_latency_ns(double ns) {
    char b[32];
    if (ns < 1e6) std::snprintf(b, sizeof b, "%.0fus", ns / 1e3);
    else if (ns < 1e9) std::snprintf(b, sizeof b, "%.2fms", ns / 1e6);
    else std::snprintf(b, sizeof b, "%.2fs", ns / 1e9);
    return b;
}

// ---------------------------------------------------------------------------------
// Command-line reading for the load generators: "--name value" or "--name=value"
// (the inline form only for "--" options). fail(message) reports a missing or
// malformed value and must not return (it exits with a usage error).
//
//   for (arg_reader args(argc, argv, usage_error); args.next();) {
//       const std::string& a = args.name();
//       if (a == "--port") o.port = args.integer(1, 65535); ...
//   }
// ---------------------------------------------------------------------------------
class arg_reader {
public:
    using fail_fn = void (*)(const std::string&);

    arg_reader(int argc, char** argv, fail_fn fail) : argc_(argc), argv_(argv), fail_(fail) {}

    // Steps to the next argument; false when there is none.
    bool next() {
        if (++i_ >= argc_) return false;
        name_ = argv_[i_];
        value_.clear();
        has_inline_ = false;
        if (name_.rfind("--", 0) == 0) {
            if (const auto eq = name_.find('='); eq != std::string::npos) {
                value_ = name_.substr(eq + 1);
                name_ = name_.substr(0, eq);
                has_inline_ = true;
            }
        }
        return true;
    }

    const std::string& name() const noexcept { return name_; }

    // The option's value: its "=..." part, or else the next argument.
    std::string value() {
        if (has_inline_) return value_;
        if (i_ + 1 >= argc_) fail(name_ + " needs a value");
        return argv_[++i_];
    }

    // The value as a whole number in [min, max].
    std::uint64_t integer(std::uint64_t min, std::uint64_t max) {
        const std::string s = value();
        char* end = nullptr;
        errno = 0;
        const unsigned long long x = std::strtoull(s.c_str(), &end, 10);
        if (s.empty() || *end || errno || s[0] == '-' || x < min || x > max)
            fail(name_ + " needs an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got \"" +
                 s + "\"");
        return x;
    }

    // The value as a number in [min, max]; `what` names it in the message ("a number").
    double number(double min, double max, std::string_view what) {
        const std::string s = value();
        char* end = nullptr;
        const double x = std::strtod(s.c_str(), &end);
        if (s.empty() || *end || !(x >= min) || x > max)
            fail(name_ + " needs " + std::string(what) + " >= " + std::to_string(min) + ", got \"" + s + "\"");
        return x;
    }

private:
    [[noreturn]] void fail(const std::string& msg) const {
        fail_(msg);
        std::abort();  // fail_ does not return
    }

    int argc_;
    char** argv_;
    fail_fn fail_;
    int i_ = 0;
    std::string name_;
    std::string value_;
    bool has_inline_ = false;
};

}  // namespace duet::loadgen
