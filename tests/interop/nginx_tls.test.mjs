// tests/interop/nginx_tls.test.mjs — duet behind a real nginx that terminates TLS, the
// deployment recipe of the README ("Behind a TLS-terminating proxy"): nginx serves HTTPS
// (a certificate signed by a test CA this test creates with the openssl CLI) and plain
// HTTP, and forwards to duet (sio_test_server --trust-proxy loopback) with
// X-Forwarded-For, X-Forwarded-Proto and the WebSocket upgrade headers.
//
// Checked: req.ip() is the client's address (not nginx's), req.protocol() "https" on the
// HTTPS port and "http" on the plain one; a session's Secure cookie is set over HTTPS
// and withheld over plain HTTP (as express-session does); the official socket.io-client
// reaches duet over https:// and wss:// with long-polling, WebSocket and the upgrade,
// and its socket sees the session the HTTPS login created (the shared cookie).
//
// Run: DUET_SIO_SERVER=/path/to/sio_test_server node --test tests/interop/nginx_tls.test.mjs
// (NGINX=/path/to/nginx to use another binary than /usr/sbin/nginx; DUET_SERVER_ARGS,
// e.g. "--threads 2", is passed to duet.)
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { io as ioc } from "socket.io-client";
import { canConnect, freePort, startServer } from "./server_process.mjs";

const SERVER = process.env.DUET_SIO_SERVER;
const NGINX = process.env.NGINX ?? "/usr/sbin/nginx";
const SERVER_ARGS = (process.env.DUET_SERVER_ARGS ?? "").split(" ").filter(Boolean);
const CLIENT_ADDRESS = "127.0.0.2";  // the clients connect from here, nginx from 127.0.0.1
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let dir, duet, nginx, httpsPort, httpPort, ca;

