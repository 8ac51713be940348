// tests/interop/sio_test_server.cpp — the Socket.IO server the interop tests
// (socketio.test.mjs) drive with the official npm socket.io-client. The same
// handlers are written in JavaScript for the reference npm `socket.io` server inside
// the test file (REFERENCE_SERVER there), which serves as the oracle: keep the two
// in step.
//
// Namespace "/":
//   connect middleware  auth.token == "bad"   → CONNECT_ERROR "unauthorized",
//                                               data {"reason":"bad token"} (returned)
//                       auth.token == "throw" → CONNECT_ERROR "thrown",
//                                               data {"reason":"thrown"} (thrown)
//   on connect          emits "welcome" (socket id, auth)
//   on disconnect       records (socket id, namespace, reason) for "last-reasons"
//   "echo"              emits "echo" with the same arguments (binary included)
//   "echo-ack"          acks with the same arguments (binary included)
//   "typed"             (person, int[], string?, ack<string>) → acks "name/age/1+2+3/note"
//                       (wrong types: the server's error ack)
//   "bytes-len"         (bytes, ack<int>) → acks the binary argument's length
//   "join" / "leave"    (room, ack<bool>) → joins / leaves, acks true
//   "rooms"             (ack) → acks the socket's rooms, sorted
//   "count-room"        (room, ack<int>) → acks the room's size
//   "to-room"           (room, msg) → s.to(room).emit("room-message", msg, sender id)
//   "to-room-except"    (room, except, msg) → s.to(room).except(except).emit(...)
//   "broadcast"         (msg) → s.broadcast().emit("broadcast-message", msg, sender id)
//   "io-emit"           (msg) → io.emit("io-message", msg, sender id)
//   "ask-client"        (args...) → s.emit_with_ack("question", 500 ms, cb, args...);
//                       cb emits "answer" with [the client's ack args] or {"error":"timeout"}
//   "ask-client-co"     the same with co_await s.emit_with_ack(...) in a coroutine handler
//   "room-echo"         (room, args...) → s.to(room).emit("room-echo", args...) (binary included)
//   "disconnect-me"     s.disconnect()
//   "close-me"          s.disconnect(true)
//   "bye-close"         (word) → emits "bye" (word), then s.disconnect(true)
//   "last-reasons"      (ack) → acks [{id, nsp, reason}, ...] of recent disconnects
// Namespace "/custom": an asynchronous connect middleware (a coroutine: 50 ms, then
//   auth.token == "bad" → CONNECT_ERROR "unauthorized (async)", data {"reason":"async"})
//   followed by a synchronous one (auth.token == "bad2" → false → "unauthorized");
//   on connect emits "welcome" (socket id, auth); "echo"; records disconnect reasons.
// Dynamic namespaces "/dyn-*" (duet::of_matching): on connect emits "welcome"
//   (socket id, namespace name); "echo".
//
// Namespace "/recovery" (recovery.test.mjs; recovery is on with --recovery ms): no
//   welcome (a client may never receive a packet); "join", "to-room" as in "/";
//   "drop-me" closes the connection from the server side ("forced close");
//   "set-data" (value, ack) → socket.data() = value; "state" (ack) → {id, recovered,
//   rooms (sorted, without the socket's own id), data}. A middleware refuses a
//   client whose auth.gate is "closed" ("gate closed"); with --recovery-run-middlewares
//   it runs for recovered clients too (skip_middlewares = false).
//
// Across shards (shards.test.mjs): "whoami" (ack) → {"shard": n}; "ask-room" (room,
//   ack) → the room asked "question" with ack; HTTP GET /shards/{notify,count,ask,kick}
//   ?room=r and /shards/forwarded (see the handlers).
//
// HTTP under /z behind duet::compression() (compression.test.mjs): big, small, json, png,
// encoded (Content-Encoding already set), notransform (Cache-Control: no-transform).
//
// Behind a proxy (trust_proxy.test.mjs, nginx_tls.test.mjs; with --trust-proxy V, which
// also turns on sessions with a Secure cookie): GET /proxy/info (req.ip, ips, protocol,
// secure, host, hostname), POST /proxy/login?user=u, GET /proxy/me; "session-user" (ack).
//
// Bodies (forms.test.mjs): POST /forms/fields (form_body<json::object>), /forms/text
// (text_body), /forms/signup (form_body<signup>).
//
// Usage: sio_test_server <port|0> [--ping-interval ms] [--ping-timeout ms]
//        [--connect-timeout ms] [--threads n] [--recovery max-disconnection-ms]
//        [--recovery-run-middlewares] [--per-message-deflate] [--trust-proxy V]
// Defaults: pingInterval 300, pingTimeout 200, connectTimeout 1000 (the protocol test
// suite's). Listens on 127.0.0.1 and prints "listening <port>" once bound.
#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/describe.hpp>
#include <boost/json.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <duet/duet.hpp>

