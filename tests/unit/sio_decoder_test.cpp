// Socket.IO v5 decoder: accepted packets field by field, every rejection with its
// error code, binary attachment sequencing, limits, and encoder round trips.
// Accept/reject decisions were checked against socket.io-parser 4.2.7's Decoder
// (differences are listed at the top of decoder.hpp and tested as such here).
#include <duet/sio/binary.hpp>
#include <duet/sio/decoder.hpp>
#include <duet/sio/encoder.hpp>

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace json = boost::json;
using namespace duet::sio;

namespace {
attachment bytes(std::initializer_list<int> v) {
    attachment a;
    for (int b : v) a.push_back(static_cast<std::byte>(b));
    return a;
}

// Decodes one text message that must complete a packet.
packet decode_ok(std::string_view text, decoder_options o = {}) {
    decoder d(o);
    const auto ec = d.feed_text(text);
    INFO("input: ", text, " -> ", ec.message());
    REQUIRE(!ec);
    REQUIRE(d.has_packet());
    return d.take_packet();
}

std::error_code decode_err(std::string_view text, decoder_options o = {}) {
    decoder d(o);
    auto ec = d.feed_text(text);
    CHECK(!d.has_packet());
    CHECK(d.pending_attachments() == 0);
    return ec;
}
}  // namespace

TEST_CASE("sio decoder: every type, with and without namespace and ack id") {
    struct row {
        std::string_view in;
        packet_type type;
        std::string_view nsp;
        std::optional<std::uint64_t> id;
        std::string_view data;  // JSON, "" for none
    };
    const row rows[] = {
        {"0", packet_type::connect, "/", {}, ""},
        {"0/admin,", packet_type::connect, "/admin", {}, ""},
        {"01", packet_type::connect, "/", 1, ""},  // the reference reads an id on any type
        {"0/admin", packet_type::connect, "/admin", {}, ""},  // no comma: rest is the namespace
        {R"(0{"token":"123"})", packet_type::connect, "/", {}, R"({"token":"123"})"},
        {R"(0/admin,{"token":"123"})", packet_type::connect, "/admin", {}, R"({"token":"123"})"},
        {"1", packet_type::disconnect, "/", {}, ""},
        {"1/admin,", packet_type::disconnect, "/admin", {}, ""},
        {R"(2["foo"])", packet_type::event, "/", {}, R"(["foo"])"},
        {R"(2/admin,["bar"])", packet_type::event, "/admin", {}, R"(["bar"])"},
        {R"(212["foo"])", packet_type::event, "/", 12, R"(["foo"])"},
        {R"(2/admin,13["bar",1,{"a":[null]}])", packet_type::event, "/admin", 13, R"(["bar",1,{"a":[null]}])"},
        {R"(20["x"])", packet_type::event, "/", 0, R"(["x"])"},
        {R"(2007["x"])", packet_type::event, "/", 7, R"(["x"])"},  // Number("007") == 7
        {R"(2[1,"numeric event name"])", packet_type::event, "/", {}, R"([1,"numeric event name"])"},
        {R"(2[-1.5])", packet_type::event, "/", {}, R"([-1.5])"},
        {R"(2["Connect"])", packet_type::event, "/", {}, R"(["Connect"])"},  // reserved names are case-sensitive
        {R"(2["ws"] )", packet_type::event, "/", {}, R"(["ws"])"},         // JSON.parse allows trailing blanks
        {"3/admin,13[]", packet_type::ack, "/admin", 13, "[]"},
        {R"(315["bar"])", packet_type::ack, "/", 15, R"(["bar"])"},
        {R"(4{"message":"Not authorized"})", packet_type::connect_error, "/", {}, R"({"message":"Not authorized"})"},
        {R"(4/admin,"plain")", packet_type::connect_error, "/admin", {}, R"("plain")"},
        {"2/\xc3\xbcn\xc3\xaf,0[\"\xe2\x82\xac\"]", packet_type::event, "/\xc3\xbcn\xc3\xaf", 0, "[\"\xe2\x82\xac\"]"},
        {R"(2/,["explicit main"])", packet_type::event, "/", {}, R"(["explicit main"])"},
        {R"(29007199254740991["max id"])", packet_type::event, "/", max_ack_id, R"(["max id"])"},
    };
    for (const auto& r : rows) {
        INFO("input: ", r.in);
        const packet p = decode_ok(r.in);
        CHECK(p.type == r.type);
        CHECK(p.nsp == r.nsp);
        CHECK(p.id == r.id);
        if (r.data.empty()) CHECK(p.data.is_null());
        else CHECK(p.data == json::parse(r.data));
        CHECK(p.attachments.empty());
    }
}

