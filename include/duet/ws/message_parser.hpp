// duet/ws/message_parser.hpp — server-side RFC 6455 message parser (sans I/O).
//
// Owns: turning the bytes a client sends into messages and control frames — frame
// sequencing (§5.4 fragmentation, control frames interleaved), unmasking, UTF-8
// checking of text and close reasons, close payload rules (§5.5.1, §7.4) and the
// message size and fragment-count limits — and deciding the close code when the client breaks a rule.
//
// Driving it: read into a buffer, call next() on the unconsumed bytes until it
// returns need_more, drop `consumed` bytes, read again.
//
//     for (;;) {
//         auto [ev, used] = parser.next(buf.unread());
//         buf.consume(used);
//         if (!ev) break;                  // need more bytes
//         handle(ev);                      // text/binary/ping/pong/close/error
//     }
//
// Zero copy: a complete unfragmented data frame that is entirely in the buffer is
// unmasked in place and delivered as a view into the caller's buffer. Only fragmented
// messages, and frames that arrive over several reads, are copied — into one
// std::string owned by the parser and reused from message to message.
//
// Memory: the payload of a data frame is consumed as it arrives (copied into that
// string), so the parser never asks the caller to hold a large frame. The caller's
// buffer only has to be able to hold min_read_buffer (139) unconsumed bytes: a
// control frame is delivered only when complete and a header only when complete.
// The parser's string never holds more than max_message_size bytes: the limit is
// checked from each frame header, before the payload arrives. Capacity above
// retained_capacity is released by the first next() call after the message was
// delivered — in the loop above, the very call that answers need_more.
//
// Lifetime of event payloads: use a payload before the next call to next() and before
// compacting or overwriting the buffer it came from. (Views into the parser's string
// die at the next call; views into the caller's buffer survive further calls, since
// next() only touches bytes it has not consumed yet, but not compaction.)
//
// After a close or error event the parser is finished(): next() returns need_more and
// consumes nothing. On error, send a close frame with event.code and close the
// connection (§7.1.7); on close, echo a close frame (§5.5.1).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include <duet/ws/close_code.hpp>
#include <duet/ws/error.hpp>
#include <duet/ws/frame.hpp>
#include <duet/core/utf8.hpp>

namespace duet::ws {

struct parser_options {
    // Largest message accepted (sum of all its fragments); beyond it the connection
    // fails with 1009. Default 1 MiB (Socket.IO's maxHttpBufferSize is 1e6 bytes).
    std::size_t max_message_size = 1024 * 1024;
    // Capacity of the reassembly string kept between messages; anything above it is
    // released after the message is delivered, so an idle connection that once
    // received a large message does not keep that memory.
    std::size_t retained_capacity = 64 * 1024;
    // Most frames one message may arrive in (its first frame and its continuations;
    // interleaved control frames do not count); one more fails the connection with
    // 1009, like an oversized message. Without it a peer could keep one message open
    // forever with empty continuation frames, which max_message_size never sees.
    // 4096 lets a max_message_size (1 MiB) message arrive in 256-byte pieces
    // (websocket-sharp, for one, fragments at 1016 bytes); raise it together with
    // max_message_size for clients that fragment finely. 0 = no limit.
    std::size_t max_fragments = 4096;
    // permessage-deflate was negotiated: a message whose first frame has RSV1 set is
    // compressed. It is delivered as it came (event::compressed, payload = the deflated
    // bytes, UTF-8 not checked yet): the caller inflates it — bounded by
    // max_message_size — and checks a text message's UTF-8 then.
    bool compressed = false;
};

// Unconsumed bytes next() may need to see at once to make progress: a whole control
// frame, i.e. a 14-byte header plus a 125-byte payload.
inline constexpr std::size_t min_read_buffer = max_client_header_size + max_control_payload;

enum class event_kind : std::uint8_t {
    need_more,  // nothing complete yet: read more bytes
    text,       // payload: a whole message, valid UTF-8
    binary,     // payload: a whole message
    ping,       // payload: the ping's application data (echo it in a pong)
    pong,       // payload: the pong's application data
    close,      // code: the peer's code (no_status when it sent none); payload: reason (UTF-8)
    error,      // err: what was wrong; code: the close code to send
};

struct event {
    event_kind kind = event_kind::need_more;
    close_code code{};
    error err{};  // an enum, not a std::error_code: constructing one costs a call per event
    std::span<const std::byte> payload;
    bool compressed = false;  // text/binary: payload is deflated (permessage-deflate)

