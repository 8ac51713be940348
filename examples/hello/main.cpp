// examples/hello — the smallest duet app, and the HTTP benchmark's subject.
//
//   GET /plaintext   -> "Hello, World!" (text/plain)
//   GET /json        -> {"message":"Hello, World!"}
//   GET /users/:id   -> {"id":<id>,"name":"user<id>"}   (id must be an integer, else 404)
//   GET /            -> a short index of the above
//
// Usage: hello [port] [threads]    (defaults: 3000, 1)
#include <cstdio>
#include <cstdlib>
#include <string>

#include <duet/http.hpp>

namespace {

void plaintext(duet::request&, duet::response& res) {
    res.type("text/plain");
    res.send("Hello, World!");
}

void json(duet::request&, duet::response& res) { res.json({{"message", "Hello, World!"}}); }

void user(duet::response& res, long id) {
    res.json({{"id", id}, {"name", "user" + std::to_string(id)}});
}

void index(duet::response& res) {
    res.type("text/plain; charset=utf-8");
    res.send("duet hello: GET /plaintext, GET /json, GET /users/:id\n");
}

constexpr auto routes = duet::routes(
    duet::get<"/">(duet::fn<index>),
    duet::get<"/plaintext">(duet::fn<plaintext>),
    duet::get<"/json">(duet::fn<json>),
    duet::get<"/users/:id">(duet::fn<user>));

}  // namespace

int main(int argc, char** argv) {
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 3000);
    const unsigned threads = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 1;
    duet::server<routes> srv({.port = port, .stop_on_signals = true});
    std::printf("hello listening on http://localhost:%u (%u thread%s)\n", srv.port(), threads, threads == 1 ? "" : "s");
    std::fflush(stdout);
    srv.run(threads);
}