TEST_CASE("sio decoder: malformed headers are refused") {
    CHECK(decode_err("") == error::empty_packet);
    CHECK(decode_err("7") == error::unknown_packet_type);
    CHECK(decode_err("9[\"a\"]") == error::unknown_packet_type);
    CHECK(decode_err("a[\"a\"]") == error::unknown_packet_type);
    CHECK(decode_err("-1") == error::unknown_packet_type);
    CHECK(decode_err(" 2[\"a\"]") == error::unknown_packet_type);
    CHECK(decode_err(std::string_view("\0", 1)) == error::unknown_packet_type);

    // Attachment count: digits then '-', at least 1.
    CHECK(decode_err("5") == error::invalid_attachments);
    CHECK(decode_err("6") == error::invalid_attachments);
    CHECK(decode_err("51") == error::invalid_attachments);           // no '-'
    CHECK(decode_err(R"(5["a"])") == error::invalid_attachments);    // no count
    CHECK(decode_err(R"(5-["a"])") == error::invalid_attachments);   // empty count
    CHECK(decode_err(R"(50-["a"])") == error::invalid_attachments);  // zero
    CHECK(decode_err(R"(5x-["a"])") == error::invalid_attachments);
    CHECK(decode_err(R"(5 1-["a"])") == error::invalid_attachments);
    CHECK(decode_err(R"(5+1-["a"])") == error::invalid_attachments);
    CHECK(decode_err(R"(61["a"])") == error::invalid_attachments);   // "1[..." is not a count
    CHECK(decode_err(R"(511-["a"])") == error::too_many_attachments);
    CHECK(decode_err(R"(599999999999999999999999999999-["a"])") == error::too_many_attachments);
    // Too many wins over a later bad character only when the count itself is valid.
    CHECK(decode_err(R"(599x-["a"])") == error::invalid_attachments);

    // Blanks before the payload: the reference reads them as the ack id (Number(" ")
    // is 0), so the packet is refused rather than read without an id.
    CHECK(decode_err(R"(2 ["a"])") == error::invalid_ack_id);
    CHECK(decode_err("2/admin,\t[\"a\"]") == error::invalid_ack_id);
    CHECK(decode_err(R"(21 ["a"])") == error::invalid_ack_id);
    CHECK(decode_err("1/admin, ") == error::invalid_ack_id);

    // Ack ids beyond Number.MAX_SAFE_INTEGER.
    CHECK(decode_err(R"(29007199254740992["a"])") == error::invalid_ack_id);
    CHECK(decode_err(R"(2/a,99999999999999999999999999["a"])") == error::invalid_ack_id);

    // A namespace must start with '/': otherwise the rest is read as the payload, as
    // in the reference, and is not JSON.
    CHECK(decode_err(R"(2admin,["a"])") == error::invalid_json);
}

