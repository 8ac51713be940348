// The Redis wire codec (duet/cluster/redis_wire.hpp) against the bytes Node's
// @socket.io/redis-adapter 8.3 and @socket.io/redis-emitter 5.1 published
// (tests/unit/data/redis_wire_golden.json, captured by tests/interop/redis_capture.mjs):
// every vector decodes to the expected struct, and encoding that struct gives the
// same bytes back (notepack's encoding is deterministic, so byte equality is the
// proof that Node decodes ours identically). Then hostile input.
#include <duet/cluster/redis_wire.hpp>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace duet::cluster;
namespace json = boost::json;

namespace {

struct vector_entry {
    std::string channel;
    std::string bytes;
};

std::vector<std::byte> unhex(std::string_view h) {
    std::vector<std::byte> out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
        out.push_back(static_cast<std::byte>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    return out;
}

const std::multimap<std::string, vector_entry>& golden() {
    static const auto table = [] {
        std::ifstream f(DUET_TEST_DATA_DIR "/redis_wire_golden.json");
        std::stringstream ss;
        ss << f.rdbuf();
        const auto doc = json::parse(ss.str());
        std::multimap<std::string, vector_entry> t;
        for (const auto& v : doc.at("vectors").as_array()) {
            const auto b = unhex(v.at("hex").as_string());
            t.emplace(std::string(v.at("step").as_string()),
                      vector_entry{std::string(v.at("channel").as_string()),
                                   std::string(reinterpret_cast<const char*>(b.data()), b.size())});
        }
        return t;
    }();
    return table;
}

// The n-th vector (in capture order) of a step whose channel starts with `prefix`.
const vector_entry& vec(const std::string& step, std::string_view prefix = "", int n = 0) {
    auto [b, e] = golden().equal_range(step);
    for (auto it = b; it != e; ++it)
        if (std::string_view(it->second.channel).substr(0, prefix.size()) == prefix && n-- == 0) return it->second;
    FAIL("no golden vector " << step);
    throw 0;
}

std::span<const std::byte> bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

template <class T>
T decode_as(const std::string& s) {
    T m{};
    auto ec = decode(bytes(s), m);
    REQUIRE_MESSAGE(!ec, ec.message());
    return m;
}

std::string hex(std::string_view s) {
    static const char* d = "0123456789abcdef";
    std::string h;
    for (unsigned char c : s) {
        h += d[c >> 4];
        h += d[c & 15];
    }
    return h;
}

json::value J(std::string_view s) { return json::parse(s); }

std::vector<std::string> S(std::initializer_list<const char*> l) { return {l.begin(), l.end()}; }

}  // namespace

TEST_CASE("channels") {
    channels ch("/");
    CHECK(ch.broadcast == "socket.io#/#");
    CHECK(ch.broadcast_pattern() == "socket.io#/#*");
    CHECK(ch.request == "socket.io-request#/#");
    CHECK(ch.response == "socket.io-response#/#");
    CHECK(ch.specific_response("abc") == "socket.io-response#/#abc#");
    CHECK(ch.room("r2") == "socket.io#/#r2#");
    CHECK(ch.room_of("socket.io#/#") == std::optional<std::string_view>(""));
    CHECK(ch.room_of("socket.io#/#r2#") == std::optional<std::string_view>("r2"));
    CHECK_FALSE(ch.room_of("socket.io#/chat#").has_value());
    CHECK_FALSE(ch.room_of("other#/#").has_value());
    CHECK(channels("/chat", "k").request == "k-request#/chat#");
    CHECK(broadcast_channel(ch, {.rooms = S({"r2"})}) == "socket.io#/#r2#");
    CHECK(broadcast_channel(ch, {.rooms = S({"r1", "r2"})}) == "socket.io#/#");
    CHECK(broadcast_channel(ch, {.except = S({"r1"})}) == "socket.io#/#");
}

TEST_CASE("golden: adapter broadcasts decode and re-encode byte for byte") {
    SUBCASE("all") {
        const auto& v = vec("broadcast_all");
        CHECK(v.channel == "socket.io#/#");
        auto m = decode_as<broadcast_message>(v.bytes);
        CHECK(m.uid == "AAAAAAAA");
        CHECK(m.packet.nsp == "/");
        CHECK(m.packet.type == duet::sio::packet_type::event);
        CHECK(m.packet.data == J(R"(["all",1,"two",{"three":3},null,1.5,-1,300,true])"));
        CHECK(m.opts == broadcast_options{});
        CHECK(hex(encode(m)) == hex(v.bytes));
    }
    SUBCASE("one room: room channel") {
        const auto& v = vec("broadcast_one_room");
        CHECK(v.channel == "socket.io#/#r2#");
        auto m = decode_as<broadcast_message>(v.bytes);
        CHECK(m.opts.rooms == S({"r2"}));
        CHECK(broadcast_channel(channels("/"), m.opts) == v.channel);
        CHECK(hex(encode(m)) == hex(v.bytes));
    }
    SUBCASE("rooms + except") {
        auto m = decode_as<broadcast_message>(vec("broadcast_rooms_except").bytes);
        CHECK(m.opts.rooms == S({"r1", "r2"}));
        CHECK(m.opts.except == S({"r3"}));
        CHECK(hex(encode(m)) == hex(vec("broadcast_rooms_except").bytes));
    }
    SUBCASE("volatile + compress flags") {
        auto m = decode_as<broadcast_message>(vec("broadcast_volatile_compress").bytes);
        CHECK(m.opts.flags.volatile_ == true);
        CHECK(m.opts.flags.compress == false);
        CHECK_FALSE(m.opts.flags.local.has_value());
        CHECK(hex(encode(m)) == hex(vec("broadcast_volatile_compress").bytes));
    }
    SUBCASE("binary arguments become placeholders + attachments") {
        auto m = decode_as<broadcast_message>(vec("broadcast_binary").bytes);
        CHECK(m.packet.data ==
              J(R"(["bin",{"_placeholder":true,"num":0},{"nested":{"_placeholder":true,"num":1}},{"_placeholder":true,"num":2}])"));
        REQUIRE(m.packet.attachments.size() == 3);
        CHECK(m.packet.attachments[0] == std::vector<std::byte>{std::byte{1}, std::byte{2}, std::byte{3}});
        CHECK(m.packet.attachments[1] == std::vector<std::byte>{std::byte{255}});
        CHECK(m.packet.attachments[2] == std::vector<std::byte>{std::byte{4}, std::byte{5}});
        CHECK(hex(encode(m)) == hex(vec("broadcast_binary").bytes));
    }
    SUBCASE("undefined: nil in arrays, omitted members") {
        auto m = decode_as<broadcast_message>(vec("broadcast_undefined").bytes);
        CHECK(m.packet.data == J(R"(["undef",null,[null,1],{"b":2}])"));
        CHECK(hex(encode(m)) == hex(vec("broadcast_undefined").bytes));
    }
    SUBCASE("other namespace") {
        const auto& v = vec("broadcast_other_nsp");
        CHECK(v.channel == "socket.io#/chat#");
        auto m = decode_as<broadcast_message>(v.bytes);
        CHECK(m.packet.nsp == "/chat");
        CHECK(hex(encode(m)) == hex(v.bytes));
    }
    SUBCASE("string lengths and UTF-8") {
        auto m = decode_as<broadcast_message>(vec("broadcast_long_strings").bytes);
        CHECK(m.packet.data.as_array()[3] == "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
        CHECK(hex(encode(m)) == hex(vec("broadcast_long_strings").bytes));
    }
    SUBCASE("numbers: notepack's integer and float forms") {
        const auto& v = vec("broadcast_numbers");
        auto m = decode_as<broadcast_message>(v.bytes);
        const auto& a = m.packet.data.as_array();
        REQUIRE(a.size() == 25);
        CHECK(a[1] == 0);
        CHECK(a[2] == 0);  // -0 is written as 00
        CHECK(a[9] == 4294967295);
        CHECK(a[11] == std::int64_t{1} << 53);
        CHECK(a[19] == -2147483649LL);
        CHECK(a[20] == 0.5);
        CHECK(std::isnan(a[22].as_double()));
        CHECK(std::isinf(a[23].as_double()));
        CHECK(a[24] == 0);  // notepack's bug: 1e300 is published as cf 00..00
        // Everything but that last value re-encodes identically; 0 is written 00.
        auto ours = encode(m);
        const auto theirs = v.bytes;
        std::string expected = theirs;
        const std::string bug("\xcf\x00\x00\x00\x00\x00\x00\x00\x00", 9);
        const auto at = expected.rfind(bug);
        REQUIRE(at != std::string::npos);
        expected.replace(at, 9, std::string(1, '\0'));
        CHECK(hex(ours) == hex(expected));
        // An integral double ≥ 2^64 is written as float64 (notepack would corrupt it).
        m.packet.data.as_array()[24] = 1e300;
        auto again = decode_as<broadcast_message>(encode(m));
        CHECK(again.packet.data.as_array()[24] == 1e300);
    }
}

TEST_CASE("golden: emitter broadcasts (opts order rooms, flags, except)") {
    SUBCASE("plain, with a binary argument") {
        auto m = decode_as<broadcast_message>(vec("emitter_broadcast").bytes);
        CHECK(m.uid == std::string(emitter_uid));
        CHECK(m.packet.data == J(R"(["em",1,{"_placeholder":true,"num":0}])"));
        CHECK(hex(encode(m, producer::emitter)) == hex(vec("emitter_broadcast").bytes));
        CHECK(encode(m, producer::adapter) != vec("emitter_broadcast").bytes);
    }
    SUBCASE("room + except + volatile") {
        const auto& v = vec("emitter_room_except_volatile");
        CHECK(v.channel == "socket.io#/#r2#");
        auto m = decode_as<broadcast_message>(v.bytes);
        CHECK(m.opts.rooms == S({"r2"}));
        CHECK(m.opts.except == S({"r1"}));
        CHECK(m.opts.flags.volatile_ == true);
        CHECK(hex(encode(m, producer::emitter)) == hex(v.bytes));
    }
    SUBCASE("namespace") {
        auto m = decode_as<broadcast_message>(vec("emitter_nsp").bytes);
        CHECK(m.packet.nsp == "/chat");
        CHECK(hex(encode(m, producer::emitter)) == hex(vec("emitter_nsp").bytes));
    }
}

TEST_CASE("golden: requests") {
    auto round_trip = [](const vector_entry& v) {
        CHECK(v.channel == "socket.io-request#/#");
        auto r = decode_as<request>(v.bytes);
        CHECK(hex(encode(r)) == hex(v.bytes));
        return r;
    };
    SUBCASE("allRooms") {
        auto r = round_trip(vec("all_rooms", "socket.io-request"));
        auto& q = std::get<all_rooms_request>(r);
        CHECK(q.uid == "AAAAAAAA");
        CHECK(q.request_id.size() == 6);
        CHECK(type_of(r) == request_type::all_rooms);
    }
    SUBCASE("fetchSockets") {
        auto r = round_trip(vec("fetch_sockets", "socket.io-request"));
        CHECK(std::get<remote_fetch_request>(r).opts == room_filter{S({"r2"}), {}});
    }
    SUBCASE("socketsJoin / socketsLeave / disconnectSockets") {
        auto j = round_trip(vec("sockets_join"));
        CHECK(std::get<remote_join_request>(j).uid == "AAAAAAAA");
        CHECK(std::get<remote_join_request>(j).opts == room_filter{S({"r2"}), S({"r1"})});
        CHECK(std::get<remote_join_request>(j).rooms == S({"j3"}));
        auto l = round_trip(vec("sockets_leave"));
        CHECK(std::get<remote_leave_request>(l).rooms == S({"j3"}));
        auto d = round_trip(vec("disconnect_sockets"));
        CHECK(std::get<remote_disconnect_request>(d).close);
        CHECK(std::get<remote_disconnect_request>(d).opts.rooms == S({"r2"}));
    }
    SUBCASE("emitter: no uid") {
        auto j = round_trip(vec("emitter_sockets_join"));
        CHECK_FALSE(std::get<remote_join_request>(j).uid.has_value());
        CHECK(std::get<remote_join_request>(j).rooms == S({"j1", "j2"}));
        round_trip(vec("emitter_sockets_leave"));
        auto d = round_trip(vec("emitter_disconnect"));
        CHECK_FALSE(std::get<remote_disconnect_request>(d).close);
        auto e = round_trip(vec("emitter_server_side_emit"));
        CHECK(std::get<server_side_emit_request>(e).uid == "emitter");
    }
    SUBCASE("serverSideEmit with and without ack") {
        auto e = round_trip(vec("server_side_emit"));
        CHECK_FALSE(std::get<server_side_emit_request>(e).request_id.has_value());
        CHECK(json::value(std::get<server_side_emit_request>(e).data) == J(R"(["sse",1,"a"])"));
        auto a = round_trip(vec("server_side_emit_ack", "socket.io-request"));
        CHECK(std::get<server_side_emit_request>(a).request_id.has_value());
    }
    SUBCASE("broadcast with ack: msgpack") {
        auto r = round_trip(vec("broadcast_ack", "socket.io-request"));
        auto& q = std::get<broadcast_request>(r);
        CHECK(q.uid == "AAAAAAAA");
        CHECK(q.packet.data == J(R"(["with-ack",5])"));
        CHECK(q.opts.flags.timeout == 2000u);
    }
}

TEST_CASE("golden: responses") {
    auto round_trip = [](const vector_entry& v) {
        CHECK(v.channel == "socket.io-response#/#");
        auto r = decode_as<response>(v.bytes);
        CHECK(hex(encode(r)) == hex(v.bytes));
        return r;
    };
    SUBCASE("allRooms") {
        auto r = round_trip(vec("all_rooms", "socket.io-response"));
        CHECK(std::get<all_rooms_response>(r).rooms.size() == 3);
    }
    SUBCASE("fetchSockets: handshake and data kept as JSON") {
        auto r = round_trip(vec("fetch_sockets", "socket.io-response"));
        auto& s = std::get<fetch_sockets_response>(r).sockets;
        REQUIRE(s.size() == 1);
        CHECK(s[0].rooms.size() == 3);
        CHECK(s[0].data == J(R"({"who":"BBBBBBBB"})"));
        CHECK(s[0].handshake.at("query").at("room") == "r2");
    }
    SUBCASE("serverSideEmit ack") {
        auto r = round_trip(vec("server_side_emit_ack", "socket.io-response"));
        CHECK(std::get<server_side_emit_response>(r).data == J(R"({"from":"BBBBBBBB"})"));
    }
    SUBCASE("broadcast with ack: client count (JSON) then each ack (msgpack)") {
        auto c = round_trip(vec("broadcast_ack", "socket.io-response", 0));
        CHECK(std::get<broadcast_client_count_response>(c).client_count == 1);
        auto a = round_trip(vec("broadcast_ack", "socket.io-response", 1));
        auto& ack = std::get<broadcast_ack_response>(a);
        CHECK(ack.arg == J(R"({"got":5,"bin":{"_placeholder":true,"num":0}})"));
        CHECK(ack.attachments == std::vector<duet::sio::attachment>{{std::byte{9}, std::byte{8}}});
    }
    SUBCASE("legacy shapes") {
        auto r = decode_as<response>(R"({"requestId":"x","sockets":["a","b"]})");
        CHECK(std::get<sockets_response>(r).sockets == S({"a", "b"}));
        CHECK(encode(r) == R"({"requestId":"x","sockets":["a","b"]})");
        auto b = decode_as<response>(R"({"requestId":"x"})");
        CHECK(std::holds_alternative<bare_response>(b));
        auto q = decode_as<request>(R"({"uid":"u","requestId":"r","type":0,"rooms":["x",7]})");
        CHECK(std::get<sockets_request>(q).rooms == S({"x", "7"}));
    }
}

TEST_CASE("msgpack: forms notepack reads but does not write") {
    std::vector<duet::sio::attachment> atts;
    json::value v;
    auto dec = [&](std::initializer_list<int> b) {
        std::vector<std::byte> in;
        for (int x : b) in.push_back(static_cast<std::byte>(x));
        atts.clear();
        return msgpack_to_json(in, v, atts);
    };
    // [undefined, {a: undefined, b: 1}] in the old fixext form
    CHECK_FALSE(dec({0x92, 0xd4, 0x00, 0x00, 0x82, 0xa1, 'a', 0xd4, 0x00, 0x00, 0xa1, 'b', 0x01}));
    CHECK(v == J(R"([null,{"b":1}])"));
    // float32
    CHECK_FALSE(dec({0xca, 0x3f, 0xc0, 0x00, 0x00}));
    CHECK(v == 1.5);
    // timestamp 32 -> Date -> ISO string
    CHECK_FALSE(dec({0xd6, 0xff, 0x00, 0x00, 0x00, 0x01}));
    CHECK(v == "1970-01-01T00:00:01.000Z");
    // timestamp 64 with 5 ms
    CHECK_FALSE(dec({0xd7, 0xff, 0x01, 0x31, 0x2d, 0x00, 0x00, 0x00, 0x00, 0x02}));
    CHECK(v == "1970-01-01T00:00:02.005Z");
    // ext 8 type 0 (old ArrayBuffer) -> bin; other ext -> [type, bin]
    CHECK_FALSE(dec({0xc7, 0x02, 0x00, 0x07, 0x08}));
    CHECK(v == J(R"({"_placeholder":true,"num":0})"));
    CHECK(atts.size() == 1);
    CHECK_FALSE(dec({0xd5, 0x05, 0x01, 0x02}));
    CHECK(v == J(R"([5,{"_placeholder":true,"num":0}])"));
    // integer keys become property names; later duplicates win
    CHECK_FALSE(dec({0x83, 0x01, 0xa1, 'x', 0xa1, 'k', 0x01, 0xa1, 'k', 0x02}));
    CHECK(v == J(R"({"1":"x","k":2})"));
    // uint64 above INT64_MAX
    CHECK_FALSE(dec({0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
    CHECK(v.is_uint64());
}

TEST_CASE("msgpack encoding: notepack's choices") {
    auto enc = [](const json::value& v) {
        std::string s;
        append_msgpack(s, v, {});
        return hex(s);
    };
    CHECK(enc(1.0) == "01");
    CHECK(enc(-0.0) == "00");
    CHECK(enc(-33.0) == "d0df");
    CHECK(enc(4294967296.0) == "cf0000000100000000");
    CHECK(enc(0.5) == "cb3fe0000000000000");
    CHECK(enc(std::int64_t{-2147483649LL}) == "d3ffffffff7fffffff");
    CHECK(enc(J(R"({"b":1,"2":2,"1":1})")) == "83a13101a13202a16201");  // Object.keys order
    CHECK(enc(J(R"({"_placeholder":true,"num":0})")) == "82ac5f706c616365686f6c646572c3a36e756d00");  // no attachment: data
}

TEST_CASE("hostile input: errors, never crashes") {
    auto bad = [](std::string_view s, error e) {
        broadcast_message m;
        auto ec = decode(std::as_bytes(std::span(s.data(), s.size())), m);
        CHECK_MESSAGE(ec == make_error_code(e), hex(s) << " -> " << ec.message());
        CHECK(is_decode_error(ec));
    };
    using namespace std::string_literals;
    SUBCASE("every truncation of every golden vector") {
        for (const auto& [step, v] : golden()) {
            for (std::size_t n = 0; n < v.bytes.size(); ++n) {
                const auto cut = std::string_view(v.bytes).substr(0, n);
                broadcast_message m;
                request r;
                response q;
                CHECK(decode(std::as_bytes(std::span(cut.data(), cut.size())), m));
                CHECK(decode(std::as_bytes(std::span(cut.data(), cut.size())), r));
                CHECK(decode(std::as_bytes(std::span(cut.data(), cut.size())), q));
            }
        }
    }
    SUBCASE("huge counts") {
        bad("\xdd\xff\xff\xff\xff\x01"s, error::invalid_msgpack);  // array32 of 4G elements
        bad("\xdf\x80\x00\x00\x00"s, error::invalid_msgpack);      // map32 whose doubled count wraps msgpuck's counter
        bad("\xdf\x7f\xff\xff\xff\xa0\xa0"s, error::invalid_msgpack);
        bad("\xc6\xff\xff\xff\xff"s, error::invalid_msgpack);      // bin32 longer than the message
        bad("\xdb\xff\xff\xff\xf0xx"s, error::invalid_msgpack);
        bad("\xc9\xff\xff\xff\xff\x01"s, error::invalid_msgpack);
    }
    SUBCASE("malformed") {
        bad(""s, error::invalid_msgpack);
        bad("\xc1"s, error::invalid_msgpack);
        bad("\x93\xa1u\x80\x80\x00"s, error::invalid_msgpack);   // trailing byte
        bad("\x81\xc3\x01"s, error::invalid_map_key);             // bool key
        bad("\x81\x90\x01"s, error::invalid_map_key);
    }
    SUBCASE("wrong shapes") {
        // Built with our encoder from JSON text (placeholders stay maps: no attachments).
        auto mp = [](std::string_view json_text) {
            std::string s;
            append_msgpack(s, J(json_text), {});
            return s;
        };
        bad(mp("{}"), error::invalid_shape);
        bad(mp(R"(["u",{}])"), error::invalid_shape);                                  // two elements
        bad(mp(R"([1,{"type":2,"data":["e"]},{}])"), error::invalid_shape);           // uid not a string
        bad(mp(R"(["u",{"type":2},{}])"), error::invalid_shape);                        // no data
        bad(mp(R"(["u",{"type":3,"data":["e"]},{}])"), error::invalid_shape);         // not an EVENT
        bad(mp(R"(["u",{"type":2,"data":[1]},{}])"), error::invalid_shape);           // event name not a string
        bad(mp(R"(["u",{"type":2,"data":[]},{}])"), error::invalid_shape);
        bad(mp(R"(["u",{"type":2,"data":["e"],"nsp":"chat"},{}])"), error::invalid_shape);
        bad(mp(R"(["u",{"type":2,"data":["e"]},null])"), error::invalid_shape);       // opts null
        bad(mp(R"(["u",{"type":2,"data":["e"]},{"rooms":[true]}])"), error::invalid_shape);
        bad(mp(R"(["u",{"type":2,"data":["e"]},{"flags":{"timeout":-1}}])"), error::invalid_shape);
        bad(mp(R"(["u",{"type":2,"data":["e"]},{"flags":{"volatile":1}}])"), error::invalid_shape);
        bad(mp(R"(["u",{"type":2,"data":["e",{"_placeholder":true,"num":5}]},{}])"), error::invalid_shape);
        // accepted: missing nsp is "/", missing rooms/except/flags are empty, extra elements ignored
        broadcast_message m;
        const auto ok = mp(R"(["u",{"type":2,"data":["e"]},{},"extra"])");
        CHECK_FALSE(decode(bytes(ok), m));
        CHECK(m.packet.nsp == "/");
    }
    SUBCASE("depth and attachment limits") {
        json::value deep = json::array{1};
        for (int i = 0; i < 100; ++i) deep = json::array{deep};
        std::string nest;
        append_msgpack(nest, json::array{"u", json::object{{"type", 2}, {"data", json::array{"e", deep}}}, json::object{}}, {});
        bad(nest, error::too_deep);
        json::value v;
        std::vector<duet::sio::attachment> atts;
        std::string many = "\xdc\x07\xd0"s;  // 2000 empty bins
        for (int i = 0; i < 2000; ++i) many += "\xc4\x00"s;
        CHECK(msgpack_to_json(std::as_bytes(std::span(many.data(), many.size())), v, atts) ==
              make_error_code(error::too_many_attachments));
        broadcast_message m;
        wire_limits small{.max_message_bytes = 4};
        CHECK(decode(bytes(vec("broadcast_all").bytes), m, small) == make_error_code(error::message_too_large));
    }
    SUBCASE("requests and responses") {
        request r;
        response q;
        auto req = [&](std::string_view s) { return decode(std::as_bytes(std::span(s.data(), s.size())), r); };
        auto res = [&](std::string_view s) { return decode(std::as_bytes(std::span(s.data(), s.size())), q); };
        CHECK(req(R"({"uid":"u","type":42})") == make_error_code(error::unknown_request_type));
        CHECK(req(R"({"uid":"u","type":1)") == make_error_code(error::invalid_json));
        CHECK(req(R"({"uid":"u","type":"1"})") == make_error_code(error::invalid_shape));
        CHECK(req(R"({"uid":"u","type":1})") == make_error_code(error::invalid_shape));  // no requestId
        CHECK(req(R"({"uid":"u","type":2,"rooms":["a"]})") == make_error_code(error::invalid_shape));  // legacy sid form
        CHECK(req(R"({"uid":"u","type":6,"data":"x"})") == make_error_code(error::invalid_shape));
        CHECK(req(R"({"uid":"u","type":4,"opts":{},"close":1})") == make_error_code(error::invalid_shape));
        CHECK_FALSE(req(R"({"uid":"u","type":4.0,"opts":{}})"));  // JSON numbers are numbers
        std::string deep = R"({"uid":"u","type":6,"data":["e",)" + std::string(100, '[') + std::string(100, ']') + "]}";
        CHECK(req(deep) == make_error_code(error::too_deep));
        CHECK(res(R"({"type":8,"requestId":"r"})") == make_error_code(error::invalid_shape));
        CHECK(res(R"({"type":7,"requestId":"r"})") == make_error_code(error::unknown_response));
        CHECK(res(R"({"rooms":[]})") == make_error_code(error::invalid_shape));
        CHECK(res(R"({"requestId":"r","sockets":[{"rooms":[]}]})") == make_error_code(error::invalid_shape));
        CHECK(res("\x81\xa9requestId\xc4\x01x") == make_error_code(error::invalid_shape));
    }
}

TEST_CASE("built structs encode like Node") {
    // What a duet node publishes for io.to("r2").emit("room", "x") is byte-equal to Node's.
    broadcast_message m{.uid = "AAAAAAAA"};
    m.packet.data = J(R"(["room","x"])");
    m.opts.rooms = S({"r2"});
    CHECK(hex(encode(m)) == hex(vec("broadcast_one_room").bytes));
    // A binary argument through the sio helper.
    broadcast_message b{.uid = "AAAAAAAA"};
    b.packet.data = json::array{"bin"};
    duet::sio::append_binary(b.packet, duet::sio::attachment{std::byte{1}, std::byte{2}, std::byte{3}});
    auto back = decode_as<broadcast_message>(encode(b));
    CHECK(back.packet.data == b.packet.data);
    CHECK(back.packet.attachments == b.packet.attachments);
    // Requests built from scratch.
    CHECK(encode(request{all_rooms_request{"AAAAAAAA", "WIgxDP"}}) == vec("all_rooms", "socket.io-request").bytes);
    CHECK(encode(request{remote_disconnect_request{std::nullopt, {}, false}}) == vec("emitter_disconnect").bytes);
    CHECK(encode(response{broadcast_client_count_response{"z43vDt", 1}}) ==
          vec("broadcast_ack", "socket.io-response", 0).bytes);
}
