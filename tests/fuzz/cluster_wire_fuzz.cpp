// libFuzzer target for the Redis wire codec (duet/cluster/redis_wire.hpp, msgpack.hpp).
//
// Input layout: byte 0 selects the decoder (0: broadcast triple, 1: request,
// 2: response) and, with bit 2, small limits (max_depth 4, max_attachments 2);
// the rest is one message as read from Redis.
// Besides "no crash, no leak, no UB, no unbounded allocation", every accepted
// message must re-encode to bytes that decode again and re-encode identically
// (our output is always accepted and is a fixed point after one round; for JSON
// output, which may hold doubles Boost.JSON 1.81 reads back 1 ulp off, only the
// acceptance is checked).
#include <duet/cluster/redis_wire.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

namespace {

template <class T, class... Enc>
void check(std::span<const std::byte> in, const duet::cluster::wire_limits& limits, Enc... how) {
    using namespace duet::cluster;
    T first{};
    auto ec = decode(in, first, limits);
    if (ec) {
        if (!is_decode_error(ec)) std::abort();
        return;
    }
    const std::string a = encode(first, how...);
    // Re-encoding may add depth (opts/flags maps that were absent): lift the limits.
    T second{};
    if (decode(std::as_bytes(std::span(a.data(), a.size())), second, wire_limits{.max_depth = 1000, .max_attachments = SIZE_MAX}))
        std::abort();
    // Byte equality only for msgpack: Boost.JSON 1.81 parses doubles with up to
    // 1 ulp of error (no precise mode before 1.83), so a JSON double may move.
    if (a.empty() || a[0] != '{')
        if (encode(second, how...) != a) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace duet::cluster;
    if (size == 0) return 0;
    wire_limits limits;
    if (data[0] & 4) {
        limits.max_depth = 4;
        limits.max_attachments = 2;
    }
    const auto in = std::as_bytes(std::span(data + 1, size - 1));
    switch (data[0] % 3) {
        case 0: check<broadcast_message>(in, limits, producer::adapter); break;
        case 1: check<request>(in, limits); break;
        default: check<response>(in, limits); break;
    }
    return 0;
}
