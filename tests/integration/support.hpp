// tests/integration/support.hpp — a real server on loopback and a raw socket client.
//
// Owns: `running_server<S>` (starts a duet server on an ephemeral port in its own
// thread, stops it gracefully on destruction) and `raw_client` (blocking POSIX
// socket with timeouts, for sending exact bytes — pipelined, trickled, malformed —
// and reading exact responses), and `eio_ws_client` (Engine.IO over a raw WebSocket,
// for the Socket.IO tests). Integration tests use these instead of an HTTP or
// Socket.IO client library so that nothing normalises the bytes on either side.
#pragma once

#include <cstdlib>

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <span>
#include <string_view>
#include <system_error>
#include <thread>

#include <duet/ws/frame.hpp>

namespace duet_test {

template <class Server>
class running_server {
public:
    template <class... A>
    explicit running_server(A&&... args) : server_(static_cast<A&&>(args)...) {
        thread_ = std::thread([this] { server_.run(threads_); });
        // run() binds in the constructor already; wait until it is serving.
        for (int i = 0; i < 500 && !server_.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ~running_server() { stop(); }
    void stop() {
        if (thread_.joinable()) {
            server_.stop();
            thread_.join();
        }
    }
    Server& operator*() noexcept { return server_; }
    Server* operator->() noexcept { return &server_; }
    std::uint16_t port() const noexcept { return server_.port(); }

private:
    // DUET_TEST_SHARDS=n runs every test server on n shards (the ThreadSanitizer
    // configuration of scripts/test.sh uses 2).
    unsigned threads_ = [] {
        const char* v = std::getenv("DUET_TEST_SHARDS");
        return v && std::atoi(v) > 0 ? static_cast<unsigned>(std::atoi(v)) : 1u;
    }();
    Server server_;
    std::thread thread_;
};

class raw_client {
public:
    explicit raw_client(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd_ < 0) throw std::runtime_error("socket");
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    raw_client(const raw_client&) = delete;
    ~raw_client() { close(); }

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    void send(std::string_view bytes) {
        while (!bytes.empty()) {
            ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) throw std::runtime_error("send failed");
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    // Like send(), but reports failure (the server may have closed already).
    bool try_send(std::string_view bytes) {
        while (!bytes.empty()) {
            ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // Reads what arrives within `timeout` after the last byte, until `until` is seen
    // (if given) or the peer closes. `closed()` tells whether it did.
    std::string read(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000),
                     std::string_view until = {}) {
        std::string out;
        char buf[16384];
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            if (!until.empty() && out.find(until) != std::string::npos) break;
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) break;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) {
                closed_ = true;
                break;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
        return out;
    }

    // Reads exactly one HTTP response (head + Content-Length or chunked body).
    std::string read_response(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            if (auto n = complete_response_size(pending_)) {
                std::string r = pending_.substr(0, *n);
                pending_.erase(0, *n);
                return r;
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return {};
            std::string more = read_some(left);
            if (more.empty()) {
                if (closed_ || std::chrono::steady_clock::now() >= deadline) {
                    std::string r = std::move(pending_);
                    pending_.clear();
                    return r;
                }
                continue;
            }
            pending_ += more;
        }
    }

    // One recv() of whatever is there, waiting at most `timeout` for it.
    std::string read_some(std::chrono::milliseconds timeout) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return {};
        char buf[65536];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) {
            closed_ = true;
            return {};
        }
        return std::string(buf, static_cast<std::size_t>(n));
    }

    // True when the server closed the connection (EOF seen) within `timeout`.
    bool wait_closed(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!closed_ && std::chrono::steady_clock::now() < deadline) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            pending_ += read(left);
        }
        return closed_;
    }
    bool closed() const noexcept { return closed_; }
    int fd() const noexcept { return fd_; }

    static std::optional<std::size_t> complete_response_size(std::string_view s) {
        auto head_end = s.find("\r\n\r\n");
        if (head_end == std::string_view::npos) return std::nullopt;
        std::string_view head = s.substr(0, head_end + 4);
        std::string lower(head);
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::size_t body_start = head_end + 4;
        if (lower.find("transfer-encoding: chunked") != std::string::npos) {
            auto term = s.find("\r\n0\r\n\r\n", body_start - 2);
            if (term == std::string_view::npos) return std::nullopt;
            return term + 7;
        }
        auto cl = lower.find("content-length: ");
        // Bodiless statuses and HEAD answers are handled by the caller passing `head`.
        if (cl == std::string::npos) return body_start;
        std::size_t len = std::stoul(std::string(lower.substr(cl + 16)));
        if (lower.rfind("http/1.1 304", 0) == 0 || lower.rfind("http/1.1 204", 0) == 0) return body_start;
        if (s.size() < body_start + len) return std::nullopt;
        return body_start + len;
    }

private:
    int fd_ = -1;
    bool closed_ = false;
    std::string pending_;
};

