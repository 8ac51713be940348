// Socket.IO msgpack parser (duet/sio/msgpack_parser.hpp): byte-exact encoding,
// decoding of every packet type, inline binaries, round trips, and every rejection.
//
// Golden vectors, two sources (hex pasted below):
//  - "captured": the Engine.IO message bodies a socket.io 4.8.4 server and a
//    socket.io-client 4.8 exchanged with `parser: require("socket.io-msgpack-parser")`
//    (3.0.2, which depends on notepack.io 2.2.0), over a WebSocket, logged from
//    engine 'packet' events (node 20; /tmp/mp/capture.js, not kept in the tree);
//  - "notepack": `new (require("socket.io-msgpack-parser").Encoder)().encode(obj)[0]`
//    for hand-written objects of the same shape as socket.io's.
// Accept/reject decisions were checked against that package's Decoder.add; the
// differences (listed at the top of msgpack_parser.hpp) are tested as such.
#include <duet/sio/decoder.hpp>
#include <duet/sio/msgpack_parser.hpp>

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

using namespace std::literals;

namespace json = boost::json;
using namespace duet::sio;

namespace {

std::string unhex(std::string_view h) {
    auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    std::string out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(nib(h[i]) * 16 + nib(h[i + 1])));
    return out;
}

std::string hex(std::string_view b) {
    static constexpr char d[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : b) {
        out.push_back(d[c >> 4]);
        out.push_back(d[c & 15]);
    }
    return out;
}

std::span<const std::byte> as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

attachment bytes(std::initializer_list<int> v) {
    attachment a;
    for (int b : v) a.push_back(static_cast<std::byte>(b));
    return a;
}

attachment filled(std::size_t n, int b) { return attachment(n, static_cast<std::byte>(b)); }

std::error_code decode(std::string_view msg, packet& p, decoder_options o = {}) {
    return decode_msgpack_packet(as_bytes(msg), p, o);
}

packet decode_ok(std::string_view msg, decoder_options o = {}) {
    packet p;
    const auto ec = decode(msg, p, o);
    INFO("input: ", hex(msg), " -> ", ec.message());
    REQUIRE(!ec);
    return p;
}

std::error_code decode_err(std::string_view msg, decoder_options o = {}) {
    packet p;
    p.nsp = "/untouched";
    const auto ec = decode(msg, p, o);
    INFO("input: ", hex(msg));
    CHECK(ec);
    CHECK(is_decode_error(ec));
    CHECK(p.nsp == "/untouched");  // written only on success
    return ec;
}

// {type, data, nsp} built by hand: fixmap 3, the members given as raw msgpack.
std::string pkt3(std::string_view type, std::string_view data, std::string_view nsp = "\xa1/") {
    return std::string("\x83\xa4type") + std::string(type) + "\xa4" "data" + std::string(data) + "\xa3nsp" +
           std::string(nsp);
}

std::string pkt3(int type, std::string_view data, std::string_view nsp = "\xa1/") {
    return pkt3(std::string(1, static_cast<char>(type)), data, nsp);
}

std::string rep(std::string_view s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
}

std::string encode_event(std::string_view nsp, std::string_view ev, const json::array& args,
                         std::span<const attachment> atts = {}, std::optional<std::uint64_t> id = std::nullopt,
                         msgpack_emit origin = msgpack_emit::socket) {
    std::string out;
    encode_msgpack_event_append(out, nsp, ev, args, atts, id, origin);
    return out;
}

json::value ph(std::size_t n) { return make_placeholder(n); }

}  // namespace

// ---------------------------------------------------------------------------
// Encoding: socket.io's objects, byte for byte.
// ---------------------------------------------------------------------------

