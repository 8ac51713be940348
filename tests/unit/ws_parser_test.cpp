// Server-side message parser: messages in every length form, zero-copy delivery,
// reassembly across reads and fragments, interleaved control frames, every protocol
// error with its close code, size limits, and the same events whatever the read size.
#include <ostream>

#include <doctest/doctest.h>

#include <duet/ws/message_parser.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace duet::ws;

namespace {
const mask_key key{std::byte{0xA1}, std::byte{0xB2}, std::byte{0xC3}, std::byte{0xD4}};

// A masked client frame, as a browser would send it.
std::string frame(opcode op, std::string_view payload, bool fin = true) {
    std::string out;
    append_masked_frame(out, op, payload, key, fin);
    return out;
}
std::string close_frame(int code, std::string_view reason = {}) {
    std::string p;
    p += static_cast<char>(code >> 8);
    p += static_cast<char>(code & 0xFF);
    p += reason;
    return frame(opcode::close, p);
}
std::string with_byte0(std::string f, int b0) {
    f[0] = static_cast<char>(b0);
    return f;
}

std::string describe(const event& ev) {
    static const char* names[] = {"need_more", "text", "binary", "ping", "pong", "close", "error"};
    std::string s = names[static_cast<int>(ev.kind)];
    if (ev.compressed) s += "(z)";
    if (ev.kind == event_kind::error)
        return s + ":" + std::to_string(static_cast<int>(ev.code)) + ":" + ev.ec().message();
    if (ev.kind == event_kind::close) s += ":" + std::to_string(static_cast<int>(ev.code));
    if (ev.payload.size() <= 64) return s + ":" + std::string(ev.text());
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a: compare big payloads compactly
    for (auto b : ev.payload) h = (h ^ static_cast<unsigned>(b)) * 1099511628211ull;
    return s + ":<" + std::to_string(ev.payload.size()) + " bytes #" + std::to_string(h) + ">";
}

// The description of an event carrying `payload`, to compare against events().
std::string expect(event_kind k, std::string_view payload, close_code c = {}) {
    return describe(event{k, c, {}, std::as_bytes(std::span(payload.data(), payload.size()))});
}

// Plays the caller: reads `wire` in pieces of `chunk` bytes into a buffer, drains the
// parser after each read and drops what it consumed. Returns the events, "|"-joined.
std::string run(std::string_view wire, std::size_t chunk, const parser_options& o) {
    message_parser p(o);
    std::string buf, out;
    std::size_t fed = 0;
    for (;;) {
        for (;;) {
            auto r = p.next(std::as_writable_bytes(std::span(buf)));
            REQUIRE(r.consumed <= buf.size());
            if (r.ev) out += (out.empty() ? "" : "|") + describe(r.ev);
            buf.erase(0, r.consumed);
            if (!r.ev) break;
        }
        // The parser never needs more than a whole control frame buffered.
        REQUIRE(buf.size() <= min_read_buffer + chunk);
        if (p.finished() || fed == wire.size()) break;
        const std::size_t n = std::min(chunk, wire.size() - fed);
        buf.append(wire.substr(fed, n));
        fed += n;
    }
    return out;
}

// The events for `wire`, checked to be identical for every read size.
std::string events(std::string_view wire, parser_options o = {}) {
    const std::string whole = run(wire, std::numeric_limits<std::size_t>::max(), o);
    for (std::size_t chunk : {1u, 2u, 3u, 5u, 14u, 139u, 4096u}) {
        CAPTURE(chunk);
        CHECK(run(wire, chunk, o) == whole);
    }
    return whole;
}

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7) & 0xFF);
    return s;
}
}  // namespace

