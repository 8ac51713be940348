// examples/modular/api_routes.hpp — the JSON API as a routes table of its own (an
// Express router): its handlers live in http_handlers.cpp, and main.cpp mounts the
// table under /api with `duet::use<"/api">(notes::api_routes)`, so its patterns are
// written below the mount ("/notes" answers /api/notes). The table is checked at
// compile time where it is mounted, with the server's context (duet::io& works).
#pragma once

#include <duet/http/router.hpp>

#include "app.hpp"

namespace notes {

inline constexpr auto api_routes = duet::routes(
    duet::use(duet::fn<api_headers>),  // this table's own middleware: every /api answer
    duet::get<"/notes">(duet::fn<list_notes>),
    duet::get<"/notes/:id">(duet::fn<get_note>),
    duet::post<"/notes">(duet::fn<post_note>));

}  // namespace notes