    explicit operator bool() const noexcept { return kind != event_kind::need_more; }
    // The error as a std::error_code (empty unless kind == error).
    std::error_code ec() const noexcept { return err == error{} ? std::error_code{} : make_error_code(err); }
    // The payload as characters: the text of a text message, the reason of a close.
    std::string_view text() const noexcept {
        return {reinterpret_cast<const char*>(payload.data()), payload.size()};
    }
};

struct parse_result {
    event ev;
    std::size_t consumed = 0;  // bytes of the input the caller may drop
};

class message_parser {
public:
    message_parser() = default;
    explicit message_parser(const parser_options& options) : opts_(options) {}

    // Parses from the start of `in` (the caller's unconsumed bytes; they are unmasked
    // in place) up to and including the first event. Returns that event, or need_more
    // when the input holds no complete event; in both cases `consumed` says how many
    // bytes of `in` were used up and must not be passed again.
    parse_result next(std::span<std::byte> in) {
        if (state_ != state::open) return {};
        if (!msg_open_ && msg_.capacity() > opts_.retained_capacity) std::string().swap(msg_);
        std::size_t pos = 0;
        for (;;) {
            if (!in_frame_) {
                frame_header h;
                error err{};
                const std::size_t hs = detail::decode_header(in.subspan(pos), h, sender::client, err, opts_.compressed);
                if (err != error{}) return fail(err, pos);
                if (hs == 0) return {{}, pos};
                const std::size_t avail = in.size() - pos - hs;

                if (is_control(h.op)) {
                    // <= 125 bytes: wait for the whole frame, then deliver it in place.
                    if (avail < h.payload_size) return {{}, pos};
                    const auto payload = in.subspan(pos + hs, static_cast<std::size_t>(h.payload_size));
                    unmask(payload, h.mask);
                    pos += hs + payload.size();
                    return control(h.op, payload, pos);
                }

                if (h.op == opcode::continuation) {
                    if (!msg_open_) return fail(error::unexpected_continuation, pos);
                    if (opts_.max_fragments != 0 && ++msg_frames_ > opts_.max_fragments)
                        return fail(error::too_many_fragments, pos);
                } else if (msg_open_) {
                    return fail(error::expected_continuation, pos);
                }
                const std::size_t before = msg_open_ ? msg_.size() : 0;
                if (h.payload_size > opts_.max_message_size - before)
                    return fail(error::message_too_big, pos);

                if (!msg_open_ && h.fin && avail >= h.payload_size) {
                    // Fast path: a whole message in one frame, all of it in the buffer.
                    const auto payload = in.subspan(pos + hs, static_cast<std::size_t>(h.payload_size));
                    unmask(payload, h.mask);
                    const bool text = h.op == opcode::text;
                    if (text && !h.rsv1 && !is_valid_utf8(payload)) return fail(error::invalid_utf8, pos);
                    pos += hs + payload.size();
                    return {{text ? event_kind::text : event_kind::binary, {}, {}, payload, h.rsv1}, pos};
                }

                // Slow path: reassemble into msg_ as the payload arrives.
                pos += hs;
                if (!msg_open_) {
                    msg_open_ = true;
                    msg_frames_ = 1;
                    msg_text_ = h.op == opcode::text;
                    msg_compressed_ = h.rsv1;
                    msg_.clear();
                    utf8_.reset();
                }
                // One allocation for the frame (the size limit above bounds it; untouched
                // pages of a large block cost no memory), instead of regrowing per read.
                msg_.reserve(msg_.size() + static_cast<std::size_t>(h.payload_size));
                in_frame_ = true;
                frame_fin_ = h.fin;
                frame_mask_ = h.mask;
                frame_left_ = h.payload_size;
                frame_done_ = 0;
            }

            // Inside a data frame's payload.
            const std::size_t take = static_cast<std::size_t>(
                std::min<std::uint64_t>(frame_left_, in.size() - pos));
            const auto chunk = in.subspan(pos, take);
            unmask(chunk, frame_mask_, frame_done_);
            if (msg_text_ && !msg_compressed_ && !utf8_.feed(chunk)) return fail(error::invalid_utf8, pos);
            msg_.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
            pos += take;
            frame_done_ += take;
            frame_left_ -= take;
            if (frame_left_ != 0) return {{}, pos};

            in_frame_ = false;
            if (frame_fin_) {
                msg_open_ = false;
                if (msg_text_ && !msg_compressed_ && !utf8_.complete()) return fail(error::invalid_utf8, pos);
                return {{msg_text_ ? event_kind::text : event_kind::binary, {}, {},
                         std::as_bytes(std::span(msg_.data(), msg_.size())), msg_compressed_},
                        pos};
            }
        }
    }

