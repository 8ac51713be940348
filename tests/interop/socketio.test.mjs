// tests/interop/socketio.test.mjs — duet's Socket.IO v5 server against the official
// npm socket.io-client (4.x), plus raw engine.io-client checks of the protocol's
// error paths (connect timeout, invalid packets).
//
// Every test runs twice: against duet (tests/interop/sio_test_server.cpp, path from
// DUET_SIO_SERVER) and against the reference npm `socket.io` server running the same
// handlers (REFERENCE_SERVER below), which is the oracle: a test that passes on the
// reference and fails on duet is a difference in duet. DUET_SIO_TARGETS=duet (or
// =reference) runs one side only.
//
// Run: DUET_SIO_SERVER=/path/to/sio_test_server node --test tests/interop/socketio.test.mjs
//      (or tests/interop/run_node_test.sh tests/interop/socketio.test.mjs <binary> DUET_SIO_SERVER)
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "./server_process.mjs";
import { fileURLToPath } from "node:url";

import { io as ioc, Manager } from "socket.io-client";
import { Socket as EioSocket } from "engine.io-client";

const SERVER = process.env.DUET_SIO_SERVER;
const HOST = "127.0.0.1";
// The source tree's root: its node_modules holds socket.io for the reference server.
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TARGETS = (process.env.DUET_SIO_TARGETS ?? "duet,reference").split(",").filter(Boolean);
// Extra arguments for the duet server (e.g. "--threads 2": the same suite across shards).
const SERVER_ARGS = (process.env.DUET_SERVER_ARGS ?? "").split(" ").filter(Boolean);
// How long a server has to close a connection after a protocol error (it should be
// at once; the connect timeout is 1000 ms).
const CLOSE_WAIT = 1500;

// ---------------------------------------------------------------- the reference server

// The same handlers as sio_test_server.cpp, on the npm socket.io server (the protocol
// test suite's settings: pingInterval 300, pingTimeout 200, connectTimeout 1000).
const REFERENCE_SERVER = `
const http = require("node:http").createServer();
const { Server } = require("socket.io");
const io = new Server(http, {
    pingInterval: 300, pingTimeout: 200, connectTimeout: 1000, maxHttpBufferSize: 1e6, cors: { origin: "*" },
});
const reasons = [];
const record = (socket) => socket.on("disconnect", (reason) => {
    reasons.push({ id: socket.id, nsp: socket.nsp.name, reason });
    if (reasons.length > 200) reasons.shift();
});
const isInt = (v) => Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
const takeAck = (args) => (typeof args[args.length - 1] === "function" ? args.pop() : () => {});
const argError = (ack, message) => ack({ error: "invalid arguments", message });

io.use((socket, next) => {
    const token = socket.handshake.auth && socket.handshake.auth.token;
    if (token === "bad") return next(Object.assign(new Error("unauthorized"), { data: { reason: "bad token" } }));
    if (token === "throw") return next(Object.assign(new Error("thrown"), { data: { reason: "thrown" } }));
    next();
});
io.on("connection", (socket) => {
    socket.emit("welcome", socket.id, socket.handshake.auth);
    record(socket);
    socket.on("echo", (...args) => socket.emit("echo", ...args));
    socket.on("echo-ack", (...args) => takeAck(args)(...args));
    socket.on("typed", (...args) => {
        const ack = takeAck(args);
        const [p, nums, note] = args;
        if (args.length < 1) return argError(ack, "missing argument 0");
        if (!p || typeof p !== "object" || Array.isArray(p) || typeof p.name !== "string" || !isInt(p.age))
            return argError(ack, "argument 0 does not convert");
        if (args.length < 2) return argError(ack, "missing argument 1");
        if (!Array.isArray(nums) || !nums.every(isInt)) return argError(ack, "argument 1 does not convert");
        if (note != null && typeof note !== "string") return argError(ack, "argument 2 does not convert");
        ack(p.name + "/" + p.age + "/" + nums.join("+") + "/" + (note == null ? "(none)" : note));
    });
    socket.on("bytes-len", (...args) => {
        const ack = takeAck(args);
        if (!Buffer.isBuffer(args[0])) return argError(ack, "argument 0 does not convert");
        ack(args[0].length);
    });
    socket.on("join", (room, ack) => { socket.join(room); ack(true); });
    socket.on("leave", (room, ack) => { socket.leave(room); ack(true); });
    socket.on("rooms", (ack) => ack([...socket.rooms].sort()));
    socket.on("count-room", (room, ack) => ack(io.of("/").adapter.rooms.get(room)?.size ?? 0));
    socket.on("to-room", (room, msg) => socket.to(room).emit("room-message", msg, socket.id));
    socket.on("to-room-except", (room, except, msg) =>
        socket.to(room).except(except).emit("room-message", msg, socket.id));
    socket.on("room-echo", (room, ...rest) => socket.to(room).emit("room-echo", ...rest));
    socket.on("broadcast", (msg) => socket.broadcast.emit("broadcast-message", msg, socket.id));
    socket.on("io-emit", (msg) => io.emit("io-message", msg, socket.id));
    socket.on("ask-client", (...args) => {
        const id = socket.id;
        socket.timeout(500).emit("question", ...args, (err, ...answer) => {
            const s = io.of("/").sockets.get(id);
            if (s) s.emit("answer", err ? { error: "timeout" } : answer);
        });
    });
    socket.on("ask-client-co", async (...args) => {
        const id = socket.id;
        let reply;
        try {
            // All the ack's arguments, as duet's co_await form gives them (emitWithAck
            // resolves with the first one only).
            reply = await new Promise((resolve, reject) =>
                socket.timeout(500).emit("question", ...args, (err, ...answer) => (err ? reject(err) : resolve(answer))));
        } catch {
            reply = { error: "timeout" };
        }
        const s = io.of("/").sockets.get(id);
        if (s) s.emit("answer", reply);
    });
    socket.on("disconnect-me", () => socket.disconnect());
    socket.on("close-me", () => socket.disconnect(true));
    socket.on("bye-close", (word) => {
        socket.emit("bye", word);
        socket.disconnect(true);
    });
    socket.on("last-reasons", (ack) => ack(reasons));
});
io.of("/custom").use(async (socket, next) => {
    const token = socket.handshake.auth && socket.handshake.auth.token;
    await new Promise((r) => setTimeout(r, 50));
    if (token === "bad") return next(Object.assign(new Error("unauthorized (async)"), { data: { reason: "async" } }));
    next();
});
io.of("/custom").use((socket, next) =>
    next(socket.handshake.auth && socket.handshake.auth.token === "bad2" ? new Error("unauthorized") : undefined));
io.of("/custom").on("connection", (socket) => {
    socket.emit("welcome", socket.id, socket.handshake.auth);
    record(socket);
    socket.on("echo", (...args) => socket.emit("echo", ...args));
});
io.of(/^\\/dyn-/).on("connection", (socket) => {
    socket.emit("welcome", socket.id, socket.nsp.name);
    socket.on("echo", (...args) => socket.emit("echo", ...args));
});
http.listen(0, "${HOST}", () => console.log("listening " + http.address().port));
`;