TEST_CASE("sio decoder: payloads must be valid JSON of the right shape") {
    // Not JSON.
    CHECK(decode_err(R"(2["a")") == error::invalid_json);
    CHECK(decode_err(R"(2["a"]x)") == error::invalid_json);
    CHECK(decode_err(R"(2["a",])") == error::invalid_json);
    CHECK(decode_err(R"(2["a"]/*c*/)") == error::invalid_json);
    CHECK(decode_err(R"(2['a'])") == error::invalid_json);
    CHECK(decode_err(std::string_view("2[\"a\"]\0", 7)) == error::invalid_json);
    CHECK(decode_err("2[\"\xff\"]") == error::invalid_json);  // not UTF-8
    CHECK(decode_err("0{") == error::invalid_json);

    // Wrong shape for the type.
    CHECK(decode_err("0[]") == error::invalid_payload);
    CHECK(decode_err(R"(0"s")") == error::invalid_payload);
    CHECK(decode_err("0null") == error::invalid_payload);
    CHECK(decode_err("1{}") == error::invalid_payload);
    CHECK(decode_err("1/admin,{}") == error::invalid_payload);
    CHECK(decode_err("1/admin,3[]") == error::invalid_payload);
    CHECK(decode_err("2") == error::invalid_payload);          // payload is mandatory
    CHECK(decode_err("2/admin,") == error::invalid_payload);
    CHECK(decode_err("212") == error::invalid_payload);
    CHECK(decode_err("2[]") == error::invalid_payload);        // non-empty
    CHECK(decode_err("2{}") == error::invalid_payload);
    CHECK(decode_err(R"(2"ev")") == error::invalid_payload);
    CHECK(decode_err("2[null]") == error::invalid_payload);
    CHECK(decode_err("2[true]") == error::invalid_payload);
    CHECK(decode_err("2[{}]") == error::invalid_payload);
    CHECK(decode_err(R"(2[["a"]])") == error::invalid_payload);
    CHECK(decode_err("3") == error::invalid_payload);
    CHECK(decode_err("31") == error::invalid_payload);
    CHECK(decode_err("3{}") == error::invalid_payload);
    CHECK(decode_err(R"(3"x")") == error::invalid_payload);
    CHECK(decode_err("4") == error::invalid_payload);
    CHECK(decode_err("412") == error::invalid_payload);
    CHECK(decode_err("4[]") == error::invalid_payload);
    CHECK(decode_err("42") == error::invalid_payload);         // id 2, no payload
    CHECK(decode_err("4null") == error::invalid_payload);
    CHECK(decode_err(R"(51-{"_placeholder":true,"num":0})") == error::invalid_payload);
    CHECK(decode_err(R"(61-1{"_placeholder":true,"num":0})") == error::invalid_payload);
}

TEST_CASE("sio decoder: reserved event names are refused, in EVENT and BINARY_EVENT") {
    for (const char* name : {"connect", "connect_error", "disconnect", "disconnecting", "newListener",
                             "removeListener"}) {
        INFO(name);
        CHECK(decode_err(std::string("2[\"") + name + "\"]") == error::reserved_event_name);
        CHECK(decode_err(std::string("2/admin,5[\"") + name + "\",1]") == error::reserved_event_name);
        CHECK(decode_err(std::string("51-[\"") + name + R"(",{"_placeholder":true,"num":0}])") ==
              error::reserved_event_name);
        // As an ACK argument a reserved name is just data.
        CHECK(decode_ok(std::string("31[\"") + name + "\"]").type == packet_type::ack);
    }
    CHECK(is_reserved_event_name("disconnect"));
    CHECK_FALSE(is_reserved_event_name("disconnected"));
}

