// duet/socketio.hpp — the realtime half of an application: Socket.IO event tables
// (`duet::events`, `of<"/ns">`, `on<"event">`), sockets, rooms, acks and the `io`
// handle, and raw Engine.IO endpoints (`duet::engine_io<"/path/", H>`). They plug into
// `duet::server<routes, events>` through the table's type; duet/http.hpp is included
// too, since a Socket.IO server is also an HTTP server.
#pragma once

#include <duet/http.hpp>
#include <duet/eio/app.hpp>
#include <duet/sio/app.hpp>
#include <duet/sio/events.hpp>
