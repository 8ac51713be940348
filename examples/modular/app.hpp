// examples/modular/app.hpp — what the translation units of this app share: the data
// types and the handlers' declarations. Light on purpose: it names duet's request,
// response and socket types but not the server, the tables or Engine.IO, so a
// handler file that includes it compiles in a few seconds (bench/build/run.sh).
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include <boost/describe.hpp>

#include <duet/http/router.hpp>   // request, response, json_body, flow
#include <duet/sio/socket.hpp>    // duet::socket, duet::io, duet::ack

namespace notes {

struct note {
    std::string author;
    std::string text;
};
BOOST_DESCRIBE_STRUCT(note, (), (author, text))

// The board every shard shares (a mutex: handlers on several threads reach it).
struct board {
    std::mutex mutex;
    std::vector<note> notes;
    std::size_t add(note n);
    std::vector<note> snapshot();
};
board& the_board();

// http_handlers.cpp
void index(duet::response& res);
void not_found(duet::request& req, duet::response& res);
void api_headers(duet::response& res);
void list_notes(duet::response& res);
void get_note(duet::response& res, std::size_t id);
void post_note(duet::response& res, duet::io& io, duet::json_body<note> body);

// socket_handlers.cpp
void on_connect(duet::socket& s);
void on_post(duet::socket& s, note n, duet::ack<std::size_t> ack);

}  // namespace notes
