// A duet::on_server_side_emit handler cannot take duet::socket&: the message comes
// from another server, not from a client.
#include <duet/duet.hpp>
constexpr auto ev = duet::events(
    duet::of<"/">(duet::on_server_side_emit<"greet">([](duet::socket&, std::string, duet::ack<bool>) {})));
constexpr auto r = duet::routes();
int main() { return sizeof(duet::server<r, ev>) > 0 ? 0 : 1; }
