// duet/eio/app.hpp — declaring a raw Engine.IO endpoint in a server type.
//
// Owns: `duet::engine_io<"/engine.io/", Handler>`, the compile-time description of an
// Engine.IO server with no Socket.IO layer: its path (a constant of the upgrade
// filter) and its per-session handler type. `duet::server<routes, duet::engine_io<...>>`
// instantiates it; a Socket.IO event table is the other kind of realtime spec.
#pragma once

#include <string_view>

#include <duet/core/fixed_string.hpp>
#include <duet/eio/server.hpp>

namespace duet {

template <fixed_string Path, class Handler>
struct engine_io_spec {
    static_assert(Path.size() >= 2 && Path.view().front() == '/' && Path.view().back() == '/',
                  "duet::engine_io: the path must start and end with '/' (\"/engine.io/\")");
    static constexpr std::string_view path = Path.view();

    // Per-shard state handed to every session's handler (none for a raw endpoint).
    struct shard_state {};
    using handler = Handler;
    using eio_server = eio::server<Handler, shard_state>;

    template <class Options>
    static shard_state make_state(runtime::shard&, const Options&) {
        return {};
    }
};

template <fixed_string Path, class Handler>
inline constexpr engine_io_spec<Path, Handler> engine_io{};

}  // namespace duet
