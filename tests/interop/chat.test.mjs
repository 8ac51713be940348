// tests/interop/chat.test.mjs — "one app, two protocols": the chat example
// (examples/chat/main.cpp) driven over HTTP with Node's fetch and over Socket.IO with
// the official npm socket.io-client (4.8), checking that both sides know the same user
// through the signed session cookie.
//
// Every test starts its own chat process (free ports) and stops it at the end, even
// when the test fails. Nothing waits a fixed time: "X did not receive anything" is
// checked with a barrier — a later message that X must receive on the same connection
// (the server writes to one connection in order, so an earlier message would arrive
// first).
//
// Run (from anywhere): tests/interop/run_chat_test.sh tests/interop/chat.test.mjs <chat binary>
//      or, from the repository root: DUET_CHAT_BIN=/path/to/chat node --test tests/interop/chat.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { fileURLToPath } from "node:url";

import { io as ioc } from "socket.io-client";
import { freePort, startServer } from "./server_process.mjs";

const BIN = process.env.DUET_CHAT_BIN;
// The chat binary serves examples/chat/public and node_modules/socket.io-client/dist
// relative to its working directory: the repository root.
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SECRET = "chat-interop-test-secret";
const HOST = "127.0.0.1"; // the server listens on 0.0.0.0 (IPv4); "localhost" may resolve to ::1
const EVIL = "http://evil.example";
const FORBIDDEN = { code: 4, message: "Forbidden" };

if (!BIN) throw new Error("DUET_CHAT_BIN is not set (the path of the chat example binary)");

// ---------------------------------------------------------------- helpers

function deadline(promise, ms, what) {
    let timer;
    return Promise.race([
        promise,
        new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
        }),
    ]).finally(() => clearTimeout(timer));
}

// Waits for one event of a socket.io-client Socket / Manager / engine (component-emitter,
// not a Node EventEmitter); resolves with the event's arguments.
function waitFor(emitter, event, ms = 3000) {
    let handler;
    return deadline(
        new Promise((resolve) => {
            handler = (...args) => resolve(args);
            emitter.once(event, handler);
        }),
        ms,
        `'${event}'`,
    ).finally(() => emitter.off(event, handler));
}

// Per-test fixture: starts chat servers and clients, and stops all of them when the test
// ends (clients first, then the servers), whatever the outcome.
function fixture(t) {
    const servers = [];
    const clients = [];
    t.after(async () => {
        for (const s of clients) s.disconnect();
        for (const srv of servers) await srv.stop();
    });

    async function start({ port = 0, socketPort } = {}) {
        const args = ["--port", String(port)];
        if (socketPort !== undefined) args.push("--socket-port", String(socketPort));
        // Extra arguments (e.g. "--threads 2": the same suite across shards).
        args.push(...(process.env.DUET_SERVER_ARGS ?? "").split(" ").filter(Boolean));
        const srv = await startServer(BIN, args, {
            cwd: ROOT,
            env: { ...process.env, DUET_CHAT_SECRET: SECRET },
            listening: /chat listening on http:\/\/localhost:(\d+)(?: \(Socket\.IO on port (\d+)\))?\n/,
            stopSignal: "SIGTERM", // graceful stop (stop_on_signals)
            captureStderr: true,
            timeoutMs: 5000,
        });
        servers.push(srv);
        const m = srv.match;
        srv.port = Number(m[1]);
        srv.sioPort = m[2] ? Number(m[2]) : srv.port;
        srv.base = `http://${HOST}:${srv.port}`; // where to connect (HTTP API)
        srv.sioBase = `http://${HOST}:${srv.sioPort}`; // where to connect (Socket.IO)
        srv.origin = `http://localhost:${srv.port}`; // the page's own origin
        return srv;
    }

    // A socket.io-client socket with its own connection; no automatic reconnection, so
    // every connect is explicit. `cookie` goes in the handshake's Cookie header (polling
    // requests and the WebSocket upgrade alike).
    function client(url, { cookie, transports, headers = {} } = {}) {
        const opts = { forceNew: true, reconnection: false, timeout: 3000, extraHeaders: { ...headers } };
        if (cookie) opts.extraHeaders.cookie = cookie;
        if (transports) opts.transports = transports;
        const s = ioc(url, opts);
        clients.push(s);
        return s;
    }

    return { start, client };
}

