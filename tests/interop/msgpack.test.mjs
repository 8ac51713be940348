// tests/interop/msgpack.test.mjs — the Socket.IO MessagePack parser: socket.io-client with
// socket.io-msgpack-parser 3 against duet (examples/protocol_server --parser msgpack, the
// parser a template parameter of the server type) and against the reference, npm socket.io
// with the same parser and the same handlers, in the same test:
//  - every value kind a client emits (binary at any depth included) comes back the same
//    through an emit and through an ack, over long-polling, over WebSocket and across
//    the upgrade; the handshake auth, a second namespace, an unknown namespace;
//  - what is not a packet of this format (a text message, bytes that are not MessagePack,
//    a packet of an unknown type) closes the connection on both;
//  - MessagePack together with permessage-deflate (threshold 0: every message compressed).
//
// Run: DUET_PROTOCOL_SERVER=/path/to/protocol_server node --test tests/interop/msgpack.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { io as ioc } from "socket.io-client";
import WebSocket from "ws";
import { startServer } from "./server_process.mjs";

const require = createRequire(import.meta.url);
const parser = require("socket.io-msgpack-parser");
const notepack = require("notepack.io");

const SERVER = process.env.DUET_PROTOCOL_SERVER;
const HOST = "127.0.0.1";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

// examples/protocol_server's behaviour on npm socket.io with the MessagePack parser.
const reference = (deflate) => `
const http = require("node:http").createServer();
const { Server } = require("socket.io");
const io = new Server(http, {
    parser: require("socket.io-msgpack-parser"),
    pingInterval: 300, pingTimeout: 200, maxHttpBufferSize: 1000000, connectTimeout: 1000,
    cors: { origin: "*" }, perMessageDeflate: ${deflate ? "{ threshold: 0 }" : "false"},
});
io.on("connection", (s) => {
    s.emit("auth", s.handshake.auth);
    s.on("message", (...args) => s.emit("message-back", ...args));
    s.on("message-with-ack", (...args) => { const ack = args.pop(); ack(...args); });
});
io.of("/custom").on("connection", (s) => s.emit("auth", s.handshake.auth));
http.listen(0, "${HOST}", () => console.log("listening " + http.address().port));
`;

async function servers(t, { deflate = false } = {}) {
    const duet = await startServer(SERVER, ["0", "--parser", "msgpack", ...(deflate ? ["--per-message-deflate"] : [])], {
        listening: /localhost:(\d+)/,
    });
    t.after(() => duet.stop());
    const ref = await startServer(process.execPath, ["-e", reference(deflate)], { cwd: ROOT });
    t.after(() => ref.stop());
    return [["duet", duet.port], ["reference", ref.port]];
}

const withTimeout = (p, ms, what) =>
    Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);

// Buffers (at any depth) as {bin: hex}: what deepEqual compares across servers.
function plain(v) {
    if (Buffer.isBuffer(v) || v instanceof Uint8Array || v instanceof ArrayBuffer) return { bin: Buffer.from(v).toString("hex") };
    if (Array.isArray(v)) return v.map(plain);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    return v;
}

const ARGS = [
    1, -7, 1.5, 2 ** 40, 2 ** 53 - 1, "two", "", "ünïcødé ✓", true, false, null,
    { three: [3, null, true], deep: { deeper: { deepest: "x" } } },
    [],
    {},
    Buffer.from([1, 2, 3]),
    Buffer.alloc(0),
    { nested: { bin: Buffer.from([4, 5]) }, list: [Buffer.from([6]), "seven"] },
    Buffer.alloc(70000, 9), // bin 32
];

function connect(port, nsp, opts) {
    const s = ioc(`http://${HOST}:${port}${nsp}`, { parser, forceNew: true, reconnection: false, ...opts });
    return s;
}