TEST_CASE("RFC 6455 5.7: masked \"Hello\", delivered in place in the caller's buffer") {
    std::string wire("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
    message_parser p;
    auto r = p.next(std::as_writable_bytes(std::span(wire)));
    CHECK(r.ev.kind == event_kind::text);
    CHECK(r.ev.text() == "Hello");
    CHECK(r.consumed == 11);
    // Zero copy: the view points at the payload bytes of the input, unmasked in place.
    CHECK(reinterpret_cast<const char*>(r.ev.payload.data()) == wire.data() + 6);
    CHECK(wire.substr(6) == "Hello");
    CHECK_FALSE(p.next({}).ev);
}

TEST_CASE("messages of every length form, whole and read in pieces") {
    parser_options o;
    o.max_message_size = 200000;
    for (std::size_t n : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 70001u}) {
        CAPTURE(n);
        const std::string payload = pattern(n);
        std::string expected_wire = frame(opcode::binary, payload);
        std::string copy = expected_wire;
        auto r = message_parser(o).next(std::as_writable_bytes(std::span(copy)));
        REQUIRE(r.ev.kind == event_kind::binary);
        CHECK(std::string(r.ev.text()) == payload);
        CHECK(r.consumed == expected_wire.size());
        // Read in pieces, the same message comes out (reassembled).
        if (n <= 126) CHECK(events(expected_wire, o) == expect(event_kind::binary, payload));
        else CHECK(run(expected_wire, 1000, o) == expect(event_kind::binary, payload));
    }
}

TEST_CASE("several frames in one read: one event per call, consumed counts each frame") {
    std::string wire = frame(opcode::text, "one") + frame(opcode::ping, "p") + frame(opcode::binary, "two");
    const std::size_t a = frame(opcode::text, "one").size(), b = frame(opcode::ping, "p").size();
    message_parser p;
    auto in = std::as_writable_bytes(std::span(wire));
    auto r1 = p.next(in);
    CHECK(describe(r1.ev) == "text:one");
    CHECK(r1.consumed == a);
    auto r2 = p.next(in.subspan(a));
    CHECK(describe(r2.ev) == "ping:p");
    CHECK(r2.consumed == b);
    auto r3 = p.next(in.subspan(a + b));
    CHECK(describe(r3.ev) == "binary:two");
    CHECK(r3.consumed == wire.size() - a - b);
}

TEST_CASE("partial input: headers and control frames wait, data payload is consumed as it comes") {
    message_parser p;
    std::string ping = frame(opcode::ping, "12345");
    // A partial control frame is not consumed: the caller keeps it and reads more.
    auto r = p.next(std::as_writable_bytes(std::span(ping.data(), ping.size() - 1)));
    CHECK_FALSE(r.ev);
    CHECK(r.consumed == 0);
    // A partial header is not consumed.
    std::string data = frame(opcode::binary, pattern(1000));
    r = p.next(std::as_writable_bytes(std::span(data.data(), 3)));
    CHECK_FALSE(r.ev);
    CHECK(r.consumed == 0);
    // A data frame with half its payload: everything is consumed (copied aside).
    r = p.next(std::as_writable_bytes(std::span(data.data(), 500)));
    CHECK_FALSE(r.ev);
    CHECK(r.consumed == 500);
    CHECK(p.in_message());
    r = p.next(std::as_writable_bytes(std::span(data.data() + 500, data.size() - 500)));
    CHECK(r.ev.kind == event_kind::binary);
    CHECK(r.consumed == data.size() - 500);
    CHECK(std::string(r.ev.text()) == pattern(1000));
    CHECK_FALSE(p.in_message());
}

TEST_CASE("masking stays in phase across every split point of a payload") {
    const std::string payload = pattern(300);
    const std::string wire = frame(opcode::binary, payload);
    for (std::size_t cut = 1; cut < wire.size(); ++cut) {
        std::string w = wire;
        message_parser p;
        auto in = std::as_writable_bytes(std::span(w));
        auto r1 = p.next(in.subspan(0, cut));
        REQUIRE_FALSE(r1.ev);
        // The caller keeps unconsumed bytes and appends the next read behind them.
        auto r2 = p.next(in.subspan(r1.consumed));
        REQUIRE(r2.ev.kind == event_kind::binary);
        REQUIRE(std::string(r2.ev.text()) == payload);
    }
    // Many pieces, with cuts at odd offsets inside the payload.
    for (std::size_t chunk : {7u, 13u, 31u})
        CHECK(run(wire, chunk, {}) == expect(event_kind::binary, payload));
}

