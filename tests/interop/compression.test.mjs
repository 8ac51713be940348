// tests/interop/compression.test.mjs — duet::compression() against Express 5 with the npm
// `compression` middleware (1.8, br included), the oracle, in the same test: the same routes
// (tests/interop/sio_test_server.cpp, under /z) asked with the same Accept-Encoding
// headers must get the same status, Content-Type, Content-Encoding, Vary and decoded body.
//
// br needs duet built with brotli (Debian's libbrotli-dev, which scripts/install-deps.sh
// installs); the test says so when it is not.
//
// And WebSocket permessage-deflate with socket.io-client (which offers it by default in
// Node) against npm socket.io with perMessageDeflate: true.
//
// Run: DUET_SIO_SERVER=/path/to/sio_test_server node --test tests/interop/compression.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, brotliDecompressSync, deflateSync, gunzipSync, gzipSync, inflateSync } from "node:zlib";
import { io as ioc } from "socket.io-client";
import { startServer } from "./server_process.mjs";

const SERVER = process.env.DUET_SIO_SERVER;
const HOST = "127.0.0.1";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

// The routes of sio_test_server's /z, on Express.
const EXPRESS_APP = `
const express = require("express");
const compression = require("compression");
const app = express();
app.set("etag", false); // duet's res.send sets no ETag yet (compared headers only)
app.use("/z", compression());
app.get("/z/big", (req, res) => res.send("a".repeat(3000) + "end"));
app.get("/z/small", (req, res) => res.send("b".repeat(1023)));
app.get("/z/json", (req, res) => res.json(Array.from({ length: 300 }, (_, i) => i)));
app.get("/z/png", (req, res) => res.type("image/png").send(Buffer.from("p".repeat(3000))));
app.get("/z/encoded", (req, res) => res.set("Content-Encoding", "br").type("text/plain").send("e".repeat(3000)));
app.get("/z/notransform", (req, res) => res.set("Cache-Control", "public, no-transform").send("n".repeat(3000)));
app.post("/z/body", express.json({ limit: 1024 * 1024 }), (req, res) => res.json(req.body)); // duet's max_body_bytes
app.get("/z/stream", async (req, res) => {
    res.type("text/plain");
    for (let i = 0; i < 5; ++i) {
        res.write("line " + i + " ".repeat(1000) + "\\n");
        await new Promise((r) => setImmediate(r));
    }
    res.end();
});
app.use("/z/static", express.static("node_modules/socket.io-client/dist", { etag: false, lastModified: false }));
const server = app.listen(0, "${HOST}", () => console.log("listening " + server.address().port));
`;

async function start(t, file, args, options) {
    const server = await startServer(file, args, options);
    t.after(() => server.stop());
    return server.port;
}