// Status code of a response ("HTTP/1.1 404 ..." -> 404); 0 when there is none.
inline int status_of(std::string_view response) {
    if (response.size() < 12 || response.substr(0, 5) != "HTTP/") return 0;
    return std::atoi(std::string(response.substr(9, 3)).c_str());
}

inline std::string body_of(std::string_view response) {
    auto p = response.find("\r\n\r\n");
    return p == std::string_view::npos ? std::string{} : std::string(response.substr(p + 4));
}

inline std::optional<std::string> header_of(std::string_view response, std::string_view name) {
    auto head_end = response.find("\r\n\r\n");
    std::string_view head = response.substr(0, head_end);
    std::size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos < head.size()) {
        pos += 2;
        auto eol = head.find("\r\n", pos);
        std::string_view line = head.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        auto colon = line.find(':');
        if (colon != std::string_view::npos && colon == name.size()) {
            bool eq = true;
            for (std::size_t i = 0; i < colon; ++i)
                if (std::tolower(static_cast<unsigned char>(line[i])) != std::tolower(static_cast<unsigned char>(name[i]))) eq = false;
            if (eq) {
                auto v = line.substr(colon + 1);
                while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
                return std::string(v);
            }
        }
        pos = eol;
    }
    return std::nullopt;
}

// A client frame (masked, as RFC 6455 requires from clients) for raw WebSocket tests.
inline std::string masked(duet::ws::opcode op, std::string_view payload, bool fin = true) {
    std::string out;
    duet::ws::append_masked_frame(out, op, payload,
                                  duet::ws::mask_key{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}}, fin);
    return out;
}

// One frame the server sent.
struct ws_frame {
    duet::ws::opcode op{};
    bool fin = false;
    std::string payload;
};

// The status code of a close frame.
inline std::uint16_t close_code_of(const ws_frame& f) {
    if (f.payload.size() < 2) throw std::runtime_error("close frame without a status code");
    return static_cast<std::uint16_t>((static_cast<unsigned char>(f.payload[0]) << 8) |
                                      static_cast<unsigned char>(f.payload[1]));
}

// The next complete server frame on `c`, reading as needed until `timeout`; bytes of a
// frame not complete yet stay in `buf` (which starts with what followed the 101's
// head). nullopt on timeout or when the server closed the TCP connection. A frame the
// codec refuses throws: no test expects a server to send one.
inline std::optional<ws_frame> next_server_frame(raw_client& c, std::string& buf,
                                                 std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        duet::ws::frame_header h;
        std::error_code ec;
        const std::size_t n = duet::ws::decode_frame_header(std::as_bytes(std::span(buf.data(), buf.size())), h, ec,
                                                            duet::ws::sender::server);
        if (ec) throw std::runtime_error("the server sent a malformed frame: " + ec.message());
        if (n > 0 && buf.size() >= n + h.payload_size) {
            ws_frame f{h.op, h.fin, buf.substr(n, h.payload_size)};
            buf.erase(0, n + h.payload_size);
            return f;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        std::string more = c.read_some(left);
        if (more.empty() && c.closed()) return std::nullopt;
        buf += more;
    }
}

constexpr std::string_view ws_upgrade =
    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

// Engine.IO over a raw WebSocket: the open packet checked, Engine.IO pings answered.
// `headers`: extra request header lines ("Cookie: ...\r\n").
struct eio_ws_client {
    raw_client c;
    std::string buf;
    bool close_frame_seen = false;

    explicit eio_ws_client(std::uint16_t port, std::string_view headers = {}) : c(port) {
        std::string request(ws_upgrade.substr(0, ws_upgrade.size() - 2));
        request.append(headers).append("\r\n");
        c.send(request);
        std::string head = c.read(std::chrono::milliseconds(2000), "\r\n\r\n");
        auto end = head.find("\r\n\r\n");
        REQUIRE(end != std::string::npos);
        REQUIRE(status_of(head) == 101);
        buf = head.substr(end + 4);
        auto open = next();
        REQUIRE(open);
        REQUIRE(open->rfind("0{\"sid\":", 0) == 0);
    }

    void send(std::string_view text) { c.send(masked(duet::ws::opcode::text, text)); }

    // The next Engine.IO packet (a text frame's payload); nullopt on close or timeout.
    std::optional<std::string> next(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            auto f = next_server_frame(c, buf, std::max(left, std::chrono::milliseconds(0)));
            if (!f) return std::nullopt;
            if (f->op == duet::ws::opcode::close) {
                close_frame_seen = true;
                return std::nullopt;
            }
            if (f->payload == "2") {  // Engine.IO ping
                send("3");
                continue;
            }
            return std::move(f->payload);
        }
    }

    // Joins a namespace: "40" → "40{"sid":...}", "40/admin," → "40/admin,{"sid":...}".
    void connect(std::string_view nsp = "/") {
        const std::string prefix = nsp == "/" ? std::string("40") : "40" + std::string(nsp) + ",";
        send(prefix);
        auto p = next();
        REQUIRE(p);
        REQUIRE(p->rfind(prefix + "{\"sid\":", 0) == 0);
    }
};

}  // namespace duet_test
