// A middleware taking duet::response by value.
#include <duet/duet.hpp>
constexpr auto r = duet::routes(duet::use<"/api">([](duet::request&, duet::response res) { res.set("X-A", "1"); }),
                                duet::get<"/api/x">([](duet::response& res) { res.send("x"); }));
int main() { return sizeof(duet::server<r>) > 0 ? 0 : 1; }
