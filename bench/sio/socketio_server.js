'use strict';
// Reference Socket.IO v5 server for bench/sio: npm `socket.io` 4.8, doing what
// bench/sio/bench_server.cpp (duet) does:
//
//   namespace "/":
//     "echo"   (any arguments)   emits "echo" with the same arguments back to the sender
//     "join"   (room, ack)       joins the room, acks true
//     "fanout" (room, payload)   io.to(room).emit("fanout", payload)
//   GET /      a short text/plain page (any other path outside /socket.io/: 404)
//
// Usage: node bench/sio/socketio_server.js [port] [--ping-interval ms] [--ping-timeout ms]
//                                          [--max-payload bytes] [--recovery max-disconnection-ms]
//                                          [--per-message-deflate] [--parser json|msgpack]
//   defaults: port 3000 (or PORT), 25000 ms, 20000 ms, 1000000 bytes (socket.io's defaults),
//   as sio_bench_server. HOST=... overrides the listen address (default 127.0.0.1).
//
// Fairness notes:
//  - One process, no cluster module, no adapter other than the default in-memory one:
//    Node runs JavaScript on one thread and sio_bench_server runs one thread.
//  - perMessageDeflate off (socket.io 4's default too) unless --per-message-deflate (then
//    {threshold: 1024}, as sio_bench_server --per-message-deflate), and httpCompression
//    off: the load generator connects over WebSocket, so both sides send the same bytes.
//  - Both transports allowed (polling and websocket, the default); the load generator
//    connects straight over WebSocket (transport=websocket), as a client with
//    `transports: ["websocket"]` does.
//  - serveClient off: duet does not serve the browser bundle, and it is never requested.
//  - --parser msgpack: socket.io-msgpack-parser (as sio_bench_server --parser msgpack);
//    the default is socket.io's own JSON parser.
//  - connectionStateRecovery off (the default) unless --recovery ms (bench/recovery).
//  - The `ws` package runs without its optional native add-ons (bufferutil,
//    utf-8-validate) unless they are installed; run.js prints which.
const { Server } = require('socket.io');
const { packageVersion } = require('../common');
const { serverOptions, createPageServer, listen, socketioOptions } = require('../node_server_common');

const opts = serverOptions('socketio_server');
const { pingInterval, pingTimeout, maxPayload } = opts;

const httpServer = createPageServer('socketio_server: connect a Socket.IO v5 client to /socket.io/\n');
const io = new Server(httpServer, socketioOptions(opts));

io.on('connection', (socket) => {
  socket.on('echo', (...args) => socket.emit('echo', ...args));
  socket.on('join', (room, ack) => {
    socket.join(room);
    if (typeof ack === 'function') ack(true);
  });
  socket.on('fanout', (room, payload) => io.to(room).emit('fanout', payload));
  // bench/recovery: a full garbage collection before a memory reading (node --expose-gc).
  if (global.gc) socket.on('__gc', (ack) => { global.gc(); ack(true); });
});

listen(httpServer, 'socketio_server', opts, (port) =>
  `socketio_server (socket.io ${packageVersion('socket.io') ?? '?'}, engine.io ${packageVersion('engine.io') ?? '?'}, ` +
  `ws ${packageVersion('ws') ?? '?'}, node ${process.version}) listening on http://${opts.host}:${port}/socket.io/ ` +
  `(pingInterval ${pingInterval}, pingTimeout ${pingTimeout}, maxHttpBufferSize ${maxPayload}, perMessageDeflate ${opts.perMessageDeflate ? 'on' : 'off'}, ${opts.parser} parser)`,
() => io.close());
