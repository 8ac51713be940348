// An event handler taking duet::socket by value.
#include <duet/duet.hpp>
constexpr auto ev = duet::events(duet::of<"/">(duet::on<"join">([](duet::socket s, std::string room) { s.join(room); })));
constexpr auto r = duet::routes();
int main() { return sizeof(duet::server<r, ev>) > 0 ? 0 : 1; }