function get(port, path, headers = {}, method = "GET") {
    return new Promise((resolve, reject) => {
        const req = request({ host: HOST, port, path, method, headers, agent: false }, (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => {
                const raw = Buffer.concat(chunks);
                const enc = res.headers["content-encoding"];
                const decode = { gzip: gunzipSync, deflate: inflateSync, br: brotliDecompressSync }[enc];
                const body = method === "HEAD" || !decode || enc === "br" && path.endsWith("/encoded") ? raw : decode(raw);
                resolve({
                    status: res.statusCode,
                    type: res.headers["content-type"],
                    encoding: enc ?? null,
                    vary: res.headers["vary"] ?? null,
                    body: `${body.length}:${createHash("sha1").update(body).digest("hex").slice(0, 12)}`,
                });
            });
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end();
    });
}

// Streamed bodies too: written in pieces (chunked), and static files (one piece, and
// socket.io.js: 150 KiB, read and sent in 64 KiB pieces).
const ROUTES = ["/z/big", "/z/small", "/z/json", "/z/png", "/z/encoded", "/z/notransform", "/z/stream",
                "/z/static/socket.io.js", "/z/static/socket.io.min.js", "/z/static/socket.io.js.map"];
const HEADERS = [
    undefined, "gzip, deflate, br", "gzip, deflate", "deflate, gzip", "deflate", "br", "*", "br;q=0.5, gzip",
    "gzip;q=0.5, identity", "identity", "gzip;q=0, deflate;q=0", "x-foo",
];

test("compression: the same answers as Express + compression for each route and Accept-Encoding", { timeout: 20000 }, async (t) => {
    assert.ok(SERVER, "DUET_SIO_SERVER must name the sio_test_server binary");
    const duet = await start(t, SERVER, ["0"]);
    const express = await start(t, process.execPath, ["-e", EXPRESS_APP], { cwd: ROOT });
    let compressed = 0;
    let brotli = 0;
    for (const path of ROUTES) {
        for (const accept of HEADERS) {
            const headers = accept === undefined ? {} : { "Accept-Encoding": accept };
            for (const method of ["GET", "HEAD"]) {
                const what = `${method} ${path} Accept-Encoding: ${accept}`;
                const d = await get(duet, path, headers, method);
                const e = await get(express, path, headers, method);
                assert.deepEqual(d, e, what);
                if (d.encoding === "gzip" || d.encoding === "deflate") ++compressed;
                if (d.encoding === "br" && !path.endsWith("/encoded")) ++brotli;
            }
        }
    }
    assert.ok(compressed >= 6, `some answers were compressed (${compressed})`);
    assert.ok(brotli > 0, "duet sent br (built without brotli? install libbrotli-dev)");
});

// A POSTed JSON body: status, and the JSON echoed back when it was read.
function post(port, path, headers, body) {
    return new Promise((resolve, reject) => {
        const req = request({ host: HOST, port, path, method: "POST", agent: false,
                              headers: { "Content-Type": "application/json", "Content-Length": body.length, ...headers } }, (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => {
                const text = Buffer.concat(chunks).toString();
                resolve({ status: res.statusCode, json: res.statusCode === 200 ? JSON.parse(text) : null });
            });
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end(body);
    });
}

// Request bodies with Content-Encoding, as Express's body parser reads them (inflate:
// true): gzip and deflate inflated (x-gzip is not); the inflated size held to the limit (a bomb:
// 413); corrupt or cut data 400; a coding it does not know 415.
test("compressed request bodies: the same status and value as Express's express.json()", { timeout: 20000 }, async (t) => {
    const duet = await start(t, SERVER, ["0"]);
    const express = await start(t, process.execPath, ["-e", EXPRESS_APP], { cwd: ROOT });
    const value = { user: "ann", items: Array.from({ length: 200 }, (_, i) => ({ id: i })) };
    const json = Buffer.from(JSON.stringify(value));
    const bomb = gzipSync(Buffer.from(JSON.stringify({ pad: " ".repeat(2 * 1024 * 1024) })));
    const cases = [
        ["none", {}, json],
        ["identity", { "Content-Encoding": "identity" }, json],
        ["gzip", { "Content-Encoding": "gzip" }, gzipSync(json)],
        ["x-gzip", { "Content-Encoding": "x-gzip" }, gzipSync(json)],
        ["GZIP", { "Content-Encoding": "GZIP" }, gzipSync(json)],
        ["deflate", { "Content-Encoding": "deflate" }, deflateSync(json)],
        ["bomb (2 MiB inflated)", { "Content-Encoding": "gzip" }, bomb],
        ["not gzip", { "Content-Encoding": "gzip" }, Buffer.from("plainly not gzip")],
        ["gzip cut short", { "Content-Encoding": "gzip" }, gzipSync(json).subarray(0, 20)],
        ["unknown coding", { "Content-Encoding": "compress" }, json],
    ];
    for (const [what, headers, body] of cases) {
        const d = await post(duet, "/z/body", headers, body);
        const e = await post(express, "/z/body", headers, body);
        assert.deepEqual(d, e, what);
    }
    assert.deepEqual((await post(duet, "/z/body", { "Content-Encoding": "gzip" }, gzipSync(json))).json, value);
    assert.equal((await post(duet, "/z/body", { "Content-Encoding": "gzip" }, bomb)).status, 413);
    // The one difference: Express 5's body parser also inflates br; duet's build has no
    // brotli decoder and answers 415.
    const br = brotliCompressSync(json);
    assert.equal((await post(express, "/z/body", { "Content-Encoding": "br" }, br)).status, 200);
    assert.equal((await post(duet, "/z/body", { "Content-Encoding": "br" }, br)).status, 415);
});

const SOCKETIO_SERVER = `
const http = require("node:http").createServer();
const { Server } = require("socket.io");
const io = new Server(http, { perMessageDeflate: true });
io.on("connection", (socket) => {
    socket.on("echo", (...args) => socket.emit("echo", ...args));
    socket.on("io-emit", (msg) => io.emit("io-message", msg, socket.id));
});
http.listen(0, "${HOST}", () => console.log("listening " + http.address().port));
`;

test("perMessageDeflate with socket.io-client: negotiated, big events compressed and intact, like socket.io", { timeout: 20000 }, async (t) => {
    const duet = await start(t, SERVER, ["0", "--per-message-deflate"]);
    const ref = await start(t, process.execPath, ["-e", SOCKETIO_SERVER], { cwd: ROOT });
    const payload = { rows: Array.from({ length: 3000 }, (_, i) => ({ id: i, tag: "row-" + (i % 7) })) };
    const bytes = Buffer.from(Array.from({ length: 4000 }, (_, i) => i % 3));
    for (const [name, port] of [["duet", duet], ["reference", ref]]) {
        const s = ioc(`http://${HOST}:${port}`, { transports: ["websocket"], forceNew: true, reconnection: false });
        t.after(() => s.close());
        await new Promise((resolve, reject) => (s.once("connect", resolve), s.once("connect_error", reject)));
        const ws = s.io.engine.transport.ws;
        assert.match(ws.extensions, /^permessage-deflate/, `${name}: negotiated`);
        const before = ws._socket.bytesRead;
        const got = new Promise((resolve) => s.once("echo", (...a) => resolve(a)));
        s.emit("echo", payload, bytes, "small");
        const [p, b, small] = await got;
        assert.deepEqual(p, payload, name);
        assert.ok(Buffer.from(b).equals(bytes), name);
        assert.equal(small, "small", name);
        const json = JSON.stringify(payload).length;
        assert.ok(ws._socket.bytesRead - before < json / 4, `${name}: compressed (${ws._socket.bytesRead - before} bytes for ${json})`);
    }
});

// A broadcast reaches a client that negotiated permessage-deflate compressed (duet
// deflates it once for all such recipients) and one that did not in plain frames;
// both get it intact. The same on socket.io.
test("perMessageDeflate: a broadcast goes compressed to clients that negotiated it, plain to the others, like socket.io", { timeout: 20000 }, async (t) => {
    const duet = await start(t, SERVER, ["0", "--per-message-deflate"]);
    const ref = await start(t, process.execPath, ["-e", SOCKETIO_SERVER], { cwd: ROOT });
    const msg = { rows: Array.from({ length: 3000 }, (_, i) => ({ id: i, tag: "row-" + (i % 7) })) };
    const json = JSON.stringify(msg).length;
    for (const [name, port] of [["duet", duet], ["reference", ref]]) {
        const clients = [];
        for (const perMessageDeflate of [{ threshold: 1024 }, { threshold: 1024 }, false]) {
            const s = ioc(`http://${HOST}:${port}`, { transports: ["websocket"], forceNew: true, reconnection: false, perMessageDeflate });
            t.after(() => s.close());
            await new Promise((resolve, reject) => (s.once("connect", resolve), s.once("connect_error", reject)));
            clients.push(s);
        }
        const wss = clients.map((s) => s.io.engine.transport.ws);
        assert.match(wss[0].extensions, /^permessage-deflate/, `${name}: negotiated`);
        assert.equal(wss[2].extensions, "", `${name}: not offered, not negotiated`);
        const before = wss.map((ws) => ws._socket.bytesRead);
        const got = clients.map((s) => new Promise((resolve) => s.once("io-message", (m, from) => resolve([m, from]))));
        clients[0].emit("io-emit", msg);
        const all = await Promise.all(got);
        for (const [m, from] of all) {
            assert.deepEqual(m, msg, name);
            assert.equal(from, clients[0].id, name);
        }
        const read = wss.map((ws, i) => ws._socket.bytesRead - before[i]);
        assert.ok(read[0] < json / 4 && read[1] < json / 4, `${name}: compressed (${read} bytes for ${json})`);
        assert.ok(read[2] > json, `${name}: plain to the client without the extension (${read[2]} bytes for ${json})`);
    }
});
