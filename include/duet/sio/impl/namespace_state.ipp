// duet/sio/impl/namespace_state.ipp — the member definitions of `namespace_state`
// that need later classes: the constructor builds the default adapter
// (memory_adapter), to_session names the socket's session room. Included by
// <duet/sio/socket.hpp>.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <duet/sio/memory_adapter.hpp>
#include <duet/sio/namespace_state.hpp>
#include <duet/sio/socket_class.hpp>

namespace duet::sio {

inline namespace_state::namespace_state(shard_state& shard, std::string name)
    : shard_(&shard), name_(std::move(name)) {
    if (auto make = shard.opts().adapter) adapter_ = make(*this);
    if (!adapter_) adapter_ = std::make_unique<memory_adapter>(*this);
}

inline broadcast_operator namespace_state::to_session(std::string_view session_id) {
    return to(socket::session_room(session_id));
}

}  // namespace duet::sio
