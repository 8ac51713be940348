// examples/modular/socket_handlers.cpp — the Socket.IO handlers, in their own
// translation unit for the same reason as the HTTP ones.
#include "app.hpp"

namespace notes {

void on_connect(duet::socket& s) { s.emit("notes", the_board().snapshot()); }

void on_post(duet::socket& s, note n, duet::ack<std::size_t> ack) {
    const std::size_t id = the_board().add(n);
    s.broadcast().emit("note", id, n);  // everyone else
    ack(id);                            // the sender learns the id
}

}  // namespace notes
