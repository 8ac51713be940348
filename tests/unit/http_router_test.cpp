// http/route_pattern.hpp + http/router.hpp: compile-time pattern parsing, matching,
// and dispatch order/semantics without a socket (a parsed request and a response).
#include <doctest/doctest.h>

#include <string>

#include <duet/http/router.hpp>

using namespace duet::http;

// ----- patterns are validated at compile time -----
static_assert(parse_pattern("/").error == pattern_error::none);
static_assert(parse_pattern("/users/:id").params == 1);
static_assert(parse_pattern("/a/:x/b/:y/*").wildcard);
static_assert(parse_pattern("users").error == pattern_error::not_absolute);
static_assert(parse_pattern("/a//b").error == pattern_error::empty_segment);
static_assert(parse_pattern("/a/:").error == pattern_error::bad_parameter_name);
static_assert(parse_pattern("/a/:9").error == pattern_error::bad_parameter_name);
static_assert(parse_pattern("/a/:x-y").error == pattern_error::bad_parameter_name);
static_assert(parse_pattern("/:a/:a").error == pattern_error::duplicate_parameter);
static_assert(parse_pattern("/*/a").error == pattern_error::wildcard_not_last);
static_assert(parse_pattern("/a*").error == pattern_error::wildcard_not_last);
static_assert(parse_pattern("/a b").error == pattern_error::bad_literal_character);
static_assert(parse_pattern("/a?b").error == pattern_error::bad_literal_character);
static_assert(same_shape("/u/:id", "/u/:name"));
static_assert(!same_shape("/u/:id", "/u/me"));
static_assert(same_shape("/u/", "/u"));

namespace {
using params = std::array<std::string_view, max_route_params>;

template <duet::fixed_string P>
bool matches(std::string_view path, params& out) {
    return route_pattern<P>::match(path, out);
}
}  // namespace

TEST_CASE("literal and parameter segments match whole segments only") {
    params p{};
    CHECK(matches<"/users/:id">("/users/42", p));
    CHECK(p[0] == "42");
    CHECK(matches<"/users/:id">("/users/42/", p));
    CHECK_FALSE(matches<"/users/:id">("/users/", p));
    CHECK_FALSE(matches<"/users/:id">("/users", p));
    CHECK_FALSE(matches<"/users/:id">("/users/42/x", p));
    CHECK_FALSE(matches<"/users/:id">("/usersX/42", p));
    CHECK_FALSE(matches<"/users/:id">("/user/42", p));
    CHECK_FALSE(matches<"/users/:id">("/users//", p));
    CHECK(matches<"/">("/", p));
    CHECK_FALSE(matches<"/">("/a", p));
    CHECK(matches<"/a/b">("/a/b", p));
    CHECK_FALSE(matches<"/a/b">("/a/bc", p));
    CHECK_FALSE(matches<"/a/b">("/a/b//", p));
    CHECK(matches<"/:a/:b">("/x%20y/z", p));
    CHECK(p[0] == "x%20y");  // matching is on the raw path; decoding comes later
    CHECK(p[1] == "z");
}

TEST_CASE("a wildcard takes the rest of the path, including nothing") {
    params p{};
    CHECK(matches<"/static/*">("/static/css/site.css", p));
    CHECK(p[0] == "css/site.css");
    CHECK(matches<"/static/*">("/static", p));
    CHECK(p[0].empty());
    CHECK(matches<"/static/*">("/static/", p));
    CHECK(p[0].empty());
    CHECK_FALSE(matches<"/static/*">("/staticx/a", p));
    CHECK(matches<"/f/:dir/*">("/f/d/a/b", p));
    CHECK(p[0] == "d");
    CHECK(p[1] == "a/b");
}

TEST_CASE("mount prefixes") {
    std::string_view rest;
    CHECK(mount_matches("/admin", "/admin", rest));
    CHECK(rest.empty());
    CHECK(mount_matches("/admin", "/admin/x/y", rest));
    CHECK(rest == "/x/y");
    CHECK(mount_matches("/admin/", "/admin/x", rest));
    CHECK_FALSE(mount_matches("/admin", "/administrator", rest));
    CHECK(mount_matches("/", "/anything", rest));
    CHECK(rest == "/anything");
}

