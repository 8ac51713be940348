// Socket.IO v5 encoder: exact bytes. Every expected string below was produced by
// socket.io-parser 4.2.7 (Encoder.encode) in Node 20 for the same values.
#include <duet/sio/binary.hpp>
#include <duet/sio/encoder.hpp>

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace json = boost::json;
using namespace duet::sio;

namespace {
attachment bytes(std::initializer_list<int> v) {
    attachment a;
    for (int b : v) a.push_back(static_cast<std::byte>(b));
    return a;
}
std::string enc(const json::value& v) {
    std::string out;
    append_json(out, v);
    return out;
}
}  // namespace

TEST_CASE("sio encoder: each packet type, with and without namespace and ack id") {
    CHECK(encode({.type = packet_type::connect}) == "0");
    CHECK(encode({.type = packet_type::connect, .nsp = "/admin",
                  .data = json::object{{"sid", "oSO0OpakMV_3jnilAAAA"}}}) ==
          R"(0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"})");
    CHECK(encode({.type = packet_type::connect,
                  .data = json::parse(R"({"token":"123","nested":{"a":[1,{"b":null}]}})")}) ==
          R"(0{"token":"123","nested":{"a":[1,{"b":null}]}})");
    CHECK(encode({.type = packet_type::disconnect}) == "1");
    CHECK(encode({.type = packet_type::disconnect, .nsp = "/admin"}) == "1/admin,");
    CHECK(encode({.type = packet_type::event, .data = json::array{"foo"}}) == R"(2["foo"])");
    CHECK(encode({.type = packet_type::event, .nsp = "/admin", .id = 13, .data = json::array{"bar"}}) ==
          R"(2/admin,13["bar"])");
    CHECK(encode({.type = packet_type::event, .id = 12, .data = json::array{"foo"}}) == R"(212["foo"])");
    CHECK(encode({.type = packet_type::ack, .nsp = "/admin", .id = 13, .data = json::array{}}) == "3/admin,13[]");
    CHECK(encode({.type = packet_type::connect_error, .data = json::object{{"message", "Not authorized"}}}) ==
          R"(4{"message":"Not authorized"})");
    CHECK(encode({.type = packet_type::connect_error, .nsp = "/admin", .data = "plain string error"}) ==
          R"(4/admin,"plain string error")");
    // Ack id 0 is an id (the reference tests `null != id`); a non-ASCII namespace is
    // written verbatim.
    CHECK(encode({.type = packet_type::event, .nsp = "/\xc3\xbcn\xc3\xaf", .id = 0,
                  .data = json::array{"ev", json::object{{"k\n\x01", "v"}}}}) ==
          "2/\xc3\xbcn\xc3\xaf,0[\"ev\",{\"k\\n\\u0001\":\"v\"}]");
    // An empty namespace is the main one, as in the reference (`obj.nsp && ...`).
    CHECK(encode({.type = packet_type::event, .nsp = "", .data = json::array{"x"}}) == R"(2["x"])");
}

