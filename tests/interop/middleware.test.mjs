// tests/interop/middleware.test.mjs — the middleware Express apps install first, against
// the npm packages themselves in the same test: duet::helmet() against helmet 8 (its
// defaults, a custom Content-Security-Policy with HSTS and frame options, and headers
// turned off), compared header by header on the same routes; duet::rate_limit() against
// express-rate-limit 7 (statuses, bodies, legacy/draft-6/draft-7 headers, Retry-After,
// a new window, and clients told apart by X-Forwarded-For behind a trusted proxy).
//
// Run: DUET_SIO_SERVER=/path/to/sio_test_server node --test tests/interop/middleware.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { startServer } from "./server_process.mjs";

const SERVER = process.env.DUET_SIO_SERVER;
const HOST = "127.0.0.1";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

// sio_test_server's /helmet routes, on Express + helmet.
const EXPRESS_APP = `
const express = require("express");
const helmet = require("helmet");
const app = express();
app.use("/helmet/default", helmet());
app.use("/helmet/custom", helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'self'"], imgSrc: ["*"] } },
    strictTransportSecurity: { maxAge: 15552000, includeSubDomains: false, preload: true },
    xFrameOptions: { action: "deny" },
}));
app.use("/helmet/some", helmet({ contentSecurityPolicy: false, strictTransportSecurity: false, xFrameOptions: false,
                                 xXssProtection: false }));
app.get("/helmet/:which/page", (req, res) => {
    if (req.query.override) res.set("Content-Security-Policy", "default-src 'none'");
    res.send("ok");
});
const server = app.listen(0, "${HOST}", () => console.log("listening " + server.address().port));
`;

// The headers helmet can set, as the response has them (absent: undefined).
const HELMET_HEADERS = ["content-security-policy", "cross-origin-opener-policy", "cross-origin-resource-policy",
    "origin-agent-cluster", "referrer-policy", "strict-transport-security", "x-content-type-options",
    "x-dns-prefetch-control", "x-download-options", "x-frame-options", "x-permitted-cross-domain-policies",
    "x-xss-protection", "x-powered-by"];

function get(port, path) {
    return new Promise((resolve, reject) => {
        const req = request({ host: HOST, port, path, agent: false }, (res) => {
            res.resume();
            res.on("end", () => resolve({ status: res.statusCode, ...Object.fromEntries(HELMET_HEADERS.map((h) => [h, res.headers[h]])) }));
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end();
    });
}

test("helmet: the same security headers as npm helmet 8, defaults, options and overrides", async (t) => {
    assert.ok(SERVER, "DUET_SIO_SERVER must name the sio_test_server binary");
    const duet = await startServer(SERVER, ["0"]);
    t.after(() => duet.stop());
    const express = await startServer(process.execPath, ["-e", EXPRESS_APP], { cwd: ROOT });
    t.after(() => express.stop());
    for (const path of ["/helmet/default/page", "/helmet/custom/page", "/helmet/some/page", "/helmet/default/page?override=1"]) {
        const d = await get(duet.port, path);
        const e = await get(express.port, path);
        // Express announces itself; helmet removes that (duet never sends it).
        assert.equal(e["x-powered-by"], undefined, path);
        assert.deepEqual(d, e, path);
    }
    const defaults = await get(duet.port, "/helmet/default/page");
    assert.equal(defaults["x-frame-options"], "SAMEORIGIN");
    assert.match(defaults["content-security-policy"], /^default-src 'self';/);
});

// sio_test_server's /limited routes, on Express + express-rate-limit 7 (memory store).
const EXPRESS_LIMITS = `
const express = require("express");
const { rateLimit } = require("express-rate-limit");
const app = express();
app.set("trust proxy", process.env.TRUST === "true");
app.use("/limited/legacy", rateLimit({ windowMs: 2000, limit: 3 }));
app.use("/limited/draft6", rateLimit({ windowMs: 2000, limit: 3, standardHeaders: "draft-6", legacyHeaders: false }));
app.use("/limited/draft7", rateLimit({ windowMs: 2000, limit: 3, statusCode: 503, message: "slow down",
                                       standardHeaders: "draft-7", legacyHeaders: true }));
app.get("/limited/:which/page", (req, res) => res.send("ok"));
const server = app.listen(0, "${HOST}", () => console.log("listening " + server.address().port));
`;

const LIMIT_HEADERS = ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "ratelimit-policy",
    "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "ratelimit", "retry-after", "content-type"];
// Headers holding a time in seconds: the two servers may read their clocks either side of a second.
const CLOSE = { "x-ratelimit-reset": 1, "ratelimit-reset": 1, "retry-after": 1 };

function getLimited(port, path, headers = {}) {
    return new Promise((resolve, reject) => {
        const req = request({ host: HOST, port, path, headers, agent: false }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode, body, ...Object.fromEntries(LIMIT_HEADERS.map((h) => [h, res.headers[h]])) }));
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end();
    });
}

