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
//
// Synchronous and asynchronous stores: a store says which it is
// (`session_store::asynchronous()`). The memory store is synchronous: `req.session()`
// loads lazily, commits run inline, no callback, no allocation beyond the record. An
// asynchronous store (Redis: session/redis_store.hpp) never blocks a shard thread: the
// HTTP connection loads the session named by a validly signed cookie *before* it
// dispatches the request (express-session's middleware does the same), and the commit
// at the end of the response is confirmed by the store before the response is written
// (express-session waits for save() before ending the response).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <duet/core/log.hpp>
#include <duet/core/random_id.hpp>
#include <duet/http/cookie.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/session/express_format.hpp>
#include <duet/session/signed_cookie.hpp>

namespace duet {

using session_clock = std::chrono::system_clock;

struct session_record {
    boost::json::object data;
    session_clock::time_point expires{};
    // express-session's `cookie` object (originalMaxAge, expires, secure, httpOnly,
    // domain, path, sameSite) for stores that persist express-session's format
    // (`session_store::keeps_cookie()`): as read from the store, updated on save, so a
    // Node process reads back what it wrote. Empty for the memory store.
    boost::json::object cookie{};
};

// Where sessions live. Called from any shard's thread: implementations synchronise.
//
// Two ways in:
//  - synchronous (get/set/destroy/touch): what a synchronous store implements;
//  - asynchronous (load/save/remove/refresh): the handler runs exactly once. The
//    defaults call the synchronous functions and run the handler before returning,
//    so a synchronous store implements only the first four. An asynchronous store
//    (asynchronous() == true) overrides them, is called on a shard's thread and runs
//    the handler later on that thread, never inside the call; its synchronous
//    functions throw std::logic_error (they would block).
class session_store {
public:
    using load_handler = std::function<void(std::error_code, std::optional<session_record>)>;
    using done_handler = std::function<void(std::error_code)>;

    virtual ~session_store() = default;
    virtual std::optional<session_record> get(std::string_view id) = 0;
    virtual void set(std::string_view id, const session_record& record) = 0;
    virtual void destroy(std::string_view id) = 0;
    // Moves the expiry of an existing session (rolling sessions, socket activity).
    virtual void touch(std::string_view id, session_clock::time_point expires) = 0;

    // true: use load/save/remove/refresh (network I/O behind them).
    virtual bool asynchronous() const noexcept { return false; }
    // true: the store persists express-session's `cookie` object (session_record::cookie).
    virtual bool keeps_cookie() const noexcept { return false; }

    // A missing (or expired) session is success with nullopt; an error means the
    // store could not answer (treat as no session).
    virtual void load(std::string_view id, load_handler h) { h({}, get(id)); }
    virtual void save(std::string_view id, const session_record& record, done_handler h) {
        set(id, record);
        h({});
    }
    virtual void remove(std::string_view id, done_handler h) {
        destroy(id);
        h({});
    }
    virtual void refresh(std::string_view id, session_clock::time_point expires, done_handler h) {
        touch(id, expires);
        h({});
    }
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
    // Secure cookie. Like express-session, it is only sent in answer to a secure
    // request: HTTPS, or behind a proxy trusted by server_options.trust_proxy that
    // says X-Forwarded-Proto: https (otherwise the session is saved, no cookie set).
    bool secure = false;
    // express-session's secure: 'auto': the cookie is Secure exactly when the request
    // is secure (overrides `secure`).
    bool secure_auto = false;
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
    // A std::string (or anything else that reads as text but is not a JSON value by
    // itself): `s.set("user", name)`.
    template <class Text>
        requires(std::is_convertible_v<const Text&, std::string_view> &&
                 !std::is_convertible_v<const Text&, boost::json::value>)
    void set(std::string_view key, const Text& text) {
        set(key, boost::json::value(boost::json::string_view(std::string_view(text))));
    }
    void erase(std::string_view key) {
        if (rec_.data.erase(key)) modified_ = true;
    }
    // New id, same data: call on login so an id planted before login is worthless.
    // (With an asynchronous store the old entry is removed by the commit.)
    void regenerate() {
        if (!new_) drop_stored();
        id_ = new_id();
        new_ = true;
        modified_ = true;
    }
    // Ends the session: store entry removed, cookie cleared. (With an asynchronous
    // store the entry is removed by the commit, which the response waits for.)
    void destroy() {
        if (!new_) drop_stored();
        rec_.data.clear();
        destroyed_ = true;
        modified_ = false;
    }
    void touch() noexcept { touched_ = true; }

    bool modified() const noexcept { return modified_; }
    bool destroyed() const noexcept { return destroyed_; }
    bool touched() const noexcept { return touched_; }
    session_record& record() noexcept { return rec_; }

    // Writes a changed session to a synchronous store (no cookie handling). Used
    // directly by socket sessions; HTTP commits through commit_session(). With an
    // asynchronous store use save(done).
    void save() {
        if (!opts_ || !opts_->store || destroyed_) return;
        if (modified_ || touched_) {
            prepare_write();
            opts_->store->set(id_, rec_);
            new_ = false;
            modified_ = touched_ = false;
        }
    }