TEST_CASE("msgpack encoder: server packets captured from socket.io 4.8.4 + socket.io-msgpack-parser 3.0.2") {
    SUBCASE("CONNECT reply without recovery: {sid, pid: undefined}") {
        std::string out;
        encode_msgpack_connect_append(out, "/", "VFAlfoQgCPZ7RYi5AAAA");
        CHECK(hex(out) == "83a47479706500a46461746182a3736964b45646416c666f516743505a375259693541414141"
                          "a3706964d40000a36e7370a12f");
        out.clear();
        encode_msgpack_connect_append(out, "/chat", "Yft1N5SQMIjwLXzcAAAD");
        CHECK(hex(out) == "83a47479706500a46461746182a3736964b4596674314e3553514d496a774c587a6341414144"
                          "a3706964d40000a36e7370a52f63686174");
    }
    SUBCASE("CONNECT reply with connection state recovery: {sid, pid}") {
        std::string out;
        encode_msgpack_connect_append(out, "/", "J4n8y5VKlsvs7UU2AAAB", std::string_view("Mh_mDi1i4BfUoPQmAAAC"));
        CHECK(hex(out) == "83a47479706500a46461746182a3736964b44a346e387935564b6c7376733755553241414142"
                          "a3706964b44d685f6d44693169344266556f50516d41414143a36e7370a12f");
    }
    SUBCASE("socket.emit('hello', 1, 'two', {three: 3})") {
        CHECK(hex(encode_event("/", "hello", json::array{1, "two", json::object{{"three", 3}}})) ==
              "83a47479706502a46461746194a568656c6c6f01a374776f81a5746872656503a36e7370a12f");
    }
    SUBCASE("socket.emit('bin', Buffer[1,2,3], {nested: [Buffer(300 x 7)]}): bin 8 and bin 16 inline") {
        const std::vector<attachment> atts{bytes({1, 2, 3}), filled(300, 7)};
        const std::string got = encode_event("/", "bin", json::array{ph(0), json::object{{"nested", json::array{ph(1)}}}}, atts);
        CHECK(hex(got) == "83a47479706502a46461746193a362696ec40301020381a66e657374656491c5012c" + rep("07", 300) +
                              "a36e7370a12f");
    }
    SUBCASE("socket.emit('withack', 'x', cb): id before nsp") {
        CHECK(hex(encode_event("/", "withack", json::array{"x"}, {}, 0)) ==
              "84a47479706502a46461746192a77769746861636ba178a2696400a36e7370a12f");
    }
    SUBCASE("io.emit('bcast', true)") {
        CHECK(hex(encode_event("/", "bcast", json::array{true}, {}, std::nullopt, msgpack_emit::broadcast)) ==
              "83a47479706502a46461746192a56263617374c3a36e7370a12f");
    }
    SUBCASE("io.timeout(1000).emit('bcastack', 5, cb): broadcastWithAck puts id after nsp") {
        CHECK(hex(encode_event("/", "bcastack", json::array{5}, {}, 1, msgpack_emit::broadcast)) ==
              "84a47479706502a46461746192a8626361737461636b05a36e7370a12fa2696401");
    }
    SUBCASE("recovery: the offset is the last argument (an ordinary string)") {
        CHECK(hex(encode_event("/", "rec", json::array{"a", "Q9APrFu"})) ==
              "83a47479706502a46461746193a3726563a161a751394150724675a36e7370a12f");
    }
    SUBCASE("ack: cb('pong', Buffer[9]) and cb()") {
        std::string out;
        const std::vector<attachment> atts{bytes({9})};
        const json::array args{"pong", ph(0)};
        encode_msgpack_ack_append(out, "/", 0, args, atts);
        CHECK(hex(out) == "84a2696400a47479706503a46461746192a4706f6e67c40109a36e7370a12f");
        out.clear();
        encode_msgpack_ack_append(out, "/", 1, {}, {});
        CHECK(hex(out) == "84a2696401a47479706503a46461746190a36e7370a12f");
    }
    SUBCASE("CONNECT_ERROR from a middleware, with and without err.data") {
        std::string out;
        encode_msgpack_connect_error_append(out, "/mw", "nope", json::object{{"code", 42}});
        CHECK(hex(out) == "83a47479706504a46461746182a76d657373616765a46e6f7065a46461746181a4636f64652a"
                          "a36e7370a32f6d77");
        out.clear();
        encode_msgpack_connect_error_append(out, "/mw", "nope");
        CHECK(hex(out) == "83a47479706504a46461746182a76d657373616765a46e6f7065a464617461d40000a36e7370a32f6d77");
    }
    SUBCASE("CONNECT_ERROR for an unknown namespace: nsp before data") {
        std::string out;
        encode_msgpack_namespace_refused_append(out, "/nope");
        CHECK(hex(out) == "83a47479706504a36e7370a52f6e6f7065a46461746181a76d657373616765b1496e76616c6964"
                          "206e616d657370616365");
    }
    SUBCASE("DISCONNECT (socket.disconnect()) through the generic encoder") {
        packet p;
        p.type = packet_type::disconnect;
        p.nsp = "/chat";
        CHECK(hex(encode_msgpack(p)) == "82a47479706501a36e7370a52f63686174");
    }
    SUBCASE("the policy type writes the same bytes") {
        std::string a, b;
        msgpack_parser::encode_event_append(a, "/", "withack", json::array{"x"}, {}, 0);
        CHECK(hex(a) == "84a47479706502a46461746192a77769746861636ba178a2696400a36e7370a12f");
        msgpack_parser::encode_connect_append(b, "/", "VFAlfoQgCPZ7RYi5AAAA");
        CHECK(hex(b).starts_with("83a47479706500"));
        packet p;
        p.type = packet_type::disconnect;
        std::string c;
        CHECK(msgpack_parser::encode_append(c, p) == 0);  // never attachment messages
        CHECK(hex(c) == "82a47479706501a36e7370a12f");
    }
}