TEST_CASE("sio decoder: JSON depth and message size are bounded") {
    auto nested = [](int depth) {  // ["a", [[...]]] with `depth` levels in total
        return "2[\"a\"," + std::string(static_cast<std::size_t>(depth - 1), '[') +
               std::string(static_cast<std::size_t>(depth - 1), ']') + "]";
    };
    CHECK(decode_ok(nested(32)).data.get_array().size() == 2);
    CHECK(decode_err(nested(33)) == error::json_too_deep);
    CHECK(decode_err(nested(100000)) == error::json_too_deep);  // no stack exhaustion
    decoder_options shallow;
    shallow.max_depth = 2;
    CHECK(decode_ok(R"(2["a",{"b":1}])", shallow).data.get_array().size() == 2);
    CHECK(decode_err(R"(2["a",{"b":[1]}])", shallow) == error::json_too_deep);
    CHECK(decode_err(R"(0{"a":{"b":{}}})", shallow) == error::json_too_deep);

    decoder_options small;
    small.max_text_size = 16;
    CHECK(decode_ok(R"(2["0123456789a"])", small).data.get_array()[0] == "0123456789a");  // 16 bytes
    CHECK(decode_err(R"(2["0123456789ab"])", small) == error::packet_too_large);         // 17 bytes
}

TEST_CASE("sio decoder: numbers are read exactly as JSON.parse reads them") {
    // Boost.JSON 1.81's own conversion is one ulp off for these (and ~1 number in 7);
    // the decoder re-reads doubles with std::from_chars, so they echo back unchanged.
    const std::string_view text = "2[2.3626711020495984e-17,-6.743200680820317e+288,"
                                  "-2.1884381662050573e-100,6.348353781593963e-24,0.1,4.35]";
    const packet p = decode_ok(text);
    CHECK(p.data.get_array()[0].get_double() == 2.3626711020495984e-17);
    CHECK(p.data.get_array()[1].get_double() == -6.743200680820317e+288);
    CHECK(encode(p) == text);
    // Integers stay integers; beyond 64 bits and out of range they are doubles as in
    // JavaScript (1e400 is Infinity, 1e-400 is 0).
    const packet q = decode_ok(R"(2[9223372036854775807,-9223372036854775808,18446744073709551615,)"
                               R"(18446744073709551616,1e400,-1e400,1e-400,-0])");
    const auto& a = q.data.get_array();
    CHECK(a[0].get_int64() == 9223372036854775807);
    CHECK(a[2].get_uint64() == 18446744073709551615u);
    CHECK(a[3].get_double() == 18446744073709551616.0);
    CHECK(a[4].get_double() == std::numeric_limits<double>::infinity());
    CHECK(a[5].get_double() == -std::numeric_limits<double>::infinity());
    CHECK(a[6].get_double() == 0.0);
    CHECK(encode(q) == R"(2[9223372036854775807,-9223372036854775808,18446744073709551615,)"
                       R"(18446744073709552000,null,null,0,0])");
}

TEST_CASE("sio decoder: lone surrogate escapes become U+FFFD, valid pairs are kept") {
    CHECK(decode_ok(R"(2["a\ud800"])").data.get_array()[0] == "a\xef\xbf\xbd");
    CHECK(decode_ok(R"(2["\udc00\ud800x"])").data.get_array()[0] == "\xef\xbf\xbd\xef\xbf\xbdx");
    CHECK(decode_ok(R"(2["\uD83D\uDE00"])").data.get_array()[0] == "\xf0\x9f\x98\x80");
    CHECK(decode_ok(R"(2["\ud83d\ud83d\ude00"])").data.get_array()[0] == "\xef\xbf\xbd\xf0\x9f\x98\x80");
    CHECK(decode_ok(R"(2["e",{"k\ud800":"\ude00"}])").data.get_array()[1] ==
          json::object{{"k\xef\xbf\xbd", "\xef\xbf\xbd"}});
    // An escaped backslash followed by "ud800" is plain text, not an escape.
    CHECK(decode_ok(R"(2["\\ud800"])").data.get_array()[0] == "\\ud800");
    // A truncated escape stays invalid JSON.
    CHECK(decode_err(R"(2["\ud8"])") == error::invalid_json);
    CHECK(decode_err(R"(2["\ud800\u"])") == error::invalid_json);

    // The rewrite does not copy unless it must.
    std::string scratch;
    const std::string_view clean = R"(["a\n\u00e9\ud83d\ude00"])";
    CHECK(detail::replace_lone_surrogates(clean, scratch).data() == clean.data());
    CHECK(detail::replace_lone_surrogates(R"(["\ud800"])", scratch) == R"(["\ufffd"])");
}

