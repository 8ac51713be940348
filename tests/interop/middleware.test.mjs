// tests/interop/middleware.test.mjs — the middleware Express apps install first, against
// the npm packages themselves in the same test: duet::helmet() against helmet 8 (its
// defaults, a custom Content-Security-Policy with HSTS and frame options, and headers
// turned off), compared header by header on the same routes.
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
