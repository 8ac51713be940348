// tests/interop/trust_proxy.test.mjs — server_options.trust_proxy against Express 5's
// `trust proxy` setting (and express-session's Secure cookie), the oracle, in the same
// test: for each trust value, the same requests (X-Forwarded-For / -Proto / -Host as a
// proxy would send them, and as a client would forge them) must read the same req.ip,
// req.ips, req.protocol, req.secure, req.host and req.hostname on both, and a session
// with a Secure cookie must send its cookie exactly when Express does.
//
// Run: DUET_SIO_SERVER=/path/to/sio_test_server node --test tests/interop/trust_proxy.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { startServer } from "./server_process.mjs";

const SERVER = process.env.DUET_SIO_SERVER;
const HOST = "127.0.0.1";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

// sio_test_server's /proxy routes (--trust-proxy V), on Express + express-session.
const EXPRESS_APP = `
const express = require("express");
const session = require("express-session");
const v = process.env.TRUST;
const app = express();
app.set("trust proxy", v === "true" ? true : v === "false" ? false : /^\\d+$/.test(v) ? Number(v) : v);
app.use(session({ secret: "proxy-test-secret", name: "connect.sid", resave: false, saveUninitialized: false,
                  cookie: { secure: true } }));
app.get("/proxy/info", (req, res) => res.json({ ip: req.ip, ips: req.ips, protocol: req.protocol, secure: req.secure,
                                                host: req.host, hostname: req.hostname }));
app.post("/proxy/login", (req, res) => {
    req.session.user = String(req.query.user ?? "?");
    res.json({ user: req.session.user });
});
app.get("/proxy/me", (req, res) => res.json({ user: req.session.user ?? null }));
const server = app.listen(0, "${HOST}", () => console.log("listening " + server.address().port));
`;

function call(port, method, path, headers = {}) {
    return new Promise((resolve, reject) => {
        // The same Host on both servers (they listen on different ports).
        const req = request({ host: HOST, port, path, method, headers: { Host: "app.local:8080", ...headers }, agent: false }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c) => (body += c));
            res.on("end", () => {
                const cookie = (res.headers["set-cookie"] ?? []).find((c) => c.startsWith("connect.sid="));
                resolve({
                    status: res.statusCode,
                    json: res.statusCode === 200 ? JSON.parse(body) : body,
                    cookie: cookie ? cookie.split(";")[0] : null,
                    secureCookie: cookie ? /;\s*Secure/i.test(cookie) : null,
                });
            });
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end();
    });
}

// Values of Express's `trust proxy` (as sio_test_server --trust-proxy reads them).
const TRUST = ["false", "true", "1", "2", "loopback", "10.0.0.0/8", "uniquelocal, loopback", "127.0.0.1, 10.0.0.2"];

// Headers of one request (all sent from 127.0.0.1): a proxy's, a chain of proxies', and forged ones.
const REQUESTS = [
    {},
    { "X-Forwarded-For": "203.0.113.7" },
    { "X-Forwarded-For": "203.0.113.7, 10.0.0.2", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example:8443" },
    { "X-Forwarded-For": "198.51.100.1, 127.0.0.5", "X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "a.example, b.example" },
    { "X-Forwarded-For": "10.9.9.9,10.0.0.2", "X-Forwarded-Proto": "HTTPS", Host: "[::1]:3000" },
    { "X-Forwarded-For": "  ,,garbage, 127.0.0.9 ", "X-Forwarded-Proto": " https " },
    { "X-Forwarded-For": "2001:db8::1, ::ffff:10.0.0.2", "X-Forwarded-Proto": "http", Host: "h.example" },
    { "X-Forwarded-Proto": "wss", "X-Forwarded-Host": "", Host: "plain.example:80" },
];

for (const trust of TRUST) {
    test(`trust proxy ${JSON.stringify(trust)}: req.ip/ips/protocol/secure/host/hostname and the Secure session cookie as Express`,
         { timeout: 20000 }, async (t) => {
        assert.ok(SERVER, "DUET_SIO_SERVER must name the sio_test_server binary");
        const duet = await startServer(SERVER, ["0", "--trust-proxy", trust]);
        t.after(() => duet.stop());
        const express = await startServer(process.execPath, ["-e", EXPRESS_APP], { cwd: ROOT, env: { ...process.env, TRUST: trust } });
        t.after(() => express.stop());
        for (const headers of REQUESTS) {
            const what = `${trust} ${JSON.stringify(headers)}`;
            const d = await call(duet.port, "GET", "/proxy/info", headers);
            const e = await call(express.port, "GET", "/proxy/info", headers);
            assert.deepEqual(d, e, what);

            // The session cookie is Secure: sent only when the request is secure.
            const dl = await call(duet.port, "POST", "/proxy/login?user=ann", headers);
            const el = await call(express.port, "POST", "/proxy/login?user=ann", headers);
            assert.equal(dl.status, el.status, what);
            assert.equal(dl.cookie !== null, el.cookie !== null, `cookie sent ${what}`);
            assert.equal(dl.secureCookie, el.secureCookie, what);
            assert.equal(dl.cookie !== null, e.json.secure, `a Secure cookie answers exactly the secure requests ${what}`);
            if (dl.cookie) {
                // The cookie works: the next request (through the same proxy) is logged in.
                const dm = await call(duet.port, "GET", "/proxy/me", { ...headers, Cookie: dl.cookie });
                const em = await call(express.port, "GET", "/proxy/me", { ...headers, Cookie: el.cookie });
                assert.deepEqual(dm.json, em.json, what);
                assert.deepEqual(dm.json, { user: "ann" });
            }
        }
    });
}