TEST_CASE("Allow lists: HEAD with GET, OPTIONS always") {
    std::string a;
    append_allow(a, m_get | m_post);
    CHECK(a == "GET, HEAD, POST, OPTIONS");
    a.clear();
    append_allow(a, m_delete);
    CHECK(a == "DELETE, OPTIONS");
}

// ----- dispatch over a parsed request -----
namespace {

// Parses `raw` and dispatches it through Table with a context of type Ctx.
template <class Ctx = dispatch_context>
struct harness_with {
    limits l;
    request_parser parser{l};
    std::string buf;
    request req;
    response res;
    static Ctx make(request& q, response& s) {
        if constexpr (std::is_same_v<Ctx, dispatch_context>) return Ctx{q, s, {}};
        else return Ctx{{q, s, {}}};
    }
    Ctx ctx = make(req, res);
    asio::ip::tcp::endpoint ep;

    template <auto Table>
    bool run(std::string raw) {
        buf = std::move(raw);
        std::size_t pos = 0;
        REQUIRE(parser.parse(buf.data(), pos, buf.size()) == request_parser::result::request_ready);
        req.reset(parser, buf.data(), parser.body(), ep);
        res.reset();
        asio::awaitable<void> pending;
        bool done = dispatcher<std::remove_cvref_t<decltype(Table)>, Ctx>::run(Table, ctx, pending);
        parser.next();
        return done;
    }
};
using harness = harness_with<>;

std::string order;  // which middleware/handlers ran, in order

constexpr auto table = duet::routes(
    duet::use([](request&) { order += "A"; }),
    duet::get<"/x">([](response& res) { order += "x"; res.send("x"); }),
    duet::use<"/m">([](response&) { order += "M"; }),
    duet::get<"/m/:n">([](response& res, unsigned n) { order += "m"; res.send(std::to_string(n * 2)); }),
    duet::post<"/m/:n">([](response& res, std::string_view n) { res.send(std::string("post ") + std::string(n)); }),
    duet::get<"/stop">([](response& res) -> duet::flow { res.send("stopped"); return duet::flow::done; }),
    duet::use([](request&) { order += "Z"; }));

}  // namespace

