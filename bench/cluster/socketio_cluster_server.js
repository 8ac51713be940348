'use strict';
// Reference node for bench/cluster: npm socket.io 4.8 with @socket.io/redis-adapter 8.3
// (the classic pub/sub adapter) on the `redis` 4 client, doing what
// bench/cluster/cluster_bench_server.cpp (duet) does:
//
//   namespace "/":
//     "join"   (room, ack)       joins the room (on this node), acks true
//     "fanout" (room, payload)   io.to(room).emit("fanout", payload): the adapter publishes it
//                                to Redis and delivers it to this node's members of the room
//   GET /      a short text/plain page (any other path outside /socket.io/: 404)
//
// Usage: node bench/cluster/socketio_cluster_server.js <port> --redis HOST:PORT [--key K]
//                                    [--ping-interval ms] [--ping-timeout ms] [--max-payload bytes]
//   defaults as cluster_bench_server: key "socket.io", 25000 ms, 20000 ms, 1000000 bytes.
//
// Fairness notes (as bench/sio/socketio_server.js): one process, JavaScript on one
// thread (duet's node runs one thread); perMessageDeflate and httpCompression off;
// serveClient off; connectionStateRecovery off; the adapter's options are its defaults
// (requestsTimeout 5000, key "socket.io", publishOnSpecificResponseChannel false), as
// duet's redis_cluster_options are.
const { Server } = require('socket.io');
const { createClient } = require('redis');
const { createAdapter } = require('@socket.io/redis-adapter');
const { packageVersion } = require('../common');
const { serverOptions, createPageServer, listen, socketioOptions } = require('../node_server_common');

const opts = serverOptions('socketio_cluster_server');
const { pingInterval, pingTimeout, maxPayload } = opts;
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : process.argv[i + 1];
};
const redis = arg('--redis', null);
if (!redis || !redis.includes(':')) {
  console.error('usage: node bench/cluster/socketio_cluster_server.js <port> --redis HOST:PORT [--key K] ...');
  process.exit(2);
}
const key = arg('--key', 'socket.io');

async function main() {
  const pub = createClient({ url: `redis://${redis}` });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on('error', (e) => console.error('socketio_cluster_server: redis:', e.message));
  await Promise.all([pub.connect(), sub.connect()]);

  const httpServer = createPageServer('socketio_cluster_server: connect a Socket.IO v5 client to /socket.io/\n');
  const io = new Server(httpServer, { ...socketioOptions(opts), adapter: createAdapter(pub, sub, { key }) });

  io.on('connection', (socket) => {
    socket.on('join', (room, ack) => {
      socket.join(room);
      if (typeof ack === 'function') ack(true);
    });
    socket.on('fanout', (room, payload) => io.to(room).emit('fanout', payload));
  });

  listen(httpServer, 'socketio_cluster_server', opts, (port) =>
    `socketio_cluster_server (socket.io ${packageVersion('socket.io') ?? '?'}, @socket.io/redis-adapter ` +
    `${packageVersion('@socket.io/redis-adapter') ?? '?'}, redis ${packageVersion('redis') ?? '?'}, node ${process.version}) ` +
    `listening on http://${opts.host}:${port}/socket.io/ (redis ${redis}, key "${key}", pingInterval ${pingInterval}, ` +
    `pingTimeout ${pingTimeout}, maxHttpBufferSize ${maxPayload}, perMessageDeflate off)`,
  () => { io.close(); pub.disconnect().catch(() => {}); sub.disconnect().catch(() => {}); });
}

main().catch((e) => {
  console.error(`socketio_cluster_server: ${e.stack || e}`);
  process.exit(1);
});