TEST_CASE("fragmented message with interleaved control frames") {
    const std::string wire = frame(opcode::text, "Hel", false) + frame(opcode::ping, "p") +
                             frame(opcode::continuation, "lo", false) + frame(opcode::pong, "") +
                             frame(opcode::continuation, "", false) + frame(opcode::continuation, " world", true) +
                             frame(opcode::binary, "b1", false) + frame(opcode::continuation, "b2", true);
    CHECK(events(wire) == "ping:p|pong:|text:Hello world|binary:b1b2");
}

TEST_CASE("fragmented messages are reassembled into parser memory, valid until the next call") {
    std::string wire = frame(opcode::binary, "ab", false) + frame(opcode::continuation, "cd");
    message_parser p;
    auto r = p.next(std::as_writable_bytes(std::span(wire)));
    REQUIRE(r.ev.kind == event_kind::binary);
    CHECK(r.ev.text() == "abcd");
    const auto* d = reinterpret_cast<const char*>(r.ev.payload.data());
    CHECK((d < wire.data() || d >= wire.data() + wire.size()));
    wire.assign(wire.size(), 'x');  // the caller may reuse its buffer: the message survives
    CHECK(r.ev.text() == "abcd");
}

TEST_CASE("UTF-8 split across fragments and across reads") {
    const std::string kosme = "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5";
    for (std::size_t cut = 0; cut <= kosme.size(); ++cut) {
        CAPTURE(cut);
        const std::string wire = frame(opcode::text, kosme.substr(0, cut), false) + frame(opcode::ping, "") +
                                 frame(opcode::continuation, kosme.substr(cut));
        CHECK(events(wire) == "ping:|text:" + kosme);
    }
    CHECK(events(frame(opcode::text, "\xF0\x9F", false) + frame(opcode::continuation, "\x98", false) +
                  frame(opcode::continuation, "\x80")) == "text:\xF0\x9F\x98\x80");
}

TEST_CASE("invalid UTF-8 is 1007, reported at the fragment that breaks it") {
    const std::string e1007 = "error:1007:text message is not valid UTF-8";
    CHECK(events(frame(opcode::text, "ab\xFF")) == e1007);
    CHECK(events(frame(opcode::text, "\xED\xA0\x80")) == e1007);              // surrogate
    CHECK(events(frame(opcode::text, "\xC0\xAF")) == e1007);                  // overlong
    CHECK(events(frame(opcode::text, "ok\xE2\x82")) == e1007);                // truncated at the end
    CHECK(events(frame(opcode::text, "ok\xE2", false) + frame(opcode::continuation, "\x82")) == e1007);
    // Fail fast: the final fragment never arrives, yet the error is already known.
    CHECK(events(frame(opcode::text, "\xCE\xBA\xED\xA0\x80", false)) == e1007);
    CHECK(events(frame(opcode::text, "fine", false) + frame(opcode::ping, "x") +
                  frame(opcode::continuation, "\xF4\x90\x80\x80", false)) == "ping:x|" + e1007);
    // Binary messages are not UTF-8 checked.
    CHECK(events(frame(opcode::binary, "\xFF\xFE")) == "binary:\xFF\xFE");
}

TEST_CASE("close frames: code, reason, and the end of parsing") {
    CHECK(events(frame(opcode::close, "")) == "close:1005:");
    CHECK(events(close_frame(1000, "bye")) == "close:1000:bye");
    CHECK(events(close_frame(1001, std::string(123, 'r'))) ==
          expect(event_kind::close, std::string(123, 'r'), close_code::going_away));
    for (int c : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999})
        CHECK(events(close_frame(c)) == "close:" + std::to_string(c) + ":");

    // Nothing after a close frame is parsed, and nothing more is consumed.
    std::string wire = close_frame(1000) + frame(opcode::text, "late");
    message_parser p;
    auto in = std::as_writable_bytes(std::span(wire));
    auto r = p.next(in);
    CHECK(r.ev.kind == event_kind::close);
    CHECK(p.finished());
    auto r2 = p.next(in.subspan(r.consumed));
    CHECK_FALSE(r2.ev);
    CHECK(r2.consumed == 0);
}