// Resolves when the socket connects; rejects with the connect_error.
async function connected(s, what = "connect") {
    if (s.connected) return s;
    const r = await deadline(
        new Promise((resolve) => {
            s.once("connect", () => resolve({ ok: true }));
            s.once("connect_error", (err) => resolve({ ok: false, err }));
        }),
        4000,
        what,
    );
    if (!r.ok) throw new Error(`${what}: connect_error ${r.err.message}`);
    return s;
}

// Resolves with the connect_error; fails if the socket connects.
async function refused(s, what = "connect_error") {
    const r = await deadline(
        new Promise((resolve) => {
            s.once("connect", () => resolve({ ok: true }));
            s.once("connect_error", (err) => resolve({ ok: false, err }));
        }),
        4000,
        what,
    );
    assert.equal(r.ok, false, `${what}: expected a connect_error, the socket connected`);
    return r.err;
}

// Emits with an ack; resolves with the ack's first argument.
function ask(s, event, ...args) {
    return s.timeout(3000).emitWithAck(event, ...args);
}

// Collects every `event` a socket receives (payloads, first argument).
function collect(s, event) {
    const got = [];
    s.on(event, (m) => got.push(m));
    return got;
}

// Waits until `list` (filled by collect) has at least n entries.
async function until(s, event, list, n) {
    while (list.length < n) await waitFor(s, event);
}

async function http(base, method, path, { cookie, json, body, headers = {} } = {}) {
    const h = { ...headers };
    if (cookie) h.cookie = cookie;
    if (json !== undefined) {
        h["content-type"] = "application/json";
        body = JSON.stringify(json);
    }
    const res = await fetch(base + path, { method, headers: h, body, redirect: "manual" });
    const text = await res.text();
    let parsed = null;
    try {
        parsed = text ? JSON.parse(text) : null;
    } catch {
        parsed = undefined;
    }
    const setCookies = res.headers.getSetCookie();
    const sid = setCookies.find((c) => c.startsWith("duet.sid="));
    return { status: res.status, headers: res.headers, text, body: parsed, setCookie: sid, cookie: sid?.split(";")[0] };
}

// POST /login {"name"}: the session cookie ("duet.sid=...") to send afterwards.
async function login(base, name, cookie) {
    const r = await http(base, "POST", "/login", { json: { name }, cookie });
    assert.equal(r.status, 200, `login as ${name}: ${r.text}`);
    assert.deepEqual(r.body, { name });
    assert.ok(r.cookie, `login as ${name}: no duet.sid cookie set`);
    return r.cookie;
}

// The cookie with one character of its signature changed.
function tamper(cookie) {
    const dot = cookie.lastIndexOf(".");
    const i = dot + 5;
    const c = cookie[i] === "A" ? "B" : "A";
    return cookie.slice(0, i) + c + cookie.slice(i + 1);
}

// A cookie with a valid signature for a session id the server never issued.
function forgedUnknownSession() {
    const id = "AAAAAAAAAAAAAAAAAAAA";
    const sig = createHmac("sha256", SECRET).update(id).digest("base64").replace(/=+$/, "");
    return "duet.sid=" + encodeURIComponent(`s:${id}.${sig}`);
}

function transportName(s) {
    return s.io.engine.transport.name;
}

// ---------------------------------------------------------------- HTTP side

