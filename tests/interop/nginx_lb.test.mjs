// tests/interop/nginx_lb.test.mjs — two duet nodes (redis_cluster_server, Redis adapter)
// behind a real nginx, the deployment recipe of the README ("Behind a load balancer").
// A redis-server, the two nodes and nginx (/usr/sbin/nginx, started here, unprivileged
// paths in a temporary directory) run on free ports. nginx serves two front ports:
//   sticky — upstream with `hash $remote_addr consistent` (the recipe),
//   rr     — the same two nodes, round-robin (no stickiness), for the negative cases.
// The official socket.io-client instances connect from different loopback source
// addresses (127.0.0.x, through an http.Agent({ localAddress }) for long-polling and the
// WebSocket upgrade), so that the hash really spreads them over both nodes. Which node
// holds each client is established twice: on the servers (a probe client connected
// directly to each node emits a "local" broadcast, which only that node's clients get)
// and in nginx's access log ($remote_addr → $upstream_addr of every request).
//
// Run: DUET_REDIS_CLUSTER_SERVER=/path/to/redis_cluster_server node --test tests/interop/nginx_lb.test.mjs
// (NGINX=/path/to/nginx to use another binary than /usr/sbin/nginx; DUET_SERVER_ARGS,
// e.g. "--threads 2", is passed to both nodes.)
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { io as ioc } from "socket.io-client";
import { canConnect, freePort, startRedis, startServer } from "./server_process.mjs";

const SERVER = process.env.DUET_REDIS_CLUSTER_SERVER;
const NGINX = process.env.NGINX ?? "/usr/sbin/nginx";
const SERVER_ARGS = (process.env.DUET_SERVER_ARGS ?? "").split(" ").filter(Boolean);  // e.g. --threads 2
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Spawns `file args` and waits until every port in `ports` accepts connections.
async function startListening(file, args, ports, what, log = () => "") {
    const child = spawn(file, args, { stdio: ["ignore", "ignore", "inherit"] });
    let exited = null;
    child.once("exit", (code, signal) => (exited = code ?? signal));
    for (let i = 0; i < 100 && exited === null; i++) {
        if ((await Promise.all(ports.map(canConnect))).every(Boolean)) return child;
        await sleep(50);
    }
    child.kill("SIGKILL");
    throw new Error(`${what} did not start (${exited ?? "no listener"}): ${log()}`);
}

async function waitFor(pred, ms, what) {
    for (const end = Date.now() + ms; !pred(); await sleep(25))
        if (Date.now() > end) assert.fail(`timed out waiting for ${typeof what === "function" ? what() : what}`);
}

function nginxConf(dir, nodes, sticky, rr) {
    const servers = nodes.map((p) => `server 127.0.0.1:${p};`).join(" ");
    const front = (port, upstream) => `
        server {
            listen 127.0.0.1:${port};
            location / {
                proxy_pass http://${upstream};
                proxy_http_version 1.1;
                proxy_set_header Upgrade $http_upgrade;
                proxy_set_header Connection $connection_upgrade;
                proxy_set_header Host $host;
                proxy_read_timeout 60s;
                proxy_send_timeout 60s;
            }
        }`;
    return `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    log_format lb '$remote_addr $upstream_addr $status "$request"';
    access_log ${dir}/access.log lb;
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    upstream duet { hash $remote_addr consistent; ${servers} }
    upstream duet_rr { ${servers} }
    ${front(sticky, "duet")}
    ${front(rr, "duet_rr")}
}
`;
}

// An official client connecting from source address `addr` (127.0.0.x). Polling uses
// the `agent` (xmlhttprequest-ssl hands it to http.request); the WebSocket transport
// passes `agent` and `localAddress` on to ws.
function client(port, addr, transports) {
    const c = ioc(`http://127.0.0.1:${port}`, {
        transports, forceNew: true, reconnection: false,
        agent: new Agent({ localAddress: addr }), localAddress: addr,
    });
    c.addr = addr;
    c.got = [];
    c.on("msg", (...args) => c.got.push(args));
    return c;
}
const connected = (c) =>
    new Promise((resolve, reject) => {
        c.once("connect", () => resolve(c));
        c.once("connect_error", reject);
    });
const ask = (c, ev, ...args) => c.timeout(4000).emitWithAck(ev, ...args);

