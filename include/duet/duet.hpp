// duet/duet.hpp — the one include of a duet application: HTTP and Socket.IO.
//
// Equivalent to duet/socketio.hpp (which includes duet/http.hpp). An app without
// Socket.IO compiles faster with duet/http.hpp alone; a translation unit that only
// defines handlers can include the narrower layer headers they name.
#pragma once

#include <duet/http.hpp>
#include <duet/socketio.hpp>
