// duet/sio/client.hpp — the Socket.IO side of one Engine.IO session.
//
// Owns: `client` (the namespace sockets of one connection, its HTTP session id, and
// the send path to its Engine.IO session), `transport_ops` (the 5-entry table through
// which a client reaches that session: the one indirection, on the send path) and
// `handshake_info` (what the Engine.IO handshake request said, kept compact as every
// connection holds one for its whole life).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <duet/eio/packet.hpp>
#include <duet/http/ascii.hpp>
#include <duet/session/session.hpp>
#include <duet/sio/encoder.hpp>
#include <duet/sio/wire.hpp>
#include <duet/sio/namespace_state.hpp>
#include <duet/sio/packet.hpp>
#include <duet/sio/socket_class.hpp>
#include <duet/ws/options.hpp>

namespace duet::sio {

// ----- the transport of a client (its Engine.IO session) -----
struct transport_ops {
    // Unicast: the text packet followed by its binary attachments.
    void (*send)(void* session, const eio::packet* packets, std::size_t count);
    // Broadcast: pre-framed WebSocket bytes shared by all recipients, with the same
    // packets for a session still on long-polling.
    void (*send_shared)(void* session, const ws::shared_bytes& framed, const eio::packet* packets, std::size_t count);
    // Closes the Engine.IO session (all namespaces).
    void (*close)(void* session);
    // Bytes waiting to be written to this client (volatile emits skip busy clients).
    std::size_t (*backlog)(void* session);
    // Writes what is queued now, as its own write (not coalesced with what the
    // rest of this turn queues): the CONNECT reply.
    void (*flush)(void* session);
};

// What the client sent when it connected (the Engine.IO handshake request). Kept
// compact — one string holding the URL, the peer address and the header lines,
// parsed on lookup — as every connection holds one for its whole life.
struct handshake_info {
    std::chrono::system_clock::time_point time{};
    bool secure = false;

    handshake_info() = default;
    // `headers`: each header as "name:value\n".
    handshake_info(std::string_view url, std::string_view address, std::string_view headers)
        : url_size_(static_cast<std::uint32_t>(url.size())), address_size_(static_cast<std::uint32_t>(address.size())) {
        raw_.reserve(url.size() + address.size() + headers.size());
        raw_.append(url).append(address).append(headers);
    }

    std::string_view url() const noexcept { return std::string_view(raw_).substr(0, url_size_); }
    // The raw query string, without '?'.
    std::string_view query() const noexcept {
        std::string_view u = url();
        auto q = u.find('?');
        return q == std::string_view::npos ? std::string_view{} : u.substr(q + 1);
    }
    // The client's IP address, as text.
    std::string_view address() const noexcept { return std::string_view(raw_).substr(url_size_, address_size_); }
    // The first header of that name (case-insensitive).
    std::optional<std::string_view> header(std::string_view name) const noexcept {
        std::optional<std::string_view> found;
        for_each_header([&](std::string_view k, std::string_view v) {
            if (!found && http::ascii_iequals(k, name)) found = v;
        });
        return found;
    }
    template <class F>
    void for_each_header(F&& f) const {
        std::string_view rest = std::string_view(raw_).substr(std::min<std::size_t>(raw_.size(), url_size_ + address_size_));
        while (!rest.empty()) {
            auto nl = rest.find('\n');
            std::string_view line = rest.substr(0, nl);
            rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
            auto colon = line.find(':');
            if (colon == std::string_view::npos) continue;
            f(line.substr(0, colon), line.substr(colon + 1));
        }
    }
    std::vector<std::pair<std::string_view, std::string_view>> headers() const {
        std::vector<std::pair<std::string_view, std::string_view>> out;
        for_each_header([&](std::string_view k, std::string_view v) { out.emplace_back(k, v); });
        return out;
    }

private:
    std::string raw_;  // url, address, then "name:value\n" per header
    std::uint32_t url_size_ = 0;
    std::uint32_t address_size_ = 0;
};

// ----- the Socket.IO side of one Engine.IO session -----
class client : public std::enable_shared_from_this<client> {
public:
    client(shard_state& shard, handshake_info hs) : shard_(&shard), handshake_(std::move(hs)) {
        // The HTTP session this connection belongs to: the signed session cookie of
        // the handshake request (polling or WebSocket alike).
        if (auto* so = shard.sessions())
            if (auto c = handshake_.header("cookie"))
                if (auto id = session_id_from_cookies(*so, *c)) session_id_ = std::move(*id);
    }