// ---------------------------------------------------------------- process helpers

// Starts a server process; resolves with { port, child, stop() } once it printed
// "listening <port>" (server_process.mjs).
const startProcess = (file, args, options = {}) => startServer(file, args, options);

function startTarget(target) {
    if (target === "duet") {
        assert.ok(SERVER, "DUET_SIO_SERVER must name the sio_test_server binary");
        return startProcess(SERVER, ["0", ...SERVER_ARGS]);
    }
    return startProcess(process.execPath, ["-e", REFERENCE_SERVER], { cwd: ROOT });
}

// ---------------------------------------------------------------- async helpers

// Rejects after `ms` unless `promise` settled. An `unref` timer does not hold the
// process (for waits that may be left behind unsettled).
function deadline(promise, ms, what, { unref = false } = {}) {
    let timer;
    return Promise.race([
        promise,
        new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
            if (unref) timer.unref();
        }),
    ]).finally(() => clearTimeout(timer));
}

// The arguments of the next `event` for which `filter(...args)` holds.
function once(emitter, event, { ms = 3000, filter = () => true, unref = false } = {}) {
    let handler;
    const p = new Promise((resolve) => {
        handler = (...args) => {
            if (!filter(...args)) return;
            emitter.off(event, handler);
            resolve(args);
        };
        emitter.on(event, handler);
    });
    return deadline(p, ms, `'${event}'`, { unref }).finally(() => emitter.off(event, handler));
}

// Retries `check` (an async function that throws while its condition does not hold)
// until it passes or `ms` elapse: for conditions no event announces (state on the
// server after another connection's packet).
async function eventually(check, ms = 3000) {
    const end = Date.now() + ms;
    for (;;) {
        try {
            return await check();
        } catch (e) {
            if (Date.now() > end) throw e;
            await new Promise((r) => setTimeout(r, 25));
        }
    }
}

// Everything `event` delivered, as arrays of arguments.
function record(socket, event) {
    const list = [];
    socket.on(event, (...args) => list.push(args));
    return list;
}

let seq = 0;
const uid = (prefix) => `${prefix}-${process.pid}-${++seq}`;

// Binary arrives as Buffer (websocket) or ArrayBuffer/Uint8Array depending on the
// transport; compare contents only.
function normalize(v) {
    if (v instanceof ArrayBuffer) return Buffer.from(v);
    if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    if (Array.isArray(v)) return v.map(normalize);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
    return v;
}

// ---------------------------------------------------------------- client helpers

const TRANSPORTS = {
    polling: { transports: ["polling"] },
    websocket: { transports: ["websocket"] },
    upgrade: {}, // the default: polling, then upgrade to websocket
};

// Client factory for one test: everything it opens is closed when the test ends.
function clientsFor(t, base) {
    const opened = [];
    t.after(() => {
        for (const c of opened) c.close();
    });
    const track = (s) => {
        opened.push(s);
        // Arm the "welcome" wait before any packet can arrive.
        s.welcome = once(s, "welcome", { unref: true });
        s.welcome.catch(() => {});
        return s;
    };
    return {
        base,
        // A socket.io-client socket on its own connection (not yet awaited).
        socket(nsp = "/", opts = {}) {
            return track(ioc(base + nsp, { forceNew: true, reconnection: false, timeout: 5000, ...opts }));
        },
        // Resolves with the socket once it is connected (rejects on connect_error).
        async connect(nsp = "/", opts = {}) {
            const s = this.socket(nsp, opts);
            await connected(s);
            return s;
        },
        // A Manager (one connection) for several namespaces.
        manager(opts = {}) {
            const m = new Manager(base, { reconnection: false, timeout: 5000, ...opts });
            opened.push({ close: () => m._close() });
            return {
                socket(nsp, o = {}) {
                    return track(m.socket(nsp, o));
                },
                m,
            };
        },
        // A raw Engine.IO connection under /socket.io/ (no Socket.IO client on top).
        async eio(opts = {}) {
            const e = new EioSocket(base, { path: "/socket.io/", ...opts });
            opened.push(e);
            e.messages = record(e, "message");
            e.closed = new Promise((resolve) => e.once("close", (reason) => resolve({ reason, at: Date.now() })));
            await deadline(
                new Promise((resolve, reject) => {
                    e.once("open", resolve);
                    e.once("error", reject);
                }),
                5000,
                "engine.io open",
            );
            e.openedAt = Date.now();
            return e;
        },
    };
}

function connected(s) {
    if (s.connected) return Promise.resolve(s);
    return deadline(
        new Promise((resolve, reject) => {
            s.once("connect", () => resolve(s));
            s.once("connect_error", reject);
        }),
        5000,
        "connect",
    );
}

async function upgraded(s) {
    if (s.io.engine.transport.name !== "websocket") await once(s.io.engine, "upgrade", { ms: 5000 });
    assert.equal(s.io.engine.transport.name, "websocket");
}

// Emits `ev` with args and resolves with the arguments of the server's ack.
function ask(s, ev, ...args) {
    return deadline(new Promise((resolve) => s.emit(ev, ...args, (...a) => resolve(a))), 3000, `ack of '${ev}'`);
}

