// An HTTP handler taking the server-provided duet::io by value.
#include <duet/duet.hpp>
constexpr auto ev = duet::events(duet::of<"/">(duet::on<"ping">([](duet::socket&) {})));
constexpr auto r = duet::routes(duet::post<"/notify">([](duet::response& res, duet::io io) { io.emit("n"); res.status(204); }));
int main() { return sizeof(duet::server<r, ev>) > 0 ? 0 : 1; }