test("login over HTTP: signed HttpOnly SameSite=Lax session cookie; /me with, without, tampered", async (t) => {
    const { start } = fixture(t);
    const srv = await start();

    const r = await http(srv.base, "POST", "/login", { json: { name: "ada" } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { name: "ada" });
    assert.ok(r.setCookie, "Set-Cookie duet.sid");
    // duet.sid=s%3A<id>.<base64 HMAC-SHA256 without padding> (express-session's format)
    // (the value percent-encoded, as express-session does: '+' and '/' become %2B, %2F)
    const m = /^duet\.sid=s%3A([A-Za-z0-9_-]+)\.([A-Za-z0-9%]+)(;|$)/.exec(r.setCookie);
    assert.ok(m, `cookie format: ${r.setCookie}`);
    const attrs = r.setCookie.split(";").map((a) => a.trim().toLowerCase());
    assert.ok(attrs.includes("httponly"), r.setCookie);
    assert.ok(attrs.includes("samesite=lax"), r.setCookie);
    assert.ok(attrs.includes("path=/"), r.setCookie);
    // The signature is what the npm cookie-signature package computes with the secret.
    const expected = createHmac("sha256", SECRET).update(m[1]).digest("base64").replace(/=+$/, "");
    assert.equal(decodeURIComponent(m[2]), expected);

    const me = await http(srv.base, "GET", "/me", { cookie: r.cookie });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, { name: "ada" });

    const anon = await http(srv.base, "GET", "/me");
    assert.equal(anon.status, 401);
    assert.equal(anon.setCookie, undefined, "no cookie for a session nothing was written to");

    const bad = await http(srv.base, "GET", "/me", { cookie: tamper(r.cookie) });
    assert.equal(bad.status, 401, "a tampered signature reads as no session");

    const unknown = await http(srv.base, "GET", "/me", { cookie: forgedUnknownSession() });
    assert.equal(unknown.status, 401, "a well-signed id the store does not know");

    const invalid = await http(srv.base, "POST", "/login", { json: { name: "not a name!" } });
    assert.equal(invalid.status, 400);
    assert.equal(typeof invalid.body.error, "string");
});

// ---------------------------------------------------------------- Socket.IO auth

test("Socket.IO with the session cookie: polling only, websocket only, default (upgrade)", async (t) => {
    const { start, client } = fixture(t);
    const srv = await start();
    const cookie = await login(srv.base, "ada");

    for (const [label, transports, final] of [
        ["polling", ["polling"], "polling"],
        ["websocket", ["websocket"], "websocket"],
        ["default", undefined, "websocket"],
    ]) {
        const s = await connected(client(srv.sioBase, { cookie, transports }), label);
        if (final === "websocket" && transportName(s) !== "websocket")
            await waitFor(s.io.engine, "upgrade", 4000);
        assert.equal(transportName(s), final, label);
        // The socket acts as the session's user.
        const chats = collect(s, "chat");
        assert.equal(await ask(s, "join", "t" + label), true, label);
        assert.equal(await ask(s, "chat", { room: "t" + label, text: "hi" }), true, label);
        await until(s, "chat", chats, 1);
        assert.deepEqual(chats, [{ from: "ada", room: "t" + label, text: "hi" }], label);
    }
});

test("Socket.IO without a valid session: connect_error 'unauthorized'", async (t) => {
    const { start, client } = fixture(t);
    const srv = await start();
    const cookie = await login(srv.base, "ada");
    const cases = [
        ["no cookie, polling", undefined, ["polling"]],
        ["no cookie, websocket", undefined, ["websocket"]],
        ["no cookie, default", undefined, undefined],
        ["tampered cookie, polling", tamper(cookie), ["polling"]],
        ["tampered cookie, websocket", tamper(cookie), ["websocket"]],
        ["well-signed unknown session", forgedUnknownSession(), undefined],
        ["other cookie only", "other=1", ["polling"]],
    ];
    for (const [label, c, transports] of cases) {
        const err = await refused(client(srv.sioBase, { cookie: c, transports }), label);
        assert.equal(err.message, "unauthorized", label);
    }
    // The good cookie still works afterwards.
    await connected(client(srv.sioBase, { cookie }), "good cookie");
    assert.ok(srv.alive());
});

// ---------------------------------------------------------------- rooms and chat

