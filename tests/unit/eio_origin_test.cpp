// eio/options.hpp origin_in_list: the origin check of the Engine.IO handshake (another
// site's page must not open a socket with the user's cookies) and of CORS.
#include <doctest/doctest.h>

#include <duet/eio/options.hpp>

using duet::eio::origin_in_list;

TEST_CASE("an origin is allowed only when it is exactly in the list") {
    const std::string_view list = "https://app.example, http://localhost:3000";
    CHECK(origin_in_list(list, "https://app.example"));
    CHECK(origin_in_list(list, "http://localhost:3000"));
    CHECK_FALSE(origin_in_list(list, "http://localhost:3001"));          // other port
    CHECK_FALSE(origin_in_list(list, "https://app.example.evil.com"));   // suffix trick
    CHECK_FALSE(origin_in_list(list, "https://evil.com/https://app.example"));
    CHECK_FALSE(origin_in_list(list, "http://app.example"));             // other scheme
    CHECK_FALSE(origin_in_list(list, "HTTPS://APP.EXAMPLE"));            // browsers send lower case
    CHECK_FALSE(origin_in_list(list, ""));
    CHECK_FALSE(origin_in_list(list, "null"));                           // sandboxed/file pages
    CHECK_FALSE(origin_in_list("", "https://app.example"));
    CHECK(origin_in_list("*", "https://anything.example"));
    CHECK(origin_in_list(" https://a.example ,,https://b.example", "https://b.example"));
}
