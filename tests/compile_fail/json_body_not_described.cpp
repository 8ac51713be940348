// json_body<T> of a struct Boost.JSON cannot convert (no BOOST_DESCRIBE_STRUCT).
#include <duet/duet.hpp>
struct person { std::string name; int age; };
constexpr auto r = duet::routes(duet::post<"/people">([](duet::json_body<person> p, duet::response& res) { res.send(p->name); }));
int main() { return sizeof(duet::server<r>) > 0 ? 0 : 1; }