TEST_CASE("sio encoder: binary event and ack announce their attachments") {
    SUBCASE("one attachment") {
        packet p{.type = packet_type::event, .data = json::array{"baz"}};
        append_binary(p, bytes({1, 2, 3, 4}));
        std::string out;
        CHECK(encode_append(out, p) == 1);
        CHECK(out == R"(51-["baz",{"_placeholder":true,"num":0}])");
        REQUIRE(p.attachments.size() == 1);
        CHECK(p.attachments[0] == bytes({1, 2, 3, 4}));
    }
    SUBCASE("two attachments, namespace and ack id") {
        packet p{.type = packet_type::event, .nsp = "/admin", .id = 7, .data = json::array{"baz"}};
        append_binary(p, bytes({1, 2}));
        append_binary(p, bytes({3, 4}));
        std::string out;
        CHECK(encode_append(out, p) == 2);
        CHECK(out == R"(52-/admin,7["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
        CHECK(p.attachments[1] == bytes({3, 4}));
    }
    SUBCASE("binary ack") {
        packet p{.type = packet_type::ack, .id = 15, .data = json::array{"bar"}};
        append_binary(p, bytes({1, 2, 3, 4}));
        CHECK(encode(p) == R"(61-15["bar",{"_placeholder":true,"num":0}])");
    }
    SUBCASE("BINARY_* without attachments is written as the plain type") {
        // "50-" would be refused by every peer ("Illegal attachments").
        CHECK(encode({.type = packet_type::binary_event, .data = json::array{"a"}}) == R"(2["a"])");
        CHECK(encode({.type = packet_type::binary_ack, .id = 1, .data = json::array{}}) == "31[]");
    }
    SUBCASE("attachments of a non-event packet are neither announced nor counted") {
        packet p{.type = packet_type::connect, .data = json::object{}};
        p.attachments.push_back(bytes({9}));
        std::string out;
        CHECK(encode_append(out, p) == 0);
        CHECK(out == "0{}");
    }
}

TEST_CASE("sio encoder: the event hot path matches the generic encoder and appends") {
    json::array args{"Jude", 1, json::object{{"a", true}}};
    std::string fast = "4";  // Engine.IO message prefix already in the buffer
    encode_event_append(fast, "/", "hey", args);
    CHECK(fast == R"(42["hey","Jude",1,{"a":true}])");

    json::array full{"hey"};
    for (const auto& a : args) full.push_back(a);
    CHECK(fast.substr(1) == encode({.type = packet_type::event, .data = full}));

    std::string with_id;
    encode_event_append(with_id, "/chat", "m\"sg", {}, 42);
    CHECK(with_id == R"(2/chat,42["m\"sg"])");

    json::array bin_args;
    std::vector<attachment> atts;
    append_binary(bin_args, atts, bytes({0xff}));
    append_binary(bin_args, atts, std::span<const std::byte>{});
    std::string bin;
    encode_event_append(bin, "/", "up", bin_args, std::nullopt, atts.size());
    CHECK(bin == R"(52-["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
    CHECK(atts[1].empty());

    std::string ack;
    encode_ack_append(ack, "/admin", 13, json::array{"bar", nullptr});
    CHECK(ack == R"(3/admin,13["bar",null])");
    ack.clear();
    encode_ack_append(ack, "/", 0, {});
    CHECK(ack == "30[]");
    ack.clear();
    encode_ack_append(ack, "/", 15, bin_args, 2);
    CHECK(ack == R"(62-15[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
}

TEST_CASE("sio encoder: strings are escaped exactly as JSON.stringify does") {
    // Quote, backslash, the five short escapes, other C0 controls as lower-case \u00xx;
    // '/', DEL, U+2028/U+2029 and all other UTF-8 copied as is.
    const std::string s = std::string("q\"b\\s/\b\f\n\r\t") + '\0' +
                          "\x01\x1f\x7f\xe2\x80\xa8\xe2\x80\xa9\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    CHECK(encode({.type = packet_type::event, .data = json::array{"esc", json::string(s)}}) ==
          "2[\"esc\",\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0000\\u0001\\u001f\x7f\xe2\x80\xa8\xe2\x80\xa9"
          "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]");
    CHECK(enc("") == R"("")");
    CHECK(enc("plain ascii only") == R"("plain ascii only")");
    // Escapes in object keys too.
    CHECK(enc(json::object{{"a\"b", 1}}) == R"({"a\"b":1})");
}