TEST_CASE("dispatch runs middleware and routes in table order and stops at the answer") {
    harness h;
    order.clear();
    CHECK(h.run<table>("GET /x HTTP/1.1\r\n\r\n"));
    CHECK(order == "Ax");
    CHECK(h.res.body() == "x");

    order.clear();
    CHECK(h.run<table>("GET /m/21 HTTP/1.1\r\n\r\n"));
    CHECK(order == "AMm");
    CHECK(h.res.body() == "42");

    order.clear();
    CHECK(h.run<table>("GET /m/-1 HTTP/1.1\r\n\r\n"));  // unsigned does not take -1
    CHECK(h.res.status() == 404);

    CHECK(h.run<table>("POST /m/7 HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
    CHECK(h.res.body() == "post 7");

    order.clear();
    CHECK(h.run<table>("GET /nothing HTTP/1.1\r\n\r\n"));
    CHECK(order == "AZ");  // every middleware ran, no route
    CHECK(h.res.status() == 404);

    CHECK(h.run<table>("DELETE /m/1 HTTP/1.1\r\n\r\n"));
    CHECK(h.res.status() == 405);
    CHECK(h.res.get("allow") == "GET, HEAD, POST, OPTIONS");

    CHECK(h.run<table>("HEAD /x HTTP/1.1\r\n\r\n"));
    CHECK(h.res.body() == "x");  // the connection drops the body of a HEAD answer
}

// ----- mounted tables (Express's app.use('/api', router)) -----
namespace {

std::string seen;  // what mounted entries saw: path | base_url

constexpr auto v1_routes = duet::routes(
    duet::get<"/">([](request& req, response& res) { res.send(std::string("v1 root ") + std::string(req.path()) + " | " + std::string(req.base_url())); }),
    duet::get<"/items/:id">([](request& req, response& res, int id) {
        res.send("v1 item " + std::to_string(id) + " " + std::string(req.path()) + " | " + std::string(req.base_url()) + " | " +
                 std::string(req.original_path()));
    }));

constexpr auto api_routes = duet::routes(
    duet::use([](request& req) { seen += "api-mw:" + std::string(req.path()) + "|" + std::string(req.base_url()) + ";"; }),
    duet::get<"/users/:id">([](response& res, int id) { res.send("user " + std::to_string(id)); }),
    duet::use<"/v1">(v1_routes),
    duet::put<"/only-put">([](response& res) { res.send("put"); }));

constexpr auto mounted_table = duet::routes(
    duet::use<"/api">(api_routes),
    duet::use([](request& req) { seen += "after:" + std::string(req.path()) + "|" + std::string(req.base_url()) + ";"; }),
    duet::get<"/api/fallback">([](response& res) { res.send("outer fallback"); }),
    duet::on_not_found([](request& req, response& res) {
        res.status(404);
        res.send("no page at " + std::string(req.original_path()));
    }));

struct not_found_context : dispatch_context {
    bool answer_not_found() {
        return dispatcher<std::remove_cvref_t<decltype(mounted_table)>, not_found_context>::handle_not_found(mounted_table, *this);
    }
};

struct mount_harness : harness_with<not_found_context> {
    bool run(std::string raw) {
        seen.clear();
        return harness_with::run<mounted_table>(std::move(raw));
    }
};

}  // namespace

TEST_CASE("a mounted table sees the path below its mount, and the outer table goes on when it does not answer") {
    mount_harness h;
    CHECK(h.run("GET /api/users/7 HTTP/1.1\r\n\r\n"));
    CHECK(h.res.body() == "user 7");
    CHECK(seen == "api-mw:/users/7|/api;");
    CHECK(h.req.path() == "/api/users/7");  // restored after the table
    CHECK(h.req.base_url().empty());

    // Nested: /api then /v1; the exact mount point is "/" below it.
    CHECK(h.run("GET /api/v1 HTTP/1.1\r\n\r\n"));
    CHECK(h.res.body() == "v1 root / | /api/v1");
    CHECK(h.run("GET /api/v1/?x=1 HTTP/1.1\r\n\r\n"));
    CHECK(h.res.body() == "v1 root / | /api/v1");
    CHECK(h.run("GET /api/v1/items/3 HTTP/1.1\r\n\r\n"));
    CHECK(h.res.body() == "v1 item 3 /items/3 | /api/v1 | /api/v1/items/3");

    // Nothing in the mounted table answers: the outer entries run, with the path restored.
    CHECK(h.run("GET /api/fallback HTTP/1.1\r\n\r\n"));
    CHECK(h.res.body() == "outer fallback");
    CHECK(seen == "api-mw:/fallback|/api;after:/api/fallback|;");

    // A prefix matches whole segments only.
    CHECK(h.run("GET /apix/users/7 HTTP/1.1\r\n\r\n"));
    CHECK(seen == "after:/apix/users/7|;");
    CHECK(h.res.status() == 404);
}

TEST_CASE("methods seen in a mounted table make the outer 405 and OPTIONS answers") {
    mount_harness h;
    CHECK(h.run("GET /api/only-put HTTP/1.1\r\n\r\n"));
    CHECK(h.res.status() == 405);
    CHECK(h.res.get("allow") == "PUT, OPTIONS");
    CHECK(h.run("OPTIONS /api/users/1 HTTP/1.1\r\n\r\n"));
    CHECK(h.res.status() == 200);
    CHECK(h.res.body() == "GET, HEAD, OPTIONS");
}

TEST_CASE("on_not_found answers every 404 of the table, mounted tables and unconvertible parameters included") {
    mount_harness h;
    CHECK(h.run("GET /nowhere HTTP/1.1\r\n\r\n"));
    CHECK(h.res.status() == 404);
    CHECK(h.res.body() == "no page at /nowhere");
    CHECK(h.run("GET /api/users/seven HTTP/1.1\r\n\r\n"));  // int does not take "seven"
    CHECK(h.res.status() == 404);
    CHECK(h.res.body() == "no page at /api/users/seven");

    // Without the entry (the first table): the default answer.
    harness plain;
    CHECK(plain.run<table>("GET /nothing HTTP/1.1\r\n\r\n"));
    CHECK(plain.res.body() == "Not Found");
}
