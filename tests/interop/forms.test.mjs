// tests/interop/forms.test.mjs — form and text bodies: duet's form_body<json::object> and
// text_body against Express 5's express.urlencoded() (extended: false) and express.text(),
// the oracle, in the same test: the same bodies (qs's corner cases, charsets, invalid
// UTF-8, compressed, too many fields, too large) must give the same status and, when
// read, the same value. Then duet's typed form_body<T> (a described struct) on its own:
// numbers, checkboxes, repeated fields, and the 400 that names a field that does not fit.
//
// Run: DUET_SIO_SERVER=/path/to/sio_test_server node --test tests/interop/forms.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { startServer } from "./server_process.mjs";

const SERVER = process.env.DUET_SIO_SERVER;
const HOST = "127.0.0.1";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

// The same limits as duet's defaults: max_body_bytes 1 MiB, max_form_parameters 1000.
const EXPRESS_APP = `
const express = require("express");
const app = express();
app.post("/forms/fields", express.urlencoded({ extended: false, limit: "1mb" }), (req, res) => res.json(req.body));
app.post("/forms/text", express.text({ limit: "1mb" }), (req, res) => res.json({ text: req.body }));
const server = app.listen(0, "${HOST}", () => console.log("listening " + server.address().port));
`;

function post(port, path, body, headers) {
    return new Promise((resolve, reject) => {
        const req = request({ host: HOST, port, path, method: "POST", agent: false,
                              headers: { "Content-Length": body.length, ...headers } }, (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => {
                const text = Buffer.concat(chunks).toString();
                resolve({ status: res.statusCode, value: res.statusCode === 200 ? JSON.parse(text) : null, text });
            });
            res.on("error", reject);
        });
        // A server that refuses a large body may close before reading it all.
        req.on("error", (e) => (e.code === "EPIPE" || e.code === "ECONNRESET" ? resolve({ status: "reset", value: null }) : reject(e)));
        req.end(body);
    });
}

const FORM = "application/x-www-form-urlencoded";
const many = (n) => Array.from({ length: n }, (_, i) => `k${i}=${i}`).join("&");

// [what, path, body (string: UTF-8, or Buffer), headers]
const CASES = [
    ...["a=1&a=2&b=x+y", "a[b]=c&a[d]=e", "a[]=1&a[]=2", "=x&y&z=", "a=%zz%41&%E2%82%AC=%E2%82", "a=1&&b=2&",
        "__proto__=1&hasOwnProperty=2", "a%5Bb%5D=c", "a=1;b=2", "x=%FF", "[x]=1", "[]=x&[]=y", "[]=x&[0]=y",
        "a=1&[a]=2", "a]=b=c", "x=1&x", "[__proto__]=1", "a=%C3", "a=%c3%a9+%2B", "+a+=+", "a=%", "k=%ED%A0%80",
        "name=Z%C3%BCrich&emoji=%F0%9F%98%80&raw=ü€", ""].map((b) => [`form ${JSON.stringify(b)}`, "/forms/fields", b, { "Content-Type": FORM }]),
    ["form, charset=utf-8", "/forms/fields", "a=%C3%A9", { "Content-Type": `${FORM}; charset=UTF-8` }],
    ["form, iso-8859-1", "/forms/fields", Buffer.from([0x61, 0x3d, 0xe9, 0x25, 0x45, 0x39]), { "Content-Type": `${FORM}; charset=iso-8859-1` }],
    ["form, charset utf-16: 415", "/forms/fields", "a=1", { "Content-Type": `${FORM}; charset=utf-16` }],
    ["form, charset utf8 (not a name body-parser accepts): 415", "/forms/fields", "a=1", { "Content-Type": `${FORM}; charset=utf8` }],
    ["form, invalid UTF-8 bytes", "/forms/fields", Buffer.from([0x61, 0x3d, 0xff, 0xfe, 0x62, 0xc3]), { "Content-Type": FORM }],
    ["form, 1000 fields", "/forms/fields", many(1000), { "Content-Type": FORM }],
    ["form, 1001 fields: 413", "/forms/fields", many(1001), { "Content-Type": FORM }],
    ["form, gzip", "/forms/fields", gzipSync("a=1&b=%C3%A9"), { "Content-Type": FORM, "Content-Encoding": "gzip" }],
    ["form, corrupt gzip: 400", "/forms/fields", Buffer.from("not gzip at all"), { "Content-Type": FORM, "Content-Encoding": "gzip" }],
    ["form, over 1 MiB: 413", "/forms/fields", "a=" + "x".repeat(1024 * 1024), { "Content-Type": FORM }],
    ["text", "/forms/text", "héllo\nwörld", { "Content-Type": "text/plain" }],
    ["text, charset=utf-8", "/forms/text", "€", { "Content-Type": "text/plain; charset=utf-8" }],
    ["text, iso-8859-1", "/forms/text", Buffer.from([0x63, 0x61, 0x66, 0xe9]), { "Content-Type": "text/plain; charset=ISO-8859-1" }],
    ["text, invalid UTF-8 bytes", "/forms/text", Buffer.from([0x61, 0xf0, 0x9f, 0x98, 0x62, 0xed, 0xa0, 0x80]), { "Content-Type": "text/plain" }],
    ["text, empty", "/forms/text", "", { "Content-Type": "text/plain" }],
    ["text, gzip", "/forms/text", gzipSync("compressed text"), { "Content-Type": "text/plain", "Content-Encoding": "gzip" }],
    ["text, charset nobody knows: 415", "/forms/text", "x", { "Content-Type": "text/plain; charset=klingon" }],
];

