// duet/sio/ack.hpp — acknowledgements, both ways.
//
// Owns: what a client's ack carried (`ack_reply`), the callbacks an emit with ack
// completes (`ack_callback`, `broadcast_ack_callback`, and between servers
// `server_side_ack_callback` / `server_side_reply`), `ack_timeout`, and
// `duet::ack<Ts...>`, the last handler parameter that answers a client's emit with
// ack (or another server's serverSideEmitWithAck). Its call operator is defined in
// impl/socket.ipp: it sends through the client, which is declared here only by name.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <duet/sio/args.hpp>
#include <duet/sio/packet.hpp>

namespace duet::sio {

class client;

// An emit-with-ack whose answer did not come within its timeout.
struct ack_timeout : std::runtime_error {
    ack_timeout() : std::runtime_error("operation has timed out") {}
};

// What a client's ack carried: its arguments (binary ones as placeholders) and the
// attachments they point to. Converts to the argument array, so a callback or a
// co_await may simply take a boost::json::array.
struct ack_reply {
    boost::json::array args;
    std::vector<attachment> attachments;

    operator boost::json::array() const& { return args; }
    operator boost::json::array() && { return std::move(args); }
    // The arguments as a handler parameter sees them (binary resolvable).
    event_args view() const noexcept { return {&args, &attachments, 0}; }
};

using ack_callback = std::function<void(std::error_code, ack_reply)>;
// A broadcast with ack: every addressed client's reply (in arrival order). The
// error is set (timed_out) when some client did not answer within the timeout, or
// (connection_aborted) when one went away first; the replies that came are given.
using broadcast_ack_callback = std::function<void(std::error_code, std::vector<ack_reply>)>;

// serverSideEmitWithAck: one answer per other server (the first argument its handler
// acked with), in arrival order; timed_out when some server did not answer within the
// timeout, with the answers that came.
using server_side_ack_callback = std::function<void(std::error_code, std::vector<boost::json::value>)>;
// How a serverSideEmit received from another server is answered (its first ack
// argument); empty when the sender does not wait for an answer.
using server_side_reply = std::function<void(boost::json::value)>;

// `duet::ack<Ts...>` as a handler's last parameter: call it to answer the client's
// emit-with-ack — or, in an on_server_side_emit handler, the other server's
// serverSideEmitWithAck (it gets the first value, binary as Node's Buffer JSON). A
// no-op when no answer was asked for; only the first call is sent (for a server-side
// one, the first call of any copy).
template <class... Ts>
class ack {
public:
    ack() = default;
    ack(std::weak_ptr<client> c, std::string nsp, std::optional<std::uint64_t> id)
        : client_(std::move(c)), nsp_(std::move(nsp)), id_(id) {}
    // The server-side form (null: no answer asked for).
    explicit ack(std::shared_ptr<server_side_reply> relay) : relay_(std::move(relay)) {}
    bool requested() const noexcept { return id_.has_value() || (relay_ && *relay_); }
    void operator()(Ts... values);

private:
    // The server-side form of operator(): true when this ack is one (answered now, or
    // already by a copy).
    bool relayed(Ts&... values) {
        if (!relay_) return false;
        server_side_reply r = std::move(*relay_);
        *relay_ = nullptr;
        if (r) {
            detail::arg_builder b;
            (b.add(values), ...);
            boost::json::array json = b.take_json();
            r(json.empty() ? boost::json::value() : std::move(json[0]));
        }
        return true;
    }

    std::weak_ptr<client> client_;
    std::string nsp_;
    std::optional<std::uint64_t> id_;
    std::shared_ptr<server_side_reply> relay_;
};

namespace detail {
// Is the first of A... a completion callback (the callback form of emit_with_ack)?
template <class... A>
struct first_is_ack_callback : std::false_type {};
template <class F, class... A>
struct first_is_ack_callback<F, A...>
    : std::bool_constant<std::is_invocable_v<std::remove_cvref_t<F>&, std::error_code, ack_reply>> {};
}  // namespace detail

}  // namespace duet::sio