TEST_CASE("bad close frames: 1-byte payload and invalid codes are 1002, bad reason is 1007") {
    CHECK(events(frame(opcode::close, "\x03")) == "error:1002:close frame payload of 1 byte");
    for (int c : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
        CAPTURE(c);
        CHECK(events(close_frame(c)) == "error:1002:invalid close code");
    }
    CHECK(events(close_frame(1000, "\xCE\xBA\xED\xA0\x80")) == "error:1007:close reason is not valid UTF-8");
    CHECK(events(close_frame(1000, "\xC3")) == "error:1007:close reason is not valid UTF-8");
}

TEST_CASE("protocol errors are 1002 with the reason named") {
    const auto e = [](const char* m) { return std::string("error:1002:") + m; };
    // Unmasked client frame.
    CHECK(events(std::string("\x81\x05Hello", 7)) == e("client frame is not masked"));
    // Reserved bits without a negotiated extension.
    CHECK(events(with_byte0(frame(opcode::text, "x"), 0xC1)) == e("reserved bits set in frame header"));
    CHECK(events(with_byte0(frame(opcode::text, "x"), 0xA1)) == e("reserved bits set in frame header"));
    CHECK(events(with_byte0(frame(opcode::text, "x"), 0x91)) == e("reserved bits set in frame header"));
    CHECK(events(with_byte0(frame(opcode::ping, "x"), 0xC9)) == e("reserved bits set in frame header"));
    // Reserved opcodes, data and control.
    for (int op : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15}) {
        CAPTURE(op);
        CHECK(events(with_byte0(frame(opcode::binary, "x"), 0x80 | op)) == e("reserved opcode"));
    }
    // Control frames: fragmented, or longer than 125 bytes.
    CHECK(events(frame(opcode::ping, "x", false)) == e("fragmented control frame"));
    CHECK(events(frame(opcode::pong, "", false)) == e("fragmented control frame"));
    CHECK(events(frame(opcode::ping, std::string(126, 'p'))) == e("control frame payload larger than 125 bytes"));
    CHECK(events(frame(opcode::close, "\x03\xE8" + std::string(124, 'r'))) ==
          e("control frame payload larger than 125 bytes"));
    CHECK(events(frame(opcode::ping, std::string(125, 'p'))) == expect(event_kind::ping, std::string(125, 'p')));
    // Fragment sequencing.
    CHECK(events(frame(opcode::continuation, "x")) == e("continuation frame without a message"));
    CHECK(events(frame(opcode::text, "a") + frame(opcode::continuation, "b")) ==
          "text:a|" + e("continuation frame without a message"));
    CHECK(events(frame(opcode::text, "a", false) + frame(opcode::text, "b")) ==
          e("new data frame inside a fragmented message"));
    CHECK(events(frame(opcode::text, "a", false) + frame(opcode::ping, "") + frame(opcode::binary, "b", false)) ==
          "ping:|" + e("new data frame inside a fragmented message"));
    // Lengths: top bit of the 64-bit form, non-minimal encodings.
    CHECK(events(std::string("\x82\xFF\x80\x00\x00\x00\x00\x00\x00\x01\xA1\xB2\xC3\xD4", 14)) ==
          e("invalid 64-bit payload length"));
    CHECK(events(std::string("\x82\xFE\x00\x05\xA1\xB2\xC3\xD4" "abcde", 13)) ==
          e("payload length not minimally encoded"));
}

