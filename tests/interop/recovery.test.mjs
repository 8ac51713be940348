// tests/interop/recovery.test.mjs — connection state recovery (socket.io >= 4.6) with
// the official socket.io-client: a client whose connection drops while the server
// keeps emitting to its rooms comes back with the same id, rooms and data, and gets
// every event exactly once, in order (socket.recovered === true).
//
// Every case runs against duet (tests/interop/sio_test_server.cpp, namespace
// "/recovery", started with --recovery) and against the reference npm `socket.io`
// server with connectionStateRecovery (REFERENCE_SERVER below), the oracle. Two
// places where duet does better than the reference's known pitfalls are asserted as
// such: a client that never received an event is recovered by duet (the reference
// cannot: the client has no offset yet).
//
// The connection is cut two ways: by a TCP proxy between client and server that
// destroys both sides (a network cut: the server sees the TCP connection end), and by
// the server closing the client's connection ("forced close").
//
// Run: DUET_SIO_SERVER=/path/to/sio_test_server node --test tests/interop/recovery.test.mjs
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect as netConnect } from "node:net";
import { fileURLToPath } from "node:url";
import { io as ioc } from "socket.io-client";
import { startServer } from "./server_process.mjs";

const SERVER = process.env.DUET_SIO_SERVER;
const HOST = "127.0.0.1";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TARGETS = (process.env.DUET_SIO_TARGETS ?? "duet,reference").split(",").filter(Boolean);
const SERVER_ARGS = (process.env.DUET_SERVER_ARGS ?? "").split(" ").filter(Boolean);
const NSP = "/recovery";

// The handlers of sio_test_server's "/recovery" namespace, on the npm socket.io server.
const REFERENCE_SERVER = `
const http = require("node:http").createServer();
const { Server } = require("socket.io");
const max = Number(process.argv[1]);
const skipMiddlewares = process.argv[2] !== "run-middlewares";
const io = new Server(http, {
    pingInterval: 300, pingTimeout: 200, connectTimeout: 1000, cors: { origin: "*" },
    ...(max > 0 ? { connectionStateRecovery: { maxDisconnectionDuration: max, skipMiddlewares } } : {}),
});
io.of("${NSP}").use((socket, next) => next(socket.handshake.auth.gate === "closed" ? new Error("gate closed") : undefined));
io.of("${NSP}").on("connection", (socket) => {
    socket.on("join", (room, ack) => { socket.join(room); ack(true); });
    socket.on("to-room", (room, msg) => socket.to(room).emit("room-message", msg, socket.id));
    socket.on("drop-me", () => socket.conn.close());
    socket.on("set-data", (v, ack) => { socket.data = v; ack(true); });
    socket.on("state", (ack) => ack({
        id: socket.id, recovered: socket.recovered,
        rooms: [...socket.rooms].filter((r) => r !== socket.id).sort(), data: socket.data ?? null,
    }));
    socket.on("whoami", (ack) => ack({ shard: 0 }));
});
http.listen(0, "${HOST}", () => console.log("listening " + http.address().port));
`;

async function startTarget(t, target, { recovery = 120000, runMiddlewares = false } = {}) {
    let server;
    if (target === "duet") {
        assert.ok(SERVER, "DUET_SIO_SERVER must name the sio_test_server binary");
        const args = ["0", ...SERVER_ARGS];
        if (recovery > 0) args.push("--recovery", String(recovery));
        if (runMiddlewares) args.push("--recovery-run-middlewares");
        server = await startServer(SERVER, args);
    } else {
        const args = ["-e", REFERENCE_SERVER, String(recovery), runMiddlewares ? "run-middlewares" : "skip"];
        server = await startServer(process.execPath, args, { cwd: ROOT });
    }
    t.after(() => server.stop());
    return server.port;
}

// A TCP proxy to `port`: cut() destroys every connection it carries (both sides), and
// while paused it refuses new ones (they are destroyed at once).
async function startProxy(t, port) {
    const pairs = new Set();
    let paused = false;
    const server = createServer((down) => {
        if (paused) return down.destroy();
        const up = netConnect(port, HOST);
        const pair = { up, down };
        pairs.add(pair);
        const end = () => {
            up.destroy();
            down.destroy();
            pairs.delete(pair);
        };
        up.on("error", end).on("close", end);
        down.on("error", end).on("close", end);
        down.pipe(up);
        up.pipe(down);
    });
    await new Promise((r) => server.listen(0, HOST, r));
    t.after(() => {
        for (const p of pairs) p.up.destroy(), p.down.destroy();
        server.close();
    });
    return {
        port: server.address().port,
        cut() {
            for (const p of pairs) p.up.destroy(), p.down.destroy();
            pairs.clear();
        },
        pause(on) {
            paused = on;
        },
    };
}