#include "../../examples/common/cli.hpp"

namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// ----- connect middleware -----

std::string auth_token(duet::socket& s) {
    if (const auto* o = s.auth().if_object())
        if (const auto* t = o->if_contains("token"); t && t->is_string()) return std::string(t->get_string());
    return {};
}

// Refuses by returning a connect_error.
std::optional<duet::connect_error> check_token(duet::socket& s) {
    if (auth_token(s) == "bad") return duet::connect_error("unauthorized", json::object{{"reason", "bad token"}});
    return std::nullopt;
}

// Refuses by throwing one.
void check_throw(duet::socket& s) {
    if (auth_token(s) == "throw") throw duet::connect_error("thrown", json::object{{"reason", "thrown"}});
}

// ----- connect / disconnect -----

void welcome(duet::socket& s) { s.emit("welcome", s.id(), s.auth()); }
void welcome_dynamic(duet::socket& s) { s.emit("welcome", s.id(), s.nsp()); }

struct disconnect_record {
    std::string id;
    std::string nsp;
    std::string reason;
};
std::mutex reasons_mutex;  // shards record from their own threads (--threads)
std::deque<disconnect_record> reasons;

void record_disconnect(duet::socket& s, std::string_view reason) {
    std::lock_guard lock(reasons_mutex);
    reasons.push_back({s.id(), std::string(s.nsp()), std::string(reason)});
    if (reasons.size() > 200) reasons.pop_front();
}

void last_reasons(duet::ack<json::value> ack) {
    json::array out;
    {
        std::lock_guard lock(reasons_mutex);
        for (auto& r : reasons) out.push_back(json::object{{"id", r.id}, {"nsp", r.nsp}, {"reason", r.reason}});
    }
    ack(std::move(out));
}

// ----- events -----

void echo(duet::socket& s, duet::event_args args) { s.emit("echo", args); }
void echo_ack(duet::event_args args, duet::ack<duet::event_args> ack) { ack(args); }

struct person {
    std::string name;
    int age;
};
BOOST_DESCRIBE_STRUCT(person, (), (name, age))

void typed(duet::socket&, person p, std::vector<int> numbers, std::optional<std::string> note,
           duet::ack<std::string> ack) {
    std::string out = p.name + "/" + std::to_string(p.age) + "/";
    for (std::size_t i = 0; i < numbers.size(); ++i) out += (i ? "+" : "") + std::to_string(numbers[i]);
    out += "/" + note.value_or("(none)");
    ack(out);
}

void bytes_len(duet::bytes b, duet::ack<int> ack) { ack(static_cast<int>(b.size())); }

void join(duet::socket& s, std::string room, duet::ack<bool> ack) {
    s.join(room);
    ack(true);
}
void leave(duet::socket& s, std::string room, duet::ack<bool> ack) {
    s.leave(room);
    ack(true);
}
void rooms(duet::socket& s, duet::ack<std::vector<std::string>> ack) {
    std::vector<std::string> r = s.rooms();
    std::sort(r.begin(), r.end());
    ack(r);
}
// Counted on every shard (the room's members may live on any of them).
asio::awaitable<void> count_room(duet::socket& s, std::string room, duet::ack<int> ack) {
    auto counting = s.ns().in(room).count();
    const std::size_t n = co_await std::move(counting);
    ack(static_cast<int>(n));
}

void to_room(duet::socket& s, std::string room, json::value msg) { s.to(room).emit("room-message", msg, s.id()); }
void to_room_except(duet::socket& s, std::string room, std::string except, json::value msg) {
    s.to(room).except(except).emit("room-message", msg, s.id());
}
void broadcast(duet::socket& s, json::value msg) { s.broadcast().emit("broadcast-message", msg, s.id()); }
void io_emit(duet::socket& s, duet::io& io, json::value msg) { io.emit("io-message", msg, s.id()); }

