// A handler taking duet::response by value would answer a copy (an empty 200).
#include <duet/duet.hpp>
constexpr auto r = duet::routes(duet::get<"/users/:id">([](duet::request&, duet::response res, int) { res.send("x"); }));
int main() { return sizeof(duet::server<r>) > 0 ? 0 : 1; }
