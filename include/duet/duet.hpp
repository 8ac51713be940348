// duet/duet.hpp — the one include of a duet application.
//
// Brings the user-facing API: route tables (`duet::routes`, `get<"/p">`, `use`),
// request/response, middleware, and `duet::server`. Layers can also be included
// one by one (<duet/http/...>, <duet/ws/...>) for their codecs alone.
#pragma once

#include <duet/core/callable_traits.hpp>
#include <duet/core/fixed_string.hpp>
#include <duet/core/log.hpp>
#include <duet/http/middleware/cors.hpp>
#include <duet/http/middleware/static_files.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/http/router.hpp>
#include <duet/server/server.hpp>

namespace duet {
using request = http::request;
using response = http::response;
using http::method;
}  // namespace duet
