// tests/interop/express_test_server.cpp — the Express-parity features the interop suite
// express_parity.test.mjs compares with Express 5 (+ morgan) on the same requests:
//
//   /api/...            a routes table mounted under /api (api_routes, with its own
//                       middleware and a table mounted under /api/v1)
//   /files/:name        send_file with a root (--files DIR); /files2/:name: "DIR//"
//   /abs?path=P         send_file of an absolute path
//   /download/:name     download (?as=NAME names the attachment)
//   /attach?name=N      res.attachment(N) + a text body
//   /where?to=URL       res.location(URL), 201
//   /fmt, /fmt-default  duet::format: html / json / text, without and with otherwise
//   /accepts            req.accepts("json", "html", "text/plain")
//   /log/<format>/...   duet::logger in each morgan format (lines on stdout)
//   anything else       the on_not_found entry: 404 {"error":"not found","path":...}
//   errors              the on_error entry: {"status":N}
//
// Usage: express_test_server <port|0> --files DIR [--trust-proxy]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <duet/http.hpp>

#include "../../examples/common/cli.hpp"

namespace {

std::string files_dir;  // --files

// ----- the mounted tables -----
void api_mark(duet::request& req, duet::response& res) {
    res.set("X-Api-Base", req.base_url());
    res.set("X-Api-Path", req.path());
}
boost::json::object where_am_i(duet::request& req) {
    return {{"base", req.base_url()}, {"path", req.path()}, {"url", req.url()}};
}
void api_user(duet::request& req, duet::response& res, std::string_view id) {
    auto o = where_am_i(req);
    o["id"] = id;
    res.json(o);
}
void v1_root(duet::request& req, duet::response& res) { res.json(where_am_i(req)); }
void v1_item(duet::request& req, duet::response& res, int id) {
    auto o = where_am_i(req);
    o["item"] = id;
    res.json(o);
}
asio::awaitable<void> v1_slow(duet::request& req, duet::response& res) {
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    res.json(where_am_i(req));
}

constexpr auto v1_routes = duet::routes(duet::get<"/">(duet::fn<v1_root>), duet::get<"/items/:id">(duet::fn<v1_item>),
                                        duet::get<"/slow">(duet::fn<v1_slow>));
constexpr auto api_routes = duet::routes(duet::use(duet::fn<api_mark>), duet::get<"/users/:id">(duet::fn<api_user>),
                                         duet::use<"/v1">(v1_routes));

// ----- files -----
asio::awaitable<void> file(duet::request& req, duet::response& res, std::string_view name) {
    co_await duet::send_file(req, res, name, {.root = files_dir});
}
// The same folder written with trailing slashes: the dotfile check must still apply.
asio::awaitable<void> file_slashed_root(duet::request& req, duet::response& res, std::string_view name) {
    static const std::string root = files_dir + "//";
    co_await duet::send_file(req, res, name, {.root = root});
}
asio::awaitable<void> abs_file(duet::request& req, duet::response& res) {
    co_await duet::send_file(req, res, req.query("path").value_or(""));
}
asio::awaitable<void> download(duet::request& req, duet::response& res, std::string_view name) {
    const std::string as = req.query("as").value_or("");
    co_await duet::download(req, res, files_dir + "/" + std::string(name), as);
}
void attach(duet::request& req, duet::response& res) {
    res.attachment(req.query("name").value_or(""));
    res.send("attached");
}
void where(duet::request& req, duet::response& res) {
    res.location(req.query("to").value_or(""));
    res.status(201).send("ok");
}

// ----- negotiation -----
void fmt(duet::request& req, duet::response& res) {
    duet::format(req, res, duet::on_type("html", [&] { res.send("<p>hello</p>"); }),
                 duet::on_type("json", [&] { res.json({{"message", "hello"}}); }),
                 duet::on_type("text/plain", [&] { res.send("hello"); }));
}
void fmt_default(duet::request& req, duet::response& res) {
    duet::format(req, res, duet::on_type("json", [&] { res.json({{"message", "hello"}}); }),
                 duet::otherwise([&] { res.status(406).send("json only"); }));
}
void accepts(duet::request& req, duet::response& res) {
    res.send(std::string(req.accepts({"json", "html", "text/plain"}).value_or("none")));
}

// (format: the logger's prefix, one route for every format)
void ok(duet::response& res, std::string_view /*format*/) { res.send("ok"); }
void teapot(duet::response& res, std::string_view) { res.status(418).send("short and stout"); }
void empty(duet::response& res, std::string_view) { res.status(204).end(); }
void boom(duet::response&, std::string_view) { throw std::runtime_error("boom"); }

constexpr auto routes = duet::routes(
    duet::use<"/log/combined">(duet::logger({.format = duet::log_format::combined})),
    duet::use<"/log/common">(duet::logger({.format = duet::log_format::common})),
    duet::use<"/log/dev">(duet::logger({.format = duet::log_format::dev})),
    duet::use<"/log/short">(duet::logger({.format = duet::log_format::short_})),
    duet::use<"/log/tiny">(duet::logger({.format = duet::log_format::tiny})),
    duet::get<"/log/:format/ok">(duet::fn<ok>), duet::get<"/log/:format/teapot">(duet::fn<teapot>),
    duet::get<"/log/:format/empty">(duet::fn<empty>), duet::get<"/log/:format/boom">(duet::fn<boom>),
    duet::use<"/api">(api_routes),
    duet::get<"/files/:name">(duet::fn<file>), duet::get<"/files2/:name">(duet::fn<file_slashed_root>),
    duet::get<"/abs">(duet::fn<abs_file>),
    duet::get<"/download/:name">(duet::fn<download>), duet::get<"/attach">(duet::fn<attach>),
    duet::get<"/where">(duet::fn<where>), duet::get<"/fmt">(duet::fn<fmt>),
    duet::get<"/fmt-default">(duet::fn<fmt_default>), duet::get<"/accepts">(duet::fn<accepts>),
    // req.path(): outside any mount here, even for a 404 found inside /api.
    duet::on_not_found([](duet::request& req, duet::response& res) {
        res.status(404).json({{"error", "not found"}, {"path", req.path()}});
    }),
    duet::on_error([](const duet::handler_error& e, duet::response& res) { res.status(e.status).json({{"status", e.status}}); }));

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <port|0> --files DIR [--trust-proxy]\n", argv[0]);
        return 2;
    }
    files_dir = duet_cli::text(argc, argv, "--files", ".");
    duet::server_options o;
    o.host = "127.0.0.1";
    o.port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    o.stop_on_signals = true;
    if (duet_cli::has(argc, argv, "--trust-proxy")) o.trust_proxy = true;
    static duet::server<routes> srv(std::move(o));
    std::printf("listening %u\n", static_cast<unsigned>(srv.port()));
    std::fflush(stdout);
    srv.run(static_cast<unsigned>(duet_cli::number(argc, argv, "--threads", 1)));
}