// A test CA and a certificate for localhost / 127.0.0.1 signed by it.
function makeCertificates(d) {
    const openssl = (...args) => execFileSync("openssl", args, { cwd: d, stdio: ["ignore", "ignore", "pipe"] });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=duet test CA");
    openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
    writeFileSync(join(d, "ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n" +
                                      "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n");
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf");
    return readFileSync(join(d, "ca.crt"));
}

function nginxConf(d, upstream) {
    const proxy = `
            location / {
                proxy_pass http://127.0.0.1:${upstream};
                proxy_http_version 1.1;
                proxy_set_header Upgrade $http_upgrade;
                proxy_set_header Connection $connection_upgrade;
                proxy_set_header Host $host;
                proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                proxy_set_header X-Forwarded-Proto $scheme;
                proxy_read_timeout 60s;
            }`;
    return `
daemon off;
master_process off;
worker_processes 1;
pid ${d}/nginx.pid;
error_log ${d}/error.log warn;
events { worker_connections 256; }
http {
    client_body_temp_path ${d}/body;
    proxy_temp_path ${d}/proxy;
    fastcgi_temp_path ${d}/fastcgi;
    uwsgi_temp_path ${d}/uwsgi;
    scgi_temp_path ${d}/scgi;
    access_log off;
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    server {
        listen 127.0.0.1:${httpsPort} ssl;
        ssl_certificate ${d}/server.crt;
        ssl_certificate_key ${d}/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ${proxy}
    }
    server {
        listen 127.0.0.1:${httpPort};
        ${proxy}
    }
}`;
}

before(async () => {
    assert.ok(SERVER, "DUET_SIO_SERVER must name the sio_test_server binary");
    dir = mkdtempSync(join(tmpdir(), "duet-nginx-tls-"));
    ca = makeCertificates(dir);
    duet = await startServer(SERVER, ["0", "--trust-proxy", "loopback", ...SERVER_ARGS]);
    httpsPort = await freePort();
    httpPort = await freePort();
    writeFileSync(join(dir, "nginx.conf"), nginxConf(dir, duet.port));
    nginx = spawn(NGINX, ["-c", join(dir, "nginx.conf"), "-p", dir], { stdio: ["ignore", "ignore", "inherit"] });
    for (let i = 0; i < 100; i++) {
        if ((await canConnect(httpsPort)) && (await canConnect(httpPort))) return;
        await sleep(50);
    }
    throw new Error("nginx did not start: " + readFileSync(join(dir, "error.log"), "utf8"));
});

after(async () => {
    nginx?.kill("SIGKILL");
    await duet?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

function call(secure, method, path, headers = {}) {
    return new Promise((resolve, reject) => {
        const options = { host: "localhost", port: secure ? httpsPort : httpPort, path, method, headers,
                          localAddress: CLIENT_ADDRESS, agent: false };
        const req = (secure ? httpsRequest : httpRequest)(secure ? { ...options, ca } : options, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c) => (body += c));
            res.on("end", () => {
                const cookie = (res.headers["set-cookie"] ?? []).find((c) => c.startsWith("connect.sid="));
                resolve({ status: res.statusCode, json: JSON.parse(body), setCookie: cookie ?? null });
            });
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end();
    });
}

test("behind nginx: req.ip is the client's, req.protocol what the client used", async () => {
    const s = await call(true, "GET", "/proxy/info");
    assert.equal(s.status, 200);
    assert.deepEqual(s.json, { ip: CLIENT_ADDRESS, ips: [CLIENT_ADDRESS], protocol: "https", secure: true,
                               host: "localhost", hostname: "localhost" });  // nginx: Host $host (no port)
    const p = await call(false, "GET", "/proxy/info");
    assert.equal(p.json.protocol, "http");
    assert.equal(p.json.secure, false);
    assert.equal(p.json.ip, CLIENT_ADDRESS);
    // A client forging X-Forwarded-Proto on the plain port: nginx overwrites it.
    const forged = await call(false, "GET", "/proxy/info", { "X-Forwarded-Proto": "https" });
    assert.equal(forged.json.protocol, "http");
});

test("behind nginx: the Secure session cookie is set over HTTPS only", async () => {
    const plain = await call(false, "POST", "/proxy/login?user=bob");
    assert.equal(plain.status, 200);
    assert.equal(plain.setCookie, null, "no Secure cookie over plain HTTP");
    const tls = await call(true, "POST", "/proxy/login?user=ann");
    assert.ok(tls.setCookie, "a cookie over HTTPS");
    assert.match(tls.setCookie, /;\s*Secure/);
    const cookie = tls.setCookie.split(";")[0];
    const me = await call(true, "GET", "/proxy/me", { Cookie: cookie });
    assert.deepEqual(me.json, { user: "ann" });
});

async function connectOverTls(transports, cookie) {
    const socket = ioc(`https://localhost:${httpsPort}`, {
        ca, transports, forceNew: true, reconnection: false, extraHeaders: { cookie },
    });
    await new Promise((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("connect_error", reject);
    });
    return socket;
}

for (const [name, transports] of [["long-polling", ["polling"]], ["WebSocket", ["websocket"]],
                                  ["polling upgraded to WebSocket", ["polling", "websocket"]]]) {
    test(`behind nginx: socket.io-client over https/wss (${name}) shares the HTTPS session`, { timeout: 15000 }, async () => {
        const login = await call(true, "POST", `/proxy/login?user=${encodeURIComponent(name)}`);
        const cookie = login.setCookie.split(";")[0];
        const socket = await connectOverTls(transports, cookie);
        try {
            if (transports.length === 2) {
                for (let i = 0; i < 100 && socket.io.engine.transport.name !== "websocket"; i++) await sleep(20);
            }
            assert.equal(socket.io.engine.transport.name, transports.at(-1));
            assert.equal(await socket.timeout(3000).emitWithAck("session-user"), name);
            const echoed = new Promise((resolve) => socket.once("echo", (...args) => resolve(args)));
            socket.emit("echo", "over TLS", { n: 1 });
            assert.deepEqual(await echoed, ["over TLS", { n: 1 }]);
        } finally {
            socket.disconnect();
        }
    });
}