TEST_CASE("sio decoder: BINARY_EVENT collects its attachments, then is an EVENT") {
    decoder d;
    REQUIRE(!d.feed_text(R"(51-["baz",{"_placeholder":true,"num":0}])"));
    CHECK_FALSE(d.has_packet());
    CHECK(d.pending_attachments() == 1);
    const attachment payload = bytes({1, 2, 3, 4});
    REQUIRE(!d.feed_binary(std::span<const std::byte>(payload)));
    REQUIRE(d.has_packet());
    CHECK(d.pending_attachments() == 0);
    const packet p = d.take_packet();
    CHECK_FALSE(d.has_packet());
    CHECK(p.type == packet_type::event);
    CHECK(p.nsp == "/");
    CHECK_FALSE(p.id);
    REQUIRE(p.attachments.size() == 1);
    CHECK(p.attachments[0] == payload);
    const auto* bin = resolve_placeholder(p.data.get_array()[1], p.attachments);
    REQUIRE(bin);
    CHECK(*bin == payload);
}

TEST_CASE("sio decoder: two attachments with namespace, ack id, nesting, and a BINARY_ACK") {
    decoder d;
    REQUIRE(!d.feed_text(
        R"(52-/admin,7["baz",{"list":[{"_placeholder":true,"num":1}]},{"_placeholder":true,"num":0}])"));
    REQUIRE(!d.feed_binary(bytes({1, 2})));
    CHECK_FALSE(d.has_packet());
    CHECK(d.pending_attachments() == 1);
    REQUIRE(!d.feed_binary(bytes({})));  // empty buffers are legitimate attachments
    REQUIRE(d.has_packet());
    packet p = d.take_packet();
    CHECK(p.type == packet_type::event);
    CHECK(p.nsp == "/admin");
    CHECK(p.id == 7u);
    const auto& args = p.data.get_array();
    CHECK(*resolve_placeholder(args[2], p.attachments) == bytes({1, 2}));
    CHECK(resolve_placeholder(args[1].at("list").at(0), p.attachments)->empty());

    REQUIRE(!d.feed_text(R"(61-15["bar",{"_placeholder":true,"num":0}])"));
    REQUIRE(!d.feed_binary(bytes({9})));
    REQUIRE(d.has_packet());
    p = d.take_packet();
    CHECK(p.type == packet_type::ack);
    CHECK(p.id == 15u);
    CHECK(p.attachments == std::vector<attachment>{bytes({9})});
}

TEST_CASE("sio decoder: the attachment buffer is taken, not copied, when moved in") {
    decoder d;
    REQUIRE(!d.feed_text(R"(51-["up",{"_placeholder":true,"num":0}])"));
    attachment big(4096, std::byte{7});
    const std::byte* where = big.data();
    REQUIRE(!d.feed_binary(std::move(big)));
    CHECK(d.take_packet().attachments[0].data() == where);
}

TEST_CASE("sio decoder: a decoder moved mid-packet carries on") {
    static_assert(std::is_nothrow_move_constructible_v<decoder>);
    decoder a;
    REQUIRE(!a.feed_text(R"(51-/x,4["m",{"_placeholder":true,"num":0}])"));
    decoder b = std::move(a);
    CHECK(b.pending_attachments() == 1);
    REQUIRE(!b.feed_binary(bytes({3})));
    REQUIRE(b.has_packet());
    const packet p = b.take_packet();
    CHECK(p.nsp == "/x");
    CHECK(p.id == 4u);
    CHECK(p.attachments[0] == bytes({3}));
}

