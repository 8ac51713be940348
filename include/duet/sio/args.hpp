// duet/sio/args.hpp — the arguments of an emit, as the application gives them and as
// a handler receives them.
//
// Owns: `binary` (owned bytes sent as an attachment), `bytes` (a binary argument seen
// by a handler), `event_args` (every remaining argument of a received event, binary
// included, re-emittable as is) and `detail::arg_builder`, which turns the arguments
// of any emit (socket, broadcast, ack) into the JSON array plus attachments the
// encoder takes. Apart from the rest of the runtime because the codec-level types are
// all it needs: no socket, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <duet/core/json_traits.hpp>
#include <duet/sio/binary.hpp>
#include <duet/sio/packet.hpp>

namespace duet::sio {

// A binary argument to emit: bytes that travel as an attachment. Owning, so that an
// emit may outlive the caller's buffer; `view` for handler parameters.
struct binary {
    std::vector<std::byte> data;
    binary() = default;
    explicit binary(std::span<const std::byte> b) : data(b.begin(), b.end()) {}
    explicit binary(std::string_view s)
        : data(reinterpret_cast<const std::byte*>(s.data()), reinterpret_cast<const std::byte*>(s.data()) + s.size()) {}
};

// A handler parameter receiving a binary argument (a view into the packet's attachment).
using bytes = std::span<const std::byte>;

// A handler parameter receiving every remaining argument as it came (JSON values
// with binary placeholders, and the attachments they point to). Emitting or acking
// it sends the same arguments back, binary included.
struct event_args {
    const boost::json::array* values = nullptr;
    const std::vector<attachment>* attachments = nullptr;
    std::size_t first = 0;

    std::size_t size() const noexcept { return values ? values->size() - first : 0; }
    const boost::json::value& operator[](std::size_t i) const { return (*values)[first + i]; }
    // The bytes of argument i when it is binary, else nullptr.
    const attachment* binary_at(std::size_t i) const { return resolve_placeholder((*values)[first + i], *attachments); }
};

namespace detail {
// Builds the argument array of an emit; binary arguments become placeholders.
struct arg_builder {
    boost::json::array args;
    std::vector<attachment> attachments;

    void add(const binary& b) { append_binary(args, attachments, attachment(b.data)); }
    void add(binary&& b) { append_binary(args, attachments, std::move(b.data)); }
    void add(bytes b) { append_binary(args, attachments, attachment(b.begin(), b.end())); }
    void add(const boost::json::value& v) { args.push_back(v); }
    void add(const event_args& a) {
        for (std::size_t i = 0; i < a.size(); ++i) args.push_back(rebase(a[i], *a.attachments));
    }
    // A value whose placeholders refer to `from` (an ack reply): one argument, binary kept.
    void add_with_attachments(const boost::json::value& v, const std::vector<attachment>& from) {
        args.push_back(rebase(v, from));
    }
    // Copies `v`, re-numbering every placeholder (at any depth) into this emit's
    // attachments.
    boost::json::value rebase(const boost::json::value& v, const std::vector<attachment>& from) {
        if (const attachment* a = resolve_placeholder(v, from)) {
            attachments.push_back(*a);
            return make_placeholder(attachments.size() - 1);
        }
        if (v.is_array()) {
            boost::json::array out;
            out.reserve(v.as_array().size());
            for (auto& e : v.as_array()) out.push_back(rebase(e, from));
            return out;
        }
        if (v.is_object()) {
            boost::json::object out;
            for (auto& [k, e] : v.as_object()) out.emplace(k, rebase(e, from));
            return out;
        }
        return v;
    }
    // The arguments as JSON alone, each binary one as what Node's JSON.stringify makes of
    // a Buffer, {"type":"Buffer","data":[bytes...]} (messages between servers, e.g. a
    // serverSideEmit, are JSON: they carry no attachments).
    boost::json::array take_json() {
        if (attachments.empty()) return std::move(args);
        boost::json::array out;
        out.reserve(args.size());
        for (auto& a : args) out.push_back(buffers_as_json(a));
        args.clear();
        attachments.clear();
        return out;
    }
    boost::json::value buffers_as_json(const boost::json::value& v) const {
        if (const attachment* a = resolve_placeholder(v, attachments)) {
            boost::json::array data;
            data.reserve(a->size());
            for (std::byte b : *a) data.emplace_back(static_cast<std::uint64_t>(b));
            return boost::json::object{{"type", "Buffer"}, {"data", std::move(data)}};
        }
        if (v.is_array()) {
            boost::json::array out;
            out.reserve(v.as_array().size());
            for (auto& e : v.as_array()) out.push_back(buffers_as_json(e));
            return out;
        }
        if (v.is_object()) {
            boost::json::object out;
            for (auto& [k, e] : v.as_object()) out.emplace(k, buffers_as_json(e));
            return out;
        }
        return v;
    }
    void add(const char* s) { args.emplace_back(s); }
    void add(std::string_view s) { args.emplace_back(s); }
    template <class T>
        requires(!std::is_convertible_v<const T&, bytes> && !std::is_convertible_v<const T&, const boost::json::value&> &&
                 !std::is_convertible_v<const T&, std::string_view> && !std::is_same_v<T, event_args>)
    void add(const T& v) {
        if constexpr (requires { v.args; v.attachments; }) {
            // An ack_reply: its arguments as one array argument, binary kept.
            add_with_attachments(boost::json::value(v.args), v.attachments);
        } else {
            args.push_back(duet::to_json(v));
        }
    }
};
}  // namespace detail

}  // namespace duet::sio
