// libFuzzer target: the HTTP request path without a socket — llhttp wrapper
// (request_parser), request views, route matching and dispatch over a small
// compile-time table, query and cookie access.
//
// Input is split into reads by its first byte (read size), the way a connection
// receives it. Checks beyond "no crash": every view the parser hands out lies
// inside the buffer, a request is never reported twice, and the head/body limits
// hold.
#include <cstddef>
#include <cstdint>
#include <string>

#include <duet/http/router.hpp>

#include "fuzz_assert.hpp"

namespace {

using namespace duet::http;

constexpr auto table = duet::routes(
    duet::use<"/admin">([](request& req, response& res) {
        if (!req.header("x-token")) res.send_status(401);
    }),
    duet::get<"/users/:id">([](response& res, int id) { res.json({{"id", id}}); }),
    duet::get<"/files/:dir/*">([](response& res, std::string_view d, std::string_view rest) {
        res.send(std::string(d) + std::string(rest));
    }),
    duet::post<"/echo">([](request& req, response& res) { res.send(req.body()); }),
    duet::get<"/q">([](request& req, response& res) {
        res.send(req.query("a").value_or("") + req.cookie("c").value_or(""));
    }));

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t step = 1 + data[0] % 64;
    std::string input(reinterpret_cast<const char*>(data + 1), size - 1);

    limits l;
    l.max_header_bytes = 512;
    l.max_header_count = 8;
    l.max_body_bytes = 256;
    request_parser parser(l);
    request req;
    response res;
    dispatch_context ctx{req, res, {}};
    asio::ip::tcp::endpoint ep;

    std::string buf;
    std::size_t pos = 0;
    for (std::size_t at = 0; at < input.size();) {
        std::size_t n = std::min(step, input.size() - at);
        buf.append(input, at, n);
        at += n;
        bool stop = false;
        while (!stop) {
            auto r = parser.parse(buf.data(), pos, buf.size());
            FUZZ_ASSERT(pos <= buf.size());
            switch (r) {
                case request_parser::result::need_more: stop = true; break;
                case request_parser::result::expect_continue: parser.resume(); break;
                case request_parser::result::error: {
                    int s = parser.error_status();
                    FUZZ_ASSERT(s == 400 || s == 413 || s == 431);
                    return 0;
                }
                case request_parser::result::request_ready: {
                    FUZZ_ASSERT(parser.body().size() <= l.max_body_bytes);
                    FUZZ_ASSERT(parser.headers().size() <= l.max_header_count);
                    FUZZ_ASSERT(parser.head_size() <= l.max_header_bytes);
                    const char* lo = buf.data();
                    const char* hi = buf.data() + buf.size();
                    auto url = parser.url(buf.data());
                    FUZZ_ASSERT(url.empty() || (url.data() >= lo && url.data() + url.size() <= hi));
                    req.reset(parser, buf.data(), parser.body(), ep);
                    req.for_each_header([&](std::string_view k, std::string_view v) {
                        FUZZ_ASSERT(k.data() >= lo && k.data() + k.size() <= hi);
                        FUZZ_ASSERT(v.size() == 0 || (v.data() >= lo && v.data() + v.size() <= hi));
                    });
                    res.reset();
                    asio::awaitable<void> pending;
                    bool done = dispatcher<std::remove_cvref_t<decltype(table)>, dispatch_context>::run(table, ctx, pending);
                    FUZZ_ASSERT(done);  // the table has no coroutine
                    FUZZ_ASSERT(res.status() >= 100 && res.status() <= 599);
                    std::string out;
                    res.serialize(out, "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n", parser.keep_alive(), false, true);
                    FUZZ_ASSERT(out.rfind("HTTP/1.1 ", 0) == 0);
                    if (parser.upgrade()) return 0;
                    parser.next();
                    break;
                }
            }
        }
    }
    return 0;
}