TEST_CASE("sio decoder: messages out of sequence are refused") {
    decoder d;
    CHECK(d.feed_binary(bytes({1})) == error::unexpected_binary);

    REQUIRE(!d.feed_text(R"(2["a"])"));
    CHECK(d.feed_binary(bytes({1})) == error::unexpected_binary);  // complete packet needs no bytes
    CHECK_FALSE(d.has_packet());                                   // and the error resets

    REQUIRE(!d.feed_text(R"(52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"));
    REQUIRE(!d.feed_binary(bytes({1})));
    CHECK(d.feed_text(R"(2["b"])") == error::unexpected_text);
    CHECK(d.pending_attachments() == 0);
    // After the reset the decoder is usable again (the session will have closed, but
    // the state must not leak into a new packet).
    REQUIRE(!d.feed_text(R"(2["c"])"));
    CHECK(d.take_packet().data == json::array{"c"});
    CHECK(d.feed_binary(bytes({2})) == error::unexpected_binary);

    // An untaken packet is dropped by the next text message.
    REQUIRE(!d.feed_text(R"(2["first"])"));
    REQUIRE(!d.feed_text(R"(2["second"])"));
    CHECK(d.take_packet().data == json::array{"second"});

    // reset() drops a half-collected packet.
    REQUIRE(!d.feed_text(R"(51-["a",{"_placeholder":true,"num":0}])"));
    d.reset();
    CHECK(d.feed_binary(bytes({1})) == error::unexpected_binary);
}

TEST_CASE("sio decoder: placeholders must name an existing attachment") {
    auto ph = [](std::string_view num) {
        return std::string(R"(52-["a",{"_placeholder":true,"num":)") + std::string(num) + "}]";
    };
    CHECK(decode_err(ph("2")) == error::invalid_placeholder);
    CHECK(decode_err(ph("-1")) == error::invalid_placeholder);
    CHECK(decode_err(ph("0.5")) == error::invalid_placeholder);
    CHECK(decode_err(ph(R"("0")")) == error::invalid_placeholder);
    CHECK(decode_err(ph("null")) == error::invalid_placeholder);
    CHECK(decode_err(ph("18446744073709551615")) == error::invalid_placeholder);
    CHECK(decode_err(ph("1e300")) == error::invalid_placeholder);
    CHECK(decode_err(R"(51-["a",{"_placeholder":true}])") == error::invalid_placeholder);
    CHECK(decode_err(R"(51-["a",[[{"x":{"_placeholder":true,"num":1}}]]])") == error::invalid_placeholder);

    // A JavaScript number that is an integer is fine in any spelling.
    for (const char* num : {"1", "1.0", "1e0", "0.1e1"}) {
        INFO(num);
        decoder d;
        REQUIRE(!d.feed_text(ph(num)));
        REQUIRE(!d.feed_binary(bytes({0})));
        REQUIRE(!d.feed_binary(bytes({1})));
        const packet p = d.take_packet();
        CHECK(*resolve_placeholder(p.data.get_array()[1], p.attachments) == bytes({1}));
    }

    // "_placeholder" must be the boolean true to count; otherwise it is plain data.
    decoder d;
    REQUIRE(!d.feed_text(R"(51-["a",{"_placeholder":1,"num":9},{"_placeholder":"true"},{"_placeholder":true,"num":0}])"));
    REQUIRE(!d.feed_binary(bytes({5})));
    const packet p = d.take_packet();
    CHECK(resolve_placeholder(p.data.get_array()[1], p.attachments) == nullptr);
    CHECK_FALSE(is_placeholder(p.data.get_array()[2]));

    // A placeholder is a leaf: its other members are not searched.
    CHECK(!check_placeholders(json::parse(R"({"_placeholder":true,"num":0,"x":{"_placeholder":true,"num":7}})"), 1));

    // In a plain EVENT a placeholder-looking object is data (the reference does not
    // reconstruct non-binary packets) and resolves to nothing.
    const packet plain = decode_ok(R"(2["a",{"_placeholder":true,"num":0}])");
    CHECK(plain.attachments.empty());
    CHECK(is_placeholder(plain.data.get_array()[1]));
    CHECK(resolve_placeholder(plain.data.get_array()[1], plain.attachments) == nullptr);
}