    // Calls on_event(const event&) for every event in `in` (need_more excluded), and
    // stops after a close or error event. Returns the bytes consumed.
    template <class F>
    std::size_t parse(std::span<std::byte> in, F&& on_event) {
        std::size_t pos = 0;
        while (state_ == state::open) {
            parse_result r = next(in.subspan(pos));
            pos += r.consumed;
            if (!r.ev) break;
            on_event(static_cast<const event&>(r.ev));
        }
        return pos;
    }

    // True after a close or error event: nothing more will be parsed.
    bool finished() const noexcept { return state_ != state::open; }
    // True while a fragmented (or partially received) data message is being assembled.
    bool in_message() const noexcept { return msg_open_; }
    const parser_options& options() const noexcept { return opts_; }
    // permessage-deflate negotiated (or not) after the parser was made.
    void set_compressed(bool on) noexcept { opts_.compressed = on; }

    // Back to the initial state (e.g. to reuse a pooled parser); keeps the options.
    void reset() noexcept {
        state_ = state::open;
        in_frame_ = msg_open_ = msg_text_ = msg_compressed_ = frame_fin_ = false;
        frame_left_ = 0;
        frame_done_ = 0;
        msg_frames_ = 0;
        msg_.clear();
        utf8_.reset();
    }

private:
    enum class state : std::uint8_t { open, closed, failed };

    parse_result fail(error e, std::size_t pos) {
        state_ = state::failed;
        return {{event_kind::error, close_code_for(e), e, {}}, pos};
    }

    parse_result control(opcode op, std::span<const std::byte> payload, std::size_t pos) {
        switch (op) {
            case opcode::ping: return {{event_kind::ping, {}, {}, payload}, pos};
            case opcode::pong: return {{event_kind::pong, {}, {}, payload}, pos};
            default: break;  // close
        }
        if (payload.empty()) {
            state_ = state::closed;
            return {{event_kind::close, close_code::no_status, {}, {}}, pos};
        }
        if (payload.size() == 1) return fail(error::bad_close_payload, pos);
        const auto code = static_cast<std::uint16_t>((static_cast<unsigned>(payload[0]) << 8) |
                                                     static_cast<unsigned>(payload[1]));
        if (!is_valid_wire_close_code(code)) return fail(error::bad_close_code, pos);
        const auto reason = payload.subspan(2);
        if (!is_valid_utf8(reason)) return fail(error::invalid_close_reason, pos);
        state_ = state::closed;
        return {{event_kind::close, static_cast<close_code>(code), {}, reason}, pos};
    }

    parser_options opts_{};
    state state_ = state::open;
    // Current data frame being reassembled (the fast path never sets these).
    bool in_frame_ = false;
    bool frame_fin_ = false;
    mask_key frame_mask_{};
    std::uint64_t frame_left_ = 0;   // payload bytes still to come
    std::size_t frame_done_ = 0;     // payload bytes already unmasked (mask phase)
    // Current message being reassembled.
    bool msg_open_ = false;
    bool msg_text_ = false;
    bool msg_compressed_ = false;
    std::size_t msg_frames_ = 0;  // frames of the current message so far
    std::string msg_;
    utf8_validator utf8_;
};

}  // namespace duet::ws
