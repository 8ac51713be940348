// duet/sio/impl/namespace_state.ipp — the member definitions of `namespace_state`
// that need later classes: the constructor builds the default adapter
// (memory_adapter), to_session names the socket's session room, serverSideEmit goes
// out through the adapter and comes in through the shard's dispatch. Included by
// <duet/sio/socket.hpp>.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/post.hpp>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <duet/sio/ack.hpp>
#include <duet/sio/args.hpp>
#include <duet/sio/gather.hpp>
#include <duet/sio/memory_adapter.hpp>
#include <duet/sio/namespace_state.hpp>
#include <duet/sio/socket_class.hpp>

namespace duet::sio {

namespace detail {
inline asio::awaitable<std::vector<boost::json::value>> await_server_side_answers(
    std::shared_ptr<awaited_value<std::pair<std::error_code, std::vector<boost::json::value>>>> w) {
    auto [ec, answers] = co_await await_value(std::move(w));
    if (ec == std::errc::timed_out) throw ack_timeout();
    if (ec) throw std::system_error(ec);
    co_return std::move(answers);
}
}  // namespace detail

inline namespace_state::namespace_state(shard_state& shard, std::string name)
    : shard_(&shard), name_(std::move(name)) {
    if (shard.opts().cluster) adapter_ = shard.opts().cluster->make_adapter(*this);
    else if (shard.opts().adapter) adapter_ = shard.opts().adapter(*this);
    if (!adapter_) adapter_ = std::make_unique<memory_adapter>(*this);
    if (const auto& r = shard.opts().connection_state_recovery; r.enabled)
        recovery_ = std::make_unique<recovery_store>(shard.io(), r, shard.shard_index());
}

inline asio::awaitable<std::size_t> namespace_state::server_count() {
    auto w = std::make_shared<detail::awaited_value<std::size_t>>(shard().io());
    adapter_->server_count([w](std::size_t n) { w->set(n); });
    return detail::await_value(std::move(w));
}

inline broadcast_operator namespace_state::to_session(std::string_view session_id) {
    return to(socket::session_room(session_id));
}

namespace detail {
// [event, ...args] of a serverSideEmit: JSON only (binary as Node's Buffer JSON).
template <class... A>
boost::json::array server_side_data(std::string_view event, A&&... args) {
    // socket.io's RESERVED_EVENTS (Namespace.serverSideEmit throws on them).
    if (event == "connect" || event == "connection" || event == "new_namespace")
        throw std::invalid_argument("\"" + std::string(event) + "\" is a reserved event name");
    arg_builder b;
    (b.add(static_cast<A&&>(args)), ...);
    boost::json::array data = b.take_json();
    data.insert(data.begin(), boost::json::value(event));
    return data;
}
}  // namespace detail

template <class... A>
void namespace_state::server_side_emit(std::string_view event, A&&... args) {
    adapter_->server_side_emit(detail::server_side_data(event, static_cast<A&&>(args)...));
}

template <class... A>
void namespace_state::server_side_emit_with_ack(std::string_view event, std::chrono::milliseconds timeout,
                                                server_side_ack_callback callback, A&&... args) {
    boost::json::array data = detail::server_side_data(event, static_cast<A&&>(args)...);
    auto cb = std::make_shared<server_side_ack_callback>(std::move(callback));
    if (!adapter_->server_side_emit_with_ack(std::move(data), timeout, [cb](std::error_code ec,
                                                                            std::vector<boost::json::value> r) {
            (*cb)(ec, std::move(r));
        }))
        asio::post(shard().io(), [cb] { (*cb)({}, {}); });
}

template <class... A>
    requires(!std::is_invocable_v<std::remove_cvref_t<std::tuple_element_t<0, std::tuple<A..., int>>>&,
                                  std::error_code, std::vector<boost::json::value>>)
asio::awaitable<std::vector<boost::json::value>> namespace_state::server_side_emit_with_ack(
    std::string_view event, std::chrono::milliseconds timeout, A&&... args) {
    using outcome = std::pair<std::error_code, std::vector<boost::json::value>>;
    auto w = std::make_shared<detail::awaited_value<outcome>>(shard().io());
    // Eager (not a coroutine itself): the arguments are encoded before this returns.
    server_side_emit_with_ack(event, timeout, server_side_ack_callback([w](std::error_code ec,
                                                                           std::vector<boost::json::value> r) {
        w->set(outcome{ec, std::move(r)});
    }), static_cast<A&&>(args)...);
    return detail::await_server_side_answers(std::move(w));
}

inline void namespace_state::receive_server_side_emit(boost::json::array data, server_side_reply reply) {
    shard_state& sh = shard();
    if (auto d = sh.server_side(); d && sh.io_handle()) d(*sh.io_handle(), *this, std::move(data), std::move(reply));
}

}  // namespace duet::sio