test("join and chat: acks, room members only, errors keep the connection", async (t) => {
    const { start, client } = fixture(t);
    const srv = await start();
    const [ca, cb, cc] = [await login(srv.base, "ada"), await login(srv.base, "bob"), await login(srv.base, "carol")];
    const a = await connected(client(srv.sioBase, { cookie: ca, transports: ["websocket"] }), "ada");
    const b = await connected(client(srv.sioBase, { cookie: cb, transports: ["polling"] }), "bob");
    const c = await connected(client(srv.sioBase, { cookie: cc }), "carol");
    const [ga, gb, gc] = [collect(a, "chat"), collect(b, "chat"), collect(c, "chat")];

    assert.equal(await ask(a, "join", "lobby"), true);
    assert.equal(await ask(b, "join", "lobby"), true);
    assert.equal(await ask(c, "join", "side"), true);
    assert.equal(await ask(a, "join", "lobby"), true, "joining twice is fine");

    // Invalid room names: an error ack, not a disconnect.
    for (const bad of ["bad room!", "", "x".repeat(33), "a/b"]) {
        const ack = await ask(a, "join", bad);
        assert.deepEqual(ack, { error: "invalid room name" }, JSON.stringify(bad));
    }
    // A room argument that is not a string: the framework's argument error ack.
    const typed = await ask(a, "join", 42);
    assert.equal(typeof typed?.error, "string", `join(42) → ${JSON.stringify(typed)}`);

    const hello = { from: "ada", room: "lobby", text: "hello" };
    assert.equal(await ask(a, "chat", { room: "lobby", text: "hello" }), true);
    await until(a, "chat", ga, 1);
    await until(b, "chat", gb, 1);
    // Barrier for carol: a message to her room; had "hello" reached her it would be first.
    const side = { from: "carol", room: "side", text: "only side" };
    assert.equal(await ask(c, "chat", { room: "side", text: "only side" }), true);
    await until(c, "chat", gc, 1);
    assert.deepEqual(gc, [side], "carol (not in lobby) got only her room's message");

    // Errors: a room not joined, too long, empty — each an error ack.
    const notJoined = await ask(a, "chat", { room: "side", text: "sneak" });
    assert.equal(typeof notJoined?.error, "string", JSON.stringify(notJoined));
    assert.match(notJoined.error, /join/);
    const tooLong = await ask(a, "chat", { room: "lobby", text: "x".repeat(501) });
    assert.equal(typeof tooLong?.error, "string", JSON.stringify(tooLong));
    const empty = await ask(a, "chat", { room: "lobby", text: "" });
    assert.equal(typeof empty?.error, "string", JSON.stringify(empty));
    const wrongShape = await ask(a, "chat", "just a string");
    assert.equal(typeof wrongShape?.error, "string", JSON.stringify(wrongShape));

    // The connection stays up and the limit is inclusive: 500 characters pass.
    assert.ok(a.connected);
    const max = "y".repeat(500);
    assert.equal(await ask(a, "chat", { room: "lobby", text: max }), true);
    await until(a, "chat", ga, 2);
    await until(b, "chat", gb, 2);
    const big = { from: "ada", room: "lobby", text: max };
    assert.deepEqual(ga, [hello, big], "ada: exactly the lobby messages (nothing from the rejected chats)");
    assert.deepEqual(gb, [hello, big], "bob: exactly the lobby messages");
    // Barrier again for carol: still nothing from lobby.
    assert.equal(await ask(c, "chat", { room: "side", text: "again" }), true);
    await until(c, "chat", gc, 2);
    assert.deepEqual(gc, [side, { ...side, text: "again" }]);
    assert.ok(a.connected && b.connected && c.connected);
    assert.ok(srv.alive());
});

// ---------------------------------------------------------------- HTTP → sockets