TEST_CASE("msgpack encoder: value forms as notepack writes them") {
    SUBCASE("integers at every width boundary, doubles, bool, nil") {
        const json::array args{0, 127, 128, 255, 256, 65535, 65536, 4294967295LL, 4294967296LL, -1, -32, -33, -128,
                               -129, -32768, -32769, -2147483648LL, -2147483649LL, 1.5, -0.5,
                               9007199254740991LL, -1099511627776LL, true, false, nullptr};
        CHECK(hex(encode_event("/", "n", args)) ==
              "83a47479706502a464617461dc001aa16e007fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000"
              "ffe0d0dfd080d1ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffffcb3ff8000000000000cbbfe0000000000000"
              "cf001fffffffffffffd3ffffff0000000000c3c2c0a36e7370a12f");
    }
    SUBCASE("integral doubles are integers (notepack: Math.floor(v) === v)") {
        CHECK(hex(encode_event("/", "n", json::array{2.0, -0.0, -3.0})) ==
              hex(encode_event("/", "n", json::array{2, 0, -3})));
    }
    SUBCASE("fixstr / str 8 / str 16, UTF-8, empty containers, a namespace") {
        const json::array args{std::string(31, 'x'), std::string(32, 'x'), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "",
                               json::object{}, json::array{}};
        CHECK(hex(encode_event("/admin", "s", args)) ==
              "83a47479706502a46461746197a173bf78787878787878787878787878787878787878787878787878787878787878d920"
              "7878787878787878787878787878787878787878787878787878787878787878a9c3a9e282acf09f9880a08090a36e7370"
              "a62f61646d696e");
        const std::string long16 = encode_event("/", "t", json::array{std::string(300, 'y')});
        CHECK(hex(long16).starts_with("83a47479706502a46461746192a174da012c79797979797979"));
    }
    SUBCASE("object keys in Object.keys order: integer-like keys ascending first") {
        json::object o;
        o["b"] = 1;
        o["2"] = 2;
        o["a"] = 3;
        o["1"] = 4;
        o["01"] = 5;
        CHECK(hex(encode_event("/", "k", json::array{o})) ==
              "83a47479706502a46461746192a16b85a13104a13202a16201a16103a2303105a36e7370a12f");
    }
    SUBCASE("binaries nested in objects and arrays, empty bin") {
        const std::vector<attachment> atts{bytes({1, 2, 3}), {}, bytes({4, 5})};
        const json::array args{ph(0), json::object{{"a", json::array{ph(1)}}, {"b", json::object{{"c", ph(2)}}}}};
        CHECK(hex(encode_event("/", "e", args, atts)) ==
              "83a47479706502a46461746193a165c40301020382a16191c400a16281a163c4020405a36e7370a12f");
    }
    SUBCASE("bin 16 inside an ACK with an id, bin 32") {
        std::string out;
        const std::vector<attachment> one{filled(256, 0xab)};
        const json::array args{ph(0)};
        encode_msgpack_ack_append(out, "/", 7, args, one);
        // notepack wrote {type, id, data, nsp} for the hand-made object; socket.ack
        // builds {id, type, data}: only the bin is compared here.
        CHECK(hex(out).find("91c50100abababab") != std::string::npos);
        CHECK(out.size() == 282);
        const std::vector<attachment> big{filled(65536, 0xcd)};
        const std::string b32 = encode_event("/", "big", json::array{ph(0)}, big);
        CHECK(b32.size() == 65564);  // the notepack message's length
        CHECK(hex(b32.substr(0, 21)) == "83a47479706502a46461746192a3626967c6000100");
        CHECK(hex(b32.substr(b32.size() - 8)) == "cdcda36e7370a12f");
    }
    SUBCASE("ack ids: fixint, uint16, 2^53-1") {
        CHECK(hex(encode_event("/", "e", json::array{}, {}, 300)) ==
              "84a47479706502a46461746191a165a26964cd012ca36e7370a12f");
        CHECK(hex(encode_event("/", "e", json::array{}, {}, max_ack_id)) ==
              "84a47479706502a46461746191a165a26964cf001fffffffffffffa36e7370a12f");
    }
    SUBCASE("generic encoder: key order per type, null data omitted, empty nsp is '/'") {
        packet e;
        e.type = packet_type::binary_event;  // never written as 5
        e.nsp = "";
        e.id = 0;
        e.data = json::array{"withack", "x"};
        CHECK(hex(encode_msgpack(e)) == "84a47479706502a46461746192a77769746861636ba178a2696400a36e7370a12f");
        packet a;
        a.type = packet_type::binary_ack;
        a.id = 0;
        a.data = json::array{"pong", ph(0)};
        a.attachments = {bytes({9})};
        CHECK(hex(encode_msgpack(a)) == "84a2696400a47479706503a46461746192a4706f6e67c40109a36e7370a12f");
        packet c;
        c.type = packet_type::connect;
        CHECK(hex(encode_msgpack(c)) == "82a47479706500a36e7370a12f");
    }
}

// ---------------------------------------------------------------------------
// Decoding.
// ---------------------------------------------------------------------------

TEST_CASE("msgpack decoder: client packets captured from socket.io-client 4.8 + socket.io-msgpack-parser") {
    SUBCASE("CONNECT without auth: data is notepack's undefined") {
        const packet p = decode_ok(unhex("83a47479706500a464617461d40000a36e7370a12f"));
        CHECK(p.type == packet_type::connect);
        CHECK(p.nsp == "/");
        CHECK(!p.id);
        CHECK(p.data.is_null());
        CHECK(p.attachments.empty());
        CHECK(decode_ok(unhex("83a47479706500a464617461d40000a36e7370a52f63686174")).nsp == "/chat");
    }
    SUBCASE("CONNECT with auth") {
        const packet p = decode_ok(unhex("83a47479706500a46461746181a87769746844617461c3a36e7370a32f6d77"));
        CHECK(p.nsp == "/mw");
        CHECK(p.data == json::parse(R"({"withData":true})"));
        CHECK(decode_ok(unhex("83a47479706500a46461746180a36e7370a32f6d77")).data == json::object{});
    }
    SUBCASE("EVENT with an ack id and the client's extra `options` member") {
        const packet p =
            decode_ok(unhex("85a47479706502a46461746192a470696e6701a76f7074696f6e7381a8636f6d7072657373c3a2696400"
                            "a36e7370a12f"));
        CHECK(p.type == packet_type::event);
        CHECK(p.id == 0u);
        CHECK(p.data == json::parse(R"(["ping",1])"));
        const packet q = decode_ok(
            unhex("85a47479706502a46461746191a5656d707479a76f7074696f6e7381a8636f6d7072657373c3a2696401a36e7370a12f"));
        CHECK(q.id == 1u);
        CHECK(q.data == json::parse(R"(["empty"])"));
    }
    SUBCASE("EVENT with an inline binary stays EVENT; 1.5, -1, nil") {
        const packet p = decode_ok(
            unhex("84a47479706502a46461746193a56e6f61636bc402dead93cb3ff8000000000000ffc0a76f7074696f6e7381a8636f6d"
                  "7072657373c3a36e7370a12f"));
        CHECK(p.type == packet_type::event);
        CHECK(!p.id);
        REQUIRE(p.attachments.size() == 1);
        CHECK(p.attachments[0] == bytes({0xde, 0xad}));
        const auto& a = p.data.as_array();
        CHECK(a[0] == "noack");
        CHECK(resolve_placeholder(a[1], p.attachments) == &p.attachments[0]);
        CHECK(a[2] == json::parse("[1.5,-1,null]"));
    }
    SUBCASE("the server's own packets decode too") {
        const packet ack = decode_ok(unhex("84a2696400a47479706503a46461746192a4706f6e67c40109a36e7370a12f"));
        CHECK(ack.type == packet_type::ack);
        CHECK(ack.id == 0u);
        CHECK(ack.attachments == std::vector<attachment>{bytes({9})});
        const packet ce = decode_ok(
            unhex("83a47479706504a36e7370a52f6e6f7065a46461746181a76d657373616765b1496e76616c6964206e616d657370616365"));
        CHECK(ce.type == packet_type::connect_error);
        CHECK(ce.data == json::parse(R"({"message":"Invalid namespace"})"));
        // {sid, pid: undefined}: the undefined member is dropped
        const packet c = decode_ok(unhex("83a47479706500a46461746182a3736964b45646416c666f516743505a375259693541414141"
                                         "a3706964d40000a36e7370a12f"));
        CHECK(c.data == json::parse(R"({"sid":"VFAlfoQgCPZ7RYi5AAAA"})"));
        const packet bc = decode_ok(unhex("84a47479706502a46461746192a8626361737461636b05a36e7370a12fa2696401"));
        CHECK(bc.id == 1u);
        CHECK(decode_ok(unhex("82a47479706501a36e7370a52f63686174")).type == packet_type::disconnect);
    }
}

