// tests/interop/shards.test.mjs — one duet Socket.IO server on two shards (run(2):
// two threads, two SO_REUSEPORT acceptors, two io_contexts), driven by the official
// socket.io-client. The kernel spreads connections over the shards; each test first
// makes sure it has clients on both (the "whoami" event tells a socket's shard).
//
// What a user relies on: a broadcast reaches every client of every shard exactly once;
// an HTTP handler counts, notifies, asks (acks) and disconnects sockets of every shard;
// long-polling clients work whichever shard accepts each request (every polling
// request here is a new TCP connection); an upgrade works when the WebSocket probe is
// accepted by the shard that does not own the session.
//
// Run: DUET_SIO_SERVER=/path/to/sio_test_server node --test tests/interop/shards.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { io as ioc } from "socket.io-client";
import { startServer } from "./server_process.mjs";

const SERVER = process.env.DUET_SIO_SERVER;
let server;
let url;

before(async () => {
    assert.ok(SERVER, "DUET_SIO_SERVER must name the sio_test_server binary");
    server = await startServer(SERVER, ["0", "--threads", "2"]);
    url = `http://127.0.0.1:${server.port}`;
});
after(async () => {
    const crashed = server.died();
    await server.stop();
    assert.ok(!crashed, "the server died during the tests");
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function withTimeout(promise, ms, what) {
    let timer;
    return Promise.race([
        promise,
        new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
        }),
    ]).finally(() => clearTimeout(timer));
}

function connect(opts = {}) {
    const s = ioc(url, { forceNew: true, reconnection: false, transports: ["websocket"], ...opts });
    return withTimeout(
        new Promise((resolve, reject) => {
            s.once("connect", () => resolve(s));
            s.once("connect_error", reject);
        }),
        5000,
        "connect",
    );
}

const ask = (s, ...args) => s.timeout(3000).emitWithAck(...args);

async function getJson(path) {
    const r = await fetch(url + path);
    return { status: r.status, body: r.status === 204 ? null : await r.json() };
}

// Connects until both shards hold at least `perShard` clients (bounded: the kernel's
// spreading is random, 200 tries make a miss impossible in practice).
async function clientsOnBothShards(perShard, opts = {}) {
    const clients = [];
    const count = [0, 0];
    for (let i = 0; i < 200 && (count[0] < perShard || count[1] < perShard); ++i) {
        const c = await connect(opts);
        const { shard } = await ask(c, "whoami");
        c.shard = shard;
        ++count[shard];
        clients.push(c);
    }
    assert.ok(count[0] >= perShard && count[1] >= perShard, `clients per shard: ${count}`);
    return clients;
}

// Records every `event` each client receives.
function record(clients, event) {
    const got = new Map(clients.map((c) => [c, []]));
    for (const c of clients) c.on(event, (...args) => got.get(c).push(args));
    return got;
}

async function until(cond, ms, what) {
    const end = Date.now() + ms;
    while (!cond()) {
        if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
        await sleep(10);
    }
}

const forwarded = async () => (await getJson("/shards/forwarded")).body.forwarded;

