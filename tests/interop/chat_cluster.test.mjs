// tests/interop/chat_cluster.test.mjs — one chat on three nodes: two duet chat
// processes (examples/chat --redis ... --cookie-name connect.sid) and the same chat
// written for Node (chat_node.mjs: Express + express-session + connect-redis +
// socket.io + @socket.io/redis-adapter), one redis-server, one secret. The official
// socket.io-client and fetch on every node. A user logged in on any node chats with
// users on every node; /notify/:name on any node reaches that user's sockets on every
// node and counts them all; /logout on one node ends the session everywhere.
//
// Run: DUET_CHAT_BIN=/path/to/chat node --test tests/interop/chat_cluster.test.mjs
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { io as ioc } from "socket.io-client";
import { startRedis, startServer } from "./server_process.mjs";

const BIN = process.env.DUET_CHAT_BIN;
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const HERE = fileURLToPath(new URL(".", import.meta.url));
const SECRET = "chat-cluster-secret";
const COOKIE = "connect.sid";
const HOST = "127.0.0.1";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
if (!BIN) throw new Error("DUET_CHAT_BIN is not set");

async function http(node, method, path, { cookie, json } = {}) {
    const headers = {};
    if (cookie) headers.cookie = cookie;
    let body;
    if (json !== undefined) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(json);
    }
    const res = await fetch(`http://${HOST}:${node.port}${path}`, { method, headers, body });
    const text = await res.text();
    const set = res.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`));
    return { status: res.status, body: text ? JSON.parse(text) : null, cookie: set?.split(";")[0] };
}

async function login(node, name) {
    const r = await http(node, "POST", "/login", { json: { name } });
    assert.equal(r.status, 200, `login ${name} on ${node.name}`);
    assert.ok(r.cookie, `login ${name} on ${node.name}: no ${COOKIE} cookie`);
    return r.cookie;
}

const clients = [];
// A socket.io-client on `node` with the session cookie; resolves once connected, or
// rejects with the connect_error.
function client(node, cookie, transports = ["websocket"]) {
    const c = ioc(`http://${HOST}:${node.port}`, { forceNew: true, reconnection: false, transports, extraHeaders: cookie ? { cookie } : {} });
    clients.push(c);
    c.chats = [];
    c.notices = [];
    c.on("chat", (m) => c.chats.push(m));
    c.on("notice", (m) => c.notices.push(m.text));
    return new Promise((resolve, reject) => {
        c.once("connect", () => resolve(c));
        c.once("connect_error", (e) => reject(e));
    });
}
const ask = (c, ev, ...args) => c.timeout(4000).emitWithAck(ev, ...args);
async function until(cond, what, ms = 4000) {
    const end = Date.now() + ms;
    while (!(await cond())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await sleep(10);
    }
}
const disconnected = (c) => new Promise((resolve) => (c.connected ? c.once("disconnect", (reason) => resolve(reason)) : resolve("already")));

let redis, a, b, n;
before(async () => {
    redis = await startRedis();
    const extra = (process.env.DUET_SERVER_ARGS ?? "").split(" ").filter(Boolean);
    const duet = async (name) => {
        const s = await startServer(BIN, ["--port", "0", "--redis", `redis://${HOST}:${redis.port}`, "--cookie-name", COOKIE, ...extra], {
            cwd: ROOT,
            env: { ...process.env, DUET_CHAT_SECRET: SECRET },
            listening: /chat listening on http:\/\/localhost:(\d+)/,
            stopSignal: "SIGTERM",
            timeoutMs: 5000,
        });
        s.name = name;
        return s;
    };
    [a, b] = [await duet("duet A"), await duet("duet B")];
    n = await startServer("node", [HERE + "chat_node.mjs"], {
        env: { ...process.env, PORT: "0", REDIS_PORT: String(redis.port), SECRET, COOKIE_NAME: COOKIE },
        timeoutMs: 10000,
    });
    n.name = "Node";
    // Ready when every node hears every other: a probe user with a socket on each
    // node, counted 3 from each node (the subscriptions are made after listening).
    const cookie = await login(n, "probe");
    const probes = [await client(a, cookie), await client(b, cookie), await client(n, cookie)];
    for (const node of [a, b, n])
        await until(async () => (await http(node, "POST", "/notify/probe", { json: { text: "p" } })).body.delivered === 3, `${node.name} sees the others`, 10000);
    for (const p of probes) p.disconnect();
});
after(async () => {
    for (const c of clients) c.disconnect();
    for (const s of [a, b, n]) await s?.stop();
    redis?.child.kill("SIGKILL");
});