    // Writes what changed to any store: the entry a regenerate()/destroy() left to
    // remove, then the session if it was modified or touched. `done` runs once, with
    // the first error, after the store confirmed everything (at once when there is
    // nothing to write or the store is synchronous). The session object may be gone by
    // then: everything the writes need is copied. Returns true if something was written.
    bool save(session_store::done_handler done) {
        session_store* st = opts_ ? opts_->store : nullptr;
        const bool write = st && !destroyed_ && (modified_ || touched_);
        if (!st || (!write && doomed_.empty())) {
            done({});
            return false;
        }
        struct join {
            session_store::done_handler done;
            int left = 0;
            std::error_code first;
            void one(std::error_code ec) {
                if (ec && !first) first = ec;
                if (--left == 0) done(first);
            }
        };
        auto j = std::make_shared<join>();
        j->done = std::move(done);
        j->left = 1 + (doomed_.empty() ? 0 : 1) + (write ? 1 : 0);  // +1: released below
        if (!doomed_.empty()) {
            std::string old = std::move(doomed_);
            doomed_.clear();
            st->remove(old, [j](std::error_code ec) { j->one(ec); });
        }
        if (write) {
            prepare_write();
            new_ = false;
            modified_ = touched_ = false;
            st->save(id_, rec_, [j](std::error_code ec) { j->one(ec); });
        }
        j->one({});
        return true;
    }

    static std::string new_id() {
        // 15 CSPRNG bytes as 20 base64url characters (the same generator as sids).
        auto id = random_id<15>();
        if (!id) throw std::runtime_error("no randomness for a session id");
        return std::move(*id);
    }

    // Whether the stored cookie object says Secure (express-session keeps it with the
    // session): set by the HTTP commit from the request; otherwise options.secure.
    void set_cookie_secure(bool secure) noexcept { cookie_secure_ = secure; }

private:
    // The stored entry of this id goes: now (synchronous store) or at the next save.
    void drop_stored() {
        if (!opts_ || !opts_->store) return;
        if (opts_->store->asynchronous()) {
            if (doomed_.empty()) doomed_ = id_;  // a second one was never stored
        } else {
            opts_->store->destroy(id_);
        }
    }
    inline void prepare_write();