// Both forms of emit_with_ack, as a user writes them: a lambda as the callback, and
// co_await. The client's answer (binary included) goes back as one array argument.
// The answer goes to the socket by id: it may have gone away while the ack was due.
template <class S>
void ask_client(S& s, duet::io& io, duet::event_args args) {
    s.emit_with_ack("question", 500ms, [&io, id = s.id()](std::error_code ec, duet::sio::ack_reply answer) {
        duet::socket* sock = io.of("/").find(id);
        if (!sock) return;
        if (ec == std::errc::timed_out) sock->emit("answer", json::object{{"error", "timeout"}});
        else if (ec) sock->emit("answer", json::object{{"error", ec.message()}});
        else sock->emit("answer", answer);
    }, args);
}

template <class S>
asio::awaitable<void> ask_client_co(S& s, duet::io& io, duet::event_args args) {
    const std::string id = s.id();
    std::optional<duet::sio::ack_reply> answer;
    json::value error;
    try {
        answer = co_await s.emit_with_ack("question", 500ms, args);
    } catch (const duet::sio::ack_timeout&) {
        error = json::object{{"error", "timeout"}};
    } catch (const std::exception& e) {
        error = json::object{{"error", e.what()}};
    }
    duet::socket* sock = io.of("/").find(id);
    if (!sock) co_return;
    if (answer) sock->emit("answer", *answer);
    else sock->emit("answer", error);
}

void disconnect_me(duet::socket& s) { s.disconnect(); }
void close_me(duet::socket& s) { s.disconnect(true); }
// The last words before the close must still reach the client.
void bye_close(duet::socket& s, std::string word) {
    s.emit("bye", word);
    s.disconnect(true);
}

void room_echo(duet::socket& s, std::string room, duet::event_args rest) { s.to(room).emit("room-echo", rest); }

// "/recovery"
std::optional<duet::connect_error> recovery_gate(duet::socket& s) {
    const auto* gate = s.auth().is_object() ? s.auth().as_object().if_contains("gate") : nullptr;
    if (gate && gate->is_string() && gate->as_string() == "closed") return duet::connect_error("gate closed");
    return std::nullopt;
}
void drop_me(duet::socket& s) { s.owner().close_transport(); }
void set_data(duet::socket& s, json::value v, duet::ack<bool> ack) {
    s.data() = std::move(v);
    ack(true);
}
void recovery_state(duet::socket& s, duet::ack<json::value> ack) {
    json::array rooms;
    std::vector<std::string> r = s.rooms();
    std::sort(r.begin(), r.end());
    for (auto& x : r)
        if (x != s.id()) rooms.emplace_back(x);
    ack(json::object{{"id", s.id()}, {"recovered", s.recovered()}, {"rooms", rooms}, {"data", s.data()}});
}

// "/custom": an asynchronous middleware followed by a synchronous one.
asio::awaitable<std::optional<duet::connect_error>> custom_async_guard(duet::socket& s) {
    // The socket may be gone once the coroutine resumes: read what it needs first.
    const std::string token = auth_token(s);
    asio::steady_timer timer(co_await asio::this_coro::executor, 50ms);
    co_await timer.async_wait(asio::use_awaitable);
    if (token == "bad") co_return duet::connect_error("unauthorized (async)", json::object{{"reason", "async"}});
    co_return std::nullopt;
}
bool custom_sync_check(duet::socket& s) { return auth_token(s) != "bad2"; }

bool is_dynamic(std::string_view nsp) { return nsp.starts_with("/dyn-"); }

// ----- across shards (shards.test.mjs, run with --threads 2) -----
// "whoami" (ack) → {"shard": index of the shard serving this socket}
void whoami(duet::io& io, duet::ack<json::value> ack) {
    ack(json::object{{"shard", io.state().shard_index()}});
}
// "ask-room" (room, ack) → the room (all shards, sender excepted) is asked "question"
// with a 1 s timeout; acks {"replies": [...], "error": "" | message}.
void ask_room(duet::socket& s, std::string room, duet::ack<json::value> ack) {
    s.to(room).emit_with_ack("question", 1000ms,
                             [ack](std::error_code ec, std::vector<duet::sio::ack_reply> replies) mutable {
                                 json::array out;
                                 for (auto& r : replies) out.push_back(json::value(r.args));
                                 ack(json::object{{"replies", out}, {"error", ec ? ec.message() : ""}});
                             });
}