test("POST /notify/:name reaches exactly the sockets of that user's sessions", async (t) => {
    const { start, client } = fixture(t);
    const srv = await start();
    // ada logged in twice: two sessions, two sockets each (mixed transports).
    const ada1 = await login(srv.base, "ada");
    const ada2 = await login(srv.base, "ada");
    assert.notEqual(ada1, ada2);
    const bobC = await login(srv.base, "bob");
    const adaSockets = await Promise.all([
        connected(client(srv.sioBase, { cookie: ada1, transports: ["polling"] })),
        connected(client(srv.sioBase, { cookie: ada1, transports: ["websocket"] })),
        connected(client(srv.sioBase, { cookie: ada2 })),
        connected(client(srv.sioBase, { cookie: ada2, transports: ["websocket"] })),
    ]);
    const bob = await connected(client(srv.sioBase, { cookie: bobC, transports: ["polling"] }));
    const adaGot = adaSockets.map((s) => collect(s, "notice"));
    const bobGot = collect(bob, "notice");

    const r = await http(srv.base, "POST", "/notify/ada", { json: { text: "for ada" } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { delivered: 4 });
    await Promise.all(adaSockets.map((s, i) => until(s, "notice", adaGot[i], 1)));

    // Barrier for bob: a notice for him; had ada's reached him it would be first.
    const rb = await http(srv.base, "POST", "/notify/bob", { json: { text: "for bob" } });
    assert.deepEqual(rb.body, { delivered: 1 });
    await until(bob, "notice", bobGot, 1);
    assert.deepEqual(bobGot, [{ text: "for bob" }]);

    const nobody = await http(srv.base, "POST", "/notify/nobody", { json: { text: "hello?" } });
    assert.equal(nobody.status, 200);
    assert.deepEqual(nobody.body, { delivered: 0 });

    // Bad requests: 400 with an error message, and nothing delivered.
    const malformed = await http(srv.base, "POST", "/notify/ada", {
        body: '{"text": "unterminated',
        headers: { "content-type": "application/json" },
    });
    assert.equal(malformed.status, 400, malformed.text);
    assert.equal(typeof malformed.body?.error, "string", malformed.text);
    for (const [label, json] of [
        ["missing text", {}],
        ["empty text", { text: "" }],
        ["text not a string", { text: 5 }],
        ["text too long", { text: "z".repeat(501) }],
        ["not an object", ["text"]],
    ]) {
        const bad = await http(srv.base, "POST", "/notify/ada", { json });
        assert.equal(bad.status, 400, `${label}: ${bad.text}`);
        assert.equal(typeof bad.body?.error, "string", `${label}: ${bad.text}`);
    }
    const badName = await http(srv.base, "POST", "/notify/" + encodeURIComponent("no such!"), { json: { text: "x" } });
    assert.equal(badName.status, 400, badName.text);

    // No crash: the server still answers both protocols, and each ada socket got the
    // first notice exactly once and nothing from the rejected requests.
    assert.ok(srv.alive(), srv.stderr());
    assert.equal((await http(srv.base, "GET", "/me")).status, 401);
    const again = await http(srv.base, "POST", "/notify/ada", { json: { text: "second" } });
    assert.deepEqual(again.body, { delivered: 4 });
    await Promise.all(adaSockets.map((s, i) => until(s, "notice", adaGot[i], 2)));
    for (const got of adaGot) assert.deepEqual(got, [{ text: "for ada" }, { text: "second" }]);
    assert.deepEqual(bobGot, [{ text: "for bob" }]);
});

// ---------------------------------------------------------------- session changes

test("logging in again on the same cookie (regenerate): old cookie dead, new cookie works", async (t) => {
    const { start, client } = fixture(t);
    const srv = await start();
    const cookieA = await login(srv.base, "ada");
    const old = await connected(client(srv.sioBase, { cookie: cookieA }), "ada's socket");
    const oldNotices = collect(old, "notice");

    // Same browser, log in as bob: the server regenerates the session id.
    const r = await http(srv.base, "POST", "/login", { json: { name: "bob" }, cookie: cookieA });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { name: "bob" });
    const cookieB = r.cookie;
    assert.ok(cookieB, "a new cookie is set");
    assert.notEqual(cookieB, cookieA, "regenerate gives a new session id");

    // HTTP: the old cookie is dead, the new one is bob.
    assert.equal((await http(srv.base, "GET", "/me", { cookie: cookieA })).status, 401);
    assert.deepEqual((await http(srv.base, "GET", "/me", { cookie: cookieB })).body, { name: "bob" });

    // Socket.IO (a later handshake reads the session fresh from the store): the old
    // cookie is refused, the new one connects as bob.
    const err = await refused(client(srv.sioBase, { cookie: cookieA }), "old cookie");
    assert.equal(err.message, "unauthorized");
    const fresh = await connected(client(srv.sioBase, { cookie: cookieB }), "new cookie");
    const chats = collect(fresh, "chat");
    assert.equal(await ask(fresh, "join", "r"), true);
    assert.equal(await ask(fresh, "chat", { room: "r", text: "I am bob" }), true);
    await until(fresh, "chat", chats, 1);
    assert.equal(chats[0].from, "bob");
    const nb = await http(srv.base, "POST", "/notify/bob", { json: { text: "hi bob" } });
    assert.deepEqual(nb.body, { delivered: 1 }, "only the socket opened with the new cookie is bob's");

    // What happens to the socket opened before the re-login: the example's login does
    // not disconnect the previous session's sockets, and a socket's identity is what
    // the connect middleware stored in socket.data, so it stays connected as "ada"
    // (and in user:ada). Documented here, not asserted as desired behaviour.
    const na = await http(srv.base, "POST", "/notify/ada", { json: { text: "still ada?" } });
    if (na.body.delivered > 0) await until(old, "notice", oldNotices, 1);
    t.diagnostic(
        `socket opened before the re-login: connected=${old.connected}, ` +
            `notify/ada delivered=${na.body.delivered}, it received ${JSON.stringify(oldNotices)}`,
    );
    assert.ok(srv.alive());
});