TEST_CASE("sio decoder: attachment count and size limits") {
    // Ten attachments (the default maximum) are accepted.
    std::string ten = "510-[\"many\"";
    for (int i = 0; i < 10; ++i) ten += R"(,{"_placeholder":true,"num":)" + std::to_string(i) + "}";
    ten += "]";
    decoder d;
    REQUIRE(!d.feed_text(ten));
    for (int i = 0; i < 10; ++i) REQUIRE(!d.feed_binary(bytes({i})));
    CHECK(d.take_packet().attachments.size() == 10);

    decoder_options two;
    two.max_attachments = 2;
    CHECK(decode_err(R"(53-["a"])", two) == error::too_many_attachments);

    decoder_options tiny;
    tiny.max_attachment_bytes = 5;
    decoder t(tiny);
    REQUIRE(!t.feed_text(R"(52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"));
    REQUIRE(!t.feed_binary(bytes({1, 2, 3})));
    CHECK(t.feed_binary(bytes({4, 5, 6})) == error::attachments_too_large);  // 6 > 5 in total
    CHECK(t.feed_binary(bytes({1})) == error::unexpected_binary);           // and it was reset

    REQUIRE(!t.feed_text(R"(52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"));
    REQUIRE(!t.feed_binary(bytes({1, 2, 3})));
    REQUIRE(!t.feed_binary(bytes({4, 5})));  // exactly 5
    CHECK(t.has_packet());
}

TEST_CASE("sio codec: binary packets round-trip through encoder and decoder") {
    for (std::size_t count : {1u, 2u}) {
        INFO("attachments: ", count);
        packet out{.type = packet_type::event, .nsp = "/files", .id = 99, .data = json::array{"upload"}};
        for (std::size_t i = 0; i < count; ++i)
            append_binary(out, bytes({static_cast<int>(i), 0xff, 0x00, 0x80}));
        out.data.get_array().push_back(json::object{{"name", "f\xc3\xa9.bin"}});

        std::string text;
        const std::size_t n = encode_append(text, out);
        CHECK(n == count);
        CHECK(text.substr(0, 3) == (count == 1 ? "51-" : "52-"));

        decoder d;
        REQUIRE(!d.feed_text(text));
        for (std::size_t i = 0; i < n; ++i) REQUIRE(!d.feed_binary(std::span<const std::byte>(out.attachments[i])));
        REQUIRE(d.has_packet());
        const packet in = d.take_packet();
        CHECK(in.type == packet_type::event);
        CHECK(in.nsp == out.nsp);
        CHECK(in.id == out.id);
        CHECK(in.data == out.data);
        CHECK(in.attachments == out.attachments);
        // And back to the same bytes.
        CHECK(encode(in) == text);
    }

    // A binary ack in the server -> client direction, decoded as a client would.
    packet ack{.type = packet_type::ack, .id = 3, .data = json::array{}};
    append_binary(ack, bytes({0xde, 0xad}));
    std::string text;
    REQUIRE(encode_append(text, ack) == 1);
    CHECK(text == R"(61-3[{"_placeholder":true,"num":0}])");
    decoder d;
    REQUIRE(!d.feed_text(text));
    REQUIRE(!d.feed_binary(ack.attachments[0]));
    const packet in = d.take_packet();
    CHECK(in.type == packet_type::ack);
    CHECK(*resolve_placeholder(in.data.get_array()[0], in.attachments) == bytes({0xde, 0xad}));
}