describe("two duet nodes behind nginx (hash $remote_addr consistent)", () => {
    let dir, redis, nodes, nginx, sticky, rr, probes;
    const log = () => { try { return readFileSync(join(dir, "error.log"), "utf8"); } catch { return ""; } };
    // nginx's access log: [{ addr, upstream port, status, transport, sid }]
    const access = () =>
        readFileSync(join(dir, "access.log"), "utf8").split("\n").filter(Boolean).map((l) => {
            const [addr, upstream, status] = l.split(" ");
            const q = new URLSearchParams(/\?([^ "]*)/.exec(l)?.[1] ?? "");
            return { addr, port: Number(upstream.split(":")[1]), status: Number(status), transport: q.get("transport"), sid: q.get("sid") };
        });

    before(async () => {
        assert.ok(SERVER, "DUET_REDIS_CLUSTER_SERVER must name the redis_cluster_server binary");
        dir = mkdtempSync(join(tmpdir(), "duet-nginx-"));
        redis = await startRedis();
        const redisPort = redis.port;
        nodes = await Promise.all([0, 1].map(() => startServer(SERVER, ["0", "--redis", `127.0.0.1:${redisPort}`, ...SERVER_ARGS])));
        [sticky, rr] = [await freePort(), await freePort()];
        writeFileSync(join(dir, "nginx.conf"), nginxConf(dir, nodes.map((n) => n.port), sticky, rr));
        nginx = await startListening(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], [sticky, rr], "nginx", log);
        // One probe client directly on each node (not through nginx).
        probes = await Promise.all(nodes.map((n) => connected(client(n.port, "127.0.0.1", ["websocket"]))));
        assert.equal(await ask(probes[0], "server-count"), 2, "both nodes on Redis");
    });
    after(async () => {
        for (const p of probes ?? []) p.disconnect();
        const crashed = nodes?.map((n) => n.died());
        for (const n of nodes ?? []) await n.stop();
        nginx?.kill("SIGKILL");
        redis?.child.kill("SIGKILL");
        if (dir) rmSync(dir, { recursive: true, force: true });
        assert.ok(!crashed?.some(Boolean), "a duet node died during the tests");
    });

    // The node index (0, 1) of every client, from the servers: each probe emits a
    // "local" broadcast, which reaches exactly the clients of its own node.
    async function nodeOf(clients) {
        for (const c of [...clients, ...probes]) c.got = [];
        probes.forEach((p, i) => p.emit("emit", "local", "", "", "probe", i));
        await waitFor(() => clients.every((c) => c.got.length > 0) && probes.every((p) => p.got.length > 0), 5000, "the probes");
        await sleep(100);  // a duplicate or a probe from the other node would show now
        return clients.map((c) => {
            assert.equal(c.got.length, 1, `client ${c.addr} got ${JSON.stringify(c.got)}`);
            return c.got[0][1];
        });
    }

    const modes = [
        ["polling then upgrade", ["polling", "websocket"], 2],
        ["polling only", ["polling"], 66],
    ];
    for (const [name, transports, first] of modes) {
        describe(name, () => {
            let clients = [], where, member;
            const addrs = () => new Set(clients.map((c) => c.addr));
            after(() => { for (const c of clients) c.disconnect(); });

            test("clients from 127.0.0.x spread over both nodes", async () => {
                // 8 source addresses; 4 more at a time (up to 32) only while one node
                // has none.
                for (let n = 0; n < 32; n++) {
                    const c = client(sticky, `127.0.0.${first + n}`, transports);
                    clients.push(c);
                    await connected(c);
                    if (clients.length >= 8 && clients.length % 4 === 0) {
                        where = await nodeOf(clients);
                        if (new Set(where).size === 2) break;
                    }
                }
                assert.deepEqual([...new Set(where)].sort(), [0, 1], `nodes of the clients: ${where}`);
                // nginx agrees: every request of a source address went to the node that
                // holds that client.
                const seen = new Map();
                for (const e of access().filter((e) => addrs().has(e.addr))) {
                    seen.set(e.addr, (seen.get(e.addr) ?? new Set()).add(e.port));
                }
                clients.forEach((c, i) =>
                    assert.deepEqual([...(seen.get(c.addr) ?? [])], [nodes[where[i]].port], `upstreams of ${c.addr}`));
                // Room "r": the first client of each node and every third one.
                member = clients.map((c, i) => i === where.indexOf(0) || i === where.indexOf(1) || i % 3 === 0);
                clients.forEach((c, i) => member[i] && c.emit("op", "join", c.id, "r"));
                const rooms = await Promise.all(clients.map((c) => ask(c, "rooms")));
                clients.forEach((c, i) => assert.deepEqual(rooms[i], member[i] ? [c.id, "r"].sort() : [c.id]));
            });

            if (transports.includes("websocket")) {
                test("every client upgrades to WebSocket on the node of its polling requests", async () => {
                    await waitFor(() => clients.every((c) => c.io.engine.transport.name === "websocket"), 5000,
                        () => "the upgrades: " + clients.map((c) => c.io.engine.transport.name));
                    assert.deepEqual(await nodeOf(clients), where, "still on the same node");
                });
            } else {
                test("long-polling only: several round trips per client", async () => {
                    for (let round = 0; round < 4; round++) {
                        const answers = await Promise.all(clients.map((c) => ask(c, "rooms")));
                        clients.forEach((c, i) => {
                            assert.equal(c.io.engine.transport.name, "polling");
                            assert.deepEqual(answers[i], member[i] ? [c.id, "r"].sort() : [c.id]);
                        });
                    }
                });
            }

            for (const [kind, room] of [["all", ""], ["room", "r"]]) {
                for (const from of [0, 1]) {
                    test(`a ${kind} broadcast from a client on node ${from} reaches both nodes, each client once`, async () => {
                        const sender = clients[where.indexOf(from)];
                        for (const c of [...clients, ...probes]) c.got = [];
                        sender.emit("emit", kind, room, "", "hello", kind, from);
                        const targets = room ? clients.filter((c, i) => member[i]) : [...clients, ...probes];
                        await waitFor(() => targets.every((c) => c.got.length > 0), 5000, "the broadcast");
                        await sleep(150);
                        for (const c of [...clients, ...probes])
                            assert.deepEqual(c.got, targets.includes(c) ? [["hello", kind, from]] : [], `client ${c.addr}`);
                    });
                }
            }

            test("nginx's access log: one node per session, every request answered", async () => {
                for (const c of clients) c.disconnect();
                await sleep(300);  // a WebSocket request is logged when it closes
                const mine = access().filter((e) => addrs().has(e.addr));
                const bySid = new Map();
                for (const e of mine.filter((e) => e.sid)) bySid.set(e.sid, (bySid.get(e.sid) ?? new Set()).add(e.port));
                assert.equal(bySid.size, clients.length, "one session per client");
                for (const [sid, ports] of bySid) assert.equal(ports.size, 1, `session ${sid} on ${[...ports]}`);
                assert.deepEqual(mine.filter((e) => e.status !== 200 && e.status !== 101), [], "no failed request");
                const ws = mine.filter((e) => e.transport === "websocket");
                assert.equal(ws.length, transports.includes("websocket") ? clients.length : 0, "upgrades");
                for (const e of ws) assert.equal(e.status, 101);
            });
        });
    }

    describe("round-robin upstream (no stickiness)", () => {
        test("long-polling fails: the second request reaches the other node (Session ID unknown)", async () => {
            for (const transports of [["polling"], ["polling", "websocket"]]) {
                const c = client(rr, "127.0.0.130", transports);
                await assert.rejects(connected(c), (e) => /xhr (poll|post) error/.test(e.message), `${transports}`);
                c.disconnect();
            }
            await sleep(100);
            const failed = access().filter((e) => e.addr === "127.0.0.130" && e.status === 400);
            assert.ok(failed.length >= 2, "400 answers in the access log");
        });
        test("WebSocket only works without stickiness: one connection, one node", async () => {
            const cs = await Promise.all([0, 1, 2, 3].map((i) => connected(client(rr, `127.0.0.${140 + i}`, ["websocket"]))));
            const where = await nodeOf(cs);
            assert.deepEqual([...new Set(where)].sort(), [0, 1], "round-robin used both nodes");
            for (const c of cs) c.got = [];
            cs[0].emit("emit", "all", "", "", "ws");
            await waitFor(() => cs.every((c) => c.got.length > 0), 5000, "the broadcast");
            await sleep(100);
            for (const c of cs) assert.deepEqual(c.got, [["ws"]]);
            for (const c of cs) c.disconnect();
        });
    });
});
