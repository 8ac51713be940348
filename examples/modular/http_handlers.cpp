// examples/modular/http_handlers.cpp — the HTTP handlers. Editing this file rebuilds
// this translation unit and relinks; the tables and the server (main.cpp) are not
// compiled again.
#include <boost/json/value_from.hpp>

#include "app.hpp"

namespace notes {

void index(duet::response& res) {
    res.type("text/plain; charset=utf-8");
    res.send("notes: GET /api/notes, GET /api/notes/:id, POST /api/notes {\"author\",\"text\"}; "
             "Socket.IO: emit \"post\" {author,text} (ack: the id), listen to \"note\"\n");
}

// What no route answered (the table's on_not_found entry).
void not_found(duet::request& req, duet::response& res) {
    res.status(404);
    res.json({{"error", "no such page"}, {"path", req.original_path()}});
}

// The API table's own middleware.
void api_headers(duet::response& res) { res.set("X-Notes-Api", "1"); }

void list_notes(duet::response& res) { res.json(boost::json::value_from(the_board().snapshot())); }

void get_note(duet::response& res, std::size_t id) {
    auto all = the_board().snapshot();
    if (id >= all.size()) throw duet::http_error(404, "no such note");
    res.json(all[id]);
}

// HTTP → every socket: a note posted over HTTP reaches the Socket.IO clients too.
void post_note(duet::response& res, duet::io& io, duet::json_body<note> body) {
    const std::size_t id = the_board().add(*body);
    io.emit("note", id, *body);
    res.status(201);
    res.json({{"id", id}});
}

}  // namespace notes
