// The ack of a duet::on_server_side_emit handler carries one value: the other server
// receives only the first.
#include <duet/duet.hpp>
constexpr auto ev = duet::events(
    duet::of<"/">(duet::on_server_side_emit<"ping">([](duet::io&, duet::ack<std::string, int>) {})));
constexpr auto r = duet::routes();
int main() { return sizeof(duet::server<r, ev>) > 0 ? 0 : 1; }