std::size_t (*forwarded_count)() = nullptr;

std::string room_param(duet::request& req) { return std::string(req.query("room").value_or("all")); }

// GET /shards/notify?room=r → io.to(r) "notice", answers {"delivered": sockets on all shards}
asio::awaitable<void> http_notify(duet::request& req, duet::response& res, duet::io& io) {
    auto sending = io.to(room_param(req)).emit_counted("notice", "from http");
    const std::size_t n = co_await std::move(sending);
    res.json({{"delivered", n}});
}
// GET /shards/count?room=r → {"count": members on all shards}
asio::awaitable<void> http_count(duet::request& req, duet::response& res, duet::io& io) {
    auto counting = io.in(room_param(req)).count();
    const std::size_t n = co_await std::move(counting);
    res.json({{"count", n}});
}
// GET /shards/ask?room=r → io.in(r) asked "question" (1 s), {"replies": [...]} or 504
asio::awaitable<void> http_ask(duet::request& req, duet::response& res, duet::io& io) {
    auto asking = io.in(room_param(req)).emit_with_ack("question", 1000ms, "from http");
    std::vector<duet::sio::ack_reply> replies;
    bool timed_out = false;
    try {
        replies = co_await std::move(asking);
    } catch (const duet::sio::ack_timeout&) {
        timed_out = true;
    }
    if (timed_out) {
        res.status(504);
        co_return res.json({{"error", "timeout"}});
    }
    json::array out;
    for (auto& r : replies) out.push_back(json::value(r.args));
    res.json({{"replies", out}});
}
// GET /shards/kick?room=r → io.in(r).disconnect_sockets() on every shard
void http_kick(duet::request& req, duet::response& res, duet::io& io) {
    io.in(room_param(req)).disconnect_sockets();
    res.status(204);
    res.end();
}
// GET /shards/forwarded → {"forwarded": polling requests and probes carried to their sid's shard}
// Compression (compression.test.mjs, against Express + compression): under /z.
void z_big(duet::response& res) { res.send(std::string(3000, 'a') + "end"); }
void z_small(duet::response& res) { res.send(std::string(1023, 'b')); }
void z_json(duet::response& res) {
    json::array a;
    for (int i = 0; i < 300; ++i) a.emplace_back(i);
    res.json(a);
}
void z_png(duet::response& res) {
    res.type("image/png");
    res.send(std::string(3000, 'p'));
}
void z_encoded(duet::response& res) {
    res.set("Content-Encoding", "br");
    res.type("text/plain; charset=utf-8");
    res.send(std::string(3000, 'e'));
}
void z_notransform(duet::response& res) {
    res.set("Cache-Control", "public, no-transform");
    res.send(std::string(3000, 'n'));
}
// GET /z/stream: a body written in five pieces, each put on the wire (chunked).
asio::awaitable<void> z_stream(duet::response& res) {
    res.type("text/plain; charset=utf-8");
    for (int i = 0; i < 5; ++i) {
        res.write("line " + std::to_string(i) + std::string(1000, ' ') + "\n");
        co_await res.flush();
    }
    res.end();
}
// POST /z/body: the JSON body back (compressed request bodies are inflated first).
void z_body(duet::response& res, duet::json_body<json::value> body) { res.json(body.value); }
void http_forwarded(duet::response& res) { res.json({{"forwarded", forwarded_count ? forwarded_count() : 0}}); }

