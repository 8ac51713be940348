// A routes table mounted under a prefix with its own on_error entry: errors are the
// server's table's business.
#include <duet/duet.hpp>
constexpr auto api = duet::routes(duet::get<"/users/:id">([](duet::response&, int) {}),
                                  duet::on_error([](const duet::handler_error&, duet::response&) {}));
constexpr auto r = duet::routes(duet::use<"/api">(api));
int main() { return sizeof(duet::server<r>) > 0 ? 0 : 1; }