function deadline(promise, ms, what) {
    let timer;
    return Promise.race([
        promise,
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
    ]).finally(() => clearTimeout(timer));
}
const once = (emitter, event, ms = 5000) => deadline(new Promise((r) => emitter.once(event, (...a) => r(a))), ms, event);
const ask = (s, ev, ...args) => deadline(s.emitWithAck(ev, ...args), 3000, `ack of ${ev}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A recovering client (through `port`), recording the room messages it gets.
async function client(t, port, opts = {}) {
    const s = ioc(`http://${HOST}:${port}${NSP}`, {
        forceNew: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 100,
        randomizationFactor: 0,
        timeout: 3000,
        ...opts,
    });
    t.after(() => s.close());
    s.got = [];
    s.on("room-message", (msg) => s.got.push(msg));
    await once(s, "connect");
    return s;
}

async function until(pred, ms, what) {
    const end = Date.now() + ms;
    while (!pred()) {
        if (Date.now() > end) throw new Error(`timed out: ${what}`);
        await sleep(10);
    }
}

// The emitter (a second client, straight to the server) sends messages to a room.
function sender(emitter, room) {
    let n = 0;
    return (count) => {
        const sent = [];
        for (let i = 0; i < count; ++i) {
            const m = `m${n++}`;
            emitter.emit("to-room", room, m);
            sent.push(m);
        }
        return sent;
    };
}

// A server, a proxy in front of it, the recovering client `a` (through the proxy, in
// room "r") and the emitter `e` (straight to the server).
async function scene(t, target, { recovery, runMiddlewares, transports = ["websocket"], auth } = {}) {
    const port = await startTarget(t, target, { ...(recovery === undefined ? {} : { recovery }), runMiddlewares });
    const proxy = await startProxy(t, port);
    const a = await client(t, proxy.port, { transports, ...(auth ? { auth } : {}) });
    const e = await client(t, port);
    await ask(a, "join", "r");
    return { proxy, a, e };
}

// Cuts the network under `a`; resolves once the client noticed.
async function cut(a, proxy) {
    const dropped = once(a, "disconnect");
    proxy.cut();
    await dropped;
}

// `a` ends up with exactly `expected`: nothing missing, nothing more within 100 ms.
async function gotExactly(a, expected) {
    await until(() => a.got.length >= expected.length, 3000, `every event (${a.got})`);
    await sleep(100);
    assert.deepEqual(a.got, expected);
}

const range = (a, b) => Array.from({ length: b - a }, (_, i) => `m${a + i}`);

