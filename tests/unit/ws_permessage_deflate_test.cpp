// ws/permessage_deflate.hpp: RFC 7692 offers as real clients send them, several offers,
// and every way an offer must be declined (§5: unknown, repeated or invalid parameters),
// and the 101's extension line byte for byte.
#include <doctest/doctest.h>

#include <duet/ws/permessage_deflate.hpp>

using namespace duet::ws;

namespace {
std::string line(const deflate_params& p) {
    std::string out;
    append_extension_header(out, p);
    return out;
}
}  // namespace

TEST_CASE("permessage-deflate: what browsers and the ws client offer") {
    // Chrome and the npm ws client.
    auto p = negotiate_permessage_deflate("permessage-deflate; client_max_window_bits");
    REQUIRE(p);
    CHECK(*p == deflate_params{});
    CHECK(line(*p) == "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n");
    // With a policy the client's window is capped (it offered the parameter).
    p = negotiate_permessage_deflate("permessage-deflate; client_max_window_bits", {.client_max_window_bits = 10});
    REQUIRE(p);
    CHECK(p->client_max_window_bits == 10);
    CHECK(line(*p) ==
          "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=10\r\n");
    // Firefox / Safari: no parameter, so the client's window cannot be capped.
    p = negotiate_permessage_deflate("permessage-deflate", {.client_max_window_bits = 10});
    REQUIRE(p);
    CHECK(p->client_max_window_bits == 15);
    // No offer, or another extension only.
    CHECK_FALSE(negotiate_permessage_deflate(""));
    CHECK_FALSE(negotiate_permessage_deflate("x-webkit-deflate-frame"));
}

TEST_CASE("permessage-deflate: parameters the server accepts") {
    auto p = negotiate_permessage_deflate(
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; "
        "client_max_window_bits=12",
        {.client_max_window_bits = 13});
    REQUIRE(p);
    CHECK(p->client_no_context_takeover);
    CHECK(p->server_max_window_bits == 10);
    CHECK(p->client_max_window_bits == 12);  // the smaller of the client's and the policy's
    CHECK(line(*p) ==
          "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
          "server_max_window_bits=10; client_max_window_bits=12\r\n");
    // Quoted values, odd case and blanks.
    p = negotiate_permessage_deflate("  Permessage-Deflate ;  Server_Max_Window_Bits = \"9\" ; client_max_window_bits");
    REQUIRE(p);
    CHECK(p->server_max_window_bits == 9);
}

TEST_CASE("permessage-deflate: client_no_context_takeover answered unilaterally when the policy asks (RFC 7692 7.1.1.2)") {
    // A browser's offer without the parameter: answered anyway, so the client deflates
    // every message alone and the server keeps no inflate window for it.
    auto p = negotiate_permessage_deflate("permessage-deflate; client_max_window_bits", {.client_no_context_takeover = true});
    REQUIRE(p);
    CHECK(p->client_no_context_takeover);
    CHECK(line(*p) == "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n");
    // Without the policy it is answered only when offered.
    p = negotiate_permessage_deflate("permessage-deflate; client_max_window_bits");
    REQUIRE(p);
    CHECK_FALSE(p->client_no_context_takeover);
}

TEST_CASE("permessage-deflate: an invalid offer is declined and the next one tried") {
    const char* declined[] = {
        "permessage-deflate; server_max_window_bits=8",     // zlib cannot deflate with 8 bits
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",   // no leading zero
        "permessage-deflate; server_max_window_bits",       // needs a value
        "permessage-deflate; client_max_window_bits=7",
        "permessage-deflate; server_no_context_takeover=1", // takes no value
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover",  // repeated
        "permessage-deflate; x_unknown",
        "permessage-deflate; ;",
        "permessage-deflate; server_max_window_bits=\"1\"0",
    };
    for (const char* offer : declined) {
        CAPTURE(offer);
        CHECK_FALSE(negotiate_permessage_deflate(offer));
        // Followed by a plain offer, that one is taken.
        auto p = negotiate_permessage_deflate(std::string(offer) + ", permessage-deflate");
        REQUIRE(p);
        CHECK(*p == deflate_params{});
    }
    // A comma inside a quoted value does not split the offer.
    CHECK_FALSE(negotiate_permessage_deflate("permessage-deflate; server_max_window_bits=\"9,\""));
    static_assert(negotiate_permessage_deflate("permessage-deflate; server_max_window_bits=11")->server_max_window_bits == 11);
}
