// duet/sio/impl/namespace_state.ipp — the member definitions of `namespace_state`
// that need later classes: the constructor builds the default adapter
// (memory_adapter), to_session names the socket's session room. Included by
// <duet/sio/socket.hpp>.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <asio/awaitable.hpp>

#include <duet/sio/gather.hpp>
#include <duet/sio/memory_adapter.hpp>
#include <duet/sio/namespace_state.hpp>
#include <duet/sio/socket_class.hpp>

namespace duet::sio {

inline namespace_state::namespace_state(shard_state& shard, std::string name)
    : shard_(&shard), name_(std::move(name)) {
    if (shard.opts().cluster) adapter_ = shard.opts().cluster->make_adapter(*this);
    else if (shard.opts().adapter) adapter_ = shard.opts().adapter(*this);
    if (!adapter_) adapter_ = std::make_unique<memory_adapter>(*this);
}

inline asio::awaitable<std::size_t> namespace_state::server_count() {
    auto w = std::make_shared<detail::awaited_value<std::size_t>>(shard().io());
    adapter_->server_count([w](std::size_t n) { w->set(n); });
    return detail::await_value(std::move(w));
}

inline broadcast_operator namespace_state::to_session(std::string_view session_id) {
    return to(socket::session_room(session_id));
}

}  // namespace duet::sio