TEST_CASE("sio encoder: bytes that are not UTF-8 become U+FFFD per maximal subpart") {
    // Expected values: new TextDecoder().decode(bytes) in Node, then JSON.stringify.
    CHECK(enc("a\xff" "b") == "\"a\xef\xbf\xbd" "b\"");
    CHECK(enc("\xe2\x82") == "\"\xef\xbf\xbd\"");                                    // truncated at end
    CHECK(enc("\xf0\x9f\x98" "A") == "\"\xef\xbf\xbd" "A\"");                         // truncated mid-string
    CHECK(enc("\xed\xa0\x80") == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");         // UTF-8 surrogate
    CHECK(enc("\xc0\xaf") == "\"\xef\xbf\xbd\xef\xbf\xbd\"");                         // overlong
    CHECK(enc("\xe0\x80\x80") == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");         // overlong
    CHECK(enc("\xf4\x90\x80\x80") == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // > U+10FFFF
    CHECK(enc("\xf4\x8f\xbf\xbf") == "\"\xf4\x8f\xbf\xbf\"");                         // U+10FFFF is fine
}

TEST_CASE("sio encoder: numbers are written as JavaScript writes them") {
    json::array nums{0, -0.0, 1, -1, 1.5, 0.1, 0.1 + 0.2, 1e21, 1e20, 123456789012345680000.0,
                     1e-6, 1e-7, 1.5e-7, 5e-324, 1.7976931348623157e308, -2.5e-10,
                     9007199254740992.0, 100.0, 1e300,
                     std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                     4.35, 0.000001234, 12345678.9};
    nums.insert(nums.begin(), "nums");
    CHECK(encode({.type = packet_type::event, .data = nums}) ==
          "2[\"nums\",0,0,1,-1,1.5,0.1,0.30000000000000004,1e+21,100000000000000000000,"
          "123456789012345680000,0.000001,1e-7,1.5e-7,5e-324,1.7976931348623157e+308,-2.5e-10,"
          "9007199254740992,100,1e+300,null,null,4.35,0.000001234,12345678.9]");
    CHECK(enc(-std::numeric_limits<double>::infinity()) == "null");
    CHECK(enc(-1e-7) == "-1e-7");
    CHECK(enc(-123.25) == "-123.25");
    // Integers are exact, even where a JavaScript peer will round them.
    CHECK(enc(std::numeric_limits<std::int64_t>::min()) == "-9223372036854775808");
    CHECK(enc(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
    CHECK(enc(true) == "true");
    CHECK(enc(nullptr) == "null");
}

TEST_CASE("sio encoder: array-index keys come first, in numeric order") {
    json::object o;
    o["b"] = 1;
    o["2"] = 2;
    o["a"] = json::array{true, false, nullptr};
    o["1"] = json::object{{"x", "y"}};
    o["01"] = 3;          // not canonical: ordinary key
    o["4294967295"] = 4;  // 2^32-1 is not an array index
    o["4294967294"] = 5;
    CHECK(encode({.type = packet_type::event, .data = json::array{"obj", o}}) ==
          R"(2["obj",{"1":{"x":"y"},"2":2,"4294967294":5,"b":1,"a":[true,false,null],"01":3,"4294967295":4}])");
    // Without such keys insertion order is kept, whatever the alphabet says.
    CHECK(enc(json::object{{"z", 1}, {"a", 2}, {"m", 3}}) == R"({"z":1,"a":2,"m":3})");
}

TEST_CASE("sio encoder: placeholders are written as the reference writes them") {
    CHECK(enc(make_placeholder(0)) == R"({"_placeholder":true,"num":0})");
    CHECK(enc(make_placeholder(12)) == R"({"_placeholder":true,"num":12})");
    // What we build we can read back (a uint64 num would be refused by placeholder_index).
    CHECK(placeholder_index(boost::json::value(make_placeholder(0))) == std::optional<std::size_t>(0));
    CHECK(placeholder_index(boost::json::value(make_placeholder(12))) == std::optional<std::size_t>(12));
}

TEST_CASE("sio encoder: appending reuses the caller's buffer") {
    std::string out;
    packet p{.type = packet_type::event, .data = json::array{"tick", 1}};
    encode_append(out, p);
    const auto cap = out.capacity();
    out.clear();
    encode_append(out, p);
    CHECK(out == R"(2["tick",1])");
    CHECK(out.capacity() == cap);
    encode_append(out, p);
    CHECK(out == R"(2["tick",1]2["tick",1])");
}
