// duet/sio/connect_error.hpp — how a connect middleware refuses a connection.
//
// Owns: `connect_error` (duet::connect_error), thrown or returned by a middleware of a
// namespace; the client gets CONNECT_ERROR with its message and data. Its own header
// because both the event table and the connect flow name it, and nothing else.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include <boost/json/value.hpp>

namespace duet::sio {

// Thrown (or returned) by a connect middleware to refuse a connection: the client
// gets CONNECT_ERROR {"message": message[, "data": data]}.
struct connect_error : std::runtime_error {
    boost::json::value data;
    explicit connect_error(const std::string& message, boost::json::value d = nullptr)
        : std::runtime_error(message), data(std::move(d)) {}
};

}  // namespace duet::sio