async function session(port, transports) {
    const s = connect(port, "/", { transports, auth: { token: "abc", n: 1 } });
    try {
        const auth = await withTimeout(new Promise((resolve, reject) => (s.once("auth", resolve), s.once("connect_error", reject))), 5000, "auth");
        if (transports.length > 1) {
            // Let the upgrade happen, so that what follows crosses it.
            await withTimeout(new Promise((r) => (s.io.engine.transport.name === "websocket" ? r() : s.io.engine.once("upgrade", r))), 5000, "upgrade");
        }
        const back = await withTimeout(new Promise((r) => (s.once("message-back", (...a) => r(a)), s.emit("message", ...ARGS))), 5000, "message-back");
        const none = await withTimeout(new Promise((r) => (s.once("message-back", (...a) => r(a)), s.emit("message"))), 5000, "message-back without arguments");
        const acked = await withTimeout(new Promise((r) => s.emit("message-with-ack", ...ARGS, (...a) => r(a))), 5000, "ack");
        return { auth, back: plain(back), none, acked: plain(acked), transport: s.io.engine.transport.name };
    } finally {
        s.close();
    }
}

test("socket.io-msgpack-parser: values, binary at any depth, emits and acks, both transports and the upgrade, like the reference", { timeout: 30000 }, async (t) => {
    for (const [name, port] of await servers(t)) {
        for (const transports of [["polling"], ["websocket"], ["polling", "websocket"]]) {
            const r = await session(port, transports);
            const what = `${name} over ${transports.join("+")}`;
            assert.deepEqual(r.auth, { token: "abc", n: 1 }, what);
            assert.deepEqual(r.back, plain(ARGS), what);
            assert.deepEqual(r.none, [], what);
            assert.deepEqual(r.acked, plain(ARGS), what);
            assert.equal(r.transport, transports.at(-1), what);
        }
    }
});

test("socket.io-msgpack-parser: a second namespace and an unknown one, like the reference", { timeout: 20000 }, async (t) => {
    const seen = {};
    for (const [name, port] of await servers(t)) {
        const custom = connect(port, "/custom", { transports: ["websocket"], auth: { who: name.length } });
        t.after(() => custom.close());
        const auth = await withTimeout(new Promise((r) => custom.once("auth", r)), 5000, "/custom auth");
        const nope = connect(port, "/nope", { transports: ["websocket"] });
        t.after(() => nope.close());
        const err = await withTimeout(new Promise((r) => nope.once("connect_error", r)), 5000, "connect_error");
        seen[name] = { auth, error: err.message, data: err.data ?? null };
    }
    assert.deepEqual(seen.duet, { auth: { who: 4 }, error: "Invalid namespace", data: null });
    assert.deepEqual({ ...seen.reference, auth: { who: 4 } }, seen.duet);
});

// A raw Engine.IO WebSocket: resolves with what the server did after `send` was sent.
async function rawAfter(port, send) {
    const ws = new WebSocket(`ws://${HOST}:${port}/socket.io/?EIO=4&transport=websocket`);
    const frames = [];
    ws.on("message", (d, isBinary) => frames.push(isBinary ? Buffer.from(d) : d.toString()));
    const closed = new Promise((r) => ws.once("close", (code) => r(code)));
    await withTimeout(new Promise((r, j) => (ws.once("open", r), ws.once("error", j))), 5000, "open");
    // The namespace connect, as socket.io-client sends it: {type: 0, data: undefined, nsp: "/"}.
    ws.send(notepack.encode({ type: 0, data: undefined, nsp: "/" }));
    while (!frames.some((f) => Buffer.isBuffer(f))) await new Promise((r) => setTimeout(r, 10));
    const connectReply = notepack.decode(frames.find((f) => Buffer.isBuffer(f)));
    ws.send(send);
    const code = await withTimeout(closed, 3000, "close").catch(() => "still open");
    ws.terminate();
    return { connected: connectReply.type === 0 && typeof connectReply.data.sid === "string", code };
}

