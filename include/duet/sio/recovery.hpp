// duet/sio/recovery.hpp — connection state recovery for one namespace on one shard.
//
// Owns: `recovery_store` — the log of packets this shard sent in the namespace that a
// dropped client may have missed (`kept_packet`: the encoded text, offset included as
// its last argument, and the target, in one allocation), and the sessions of dropped
// clients, kept for max_disconnection_duration (sid, private id, rooms, data, where in
// the log they connected). `addressed_to` decides whether a packet was meant for a kept
// session (socket.io's shouldIncludePacket, plus the sender a socket.broadcast excluded).
//
// Why compact: a log holds up to max_kept_packets entries per namespace and shard for
// minutes, long after the recipients dropped the shared broadcast_message (text,
// WebSocket frames, Engine.IO packets, target vectors: ~570 bytes for a short event).
// A kept_packet is the text and the target only (~120 bytes); the frames are rebuilt
// for the few packets a returning client gets.
//
// Why a log per shard: a socket receives packets in its shard's order (its own emits at
// once, other shards' broadcasts when their mailbox runs), and the offset a client
// reports is a position in that order. Replaying "everything after the offset" is
// only exact in the order the socket was served in, so each shard logs what it
// delivered, and a client that comes back on another shard is restored from the log of
// the shard it left (see sio/app.hpp: the packets that shard had, then those the new
// shard logged while it asked, without the ones already replayed).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <boost/json/value.hpp>

#include <duet/core/random_id.hpp>
#include <duet/eio/broadcast_frame.hpp>
#include <duet/sio/adapter.hpp>
#include <duet/sio/options.hpp>

namespace duet::sio {

// A dropped client's socket, as it was.
struct kept_session {
    std::string sid;
    std::string pid;
    std::vector<std::string> rooms;
    boost::json::value data;
    std::chrono::steady_clock::time_point disconnected_at{};
    std::uint64_t connect_seq = 0;  // the log position when it connected (for a client without an offset)
};

using logged_packet = std::shared_ptr<const broadcast_message>;

// A kept session taken for a returning client, and what it missed, in order.
struct restored_session {
    kept_session session;
    std::vector<logged_packet> missed;
};

// Whether a packet sent to `to` except `except` and the sender `exclude` was addressed
// to the socket `sid` in `rooms`.
template <class To, class Except>
bool addressed_to(const To& to, const Except& except, std::string_view exclude, std::string_view sid,
                  std::span<const std::string> rooms) {
    auto member = [&](std::string_view r) { return r == sid || std::find(rooms.begin(), rooms.end(), r) != rooms.end(); };
    if (!exclude.empty() && exclude == sid) return false;
    const bool included = std::empty(to) || std::any_of(std::begin(to), std::end(to), member);
    return included && std::none_of(std::begin(except), std::end(except), member);
}
inline bool addressed_to(const broadcast_message& m, std::string_view sid, std::span<const std::string> rooms) {
    return addressed_to(m.rooms, m.except, m.exclude_id, sid, rooms);
}

// A logged packet, compact: one allocation with the encoded packet (its offset is its
// last argument), the offset again (the packet's encoding is the parser's business),
// then the target's strings, each after its length.
class kept_packet {
public:
    kept_packet(std::uint64_t seq, std::chrono::steady_clock::time_point at, const broadcast_message& m)
        : seq_(seq), at_(at), text_len_(static_cast<std::uint32_t>(m.text.size())),
          offset_len_(static_cast<std::uint32_t>(m.offset.size())),
          rooms_(static_cast<std::uint32_t>(m.rooms.size())), except_(static_cast<std::uint32_t>(m.except.size())) {
        binary_ = m.binary;
        std::size_t n = m.text.size() + m.offset.size() + 4 + m.exclude_id.size();
        for (auto& r : m.rooms) n += 4 + r.size();
        for (auto& r : m.except) n += 4 + r.size();
        blob_ = std::make_unique_for_overwrite<char[]>(n);
        char* o = blob_.get();
        auto put = [&](std::string_view v, bool with_length) {
            if (with_length) {
                const auto len = static_cast<std::uint32_t>(v.size());
                std::memcpy(o, &len, 4);
                o += 4;
            }
            std::memcpy(o, v.data(), v.size());
            o += v.size();
        };
        put(m.text, false);
        put(m.offset, false);
        for (auto& r : m.rooms) put(r, true);
        for (auto& r : m.except) put(r, true);
        put(m.exclude_id, true);
        if (!m.attachments.empty())
            attachments_ = std::make_unique<std::vector<std::vector<std::byte>>>(m.attachments);
    }

