// An event handler taking duet::io by value.
#include <duet/duet.hpp>
constexpr auto ev = duet::events(duet::of<"/chat">(duet::on<"shout">([](duet::socket&, duet::io io, std::string m) { io.emit("shout", m); })));
constexpr auto r = duet::routes();
int main() { return sizeof(duet::server<r, ev>) > 0 ? 0 : 1; }