describe("Socket.IO across two shards", () => {
    test("io.emit from a socket reaches every client of both shards exactly once", async () => {
        const clients = await clientsOnBothShards(3);
        try {
            const got = record(clients, "io-message");
            clients[0].emit("io-emit", { n: 1 });
            await until(() => [...got.values()].every((l) => l.length >= 1), 3000, "every client got io-message");
            await sleep(200);  // a duplicate would have arrived by now
            for (const [c, list] of got) {
                assert.equal(list.length, 1, `shard ${c.shard} client got ${list.length} copies`);
                assert.deepEqual(list[0], [{ n: 1 }, clients[0].id]);
            }
        } finally {
            for (const c of clients) c.disconnect();
        }
    });

    test("a room broadcast crosses shards, the sender excepted; counts cover both shards", async () => {
        const clients = await clientsOnBothShards(3);
        try {
            for (const c of clients) assert.equal(await ask(c, "join", "r1"), true);
            assert.equal(await ask(clients[0], "count-room", "r1"), clients.length);
            assert.deepEqual((await getJson("/shards/count?room=r1")).body, { count: clients.length });

            const got = record(clients, "room-message");
            clients[0].emit("to-room", "r1", "hello");
            const others = clients.slice(1);
            await until(() => others.every((c) => got.get(c).length >= 1), 3000, "room members got room-message");
            await sleep(200);
            assert.equal(got.get(clients[0]).length, 0, "the sender is excepted");
            for (const c of others) assert.deepEqual(got.get(c), [["hello", clients[0].id]]);
        } finally {
            for (const c of clients) c.disconnect();
        }
    });

    test("an HTTP handler notifies the room on every shard and gets the total count", async () => {
        const clients = await clientsOnBothShards(3);
        try {
            for (const c of clients) await ask(c, "join", "r2");
            const got = record(clients, "notice");
            const r = await getJson("/shards/notify?room=r2");
            assert.deepEqual(r.body, { delivered: clients.length });
            await until(() => [...got.values()].every((l) => l.length >= 1), 3000, "every member got the notice");
            await sleep(200);
            for (const list of got.values()) assert.deepEqual(list, [["from http"]]);
            assert.deepEqual((await getJson("/shards/notify?room=nobody")).body, { delivered: 0 });
        } finally {
            for (const c of clients) c.disconnect();
        }
    });

    test("broadcast acks come back from both shards (socket and HTTP origin)", async () => {
        const clients = await clientsOnBothShards(3);
        try {
            for (const c of clients) {
                await ask(c, "join", "r3");
                c.on("question", (...args) => args.pop()(c.id, c.shard));
            }
            const fromSocket = await ask(clients[0], "ask-room", "r3");
            assert.equal(fromSocket.error, "");
            const expected = clients.slice(1).map((c) => [c.id, c.shard]);
            const sortById = (a) => [...a].sort((x, y) => (x[0] < y[0] ? -1 : 1));
            assert.deepEqual(sortById(fromSocket.replies), sortById(expected));

            const fromHttp = await getJson("/shards/ask?room=r3");
            assert.equal(fromHttp.status, 200);
            assert.deepEqual(sortById(fromHttp.body.replies), sortById(clients.map((c) => [c.id, c.shard])));

            // One member on each shard stops answering: the ack times out, the replies
            // that came are still given.
            const silent = [clients.find((c) => c.shard === 0), clients.find((c) => c.shard === 1)];
            for (const c of silent) c.off("question");
            const partial = await ask(clients.find((c) => !silent.includes(c)), "ask-room", "r3");
            assert.notEqual(partial.error, "");
            assert.equal(partial.replies.length, clients.length - 1 - silent.length);
            const timedOut = await getJson("/shards/ask?room=r3");
            assert.equal(timedOut.status, 504);
        } finally {
            for (const c of clients) c.disconnect();
        }
    });

    test("an HTTP handler disconnects the room's sockets on both shards", async () => {
        const clients = await clientsOnBothShards(3);
        const bystander = await connect();
        try {
            for (const c of clients) await ask(c, "join", "kick-me");
            const reasons = clients.map((c) => new Promise((resolve) => c.once("disconnect", resolve)));
            const r = await getJson("/shards/kick?room=kick-me");
            assert.equal(r.status, 204);
            assert.deepEqual(await withTimeout(Promise.all(reasons), 3000, "disconnects"),
                clients.map(() => "io server disconnect"));
            assert.equal(bystander.connected, true);
            assert.deepEqual((await getJson("/shards/count?room=kick-me")).body, { count: 0 });
        } finally {
            for (const c of clients) c.disconnect();
            bystander.disconnect();
        }
    });

    test("long-polling clients work whichever shard accepts each request", async () => {
        const before = await forwarded();
        // Every polling request is a new TCP connection (the client's default
        // agent: false), so the kernel picks a shard for each.
        const clients = await clientsOnBothShards(2, { transports: ["polling"] });
        try {
            for (const c of clients) assert.equal(c.io.engine.transport.name, "polling");
            const got = record(clients, "echo");
            for (let i = 0; i < 10; ++i) for (const c of clients) c.emit("echo", i, "x".repeat(i));
            await until(() => [...got.values()].every((l) => l.length >= 10), 10000, "every echo came back");
            for (const list of got.values())
                assert.deepEqual(list, Array.from({ length: 10 }, (_, i) => [i, "x".repeat(i)]), "in order, once");
            assert.ok((await forwarded()) > before, "some requests reached the shard that does not own their session");
        } finally {
            for (const c of clients) c.disconnect();
        }
    });

    test("the upgrade to WebSocket works when the probe reaches the other shard", async () => {
        const before = await forwarded();
        const clients = [];
        try {
            for (let i = 0; i < 8; ++i) {
                const c = await connect({ transports: ["polling", "websocket"] });
                clients.push(c);
            }
            await until(() => clients.every((c) => c.io.engine.transport.name === "websocket"), 5000, "every client upgraded");
            const got = record(clients, "echo");
            for (const c of clients) c.emit("echo", "after upgrade", c.id);
            await until(() => [...got.values()].every((l) => l.length >= 1), 3000, "echo after upgrade");
            for (const [c, list] of got) assert.deepEqual(list, [["after upgrade", c.id]]);
            assert.ok((await forwarded()) > before, "some polling requests or probes were carried to the owning shard");
        } finally {
            for (const c of clients) c.disconnect();
        }
    });
});