    std::uint64_t seq() const noexcept { return seq_; }
    std::chrono::steady_clock::time_point at() const noexcept { return at_; }
    std::string_view text() const noexcept { return {blob_.get(), text_len_}; }
    // The offset (the packet's last argument).
    std::string_view offset() const noexcept { return {blob_.get() + text_len_, offset_len_}; }

    bool addressed_to(std::string_view sid, std::span<const std::string> rooms) const {
        const char* p = blob_.get() + text_len_ + offset_len_;
        std::vector<std::string_view> to(rooms_), except(except_);
        for (auto& v : to) v = next(p);
        for (auto& v : except) v = next(p);
        const std::string_view exclude = next(p);
        return sio::addressed_to(to, except, exclude, sid, rooms);
    }

    // The packet framed again, for a returning client (and for another shard's log).
    logged_packet materialize() const {
        auto m = std::make_shared<broadcast_message>();
        m->text = std::string(text());
        m->offset = std::string(offset());
        const char* p = blob_.get() + text_len_ + offset_len_;
        for (std::uint32_t i = 0; i < rooms_; ++i) m->rooms.emplace_back(next(p));
        for (std::uint32_t i = 0; i < except_; ++i) m->except.emplace_back(next(p));
        m->exclude_id = std::string(next(p));
        if (attachments_) m->attachments = *attachments_;
        m->binary = binary_;
        m->framed = eio::frame_broadcast(m->text, m->attachments, m->packets, m->binary);
        return m;
    }

private:
    static std::string_view next(const char*& p) noexcept {
        std::uint32_t len;
        std::memcpy(&len, p, 4);
        std::string_view v(p + 4, len);
        p += 4 + len;
        return v;
    }

    std::uint64_t seq_;
    std::chrono::steady_clock::time_point at_;
    std::unique_ptr<char[]> blob_;
    std::unique_ptr<std::vector<std::vector<std::byte>>> attachments_;  // binary events only
    std::uint32_t text_len_, offset_len_, rooms_, except_;
    bool binary_ = false;  // broadcast_message::binary
};

class recovery_store {
public:
    using clock = std::chrono::steady_clock;

    recovery_store(asio::io_context& io, const recovery_options& opts, unsigned shard)
        : opts_(opts), shard_(shard), expiry_(io) {}
    recovery_store(const recovery_store&) = delete;
    recovery_store& operator=(const recovery_store&) = delete;

    // A private id for a new socket (socket.io's pid: 20 random base64url characters).
    static std::string new_pid() { return random_id<15>().value_or(std::string()); }

    // The offset of the next packet: unique in the process (this shard's counter and
    // its index), opaque to the client.
    std::string next_offset() {
        std::string out;
        std::uint64_t n = ++offsets_;
        char digits[16];
        int len = 0;
        do {
            digits[len++] = "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36];
            n /= 36;
        } while (n);
        out.reserve(std::size_t(len) + 4);
        while (len) out.push_back(digits[--len]);
        out.push_back('.');
        out += std::to_string(shard_);
        return out;
    }

    // Logs a packet this shard delivered (or had no recipient for) in the namespace.
    void log(const logged_packet& m, clock::time_point now = clock::now()) {
        packets_.emplace_back(next_seq_++, now, *m);
        while (packets_.size() > opts_.max_kept_packets) packets_.pop_front();
        drop_old_packets(now);
    }
    // The position the next logged packet will have.
    std::uint64_t next_seq() const noexcept { return next_seq_; }

    // Keeps the session of a socket that dropped (until max_disconnection_duration).
    void persist(kept_session s) {
        const auto at = s.disconnected_at;
        std::string pid = s.pid;
        sessions_.insert_or_assign(std::move(pid), std::move(s));
        arm_expiry(at + opts_.max_disconnection_duration);
    }

