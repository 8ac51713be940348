// tests/interop/express_parity.test.mjs — Express features beyond routes, each compared
// with Express 5 (and morgan) answering the same requests in the same test:
// routes tables mounted under a prefix (Express routers: req.baseUrl / req.path /
// req.originalUrl, nested, coroutine handlers), the not-found entry, res.sendFile
// (root, dotfiles, traversal, ranges, large files), res.download and res.attachment
// (Content-Disposition for ASCII, non-ASCII and odd names), res.location, res.format
// and req.accepts over a set of Accept headers, and morgan's five formats, line by
// line (only the date and the response time differ).
//
// Run: DUET_EXPRESS_SERVER=/path/to/express_test_server node --test tests/interop/express_parity.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "./server_process.mjs";

const SERVER = process.env.DUET_EXPRESS_SERVER;
const HOST = "127.0.0.1";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

// express_test_server's routes, on Express.
const EXPRESS_APP = `
const express = require("express");
const morgan = require("morgan");
const path = require("path");
const FILES = process.env.FILES;
const app = express();
for (const f of ["combined", "common", "dev", "short", "tiny"]) app.use("/log/" + f, morgan(f));
app.get("/log/:format/ok", (req, res) => res.send("ok"));
app.get("/log/:format/teapot", (req, res) => res.status(418).send("short and stout"));
app.get("/log/:format/empty", (req, res) => res.status(204).end());
app.get("/log/:format/boom", () => { throw new Error("boom"); });
const where = (req) => ({ base: req.baseUrl, path: req.path, url: req.originalUrl });
const api = express.Router();
const v1 = express.Router();
api.use((req, res, next) => { res.set("X-Api-Base", req.baseUrl); res.set("X-Api-Path", req.path); next(); });
api.get("/users/:id", (req, res) => res.json({ ...where(req), id: req.params.id }));
v1.get("/", (req, res) => res.json(where(req)));
v1.get("/items/:id", (req, res, next) => {
    if (!/^-?[0-9]+$/.test(req.params.id)) return next();
    res.json({ ...where(req), item: Number(req.params.id) });
});
v1.get("/slow", async (req, res) => { await new Promise((r) => setImmediate(r)); res.json(where(req)); });
api.use("/v1", v1);
app.use("/api", api);
app.get("/files/:name", (req, res) => res.sendFile(req.params.name, { root: FILES }));
app.get("/files2/:name", (req, res) => res.sendFile(req.params.name, { root: FILES + "//" }));
app.get("/abs", (req, res) => res.sendFile(req.query.path));
app.get("/download/:name", (req, res) => res.download(path.join(FILES, req.params.name), req.query.as || undefined));
app.get("/attach", (req, res) => { res.attachment(req.query.name); res.send(Buffer.from("attached")); });
app.get("/where", (req, res) => { res.location(req.query.to); res.status(201).send("ok"); });
app.get("/fmt", (req, res) => res.format({
    html: () => res.send("<p>hello</p>"),
    json: () => res.json({ message: "hello" }),
    "text/plain": () => res.send("hello"),
}));
app.get("/fmt-default", (req, res) => res.format({
    json: () => res.json({ message: "hello" }),
    default: () => res.status(406).send("json only"),
}));
app.get("/accepts", (req, res) => res.send(req.accepts(["json", "html", "text/plain"]) || "none"));
app.use((req, res) => res.status(404).json({ error: "not found", path: req.path }));
app.use((err, req, res, next) => res.status(err.status ?? 500).json({ status: err.status ?? 500 }));
const server = app.listen(0, "${HOST}", () => console.log("listening " + server.address().port));
`;

