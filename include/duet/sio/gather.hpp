// duet/sio/gather.hpp — waiting here for what other shards answer.
//
// Owns: `detail::gather_state` (the replies of every shard to one operation — counts,
// broadcast acks — collected on the origin's thread, `done` called once with all of
// them) and `detail::awaited_value` / `await_value` (a value set later by a callback,
// awaited by a coroutine, so that count() and emit_counted() can be co_awaited).
// broadcast_operator::gather (impl/broadcast_operator.ipp) drives them.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

namespace duet::sio {

namespace detail {
// A value produced on other shards, awaited on this one.
template <class T>
struct awaited_value {
    std::optional<T> value;
    asio::steady_timer wake;
    explicit awaited_value(asio::io_context& io) : wake(io, asio::steady_timer::time_point::max()) {}
    void set(T v) {
        value = std::move(v);
        wake.cancel();
    }
};
// Waits for `w` to be set. A free coroutine holding `w`: the broadcast_operator
// functions that return it do their work eagerly (they are not coroutines), so the
// operator — usually a temporary — is not needed once they return.
template <class T>
asio::awaitable<T> await_value(std::shared_ptr<awaited_value<T>> w) {
    if (!w->value) {
        std::error_code ignored;
        co_await w->wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    co_return std::move(*w->value);
}

template <class R>
struct gather_state {
    std::vector<R> results;
    std::size_t remaining = 0;
    std::function<void(std::vector<R>)> done;
    void add(R r) {
        results.push_back(std::move(r));
        if (--remaining == 0) {
            auto d = std::move(done);
            d(std::move(results));
        }
    }
};
}  // namespace detail

}  // namespace duet::sio
