// A mounted table is checked like the server's own: a handler missing the pattern's
// parameter is reported with the route's pattern.
#include <duet/duet.hpp>
constexpr auto api = duet::routes(duet::get<"/users/:id">([](duet::response&) {}));
constexpr auto r = duet::routes(duet::use<"/api">(api));
int main() { return sizeof(duet::server<r>) > 0 ? 0 : 1; }