TEST_CASE("sio codec: decoding then encoding gives the reference's bytes back") {
    for (std::string_view s : {
             std::string_view("0"), std::string_view("0/admin,"),
             std::string_view(R"(0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"})"), std::string_view("1/admin,"),
             std::string_view(R"(2["foo"])"), std::string_view(R"(2/admin,13["bar"])"),
             std::string_view("3/admin,13[]"), std::string_view(R"(4{"message":"Not authorized"})"),
             std::string_view(R"(2["nums",0.30000000000000004,1e+21,1e-7,-2.5e-10,100000000000000000000])"),
             std::string_view(R"(2["obj",{"1":{"x":"y"},"2":2,"b":1,"a":[true,false,null],"01":3}])"),
             std::string_view("2[\"esc\",\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0000\\u001f\x7f\xe2\x80\xa8\"]"),
         }) {
        INFO(s);
        CHECK(encode(decode_ok(s)) == s);
    }
    // Key order is JavaScript's even when the input had another one.
    CHECK(encode(decode_ok(R"(2["o",{"b":1,"10":2,"2":3}])")) == R"(2["o",{"2":3,"10":2,"b":1}])");
}

TEST_CASE("sio parse_header: fields are views into the message") {
    const std::string msg = R"(52-/admin,7["x"])";
    packet_header h;
    REQUIRE(!parse_header(msg, h));
    CHECK(h.type == packet_type::binary_event);
    CHECK(h.attachments == 2);
    CHECK(h.nsp == "/admin");
    CHECK(h.nsp.data() == msg.data() + 3);
    CHECK(h.id == 7u);
    CHECK(h.payload == R"(["x"])");
    CHECK(h.payload.data() == msg.data() + 11);

    // The limit is a parameter of the pure function too; a huge count is "too many"
    // even when the limit is near SIZE_MAX (no wrap-around to a small count).
    CHECK(parse_header(R"(53-["x"])", h, 2) == error::too_many_attachments);
    CHECK(parse_header(R"(5184467440737095516161-["x"])", h, SIZE_MAX) == error::too_many_attachments);
    CHECK(parse_header(R"(518446744073709551615-["x"])", h, SIZE_MAX) == std::error_code{});
    CHECK(h.attachments == SIZE_MAX);
    REQUIRE(!parse_header("1/a", h));
    CHECK(h.nsp == "/a");
    CHECK(h.payload.empty());
    CHECK_FALSE(h.id);
}

TEST_CASE("sio validate_payload: shapes per type") {
    const json::value obj = json::object{}, arr = json::array{}, str = "s", ev = json::array{"e"};
    CHECK(!validate_payload(packet_type::connect, nullptr));
    CHECK(!validate_payload(packet_type::connect, &obj));
    CHECK(validate_payload(packet_type::connect, &arr) == error::invalid_payload);
    CHECK(!validate_payload(packet_type::disconnect, nullptr));
    CHECK(validate_payload(packet_type::disconnect, &obj) == error::invalid_payload);
    CHECK(!validate_payload(packet_type::connect_error, &str));
    CHECK(!validate_payload(packet_type::connect_error, &obj));
    CHECK(validate_payload(packet_type::connect_error, nullptr) == error::invalid_payload);
    CHECK(!validate_payload(packet_type::binary_event, &ev));
    CHECK(validate_payload(packet_type::binary_event, &arr) == error::invalid_payload);
    CHECK(!validate_payload(packet_type::binary_ack, &arr));
    CHECK(validate_payload(packet_type::ack, &obj) == error::invalid_payload);
}

TEST_CASE("sio error codes: category, messages and comparison") {
    const std::error_code ec = error::invalid_placeholder;
    CHECK(ec.category() == sio_category());
    CHECK(std::string(sio_category().name()) == "duet.sio");
    CHECK(ec.message() == "illegal attachment placeholder");
    CHECK(ec == error::invalid_placeholder);
    CHECK(ec != error::invalid_payload);
    CHECK(is_decode_error(ec));
    CHECK_FALSE(is_decode_error(std::error_code{}));
    CHECK_FALSE(is_decode_error(std::make_error_code(std::errc::invalid_argument)));
    for (int e = static_cast<int>(error::empty_packet); e <= static_cast<int>(error::attachments_too_large); ++e)
        CHECK(sio_category().message(e) != "unknown duet.sio error");
}