TEST_CASE("msgpack decoder: every type and its data rule (socket.io-msgpack-parser isDataValid)") {
    // connect: absent or a map
    CHECK(decode_ok(unhex("82a47479706500a36e7370a12f")).data.is_null());
    CHECK(decode_ok(pkt3(0, "\x81\xa1t\x01")).data == json::parse(R"({"t":1})"));
    CHECK(decode_err(pkt3(0, "\xc0")) == error::invalid_payload);      // nil is not absent
    CHECK(decode_err(pkt3(0, "\x90")) == error::invalid_payload);      // array
    CHECK(decode_err(pkt3(0, "\xa1x")) == error::invalid_payload);     // string
    CHECK(decode_err(pkt3(0, "\xc4\x01\x01")) == error::invalid_payload);  // bin
    CHECK(decode_err(pkt3(0, "\x05")) == error::invalid_payload);
    // disconnect: absent only
    CHECK(decode_ok(unhex("82a47479706501a36e7370a12f")).type == packet_type::disconnect);
    CHECK(decode_ok(pkt3(1, "\xd4\x00\x00"sv)).data.is_null());  // undefined = absent
    CHECK(decode_err(pkt3(1, "\xc0")) == error::invalid_payload);
    CHECK(decode_err(pkt3(1, "\x80")) == error::invalid_payload);
    CHECK(decode_err(pkt3(1, "\x90")) == error::invalid_payload);
    // connect_error: string or map
    CHECK(decode_ok(pkt3(4, "\xa1x")).data == "x");
    CHECK(decode_ok(pkt3(4, "\x80")).data == json::object{});
    CHECK(decode_err(unhex("82a47479706504a36e7370a12f")) == error::invalid_payload);
    CHECK(decode_err(pkt3(4, "\x90")) == error::invalid_payload);
    CHECK(decode_err(pkt3(4, "\xc0")) == error::invalid_payload);
    CHECK(decode_err(pkt3(4, "\xc4\x00"sv)) == error::invalid_payload);
    CHECK(decode_err(pkt3(4, "\x07")) == error::invalid_payload);
    // event: array (duet: non-empty, name a string or number)
    CHECK(decode_ok(pkt3(2, "\x91\xa1" "e")).data == json::parse(R"(["e"])"));
    CHECK(decode_ok(pkt3(2, "\x91\x07")).data == json::parse("[7]"));
    CHECK(decode_err(pkt3(2, "\x81\xa1" "e\x01")) == error::invalid_payload);
    CHECK(decode_err(pkt3(2, "\xa1" "e")) == error::invalid_payload);
    CHECK(decode_err(pkt3(2, "\xc0")) == error::invalid_payload);
    CHECK(decode_err(unhex("82a47479706502a36e7370a12f")) == error::invalid_payload);
    // ack: array, possibly empty
    CHECK(decode_ok(pkt3(3, "\x90")).data == json::array{});
    CHECK(decode_ok(pkt3(3, "\x92\xc0\xc3")).data == json::parse("[null,true]"));
    CHECK(decode_err(pkt3(3, "\x80")) == error::invalid_payload);
    CHECK(decode_err(pkt3(3, "\xc0")) == error::invalid_payload);
    CHECK(decode_err(unhex("82a47479706503a36e7370a12f")) == error::invalid_payload);
}

TEST_CASE("msgpack decoder: ext values as notepack reads them (Date, ArrayBuffer, [type, Buffer])") {
    // new Date(1700000000123) as notepack 2.2 writes it: fixext 8, type 0, float64 ms.
    // socket.io-msgpack-parser gives the handler a Date; duet gives its toJSON() string,
    // which is what the JSON parser carries for a Date.
    const packet d = decode_ok(pkt3(2, std::string("\x92\xa1" "e" "\xd7\x00"sv) + unhex("4278bcfe5687b000")));
    CHECK(d.data == json::parse(R"(["e","2023-11-14T22:13:20.123Z"])"));
    CHECK(d.attachments.empty());
    // ext 8 type 0 (old notepack's ArrayBuffer): a binary.
    const packet b = decode_ok(pkt3(2, "\x92\xa1" "e" "\xc7\x02\x00\x01\x02"sv));
    REQUIRE(b.attachments.size() == 1);
    CHECK(b.attachments[0] == bytes({1, 2}));
    // fixext 2 type 0 is not a Date: [0, Buffer] as notepack gives it.
    const packet f = decode_ok(pkt3(2, "\x92\xa1" "e" "\xd5\x00\x01\x02"sv));
    REQUIRE(f.attachments.size() == 1);
    CHECK(f.data.as_array()[1].as_array()[0] == 0);
    CHECK(f.attachments[0] == bytes({1, 2}));
}

