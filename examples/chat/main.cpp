// examples/chat — one app, two protocols: an Express-style HTTP app and Socket.IO
// that know the same user through the session cookie.
//
//   GET  /                 the chat page (public/), using the official socket.io client
//   POST /login            {"name"} → starts a session (signed cookie) → {"name"}
//   POST /logout           ends the session (and disconnects its sockets)
//   GET  /me               {"name"} or 401
//   POST /notify/:name     {"text"} → "notice" to every socket of every session of
//                          that user → {"delivered": N}. Open to anyone in this demo
//                          (a real app would guard it, e.g. with an admin session).
//   Socket.IO "/"          only for logged-in sessions (else CONNECT_ERROR
//                          {"message":"unauthorized"}); events: join (room, acked
//                          with true), chat ({"room","text"} → "chat"
//                          {"from","room","text"} to the room)
//
// Usage (from the repository root, which holds node_modules/ for the client bundle):
//   chat [--port 3000] [--socket-port P] [--threads N] [--redis redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]]
//        [--cookie-name NAME]
// --socket-port serves Socket.IO by its own server on port P (separate-port mode:
// CORS with credentials, sessions shared through the common store). --threads runs N
// shards (rooms, notices and logouts reach sockets on every shard). --redis makes this
// process one node of a cluster: sessions in Redis (express-session + connect-redis
// format) and the Redis adapter (@socket.io/redis-adapter's protocol), so several chat
// processes — and a Node Express + socket.io chat on the same Redis with the same
// secret (DUET_CHAT_SECRET) and cookie name — are one chat: log in on any node, chat
// with users of every node, /notify and /logout act everywhere. --cookie-name names the
// session cookie (default duet.sid; express-session's is connect.sid).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include <boost/describe.hpp>

#include <duet/duet.hpp>
#ifdef DUET_CHAT_REDIS
#include <duet/cluster/redis_adapter.hpp>
#include <duet/session/redis_store.hpp>
#endif

#include "../common/cli.hpp"