function sameAnswer(d, e, what) {
    for (const [k, v] of Object.entries(e)) {
        if (k in CLOSE && v !== undefined && d[k] !== undefined) {
            assert.ok(Math.abs(Number(d[k]) - Number(v)) <= CLOSE[k], `${what}: ${k} ${d[k]} vs ${v}`);
        } else if (k === "ratelimit" && v !== undefined) {
            assert.equal(d[k]?.replace(/reset=\d+/, ""), v.replace(/reset=\d+/, ""), `${what}: ${k}`);
        } else {
            assert.deepEqual(d[k], v, `${what}: ${k}`);
        }
    }
}

test("rate_limit: the same answers and headers as express-rate-limit, window by window", { timeout: 20000 }, async (t) => {
    const duet = await startServer(SERVER, ["0"]);
    t.after(() => duet.stop());
    const express = await startServer(process.execPath, ["-e", EXPRESS_LIMITS], { cwd: ROOT });
    t.after(() => express.stop());
    for (const kind of ["legacy", "draft6", "draft7"]) {
        const path = `/limited/${kind}/page`;
        const statuses = [];
        for (let i = 0; i < 5; ++i) {
            const d = await getLimited(duet.port, path);
            const e = await getLimited(express.port, path);
            sameAnswer(d, e, `${kind} request ${i + 1}`);
            statuses.push(d.status);
        }
        assert.deepEqual(statuses, kind === "draft7" ? [200, 200, 200, 503, 503] : [200, 200, 200, 429, 429]);
    }
    // A new window: allowed again.
    await new Promise((r) => setTimeout(r, 2100));
    const d = await getLimited(duet.port, "/limited/legacy/page");
    const e = await getLimited(express.port, "/limited/legacy/page");
    sameAnswer(d, e, "next window");
    assert.equal(d.status, 200);
});

test("rate_limit: counts per client address, which trust_proxy reads from X-Forwarded-For", { timeout: 20000 }, async (t) => {
    const duet = await startServer(SERVER, ["0", "--trust-proxy", "true"]);
    t.after(() => duet.stop());
    const express = await startServer(process.execPath, ["-e", EXPRESS_LIMITS], { cwd: ROOT, env: { ...process.env, TRUST: "true" } });
    t.after(() => express.stop());
    for (const client of ["203.0.113.1", "203.0.113.2", "203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.1"]) {
        const headers = { "X-Forwarded-For": client };
        const d = await getLimited(duet.port, "/limited/legacy/page", headers);
        const e = await getLimited(express.port, "/limited/legacy/page", headers);
        sameAnswer(d, e, client);
    }
    const last = await getLimited(duet.port, "/limited/legacy/page", { "X-Forwarded-For": "203.0.113.2" });
    assert.equal(last.status, 200);
    assert.equal(last["x-ratelimit-remaining"], "0");
});

// sio_test_server's /errors routes and its on_error entry, on Express with an error middleware.
const EXPRESS_ERRORS = `
const express = require("express");
const app = express();
const teapot = () => Object.assign(new Error("teapot"), { status: 418 });
app.get("/errors/sync", () => { throw new Error("boom"); });
app.get("/errors/http", () => { throw teapot(); });
app.get("/errors/async", async () => { await new Promise((r) => setTimeout(r, 1)); throw new Error("late boom"); });
app.use("/errors/mw", () => { throw new Error("middleware boom"); });
app.get("/errors/mw/page", (req, res) => res.send("ok"));
app.use((err, req, res, next) => {
    if (!req.path.startsWith("/errors/")) return next(err);
    res.status(err.status ?? 500).json({ error: err.message, handled: true });
});
const server = app.listen(0, "${HOST}", () => console.log("listening " + server.address().port));
`;