TEST_CASE("1009: message size limit, checked from the frame header") {
    parser_options o;
    o.max_message_size = 10;
    const std::string e1009 = "error:1009:message exceeds the size limit";
    CHECK(events(frame(opcode::binary, std::string(10, 'x')), o) == "binary:xxxxxxxxxx");
    CHECK(events(frame(opcode::binary, std::string(11, 'x')), o) == e1009);
    // Detected from the header alone, before any payload arrives.
    std::string big = frame(opcode::text, std::string(100000, 'x'));
    message_parser p(o);
    auto r = p.next(std::as_writable_bytes(std::span(big.data(), 14)));  // header only
    CHECK(describe(r.ev) == e1009);
    // The sum of fragments counts, each fragment being small.
    CHECK(events(frame(opcode::text, "12345", false) + frame(opcode::continuation, "12345", false) +
                      frame(opcode::continuation, "", false) + frame(opcode::continuation, "1"),
                  o) == e1009);
    CHECK(events(frame(opcode::text, "12345", false) + frame(opcode::ping, "p") +
                      frame(opcode::continuation, "12345"), o) == "ping:p|text:1234512345");
    // Control frames do not count toward the message.
    CHECK(events(frame(opcode::text, "1234567890", false) + frame(opcode::ping, std::string(20, 'p')) +
                      frame(opcode::continuation, ""), o)
              .ends_with("|text:1234567890"));
    // The limit applies again from zero to the next message.
    CHECK(events(frame(opcode::text, "1234567890") + frame(opcode::text, "1234567890"), o) ==
          "text:1234567890|text:1234567890");
}

TEST_CASE("1009: fragment-count limit, so empty continuation frames cannot keep a message open forever") {
    parser_options o;
    o.max_fragments = 4;
    const std::string e1009 = "error:1009:message exceeds the fragment limit";
    auto message = [](std::size_t frames, std::string_view control = {}) {
        std::string w = frame(opcode::binary, "a", frames == 1);
        for (std::size_t i = 2; i <= frames; ++i) {
            if (!control.empty()) w += frame(opcode::ping, control);
            w += frame(opcode::continuation, i == frames ? "z" : "", i == frames);
        }
        return w;
    };
    CHECK(events(message(4), o) == "binary:az");
    CHECK(events(message(5), o) == e1009);
    // Interleaved control frames do not count; the count starts again per message.
    CHECK(events(message(4, "p"), o) == "ping:p|ping:p|ping:p|binary:az");
    CHECK(events(message(4) + message(4), o) == "binary:az|binary:az");
    // The default bounds an endless stream of empty continuations; 0 removes the bound.
    // (4097 frames: the last one is refused, so nothing is left unparsed.)
    std::string flood = frame(opcode::text, "", false);
    for (int i = 0; i < 4096; ++i) flood += frame(opcode::continuation, "", false);
    CHECK(parser_options{}.max_fragments == 4096);
    CHECK(events(flood) == e1009);
    o.max_fragments = 0;
    CHECK(events(flood + frame(opcode::continuation, "end"), o) == "text:end");
}

TEST_CASE("after an error nothing is parsed or consumed; reset() makes the parser reusable") {
    std::string wire = frame(opcode::continuation, "x") + frame(opcode::text, "never");
    message_parser p;
    auto in = std::as_writable_bytes(std::span(wire));
    auto r = p.next(in);
    CHECK(r.ev.kind == event_kind::error);
    CHECK(r.ev.code == close_code::protocol_error);
    CHECK(r.ev.err == error::unexpected_continuation);
    CHECK(r.ev.ec() == error::unexpected_continuation);
    CHECK(p.finished());
    auto r2 = p.next(in);
    CHECK_FALSE(r2.ev);
    CHECK(r2.consumed == 0);

    p.reset();
    std::string again = frame(opcode::text, "ok");
    CHECK(describe(p.next(std::as_writable_bytes(std::span(again))).ev) == "text:ok");
}

TEST_CASE("parse(): visitor sees every event, stops at close, reports consumed bytes") {
    std::string wire = frame(opcode::text, "a", false) + frame(opcode::ping, "p") + frame(opcode::continuation, "b") +
                       frame(opcode::binary, "c") + close_frame(1001, "gone") + frame(opcode::text, "after");
    const std::size_t until_close = wire.size() - frame(opcode::text, "after").size();
    message_parser p;
    std::string seen;
    const std::size_t used = p.parse(std::as_writable_bytes(std::span(wire)), [&](const event& ev) {
        seen += (seen.empty() ? "" : "|") + describe(ev);
    });
    CHECK(seen == "ping:p|text:ab|binary:c|close:1001:gone");
    CHECK(used == until_close);
}