for (const target of TARGETS) {
    describe(target, () => {
        for (const [how, transports] of [
            ["network cut", ["websocket"]],
            ["network cut", ["polling"]],
            ["server-side close", ["websocket"]],
            ["server-side close", ["polling"]],
        ]) {
            it(`[${transports[0]}] ${how}: same id, rooms and data; missed events once, in order`, async (t) => {
                const { proxy, a, e } = await scene(t, target, { transports });
                await ask(a, "set-data", { user: "ada", n: 1 });
                const before = await ask(a, "state");
                assert.equal(before.recovered, false);
                const send = sender(e, "r");
                const toA = sender(e, a.id); // to the socket's own room: its private events
                send(3);
                await until(() => a.got.length === 3, 3000, "the first events");
                const dropped = once(a, "disconnect");
                if (how === "network cut") {
                    // New connections are refused too: a polling client between two
                    // requests would otherwise just open a new one and never notice.
                    proxy.pause(true);
                    proxy.cut();
                } else {
                    a.emit("drop-me");
                }
                await dropped;
                // Emitted while the client is away (the server may not have noticed yet).
                send(4);
                toA(1);
                send(2);
                // A server learns that a polling client is gone by its ping timeout
                // (pingInterval + pingTimeout = 500 ms) at the latest, and only then keeps
                // the session: the way back stays closed until then.
                if (how === "network cut") {
                    if (transports[0] === "polling") await sleep(800);
                    proxy.pause(false);
                }
                await once(a, "connect", 5000);
                assert.equal(a.recovered, true, "socket.recovered");
                const after = await ask(a, "state");
                assert.deepEqual(after, { ...before, recovered: true });
                assert.equal(a.id, before.id);
                send(3);
                await gotExactly(a, [...range(0, 7), "m0", ...range(7, 12)]);
            });
        }

        it("recovering twice in a row: every event once, in order", async (t) => {
            const { proxy, a, e } = await scene(t, target);
            const send = sender(e, "r");
            const id = a.id;
            send(2);
            for (let round = 0; round < 2; ++round) {
                await until(() => a.got.length === 2 + round * 4, 3000, `round ${round}`);
                await cut(a, proxy);
                send(2);
                await once(a, "connect", 5000);
                assert.equal(a.recovered, true, `round ${round}`);
                assert.equal(a.id, id);
                send(2);
            }
            await gotExactly(a, range(0, 10));
        });

        it("a client that never received an event: duet recovers it, the reference cannot (no offset)", async (t) => {
            const { proxy, a, e } = await scene(t, target);
            const id = a.id;
            await cut(a, proxy);
            sender(e, "r")(3);
            await once(a, "connect", 5000);
            if (target === "reference") {
                assert.equal(a.recovered, false);
                assert.notEqual(a.id, id);
                return;
            }
            assert.equal(a.recovered, true);
            assert.equal(a.id, id);
            await until(() => a.got.length >= 3, 3000, `the missed events (${a.got})`);
            assert.deepEqual(a.got, range(0, 3));
        });

        it("a session kept past max_disconnection_duration: a fresh connection", async (t) => {
            const { proxy, a, e } = await scene(t, target, { recovery: 500 });
            sender(e, "r")(1);
            await until(() => a.got.length === 1, 3000, "the first event");
            const id = a.id;
            proxy.pause(true);
            await cut(a, proxy);
            await sleep(900);
            proxy.pause(false);
            await once(a, "connect", 5000);
            assert.equal(a.recovered, false);
            assert.notEqual(a.id, id);
            assert.deepEqual((await ask(a, "state")).rooms, []);
        });

        // skip_middlewares (skipMiddlewares): whether a recovered client goes through the
        // namespace's middleware again. The gate closes while the client is away.
        for (const runMiddlewares of [false, true]) {
            it(`skip_middlewares ${!runMiddlewares}: a middleware that now refuses ${runMiddlewares ? "refuses the recovery" : "is skipped"}`, async (t) => {
                let gate = "open";
                const { proxy, a, e } = await scene(t, target, { runMiddlewares, auth: (cb) => cb({ gate }) });
                const id = a.id;
                sender(e, "r")(1);
                await until(() => a.got.length === 1, 3000, "the first event");
                await cut(a, proxy);
                gate = "closed";
                if (!runMiddlewares) {
                    await once(a, "connect", 5000);
                    assert.equal(a.recovered, true);
                    assert.equal(a.id, id);
                    return;
                }
                const [err] = await once(a, "connect_error", 5000);
                assert.equal(err.message, "gate closed");
                assert.equal(a.connected, false);
                // Opened again, the client connects (the Manager kept its connection).
                gate = "open";
                a.connect();
                await once(a, "connect", 5000);
                a.outcome = { recovered: a.recovered, sameId: a.id === id };
                assert.deepEqual(a.outcome, { recovered: true, sameId: true });
            });
        }

        it("recovery off: never recovered", async (t) => {
            const { proxy, a } = await scene(t, target, { recovery: 0 });
            const id = a.id;
            await cut(a, proxy);
            await once(a, "connect", 5000);
            assert.ok(!a.recovered, "not recovered"); // undefined: the server sent no pid
            assert.notEqual(a.id, id);
        });

        if (target === "duet" && SERVER_ARGS.includes("--threads")) {
            // A client that comes back on another shard than the one it left from is
            // restored from that shard's log (the kernel picks the shard per connection:
            // reconnect until it lands elsewhere).
            it("across shards: restored on another shard, every event once, in order", async (t) => {
                const { proxy, a, e } = await scene(t, target);
                const send = sender(e, "r");
                const id = a.id;
                let moved = false;
                let total = 0;
                for (let round = 0; round < 20 && !moved; ++round) {
                    send(1);
                    ++total;
                    await until(() => a.got.length === total, 3000, "events before the cut");
                    const { shard: from } = await ask(a, "whoami");
                    await cut(a, proxy);
                    send(2);
                    total += 2;
                    await once(a, "connect", 5000);
                    assert.equal(a.recovered, true, `round ${round}`);
                    assert.equal(a.id, id);
                    moved = (await ask(a, "whoami")).shard !== from;
                }
                assert.ok(moved, "never reconnected to another shard");
                await gotExactly(a, range(0, total));
            });
        }
    });
}
