// A plain WebSocket endpoint path takes no parameters.
#include <duet/duet.hpp>
struct h { template <class S> void on_message(S&, bool, std::span<const std::byte>) {} };
constexpr auto r = duet::routes(duet::websocket<"/ws/:room", h>);
int main() { return sizeof(duet::server<r>) > 0 ? 0 : 1; }
