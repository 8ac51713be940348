// examples/modular — an app laid out for fast rebuilds: the handlers live in their own
// translation units against a light header (app.hpp); only this file includes the whole
// of duet, holds the tables and instantiates the server type. Editing a handler
// recompiles one small file and relinks (bench/build/run.sh measures it); this file is
// compiled with a precompiled header of duet (meson's cpp_pch), so even a table change
// skips parsing duet again.
//
//   GET /api/notes, GET /api/notes/:id, POST /api/notes {"author","text"} -> 201 {"id":N}
//   (the API is a routes table of its own, api_routes.hpp, mounted under /api; every
//   request is logged in morgan's "dev" format; unknown paths get a JSON 404)
//   Socket.IO: on connect "notes" [all]; emit "post" {author,text} -> ack id; "note" id, note
//
// Usage: modular [port]   (default 3000)
#include <cstdio>
#include <cstdlib>

#include <duet/duet.hpp>

#include "api_routes.hpp"
#include "app.hpp"

namespace {

constexpr auto routes = duet::routes(
    duet::use(duet::logger({.format = duet::log_format::dev})),
    duet::get<"/">(duet::fn<notes::index>),
    duet::use<"/api">(notes::api_routes),
    duet::on_not_found(duet::fn<notes::not_found>));

constexpr auto events = duet::events(duet::of<"/">(
    duet::on_connect(duet::fn<notes::on_connect>),
    duet::on<"post">(duet::fn<notes::on_post>)));

}  // namespace

int main(int argc, char** argv) {
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 3000);
    duet::server<routes, events> srv({.port = port, .stop_on_signals = true});
    std::printf("modular listening on http://localhost:%u\n", srv.port());
    std::fflush(stdout);
    srv.run();
}
