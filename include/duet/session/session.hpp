// duet/session/session.hpp — server-side sessions shared by HTTP and Socket.IO.
//
// Owns: the store interface (`session_store`, implement it for Redis or a database)
// and its in-memory implementation (`memory_session_store`: expiry, touch, destroy;
// thread-safe, so every shard — and a second server on another port — can share it),
// the session options (signed cookie name, secrets, lifetime, cookie attributes), and
// `session`, the handle a handler uses (`req.session()`, `socket.session()`):
// get/set/erase values, regenerate (new id on login: no fixation), destroy.
//
// The cookie holds only the session id, signed (http/signed_cookie.hpp). Like
// express-session with saveUninitialized=false, a session is stored and its cookie
// sent only once something was written to it.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <duet/core/random_id.hpp>
#include <duet/http/cookie.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/session/signed_cookie.hpp>

namespace duet {

using session_clock = std::chrono::system_clock;

struct session_record {
    boost::json::object data;
    session_clock::time_point expires{};
};

// Where sessions live. Called from any shard's thread: implementations synchronise.
class session_store {
public:
    virtual ~session_store() = default;
    virtual std::optional<session_record> get(std::string_view id) = 0;
    virtual void set(std::string_view id, const session_record& record) = 0;
    virtual void destroy(std::string_view id) = 0;
    // Moves the expiry of an existing session (rolling sessions, socket activity).
    virtual void touch(std::string_view id, session_clock::time_point expires) = 0;
};

class memory_session_store final : public session_store {
public:
    std::optional<session_record> get(std::string_view id) override {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(std::string(id));
        if (it == sessions_.end()) return std::nullopt;
        if (it->second.expires <= session_clock::now()) {
            sessions_.erase(it);
            return std::nullopt;
        }
        return it->second;
    }
    void set(std::string_view id, const session_record& record) override {
        std::lock_guard lock(mutex_);
        sessions_[std::string(id)] = record;
        if (++writes_ % 256 == 0) prune_locked();
    }
    void destroy(std::string_view id) override {
        std::lock_guard lock(mutex_);
        sessions_.erase(std::string(id));
    }
    void touch(std::string_view id, session_clock::time_point expires) override {
        std::lock_guard lock(mutex_);
        if (auto it = sessions_.find(std::string(id)); it != sessions_.end()) it->second.expires = expires;
    }
    std::size_t size() {
        std::lock_guard lock(mutex_);
        prune_locked();
        return sessions_.size();
    }

private:
    // Expired sessions are dropped as writes happen, so an abandoned session does not
    // stay in memory for the life of the process.
    void prune_locked() {
        const auto now = session_clock::now();
        for (auto it = sessions_.begin(); it != sessions_.end();) {
            if (it->second.expires <= now) it = sessions_.erase(it);
            else ++it;
        }
    }

    std::mutex mutex_;
    std::unordered_map<std::string, session_record> sessions_;
    std::size_t writes_ = 0;
};

struct session_options {
    // nullptr: no sessions (req.session() throws).
    session_store* store = nullptr;
    // The first signs; all verify (rotate by putting a new secret in front). Required.
    std::vector<std::string> secrets;
    std::string cookie_name = "duet.sid";
    std::chrono::seconds max_age{24 * 3600};
    std::string path = "/";
    std::string domain;
    bool secure = false;     // set it when served over HTTPS
    bool http_only = true;
    http::cookie_same_site same_site = http::cookie_same_site::lax;
    // Every response pushes the expiry forward (and re-sends the cookie).
    bool rolling = false;
};

// One session as a handler sees it. Changes are written to the store when the HTTP
// response is sent (`req.session()`) or at once (`socket.session()`).
class session {
public:
    session() = default;
    session(const session_options* opts, std::string id, session_record rec, bool is_new)
        : opts_(opts), id_(std::move(id)), rec_(std::move(rec)), new_(is_new) {}

    const std::string& id() const noexcept { return id_; }
    bool is_new() const noexcept { return new_; }
    bool empty() const noexcept { return rec_.data.empty(); }
    const boost::json::object& data() const noexcept { return rec_.data; }