// Resolves once every socket in `all` received the io-emit message `token` from
// `sender`. Packets to one client keep their order, so whatever the server sent to
// a client before the sender's io-emit has arrived by then: "nothing else came" is
// checked without sleeping.
async function barrier(sender, all) {
    const token = uid("barrier");
    const waits = all.map((s) => once(s, "io-message", { filter: (m) => m === token }));
    sender.emit("io-emit", token);
    await Promise.all(waits);
}

// The server's record of why socket `id` disconnected (polled from `via`).
async function serverReason(via, id) {
    return eventually(async () => {
        const [list] = await ask(via, "last-reasons");
        const r = list.find((x) => x.id === id);
        assert.ok(r, `no disconnect recorded for ${id}`);
        return r.reason;
    });
}

// A raw Engine.IO client connected to "/" with a Socket.IO CONNECT; resolves with
// the Socket.IO sid the server answered.
async function rawConnect(e) {
    const from = e.messages.length;
    e.send("0");
    const [m] = await nextMessage(e, (x) => x.startsWith("0{"), from);
    return JSON.parse(m.slice(1)).sid;
}

// The first message of a raw client, at index `from` or later, for which `pred`
// holds (text messages only unless `binary`). Looks at what already arrived first:
// several messages may be delivered in one tick.
function nextMessage(e, pred, from = 0, { binary = false } = {}) {
    const ok = (m) => (binary ? typeof m !== "string" : typeof m === "string") && pred(m);
    const found = e.messages.slice(from).find((a) => ok(a[0]));
    if (found) return Promise.resolve(found);
    return once(e, "message", { filter: ok });
}

// ---------------------------------------------------------------- payloads

const JSON_VALUES = [
    "hello",
    "",
    0,
    42,
    -17,
    3.5,
    -0.125,
    2 ** 53 - 1,
    -(2 ** 53 - 1),
    1e300,
    5e-324,
    0.1 + 0.2,
    true,
    false,
    null,
    [],
    {},
    [1, "two", [3, [4, [5]]], { six: 6 }],
    { a: 1, b: { c: [true, null, "x"], d: { e: { f: "deep" } } }, "": "empty key", "with space": 1 },
    "unicode: é ü 中文 日本語 한국어 🎉👍🏽 \u2028\u2029 \u0000 \u001f \"quotes\" \\backslash/ \t\n\r",
    { "ключ": "значение", "🔑": ["🎉"] },
];