test("form and text bodies: the same status and value as Express's urlencoded() and text()", { timeout: 30000 }, async (t) => {
    assert.ok(SERVER, "DUET_SIO_SERVER must name the sio_test_server binary");
    const duet = await startServer(SERVER, ["0"]);
    t.after(() => duet.stop());
    // NODE_ENV=test: Express's final handler answers errors without logging their stacks.
    const express = await startServer(process.execPath, ["-e", EXPRESS_APP], { cwd: ROOT, env: { ...process.env, NODE_ENV: "test" } });
    t.after(() => express.stop());
    for (const [what, path, body, headers] of CASES) {
        const b = typeof body === "string" ? Buffer.from(body) : body;
        const d = await post(duet.port, path, b, headers);
        const e = await post(express.port, path, b, headers);
        assert.equal(d.status === "reset" ? 413 : d.status, e.status === "reset" ? 413 : e.status, what);
        assert.deepEqual(d.value, e.value, what);
    }
});

test("form_body / text_body answer 415 to another Content-Type (Express would leave req.body unset)", async (t) => {
    const duet = await startServer(SERVER, ["0"]);
    t.after(() => duet.stop());
    for (const [path, type] of [["/forms/fields", "application/json"], ["/forms/fields", "text/plain"],
                                ["/forms/text", FORM], ["/forms/signup", "multipart/form-data; boundary=x"]]) {
        const r = await post(duet.port, path, Buffer.from("a=1"), { "Content-Type": type });
        assert.equal(r.status, 415, `${path} ${type}`);
    }
    const none = await post(duet.port, "/forms/fields", Buffer.from("a=1"), {});
    assert.equal(none.status, 415);
});

test("form_body<T>: a described struct filled from an HTML form", async (t) => {
    const duet = await startServer(SERVER, ["0"]);
    t.after(() => duet.stop());
    const send = (body) => post(duet.port, "/forms/signup", Buffer.from(body), { "Content-Type": FORM });
    let r = await send("name=Ada+Lovelace&age=36&newsletter=on&tags=math&tags=poetry");
    assert.equal(r.status, 200);
    assert.deepEqual(r.value, { name: "Ada Lovelace", age: 36, newsletter: true, tags: ["math", "poetry"] });
    // An unchecked checkbox and no tags: the form simply leaves them out.
    r = await send("name=Bob&age=7");
    assert.deepEqual(r.value, { name: "Bob", age: 7, newsletter: false, tags: [] });
    // What does not fit answers 400 and names the field.
    r = await send("name=Eve&age=old");
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.text).error, /^body\.age: expected an integer/);
    r = await send("name=Eve&age=99999999999");
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.text).error, /^body\.age: expected an integer from -2147483648 to 2147483647/);
    r = await send("age=3");
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.text).error, /^body\.name: missing/);
    r = await send("name=a&name=b&age=1");
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.text).error, /^body\.name: expected a string/);
});
