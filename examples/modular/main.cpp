// examples/modular — an app laid out for fast rebuilds: the handlers live in their own
// translation units against a light header (app.hpp); only this file includes the whole
// of duet, holds the tables and instantiates the server type. Editing a handler
// recompiles one small file and relinks (bench/build/run.sh measures it); this file is
// compiled with a precompiled header of duet (meson's cpp_pch), so even a table change
// skips parsing duet again.
//
//   GET /notes, GET /notes/:id, POST /notes {"author","text"} -> 201 {"id":N}
//   Socket.IO: on connect "notes" [all]; emit "post" {author,text} -> ack id; "note" id, note
//
// Usage: modular [port]   (default 3000)
#include <cstdio>
#include <cstdlib>

#include <duet/duet.hpp>

#include "app.hpp"

namespace {

constexpr auto routes = duet::routes(
    duet::get<"/">(duet::fn<notes::index>),
    duet::get<"/notes">(duet::fn<notes::list_notes>),
    duet::get<"/notes/:id">(duet::fn<notes::get_note>),
    duet::post<"/notes">(duet::fn<notes::post_note>));

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