test("a login on any node is a login on every node (HTTP and Socket.IO)", async () => {
    for (const [where, others] of [[n, [a, b]], [a, [b, n]], [b, [a, n]]]) {
        const name = `user-${where.port}`;
        const cookie = await login(where, name);
        for (const other of others) {
            const me = await http(other, "GET", "/me", { cookie });
            assert.equal(me.status, 200, `${name} (logged in on ${where.name}) on ${other.name}`);
            assert.deepEqual(me.body, { name });
            const s = await client(other, cookie);
            assert.equal(await ask(s, "join", "check"), true);
            s.disconnect();
        }
    }
    // No cookie, or a forged one: refused on every node, with the same error.
    for (const node of [a, b, n]) {
        await assert.rejects(client(node, undefined), (e) => e.message === "unauthorized", node.name);
        await assert.rejects(client(node, `${COOKIE}=s%3Aforged.forged`), (e) => e.message === "unauthorized", node.name);
    }
});

test("chat: a message from any node reaches the room's members on every node, once", async () => {
    const ada = await client(a, await login(a, "ada"));
    const bob = await client(b, await login(n, "bob"), ["polling", "websocket"]);
    const cyd = await client(n, await login(b, "cyd"));
    const out = await client(n, await login(a, "out")); // not in the room
    for (const s of [ada, bob, cyd]) assert.equal(await ask(s, "join", "lobby"), true);
    const members = [ada, bob, cyd];
    let sent = 0;
    for (const [from, name] of [[ada, "ada"], [bob, "bob"], [cyd, "cyd"]]) {
        assert.equal(await ask(from, "chat", { room: "lobby", text: `hi from ${name}` }), true);
        sent++;
        await until(() => members.every((m) => m.chats.length >= sent), `chat ${sent} everywhere`);
    }
    const expected = ["ada", "bob", "cyd"].map((f) => ({ from: f, room: "lobby", text: `hi from ${f}` }));
    for (const m of members) assert.deepEqual(m.chats, expected);
    // A barrier for "out": its own notice comes after anything sent before it.
    await http(a, "POST", "/notify/out", { json: { text: "barrier" } });
    await until(() => out.notices.length === 1, "out's notice");
    assert.deepEqual(out.chats, []);
});

test("/notify/:name on any node reaches the user's sockets on every node and counts them all", async () => {
    const cookieA = await login(a, "eve");
    const socks = [await client(a, cookieA), await client(b, cookieA), await client(n, cookieA), await client(n, cookieA)];
    const other = await client(b, await login(b, "fay"));
    let k = 0;
    for (const node of [a, b, n]) {
        k++;
        const r = await http(node, "POST", "/notify/eve", { json: { text: `n${k}` } });
        assert.equal(r.status, 200);
        assert.deepEqual(r.body, { delivered: 4 }, `notify from ${node.name}`);
        await until(() => socks.every((s) => s.notices.length === k), `notice ${k} on every socket`);
    }
    for (const s of socks) assert.deepEqual(s.notices, ["n1", "n2", "n3"]);
    assert.deepEqual(other.notices, []);
    assert.deepEqual((await http(b, "POST", "/notify/nobody", { json: { text: "x" } })).body, { delivered: 0 });
});

test("/logout on one node ends the session everywhere: sockets on every node, HTTP on every node", async () => {
    for (const [loginAt, logoutAt] of [[n, a], [a, n], [b, a]]) {
        const cookie = await login(loginAt, "gus");
        const socks = [await client(a, cookie), await client(b, cookie), await client(n, cookie)];
        const ends = socks.map(disconnected);
        const r = await http(logoutAt, "POST", "/logout", { cookie });
        assert.equal(r.status, 204);
        const reasons = await Promise.race([Promise.all(ends), sleep(4000).then(() => null)]);
        assert.ok(reasons, `logout on ${logoutAt.name}: every socket of the session disconnected`);
        for (const reason of reasons) assert.equal(reason, "io server disconnect");
        for (const node of [a, b, n]) {
            assert.equal((await http(node, "GET", "/me", { cookie })).status, 401, `${node.name} after logout`);
            await assert.rejects(client(node, cookie), (e) => e.message === "unauthorized");
        }
    }
});