const bin = (n, seed = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

// ================================================================ the tests

// The targets run side by side (each suite's own tests one after the other).
describe("socket.io interop", { concurrency: true }, () => {
    for (const target of TARGETS) {
        describe(target, { concurrency: false }, () => {
            let srv;
            let base;
            before(async () => {
                srv = await startTarget(target);
                base = `http://${HOST}:${srv.port}`;
            });
            after(async () => {
                await srv?.stop();
            });
            const it = (name, fn, timeout = 15000) =>
                test(name, { timeout }, (t) => {
                    // A crashed server fails what follows at once instead of by timeouts.
                    const { exitCode, signalCode } = srv.child;
                    if (exitCode !== null || signalCode !== null)
                        throw new Error(`the ${target} server is gone (exit ${exitCode ?? signalCode})`);
                    return fn(t, clientsFor(t, base));
                });

            // ------------------------------------------------------------ namespaces, auth

            it("connect to '/': CONNECT answered with the socket id, then 'welcome' (id, auth)", async (t, c) => {
                const s = await c.connect("/", { auth: { token: "good", n: 1, nested: { x: [1, 2] } } });
                assert.match(s.id, /^[\w-]{8,}$/);
                // v5: the socket id is not the Engine.IO session id.
                assert.notEqual(s.id, s.io.engine.id);
                const [id, auth] = await s.welcome;
                assert.equal(id, s.id);
                assert.deepEqual(auth, { token: "good", n: 1, nested: { x: [1, 2] } });
            });

            it("connect without auth: the server sees {}", async (t, c) => {
                const s = await c.connect("/");
                const [, auth] = await s.welcome;
                assert.deepEqual(auth, {});
            });

            it("connect to '/custom'", async (t, c) => {
                const s = await c.connect("/custom", { auth: { who: "custom" } });
                const [id, auth] = await s.welcome;
                assert.equal(id, s.id);
                assert.deepEqual(auth, { who: "custom" });
                const back = once(s, "echo");
                s.emit("echo", "in custom");
                assert.deepEqual(await back, ["in custom"]);
            });

            it("'/' and '/custom' multiplexed on one Manager (one Engine.IO connection)", async (t, c) => {
                const { socket, m } = c.manager();
                const a = socket("/", { auth: { which: "main" } });
                const b = socket("/custom", { auth: { which: "custom" } });
                await Promise.all([connected(a), connected(b)]);
                assert.equal(a.io, b.io);
                assert.equal(m.engine.readyState, "open");
                assert.notEqual(a.id, b.id);
                assert.deepEqual((await a.welcome)[1], { which: "main" });
                assert.deepEqual((await b.welcome)[1], { which: "custom" });
                // Each namespace answers on its own socket only.
                const ea = record(a, "echo");
                const eb = record(b, "echo");
                const both = Promise.all([once(a, "echo"), once(b, "echo")]);
                a.emit("echo", "to main");
                b.emit("echo", "to custom");
                await both;
                assert.deepEqual(ea, [["to main"]]);
                assert.deepEqual(eb, [["to custom"]]);
            });

            it("auth refused by a middleware returning connect_error: message and data", async (t, c) => {
                const s = c.socket("/", { auth: { token: "bad" } });
                const [err] = await once(s, "connect_error");
                assert.equal(err.message, "unauthorized");
                assert.deepEqual(err.data, { reason: "bad token" });
                assert.equal(s.connected, false);
            });

            it("auth refused by a middleware throwing connect_error: message and data", async (t, c) => {
                const s = c.socket("/", { auth: { token: "throw" } });
                const [err] = await once(s, "connect_error");
                assert.equal(err.message, "thrown");
                assert.deepEqual(err.data, { reason: "thrown" });
            });

            it("a refused namespace does not affect another on the same connection", async (t, c) => {
                const { socket } = c.manager();
                const bad = socket("/", { auth: { token: "bad" } });
                const good = socket("/custom");
                const [err] = await once(bad, "connect_error");
                assert.equal(err.message, "unauthorized");
                await connected(good);
                const back = once(good, "echo");
                good.emit("echo", 1);
                assert.deepEqual(await back, [1]);
            });

            it("'/custom': asynchronous (coroutine) middleware refuses with message and data", async (t, c) => {
                const s = c.socket("/custom", { auth: { token: "bad" } });
                const [err] = await once(s, "connect_error");
                assert.equal(err.message, "unauthorized (async)");
                assert.deepEqual(err.data, { reason: "async" });
            });

            it("'/custom': a synchronous middleware after the asynchronous one refuses (bool false)", async (t, c) => {
                const s = c.socket("/custom", { auth: { token: "bad2" } });
                const [err] = await once(s, "connect_error");
                assert.equal(err.message, "unauthorized");
                assert.equal(err.data, undefined);
            });

            for (const transport of ["websocket", "polling"]) {
                it(`[${transport}] the client goes away while an asynchronous middleware runs: the server carries on`, async (t, c) => {
                    const raws = await Promise.all(Array.from({ length: 4 }, () => c.eio({ transports: [transport] })));
                    for (const e of raws) {
                        e.send('0/custom,{"token":"slow"}');
                        e.close();
                    }
                    // Same middleware delay: by the time this one is through, theirs resumed.
                    const s = await c.connect("/custom");
                    const back = once(s, "echo");
                    s.emit("echo", "still serving");
                    assert.deepEqual(await back, ["still serving"]);
                });
            }

            it("unknown namespace: connect_error 'Invalid namespace'", async (t, c) => {
                const s = c.socket("/nope");
                const [err] = await once(s, "connect_error");
                assert.equal(err.message, "Invalid namespace");
                assert.equal(err.data, undefined);
            });

            it("dynamic namespace (of_matching '/dyn-*'): connect, welcome, echo; '/dyn' is invalid", async (t, c) => {
                const name = "/" + uid("dyn");
                const s = await c.connect(name);
                assert.deepEqual(await s.welcome, [s.id, name]);
                const back = once(s, "echo");
                s.emit("echo", { x: 1 }, bin(3));
                assert.deepEqual(normalize(await back), [{ x: 1 }, bin(3)]);
                const bad = c.socket("/dyn");
                const [err] = await once(bad, "connect_error");
                assert.equal(err.message, "Invalid namespace");
            });

            // ------------------------------------------------------------ echo

            for (const [tname, topts] of Object.entries(TRANSPORTS)) {
                it(`[${tname}] echo: JSON values round-trip exactly`, async (t, c) => {
                    const s = await c.connect("/", topts);
                    for (const v of JSON_VALUES) {
                        const back = once(s, "echo");
                        s.emit("echo", v);
                        assert.deepEqual(await back, [v], `value ${JSON.stringify(v)}`);
                    }
                    const back = once(s, "echo");
                    s.emit("echo", ...JSON_VALUES);
                    assert.deepEqual(await back, JSON_VALUES);
                });

                it(`[${tname}] echo: binary at top level and nested round-trips`, async (t, c) => {
                    const s = await c.connect("/", topts);
                    const cases = [
                        [bin(4)],
                        [Buffer.alloc(0)],
                        ["text", bin(10, 1), 7, bin(5, 2)],
                        [{ a: bin(3, 3), b: [bin(2, 4), { c: bin(1, 5) }], plain: "x" }],
                        [[bin(8, 6), [bin(9, 7)]], { _placeholder: false, num: 0 }],
                        [bin(200000, 8)],
                        [new Uint8Array([1, 2, 3])],
                    ];
                    for (const args of cases) {
                        const back = once(s, "echo");
                        s.emit("echo", ...args);
                        assert.deepEqual(normalize(await back), normalize(args));
                    }
                });

                it(`[${tname}] echo: 100 events arrive once each, in order`, async (t, c) => {
                    const s = await c.connect("/", topts);
                    const got = record(s, "echo");
                    const last = once(s, "echo", { filter: (n) => n === 99 });
                    for (let i = 0; i < 100; ++i) s.emit("echo", i);
                    await last;
                    assert.deepEqual(
                        got.map((a) => a[0]),
                        Array.from({ length: 100 }, (_, i) => i),
                    );
                });

                it(`[${tname}] client→server ack: arguments (binary included) come back in the ack`, async (t, c) => {
                    const s = await c.connect("/", topts);
                    assert.deepEqual(await ask(s, "echo-ack"), []);
                    assert.deepEqual(await ask(s, "echo-ack", "a", 1, null), ["a", 1, null]);
                    assert.deepEqual(normalize(await ask(s, "echo-ack", { k: bin(6) }, bin(2))), [{ k: bin(6) }, bin(2)]);
                    // emitWithAck and several in flight at once
                    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => s.emitWithAck("echo-ack", i)));
                    assert.deepEqual(all, Array.from({ length: 20 }, (_, i) => i));
                });
            }

            // ------------------------------------------------------------ typed arguments

            it("typed args: described struct, vector<int>, optional<string>, ack<string>", async (t, c) => {
                const s = await c.connect("/");
                assert.deepEqual(await ask(s, "typed", { name: "alice", age: 30 }, [1, 2, 3], "note"), ["alice/30/1+2+3/note"]);
                assert.deepEqual(await ask(s, "typed", { name: "bob", age: -1 }, []), ["bob/-1//(none)"]);
                assert.deepEqual(await ask(s, "typed", { name: "ü🎉", age: 0 }, [7], null), ["ü🎉/0/7/(none)"]);
            });

            it("typed args of the wrong types: error ack, the connection stays up", async (t, c) => {
                const s = await c.connect("/");
                const bad = [
                    [{ name: "alice", age: "30" }, [1]],
                    [{ name: 5, age: 1 }, [1]],
                    [{ name: "alice" }, [1]],
                    [{ name: "alice", age: 1.5 }, [1]],
                    [{ name: "alice", age: 2 ** 31 }, [1]],
                    ["not an object", [1]],
                    [{ name: "alice", age: 1 }, [1, "2"]],
                    [{ name: "alice", age: 1 }, "not an array"],
                    [{ name: "alice", age: 1 }, [1], 5],
                    [{ name: "alice", age: 1 }],
                    [],
                ];
                for (const args of bad) {
                    const [reply] = await ask(s, "typed", ...args);
                    assert.equal(reply?.error, "invalid arguments", `args ${JSON.stringify(args)}: ${JSON.stringify(reply)}`);
                    assert.match(reply.message, /argument \d/);
                }
                // No ack asked: nothing comes back, the connection stays.
                s.emit("typed", "wrong");
                assert.equal(s.connected, true);
                const back = once(s, "echo");
                s.emit("echo", "still here");
                assert.deepEqual(await back, ["still here"]);
                assert.deepEqual(await ask(s, "typed", { name: "ok", age: 1 }, [1]), ["ok/1/1/(none)"]);
            });

            it("typed binary parameter (duet::bytes)", async (t, c) => {
                const s = await c.connect("/");
                assert.deepEqual(await ask(s, "bytes-len", bin(1234)), [1234]);
                assert.deepEqual(await ask(s, "bytes-len", Buffer.alloc(0)), [0]);
                const [reply] = await ask(s, "bytes-len", "not binary");
                assert.equal(reply.error, "invalid arguments");
            });

            // ------------------------------------------------------------ server → client acks

            for (const ev of ["ask-client", "ask-client-co"]) {
                for (const [tname, topts] of Object.entries({ polling: TRANSPORTS.polling, websocket: TRANSPORTS.websocket })) {
                    it(`[${tname}] ${ev}: server emit_with_ack answered by the client`, async (t, c) => {
                        const s = await c.connect("/", topts);
                        s.on("question", (...args) => {
                            const ack = args.pop();
                            ack("answer to", ...args);
                        });
                        const answer = once(s, "answer");
                        s.emit(ev, "q1", { n: 2 });
                        assert.deepEqual(await answer, [["answer to", "q1", { n: 2 }]]);
                    });

                    it(`[${tname}] ${ev}: an ack without arguments → []`, async (t, c) => {
                        const s = await c.connect("/", topts);
                        s.on("question", (ack) => ack());
                        const answer = once(s, "answer");
                        s.emit(ev);
                        assert.deepEqual(await answer, [[]]);
                    });

                    it(`[${tname}] ${ev}: binary in the question reaches the client`, async (t, c) => {
                        const s = await c.connect("/", topts);
                        const question = once(s, "question");
                        s.emit(ev, bin(5), { nested: bin(3, 1) });
                        const args = await question;
                        const ack = args.pop();
                        assert.deepEqual(normalize(args), [bin(5), { nested: bin(3, 1) }]);
                        const answer = once(s, "answer");
                        ack("ok");
                        assert.deepEqual(await answer, [["ok"]]);
                    });

                    it(`[${tname}] ${ev}: binary in the client's ack reaches the server`, async (t, c) => {
                        const s = await c.connect("/", topts);
                        s.on("question", (ack) => ack(bin(4), { nested: bin(2, 9) }));
                        const answer = once(s, "answer");
                        s.emit(ev);
                        assert.deepEqual(normalize(await answer), [[bin(4), { nested: bin(2, 9) }]]);
                    });
                }

                it(`${ev}: the client does not answer → {"error":"timeout"} after ~500 ms`, async (t, c) => {
                    const s = await c.connect("/");
                    const question = once(s, "question"); // listened to, never acked
                    const answer = once(s, "answer");
                    const t0 = Date.now();
                    s.emit(ev, "q");
                    await question;
                    assert.deepEqual(await answer, [{ error: "timeout" }]);
                    const took = Date.now() - t0;
                    assert.ok(took >= 450 && took < 2500, `timeout after ${took} ms`);
                });

                it(`${ev}: a late ack (after the timeout) is ignored`, async (t, c) => {
                    const s = await c.connect("/");
                    const answers = record(s, "answer");
                    const question = once(s, "question");
                    const first = once(s, "answer");
                    s.emit(ev, "q");
                    const ack = (await question).pop();
                    assert.deepEqual(await first, [{ error: "timeout" }]);
                    ack("too late");
                    const back = once(s, "echo");
                    s.emit("echo", "after the late ack");
                    await back;
                    assert.deepEqual(answers, [[{ error: "timeout" }]]);
                    assert.equal(s.connected, true);
                });

                it(`${ev}: concurrent asks answered out of order reach the right callbacks`, async (t, c) => {
                    const s = await c.connect("/");
                    const pending = [];
                    s.on("question", (...args) => pending.push(args));
                    const asked = once(s, "question", { filter: () => pending.length === 2 });
                    const answers = record(s, "answer");
                    const two = once(s, "answer", { filter: () => answers.length === 2 });
                    s.emit(ev, "first");
                    s.emit(ev, "second");
                    await asked;
                    // Answer the second question first.
                    for (const args of [...pending].reverse()) {
                        const ack = args.pop();
                        ack("re:" + args[0]);
                    }
                    await two;
                    assert.deepEqual(answers, [[["re:second"]], [["re:first"]]]);
                });
            }

            // ------------------------------------------------------------ rooms

            it("rooms: join / leave / room size / rooms()", async (t, c) => {
                const room = uid("room");
                const [a, b, d] = await Promise.all([c.connect(), c.connect(), c.connect()]);
                assert.deepEqual(await ask(a, "count-room", room), [0]);
                assert.deepEqual(await ask(a, "join", room), [true]);
                assert.deepEqual(await ask(a, "join", room), [true]); // twice: still one member
                assert.deepEqual(await ask(b, "join", room), [true]);
                assert.deepEqual(await ask(d, "join", room), [true]);
                assert.deepEqual(await ask(a, "count-room", room), [3]);
                assert.deepEqual(await ask(a, "rooms"), [[a.id, room].sort()]);
                assert.deepEqual(await ask(b, "leave", room), [true]);
                assert.deepEqual(await ask(b, "leave", room), [true]); // not a member: no-op
                assert.deepEqual(await ask(a, "count-room", room), [2]);
                assert.deepEqual(await ask(b, "rooms"), [[b.id]]);
                // Each socket is in the room named by its id.
                assert.deepEqual(await ask(a, "count-room", b.id), [1]);
                // A socket that goes away leaves its rooms.
                d.disconnect();
                await eventually(async () => assert.deepEqual(await ask(a, "count-room", room), [1]));
                a.disconnect();
                await eventually(async () => assert.deepEqual(await ask(b, "count-room", room), [0]));
            });

            // Runs the room / except / broadcast / io.emit checks over `clients` (any mix
            // of transports): members[0..2] join the room, members[2] also joins `other`.
            async function roomChecks(members, outsiders) {
                const room = uid("room");
                const other = uid("other");
                const all = [...members, ...outsiders];
                await Promise.all(members.map((s) => ask(s, "join", room)));
                await ask(members[2], "join", other);
                const inbox = new Map(
                    all.map((s) => [
                        s,
                        {
                            room: record(s, "room-message"),
                            bcast: record(s, "broadcast-message"),
                            io: record(s, "io-message"),
                            echo: record(s, "room-echo"),
                        },
                    ]),
                );
                const count = (s, kind, msg) => inbox.get(s)[kind].filter((a) => JSON.stringify(a[0]) === JSON.stringify(msg)).length;

                for (const sender of members) {
                    // to(room): every other member exactly once, not the sender, no outsider.
                    const msg = { room: uid("m"), from: sender.id };
                    sender.emit("to-room", room, msg);
                    // except: members of `room` not in `other`.
                    const exMsg = uid("except");
                    sender.emit("to-room-except", room, other, exMsg);
                    // broadcast: everyone in "/" but the sender.
                    const bMsg = uid("bcast");
                    sender.emit("broadcast", bMsg);
                    // binary to the room
                    const payload = bin(300, members.indexOf(sender));
                    sender.emit("room-echo", room, "bin", payload, { nested: payload });
                    await barrier(sender, all);
                    for (const s of all) {
                        const isMember = members.includes(s) && s !== sender;
                        assert.equal(count(s, "room", msg), isMember ? 1 : 0, `to(room) at ${s.id} (sender ${sender.id})`);
                        const exTarget = isMember && s !== members[2];
                        assert.equal(count(s, "room", exMsg), exTarget ? 1 : 0, `except at ${s.id}`);
                        assert.equal(count(s, "bcast", bMsg), s === sender ? 0 : 1, `broadcast at ${s.id}`);
                    }
                    for (const s of all) {
                        const echoes = inbox.get(s).echo.splice(0);
                        if (members.includes(s) && s !== sender)
                            assert.deepEqual(normalize(echoes), [["bin", payload, { nested: payload }]], `room-echo at ${s.id}`);
                        else assert.deepEqual(echoes, [], `room-echo at ${s.id}`);
                    }
                    // The room message names its sender.
                    for (const s of members.filter((x) => x !== sender))
                        assert.equal(inbox.get(s).room.find((a) => JSON.stringify(a[0]) === JSON.stringify(msg))[1], sender.id);
                }
                // io.emit: everyone, the sender included, exactly once.
                const ioMsg = uid("io");
                members[0].emit("io-emit", ioMsg);
                await barrier(members[0], all);
                for (const s of all) assert.equal(count(s, "io", ioMsg), 1, `io.emit at ${s.id}`);
            }

            it("to(room) / except / broadcast / io.emit: exactly the right sockets, once each", async (t, c) => {
                const members = await Promise.all([c.connect(), c.connect(), c.connect()]);
                const outsiders = await Promise.all([c.connect(), c.connect()]);
                await roomChecks(members, outsiders);
            });

            it("the same room checks across polling-only, websocket-only and upgraded clients", async (t, c) => {
                const members = await Promise.all([
                    c.connect("/", TRANSPORTS.polling),
                    c.connect("/", TRANSPORTS.websocket),
                    c.connect("/", TRANSPORTS.upgrade),
                ]);
                const outsiders = await Promise.all([
                    c.connect("/", TRANSPORTS.polling),
                    c.connect("/", TRANSPORTS.websocket),
                    c.connect("/", TRANSPORTS.upgrade),
                ]);
                await Promise.all([upgraded(members[2]), upgraded(outsiders[2])]);
                assert.equal(members[0].io.engine.transport.name, "polling");
                await roomChecks(members, outsiders);
                // Rotate roles so that each transport is also the one in `other`.
                await roomChecks([members[1], members[2], members[0]], outsiders);
                await roomChecks([members[2], members[0], members[1]], outsiders);
            });

            it("a room in '/' does not reach a socket of the same client in '/custom'", async (t, c) => {
                const room = uid("room");
                const { socket } = c.manager();
                const main = socket("/");
                const custom = socket("/custom");
                const sender = await c.connect();
                await Promise.all([connected(main), connected(custom)]);
                await ask(main, "join", room);
                const inCustom = record(custom, "room-message");
                const got = once(main, "room-message");
                sender.emit("to-room", room, "hi");
                assert.deepEqual(await got, ["hi", sender.id]);
                const back = once(custom, "echo");
                custom.emit("echo", "sync");
                await back;
                assert.deepEqual(inCustom, []);
            });

            // ------------------------------------------------------------ disconnects

            it("server disconnect(): client gets 'io server disconnect', no auto-reconnect; connect() again works", async (t, c) => {
                const s = await c.connect("/", { reconnection: true, reconnectionDelay: 50 });
                await s.welcome;
                const oldId = s.id;
                const gone = once(s, "disconnect");
                s.emit("disconnect-me");
                const [reason] = await gone;
                assert.equal(reason, "io server disconnect");
                assert.equal(s.active, false, "the client must not reconnect by itself");
                const welcome = once(s, "welcome");
                s.connect();
                await connected(s);
                assert.notEqual(s.id, oldId);
                assert.deepEqual(await welcome, [s.id, {}]);
                assert.equal(await serverReason(s, oldId), "server namespace disconnect");
            });

            it("server disconnect() of '/' leaves '/custom' of the same connection working", async (t, c) => {
                const { socket } = c.manager();
                const main = socket("/");
                const custom = socket("/custom");
                await Promise.all([connected(main), connected(custom)]);
                const gone = once(main, "disconnect");
                main.emit("disconnect-me");
                assert.equal((await gone)[0], "io server disconnect");
                assert.equal(custom.connected, true);
                const back = once(custom, "echo");
                custom.emit("echo", "custom still here");
                assert.deepEqual(await back, ["custom still here"]);
            });

            for (const transport of ["polling", "websocket"]) {
                it(`[${transport}] a client that left '/' with an ack pending gets nothing more on '/'`, async (t, c) => {
                    const e = await c.eio({ transports: [transport] });
                    await rawConnect(e);
                    e.send('2["ask-client","q"]');
                    await nextMessage(e, (x) => /^2\d+\["question"/.test(x));
                    const from = e.messages.length;
                    e.send("1"); // DISCONNECT "/"; the server's ack is still pending
                    e.send("0/custom,");
                    await nextMessage(e, (x) => x.startsWith("0/custom,"), from);
                    e.send('2/custom,["echo","sync"]');
                    await nextMessage(e, (x) => x === '2/custom,["echo","sync"]', from);
                    const forMain = e.messages
                        .slice(from)
                        .map((a) => a[0])
                        .filter((x) => typeof x !== "string" || !x.slice(1).startsWith("/"));
                    assert.deepEqual(forMain, [], "packets for '/' after the client left it");
                });
            }

            for (const [tname, topts] of Object.entries({ polling: TRANSPORTS.polling, websocket: TRANSPORTS.websocket })) {
                // Two namespaces on one connection; "close-me" on "/".
                async function closeMe(c) {
                    const { socket, m } = c.manager({ ...topts, reconnection: true, reconnectionDelay: 50 });
                    const main = socket("/");
                    const custom = socket("/custom");
                    await Promise.all([connected(main), connected(custom)]);
                    const ids = [main.id, custom.id];
                    const gone = [once(main, "disconnect"), once(custom, "disconnect")];
                    const engineClosed = once(m.engine, "close");
                    main.emit("close-me");
                    return { main, custom, ids, gone, engineClosed };
                }

                it(`[${tname}] server disconnect(true): the client sees 'io server disconnect' on every namespace, no reconnect`, async (t, c) => {
                    const { main, custom, gone, engineClosed } = await closeMe(c);
                    const [[rMain], [rCustom]] = await Promise.all(gone);
                    await engineClosed;
                    assert.deepEqual([rMain, rCustom], ["io server disconnect", "io server disconnect"]);
                    assert.equal(main.active, false, "the client must not reconnect by itself");
                    assert.equal(custom.active, false, "the client must not reconnect by itself");
                });

                it(`[${tname}] server disconnect(true): server-side reason 'server namespace disconnect' for every namespace`, async (t, c) => {
                    const watcher = await c.connect();
                    const { ids, engineClosed } = await closeMe(c);
                    await engineClosed;
                    assert.equal(await serverReason(watcher, ids[0]), "server namespace disconnect");
                    assert.equal(await serverReason(watcher, ids[1]), "server namespace disconnect");
                });

                it(`[${tname}] an emit right before disconnect(true) still reaches the client`, async (t, c) => {
                    const s = await c.connect("/", topts);
                    const events = [];
                    s.on("bye", (w) => events.push(["bye", w]));
                    const gone = once(s, "disconnect");
                    s.emit("bye-close", "ciao");
                    await gone;
                    assert.deepEqual(events, [["bye", "ciao"]]);
                });
            }

            it("client disconnect() of one namespace: server reason 'client namespace disconnect', the other stays", async (t, c) => {
                const { socket } = c.manager();
                const main = socket("/");
                const custom = socket("/custom");
                await Promise.all([connected(main), connected(custom)]);
                const customId = custom.id;
                custom.disconnect();
                // Same connection, packets in order: the DISCONNECT is handled before this.
                const [list] = await ask(main, "last-reasons");
                assert.equal(list.find((x) => x.id === customId)?.reason, "client namespace disconnect");
                const back = once(main, "echo");
                main.emit("echo", "main still here");
                assert.deepEqual(await back, ["main still here"]);
            });

            for (const [tname, topts] of Object.entries(TRANSPORTS)) {
                it(`[${tname}] client disconnect() of its only namespace: 'client namespace disconnect'`, async (t, c) => {
                    const watcher = await c.connect();
                    const s = await c.connect("/", topts);
                    if (tname === "upgrade") await upgraded(s);
                    const id = s.id;
                    s.disconnect();
                    assert.equal(await serverReason(watcher, id), "client namespace disconnect");
                });

                it(`[${tname}] the client's connection closes: server reason 'transport close'`, async (t, c) => {
                    const watcher = await c.connect();
                    const s = await c.connect("/", topts);
                    if (tname === "upgrade") await upgraded(s);
                    const id = s.id;
                    s.io.engine.close();
                    assert.equal(await serverReason(watcher, id), "transport close");
                });
            }

            it("heartbeat: a connected client stays past pingInterval × 4 and the connect timeout", async (t, c) => {
                const s = await c.connect("/", TRANSPORTS.websocket);
                let pings = 0;
                await once(s.io.engine, "ping", { ms: 4000, filter: () => ++pings === 4 });
                assert.equal(s.connected, true);
                const back = once(s, "echo");
                s.emit("echo", "alive");
                assert.deepEqual(await back, ["alive"]);
            });

            // ------------------------------------------------------------ protocol errors (raw Engine.IO)

            // Timers to the millisecond: pings at 300, 600 and 900 ms (each one 300 ms
            // after the pong) fit before the 1000 ms connect timeout, which closes the
            // connection on time.
            it("connect timeout: an Engine.IO client that never sends CONNECT gets 3 pings, then is closed at 1 s", async (t, c) => {
                const [p, w] = await Promise.all([c.eio({ transports: ["polling"] }), c.eio({ transports: ["websocket"] })]);
                for (const e of [p, w]) {
                    e.pings = 0;
                    e.on("ping", () => ++e.pings);
                }
                for (const e of [p, w]) {
                    const { at } = await deadline(e.closed, 4000, "close");
                    const took = at - e.openedAt;
                    const name = e.transport?.name ?? "?";
                    assert.ok(took >= 950 && took < 1100, `${name} closed after ${took} ms`);
                    assert.equal(e.pings, 3, `${name}: pings before the connect timeout`);
                }
            });

            // The CONNECT reply is written on its own: a GET parked when the CONNECT
            // arrives is answered with the reply alone, and what the connection
            // handler emitted comes with the next GET.
            it("[polling] the CONNECT reply answers a parked GET alone; the handler's emits follow", async (t, c) => {
                const url = (sid) => `${c.base}/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ""}`;
                const get = async (sid) => (await fetch(url(sid))).text();
                const { sid } = JSON.parse((await get()).slice(1));
                const parked = get(sid);
                await new Promise((r) => setTimeout(r, 50));
                const post = await fetch(url(sid), { method: "POST", body: "40" });
                assert.equal(await post.text(), "ok");
                const first = (await parked).split("\x1e");
                assert.equal(first.length, 1, `one packet: ${first}`);
                assert.match(first[0], /^40\{"sid":"[^"]+"\}$/);
                const next = (await get(sid)).split("\x1e");
                assert.match(next[0], /^42\["welcome",/);
            });

            // (socket.io-client closes the connection itself after a connect_error: raw.)
            it("connect timeout: CONNECT refused by the middleware → still closed after ~1 s", async (t, c) => {
                const e = await c.eio({ transports: ["websocket"] });
                e.send('0{"token":"bad"}');
                const [m] = await nextMessage(e, (x) => x.startsWith("4"));
                assert.deepEqual(JSON.parse(m.slice(1)), { message: "unauthorized", data: { reason: "bad token" } });
                const { at } = await deadline(e.closed, 4000, "close");
                assert.ok(at - e.openedAt >= 800 && at - e.openedAt < 3000, `closed after ${at - e.openedAt} ms`);
            });

            const INVALID = {
                "42invalid (EVENT with invalid JSON)": "2invalid",
                "49 (unknown packet type)": "9",
                "42{} (EVENT payload not an array)": '2{"a":1}',
                "42[] (EVENT without a name)": "2[]",
                "40 with a non-object payload": '0"auth"',
                "43 (ACK without payload)": "3",
                "451-[...] then text instead of the attachment": '51-["ev",{"_placeholder":true,"num":0}]',
            };
            for (const [name, packet] of Object.entries(INVALID)) {
                for (const transport of ["polling", "websocket"]) {
                    it(`[${transport}] invalid packet ${name} before CONNECT: the connection is closed at once`, async (t, c) => {
                        const e = await c.eio({ transports: [transport] });
                        e.send(packet);
                        if (packet.startsWith("5")) e.send("2[\"x\"]");
                        const { at } = await deadline(e.closed, CLOSE_WAIT, "close");
                        assert.ok(at - e.openedAt < 800, `closed after ${at - e.openedAt} ms (the connect timeout is 1000)`);
                    });
                }
            }

            for (const transport of ["polling", "websocket"]) {
                it(`[${transport}] invalid packet after CONNECT: closed; server reason recorded`, async (t, c) => {
                    const watcher = await c.connect();
                    const e = await c.eio({ transports: [transport] });
                    const sid = await rawConnect(e);
                    e.send("2invalid");
                    await deadline(e.closed, CLOSE_WAIT, "close");
                    const reason = await serverReason(watcher, sid);
                    assert.equal(reason, "forced close");
                });

                it(`[${transport}] EVENT to a namespace the client has not joined: the connection is closed`, async (t, c) => {
                    const e = await c.eio({ transports: [transport] });
                    await rawConnect(e);
                    e.send('2/custom,["echo","x"]');
                    await deadline(e.closed, CLOSE_WAIT, "close");
                    assert.deepEqual(
                        e.messages.map((a) => a[0]).filter((m) => typeof m === "string" && m.startsWith("2/custom")),
                        [],
                    );
                });

                it(`[${transport}] a second CONNECT to a joined namespace: the connection is closed`, async (t, c) => {
                    const e = await c.eio({ transports: [transport] });
                    await rawConnect(e);
                    e.send("0");
                    await deadline(e.closed, CLOSE_WAIT, "close");
                });

                it(`[${transport}] raw CONNECT / EVENT / ACK / DISCONNECT (wire format)`, async (t, c) => {
                    const e = await c.eio({ transports: [transport] });
                    e.send('0/custom,{"k":"v"}');
                    const [m] = await nextMessage(e, (x) => x.startsWith("0/custom,"));
                    assert.match(m, /^0\/custom,\{"sid":"[\w-]+"\}$/);
                    const [welcome] = await nextMessage(e, (x) => x.startsWith("2/custom,"));
                    assert.match(welcome, /^2\/custom,\["welcome","[\w-]+",\{"k":"v"\}\]$/);
                    await rawConnect(e);
                    e.send('27["echo-ack","a",{"b":[1,2]}]');
                    assert.deepEqual(await nextMessage(e, (x) => x.startsWith("37[")), ['37["a",{"b":[1,2]}]']);
                    const from = e.messages.length;
                    e.send('51-8["echo-ack",{"_placeholder":true,"num":0}]');
                    e.send(Buffer.from([1, 2, 3]));
                    assert.deepEqual(await nextMessage(e, (x) => x.startsWith("61-8"), from), ['61-8[{"_placeholder":true,"num":0}]']);
                    const attachment = await nextMessage(e, () => true, from, { binary: true });
                    assert.deepEqual(normalize(attachment), [Buffer.from([1, 2, 3])]);
                    // The attachment directly follows its BINARY_ACK.
                    const i = e.messages.findIndex((a, k) => k >= from && a[0] === '61-8[{"_placeholder":true,"num":0}]');
                    assert.equal(e.messages[i + 1][0], attachment[0]);
                    e.send("1/custom,");
                    e.send('2["echo","after"]');
                    assert.deepEqual(await nextMessage(e, (x) => x.startsWith('2["echo"')), ['2["echo","after"]']);
                });
            }
        });
    }
});