namespace {

constexpr std::size_t max_text = 500;

bool valid_name(std::string_view n) {
    if (n.empty() || n.size() > 32) return false;
    for (char c : n)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    return true;
}

struct login_body {
    std::string name;
};
BOOST_DESCRIBE_STRUCT(login_body, (), (name))

struct notify_body {
    std::string text;
};
BOOST_DESCRIBE_STRUCT(notify_body, (), (text))

struct chat_in {
    std::string room;
    std::string text;
};
BOOST_DESCRIBE_STRUCT(chat_in, (), (room, text))

// How HTTP handlers reach Socket.IO: the same server, or the one on the other port.
struct app_state {
    std::function<duet::io&()> io;
    std::string socket_port;  // "" when Socket.IO is on this server's port
};

std::string user_room(std::string_view name) { return "user:" + std::string(name); }
std::string chat_room(std::string_view room) { return "room:" + std::string(room); }

void bad_request(duet::response& res, std::string_view message) {
    res.status(400);
    res.json({{"error", message}});
}

// ----- HTTP -----
void login(duet::request& req, duet::response& res, app_state& st, duet::json_body<login_body> body) {
    if (!valid_name(body->name)) return bad_request(res, "name must be 1-32 letters, digits, '-' or '_'");
    auto& s = req.session();
    // Sockets of a previous login in this browser belong to the previous user.
    if (!s.is_new()) st.io().to_session(s.id()).disconnect_sockets(true);
    s.regenerate();  // a new id at login: a planted session id is worthless
    s.set("name", boost::json::string(body->name));
    res.json({{"name", body->name}});
}

void logout(duet::request& req, duet::response& res, app_state& st) {
    auto& s = req.session();
    if (!s.is_new()) st.io().to_session(s.id()).disconnect_sockets(true);
    s.destroy();
    res.status(204);
    res.end();
}

void me(duet::request& req, duet::response& res) {
    auto name = req.session().get_string("name");
    if (!name) {
        res.status(401);
        return res.json({{"error", "not logged in"}});
    }
    res.json({{"name", *name}});
}

// A coroutine: the user's sockets may live on any shard (--threads), and the count
// comes back from each of them.
asio::awaitable<void> notify(duet::response& res, app_state& st, std::string_view name,
                             duet::json_body<notify_body> body) {
    if (!valid_name(name)) co_return bad_request(res, "invalid user name");
    if (body->text.empty() || body->text.size() > max_text) co_return bad_request(res, "text must be 1-500 characters");
    auto sending = st.io().to(user_room(name)).emit_counted("notice", boost::json::object{{"text", body->text}});
    const std::size_t n = co_await std::move(sending);
    res.json({{"delivered", n}});
}

// The page asks where Socket.IO lives ("" = this origin).
void config(duet::response& res, app_state& st) { res.json({{"socketPort", st.socket_port}}); }

constexpr auto routes = duet::routes(
    duet::post<"/login">(duet::fn<login>),
    duet::post<"/logout">(duet::fn<logout>),
    duet::get<"/me">(duet::fn<me>),
    duet::post<"/notify/:name">(duet::fn<notify>),
    duet::get<"/config">(duet::fn<config>),
    duet::use<"/vendor">(duet::static_files<"node_modules/socket.io-client/dist">()),
    duet::use(duet::static_files<"examples/chat/public">()));

// ----- Socket.IO -----
// A coroutine: with the Redis store the session is a GET away (the thread serves
// others meanwhile); with the memory store it completes at once.
asio::awaitable<std::optional<duet::connect_error>> require_login(duet::socket& s) {
    const duet::session session = co_await s.load_session();
    auto name = session.get_string("name");
    if (!name) co_return duet::connect_error("unauthorized");
    s.data() = boost::json::object{{"name", *name}};
    co_return std::nullopt;
}

void on_connect(duet::socket& s) { s.join(user_room(s.data().at("name").as_string())); }

void on_join(duet::socket& s, std::string room, duet::ack<boost::json::value> ack) {
    if (!valid_name(room)) return ack(boost::json::object{{"error", "invalid room name"}});
    s.join(chat_room(room));
    ack(true);
}

void on_chat(duet::socket& s, duet::io& io, chat_in m, duet::ack<boost::json::value> ack) {
    if (!s.in_room(chat_room(m.room))) return ack(boost::json::object{{"error", "unknown room: join it first"}});
    if (m.text.empty() || m.text.size() > max_text) return ack(boost::json::object{{"error", "text must be 1-500 characters"}});
    boost::json::object msg{{"from", s.data().at("name")}, {"room", m.room}, {"text", m.text}};
    io.of(s.nsp()).to(chat_room(m.room)).emit("chat", msg);
    ack(true);
}

constexpr auto events = duet::events(duet::of<"/">(duet::use(duet::fn<require_login>), duet::on_connect(duet::fn<on_connect>),
                                                   duet::on<"join">(duet::fn<on_join>), duet::on<"chat">(duet::fn<on_chat>)));

constexpr auto no_routes = duet::routes();

// Shared by both servers in separate-port mode: the memory store, or the Redis one.
duet::memory_session_store memory_store;
duet::session_store* store = &memory_store;
std::string cookie_name = "duet.sid";
std::shared_ptr<duet::sio::cluster_link> cluster;  // --redis: the Redis adapter's node

duet::server_options base_options(std::uint16_t port) {
    duet::server_options o;
    o.port = port;
    o.stop_on_signals = true;
    o.session.store = store;
    o.session.cookie_name = cookie_name;
    const char* secret = std::getenv("DUET_CHAT_SECRET");
    o.session.secrets = {secret ? secret : "change-me: set DUET_CHAT_SECRET"};
    o.socketio.cluster = cluster;
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    const auto port = static_cast<std::uint16_t>(duet_cli::number(argc, argv, "--port", 3000));
    const auto socket_port = static_cast<std::uint16_t>(duet_cli::number(argc, argv, "--socket-port", 0));
    const auto threads = static_cast<unsigned>(duet_cli::number(argc, argv, "--threads", 1));
    cookie_name = duet_cli::text(argc, argv, "--cookie-name", cookie_name);
    const std::string redis_url = duet_cli::text(argc, argv, "--redis");
#ifdef DUET_CHAT_REDIS
    std::unique_ptr<duet::redis_session_store> redis_store;
    if (!redis_url.empty()) {
        duet::runtime::redis_client_options where;
        try {
            where = duet::runtime::redis_client_options::from_url(redis_url);
        } catch (const std::invalid_argument& e) {
            std::fprintf(stderr, "chat: --redis %s: %s\n", redis_url.c_str(), e.what());
            return 2;
        }
        redis_store = std::make_unique<duet::redis_session_store>(duet::redis_session_store_options{.redis = where});
        store = redis_store.get();
        cluster = std::make_shared<duet::cluster::redis_cluster>(duet::cluster::redis_cluster_options{.url = redis_url});
    }
#else
    if (!redis_url.empty()) {
        std::fprintf(stderr, "chat: built without Redis support (needs libhiredis-dev and libmsgpuck-dev)\n");
        return 2;
    }
#endif
    if (socket_port == 0) {
        auto o = base_options(port);
        // The page's own origin names the port actually bound (known only after
        // binding when --port 0), so the check reads it through a shared slot.
        auto bound = std::make_shared<std::string>();
        o.engineio.allow_request = [bound](const duet::http::request& req) {
            auto origin = req.header("origin");
            return !origin || *origin == "http://localhost:" + *bound || *origin == "http://127.0.0.1:" + *bound;
        };
        duet::server<routes, events, app_state> srv(std::move(o));
        *bound = std::to_string(srv.port());
        srv.state().io = [&srv]() -> duet::io& { return srv.io(); };
        std::printf("chat listening on http://localhost:%u\n", srv.port());
        std::fflush(stdout);
        srv.run(threads);
        return 0;
    }
    // Separate-port mode: pages and HTTP API here, Socket.IO on socket_port.
    auto http_opts = base_options(port);
    duet::server<routes, duet::no_realtime{}, app_state> http(std::move(http_opts));
    auto sio_opts = base_options(socket_port);
    const std::string page_origin = "http://localhost:" + std::to_string(http.port());
    sio_opts.engineio.cors = {.origin = page_origin + ",http://127.0.0.1:" + std::to_string(http.port()), .credentials = true};
    sio_opts.engineio.allowed_origins = sio_opts.engineio.cors.origin;
    duet::server<no_routes, events> sockets(std::move(sio_opts));
    http.attach(sockets);
    http.state().io = [&sockets]() -> duet::io& { return sockets.io(); };
    http.state().socket_port = std::to_string(sockets.port());
    std::printf("chat listening on http://localhost:%u (Socket.IO on port %u)\n", http.port(), sockets.port());
    std::fflush(stdout);
    http.run(threads);
}