function get(port, path, headers = {}, method = "GET") {
    return new Promise((resolve, reject) => {
        const req = request({ host: HOST, port, path, headers, method, agent: false }, (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end();
    });
}

let files, duet, express;
const duetLines = [];
const expressLines = [];

function collectLines(child, into) {
    let partial = "";
    child.stdout.on("data", (d) => {
        partial += d;
        const lines = partial.split("\n");
        partial = lines.pop();
        into.push(...lines.filter((l) => !l.startsWith("listening ")));
    });
}

before(async () => {
    assert.ok(SERVER, "DUET_EXPRESS_SERVER must name the express_test_server binary");
    files = mkdtempSync(join(tmpdir(), "duet-parity-"));
    writeFileSync(join(files, "a.txt"), "hello file\n");
    writeFileSync(join(files, ".env"), "SECRET=1\n");
    writeFileSync(join(files, "page.html"), "<h1>page</h1>\n");
    writeFileSync(join(files, "data.json"), '{"x":1}\n');
    writeFileSync(join(files, "naïve résumé.txt"), "accents\n");
    writeFileSync(join(files, "my file (1).txt"), "spaces\n");
    writeFileSync(join(files, "big.bin"), Buffer.alloc(300 * 1024, 7));
    mkdirSync(join(files, "sub"));
    writeFileSync(join(files, "sub", "index.html"), "<p>index</p>\n");
    duet = await startServer(SERVER, ["0", "--files", files], { captureStderr: true });
    collectLines(duet.child, duetLines);
    express = await startServer(process.execPath, ["-e", EXPRESS_APP], { cwd: ROOT, env: { ...process.env, FILES: files }, captureStderr: true });
    collectLines(express.child, expressLines);
});

after(() => {
    duet?.stop();
    express?.stop();
    if (files) rmSync(files, { recursive: true, force: true });
});

// Both answers, compared on status, the given headers and the body.
async function same(path, names, { headers = {}, method = "GET", body = true } = {}) {
    const d = await get(duet.port, path, headers, method);
    const e = await get(express.port, path, headers, method);
    // Express gives every res.send body an ETag; duet only with duet::etag(): file
    // answers are compared on theirs, error bodies are not.
    const pick = (r) => ({
        status: r.status,
        ...Object.fromEntries(names.filter((n) => n !== "etag" || r.status < 400).map((n) => [n, r.headers[n]])),
        ...(body ? { body: r.body.toString("latin1") } : { length: r.body.length }),
    });
    assert.deepEqual(pick(d), pick(e), `${method} ${path} ${JSON.stringify(headers)}`);
    return d;
}

test("a routes table mounted under /api answers as an Express router: baseUrl, path, originalUrl, nested, coroutines", async () => {
    const names = ["content-type", "x-api-base", "x-api-path"];
    for (const path of ["/api/users/7", "/api/users/7?x=1", "/api/v1", "/api/v1/", "/api/v1/items/42", "/api/v1/slow",
                        "/api/v1/items/x", "/api/nothing", "/apix/users/7", "/nowhere"]) {
        await same(path, names);
    }
    const r = await get(duet.port, "/api/v1/items/42");
    assert.deepEqual(JSON.parse(r.body), { base: "/api/v1", path: "/items/42", url: "/api/v1/items/42", item: 42 });
    assert.equal(r.headers["x-api-base"], "/api");
});

test("not found: the on_not_found entry answers what nothing else did, as Express's last middleware", async () => {
    const r = await same("/no/such/page", ["content-type"]);
    assert.equal(r.status, 404);
    assert.deepEqual(JSON.parse(r.body), { error: "not found", path: "/no/such/page" });
});

test("send_file: Express's res.sendFile with a root and with absolute paths", async () => {
    const names = ["content-type", "content-length", "accept-ranges", "cache-control", "last-modified", "etag", "content-range"];
    const cases = [
        ["/files/a.txt"], ["/files/page.html"], ["/files/data.json"], ["/files/big.bin"], ["/files/missing.txt"],
        ["/files/.env"], ["/files/..%2F..%2Fetc%2Fpasswd"], ["/files/sub%2F..%2Fa.txt"], ["/files/sub%2Findex.html"],
        ["/files2/a.txt"], ["/files2/.env"], ["/files2/sub%2F.env"],
        ["/files/a.txt", { Range: "bytes=0-4" }], ["/files/big.bin", { Range: "bytes=1000-" }],
        ["/files/a.txt", { Range: "bytes=100-200" }],
        [`/abs?path=${encodeURIComponent(join(files, "a.txt"))}`],
        [`/abs?path=${encodeURIComponent(join(files, ".env"))}`],
        [`/abs?path=${encodeURIComponent(join(files, "sub", "..", "a.txt"))}`],
        [`/abs?path=${encodeURIComponent(join(files, "nope"))}`],
    ];
    for (const [path, headers] of cases) await same(path, names, { headers });
    // Conditional: the ETag and Last-Modified each server gave.
    for (const server of [duet, express]) {
        const first = await get(server.port, "/files/a.txt");
        const again = await get(server.port, "/files/a.txt", { "If-None-Match": first.headers.etag });
        assert.equal(again.status, 304);
    }
    await same("/files/a.txt", names, { method: "HEAD" });
});

test("download and attachment: the same Content-Disposition as Express for every kind of name", async () => {
    const names = ["content-type", "content-length", "content-disposition"];
    for (const path of ["/download/a.txt", "/download/big.bin", `/download/${encodeURIComponent("naïve résumé.txt")}`,
                        `/download/${encodeURIComponent("my file (1).txt")}`, "/download/a.txt?as=report.txt",
                        `/download/a.txt?as=${encodeURIComponent("Résumé 2026 €.txt")}`,
                        `/download/a.txt?as=${encodeURIComponent('quote"back\\slash.txt')}`,
                        `/download/a.txt?as=${encodeURIComponent("%41.txt")}`, `/download/a.txt?as=${encodeURIComponent("😀.txt")}`,
                        `/download/a.txt?as=${encodeURIComponent("dir/inner.txt")}`, "/download/missing.txt"]) {
        await same(path, names);
    }
    for (const name of ["report.pdf", "x/y/photo.PNG", "README", "naïve.txt", "a b.json"]) {
        await same(`/attach?name=${encodeURIComponent(name)}`, names);
    }
});

test("location: res.location encodes the URL as Express does", async () => {
    for (const to of ["/a b/c", "/already%20encoded", "http://example.com/x?y=1#z", "/ü", "back", "../up", "/%zz"]) {
        await same(`/where?to=${encodeURIComponent(to)}`, ["location", "content-type"]);
    }
});

test("format and accepts: the same choice as res.format and req.accepts for each Accept header", async () => {
    const accepts = [undefined, "", "*/*", "text/html", "application/json", "text/plain", "text/*", "image/png",
        "application/json;q=0.5, text/html;q=0.8", "text/html;q=0, */*", "*/*;q=0.1, application/json",
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", "application/*",
        "text/plain; charset=utf-8", "TEXT/HTML", "text/html;level=1", "foo", ",,,", "application/json;q=abc, text/plain",
        'text/html;q="0.5", application/json;q=0.6', "text/plain;q=0.5, text/html;q=0.5", "*/*;q=0"];
    for (const a of accepts) {
        const headers = a === undefined ? {} : { Accept: a };
        for (const path of ["/fmt", "/fmt-default", "/accepts"]) await same(path, ["content-type", "vary"], { headers });
    }
});

test("logger: morgan's combined, common, dev, short and tiny lines, byte for byte but for date and time", { timeout: 20000 }, async () => {
    duetLines.length = 0;
    expressLines.length = 0;
    const headers = { "User-Agent": "parity-test/1.0", Referer: "http://example.test/from" };
    const requests = [];
    for (const format of ["combined", "common", "dev", "short", "tiny"]) {
        for (const what of ["ok", "teapot", "empty", "boom", "ok?q=1"]) requests.push([`/log/${format}/${what}`, headers]);
        requests.push([`/log/${format}/ok`, { Authorization: "Basic " + Buffer.from("alice:secret").toString("base64") }]);
        // Hostile and empty values: a user name with a newline (a forged second line if
        // written raw), quotes, backslashes, tabs and latin1 bytes in headers, empty ones.
        requests.push([`/log/${format}/ok`, {
            Authorization: "Basic " + Buffer.from('x\n127.0.0.1 - admin "GET /admin":pw').toString("base64"),
            "User-Agent": 'quote" back\\ tab\t \u00c3\u00a9 \u0085', Referer: "",
        }]);
        requests.push([`/log/${format}/ok`, { Authorization: "Basic Og==", "User-Agent": "", Referrer: "http://old.example/" }]);
    }
    for (const [path, h] of requests) {
        await get(duet.port, path, h);
        await get(express.port, path, h);
    }
    const deadline = Date.now() + 5000;
    while ((duetLines.length < requests.length || expressLines.length < requests.length) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
    const normal = (l) => l.replace(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\]/, "[DATE]").replace(/\d+\.\d{3} ms/, "T ms");
    assert.equal(duetLines.length, requests.length, duetLines.join("\n"));
    assert.deepEqual(duetLines.map(normal), expressLines.map(normal));
    assert.match(duetLines[0], /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/log\/combined\/ok HTTP\/1\.1" 200 2 "http:\/\/example\.test\/from" "parity-test\/1\.0"$/);
});
