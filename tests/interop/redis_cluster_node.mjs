// tests/interop/redis_cluster_node.mjs — the Node node of the mixed cluster in
// redis_cluster.test.mjs: socket.io 4.8 with @socket.io/redis-adapter 8.3 (classic
// pub/sub), serving the same events as redis_cluster_server.cpp (keep them in step).
// env: REDIS_PORT. Prints "listening <port>".
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createClient } from "redis";
import { createAdapter } from "@socket.io/redis-adapter";
import { Emitter } from "@socket.io/redis-emitter";

// Node's adapter throws from its Redis message handler on a malformed message (the
// test publishes some to check that duet drops them): keep this node up.
process.on("uncaughtException", (e) => console.error("redis_cluster_node:", e.message));

const url = `redis://127.0.0.1:${process.env.REDIS_PORT}`;
const pub = createClient({ url }), sub = pub.duplicate(), epub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect(), epub.connect()]);
const http = createServer();
// SPECIFIC=1: publishOnSpecificResponseChannel (answers on the requester's own channel).
const io = new Server(http, { adapter: createAdapter(pub, sub, { requestsTimeout: 2000, publishOnSpecificResponseChannel: process.env.SPECIFIC === "1" }) });
const emitter = new Emitter(epub);

// serverSideEmit received (duet: the duet::on_server_side_emit entries).
const sseLog = [];
io.on("sse", (...args) => {
    const cb = typeof args.at(-1) === "function" ? args.pop() : null;
    sseLog.push(["sse", ...args]);
    if (args[0] !== "silent") cb?.({ node: ["sse", ...args] });
});
io.on("greet", (name, n, p, cb) => {
    sseLog.push(["greet", name, n, p]);
    io.to("a").emit("msg", "greeted", name);
    if (typeof cb === "function") cb({ hello: name, twice: 2 * n, sum: p.x + p.y });
});
io.on("square", (n, cb) => setTimeout(() => cb(n * n), 20));

io.on("connection", (s) => {
    for (const r of s.handshake.auth?.rooms ?? []) s.join(r);
    s.on("emit", (kind, room, except, ...args) => {
        let op = kind === "broadcast" ? s.broadcast : io;
        if (room) op = op.to(room);
        if (except) op = op.except(except);
        if (kind === "volatile") op = op.volatile;
        if (kind === "local") op = op.local;
        if (kind === "emitter") {
            let e = emitter;
            if (room) e = e.to(room);
            if (except) e = e.except(except);
            return e.emit("msg", ...args);
        }
        op.emit("msg", ...args);
    });
    s.on("op", (kind, room, target) => {
        const op = room ? io.in(room) : io;
        if (kind === "join") op.socketsJoin(target);
        else if (kind === "leave") op.socketsLeave(target);
        else op.disconnectSockets();
    });
    s.on("rooms", (ack) => ack([...s.rooms].sort()));
    s.on("server-count", async (ack) => ack(await io.of("/").adapter.serverCount()));
    s.on("sse-emit", async (withAck, ...args) => {
        const ack = args.pop();
        if (!withAck) { io.serverSideEmit("sse", ...args); return ack(true); }
        try { ack(await io.serverSideEmitWithAck("sse", ...args)); } catch (e) { ack({ error: e.message }); }
    });
    s.on("sse-ask", async (event, ...args) => {
        const ack = args.pop();
        try { ack(await io.serverSideEmitWithAck(event, ...args)); } catch (e) { ack({ error: e.message }); }
    });
    s.on("sse-greet", async (name, n, x, y, ack) => {
        try { ack(await io.serverSideEmitWithAck("greet", name, n, { x, y })); } catch (e) { ack({ error: e.message }); }
    });
    s.on("sse-log", (ack) => ack(sseLog));
    s.on("ask-all", async (room, ack) => {
        try {
            const answers = await (room ? io.to(room) : io).timeout(2000).emitWithAck("question", 1, Buffer.from([7]));
            ack(answers.sort());
        } catch (e) { ack({ error: e.message }); }
    });
    s.on("all-rooms", async (ack) => {
        try { ack([...(await io.of("/").adapter.allRooms())].sort()); } catch (e) { ack({ error: e.message }); }
    });
    s.on("remote", async (room, action, arg, ack) => {
        try {
            const found = await (room ? io.in(room) : io).fetchSockets();
            for (const f of found) {
                if (action === "emit") f.emit("msg", "remote", arg);
                else if (action === "join") f.join(arg);
                else if (action === "leave") f.leave(arg);
                else if (action === "disconnect") f.disconnect();
            }
            ack(found.map((f) => f.id).sort());
        } catch (e) { ack({ error: e.message }); }
    });
    s.on("fetch", async (room, ack) => {
        try {
            const found = await (room ? io.in(room) : io).fetchSockets();
            ack(found.map((f) => ({ id: f.id, rooms: [...f.rooms].sort(), hasHandshake: !!f.handshake?.headers })).sort((a, b) => a.id.localeCompare(b.id)));
        } catch (e) { ack({ error: e.message }); }
    });
});
http.listen(0, "127.0.0.1", () => console.log(`listening ${http.address().port}`));