test("socket.io-msgpack-parser: what is not a packet closes the connection, like the reference", { timeout: 30000 }, async (t) => {
    const cases = {
        "a text message": "42[\"message\",1]",
        "not MessagePack": Buffer.from([0xc1]),
        "trailing bytes": Buffer.concat([notepack.encode({ type: 2, data: ["message"], nsp: "/" }), Buffer.from([0])]),
        "an unknown type": notepack.encode({ type: 7, data: ["message"], nsp: "/" }),
        "BINARY_EVENT (not in this format)": notepack.encode({ type: 5, data: ["message"], nsp: "/" }),
        "nsp not a string": notepack.encode({ type: 2, data: ["message"], nsp: 1 }),
        "EVENT data not an array": notepack.encode({ type: 2, data: { a: 1 }, nsp: "/" }),
        "an id that is not an integer": notepack.encode({ type: 2, data: ["message"], nsp: "/", id: 1.5 }),
    };
    const results = {};
    for (const [name, port] of await servers(t)) {
        results[name] = {};
        for (const [what, bytes] of Object.entries(cases)) results[name][what] = await rawAfter(port, bytes);
    }
    for (const what of Object.keys(cases)) assert.equal(results.duet[what].connected, true, what);
    for (const what of Object.keys(cases)) assert.notEqual(results.duet[what].code, "still open", what);
    assert.deepEqual(results.duet, results.reference);
});

test("socket.io-msgpack-parser with permessage-deflate (threshold 0): negotiated, everything intact, like the reference", { timeout: 20000 }, async (t) => {
    for (const [name, port] of await servers(t, { deflate: true })) {
        const s = connect(port, "/", { transports: ["websocket"] });
        t.after(() => s.close());
        await withTimeout(new Promise((r) => s.once("auth", r)), 5000, "auth");
        assert.match(s.io.engine.transport.ws.extensions, /^permessage-deflate/, name);
        const big = { rows: Array.from({ length: 2000 }, (_, i) => ({ id: i, tag: "row-" + (i % 7) })), bin: Buffer.alloc(5000, 3) };
        const before = s.io.engine.transport.ws._socket.bytesRead;
        const back = await withTimeout(new Promise((r) => (s.once("message-back", (...a) => r(a)), s.emit("message", big, "small"))), 5000, "echo");
        assert.deepEqual(plain(back), plain([big, "small"]), name);
        assert.ok(s.io.engine.transport.ws._socket.bytesRead - before < JSON.stringify(big.rows).length / 4, `${name}: compressed`);
    }
});

// ---------------------------------------------------------------- broadcasts, acks to
// the client, connection state recovery (msgpack_test_server and its Node twin)

const MSGPACK_SERVER = process.env.DUET_MSGPACK_SERVER;

const referenceRuntime = (recovery) => `
const http = require("node:http").createServer();
const { Server } = require("socket.io");
const io = new Server(http, {
    parser: require("socket.io-msgpack-parser"), cors: { origin: "*" },
    ${recovery ? `connectionStateRecovery: { maxDisconnectionDuration: ${recovery}, skipMiddlewares: true },` : ""}
});
io.on("connection", (s) => {
    s.on("join", (room, ack) => { s.join(room); ack(true); });
    s.on("to-room", (room, ...args) => s.to(room).emit("room-message", ...args));
    s.on("io-emit", (...args) => io.emit("io-message", ...args));
    s.on("ask", (...args) => s.timeout(1000).emit("question", ...args, (err, ...answer) =>
        err ? s.emit("answer", "error: " + err.message) : s.emit("answer", ...answer)));
    s.on("state", (ack) => ack({ id: s.id, recovered: s.recovered }));
});
http.listen(0, "${HOST}", () => console.log("listening " + http.address().port));
`;

async function runtimeServers(t, recovery = 0) {
    const extra = recovery ? ["--recovery", String(recovery)] : [];
    const duet = await startServer(MSGPACK_SERVER, ["0", ...extra, ...(process.env.DUET_SERVER_ARGS ?? "").split(" ").filter(Boolean)]);
    t.after(() => duet.stop());
    const ref = await startServer(process.execPath, ["-e", referenceRuntime(recovery)], { cwd: ROOT });
    t.after(() => ref.stop());
    return [["duet", duet.port], ["reference", ref.port]];
}