    const session_options* opts_ = nullptr;
    std::string id_;
    std::string doomed_;  // stored id to remove at the next save (asynchronous store)
    session_record rec_;
    std::optional<bool> cookie_secure_;  // decided by the HTTP request that commits it
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

inline void session::prepare_write() {
    rec_.expires = session_clock::now() + opts_->max_age;
    if (opts_->store->keeps_cookie())
        express::update_cookie(rec_.cookie,
                               {.max_age = std::chrono::duration_cast<std::chrono::milliseconds>(opts_->max_age),
                                .secure = cookie_secure_.value_or(opts_->secure),
                                .http_only = opts_->http_only,
                                .domain = opts_->domain,
                                .path = opts_->path,
                                .same_site = opts_->same_site},
                               rec_.expires);
}

inline void check_session_options(const session_options& o) {
    if (!o.store) throw std::logic_error("sessions are not configured (server_options.session.store)");
    if (o.secrets.empty()) throw std::logic_error("sessions need at least one secret (server_options.session.secrets)");
}

// Loads the session named by the request's cookie, or starts a new (unsaved) one.
// Synchronous stores only (an asynchronous store: load_session_async).
inline session load_session(const session_options& o, std::optional<std::string_view> cookie_header) {
    check_session_options(o);
    if (cookie_header)
        if (auto id = session_id_from_cookies(o, *cookie_header))
            if (auto rec = o.store->get(*id)) return session(&o, std::move(*id), std::move(*rec), false);
    return session(&o, session::new_id(), {}, true);
}

// The session of a known id (the signed cookie already verified, e.g. by a Socket.IO
// handshake), from any store: `done(session)` runs once — at once for a synchronous
// store, later on this shard's thread for an asynchronous one. A missing session, or
// a store that could not answer, gives a new (unsaved) one.
template <class Done>
void load_session_async(const session_options& o, std::string_view id, Done done) {
    check_session_options(o);
    if (id.empty()) return done(session(&o, session::new_id(), {}, true));
    o.store->load(id, [&o, id = std::string(id), done = std::move(done)](std::error_code ec,
                                                                         std::optional<session_record> rec) mutable {
        if (!ec && rec) done(session(&o, std::move(id), std::move(*rec), false));
        else done(session(&o, session::new_id(), {}, true));
    });
}

// The signed cookie value of a session id.
inline std::string session_cookie_value(const session_options& o, std::string_view id) {
    return "s:" + http::sign_value(id, o.secrets.front());
}

// ----- the HTTP side (express-session's role) -----

// req.session(): the session named by the signed session cookie, or a new one
// (stored, and its cookie sent, only once something is written to it). Needs
// server_options.session.store and .secrets. With an asynchronous store the
// connection loaded it before the handler ran (prepare_session).
inline session& http::request::session() {
    if (!session_) {
        if (!session_opts_) throw std::logic_error("sessions are not configured");
        if (session_opts_->store && session_opts_->store->asynchronous()) {
            // Not loaded beforehand: no valid session cookie came with the request.
            check_session_options(*session_opts_);
            session_ = std::make_shared<duet::session>(session_opts_, duet::session::new_id(), session_record{}, true);
        } else {
            session_ = std::make_shared<duet::session>(load_session(*session_opts_, header("cookie")));
        }
    }
    return *session_;
}

inline bool http::request::prepare_session(session_ready ready, void* ctx) {
    const session_options* o = session_opts_;
    if (!o || !o->store || !o->store->asynchronous() || o->secrets.empty()) return true;
    auto h = header("cookie");
    if (!h) return true;
    auto id = session_id_from_cookies(*o, *h);
    if (!id) return true;
    load_session_async(*o, *id, [this, ready, ctx](duet::session s) {
        session_ = std::make_shared<duet::session>(std::move(s));
        ready(ctx);
    });
    return false;
}

namespace detail {
inline http::cookie_options session_cookie_options(const session_options& o) {
    return {.path = o.path, .domain = o.domain, .http_only = o.http_only, .secure = o.secure, .same_site = o.same_site};
}
// express-session's rule for the cookie of a request that is `secure_request` (req.secure):
// whether it is Secure, and whether it may be sent at all (a Secure cookie only over a
// secure request).
struct cookie_security {
    bool secure;
    bool may_send;
};
inline cookie_security session_cookie_security(const session_options& o, bool secure_request) {
    const bool secure = o.secure_auto ? secure_request : o.secure;
    return {secure, !secure || secure_request};
}
}  // namespace detail

// Writes the request's session back (store + signed cookie) if a handler changed it,
// clears the cookie if it was destroyed. Called by the server before the head is
// written. Synchronous stores.
// `secure_request`: the request is secure (req.secure()): a Secure cookie is sent only then.
inline void commit_session(http::response& res, session& s, const session_options& o, bool secure_request) {
    auto c = detail::session_cookie_options(o);
    const auto sec = detail::session_cookie_security(o, secure_request);
    c.secure = sec.secure;
    if (s.destroyed()) {
        if (!s.is_new() && sec.may_send) res.clear_cookie(o.cookie_name, c);
        return;
    }
    const bool refresh = o.rolling && !s.is_new();
    if (!s.modified() && !refresh) return;
    if (refresh) s.touch();
    s.set_cookie_secure(sec.secure);
    s.save();
    if (!sec.may_send) return;
    c.max_age = o.max_age;
    c.expires = session_clock::now() + o.max_age;
    res.cookie(o.cookie_name, session_cookie_value(o, s.id()), c);
}

// The same for any store. Returns true when finished; false: `done(err)` runs later
// on this thread, after the store confirmed every write (express-session ends the
// response only after save() called back). Like express-session:
//  - a loaded session nobody changed has its expiry moved in the store (connect-redis'
//    touch: EXPIRE) — not waited for here, a failure only shortens its life;
//  - a destroyed or regenerated session's old entry is removed, the new one written,
//    and the response waits for both.
// `err` is the store's failure: the caller answers 500 (express-session passes it to
// next()).
template <class Done>
bool commit_session_async(http::response& res, session& s, const session_options& o, bool secure_request, Done done) {
    session_store* st = o.store;
    if (!st || !st->asynchronous()) {
        commit_session(res, s, o, secure_request);
        return true;
    }
    auto c = detail::session_cookie_options(o);
    const auto sec = detail::session_cookie_security(o, secure_request);
    c.secure = sec.secure;
    if (s.destroyed()) {
        if (!s.is_new() && sec.may_send) res.clear_cookie(o.cookie_name, c);
    } else {
        const bool refresh = o.rolling && !s.is_new();
        if (s.modified() || refresh) {
            if (refresh) s.touch();
            s.set_cookie_secure(sec.secure);
            c.max_age = o.max_age;
            c.expires = session_clock::now() + o.max_age;
            if (sec.may_send) res.cookie(o.cookie_name, session_cookie_value(o, s.id()), c);
        } else if (!s.is_new()) {
            st->refresh(s.id(), session_clock::now() + o.max_age, [](std::error_code) {});
        }
    }
    // An asynchronous store calls back later, except when there was nothing to write
    // (then at once, and there is nothing to wait for).
    auto in_call = std::make_shared<bool>(true);
    const bool wrote = s.save([in_call, done = std::move(done)](std::error_code ec) mutable {
        if (!*in_call) done(ec);
    });
    *in_call = false;
    return !wrote;
}

inline bool http::request::commit_session(response& res, session_ready ready, void* ctx) {
    if (!session_opts_ || !session_) return true;
    return commit_session_async(res, *session_, *session_opts_, secure(), [r = &res, ready, ctx](std::error_code ec) {
        if (ec) {
            // express-session hands the error to next(): a 500, the session not saved.
            r->reset();
            r->status(500);
            r->type("application/json; charset=utf-8");
            r->send("{\"error\":\"Internal Server Error\"}");
        }
        ready(ctx);
    });
}

}  // namespace duet