TEST_CASE("byte-at-a-time feeding equals one-shot on a long mixed stream, also split in two anywhere") {
    std::string wire;
    wire += frame(opcode::text, "hello");
    wire += frame(opcode::binary, pattern(130), false);
    wire += frame(opcode::ping, "are you there");
    wire += frame(opcode::continuation, pattern(70), false);
    wire += frame(opcode::pong, "");
    wire += frame(opcode::continuation, pattern(3));
    wire += frame(opcode::text, "\xE2\x82\xAC", false);
    wire += frame(opcode::continuation, "\xE2", false);
    wire += frame(opcode::continuation, "\x82\xAC");
    wire += frame(opcode::binary, pattern(65536));
    wire += close_frame(1000, "done");
    const std::string whole = events(wire);
    CHECK(whole.starts_with("text:hello|ping:are you there|pong:|binary:<203 bytes #"));
    CHECK(whole.find("|text:\xE2\x82\xAC\xE2\x82\xAC|binary:<65536 bytes #") != std::string::npos);
    CHECK(whole.ends_with("|close:1000:done"));

    const std::string head = wire.substr(0, 400);  // every two-piece split of the start
    const std::string head_events = run(head, 1 << 20, {});
    for (std::size_t cut = 1; cut < head.size(); ++cut) {
        std::string w = head;
        message_parser p;
        std::string got;
        std::size_t pos = 0;
        for (std::size_t end : {cut, head.size()}) {
            for (;;) {
                auto r = p.next(std::as_writable_bytes(std::span(w.data() + pos, end - pos)));
                pos += r.consumed;
                if (!r.ev) break;
                got += (got.empty() ? "" : "|") + describe(r.ev);
            }
        }
        REQUIRE(got == head_events);
    }
}

TEST_CASE("permessage-deflate on: RSV1 marks a compressed message, on its first frame only") {
    parser_options z;
    z.compressed = true;
    const auto e = [](const char* m) { return std::string("error:1002:") + m; };
    // "Hello" deflated (RFC 7692 §7.2.3.1), text and binary, whole and fragmented; the
    // payload is delivered as it came, UTF-8 not checked (it is not text yet).
    const std::string hello("\xf2\x48\xcd\xc9\xc9\x07\x00", 7);
    CHECK(events(with_byte0(frame(opcode::text, hello), 0xC1), z) == "text(z):" + hello);
    CHECK(events(with_byte0(frame(opcode::binary, hello), 0xC2), z) == "binary(z):" + hello);
    CHECK(events(with_byte0(frame(opcode::text, hello.substr(0, 3), false), 0x41) +
                     frame(opcode::ping, "p") + frame(opcode::continuation, hello.substr(3)),
                 z) == "ping:p|text(z):" + hello);
    // Uncompressed messages still work, and their UTF-8 is still checked.
    CHECK(events(frame(opcode::text, "plain"), z) == "text:plain");
    CHECK(events(frame(opcode::text, "\xff"), z) == "error:1007:text message is not valid UTF-8");
    // RSV1 on a continuation, on a control frame, RSV2/RSV3: protocol errors.
    CHECK(events(frame(opcode::text, "a", false) + with_byte0(frame(opcode::continuation, "b"), 0xC0), z) ==
          e("reserved bits set in frame header"));
    CHECK(events(with_byte0(frame(opcode::ping, "x"), 0xC9), z) == e("reserved bits set in frame header"));
    CHECK(events(with_byte0(frame(opcode::text, "x"), 0xA1), z) == e("reserved bits set in frame header"));
    CHECK(events(with_byte0(frame(opcode::text, "x"), 0xE1), z) == e("reserved bits set in frame header"));
    // Off (not negotiated): RSV1 is an error as before.
    CHECK(events(with_byte0(frame(opcode::text, hello), 0xC1)) == e("reserved bits set in frame header"));
    // The size limit applies to the compressed bytes here (the inflater bounds the rest).
    z.max_message_size = 4;
    CHECK(events(with_byte0(frame(opcode::text, hello), 0xC1), z) == "error:1009:message exceeds the size limit");
}
