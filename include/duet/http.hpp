// duet/http.hpp — the include of an HTTP-only duet application (Express's role).
//
// Brings route tables (`duet::routes`, `get<"/p">`, `use`), request/response, the
// middleware (CORS, static files), cookie sessions, plain WebSocket routes and
// `duet::server` — without any Engine.IO/Socket.IO code, which only
// duet/socketio.hpp (or duet/duet.hpp) brings. About half the parse time of
// duet/duet.hpp (bench/build/run.sh measures both).
#pragma once

#include <duet/core/callable_traits.hpp>
#include <duet/core/fixed_string.hpp>
#include <duet/core/log.hpp>
#include <duet/http/middleware/compression.hpp>
#include <duet/http/middleware/cors.hpp>
#include <duet/http/middleware/etag.hpp>
#include <duet/http/middleware/helmet.hpp>
#include <duet/http/middleware/logger.hpp>
#include <duet/http/middleware/rate_limit.hpp>
#include <duet/http/middleware/static_files.hpp>
#include <duet/http/format.hpp>
#include <duet/http/send_file.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/http/router.hpp>
#include <duet/server/server.hpp>
#include <duet/session/session.hpp>

namespace duet {
using request = http::request;
using response = http::response;
using http::method;
}  // namespace duet
