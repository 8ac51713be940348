// A handler taking duet::request by value.
#include <duet/duet.hpp>
constexpr auto r = duet::routes(duet::post<"/items">([](duet::request req, duet::response& res) { res.send(req.body()); }));
int main() { return sizeof(duet::server<r>) > 0 ? 0 : 1; }