test("logout: 204, cookie cleared, the session's sockets disconnected, old cookie refused", async (t) => {
    const { start, client } = fixture(t);
    const srv = await start();
    const cookie = await login(srv.base, "ada");
    const other = await login(srv.base, "ada"); // a second session of the same user
    const mine = await Promise.all([
        connected(client(srv.sioBase, { cookie, transports: ["polling"] })),
        connected(client(srv.sioBase, { cookie, transports: ["websocket"] })),
    ]);
    const otherSock = await connected(client(srv.sioBase, { cookie: other }));
    const reasons = mine.map((s) => waitFor(s, "disconnect", 4000));

    const r = await http(srv.base, "POST", "/logout", { cookie });
    assert.equal(r.status, 204);
    assert.equal(r.text, "");
    assert.ok(r.setCookie, "logout clears the cookie (Set-Cookie duet.sid)");
    const cleared = r.setCookie.toLowerCase();
    assert.ok(
        /^duet\.sid=;/.test(cleared) || cleared.includes("max-age=0") || cleared.includes("expires=thu, 01 jan 1970"),
        `cookie cleared: ${r.setCookie}`,
    );

    const got = (await Promise.all(reasons)).map(([reason]) => reason);
    t.diagnostic(`disconnect reasons reported by socket.io-client (polling, websocket): ${JSON.stringify(got)}`);
    for (const reason of got) assert.ok(["io server disconnect", "transport close"].includes(reason), reason);
    assert.ok(mine.every((s) => !s.connected));

    // Only that session: the other session of the same user keeps its socket.
    assert.ok(otherSock.connected);
    const notice = waitFor(otherSock, "notice");
    const n = await http(srv.base, "POST", "/notify/ada", { json: { text: "after logout" } });
    assert.deepEqual(n.body, { delivered: 1 });
    assert.deepEqual((await notice)[0], { text: "after logout" });

    assert.equal((await http(srv.base, "GET", "/me", { cookie })).status, 401);
    const err = await refused(client(srv.sioBase, { cookie }), "reconnect with the old cookie");
    assert.equal(err.message, "unauthorized");

    // Logging out without a session is harmless.
    const anon = await http(srv.base, "POST", "/logout");
    assert.equal(anon.status, 204);
    assert.ok(srv.alive());
});

