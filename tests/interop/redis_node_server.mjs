// A Node socket.io 4.8 server with @socket.io/redis-adapter 8.3 and one
// socket.io-client, for tests/integration/redis_emitter_test.cpp: the C++ emitter
// (duet/cluster/redis_emitter.hpp) publishes on Redis, this process checks that
// its client (and its server, for serverSideEmit) got exactly what a Node emitter
// would have delivered. Exit status 0: all expectations met; 1 otherwise.
// env: REDIS_PORT. Sets the Redis key "duet:interop:ready" once its client is in.
import { createServer } from "node:http";
import { Server } from "socket.io";
import { io as ioc } from "socket.io-client";
import { createClient } from "redis";
import { createAdapter } from "@socket.io/redis-adapter";

const url = `redis://127.0.0.1:${process.env.REDIS_PORT}`;
const pub = createClient({ url }), sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);
const http = createServer();
const io = new Server(http, { adapter: createAdapter(pub, sub) });
io.of("/chat");
await new Promise((r) => http.listen(0, r));
io.on("connection", (s) => s.join("r1"));
const got = [];
io.on("sse", (...args) => got.push(["server:sse", ...args]));
const client = ioc(`http://127.0.0.1:${http.address().port}`, { transports: ["websocket"] });
const chat = ioc(`http://127.0.0.1:${http.address().port}/chat`, { transports: ["websocket"] });
chat.onAny((ev, ...args) => got.push(["chat:" + ev, ...args]));

const fail = (why) => { console.error("FAIL:", why, JSON.stringify(got)); process.exit(1); };
setTimeout(() => fail("timeout"), 15000);

client.onAny((ev, ...args) => {
  if (ev !== "done") { got.push([ev, ...args.map((a) => (Buffer.isBuffer(a) || a instanceof ArrayBuffer ? ["bin", [...Buffer.from(a)]] : a))]); return; }
  const expected = [
    ["plain", 1, "two", { three: 3 }, null, 1.5],
    ["room", "x"],
    ["binary", ["bin", [1, 2, 3]], "after"],
    ["chat:hello", "chat"],
    ["volatile", true],
    ["joined", "j1"],
    ["server:sse", 5, "x"],
  ];
  const seen = JSON.stringify(got.sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
  const want = JSON.stringify(expected.sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
  if (seen !== want) fail(`got ${seen}\nwant ${want}`);
  const [socket] = [...io.of("/").sockets.values()];
  if (socket.rooms.has("j2")) fail("socketsLeave not applied");
  console.log("OK");
  process.exit(0);
});
await Promise.all([client, chat].map((c) => (c.connected ? null : new Promise((r) => c.once("connect", r)))));
await new Promise((r) => setTimeout(r, 100));
await pub.set("duet:interop:ready", "1");