function getJson(port, path) {
    return new Promise((resolve, reject) => {
        const req = request({ host: HOST, port, path, agent: false }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode, type: res.headers["content-type"], body: body.startsWith("{") ? JSON.parse(body) : body }));
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end();
    });
}

test("on_error: what handlers and middleware throw reaches the error entry, as Express's error middleware", async (t) => {
    const duet = await startServer(SERVER, ["0"], { captureStderr: true });
    t.after(() => duet.stop());
    const express = await startServer(process.execPath, ["-e", EXPRESS_ERRORS], { cwd: ROOT, env: { ...process.env, NODE_ENV: "test" } });
    t.after(() => express.stop());
    for (const path of ["/errors/sync", "/errors/http", "/errors/async", "/errors/mw/page"]) {
        const d = await getJson(duet.port, path);
        const e = await getJson(express.port, path);
        assert.deepEqual(d, e, path);
        assert.equal(d.body.handled, true, path);
    }
    // The entry did not answer: duet's default 500 (and the error logged).
    const d = await getJson(duet.port, "/unhandled/boom");
    assert.equal(d.status, 500);
    assert.deepEqual(d.body, { error: "Internal Server Error" });
    // stderr arrives through a pipe: give it a moment.
    for (let i = 0; i < 40 && !/unhandled\/boom/.test(duet.stderr()); i++) await new Promise((r) => setTimeout(r, 25));
    assert.match(duet.stderr(), /handler threw for GET \/unhandled\/boom: boom/);
    assert.doesNotMatch(duet.stderr(), /errors\/sync/, "a handled error is not logged");
});

// sio_test_server's /etag routes, on Express (whose "etag" setting is on, weak, by default).
const EXPRESS_ETAG = `
const express = require("express");
const app = express();
app.get("/etag/text", (req, res) => res.send("hello etag"));
app.post("/etag/text", (req, res) => res.send("hello etag"));
app.get("/etag/json", (req, res) => res.json({ a: 1, b: "two" }));
app.get("/etag/empty", (req, res) => res.send(""));
app.get("/etag/own", (req, res) => res.set("ETag", '"v1"').send("versioned"));
app.get("/etag/created", (req, res) => res.sendStatus(201));
app.get("/etag/missing", (req, res) => res.status(404).json({ error: "nope" }));
const server = app.listen(0, "${HOST}", () => console.log("listening " + server.address().port));
`;

function ask(port, method, path, headers = {}) {
    return new Promise((resolve, reject) => {
        const req = request({ host: HOST, port, method, path, headers, agent: false }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode, etag: res.headers.etag, type: res.headers["content-type"],
                                          length: res.headers["content-length"], body }));
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end();
    });
}

test("etag: the ETag and the 304s of Express's res.send", async (t) => {
    const duet = await startServer(SERVER, ["0"]);
    t.after(() => duet.stop());
    const express = await startServer(process.execPath, ["-e", EXPRESS_ETAG], { cwd: ROOT });
    t.after(() => express.stop());
    let notModified = 0;
    for (const path of ["/etag/text", "/etag/json", "/etag/empty", "/etag/own", "/etag/created", "/etag/missing"]) {
        const first = await ask(express.port, "GET", path);
        assert.ok(first.etag, `Express sets an ETag on ${path}`);
        const conditions = [{}, { "If-None-Match": first.etag }, { "If-None-Match": `"nope", ${first.etag}` },
                            { "If-None-Match": "*" }, { "If-None-Match": '"other"' },
                            { "If-None-Match": first.etag, "Cache-Control": "no-cache" },
                            { "If-Modified-Since": "Thu, 01 Jan 2099 00:00:00 GMT" }];
        for (const headers of conditions) {
            for (const method of ["GET", "HEAD", "POST"]) {
                if (method === "POST" && path !== "/etag/text") continue;
                const what = `${method} ${path} ${JSON.stringify(headers)}`;
                const d = await ask(duet.port, method, path, headers);
                const e = await ask(express.port, method, path, headers);
                assert.deepEqual(d, e, what);
                if (d.status === 304) ++notModified;
            }
        }
    }
    assert.ok(notModified >= 10, `some answers were 304 (${notModified})`);
});