// The reference socket.io server's socket.disconnect(true) sends a DISCONNECT packet
// for every namespace before closing the connection, so socket.io-client reports
// "io server disconnect" and does not reconnect by itself (checked against npm
// socket.io 4.8: both transports). A bare "transport close" makes a client with the
// default reconnection: true reconnect at once — the page of a logged-out user knocks
// again (and is then refused as unauthorized).
test("logout disconnect is final for the client: 'io server disconnect', no automatic reconnect", async (t) => {
    const { start } = fixture(t);
    const srv = await start();
    const cookie = await login(srv.base, "ada");
    const clients = [];
    t.after(() => clients.forEach((c) => c.disconnect()));
    for (const transports of [["polling"], ["websocket"]]) {
        // The page's settings: automatic reconnection on.
        const c = ioc(srv.sioBase, { forceNew: true, transports, extraHeaders: { cookie }, reconnectionDelay: 50 });
        clients.push(c);
        await connected(c, transports[0]);
        let attempts = 0;
        c.io.on("reconnect_attempt", () => attempts++);
        c.__reason = waitFor(c, "disconnect", 4000);
        c.__attempts = () => attempts;
    }
    assert.equal((await http(srv.base, "POST", "/logout", { cookie })).status, 204);
    const reasons = [];
    for (const c of clients) reasons.push((await c.__reason)[0]);
    // socket.active: false once the client has given up (no reconnection scheduled).
    const report = clients.map((c, i) => `${["polling", "websocket"][i]}: ${reasons[i]}, active=${c.active}`);
    t.diagnostic(report.join("; "));
    for (let i = 0; i < clients.length; i++) {
        assert.equal(reasons[i], "io server disconnect", report[i]);
        assert.equal(clients[i].active, false, `${report[i]} (the client would reconnect)`);
    }
});

// ---------------------------------------------------------------- origin check

