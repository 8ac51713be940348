// duet/sio/impl/namespace_state.ipp — the constructor of `namespace_state`: out of
// line because it builds the default adapter (memory_adapter), which needs the
// namespace, client and socket classes. Included by <duet/sio/socket.hpp>.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include <duet/sio/memory_adapter.hpp>
#include <duet/sio/namespace_state.hpp>

namespace duet::sio {

inline namespace_state::namespace_state(shard_state& shard, std::string name)
    : shard_(&shard), name_(std::move(name)) {
    if (auto make = shard.opts().adapter) adapter_ = make(*this);
    if (!adapter_) adapter_ = std::make_unique<memory_adapter>(*this);
}

}  // namespace duet::sio
