// duet/sio/socket.hpp — the runtime side of Socket.IO: sockets, namespaces, rooms,
// emits, broadcasts and acks (everything that is not the compile-time event table).
//
// Owns:
//  - `socket` (duet::socket): one client connected to one namespace — id, handshake,
//    auth, a user data slot, emit (typed args, binary), emit with ack (callback or
//    coroutine, with timeout), join/leave/rooms, to/in/except chains, broadcast,
//    volatile emit, disconnect;
//  - `client`: the Socket.IO side of one Engine.IO session (its namespace sockets,
//    its transport, its handshake), shared by the compile-time dispatcher;
//  - `namespace_state` and `shard_state`: the sockets and rooms of each namespace on
//    one shard — the in-memory adapter — and `broadcast_operator`, which encodes a
//    packet once, frames it once and hands the same bytes to every recipient.
//
// These classes are concrete (not templates): user handlers name `duet::socket&`
// before any server type exists. The one indirection is the transport table of a
// client (send/close), on the send path; receiving and dispatch are direct calls.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <duet/core/json_traits.hpp>
#include <duet/core/log.hpp>
#include <duet/eio/packet.hpp>
#include <duet/eio/sid.hpp>
#include <duet/http/ascii.hpp>
#include <duet/session/session.hpp>
#include <duet/runtime/shard.hpp>
#include <duet/sio/adapter.hpp>
#include <duet/sio/binary.hpp>
#include <duet/sio/encoder.hpp>
#include <duet/sio/packet.hpp>
#include <duet/ws/frame.hpp>
#include <duet/ws/session.hpp>

namespace duet::sio {

class socket;
class client;
class namespace_state;
class shard_state;

// ----- arguments -----

// A binary argument to emit: bytes that travel as an attachment. Owning, so that an
// emit may outlive the caller's buffer; `view` for handler parameters.
struct binary {
    std::vector<std::byte> data;
    binary() = default;
    explicit binary(std::span<const std::byte> b) : data(b.begin(), b.end()) {}
    explicit binary(std::string_view s)
        : data(reinterpret_cast<const std::byte*>(s.data()), reinterpret_cast<const std::byte*>(s.data()) + s.size()) {}
};

// A handler parameter receiving a binary argument (a view into the packet's attachment).
using bytes = std::span<const std::byte>;

// A handler parameter receiving every remaining argument as it came (JSON values
// with binary placeholders, and the attachments they point to). Emitting or acking
// it sends the same arguments back, binary included.
struct event_args {
    const boost::json::array* values = nullptr;
    const std::vector<attachment>* attachments = nullptr;
    std::size_t first = 0;

    std::size_t size() const noexcept { return values ? values->size() - first : 0; }
    const boost::json::value& operator[](std::size_t i) const { return (*values)[first + i]; }
    // The bytes of argument i when it is binary, else nullptr.
    const attachment* binary_at(std::size_t i) const { return resolve_placeholder((*values)[first + i], *attachments); }
};

// Thrown (or returned) by a connect middleware to refuse a connection: the client
// gets CONNECT_ERROR {"message": message[, "data": data]}.
struct connect_error : std::runtime_error {
    boost::json::value data;
    explicit connect_error(const std::string& message, boost::json::value d = nullptr)
        : std::runtime_error(message), data(std::move(d)) {}
};

// An emit-with-ack whose answer did not come within its timeout.
struct ack_timeout : std::runtime_error {
    ack_timeout() : std::runtime_error("operation has timed out") {}
};

namespace detail {
// Builds the argument array of an emit; binary arguments become placeholders.
struct arg_builder {
    boost::json::array args;
    std::vector<attachment> attachments;