async function originChecks(srv, client, cookie) {
    const hs = "/socket.io/?EIO=4&transport=polling";
    const evil = await http(srv.sioBase, "GET", hs, { headers: { origin: EVIL }, cookie });
    assert.equal(evil.status, 403, evil.text);
    assert.deepEqual(evil.body, FORBIDDEN);
    const err = await refused(
        client(srv.sioBase, { cookie, transports: ["websocket"], headers: { origin: EVIL } }),
        "websocket handshake from evil.example",
    );
    assert.ok(err, "the WebSocket handshake from another origin is refused");

    for (const origin of [srv.origin, `http://127.0.0.1:${srv.port}`]) {
        const own = await http(srv.sioBase, "GET", hs, { headers: { origin }, cookie });
        assert.equal(own.status, 200, `handshake with Origin ${origin}: ${own.status} ${own.text}`);
        assert.match(own.text, /^0\{"sid":/);
    }
    await connected(client(srv.sioBase, { cookie, transports: ["websocket"], headers: { origin: srv.origin } }), "ws, own origin");
    await connected(client(srv.sioBase, { cookie, transports: ["polling"], headers: { origin: srv.origin } }), "polling, own origin");
}

test("origin check (--port N): evil.example → 403 Forbidden, the page's own origin → OK", async (t) => {
    const { start, client } = fixture(t);
    const srv = await start({ port: await freePort() });
    await originChecks(srv, client, await login(srv.base, "ada"));
});

test("origin check (--port 0): the page's own origin is the port actually bound", async (t) => {
    const { start, client } = fixture(t);
    const srv = await start({ port: 0 });
    await originChecks(srv, client, await login(srv.base, "ada"));
});

// ---------------------------------------------------------------- separate-port mode

test("separate-port mode: shared session, CORS with credentials, notify across ports, evil origin refused", async (t) => {
    const { start, client } = fixture(t);
    const want = await freePort();
    const srv = await start({ port: 0, socketPort: want });
    assert.equal(srv.sioPort, want, "the printed Socket.IO port");
    assert.notEqual(srv.sioPort, srv.port);

    const cfg = await http(srv.base, "GET", "/config");
    assert.equal(cfg.status, 200);
    assert.deepEqual(cfg.body, { socketPort: String(want) });

    // The HTTP port does not serve Socket.IO.
    const noSio = await http(srv.base, "GET", "/socket.io/?EIO=4&transport=polling");
    assert.equal(noSio.status, 404);

    const cookie = await login(srv.base, "ada");
    const hs = "/socket.io/?EIO=4&transport=polling";

    // CORS on the Socket.IO port: the page's origin, with credentials.
    for (const origin of [srv.origin, `http://127.0.0.1:${srv.port}`]) {
        const pre = await http(srv.sioBase, "OPTIONS", hs, {
            headers: {
                origin,
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type",
            },
        });
        assert.ok(pre.status === 204 || pre.status === 200, `preflight: ${pre.status}`);
        assert.equal(pre.headers.get("access-control-allow-origin"), origin);
        assert.equal(pre.headers.get("access-control-allow-credentials"), "true");
        assert.match(pre.headers.get("access-control-allow-methods") ?? "", /POST/);
        assert.match(pre.headers.get("access-control-allow-headers") ?? "", /content-type/i);

        const get = await http(srv.sioBase, "GET", hs, { headers: { origin }, cookie });
        assert.equal(get.status, 200, get.text);
        assert.equal(get.headers.get("access-control-allow-origin"), origin);
        assert.equal(get.headers.get("access-control-allow-credentials"), "true");
    }

    // Another origin: no CORS grant, handshake refused.
    const evilPre = await http(srv.sioBase, "OPTIONS", hs, {
        headers: { origin: EVIL, "access-control-request-method": "GET" },
    });
    assert.equal(evilPre.headers.get("access-control-allow-origin"), null);
    const evil = await http(srv.sioBase, "GET", hs, { headers: { origin: EVIL }, cookie });
    assert.equal(evil.status, 403);
    assert.deepEqual(evil.body, FORBIDDEN);
    const evilErr = await refused(
        client(srv.sioBase, { cookie, transports: ["websocket"], headers: { origin: EVIL } }),
        "websocket from evil.example",
    );
    assert.ok(evilErr);

    // The session is shared: sockets on the other port know ada, and are refused
    // without the cookie.
    const unauth = await refused(client(srv.sioBase, { transports: ["polling"] }), "no cookie on the Socket.IO port");
    assert.equal(unauth.message, "unauthorized");
    const socks = await Promise.all([
        connected(client(srv.sioBase, { cookie, transports: ["polling"], headers: { origin: srv.origin } })),
        connected(client(srv.sioBase, { cookie, transports: ["websocket"], headers: { origin: srv.origin } })),
        connected(client(srv.sioBase, { cookie })),
    ]);
    const got = socks.map((s) => collect(s, "notice"));
    const chats = collect(socks[0], "chat");
    assert.equal(await ask(socks[0], "join", "x"), true);
    assert.equal(await ask(socks[0], "chat", { room: "x", text: "hi" }), true);
    await until(socks[0], "chat", chats, 1);
    assert.equal(chats[0].from, "ada");

    // HTTP on one port → sockets on the other.
    const n = await http(srv.base, "POST", "/notify/ada", { json: { text: "across ports" } });
    assert.equal(n.status, 200, n.text);
    assert.deepEqual(n.body, { delivered: 3 });
    await Promise.all(socks.map((s, i) => until(s, "notice", got[i], 1)));
    for (const g of got) assert.deepEqual(g, [{ text: "across ports" }]);

    // Logout over HTTP disconnects the sockets on the other port.
    const gone = socks.map((s) => waitFor(s, "disconnect", 4000));
    assert.equal((await http(srv.base, "POST", "/logout", { cookie })).status, 204);
    await Promise.all(gone);
    const after = await refused(client(srv.sioBase, { cookie }), "old cookie after logout");
    assert.equal(after.message, "unauthorized");
    assert.ok(srv.alive());
});

// ---------------------------------------------------------------- the page itself

test("the page and the client bundle are served from the HTTP port", async (t) => {
    const { start } = fixture(t);
    const srv = await start();
    const page = await http(srv.base, "GET", "/");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    const bundle = await http(srv.base, "GET", "/vendor/socket.io.min.js");
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get("content-type") ?? "", /javascript/);
    assert.ok(bundle.text.length > 10000);
});
