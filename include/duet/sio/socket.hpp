// duet/sio/socket.hpp — the runtime side of Socket.IO, as applications and the
// dispatcher include it: sockets, namespaces, rooms, emits, broadcasts and acks
// (everything that is not the compile-time event table, sio/events.hpp).
//
// An umbrella, not a grab-bag: each concept has its own header, declared in an order
// with no cycle, and the member definitions that need several of them (the socket
// reaches its client and namespace, a broadcast reaches sockets on every shard) come
// last, from impl/.
//
//   sio/args.hpp               emit arguments: binary, bytes, event_args, arg builder
//   sio/ack.hpp                ack_reply, ack callbacks, ack_timeout, duet::ack<Ts...>
//   sio/connect_error.hpp      how a connect middleware refuses a connection
//   sio/options.hpp            sio::options
//   sio/adapter.hpp            the adapter interface, broadcast target and packet
//   sio/broadcast_operator.hpp to/in/except ... emit: the target of a broadcast
//   sio/socket_class.hpp       socket (duet::socket)
//   sio/namespace_state.hpp    namespace_state, shard_state
//   sio/client.hpp             client, transport_ops, handshake_info
//   sio/io.hpp                 io (duet::io)
//   sio/memory_adapter.hpp     the default adapter
//   sio/gather.hpp             replies of every shard gathered on the origin's thread
#pragma once

#include <duet/sio/ack.hpp>
#include <duet/sio/adapter.hpp>
#include <duet/sio/args.hpp>
#include <duet/sio/broadcast_operator.hpp>
#include <duet/sio/client.hpp>
#include <duet/sio/connect_error.hpp>
#include <duet/sio/gather.hpp>
#include <duet/sio/io.hpp>
#include <duet/sio/memory_adapter.hpp>
#include <duet/sio/namespace_state.hpp>
#include <duet/sio/options.hpp>
#include <duet/sio/socket_class.hpp>

// Out-of-line definitions (need the classes above complete).
#include <duet/sio/impl/broadcast_operator.ipp>
#include <duet/sio/impl/namespace_state.ipp>
#include <duet/sio/impl/socket.ipp>
