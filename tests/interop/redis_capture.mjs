// Captures the exact bytes @socket.io/redis-adapter 8.3 and @socket.io/redis-emitter 5.1 publish.
import { createServer } from "node:http";
import { Server } from "socket.io";
import { io as ioc } from "socket.io-client";
import { createClient } from "redis";
import { createAdapter } from "@socket.io/redis-adapter";
import { Emitter } from "@socket.io/redis-emitter";
import { writeFileSync } from "node:fs";

const url = `redis://127.0.0.1:${process.env.REDIS_PORT}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = [];
let step = "init";
const sniff = createClient({ url });
await sniff.connect();
await sniff.pSubscribe("*", (msg, channel) => {
  log.push({ step, channel: channel.toString(), hex: msg.toString("hex") });
}, true);

async function makeServer(name) {
  const pub = createClient({ url }), sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pub, sub) });
  io.of("/").adapter.uid = name;  // fixed uid so the vectors are stable
  io.of("/").adapter.specificResponseChannel = "unused";
  await new Promise((r) => http.listen(0, r));
  io.on("connection", (s) => { s.join(s.handshake.query.room); s.data = { who: name }; });
  io.on("sse", (...a) => console.log(name, "got sse", a));
  io.on("sse-ack", (...a) => { const cb = a.pop(); console.log(name, "got sse-ack", a); cb({ from: name }); });
  return { io, http, port: http.address().port, pub, sub };
}
const A = await makeServer("AAAAAAAA");
const B = await makeServer("BBBBBBBB");
await sleep(200);
const c1 = ioc(`http://127.0.0.1:${A.port}`, { query: { room: "r1" }, transports: ["websocket"] });
const c2 = ioc(`http://127.0.0.1:${B.port}`, { query: { room: "r2" }, transports: ["websocket"] });
for (const c of [c1, c2]) {
  c.onAny((ev, ...args) => console.log("client got", ev, JSON.stringify(args)));
  c.on("with-ack", (x, cb) => cb({ got: x, bin: Buffer.from([9, 8]) }));
}
await sleep(500);
const emPub = createClient({ url }); await emPub.connect();
const emitter = new Emitter(emPub);

async function run(name, fn) { step = name; await fn(); await sleep(150); }
await run("broadcast_all", () => A.io.emit("all", 1, "two", { three: 3 }, null, 1.5, -1, 300, true));
await run("broadcast_numbers", () => A.io.emit("num", 0, -0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 2 ** 53, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, 0.5, -0.25, NaN, Infinity, 1e300));
await run("broadcast_undefined", () => A.io.emit("undef", undefined, [undefined, 1], { a: undefined, b: 2 }));
await run("broadcast_one_room", () => A.io.to("r2").emit("room", "x"));
await run("broadcast_rooms_except", () => A.io.to(["r1", "r2"]).except("r3").emit("rooms", 1));
await run("broadcast_volatile_compress", () => A.io.volatile.compress(false).emit("vol", 1));
await run("broadcast_local", () => A.io.local.emit("local", 1));
await run("broadcast_binary", () => A.io.emit("bin", Buffer.from([1, 2, 3]), { nested: Buffer.from([255]) }, new Uint8Array([4, 5]).buffer));
await run("broadcast_other_nsp", async () => { A.io.of("/chat"); B.io.of("/chat"); await sleep(100); A.io.of("/chat").emit("hello", "chat"); });
await run("broadcast_long_strings", () => A.io.emit("s", "x".repeat(31), "y".repeat(32), "é€😀"));
await run("emitter_broadcast", () => emitter.emit("em", 1, Buffer.from([7])));
await run("emitter_room_except_volatile", () => emitter.to("r2").except("r1").volatile.emit("em2", "a"));
await run("emitter_nsp", () => emitter.of("chat").emit("em3"));
await run("emitter_server_side_emit", () => emitter.serverSideEmit("sse", "from-emitter"));
await run("emitter_sockets_join", () => emitter.in("r2").socketsJoin(["j1", "j2"]));
await run("emitter_sockets_leave", () => emitter.socketsLeave("j2"));
await run("server_count", async () => console.log("serverCount", await A.io.of("/").adapter.serverCount()));
await run("all_rooms", async () => console.log("allRooms", [...await A.io.of("/").adapter.allRooms()]));
await run("fetch_sockets", async () => console.log("fetchSockets", (await A.io.in("r2").fetchSockets()).map((s) => [s.id, s.rooms, s.data])));
await run("sockets_join", () => A.io.in("r2").except("r1").socketsJoin("j3"));
await run("sockets_leave", () => A.io.socketsLeave(["j3"]));
await run("server_side_emit", () => A.io.serverSideEmit("sse", 1, "a"));
await run("server_side_emit_ack", async () => console.log("sse acks", await A.io.serverSideEmitWithAck("sse-ack", 2)));
await run("broadcast_ack", async () => console.log("broadcast acks", JSON.stringify(await A.io.timeout(2000).emitWithAck("with-ack", 5))));
await run("disconnect_sockets", () => A.io.in("r2").disconnectSockets(true));
await run("emitter_disconnect", () => emitter.disconnectSockets());
writeFileSync("capture.json", JSON.stringify(log, null, 1));
console.log("captured", log.length);
process.exit(0);