// ----- behind a proxy (trust_proxy.test.mjs, nginx_tls.test.mjs; --trust-proxy V) -----
// GET /proxy/info → {ip, ips, protocol, secure, host, hostname} as the request reads them.
void proxy_info(duet::request& req, duet::response& res) {
    json::array ips;
    for (auto& a : req.ips()) ips.emplace_back(a);
    json::object o{{"ip", req.ip()}, {"ips", std::move(ips)}, {"protocol", req.protocol()}, {"secure", req.secure()}};
    if (auto h = req.host()) o["host"] = *h;
    if (auto h = req.hostname()) o["hostname"] = *h;
    res.json(o);
}
// POST /proxy/login?user=u → the session (Secure cookie) holds u.
void proxy_login(duet::request& req, duet::response& res) {
    const std::string user(req.query("user").value_or("?"));
    req.session().set("user", user);
    res.json({{"user", user}});
}
// GET /proxy/me → {"user": the session's user or null}.
void proxy_me(duet::request& req, duet::response& res) {
    auto user = req.session().get_string("user");
    res.json({{"user", user ? json::value(*user) : json::value(nullptr)}});
}
// "session-user" (ack) → the user of this socket's session (its cookie), or null.
asio::awaitable<void> session_user(duet::socket& s, duet::ack<json::value> ack) {
    const duet::session session = co_await s.load_session();
    auto user = session.get_string("user");
    ack(user ? json::value(*user) : json::value(nullptr));
}

// GET /helmet/{default,custom,some}/page → "ok" under duet::helmet (middleware.test.mjs);
// /helmet/default/page?override=1 replaces the CSP in the handler.
void helmet_page(duet::request& req, duet::response& res, std::string_view /*which*/) {
    if (req.query("override")) res.set("Content-Security-Policy", "default-src 'none'");
    res.send("ok");
}

// ----- errors (middleware.test.mjs): handlers that throw, and the table's on_error -----
void error_sync() { throw std::runtime_error("boom"); }
void error_http() { throw duet::http_error(418, "teapot"); }
asio::awaitable<void> error_async() {
    asio::steady_timer t(co_await asio::this_coro::executor, 1ms);
    co_await t.async_wait(asio::use_awaitable);
    throw std::runtime_error("late boom");
}
void error_middleware() { throw std::runtime_error("middleware boom"); }
void ok_page(duet::response& res) { res.send("ok"); }
// Answers what was thrown under /errors/ (Express: an error middleware answering
// res.status(err.status ?? 500).json({error: err.message, handled: true})); elsewhere it
// does not answer, so the default 500 stands.
void on_error(const duet::handler_error& err, duet::request& req, duet::response& res) {
    if (!req.path().starts_with("/errors/")) return;
    res.status(err.status).json({{"error", err.message}, {"handled", true}});
}

// ----- ETag (middleware.test.mjs): bodies under duet::etag() -----
void etag_text(duet::response& res) { res.send("hello etag"); }
void etag_json(duet::response& res) { res.json(json::object{{"a", 1}, {"b", "two"}}); }
void etag_empty(duet::response& res) { res.send(""); }
void etag_own(duet::response& res) {
    res.set("ETag", "\"v1\"");
    res.send("versioned");
}
void etag_created(duet::response& res) { res.send_status(201); }
void etag_missing(duet::response& res) { res.status(404).json(json::object{{"error", "nope"}}); }

// ----- forms and text bodies (forms.test.mjs) -----
// POST /forms/fields → the form's fields as JSON (Express: express.urlencoded() + res.json(req.body)).
void form_fields(duet::response& res, duet::form_body<json::object> form) { res.json(form.value); }
// POST /forms/text → {"text": the text/plain body} (Express: express.text()).
void form_text(duet::response& res, duet::text_body text) { res.json({{"text", *text}}); }
// POST /forms/signup → the typed form back.
struct signup {
    std::string name;
    int age = 0;
    bool newsletter = false;
    std::vector<std::string> tags;
};
BOOST_DESCRIBE_STRUCT(signup, (), (name, age, newsletter, tags))
void form_signup(duet::response& res, duet::form_body<signup> form) {
    json::array tags;
    for (auto& t : form->tags) tags.emplace_back(t);
    res.json({{"name", form->name}, {"age", form->age}, {"newsletter", form->newsletter}, {"tags", std::move(tags)}});
}