    // Takes the kept session `pid` with the packets it missed: those after `offset`
    // in this shard's log, or, for a client that never received one, those since it
    // connected. nullopt when the session is unknown or expired, or when the packets
    // it would need are no longer all in the log (then it is dropped: the client
    // starts afresh rather than with a gap).
    std::optional<restored_session> take(std::string_view pid, std::optional<std::string_view> offset,
                                         clock::time_point now = clock::now()) {
        auto it = sessions_.find(std::string(pid));
        if (it == sessions_.end()) return std::nullopt;
        kept_session s = std::move(it->second);
        sessions_.erase(it);
        if (now - s.disconnected_at > opts_.max_disconnection_duration) return std::nullopt;
        std::uint64_t from;  // the first log position the client may have missed
        if (offset) {
            auto at = std::find_if(packets_.rbegin(), packets_.rend(), [&](const kept_packet& e) { return e.offset() == *offset; });
            if (at == packets_.rend()) return std::nullopt;
            from = at->seq() + 1;
        } else {
            if (!packets_.empty() && packets_.front().seq() > s.connect_seq) return std::nullopt;
            from = s.connect_seq;
        }
        restored_session r{std::move(s), {}};
        append_since(from, r.session, {}, r.missed);
        return r;
    }

    // Appends the packets logged at or after `seq` that were addressed to `s`, skipping
    // the offsets in `skip`.
    void append_since(std::uint64_t seq, const kept_session& s, const std::unordered_set<std::string_view>& skip,
                      std::vector<logged_packet>& out) const {
        auto it = std::lower_bound(packets_.begin(), packets_.end(), seq,
                                   [](const kept_packet& e, std::uint64_t v) { return e.seq() < v; });
        for (; it != packets_.end(); ++it)
            if (!skip.contains(it->offset()) && it->addressed_to(s.sid, s.rooms)) out.push_back(it->materialize());
    }

    // The server stops: the expiry timer must not keep the shard's loop running.
    void stop() {
        stopped_ = true;
        expiry_armed_ = false;
        expiry_.cancel();
    }

    // Whether the packet with this offset is in the log.
    bool contains(std::string_view offset) const {
        return std::any_of(packets_.rbegin(), packets_.rend(), [&](const kept_packet& e) { return e.offset() == offset; });
    }

    std::size_t kept_sessions() const noexcept { return sessions_.size(); }
    std::size_t kept_packets() const noexcept { return packets_.size(); }

    // Drops what expired by `now` (sessions and packets).
    void expire(clock::time_point now = clock::now()) {
        std::erase_if(sessions_, [&](const auto& kv) { return now - kv.second.disconnected_at > opts_.max_disconnection_duration; });
        drop_old_packets(now);
    }

private:
    void drop_old_packets(clock::time_point now) {
        while (!packets_.empty() && now - packets_.front().at() > opts_.max_disconnection_duration) packets_.pop_front();
    }

    // One timer for the namespace, armed while sessions are kept: expired sessions
    // (and the packets only they could have needed) are freed even when nothing else
    // happens.
    void arm_expiry(clock::time_point when) {
        if (stopped_ || (expiry_armed_ && expiry_at_ <= when)) return;
        expiry_armed_ = true;
        expiry_at_ = when;
        expiry_.expires_at(when + std::chrono::milliseconds(1));
        expiry_.async_wait([this](std::error_code ec) {
            if (ec) return;
            expiry_armed_ = false;
            const auto now = clock::now();
            expire(now);
            auto next = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
                return a.second.disconnected_at < b.second.disconnected_at;
            });
            if (next != sessions_.end()) arm_expiry(next->second.disconnected_at + opts_.max_disconnection_duration);
            else if (!packets_.empty()) arm_expiry(packets_.front().at() + opts_.max_disconnection_duration);
        });
    }

    const recovery_options& opts_;
    unsigned shard_;
    std::deque<kept_packet> packets_;
    std::uint64_t next_seq_ = 0;
    std::uint64_t offsets_ = 0;
    std::unordered_map<std::string, kept_session> sessions_;
    asio::steady_timer expiry_;
    clock::time_point expiry_at_{};
    bool expiry_armed_ = false;
    bool stopped_ = false;
};

}  // namespace duet::sio
