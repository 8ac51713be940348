// tests/interop/redis_cluster.test.mjs — duet as one node of a Node socket.io cluster
// on Redis. A redis-server on a free port, a duet node (redis_cluster_server, one
// shard, then two: one Redis node per process either way) and a Node node
// (redis_cluster_node.mjs: socket.io 4.8 + @socket.io/redis-adapter 8.3), the official
// socket.io-client on each. Every broadcast, issued from either side, must reach
// exactly the right clients on every node, exactly once.
//
// Run: DUET_REDIS_CLUSTER_SERVER=/path/to/redis_cluster_server node --test tests/interop/redis_cluster.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { io as ioc } from "socket.io-client";
import { createClient } from "redis";
import { startRedis, startServer } from "./server_process.mjs";

const SERVER = process.env.DUET_REDIS_CLUSTER_SERVER;
const HERE = fileURLToPath(new URL(".", import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function client(port, rooms = [], name = "?") {
    const c = ioc(`http://127.0.0.1:${port}`, { transports: ["websocket"], auth: { rooms }, forceNew: true, reconnection: false });
    c.got = [];
    c.on("msg", (...args) => c.got.push(args.map((a) => (a instanceof ArrayBuffer || Buffer.isBuffer(a) ? { bin: [...new Uint8Array(a)] } : a))));
    c.on("question", (n, b, cb) => cb(`${name}:${n}:${[...new Uint8Array(b)]}`));
    return new Promise((resolve, reject) => {
        c.once("connect", () => resolve(c));
        c.once("connect_error", reject);
    });
}
const ask = (c, ev, ...args) => c.timeout(4000).emitWithAck(ev, ...args);

for (const threads of [1, 2]) {
    describe(`duet node (${threads} shard${threads > 1 ? "s" : ""}) + Node node on Redis`, () => {
        let redis, duet, node, clients;
        // d1 (room a), d2 (rooms a, b), d3 (no room) on duet; n1 (room a), n2 (room b) on Node.
        let d1, d2, d3, n1, n2;
        before(async () => {
            assert.ok(SERVER, "DUET_REDIS_CLUSTER_SERVER must name the redis_cluster_server binary");
            redis = await startRedis();
            // The two-shard run also has both nodes answer on the requester's own
            // response channel (publishOnSpecificResponseChannel).
            const specific = threads > 1;
            duet = await startServer(SERVER, ["0", "--redis", `127.0.0.1:${redis.port}`, "--threads", String(threads), "--requests-timeout", "1000",
                ...(specific ? ["--specific-response-channel"] : [])]);
            node = await startServer(process.execPath, [HERE + "redis_cluster_node.mjs"], { env: { ...process.env, REDIS_PORT: String(redis.port), SPECIFIC: specific ? "1" : "0" } });
            [d1, d2, d3] = await Promise.all([client(duet.port, ["a"], "d1"), client(duet.port, ["a", "b"], "d2"), client(duet.port, [], "d3")]);
            if (threads > 1) {
                // d1 and d2 (both in room a) on different shards: a broadcast from
                // Redis must be fanned out over the shards.
                for (let i = 0; i < 40 && (await ask(d1, "shard")) === (await ask(d2, "shard")); i++) {
                    d2.disconnect();
                    d2 = await client(duet.port, ["a", "b"], "d2");
                }
                assert.notEqual(await ask(d1, "shard"), await ask(d2, "shard"), "d1 and d2 on different shards");
            }
            [n1, n2] = await Promise.all([client(node.port, ["a"], "n1"), client(node.port, ["b"], "n2")]);
            clients = { d1, d2, d3, n1, n2 };
            await sleep(200);  // subscriptions settle
        });
        after(async () => {
            for (const c of Object.values(clients ?? {})) c.disconnect();
            const crashed = duet?.died();
            await duet?.stop();
            await node?.stop();
            redis?.child.kill("SIGKILL");
            assert.ok(!crashed, "the duet node died during the tests");
        });

        const reset = () => { for (const c of Object.values(clients)) c.got = []; };
        async function expectDelivery(want, args) {
            await sleep(300);
            for (const [name, c] of Object.entries(clients))
                assert.deepEqual(c.got, want.includes(name) ? [args] : [], `client ${name}`);
        }

        const cases = [
            ["all", "", "", ["d1", "d2", "d3", "n1", "n2"]],
            ["room", "a", "", ["d1", "d2", "n1"]],
            ["room", "b", "", ["d2", "n2"]],
            ["except", "a", "b", ["d1", "n1"]],
            ["except", "", "a", ["d3", "n2"]],
            ["volatile", "", "", ["d1", "d2", "d3", "n1", "n2"]],
        ];
        for (const from of ["d1", "n1"]) {
            for (const [kind, room, except, want] of cases) {
                test(`${kind} to=${room || "-"} except=${except || "-"} from ${from}`, async () => {
                    reset();
                    const args = [kind, 1, { x: [true, null] }, "é"];
                    clients[from].emit("emit", kind, room, except, ...args);
                    await expectDelivery(want, args);
                });
            }
            test(`socket.broadcast from ${from} reaches everyone else`, async () => {
                reset();
                clients[from].emit("emit", "broadcast", "", "", "b", 2);
                await expectDelivery(Object.keys(clients).filter((n) => n !== from), ["b", 2]);
            });
            test(`local from ${from} stays on its node`, async () => {
                reset();
                clients[from].emit("emit", "local", "", "", "l");
                await expectDelivery(Object.keys(clients).filter((n) => n[0] === from[0]), ["l"]);
            });
            test(`binary arguments from ${from}`, async () => {
                reset();
                clients[from].emit("emit", "room", "a", "", Buffer.from([1, 2, 3]), "t", { nested: Buffer.from([255]) });
                await sleep(300);
                for (const n of ["d1", "d2", "n1"]) {
                    assert.equal(clients[n].got.length, 1, `client ${n}`);
                    const [b, t, o] = clients[n].got[0];
                    assert.deepEqual(b, { bin: [1, 2, 3] });
                    assert.equal(t, "t");
                    assert.deepEqual([...new Uint8Array(o.nested)], [255]);
                }
                for (const n of ["d3", "n2"]) assert.deepEqual(clients[n].got, []);
            });
        }
        test("the Node emitter reaches duet's clients", async () => {
            reset();
            n1.emit("emit", "emitter", "a", "", "from-emitter", 7);
            await expectDelivery(["d1", "d2", "n1"], ["from-emitter", 7]);
        });
        test("serverCount is 2 on both nodes", async () => {
            assert.equal(await ask(d1, "server-count"), 2);
            assert.equal(await ask(n1, "server-count"), 2);
        });
        for (const from of ["d1", "n1"]) {
            test(`socketsJoin / socketsLeave from ${from} act on both nodes`, async () => {
                const room = "j-" + from;
                from === "d1" ? d1.emit("op", "join", "b", room) : n1.emit("op", "join", "b", room);
                await sleep(300);
                assert.ok((await ask(d2, "rooms")).includes(room), "d2 joined");
                assert.ok((await ask(n2, "rooms")).includes(room), "n2 joined");
                assert.ok(!(await ask(d1, "rooms")).includes(room), "d1 not in b");
                assert.ok(!(await ask(n1, "rooms")).includes(room), "n1 not in b");
                reset();
                d3.emit("emit", "room", room, "", "joined");
                await expectDelivery(["d2", "n2"], ["joined"]);
                clients[from].emit("op", "leave", "b", room);
                await sleep(300);
                assert.ok(!(await ask(d2, "rooms")).includes(room), "d2 left");
                assert.ok(!(await ask(n2, "rooms")).includes(room), "n2 left");
            });
        }
        test("allRooms and fetchSockets from the Node node see duet's sockets", async () => {
            const rooms = await ask(n1, "all-rooms");
            for (const r of ["a", "b", d1.id, d2.id, d3.id, n1.id]) assert.ok(rooms.includes(r), `room ${r} in ${rooms}`);
            const found = await ask(n1, "fetch", "b");
            assert.deepEqual(found.map((f) => f.id).sort(), [d2.id, n2.id].sort());
            const d2info = found.find((f) => f.id === d2.id);
            assert.deepEqual(d2info.rooms, [d2.id, "a", "b"].sort());
            assert.ok(d2info.hasHandshake);
        });
        test(`answers to requests go to the ${threads > 1 ? "requester's own" : "shared"} response channel`, async () => {
            const watch = createClient({ url: `redis://127.0.0.1:${redis.port}` });
            await watch.connect();
            const seen = { shared: 0, own: 0 };
            await watch.pSubscribe("socket.io-response#/#*", (_msg, channel) => {
                if (String(channel) === "socket.io-response#/#") seen.shared++;
                else seen.own++;
            }, true);
            await sleep(100);
            assert.equal((await ask(n1, "fetch", "b")).length, 2); // Node asks, duet answers
            assert.equal((await ask(d3, "fetch", "b")).length, 2); // duet asks, Node answers
            await sleep(100);
            await watch.quit();
            if (threads > 1) assert.deepEqual(seen, { shared: 0, own: 2 });
            else assert.deepEqual(seen, { shared: 2, own: 0 });
        });
        test("allRooms and fetchSockets from the duet node see the Node node's sockets", async () => {
            const rooms = await ask(d1, "all-rooms");
            for (const r of ["a", "b", d1.id, d2.id, d3.id, n1.id, n2.id]) assert.ok(rooms.includes(r), `room ${r} in ${rooms}`);
            const found = await ask(d3, "fetch", "b");
            assert.deepEqual(found.map((f) => f.id).sort(), [d2.id, n2.id].sort());
            const n2info = found.find((f) => f.id === n2.id);
            assert.deepEqual(n2info.rooms, [n2.id, "b"].sort());
            assert.ok(n2info.hasHandshake);
        });
        for (const from of ["d1", "n1"]) {
            test(`fetchSockets' remote sockets from ${from}: emit, join, leave, disconnect reach them on either node`, async () => {
                reset();
                assert.deepEqual(await ask(clients[from], "remote", "b", "emit", from), [d2.id, n2.id].sort());
                await expectDelivery(["d2", "n2"], ["remote", from]);
                const room = "rj-" + from;
                await ask(clients[from], "remote", "b", "join", room);
                await sleep(300);
                assert.ok((await ask(d2, "rooms")).includes(room), "d2 joined");
                assert.ok((await ask(n2, "rooms")).includes(room), "n2 joined");
                assert.ok(!(await ask(d1, "rooms")).includes(room), "d1 not in b");
                assert.deepEqual(await ask(clients[from], "remote", room, "leave", room), [d2.id, n2.id].sort());
                await sleep(300);
                assert.ok(!(await ask(d2, "rooms")).includes(room), "d2 left");
                assert.ok(!(await ask(n2, "rooms")).includes(room), "n2 left");
                const x = await client(duet.port, ["rk-" + from]);
                const y = await client(node.port, ["rk-" + from]);
                const gone = (c) => new Promise((r) => c.once("disconnect", r));
                const both = Promise.all([gone(x), gone(y)]);
                const kicked = [x.id, y.id].sort();  // a client forgets its id once disconnected
                assert.deepEqual(await ask(clients[from], "remote", "rk-" + from, "disconnect", null), kicked);
                await Promise.race([both, sleep(3000).then(() => assert.fail("not disconnected"))]);
                assert.ok(d2.connected && n2.connected);
            });
        }
        test("serverSideEmit both ways, with and without acks", async () => {
            assert.equal(await ask(d1, "sse-emit", false, "from-duet", 1), true);
            assert.equal(await ask(n1, "sse-emit", false, "from-node", 2), true);
            await sleep(300);
            assert.deepEqual(await ask(n1, "sse-log"), [["sse", "from-duet", 1]]);
            assert.deepEqual(await ask(d1, "sse-log"), [["sse", "from-node", 2]]);
            assert.deepEqual(await ask(d1, "sse-emit", true, "q", 3), [{ node: ["sse", "q", 3] }]);
            assert.deepEqual(await ask(n1, "sse-emit", true, "r", 4), [{ duet: ["sse", "r", 4] }]);
        });
        test("serverSideEmit reaches the duet::on_server_side_emit entries and the low-level hook alike", async () => {
            const raw = await ask(d1, "sse-raw-log");
            assert.deepEqual(raw.filter((e) => e[0] === "sse"), [["sse", "from-node", 2], ["sse", "r", 4]]);
        });
        test("typed serverSideEmit from Node to a duet table entry: arguments converted, typed answer, io& usable", async () => {
            reset();
            assert.deepEqual(await ask(n1, "sse-greet", "ann", 2, 3, 4), [{ hello: "ann", twice: 4, sum: 7 }]);
            // The handler's io.to("a").emit reached room a on both nodes.
            await expectDelivery(["d1", "d2", "n1"], ["greeted", "ann"]);
            assert.deepEqual((await ask(d1, "sse-log")).at(-1), ["greet", "ann", 2, { x: 3, y: 4 }]);
            // Without an ack: recorded, nothing to answer.
            assert.equal(await ask(n1, "sse-emit", false, "plain", 5), true);
            await sleep(300);
            assert.deepEqual((await ask(d1, "sse-log")).at(-1), ["sse", "plain", 5]);
        });
        test("typed serverSideEmitWithAck from duet (callback form) to Node's io.on", async () => {
            reset();
            assert.deepEqual(await ask(d2, "sse-greet", "bob", 5, 1, 1), [{ hello: "bob", twice: 10, sum: 2 }]);
            await expectDelivery(["d1", "d2", "n1"], ["greeted", "bob"]);
            assert.deepEqual((await ask(n1, "sse-log")).at(-1), ["greet", "bob", 5, { x: 1, y: 1 }]);
        });
        test("a coroutine table entry answers later; duet's coroutine form collects Node's answer", async () => {
            assert.deepEqual(await ask(n1, "sse-ask", "square", 7), [49]);
            assert.deepEqual(await ask(d1, "sse-ask", "square", 9), [81]);
        });
        test("arguments that do not convert: the duet entry answers the error, as a client event would", async () => {
            assert.deepEqual(await ask(n1, "sse-ask", "greet", 42, 1, { x: 0, y: 0 }),
                [{ error: "invalid arguments", message: "argument 0: expected a string" }]);
            assert.deepEqual(await ask(n1, "sse-ask", "greet", "ann", 1, { x: "no", y: 0 }),
                [{ error: "invalid arguments", message: "argument 2.x: expected an integer" }]);
        });
        test("an event no node listens to is ignored: both senders time out", async () => {
            const fromNode = await ask(n1, "sse-ask", "nobody-listens", 1);
            assert.match(fromNode.error, /timeout/);
            const t0 = Date.now();
            const fromDuet = await ask(d1, "sse-ask", "nobody-listens", 1);
            assert.equal(fromDuet.error, "operation has timed out");
            assert.ok(Date.now() - t0 >= 900, "duet waited its timeout");
        });
        test("serverSideEmitWithAck without an answer times out (duet: requests_timeout 1 s, Node: 2 s), both ways", async () => {
            const t0 = Date.now();
            const fromDuet = await ask(d1, "sse-emit", true, "silent");
            assert.ok(fromDuet.error, JSON.stringify(fromDuet));
            assert.ok(Date.now() - t0 < 2500);
            const fromNode = await ask(n1, "sse-emit", true, "silent");
            assert.match(fromNode.error, /timeout/);
        });
        test("a duet broadcast with acks counts and collects the Node node's clients", async () => {
            assert.deepEqual(await ask(d3, "ask-all", "a"), ["d1:1:7", "d2:1:7", "n1:1:7"]);
            assert.deepEqual(await ask(n2, "ask-all", ""), ["d1:1:7", "d2:1:7", "d3:1:7", "n1:1:7", "n2:1:7"]);
            assert.deepEqual(await ask(d1, "ask-all", "b"), ["d2:1:7", "n2:1:7"]);
        });
        test("a Node broadcast with acks counts and collects duet's clients", async () => {
            assert.deepEqual(await ask(n1, "ask-all", "a"), ["d1:1:7", "d2:1:7", "n1:1:7"]);
            assert.deepEqual(await ask(n2, "ask-all", ""), ["d1:1:7", "d2:1:7", "d3:1:7", "n1:1:7", "n2:1:7"]);
        });
        test("malformed messages on every channel are dropped; the node keeps working", async () => {
            const r = createClient({ url: `redis://127.0.0.1:${redis.port}` });
            await r.connect();
            // Broadcast junk on a room the Node node has no socket in (Node's adapter
            // skips those before decoding; on other channels it would throw from its
            // subscriber's callback and stop receiving); requests and responses that
            // do not parse (Node ignores them).
            const junk = ["", "{", Buffer.from([0x93, 0xa1, 0x78, 0xc1]), Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]), Buffer.from([0x93, 0xa1, 0x78, 0x80, 0x80])];
            for (const j of junk) await r.publish("socket.io#/#nobody#", j);
            for (const j of ["{", "{\"requestId\":", Buffer.from([0xc1])]) {
                await r.publish("socket.io-request#/#", j);
                await r.publish("socket.io-response#/#", j);
            }
            await r.quit();
            reset();
            n2.emit("emit", "all", "", "", "still");
            await expectDelivery(["d1", "d2", "d3", "n1", "n2"], ["still"]);
        });
        for (const from of ["n1", "d1"]) {
            test(`disconnectSockets from ${from} closes the matching clients on both nodes`, async () => {
                const x = await client(duet.port, ["kick-" + from]);
                const y = await client(node.port, ["kick-" + from]);
                const gone = (c) => new Promise((r) => c.once("disconnect", r));
                const both = Promise.all([gone(x), gone(y)]);
                clients[from].emit("op", "disconnect", "kick-" + from, "");
                await Promise.race([both, sleep(3000).then(() => assert.fail("not disconnected"))]);
                assert.ok(d1.connected && n1.connected);
            });
        }
        if (threads === 1) {
            test("Redis down: local delivery goes on; back up: the nodes find each other again", async () => {
                redis.child.kill("SIGKILL");
                await new Promise((r) => redis.child.once("exit", r));
                reset();
                d1.emit("emit", "all", "", "", "alone");
                await expectDelivery(["d1", "d2", "d3"], ["alone"]);
                redis = await startRedis(redis.port);
                let ok = false;
                for (let i = 0; i < 40 && !ok; i++) {
                    await sleep(250);
                    reset();
                    d3.emit("emit", "room", "b", "", "again", i);
                    await sleep(150);
                    ok = n2.got.length === 1;
                }
                assert.ok(ok, "a duet broadcast reaches the Node node after Redis restarted");
                ok = false;
                for (let i = 0; i < 40 && !ok; i++) {
                    reset();
                    n1.emit("emit", "room", "b", "", "back", i);
                    await sleep(150);
                    ok = d2.got.length === 1;
                }
                assert.ok(ok, "a Node broadcast reaches duet after Redis restarted");
            });
        }
    });
}