constexpr auto events = duet::events(
    duet::of<"/">(duet::use(duet::fn<check_token>), duet::use(duet::fn<check_throw>),
                  duet::on_connect(duet::fn<welcome>), duet::on_disconnect(duet::fn<record_disconnect>),
                  duet::on<"echo">(duet::fn<echo>), duet::on<"echo-ack">(duet::fn<echo_ack>),
                  duet::on<"typed">(duet::fn<typed>), duet::on<"bytes-len">(duet::fn<bytes_len>),
                  duet::on<"join">(duet::fn<join>), duet::on<"leave">(duet::fn<leave>),
                  duet::on<"rooms">(duet::fn<rooms>), duet::on<"count-room">(duet::fn<count_room>),
                  duet::on<"to-room">(duet::fn<to_room>), duet::on<"to-room-except">(duet::fn<to_room_except>),
                  duet::on<"broadcast">(duet::fn<broadcast>), duet::on<"io-emit">(duet::fn<io_emit>),
                  duet::on<"ask-client">(duet::fn<ask_client<duet::socket>>),
                  duet::on<"ask-client-co">(duet::fn<ask_client_co<duet::socket>>),
                  duet::on<"disconnect-me">(duet::fn<disconnect_me>), duet::on<"close-me">(duet::fn<close_me>),
                  duet::on<"bye-close">(duet::fn<bye_close>), duet::on<"room-echo">(duet::fn<room_echo>),
                  duet::on<"last-reasons">(duet::fn<last_reasons>), duet::on<"whoami">(duet::fn<whoami>),
                  duet::on<"ask-room">(duet::fn<ask_room>), duet::on<"session-user">(duet::fn<session_user>)),
    duet::of<"/custom">(duet::use(duet::fn<custom_async_guard>), duet::use(duet::fn<custom_sync_check>),
                        duet::on_connect(duet::fn<welcome>), duet::on_disconnect(duet::fn<record_disconnect>),
                        duet::on<"echo">(duet::fn<echo>)),
    duet::of<"/recovery">(duet::use(duet::fn<recovery_gate>), duet::on<"join">(duet::fn<join>), duet::on<"to-room">(duet::fn<to_room>),
                          duet::on<"drop-me">(duet::fn<drop_me>), duet::on<"set-data">(duet::fn<set_data>),
                          duet::on<"state">(duet::fn<recovery_state>), duet::on<"whoami">(duet::fn<whoami>)),
    duet::of_matching(duet::fn<is_dynamic>, duet::on_connect(duet::fn<welcome_dynamic>),
                      duet::on<"echo">(duet::fn<echo>)));

constexpr auto routes = duet::routes(duet::get<"/shards/notify">(duet::fn<http_notify>),
                                     duet::get<"/shards/count">(duet::fn<http_count>),
                                     duet::get<"/shards/ask">(duet::fn<http_ask>),
                                     duet::get<"/shards/kick">(duet::fn<http_kick>),
                                     duet::get<"/shards/forwarded">(duet::fn<http_forwarded>),
                                     duet::get<"/proxy/info">(duet::fn<proxy_info>),
                                     duet::post<"/proxy/login">(duet::fn<proxy_login>),
                                     duet::get<"/proxy/me">(duet::fn<proxy_me>),
                                     duet::post<"/forms/fields">(duet::fn<form_fields>),
                                     // helmet (middleware.test.mjs): defaults, a custom policy and options, CSP off.
                                     duet::use<"/helmet/default">(duet::helmet()),
                                     duet::use<"/helmet/custom">(duet::helmet<"default-src 'self';img-src *">(
                                         {.hsts_max_age = 15552000, .hsts_include_subdomains = false, .hsts_preload = true,
                                          .frame = duet::frame_options::deny})),
                                     duet::use<"/helmet/some">(duet::helmet({.content_security_policy = false,
                                                                             .strict_transport_security = false,
                                                                             .frame = duet::frame_options::off,
                                                                             .x_xss_protection = false})),
                                     duet::get<"/helmet/:which/page">(duet::fn<helmet_page>),
                                     // rate limits (middleware.test.mjs): 3 per 2 s, legacy headers; draft-6; draft-7 and a message.
                                     duet::use<"/limited/legacy">(duet::rate_limit({.window_ms = 2000, .limit = 3})),
                                     duet::use<"/limited/draft6">(duet::rate_limit({.window_ms = 2000, .limit = 3,
                                         .standard_headers = duet::rate_limit_headers::draft6, .legacy_headers = false})),
                                     duet::use<"/limited/draft7">(duet::rate_limit<"slow down">({.window_ms = 2000, .limit = 3,
                                         .status = 503, .standard_headers = duet::rate_limit_headers::draft7})),
                                     duet::get<"/limited/:which/page">(duet::fn<helmet_page>),
                                     duet::use<"/etag">(duet::etag()),
                                     duet::get<"/etag/text">(duet::fn<etag_text>), duet::post<"/etag/text">(duet::fn<etag_text>),
                                     duet::get<"/etag/json">(duet::fn<etag_json>), duet::get<"/etag/empty">(duet::fn<etag_empty>),
                                     duet::get<"/etag/own">(duet::fn<etag_own>), duet::get<"/etag/created">(duet::fn<etag_created>),
                                     duet::get<"/etag/missing">(duet::fn<etag_missing>),
                                     duet::get<"/errors/sync">(duet::fn<error_sync>),
                                     duet::get<"/errors/http">(duet::fn<error_http>),
                                     duet::get<"/errors/async">(duet::fn<error_async>),
                                     duet::use<"/errors/mw">(duet::fn<error_middleware>),
                                     duet::get<"/errors/mw/page">(duet::fn<ok_page>),
                                     duet::get<"/unhandled/boom">(duet::fn<error_sync>),
                                     duet::on_error(duet::fn<on_error>),
                                     duet::post<"/forms/text">(duet::fn<form_text>),
                                     duet::post<"/forms/signup">(duet::fn<form_signup>),
                                     duet::use<"/z">(duet::compression()), duet::get<"/z/big">(duet::fn<z_big>),
                                     duet::get<"/z/small">(duet::fn<z_small>), duet::get<"/z/json">(duet::fn<z_json>),
                                     duet::get<"/z/png">(duet::fn<z_png>), duet::get<"/z/encoded">(duet::fn<z_encoded>),
                                     duet::get<"/z/notransform">(duet::fn<z_notransform>),
                                     duet::post<"/z/body">(duet::fn<z_body>), duet::get<"/z/stream">(duet::fn<z_stream>),
                                     // Files of the client package (run from the repository root).
                                     duet::use<"/z/static">(duet::static_files<"node_modules/socket.io-client/dist">()));