    const boost::json::value* get(std::string_view key) const noexcept { return rec_.data.if_contains(key); }
    std::optional<std::string> get_string(std::string_view key) const {
        auto* v = get(key);
        if (!v || !v->is_string()) return std::nullopt;
        return std::string(v->as_string());
    }
    void set(std::string_view key, boost::json::value v) {
        rec_.data[key] = std::move(v);
        modified_ = true;
    }
    void erase(std::string_view key) {
        if (rec_.data.erase(key)) modified_ = true;
    }
    // New id, same data: call on login so an id planted before login is worthless.
    void regenerate() {
        if (!new_ && opts_ && opts_->store) opts_->store->destroy(id_);
        id_ = new_id();
        new_ = true;
        modified_ = true;
    }
    // Ends the session: store entry removed, cookie cleared.
    void destroy() {
        if (opts_ && opts_->store && !new_) opts_->store->destroy(id_);
        rec_.data.clear();
        destroyed_ = true;
        modified_ = false;
    }
    void touch() noexcept { touched_ = true; }

    bool modified() const noexcept { return modified_; }
    bool destroyed() const noexcept { return destroyed_; }
    bool touched() const noexcept { return touched_; }
    session_record& record() noexcept { return rec_; }

    // Writes a changed session to the store (no cookie handling). Used directly by
    // socket sessions; HTTP commits through commit_session().
    void save() {
        if (!opts_ || !opts_->store || destroyed_) return;
        if (modified_ || touched_) {
            rec_.expires = session_clock::now() + opts_->max_age;
            opts_->store->set(id_, rec_);
            new_ = false;
            modified_ = touched_ = false;
        }
    }

    static std::string new_id() {
        // 15 CSPRNG bytes as 20 base64url characters (the same generator as sids).
        auto id = random_id<15>();
        if (!id) throw std::runtime_error("no randomness for a session id");
        return std::move(*id);
    }

private:
    const session_options* opts_ = nullptr;
    std::string id_;
    session_record rec_;
    bool new_ = true;
    bool modified_ = false;
    bool destroyed_ = false;
    bool touched_ = false;
};

// The session id a Cookie header carries for these options, if its signature is good.
inline std::optional<std::string> session_id_from_cookies(const session_options& o, std::string_view cookie_header) {
    auto raw = http::cookie_value(cookie_header, o.cookie_name);
    if (!raw) return std::nullopt;
    std::string_view v = *raw;
    if (v.substr(0, 2) == "s:") v.remove_prefix(2);  // express-session's prefix
    auto id = http::unsign_value(v, o.secrets);
    if (!id) return std::nullopt;
    return std::string(*id);
}

// Loads the session named by the request's cookie, or starts a new (unsaved) one.
inline session load_session(const session_options& o, std::optional<std::string_view> cookie_header) {
    if (!o.store) throw std::logic_error("sessions are not configured (server_options.session.store)");
    if (o.secrets.empty()) throw std::logic_error("sessions need at least one secret (server_options.session.secrets)");
    if (cookie_header)
        if (auto id = session_id_from_cookies(o, *cookie_header))
            if (auto rec = o.store->get(*id)) return session(&o, std::move(*id), std::move(*rec), false);
    return session(&o, session::new_id(), {}, true);
}

// The signed cookie value of a session id.
inline std::string session_cookie_value(const session_options& o, std::string_view id) {
    return "s:" + http::sign_value(id, o.secrets.front());
}

// ----- the HTTP side (express-session's role) -----

// req.session(): the session named by the signed session cookie, or a new one
// (stored, and its cookie sent, only once something is written to it). Needs
// server_options.session.store and .secrets.
inline session& http::request::session() {
    if (!session_) {
        if (!session_opts_) throw std::logic_error("sessions are not configured");
        session_ = std::make_shared<duet::session>(load_session(*session_opts_, header("cookie")));
    }
    return *session_;
}

// Writes the request's session back (store + signed cookie) if a handler changed it,
// clears the cookie if it was destroyed. Called by the server before the head is
// written.
inline void commit_session(http::response& res, session& s, const session_options& o) {
    http::cookie_options c{.path = o.path, .domain = o.domain, .http_only = o.http_only, .secure = o.secure,
                           .same_site = o.same_site};
    if (s.destroyed()) {
        if (!s.is_new()) res.clear_cookie(o.cookie_name, c);
        return;
    }
    const bool refresh = o.rolling && !s.is_new();
    if (!s.modified() && !refresh) return;
    if (refresh) s.touch();
    s.save();
    c.max_age = o.max_age;
    c.expires = session_clock::now() + o.max_age;
    res.cookie(o.cookie_name, session_cookie_value(o, s.id()), c);
}

}  // namespace duet