TEST_CASE("msgpack decoder: duet's EVENT rules beyond the npm parser (validate_payload)") {
    CHECK(decode_err(unhex("83a47479706502a46461746190a36e7370a12f")) == error::invalid_payload);  // npm: ok
    CHECK(decode_err(unhex("83a47479706502a46461746191a7636f6e6e656374a36e7370a12f")) ==
          error::reserved_event_name);  // ["connect"]; npm: ok
    for (std::string_view name : {"connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}) {
        std::string data = "\x91";
        data.push_back(static_cast<char>(0xa0 | name.size()));
        data += name;
        CHECK(decode_err(pkt3(2, data)) == error::reserved_event_name);
    }
    CHECK(decode_err(pkt3(2, "\x91\xc0")) == error::invalid_payload);          // [null]
    CHECK(decode_err(pkt3(2, "\x91\xc4\x01\x00"sv)) == error::invalid_payload);  // [bin]
    CHECK(decode_err(pkt3(2, "\x91\x90")) == error::invalid_payload);          // [[]]
}

TEST_CASE("msgpack decoder: type") {
    CHECK(decode_err(unhex("82a46461746191a165a36e7370a12f")) == error::unknown_packet_type);  // missing
    for (std::string_view t : {"\x05"sv, "\x06"sv, "\x07"sv, "\xff"sv, "\xd0\x80"sv, "\xa1\x32"sv, "\xc3"sv, "\xc0"sv,
                               "\x90"sv, "\xd0\xff"sv,
                               "\xcb\x40\x04\x00\x00\x00\x00\x00\x00"sv,    // 2.5
                               "\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00"sv,    // NaN
                               "\xcb\xbf\xf0\x00\x00\x00\x00\x00\x00"sv,    // -1.0
                               "\xcf\xff\xff\xff\xff\xff\xff\xff\xff"sv}) {  // 2^64-1
        INFO(hex(t));
        CHECK(decode_err(pkt3(t, "\x91\xa1" "e")) == error::unknown_packet_type);
    }
    CHECK(decode_err(pkt3("\xd4\x00\x00"sv, "\x91\xa1" "e")) == error::unknown_packet_type);
    // Number.isInteger: a float64 2.0 (or -0) is an integer; float32 3.0 too.
    CHECK(decode_ok(pkt3("\xcb\x40\x00\x00\x00\x00\x00\x00\x00"sv, "\x91\xa1" "e")).type ==
          packet_type::event);
    CHECK(decode_ok(pkt3("\xcb\x80\x00\x00\x00\x00\x00\x00\x00"sv, "\x80")).type ==
          packet_type::connect);
    CHECK(decode_ok(pkt3("\xca\x40\x40\x00\x00"sv, "\x90")).type == packet_type::ack);
    CHECK(decode_ok(pkt3("\xcc\x02", "\x91\xa1" "e")).type == packet_type::event);  // uint 8 form
}

TEST_CASE("msgpack decoder: nsp") {
    CHECK(decode_err(unhex("82a47479706502a46461746191a165")) == error::invalid_payload);        // missing
    CHECK(decode_err(unhex("83a47479706502a46461746191a165a36e737001")) == error::invalid_payload);  // number
    CHECK(decode_err(pkt3(2, "\x91\xa1" "e", "\xc0")) == error::invalid_payload);
    CHECK(decode_err(pkt3(2, "\x91\xa1" "e", "\xc4\x01/")) == error::invalid_payload);  // bin
    CHECK(decode_err(pkt3(2, "\x91\xa1" "e", "\x91\xa1/")) == error::invalid_payload);
    // duet: must start with '/' (npm accepts "a" and "")
    CHECK(decode_err(pkt3(2, "\x91\xa1" "e", "\xa1" "a")) == error::invalid_payload);
    CHECK(decode_err(pkt3(2, "\x91\xa1" "e", "\xa0")) == error::invalid_payload);
    CHECK(decode_ok(pkt3(2, "\x91\xa1" "e", "\xd9\x03/a,")).nsp == "/a,");  // str 8, a comma is fine
}

TEST_CASE("msgpack decoder: ack id") {
    auto with_id = [](std::string_view id) {
        return std::string("\x84\xa4type\x02\xa4" "data\x91\xa1" "e\xa2id") + std::string(id) + "\xa3nsp\xa1/";
    };
    CHECK(decode_ok(with_id("\x00"sv)).id == 0u);
    CHECK(decode_ok(with_id("\xcd\x01\x2c")).id == 300u);
    CHECK(decode_ok(with_id("\xcf\x00\x1f\xff\xff\xff\xff\xff\xff"sv)).id == max_ack_id);
    CHECK(decode_ok(with_id("\xcb\x40\x14\x00\x00\x00\x00\x00\x00"sv)).id == 5u);  // 5.0
    CHECK(decode_ok(with_id("\xcb\x80\x00\x00\x00\x00\x00\x00\x00"sv)).id == 0u);  // -0
    CHECK(decode_ok(with_id("\xd4\x00\x00"sv)).id == std::nullopt);                      // undefined
    CHECK(decode_ok(with_id("\xd0\x05"sv)).id == 5u);  // int 8 form of 5
    for (std::string_view bad : {
             "\xcf\x00\x20\x00\x00\x00\x00\x00\x00"sv,  // 2^53
             "\xcf\xff\xff\xff\xff\xff\xff\xff\xff"sv,
             "\xff"sv,                                    // -1 (npm: accepted)
             "\xd3\x80\x00\x00\x00\x00\x00\x00\x00"sv,
             "\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00"sv,  // 1.5
             "\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00"sv,  // Infinity
             "\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00"sv,  // NaN
             "\xcb\x43\x40\x00\x00\x00\x00\x00\x00"sv,  // 2^53 as a double
             "\xcb\xbf\xf0\x00\x00\x00\x00\x00\x00"sv,  // -1.0
             "\xa1\x31"sv, "\xc0"sv, "\xc3"sv, "\x90"sv, "\x80"sv, "\xc4\x01\x01"sv}) {
        INFO(hex(bad));
        CHECK(decode_err(with_id(bad)) == error::invalid_ack_id);
    }
}

TEST_CASE("msgpack decoder: what is not a packet") {
    CHECK(decode_err("") == error::empty_packet);
    // not a map at the top
    for (std::string_view top : {"\x93\x01\x02\x03", "\xc0", "\x02", "\xa1x", "\xc3", "\x90"})
        CHECK(decode_err(top) == error::unknown_packet_type);
    CHECK(decode_err("\xc4\x01\x00"sv) == error::unknown_packet_type);  // a bin
    CHECK(decode_err("\xd4\x00\x00"sv) == error::unknown_packet_type);  // undefined
    // trailing bytes (npm: "1 trailing bytes"), a second packet after the first
    const std::string disc = unhex("82a47479706501a36e7370a12f");
    CHECK(decode_err(disc + '\0') == error::invalid_json);
    CHECK(decode_err(disc + disc) == error::invalid_json);
    // never-used byte, truncated headers
    CHECK(decode_err("\xc1") == error::invalid_json);
    CHECK(decode_err("\x82\xa4type\xc1\xa3nsp\xa1/") == error::invalid_json);
    // a text packet of the JSON parser is not msgpack either (npm: "5 trailing bytes")
    CHECK(decode_err("2[\"a\"]") == error::invalid_json);
    packet p;
    CHECK(msgpack_parser::decode_text("2[\"a\"]", p, {}) == error::unexpected_text);
    static_assert(msgpack_parser::binary_messages);
}

TEST_CASE("msgpack decoder: truncated at every length") {
    const std::string vectors[] = {
        unhex("85a47479706502a46461746192a470696e6701a76f7074696f6e7381a8636f6d7072657373c3a2696400a36e7370a12f"),
        unhex("83a47479706502a46461746193a362696ec40301020381a66e657374656491c5012c") + std::string(300, '\x07') +
            unhex("a36e7370a12f"),
        unhex("83a47479706500a46461746182a3736964b45646416c666f516743505a375259693541414141a3706964d40000a36e7370a12f"),
        unhex("84a47479706502a46461746192a8626361737461636b05a36e7370a12fa2696401"),
    };
    for (const auto& v : vectors) {
        packet whole;
        REQUIRE(!decode(v, whole));
        for (std::size_t n = 0; n < v.size(); ++n) {
            INFO("length ", n, " of ", hex(v));
            const auto ec = decode_err(v.substr(0, n));
            CHECK((ec == error::invalid_json || ec == error::empty_packet));
        }
    }
}

TEST_CASE("msgpack decoder: declared lengths beyond the message") {
    for (std::string_view bomb : {
             "\xdd\xff\xff\xff\xff"sv,       // array 32
             "\xdf\xff\xff\xff\xff"sv,       // map 32
             "\xdd\x7f\xff\xff\xff\x01"sv,   // array 32 near 2^31 (msgpuck's int counter)
             "\xdc\xff\xff\x01"sv,           // array 16
             "\xde\xff\xff\x01\x01"sv,       // map 16
             "\xdb\xff\xff\xff\xff" "abc"sv,  // str 32
             "\xc6\xff\xff\xff\xff" "abc"sv,  // bin 32
             "\xc9\xff\xff\xff\xff\x05"sv,   // ext 32
             "\xc5\x01\x00" "ab"sv,           // bin 16
         }) {
        INFO(hex(bomb));
        CHECK(decode_err(bomb) == error::invalid_json);
        CHECK(decode_err(pkt3(2, std::string("\x92\xa1" "e") + std::string(bomb))) == error::invalid_json);
    }
}

TEST_CASE("msgpack decoder: depth, counted as the JSON decoder counts it") {
    // data = ["e", [[...]]] with `n` containers in all (the data array included).
    auto msg = [](std::size_t n) { return pkt3(2, "\x92\xa1" "e" + std::string(n - 1, '\x91') + "\xc0"); };
    auto text = [](std::size_t n) { return "2[\"e\"," + std::string(n - 1, '[') + "null" + std::string(n - 1, ']') + "]"; };
    for (std::size_t max : {1u, 4u, 32u}) {
        decoder_options o;
        o.max_depth = max;
        for (std::size_t n = 2; n <= max + 2; ++n) {
            decoder d(o);
            const bool json_ok = !d.feed_text(text(n));
            packet p;
            const auto ec = decode(msg(n), p, o);
            INFO("max_depth ", max, " nesting ", n);
            CHECK(json_ok == !ec);
            CHECK(json_ok == (n <= max));
            if (ec) CHECK(ec == error::json_too_deep);
        }
    }
    // an ext value becomes [type, bin]: an array, counted as one (found by the fuzzer)
    decoder_options two;
    two.max_depth = 2;
    const packet x = decode_ok(pkt3(2, "\x92\xa1" "e\xd5\x05\x01\x02"), two);
    CHECK(x.data.as_array()[1].as_array()[0] == 5);
    CHECK(x.attachments == std::vector<attachment>{bytes({1, 2})});
    CHECK(decode_err(pkt3(2, "\x92\xa1" "e\x91\xd5\x05\x01\x02"), two) == error::json_too_deep);
    // a bomb: 1 MB of nested arrays, refused without recursing into it
    CHECK(decode_err(pkt3(2, std::string(1'000'000, '\x91') + "\xc0")) == error::json_too_deep);
    CHECK(decode_err(std::string(100'000, '\x81') ) == error::invalid_json);  // maps without keys: not msgpack
    // also in members the packet ignores
    CHECK(decode_err("\x84\xa4type\x01\xa3nsp\xa1/\xa1x" + std::string(100, '\x91') + "\xc0" + "\xa1y\x01") ==
          error::json_too_deep);
}

TEST_CASE("msgpack decoder: binaries inline") {
    SUBCASE("bin 8 / 16 / 32, nested, renumbered in Object.keys order") {
        std::string data = "\x94\xa1" "e";
        data += std::string("\xc4\x02\x01\x02", 4);                          // bin 8
        data += std::string("\x82\xa1" "b\x91\xc5\x01\x00", 7) + std::string(256, 'B');  // {b: [bin 16], ...
        data += std::string("\xa1" "1\xc4\x01\x11", 5);                        //  "1": bin 8} (integer key: first)
        data += std::string("\xc6\x00\x01\x00\x00", 5) + std::string(65536, 'C');         // bin 32
        const packet p = decode_ok(pkt3(2, data));
        REQUIRE(p.attachments.size() == 4);
        CHECK(p.attachments[0] == bytes({1, 2}));
        CHECK(p.attachments[1] == bytes({0x11}));  // "1" enumerates before "b"
        CHECK(p.attachments[2] == filled(256, 'B'));
        CHECK(p.attachments[3] == filled(65536, 'C'));
        const auto& a = p.data.as_array();
        CHECK(placeholder_index(a[1]) == 0u);
        CHECK(placeholder_index(a[2].at("1")) == 1u);
        CHECK(placeholder_index(a[2].at("b").at(0)) == 2u);
        CHECK(placeholder_index(a[3]) == 3u);
        CHECK(check_placeholders(p.data, p.attachments.size()) == std::error_code{});
        // and back: the encoder writes them in the same order
        const std::string again = encode_msgpack(p);
        const packet q = decode_ok(again);
        CHECK(q.data == p.data);
        CHECK(q.attachments == p.attachments);
        CHECK(encode_msgpack(q) == again);
    }
    SUBCASE("ext type 0 (notepack's ArrayBuffer) is a binary too") {
        const packet p = decode_ok(pkt3(2, "\x92\xa1" "e\xc7\x02\x00\xaa\xbb"sv));
        CHECK(p.attachments == std::vector<attachment>{bytes({0xaa, 0xbb})});
    }
    SUBCASE("bins no member of data refers to are dropped") {
        // {type, nsp, data: bin, data: ["e", bin]}: the first data was overwritten
        const std::string m = "\x84\xa4type\x02\xa3nsp\xa1/\xa4" "data\xc4\x01\x01\xa4" "data\x92\xa1" "e\xc4\x01\x02"s;
        const packet p = decode_ok(m);
        CHECK(p.attachments == std::vector<attachment>{bytes({2})});
        CHECK(placeholder_index(p.data.as_array()[1]) == 0u);
        // a bin in an ignored member
        const packet q = decode_ok("\x84\xa4type\x02\xa3nsp\xa1/\xa1x\xc4\x01\x07\xa4" "data\x91\xa1" "e"s);
        CHECK(q.attachments.empty());
    }
    SUBCASE("literal placeholder maps") {
        // {_placeholder: true, num: 0} with no bin: error (npm: ordinary data)
        const std::string lit = "\x82\xac_placeholder\xc3\xa3num";
        CHECK(decode_err(pkt3(2, "\x92\xa1" "e" + lit + '\0')) == error::invalid_placeholder);
        // ... naming a bin that is also in the data: two references to one bin
        CHECK(decode_err(pkt3(2, "\x93\xa1" "e\xc4\x01\x05"s + lit + '\0')) ==
              error::invalid_placeholder);
        // "_placeholder": 1 is ordinary data, as in the JSON decoder
        const packet p = decode_ok(pkt3(2, "\x92\xa1" "e\x82\xac_placeholder\x01\xa3num\x00"sv));
        CHECK(p.attachments.empty());
        CHECK(p.data.as_array()[1].at("_placeholder") == 1);
    }
    SUBCASE("too many bins, too many bytes") {
        decoder_options o;
        o.max_attachments = 2;
        const std::string two = pkt3(2, "\x93\xa1" "e\xc4\x00\xc4\x00"sv);
        const std::string three = pkt3(2, "\x94\xa1" "e\xc4\x00\xc4\x00\xc4\x00"sv);
        CHECK(decode_ok(two, o).attachments.size() == 2);
        CHECK(decode_err(three, o) == error::too_many_attachments);
        CHECK(decode_ok(three).attachments.size() == 3);
        CHECK(decode_err(pkt3(2, "\x9c\xa1" "e" + rep("\xc4\x00"sv, 11))) ==
              error::too_many_attachments);  // 11 bins with the default 10
        decoder_options b;
        b.max_attachment_bytes = 10;
        b.max_text_size = 100;
        CHECK(decode_ok(pkt3(2, "\x92\xa1" "e\xc4\x0a" + std::string(10, 'z')), b).attachments[0].size() == 10);
        CHECK(decode_err(pkt3(2, "\x92\xa1" "e\xc4\x0b" + std::string(11, 'z')), b) == error::attachments_too_large);
        CHECK(decode_err(pkt3(2, "\x93\xa1" "e\xc4\x06" + std::string(6, 'z') + "\xc4\x05" + std::string(5, 'z')), b) ==
              error::attachments_too_large);
    }
}

TEST_CASE("msgpack decoder: size bounds") {
    decoder_options o;
    o.max_text_size = 40;
    o.max_attachment_bytes = 100;
    const std::string small = pkt3(2, "\x92\xa1" "e\xa5" "abcde");  // 27 bytes
    CHECK(decode_ok(small, o).data == json::parse(R"(["e","abcde"])"));
    // the message minus its bins is what max_text_size bounds
    const std::string text_heavy = pkt3(2, "\x92\xa1" "e\xb8" + std::string(24, 's'));
    CHECK(text_heavy.size() == 46);
    CHECK(decode_err(text_heavy, o) == error::packet_too_large);
    const std::string bin_heavy = pkt3(2, "\x92\xa1" "e\xc4\x5a" + std::string(90, 'b'));  // 113 bytes, 90 of bins
    CHECK(decode_ok(bin_heavy, o).attachments[0].size() == 90);
    // above text + attachments: refused before reading
    CHECK(decode_err(std::string(141, '\xc1'), o) == error::packet_too_large);
    CHECK(decode_err(std::string(140, '\xc1'), o) == error::invalid_json);
    // defaults do not overflow
    decoder_options huge;
    huge.max_text_size = SIZE_MAX;
    huge.max_attachment_bytes = SIZE_MAX;
    huge.max_depth = SIZE_MAX;
    CHECK(decode_ok(small, huge).data.as_array().size() == 2);
}

TEST_CASE("msgpack decoder: strings are UTF-8 afterwards, as Buffer.toString('utf8') makes them") {
    // ED A0 80 (a surrogate) -> 3 x U+FFFD, E2 82 + 'c' -> U+FFFD c, F0 9F 98 FF -> 2 x U+FFFD, C0 AF -> 2
    const std::string bad = std::string("a\xed\xa0\x80" "b\xe2\x82" "c\xf0\x9f\x98\xff\xc0\xaf", 14);
    const std::string fixed = unhex("61efbfbdefbfbdefbfbd62efbfbd63efbfbdefbfbdefbfbdefbfbd");  // node's output
    std::string data = "\x93\xa1" "e";
    data.push_back(static_cast<char>(0xa0 | bad.size()));
    data += bad;
    data += "\x81";
    data.push_back(static_cast<char>(0xa0 | bad.size()));
    data += bad + "\x01";
    std::string nsp = "\xa4/\xff" "ab";
    const packet p = decode_ok(pkt3(2, data, nsp));
    CHECK(p.data.as_array()[1] == json::value(fixed));
    CHECK(p.data.as_array()[2].as_object().contains(fixed));
    CHECK(p.nsp == "/\xef\xbf\xbd" "ab");
    // two keys that become equal: the later value wins, as `value[key] = ...`
    const packet q = decode_ok(pkt3(2, "\x92\xa1" "e\x82\xa2x\xff\x01\xa2x\xfe\x02"));
    CHECK(q.data.as_array()[1] == json::parse("{\"x\xef\xbf\xbd\":2}"));
}

TEST_CASE("msgpack decoder: map keys and duplicates") {
    // integer keys are property names; a later duplicate wins
    const packet p = decode_ok(pkt3(2, "\x92\xa1" "e\x83\x01\xa1" "a\xff\xa1" "b\x01\xa1" "c"));
    CHECK(p.data.as_array()[1] == json::parse(R"({"1":"c","-1":"b"})"));
    // other key types (npm: String(key)) are refused
    CHECK(decode_err(pkt3(2, "\x92\xa1" "e\x81\xc3\x01")) == error::invalid_payload);
    CHECK(decode_err("\x84\xa4type\x02\xa4" "data\x91\xa1" "e\xa3nsp\xa1/\xc3\x01"s) ==
          error::invalid_payload);
    // duplicate top-level members: the last one counts
    const packet d = decode_ok("\x84\xa4type\x01\xa4type\x02\xa4" "data\x91\xa1" "e\xa3nsp\xa1/");
    CHECK(d.type == packet_type::event);
    // unknown members are ignored, whatever they hold
    const packet u = decode_ok("\x85\xa4type\x03\xa4" "data\x90\xa3nsp\xa1/\xa7options\x81\xa1x\x90\xa4junk\xc0");
    CHECK(u.type == packet_type::ack);
    CHECK(u.data == json::array{});
}

TEST_CASE("msgpack round trips: decode(encode(p)) == p") {
    auto rt = [](const packet& p) {
        const std::string m = encode_msgpack(p);
        const packet q = decode_ok(m);
        CHECK(q.type == (is_event(p.type) ? packet_type::event : is_ack(p.type) ? packet_type::ack : p.type));
        CHECK(q.nsp == p.nsp);
        CHECK(q.id == p.id);
        CHECK(q.data == p.data);
        CHECK(q.attachments == p.attachments);
        CHECK(encode_msgpack(q) == m);
    };
    packet e;
    e.nsp = "/admin";
    e.id = 12;
    e.data = json::array{"ev", 1, -2, 3.25, "s", nullptr, true, json::object{{"k", json::array{ph(0), ph(1)}}}};
    e.attachments = {bytes({1}), filled(70000, 3)};
    rt(e);
    packet a;
    a.type = packet_type::ack;
    a.id = max_ack_id;
    a.data = json::array{};
    rt(a);
    packet c;
    c.type = packet_type::connect;
    c.data = json::object{{"token", "abc"}, {"n", json::object{}}};
    rt(c);
    packet ce;
    ce.type = packet_type::connect_error;
    ce.data = "refused";
    rt(ce);
    packet d;
    d.type = packet_type::disconnect;
    d.nsp = "/x";
    rt(d);
    // the byte-exact helpers decode as well
    std::string m;
    encode_msgpack_connect_error_append(m, "/mw", "nope");
    CHECK(decode_ok(m).data == json::parse(R"({"message":"nope"})"));
    m.clear();
    encode_msgpack_connect_append(m, "/", "sid", std::string_view("pid"));
    CHECK(decode_ok(m).data == json::parse(R"({"sid":"sid","pid":"pid"})"));
}