using test_server = duet::server<routes, events>;

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr,
                     "usage: %s <port|0> [--ping-interval ms] [--ping-timeout ms] [--connect-timeout ms] [--threads n]\n",
                     argv[0]);
        return 2;
    }
    duet::server_options o;
    o.host = "127.0.0.1";
    o.port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    o.stop_on_signals = true;
    o.engineio.ping_interval = std::chrono::milliseconds(duet_cli::number(argc, argv, "--ping-interval", 300));
    o.engineio.ping_timeout = std::chrono::milliseconds(duet_cli::number(argc, argv, "--ping-timeout", 200));
    o.engineio.max_payload = 1000000;
    o.engineio.cors.origin = "*";
    o.socketio.connect_timeout = std::chrono::milliseconds(duet_cli::number(argc, argv, "--connect-timeout", 1000));
    o.engineio.per_message_deflate.enabled = duet_cli::has(argc, argv, "--per-message-deflate");
    if (duet_cli::value(argc, argv, "--recovery")) {
        o.socketio.connection_state_recovery.enabled = true;
        o.socketio.connection_state_recovery.max_disconnection_duration =
            std::chrono::milliseconds(duet_cli::number(argc, argv, "--recovery", 120000));
        o.socketio.connection_state_recovery.skip_middlewares = !duet_cli::has(argc, argv, "--recovery-run-middlewares");
    }
    // --trust-proxy true|false|<hops>|<list>: Express's `trust proxy` value; sessions
    // (in memory) with a Secure cookie, as express-session with cookie.secure.
    static duet::memory_session_store sessions;
    if (const char* trust = duet_cli::value(argc, argv, "--trust-proxy")) {
        const std::string_view v = trust;
        if (v == "true" || v == "false") o.trust_proxy = v == "true";
        else if (!v.empty() && v.find_first_not_of("0123456789") == std::string_view::npos) o.trust_proxy = std::atoi(trust);
        else o.trust_proxy = v;
        o.session.store = &sessions;
        o.session.secrets = {"proxy-test-secret"};
        o.session.cookie_name = "connect.sid";
        o.session.secure = true;
    }
    static test_server srv(std::move(o));
    forwarded_count = [] { return srv.forwarded_requests(); };
    std::printf("listening %u\n", static_cast<unsigned>(srv.port()));
    std::fflush(stdout);
    srv.run(static_cast<unsigned>(duet_cli::number(argc, argv, "--threads", 1)));
}