    // The id of the HTTP session whose cookie came with the handshake ("" if none).
    const std::string& session_id() const noexcept { return session_id_; }
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    void bind_transport(void* session, const transport_ops* ops) noexcept {
        session_ = session;
        ops_ = ops;
    }
    void unbind_transport() noexcept { session_ = nullptr; }
    bool has_transport() const noexcept { return session_ != nullptr; }

    shard_state& shard() noexcept { return *shard_; }
    const handshake_info& handshake() const noexcept { return handshake_; }

    socket* socket_for(std::string_view nsp) noexcept {
        for (auto& s : sockets_)
            if (s->nsp() == nsp) return s.get();
        return nullptr;
    }
    std::vector<std::shared_ptr<socket>>& sockets() noexcept { return sockets_; }
    // Keeps `s` (one of this client's sockets) alive while a coroutine handler holds
    // it: after the client drops it, it is retired (socket::retire), not destroyed
    // under the coroutine — `socket&` stays valid across a co_await.
    std::shared_ptr<socket> hold(socket& s) const {
        for (auto& p : sockets_)
            if (p.get() == &s) return p;
        return nullptr;
    }

    // Encodes and sends a packet to this client alone.
    void send_packet(const packet& p) {
        std::string& out = shard_->scratch();
        out.clear();
        shard_->wire().packet(out, p);
        send_encoded(out, p.attachments);
    }
    // Sends one packet encoded by the shard's wire format (`bytes`, and for a text
    // format the attachments its placeholders announce).
    void send_encoded(std::string_view bytes, std::span<const attachment> attachments) {
        if (!session_) return;
        const wire_format& w = shard_->wire();
        if (w.binary || attachments.empty()) {
            eio::packet pk = w.binary ? eio::packet::binary_message(std::as_bytes(std::span(bytes.data(), bytes.size())))
                                      : eio::packet::text(eio::packet_type::message, bytes);
            ops_->send(session_, &pk, 1);
            return;
        }
        std::vector<eio::packet> pks;
        pks.reserve(1 + attachments.size());
        append_eio_packets(w, bytes, attachments, pks);
        ops_->send(session_, pks.data(), pks.size());
    }
    void send_shared(const ws::shared_bytes& framed, const eio::packet* packets, std::size_t n) {
        if (session_) ops_->send_shared(session_, framed, packets, n);
    }
    std::size_t backlog() const { return session_ ? ops_->backlog(session_) : 0; }
    void flush_transport() {
        if (session_) ops_->flush(session_);
    }
    void close_transport() {
        if (session_) ops_->close(session_);
    }

    // Destroys a namespace socket (leaving its rooms, failing its pending acks). The
    // caller must not touch `s` afterwards.
    void drop_socket(socket& s) {
        auto it = std::find_if(sockets_.begin(), sockets_.end(), [&](auto& p) { return p.get() == &s; });
        if (it == sockets_.end()) return;
        std::shared_ptr<socket> doomed = std::move(*it);
        sockets_.erase(it);
        doomed->retire();
    }

    // The compile-time table's disconnect handling (set by the dispatcher that owns
    // this client): runs the namespace's disconnect handler, then drops the socket.
    using disconnect_hook = void (*)(void* owner, socket&, std::string_view reason);
    void bind_disconnect(disconnect_hook hook, void* owner) noexcept {
        hook_ = hook;
        hook_owner_ = owner;
    }
    void disconnect_socket(socket& s, std::string_view reason) {
        if (hook_) hook_(hook_owner_, s, reason);
        else drop_socket(s);
    }

private:
    shard_state* shard_;
    handshake_info handshake_;
    void* session_ = nullptr;
    const transport_ops* ops_ = nullptr;
    std::vector<std::shared_ptr<socket>> sockets_;
    disconnect_hook hook_ = nullptr;
    void* hook_owner_ = nullptr;
    std::string session_id_;
};

}  // namespace duet::sio