async function connected(t, port, opts = {}) {
    const s = connect(port, "/", { transports: ["websocket"], ...opts });
    t.after(() => s.close());
    await withTimeout(new Promise((resolve, reject) => (s.once("connect", resolve), s.once("connect_error", reject))), 5000, "connect");
    return s;
}
const once = (s, event) => withTimeout(new Promise((r) => s.once(event, (...a) => r(a))), 5000, event);

test("socket.io-msgpack-parser: room and io broadcasts with binary, an emit with ack to the client, like the reference", { timeout: 30000 }, async (t) => {
    const PAYLOAD = [1, "x", { b: Buffer.from([1, 2, 3]), list: [Buffer.alloc(3000, 5)] }, Buffer.alloc(0)];
    const seen = {};
    for (const [name, port] of await runtimeServers(t)) {
        const [a, b, c] = [await connected(t, port), await connected(t, port, { transports: ["polling"] }), await connected(t, port)];
        await withTimeout(b.emitWithAck("join", "r"), 5000, "join");
        await withTimeout(c.emitWithAck("join", "r"), 5000, "join");
        const inRoom = [once(b, "room-message"), once(c, "room-message")];
        a.emit("to-room", "r", ...PAYLOAD);
        const room = (await Promise.all(inRoom)).map(plain);
        const all = [once(a, "io-message"), once(b, "io-message"), once(c, "io-message")];
        b.emit("io-emit", ...PAYLOAD);
        const everyone = (await Promise.all(all)).map(plain);
        a.once("question", (...args) => args.pop()("answer", ...args.slice(1)));
        const answer = once(a, "answer");
        a.emit("ask", Buffer.from([9]), { k: "v" });
        seen[name] = { room, everyone, answer: plain(await answer) };
    }
    assert.deepEqual(seen.duet.room, [plain(PAYLOAD), plain(PAYLOAD)]);
    assert.deepEqual(seen.duet.everyone, [plain(PAYLOAD), plain(PAYLOAD), plain(PAYLOAD)]);
    assert.deepEqual(seen.duet.answer, ["answer", { k: "v" }]);
    assert.deepEqual(seen.duet, seen.reference);
});

test("socket.io-msgpack-parser with connection state recovery: a dropped client gets what it missed, like the reference", { timeout: 30000 }, async (t) => {
    const seen = {};
    for (const [name, port] of await runtimeServers(t, 5000)) {
        const sender = await connected(t, port);
        const s = await connected(t, port);
        await withTimeout(s.emitWithAck("join", "r"), 5000, "join");
        // With recovery on, every event carries its offset as a last string argument,
        // which socket.io-client leaves in place (it only remembers it): set aside.
        const withOffset = (args) => {
            assert.equal(typeof args.at(-1), "string", `${name}: offset argument`);
            return plain(args.slice(0, -1));
        };
        const first = once(s, "room-message");
        sender.emit("to-room", "r", "before", Buffer.from([1]));
        const before = withOffset(await first);
        const id = s.id;
        // Drop the transport (not a clean disconnect): the server keeps the session.
        s.io.engine.close();
        await new Promise((r) => setTimeout(r, 100));
        sender.emit("to-room", "r", "missed 1", Buffer.from([2]));
        sender.emit("to-room", "r", "missed 2", { deep: Buffer.from([3]) });
        await new Promise((r) => setTimeout(r, 100));
        const got = [];
        s.on("room-message", (...a) => got.push(withOffset(a)));
        s.connect();
        await withTimeout(new Promise((r) => s.once("connect", r)), 5000, "reconnect");
        while (got.length < 2) await new Promise((r) => setTimeout(r, 10));
        const state = await withTimeout(s.emitWithAck("state"), 5000, "state");
        seen[name] = { before, recovered: s.recovered, sameId: s.id === id && state.id === id, serverSays: state.recovered, got };
    }
    assert.deepEqual(seen.duet, {
        before: ["before", { bin: "01" }],
        recovered: true,
        sameId: true,
        serverSays: true,
        got: [["missed 1", { bin: "02" }], ["missed 2", { deep: { bin: "03" } }]],
    });
    assert.deepEqual(seen.duet, seen.reference);
});