    void add(const binary& b) { append_binary(args, attachments, attachment(b.data)); }
    void add(binary&& b) { append_binary(args, attachments, std::move(b.data)); }
    void add(bytes b) { append_binary(args, attachments, attachment(b.begin(), b.end())); }
    void add(const boost::json::value& v) { args.push_back(v); }
    void add(const event_args& a) {
        for (std::size_t i = 0; i < a.size(); ++i) args.push_back(rebase(a[i], *a.attachments));
    }
    // A value whose placeholders refer to `from` (an ack reply): one argument, binary kept.
    void add_with_attachments(const boost::json::value& v, const std::vector<attachment>& from) {
        args.push_back(rebase(v, from));
    }
    // Copies `v`, re-numbering every placeholder (at any depth) into this emit's
    // attachments.
    boost::json::value rebase(const boost::json::value& v, const std::vector<attachment>& from) {
        if (const attachment* a = resolve_placeholder(v, from)) {
            attachments.push_back(*a);
            return make_placeholder(attachments.size() - 1);
        }
        if (v.is_array()) {
            boost::json::array out;
            out.reserve(v.as_array().size());
            for (auto& e : v.as_array()) out.push_back(rebase(e, from));
            return out;
        }
        if (v.is_object()) {
            boost::json::object out;
            for (auto& [k, e] : v.as_object()) out.emplace(k, rebase(e, from));
            return out;
        }
        return v;
    }
    void add(const char* s) { args.emplace_back(s); }
    void add(std::string_view s) { args.emplace_back(s); }
    template <class T>
        requires(!std::is_convertible_v<const T&, bytes> && !std::is_convertible_v<const T&, const boost::json::value&> &&
                 !std::is_convertible_v<const T&, std::string_view> && !std::is_same_v<T, event_args>)
    void add(const T& v) {
        if constexpr (requires { v.args; v.attachments; }) {
            // An ack_reply: its arguments as one array argument, binary kept.
            add_with_attachments(boost::json::value(v.args), v.attachments);
        } else {
            args.push_back(duet::to_json(v));  // checked: a type without a conversion is one static_assert
        }
    }
};
}  // namespace detail

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

struct options {
    // A client that does not connect to a namespace within this time is closed.
    std::chrono::milliseconds connect_timeout{45'000};
    // Default timeout of an emit with ack when none is given.
    std::chrono::milliseconds ack_timeout{10'000};
    // Called when an event's arguments do not convert to the handler's parameter
    // types (the client gets an error ack if it asked for one; the connection stays).
    void (*on_arg_error)(socket&, std::string_view event, std::string_view what) = nullptr;
    // Called when a handler throws (the event fails, the connection stays).
    void (*on_handler_error)(socket&, std::string_view event, std::string_view what) = nullptr;
    // Decoder bounds (see decoder_options).
    std::size_t max_attachments = 10;
    // The adapter of every namespace (nullptr: memory_adapter, rooms on this shard).
    adapter_factory adapter = nullptr;
};

// ----- ack replies -----
// What a client's ack carried: its arguments (binary ones as placeholders) and the
// attachments they point to. Converts to the argument array, so a callback or a
// co_await may simply take a boost::json::array.
struct ack_reply {
    boost::json::array args;
    std::vector<attachment> attachments;

    operator boost::json::array() const& { return args; }
    operator boost::json::array() && { return std::move(args); }
    // The arguments as a handler parameter sees them (binary resolvable).
    event_args view() const noexcept { return {&args, &attachments, 0}; }
};

using ack_callback = std::function<void(std::error_code, ack_reply)>;
// A broadcast with ack: every addressed client's reply (in arrival order). The
// error is set (timed_out) when some client did not answer within the timeout, or
// (connection_aborted) when one went away first; the replies that came are given.
using broadcast_ack_callback = std::function<void(std::error_code, std::vector<ack_reply>)>;

// ----- broadcast -----
struct broadcast_flags {
    bool volatile_ = false;
};

class broadcast_operator {
public:
    broadcast_operator(namespace_state& ns, const socket* exclude = nullptr) : ns_(&ns), exclude_(exclude) {}

    broadcast_operator& to(std::string_view room) & {
        rooms_.emplace_back(room);
        return *this;
    }
    broadcast_operator&& to(std::string_view room) && { return std::move(to(room)); }
    broadcast_operator& in(std::string_view room) & { return to(room); }
    broadcast_operator&& in(std::string_view room) && { return std::move(to(room)); }
    broadcast_operator& except(std::string_view room) & {
        except_.emplace_back(room);
        return *this;
    }
    broadcast_operator&& except(std::string_view room) && { return std::move(except(room)); }
    broadcast_operator&& volatile_() && {
        flags_.volatile_ = true;
        return std::move(*this);
    }

    // Encodes once, frames once, sends to every matching socket on every shard of
    // the server (the other shards get the same bytes through their mailboxes).
    // Returns how many sockets of the calling shard it was handed to; emit_counted
    // gives the total over all shards.
    template <class... A>
    std::size_t emit(std::string_view event, A&&... args) const;
    // The same, and the number of sockets reached on all shards.
    template <class... A>
    asio::awaitable<std::size_t> emit_counted(std::string_view event, A&&... args) const;

    // Emit with ack to every matching socket (all shards): callback(error, replies)
    // once every client answered, or when the timeout passed (socket.io's
    // io.timeout(t).emit(ev, (err, responses) => ...)).
    template <class... A>
    void emit_with_ack(std::string_view event, std::chrono::milliseconds timeout, broadcast_ack_callback callback,
                       A&&... args) const;
    // Coroutine form: the replies, or throws ack_timeout if some client did not answer.
    template <class... A>
        requires(!std::is_invocable_v<std::remove_cvref_t<std::tuple_element_t<0, std::tuple<A..., int>>>&,
                                      std::error_code, std::vector<ack_reply>>)
    asio::awaitable<std::vector<ack_reply>> emit_with_ack(std::string_view event, std::chrono::milliseconds timeout,
                                                         A&&... args) const;

    // How many sockets match, on all shards.
    asio::awaitable<std::size_t> count() const;
    // The sockets that match on this shard (pointers do not cross threads).
    std::vector<socket*> fetch_sockets() const;
    // Membership and disconnection act on the matching sockets of every shard.
    void sockets_join(std::string_view room) const;
    void sockets_leave(std::string_view room) const;
    void disconnect_sockets(bool close = false) const;

private:
    friend class namespace_state;
    template <class F>
    void for_each_target(F&& f) const;
    // The encoded, framed broadcast in the form every shard can share.
    std::shared_ptr<broadcast_message> make_message(detail::arg_builder& b, std::string_view event) const;
    // Runs `local(reply)` here and `remote(ns, reply)` on every other shard; `done`
    // gets every reply, here, once all have come.
    template <class R, class Local, class Remote>
    void gather(Local&& local, Remote remote, std::function<void(std::vector<R>)> done) const;
    // Applies `op` to every matching socket of every shard.
    void apply_everywhere(std::function<void(socket&)> op) const;

    namespace_state* ns_;
    const socket* exclude_;
    std::vector<std::string> rooms_;
    std::vector<std::string> except_;
    broadcast_flags flags_;
};

// ----- acks -----

// `duet::ack<Ts...>` as a handler's last parameter: call it to answer the client's
// emit-with-ack. A no-op when the client did not ask for an ack; only the first call
// is sent.
template <class... Ts>
class ack {
public:
    ack() = default;
    ack(std::weak_ptr<client> c, std::string nsp, std::optional<std::uint64_t> id)
        : client_(std::move(c)), nsp_(std::move(nsp)), id_(id) {}
    bool requested() const noexcept { return id_.has_value(); }
    void operator()(Ts... values);

private:
    std::weak_ptr<client> client_;
    std::string nsp_;
    std::optional<std::uint64_t> id_;
};

namespace detail {
// Is the first of A... a completion callback (the callback form of emit_with_ack)?
template <class... A>
struct first_is_ack_callback : std::false_type {};
template <class F, class... A>
struct first_is_ack_callback<F, A...>
    : std::bool_constant<std::is_invocable_v<std::remove_cvref_t<F>&, std::error_code, ack_reply>> {};
}  // namespace detail

// ----- socket -----
class socket {
public:
    socket(client& c, namespace_state& ns, std::string id, boost::json::value auth)
        : client_(&c), ns_(&ns), id_(std::move(id)), auth_(std::move(auth)) {}
    socket(const socket&) = delete;
    socket& operator=(const socket&) = delete;
    ~socket();

    const std::string& id() const noexcept { return id_; }
    std::string_view nsp() const noexcept;
    const handshake_info& handshake() const noexcept;
    const boost::json::value& auth() const noexcept { return auth_; }
    // The HTTP session of this connection, read fresh from the store (so changes the
    // HTTP side made since are visible). Changes made here are kept with save().
    // is_new() is true when the connection came without a valid session cookie.
    duet::session session() const;
    // The room every socket of an HTTP session joins: "session:<id>".
    static std::string session_room(std::string_view session_id) { return "session:" + std::string(session_id); }
    // Free for the application (socket.data in socket.io).
    boost::json::value& data() noexcept { return data_; }
    bool connected() const noexcept { return connected_; }
    client& owner() noexcept { return *client_; }
    namespace_state& ns() noexcept { return *ns_; }

    template <class... A>
    void emit(std::string_view event, A&&... args);
    // Sent only if the client's transport has nothing pending (may be dropped).
    template <class... A>
    void volatile_emit(std::string_view event, A&&... args);
    // callback(error_code, args): error_code is set (timed_out) when no ack came in `timeout`.
    template <class... A>
    void emit_with_ack(std::string_view event, std::chrono::milliseconds timeout, ack_callback callback, A&&... args);
    // Coroutine form: the ack's arguments, or throws ack_timeout.
    template <class... A>
        requires(!detail::first_is_ack_callback<A...>::value)
    asio::awaitable<ack_reply> emit_with_ack(std::string_view event, std::chrono::milliseconds timeout, A&&... args);

    void join(std::string_view room);
    void leave(std::string_view room);
    const std::vector<std::string>& rooms() const noexcept { return rooms_; }
    bool in_room(std::string_view room) const noexcept {
        return std::find(rooms_.begin(), rooms_.end(), room) != rooms_.end();
    }

    // Everyone in the room(s) but this socket.
    broadcast_operator to(std::string_view room) const;
    broadcast_operator in(std::string_view room) const { return to(room); }
    broadcast_operator except(std::string_view room) const;
    // Everyone in the namespace but this socket.
    broadcast_operator broadcast() const;

    // Leaves the namespace (DISCONNECT packet); `close` ends the whole connection.
    void disconnect(bool close = false);

    // ----- used by the client / dispatcher -----
    // Which namespace entry of the compile-time table serves this socket.
    std::size_t table_index = 0;
    void mark_connected() noexcept { connected_ = true; }
    void mark_disconnected() noexcept { connected_ = false; }
    void on_ack(std::uint64_t id, ack_reply reply);
    // Waits for the client's ack `id` (a packet already sent, or about to be).
    void expect_ack(std::uint64_t id, std::chrono::milliseconds timeout, ack_callback callback);
    void fail_pending_acks();
    void leave_all();

private:
    friend class client;
    friend class namespace_state;
    void send_event(std::string_view event, detail::arg_builder& b, std::optional<std::uint64_t> id);
    static const std::vector<attachment>& no_attachments() noexcept;

    struct pending_ack {
        std::uint64_t id;
        ack_callback callback;
        std::unique_ptr<asio::steady_timer> timer;
    };

    client* client_;
    namespace_state* ns_;
    std::string id_;
    boost::json::value auth_;
    boost::json::value data_;
    std::vector<std::string> rooms_;
    std::vector<pending_ack> acks_;
    bool connected_ = false;
};

// ----- one namespace on one shard: its adapter and the operations over it -----
class namespace_state {
public:
    namespace_state(shard_state& shard, std::string name);

    const std::string& name() const noexcept { return name_; }
    shard_state& shard() noexcept { return *shard_; }
    sio::adapter& adapter() noexcept { return *adapter_; }
    std::size_t size() const { return adapter_->size(); }
    socket* find(std::string_view id) const { return adapter_->find(id); }
    std::size_t room_size(std::string_view room) const { return adapter_->room_size(room); }

    broadcast_operator to(std::string_view room) { return broadcast_operator(*this).to(room); }
    broadcast_operator in(std::string_view room) { return to(room); }
    broadcast_operator except(std::string_view room) { return broadcast_operator(*this).except(room); }
    template <class... A>
    std::size_t emit(std::string_view event, A&&... args) {
        return broadcast_operator(*this).emit(event, static_cast<A&&>(args)...);
    }
    std::vector<socket*> fetch_sockets() { return broadcast_operator(*this).fetch_sockets(); }

    // ----- membership (used by socket and the connect flow) -----
    void add(socket& s) { adapter_->add(s); }
    void remove(socket& s) { adapter_->remove(s); }
    void add_to_room(socket& s, std::string_view room) { adapter_->join(s, room); }
    void remove_from_room(socket& s, std::string_view room) { adapter_->leave(s, room); }

    // Ack ids: one sequence per namespace and shard, shared by a socket's own emits
    // and broadcasts with ack (ids only need to be unique among one socket's acks).
    std::uint64_t next_ack_id() noexcept { return next_ack_id_++; }

private:
    shard_state* shard_;
    std::string name_;
    std::unique_ptr<sio::adapter> adapter_;
    std::uint64_t next_ack_id_ = 0;
};

// ----- everything Socket.IO on one shard -----
class shard_state {
public:
    shard_state(asio::io_context& io, const options& opts, unsigned shard_index,
                const session_options* sessions = nullptr)
        : io_(&io), opts_(&opts), shard_index_(shard_index), sessions_(sessions && sessions->store ? sessions : nullptr) {}

    // The HTTP side's session configuration, when sessions are on.
    const session_options* sessions() const noexcept { return sessions_; }

    asio::io_context& io() noexcept { return *io_; }
    const options& opts() const noexcept { return *opts_; }
    unsigned shard_index() const noexcept { return shard_index_; }

    // The namespace's state, created on first use.
    namespace_state& of(std::string_view name) {
        auto it = namespaces_.find(std::string(name));
        if (it == namespaces_.end())
            it = namespaces_.emplace(std::string(name), std::make_unique<namespace_state>(*this, std::string(name))).first;
        return *it->second;
    }
    namespace_state* find(std::string_view name) const {
        auto it = namespaces_.find(std::string(name));
        return it == namespaces_.end() ? nullptr : it->second.get();
    }

    // Scratch buffers for encoding (one shard = one thread).
    std::string& scratch() noexcept { return scratch_; }

    // ----- the shards of one server (run(n)) -----
    // `states[i]` and `shards[i]` are shard i's (this one included); set before the
    // threads start. A lone shard has none.
    void set_cluster(std::vector<shard_state*> states, std::vector<runtime::shard*> shards) {
        cluster_states_ = std::move(states);
        cluster_shards_ = std::move(shards);
    }
    std::size_t cluster_size() const noexcept { return cluster_states_.size(); }
    shard_state& peer(std::size_t i) const noexcept { return *cluster_states_[i]; }
    // Runs `f` on shard i's thread (through its mailbox).
    void post_to(std::size_t i, std::function<void()> f) const { cluster_shards_[i]->post_remote(std::move(f)); }
    // Runs `f` on this shard's thread; callable from any thread.
    void post(std::function<void()> f) const { post_to(shard_index_, std::move(f)); }

private:
    std::vector<shard_state*> cluster_states_;
    std::vector<runtime::shard*> cluster_shards_;
    asio::io_context* io_;
    const options* opts_;
    unsigned shard_index_;
    std::unordered_map<std::string, std::unique_ptr<namespace_state>> namespaces_;
    std::string scratch_;
    const session_options* sessions_;
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
    std::vector<std::unique_ptr<socket>>& sockets() noexcept { return sockets_; }

    // Encodes and sends a packet to this client alone.
    void send_packet(const packet& p) {
        std::string& out = shard_->scratch();
        out.clear();
        encode_append(out, p);
        send_encoded(out, p.attachments);
    }
    void send_encoded(std::string_view text, const std::vector<attachment>& attachments) {
        if (!session_) return;
        if (attachments.empty()) {
            eio::packet pk = eio::packet::text(eio::packet_type::message, text);
            ops_->send(session_, &pk, 1);
            return;
        }
        std::vector<eio::packet> pks;
        pks.reserve(1 + attachments.size());
        pks.push_back(eio::packet::text(eio::packet_type::message, text));
        for (auto& a : attachments) pks.push_back(eio::packet::binary_message(a));
        ops_->send(session_, pks.data(), pks.size());
    }
    void send_shared(const ws::shared_bytes& framed, const eio::packet* packets, std::size_t n) {
        if (session_) ops_->send_shared(session_, framed, packets, n);
    }
    std::size_t backlog() const { return session_ ? ops_->backlog(session_) : 0; }
    void close_transport() {
        if (session_) ops_->close(session_);
    }

    // Destroys a namespace socket (leaving its rooms, failing its pending acks). The
    // caller must not touch `s` afterwards.
    void drop_socket(socket& s) {
        auto it = std::find_if(sockets_.begin(), sockets_.end(), [&](auto& p) { return p.get() == &s; });
        if (it == sockets_.end()) return;
        std::unique_ptr<socket> doomed = std::move(*it);
        sockets_.erase(it);
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
    std::vector<std::unique_ptr<socket>> sockets_;
    disconnect_hook hook_ = nullptr;
    void* hook_owner_ = nullptr;
    std::string session_id_;
};

// ----- the server-wide handle (socket.io's `io`) -----
// Given to HTTP handlers and event handlers that take `duet::io&`: emits to
// namespaces and rooms of the shard it runs on.
class io {
public:
    explicit io(shard_state& st) : st_(&st) {}
    namespace_state& of(std::string_view nsp) { return st_->of(nsp); }
    broadcast_operator to(std::string_view room) { return of("/").to(room); }
    broadcast_operator in(std::string_view room) { return to(room); }
    broadcast_operator except(std::string_view room) { return of("/").except(room); }
    template <class... A>
    std::size_t emit(std::string_view event, A&&... args) {
        return of("/").emit(event, static_cast<A&&>(args)...);
    }
    std::vector<socket*> fetch_sockets() { return of("/").fetch_sockets(); }
    // Every socket (namespace "/") of an HTTP session: `io.to_session(req.session().id())`.
    broadcast_operator to_session(std::string_view session_id) { return to(socket::session_room(session_id)); }
    shard_state& state() noexcept { return *st_; }

private:
    shard_state* st_;
};

// ======================= implementation =======================

inline std::string_view socket::nsp() const noexcept { return ns_->name(); }

inline const std::vector<attachment>& socket::no_attachments() noexcept {
    static const std::vector<attachment> none;
    return none;
}

inline duet::session socket::session() const {
    const session_options* so = ns_->shard().sessions();
    if (!so) throw std::logic_error("sessions are not configured (server_options.session)");
    const std::string& id = client_->session_id();
    if (!id.empty())
        if (auto rec = so->store->get(id)) return duet::session(so, id, std::move(*rec), false);
    return duet::session(so, duet::session::new_id(), {}, true);
}
inline const handshake_info& socket::handshake() const noexcept { return client_->handshake(); }

inline socket::~socket() {
    fail_pending_acks();
    leave_all();
}

inline void socket::join(std::string_view room) {
    if (in_room(room)) return;
    rooms_.emplace_back(room);
    ns_->add_to_room(*this, room);
}

inline void socket::leave(std::string_view room) {
    auto it = std::find(rooms_.begin(), rooms_.end(), room);
    if (it == rooms_.end()) return;
    ns_->remove_from_room(*this, room);
    rooms_.erase(it);
}

inline void socket::leave_all() {
    for (auto& r : rooms_) ns_->remove_from_room(*this, r);
    rooms_.clear();
    ns_->remove(*this);
}

inline void socket::disconnect(bool close) {
    if (!connected_) return;
    if (close) {
        // Every namespace of this client goes (DISCONNECT each, like socket.io's
        // client._disconnect()), then the connection.
        auto keep = client_->shared_from_this();
        std::vector<socket*> all;
        for (auto& s : keep->sockets()) if (s->connected()) all.push_back(s.get());
        for (socket* s : all) s->disconnect(false);
        keep->close_transport();
        return;
    }
    packet p;
    p.type = packet_type::disconnect;
    p.nsp = std::string(nsp());
    client_->send_packet(p);
    client_->disconnect_socket(*this, "server namespace disconnect");  // destroys *this
}

inline broadcast_operator socket::to(std::string_view room) const { return broadcast_operator(*ns_, this).to(room); }
inline broadcast_operator socket::except(std::string_view room) const {
    return broadcast_operator(*ns_, this).except(room);
}
inline broadcast_operator socket::broadcast() const { return broadcast_operator(*ns_, this); }

inline void socket::send_event(std::string_view event, detail::arg_builder& b, std::optional<std::uint64_t> id) {
    std::string& out = ns_->shard().scratch();
    out.clear();
    encode_event_append(out, nsp(), event, b.args, id, b.attachments.size());
    client_->send_encoded(out, b.attachments);
}

template <class... A>
void socket::emit(std::string_view event, A&&... args) {
    if (!connected_) return;
    if constexpr (sizeof...(A) == 1 && (std::is_same_v<std::remove_cvref_t<A>, event_args> && ...)) {
        // Re-emitting what a client sent (an echo, a relay) without binary: encode the
        // received values as they are, no copy into a new array (which was a third of
        // the user time of an echo: allocating and freeing the copied strings).
        const event_args& a = (args, ...);
        if (!a.attachments || a.attachments->empty()) {
            std::string& out = ns_->shard().scratch();
            out.clear();
            std::span<const boost::json::value> values;
            if (a.values) values = std::span<const boost::json::value>(a.values->data() + a.first, a.size());
            encode_event_append(out, nsp(), event, values);
            client_->send_encoded(out, no_attachments());
            return;
        }
    }
    detail::arg_builder b;
    (b.add(static_cast<A&&>(args)), ...);
    send_event(event, b, std::nullopt);
}

template <class... A>
void socket::volatile_emit(std::string_view event, A&&... args) {
    if (client_->backlog() > 0) return;
    emit(event, static_cast<A&&>(args)...);
}

template <class... A>
void socket::emit_with_ack(std::string_view event, std::chrono::milliseconds timeout, ack_callback callback,
                           A&&... args) {
    if (!connected_) {
        callback(std::make_error_code(std::errc::not_connected), {});
        return;
    }
    detail::arg_builder b;
    (b.add(static_cast<A&&>(args)), ...);
    const std::uint64_t id = ns_->next_ack_id();
    expect_ack(id, timeout, std::move(callback));
    send_event(event, b, id);
}

inline void socket::expect_ack(std::uint64_t id, std::chrono::milliseconds timeout, ack_callback callback) {
    auto timer = std::make_unique<asio::steady_timer>(ns_->shard().io());
    timer->expires_after(timeout);
    timer->async_wait([this, id](std::error_code ec) {
        if (ec) return;  // answered (or the socket went away) first
        auto it = std::find_if(acks_.begin(), acks_.end(), [&](auto& a) { return a.id == id; });
        if (it == acks_.end()) return;
        auto cb = std::move(it->callback);
        acks_.erase(it);
        cb(std::make_error_code(std::errc::timed_out), {});
    });
    acks_.push_back({id, std::move(callback), std::move(timer)});
}

template <class... A>
    requires(!detail::first_is_ack_callback<A...>::value)
asio::awaitable<ack_reply> socket::emit_with_ack(std::string_view event, std::chrono::milliseconds timeout,
                                                A&&... args) {
    // A one-shot channel: the callback stores the result and wakes the waiter.
    struct state {
        std::optional<std::error_code> ec;
        ack_reply reply;
        asio::steady_timer wake;
        explicit state(asio::io_context& io) : wake(io, asio::steady_timer::time_point::max()) {}
    };
    auto st = std::make_shared<state>(ns_->shard().io());
    emit_with_ack(event, timeout, ack_callback([st](std::error_code ec, ack_reply r) {
        st->ec = ec;
        st->reply = std::move(r);
        st->wake.cancel();
    }), static_cast<A&&>(args)...);
    if (!st->ec) {
        std::error_code ignored;
        co_await st->wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    if (*st->ec == std::errc::timed_out) throw ack_timeout();
    if (*st->ec) throw std::system_error(*st->ec);
    co_return std::move(st->reply);
}

inline void socket::on_ack(std::uint64_t id, ack_reply reply) {
    auto it = std::find_if(acks_.begin(), acks_.end(), [&](auto& a) { return a.id == id; });
    if (it == acks_.end()) return;  // late or unknown: ignored, like the reference
    auto cb = std::move(it->callback);
    it->timer->cancel();
    acks_.erase(it);
    cb({}, std::move(reply));
}

inline void socket::fail_pending_acks() {
    // Acks in flight are reported as failed, never silently dropped.
    auto pending = std::move(acks_);
    acks_.clear();
    for (auto& a : pending) {
        a.timer->cancel();
        if (a.callback) a.callback(std::make_error_code(std::errc::connection_aborted), {});
    }
}

template <class... Ts>
void ack<Ts...>::operator()(Ts... values) {
    if (!id_) return;
    auto c = client_.lock();
    if (!c) return;
    detail::arg_builder b;
    (b.add(values), ...);
    std::string& out = c->shard().scratch();
    out.clear();
    encode_ack_append(out, nsp_, *id_, b.args, b.attachments.size());
    c->send_encoded(out, b.attachments);
    id_.reset();
}

// ----- the in-memory adapter: rooms of one namespace on one shard -----
// Also the in-process link between shards: for_each_remote posts the work to the
// same namespace on every other shard of the server (their mailboxes: lock-free, one
// post per shard per operation, nothing per recipient).
class memory_adapter final : public adapter {
public:
    explicit memory_adapter(namespace_state& ns) : ns_(&ns) {}
    std::size_t remote_count() const override {
        const std::size_t n = ns_->shard().cluster_size();
        return n > 1 ? n - 1 : 0;
    }
    void for_each_remote(const remote_work& work) override {
        shard_state& here = ns_->shard();
        for (std::size_t i = 0; i < here.cluster_size(); ++i) {
            if (i == here.shard_index()) continue;
            shard_state* there = &here.peer(i);
            here.post_to(i, [there, work, name = ns_->name()] { work(there->of(name)); });
        }
    }
    void add(socket& s) override { sockets_.emplace(s.id(), &s); }
    void remove(socket& s) override { sockets_.erase(s.id()); }
    // The room named after a socket's own id (every socket is in it, as in socket.io)
    // is not stored: sockets_ already maps the id to the socket. That is ~270 bytes per
    // connection less (a map node, a set and its buckets), a sixth of an idle one.
    void join(socket& s, std::string_view room) override {
        if (room == s.id()) return;
        rooms_[std::string(room)].insert(&s);
    }
    void leave(socket& s, std::string_view room) override {
        auto it = rooms_.find(std::string(room));
        if (it == rooms_.end()) return;
        it->second.erase(&s);
        if (it->second.empty()) rooms_.erase(it);
    }
    std::size_t size() const override { return sockets_.size(); }
    std::size_t room_size(std::string_view room) const override {
        std::size_t n = 0;
        for_each_member(room, [&](socket&) { ++n; });
        return n;
    }
    socket* find(std::string_view id) const override {
        auto it = sockets_.find(std::string(id));
        return it == sockets_.end() ? nullptr : it->second;
    }
    void for_each(const broadcast_target& t, void (*visit)(void*, socket&), void* ctx) const override {
        visit_targets(t, [&](socket& s) { visit(ctx, s); });
    }
    std::size_t broadcast(const broadcast_target& t, const broadcast_packet& p) override {
        std::size_t n = 0;
        visit_targets(t, [&](socket& s) {
            if (!s.connected()) return;
            if (t.volatile_ && s.owner().backlog() > 0) return;
            s.owner().send_shared(p.framed, p.packets.data(), p.packets.size());
            ++n;
        });
        return n;
    }

private:
    template <class F>
    void visit_targets(const broadcast_target& t, F&& f) const {
        auto excluded = [&](socket* s) {
            if (s == t.exclude) return true;
            for (auto& r : t.except)
                if (s->in_room(r)) return true;
            return false;
        };
        if (t.rooms.empty()) {
            for (auto& [id, s] : sockets_)
                if (!excluded(s)) f(*s);
            return;
        }
        if (t.rooms.size() == 1) {
            for_each_member(t.rooms[0], [&](socket& s) {
                if (!excluded(&s)) f(s);
            });
            return;
        }
        // Several rooms: each socket once.
        std::unordered_set<socket*> seen;
        for (auto& r : t.rooms)
            for_each_member(r, [&](socket& s) {
                if (!excluded(&s) && seen.insert(&s).second) f(s);
            });
    }

    // The members of `room`: those stored, plus the socket whose id it is (its own
    // room, implicit) unless it left it. The two never overlap.
    template <class F>
    void for_each_member(std::string_view room, F&& f) const {
        const std::string key(room);
        if (auto it = rooms_.find(key); it != rooms_.end())
            for (socket* s : it->second) f(*s);
        if (auto it = sockets_.find(key); it != sockets_.end() && it->second->in_room(room)) f(*it->second);
    }

    namespace_state* ns_;
    std::unordered_map<std::string, socket*> sockets_;
    std::unordered_map<std::string, std::unordered_set<socket*>> rooms_;
};

inline namespace_state::namespace_state(shard_state& shard, std::string name)
    : shard_(&shard), name_(std::move(name)) {
    if (auto make = shard.opts().adapter) adapter_ = make(*this);
    if (!adapter_) adapter_ = std::make_unique<memory_adapter>(*this);
}

template <class F>
void broadcast_operator::for_each_target(F&& f) const {
    broadcast_target t{rooms_, except_, exclude_, flags_.volatile_};
    using fn = std::remove_reference_t<F>;
    ns_->adapter().for_each(t, [](void* ctx, socket& s) { (*static_cast<fn*>(ctx))(s); }, &f);
}

namespace detail {
// An encoded packet in the two forms a broadcast hands out: `packets` (Engine.IO
// packets viewing `text` and `attachments`, for long-polling recipients) and the
// returned WebSocket frames ("4" + text, then one binary frame per attachment).
inline ws::shared_bytes frame_for_broadcast(const std::string& text, const std::vector<attachment>& attachments,
                                            std::vector<eio::packet>& packets) {
    packets.reserve(1 + attachments.size());
    packets.push_back(eio::packet::text(eio::packet_type::message, text));
    for (auto& a : attachments) packets.push_back(eio::packet::binary_message(a));
    auto framed = std::make_shared<std::string>();
    framed->reserve(text.size() + 16);
    ws::append_frame_header(*framed, ws::opcode::text, true, text.size() + 1);
    framed->push_back('4');
    framed->append(text);
    for (auto& a : attachments) ws::append_frame(*framed, ws::opcode::binary, std::span<const std::byte>(a));
    return framed;
}
}  // namespace detail

inline std::shared_ptr<broadcast_message> broadcast_operator::make_message(detail::arg_builder& b,
                                                                          std::string_view event) const {
    auto m = std::make_shared<broadcast_message>();
    m->nsp = ns_->name();
    m->rooms = rooms_;
    m->except = except_;
    m->volatile_ = flags_.volatile_;
    // Encode once...
    encode_event_append(m->text, ns_->name(), event, b.args, std::nullopt, b.attachments.size());
    m->attachments = std::move(b.attachments);
    // ...frame once (Engine.IO message "4" + text, then raw binary frames)...
    m->framed = detail::frame_for_broadcast(m->text, m->attachments, m->packets);
    return m;
}

template <class... A>
std::size_t broadcast_operator::emit(std::string_view event, A&&... args) const {
    detail::arg_builder b;
    (b.add(static_cast<A&&>(args)), ...);
    std::shared_ptr<const broadcast_message> m = make_message(b, event);
    // ...and share the bytes with every recipient (the adapter knows who they are).
    auto& ad = ns_->adapter();
    const std::size_t here = ad.broadcast(m->target(exclude_), m->packet());
    if (ad.remote_count() > 0)
        ad.for_each_remote([m](namespace_state& ns) { ns.adapter().broadcast(m->target(), m->packet()); });
    return here;
}

namespace detail {
// A value produced on other shards, awaited on this one.
template <class T>
struct awaited_value {
    std::optional<T> value;
    asio::steady_timer wake;
    explicit awaited_value(asio::io_context& io) : wake(io, asio::steady_timer::time_point::max()) {}
    void set(T v) {
        value = std::move(v);
        wake.cancel();
    }
};
// Waits for `w` to be set. A free coroutine holding `w`: the broadcast_operator
// functions that return it do their work eagerly (they are not coroutines), so the
// operator — usually a temporary — is not needed once they return.
template <class T>
asio::awaitable<T> await_value(std::shared_ptr<awaited_value<T>> w) {
    if (!w->value) {
        std::error_code ignored;
        co_await w->wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    co_return std::move(*w->value);
}

// The replies of a broadcast with ack, or ack_timeout / system_error.
inline asio::awaitable<std::vector<ack_reply>> await_acks(
    std::shared_ptr<awaited_value<std::pair<std::error_code, std::vector<ack_reply>>>> w) {
    auto [ec, replies] = co_await await_value(std::move(w));
    if (ec == std::errc::timed_out) throw ack_timeout();
    if (ec) throw std::system_error(ec);
    co_return std::move(replies);
}

inline std::size_t count_matching(namespace_state& ns, const broadcast_target& t) {
    std::size_t n = 0;
    ns.adapter().for_each(t, [](void* c, socket&) { ++*static_cast<std::size_t*>(c); }, &n);
    return n;
}
}  // namespace detail

namespace detail {
template <class R>
struct gather_state {
    std::vector<R> results;
    std::size_t remaining = 0;
    std::function<void(std::vector<R>)> done;
    void add(R r) {
        results.push_back(std::move(r));
        if (--remaining == 0) {
            auto d = std::move(done);
            d(std::move(results));
        }
    }
};
}  // namespace detail

template <class R, class Local, class Remote>
void broadcast_operator::gather(Local&& local, Remote remote, std::function<void(std::vector<R>)> done) const {
    auto& ad = ns_->adapter();
    auto st = std::make_shared<detail::gather_state<R>>();
    st->remaining = 1 + ad.remote_count();
    st->done = std::move(done);
    const shard_state* origin = &ns_->shard();
    if (ad.remote_count() > 0)
        ad.for_each_remote([st, origin, remote](namespace_state& ns) {
            // Replies travel back through the origin's mailbox: `st` is only ever
            // touched on the origin's thread.
            remote(ns, [st, origin](R r) { origin->post([st, r = std::move(r)]() mutable { st->add(std::move(r)); }); });
        });
    local([st](R r) { st->add(std::move(r)); });
}

template <class... A>
asio::awaitable<std::size_t> broadcast_operator::emit_counted(std::string_view event, A&&... args) const {
    detail::arg_builder b;
    (b.add(static_cast<A&&>(args)), ...);
    std::shared_ptr<const broadcast_message> m = make_message(b, event);
    auto w = std::make_shared<detail::awaited_value<std::size_t>>(ns_->shard().io());
    const socket* exclude = exclude_;
    gather<std::size_t>(
        [&](auto reply) { reply(ns_->adapter().broadcast(m->target(exclude), m->packet())); },
        [m](namespace_state& ns, auto reply) { reply(ns.adapter().broadcast(m->target(), m->packet())); },
        [w](std::vector<std::size_t> counts) {
            std::size_t n = 0;
            for (auto c : counts) n += c;
            w->set(n);
        });
    return detail::await_value(std::move(w));
}

inline asio::awaitable<std::size_t> broadcast_operator::count() const {
    auto w = std::make_shared<detail::awaited_value<std::size_t>>(ns_->shard().io());
    auto target = std::make_shared<const std::tuple<std::vector<std::string>, std::vector<std::string>>>(rooms_, except_);
    gather<std::size_t>(
        [&](auto reply) { reply(detail::count_matching(*ns_, {rooms_, except_, exclude_, false})); },
        [target](namespace_state& ns, auto reply) {
            reply(detail::count_matching(ns, {std::get<0>(*target), std::get<1>(*target), nullptr, false}));
        },
        [w](std::vector<std::size_t> counts) {
            std::size_t n = 0;
            for (auto c : counts) n += c;
            w->set(n);
        });
    return detail::await_value(std::move(w));
}

namespace detail {
// One shard's part of a broadcast with ack: encode with this shard's ack id, send to
// the matching sockets here, wait for their acks (or their timeouts).
struct shard_acks {
    std::vector<ack_reply> replies;
    std::error_code error;
};
struct ack_broadcast {
    std::string event;
    boost::json::array args;
    std::vector<attachment> attachments;
    std::vector<std::string> rooms;
    std::vector<std::string> except;
    bool volatile_ = false;
    std::chrono::milliseconds timeout{};
};
inline void ack_broadcast_on_shard(namespace_state& ns, const std::shared_ptr<const ack_broadcast>& m,
                                   const socket* exclude, std::function<void(shard_acks)> reply) {
    const std::uint64_t id = ns.next_ack_id();
    std::string text;
    encode_event_append(text, ns.name(), m->event, m->args, id, m->attachments.size());
    std::vector<eio::packet> pks;
    ws::shared_bytes shared = frame_for_broadcast(text, m->attachments, pks);

    std::vector<socket*> targets;
    broadcast_target t{m->rooms, m->except, exclude, m->volatile_};
    ns.adapter().for_each(t, [](void* out, socket& s) { static_cast<std::vector<socket*>*>(out)->push_back(&s); },
                          &targets);
    std::erase_if(targets, [&](socket* s) { return !s->connected() || (m->volatile_ && s->owner().backlog() > 0); });
    if (targets.empty()) return reply({});
    struct collector {
        shard_acks acks;
        std::size_t remaining;
        std::function<void(shard_acks)> reply;
    };
    auto col = std::make_shared<collector>(collector{{}, targets.size(), std::move(reply)});
    // Register every ack before sending anything: a send may fail and close a client
    // at once, which reports its ack as failed.
    for (socket* s : targets)
        s->expect_ack(id, m->timeout, [col](std::error_code ec, ack_reply r) {
            if (ec) {
                if (!col->acks.error || ec == std::errc::timed_out) col->acks.error = ec;
            } else {
                col->acks.replies.push_back(std::move(r));
            }
            if (--col->remaining == 0) col->reply(std::move(col->acks));
        });
    std::vector<std::weak_ptr<client>> owners;
    owners.reserve(targets.size());
    for (socket* s : targets) owners.push_back(s->owner().weak_from_this());
    for (auto& o : owners)
        if (auto c = o.lock()) c->send_shared(shared, pks.data(), pks.size());
}
}  // namespace detail

template <class... A>
void broadcast_operator::emit_with_ack(std::string_view event, std::chrono::milliseconds timeout,
                                       broadcast_ack_callback callback, A&&... args) const {
    detail::arg_builder b;
    (b.add(static_cast<A&&>(args)), ...);
    auto m = std::make_shared<detail::ack_broadcast>();
    m->event = std::string(event);
    m->args = std::move(b.args);
    m->attachments = std::move(b.attachments);
    m->rooms = rooms_;
    m->except = except_;
    m->volatile_ = flags_.volatile_;
    m->timeout = timeout;
    std::shared_ptr<const detail::ack_broadcast> shared = std::move(m);
    const socket* exclude = exclude_;
    namespace_state* here = ns_;
    gather<detail::shard_acks>(
        [&](auto reply) { detail::ack_broadcast_on_shard(*here, shared, exclude, std::move(reply)); },
        [shared](namespace_state& ns, auto reply) { detail::ack_broadcast_on_shard(ns, shared, nullptr, std::move(reply)); },
        [cb = std::move(callback)](std::vector<detail::shard_acks> parts) {
            std::vector<ack_reply> all;
            std::error_code error;
            for (auto& p : parts) {
                if (p.error && (!error || p.error == std::errc::timed_out)) error = p.error;
                for (auto& r : p.replies) all.push_back(std::move(r));
            }
            cb(error, std::move(all));
        });
}

template <class... A>
    requires(!std::is_invocable_v<std::remove_cvref_t<std::tuple_element_t<0, std::tuple<A..., int>>>&,
                                  std::error_code, std::vector<ack_reply>>)
asio::awaitable<std::vector<ack_reply>> broadcast_operator::emit_with_ack(std::string_view event,
                                                                         std::chrono::milliseconds timeout,
                                                                         A&&... args) const {
    using outcome = std::pair<std::error_code, std::vector<ack_reply>>;
    auto w = std::make_shared<detail::awaited_value<outcome>>(ns_->shard().io());
    emit_with_ack(event, timeout, broadcast_ack_callback([w](std::error_code ec, std::vector<ack_reply> r) {
        w->set(outcome{ec, std::move(r)});
    }), static_cast<A&&>(args)...);
    return detail::await_acks(std::move(w));
}

inline std::vector<socket*> broadcast_operator::fetch_sockets() const {
    std::vector<socket*> out;
    for_each_target([&](socket& s) { out.push_back(&s); });
    return out;
}

inline void broadcast_operator::apply_everywhere(std::function<void(socket&)> op) const {
    // Collected first: the operation may change rooms (or destroy the socket).
    for (socket* s : fetch_sockets()) op(*s);
    auto& ad = ns_->adapter();
    if (ad.remote_count() == 0) return;
    auto target = std::make_shared<const std::tuple<std::vector<std::string>, std::vector<std::string>, bool>>(
        rooms_, except_, flags_.volatile_);
    ad.for_each_remote([target, op](namespace_state& ns) {
        broadcast_target t{std::get<0>(*target), std::get<1>(*target), nullptr, std::get<2>(*target)};
        std::vector<socket*> found;
        ns.adapter().for_each(t, [](void* out, socket& s) { static_cast<std::vector<socket*>*>(out)->push_back(&s); },
                              &found);
        for (socket* s : found) op(*s);
    });
}
inline void broadcast_operator::sockets_join(std::string_view room) const {
    apply_everywhere([r = std::string(room)](socket& s) { s.join(r); });
}
inline void broadcast_operator::sockets_leave(std::string_view room) const {
    apply_everywhere([r = std::string(room)](socket& s) { s.leave(r); });
}
inline void broadcast_operator::disconnect_sockets(bool close) const {
    apply_everywhere([close](socket& s) { s.disconnect(close); });
}

}  // namespace duet::sio
