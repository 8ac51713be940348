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
//                                          [--max-payload bytes]
//   defaults: port 3000 (or PORT), 25000 ms, 20000 ms, 1000000 bytes (socket.io's defaults),
//   as sio_bench_server. HOST=... overrides the listen address (default 127.0.0.1).
//
// Fairness notes:
//  - One process, no cluster module, no adapter other than the default in-memory one:
//    Node runs JavaScript on one thread and sio_bench_server runs one thread.
//  - perMessageDeflate off (socket.io 4's default too) and httpCompression off: duet
//    compresses nothing, so both sides send the same bytes.
//  - Both transports allowed (polling and websocket, the default); the load generator
//    connects straight over WebSocket (transport=websocket), as a client with
//    `transports: ["websocket"]` does.
//  - serveClient off: duet does not serve the browser bundle, and it is never requested.
//  - connectionStateRecovery stays off (the default), as duet has none.
//  - The `ws` package runs without its optional native add-ons (bufferutil,
//    utf-8-validate) unless they are installed; run.js prints which.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { Server } = require('socket.io');

// The packages' "exports" may hide package.json; read it from the package directory.
function packageVersion(name) {
  try {
    let dir = path.dirname(require.resolve(name));
    for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
        if (pkg.name === name) return pkg.version;
      } catch { /* not here */ }
    }
  } catch { /* not installed */ }
  return '?';
}

function flag(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`socketio_server: ${name} needs a non-negative integer, got ${JSON.stringify(process.argv[i + 1])}`);
    process.exit(2);
  }
  return v;
}

const positional = process.argv[2] && !process.argv[2].startsWith('-') ? process.argv[2] : null;
const port = Number(positional || process.env.PORT || 3000);
const host = process.env.HOST || '127.0.0.1';
const pingInterval = flag('--ping-interval', 25000);
const pingTimeout = flag('--ping-timeout', 20000);
const maxPayload = flag('--max-payload', 1000000);

const httpServer = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('socketio_server: connect a Socket.IO v5 client to /socket.io/\n');
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('Not Found\n');
});

const io = new Server(httpServer, {
  path: '/socket.io/',
  serveClient: false,
  pingInterval,
  pingTimeout,
  maxHttpBufferSize: maxPayload,
  perMessageDeflate: false,
  httpCompression: false,
  transports: ['polling', 'websocket'],
  cors: { origin: '*' },
});

io.on('connection', (socket) => {
  socket.on('echo', (...args) => socket.emit('echo', ...args));
  socket.on('join', (room, ack) => {
    socket.join(room);
    if (typeof ack === 'function') ack(true);
  });
  socket.on('fanout', (room, payload) => io.to(room).emit('fanout', payload));
});

httpServer.listen(port, host, () => {
  console.log(`socketio_server (socket.io ${packageVersion('socket.io')}, engine.io ${packageVersion('engine.io')}, ` +
    `ws ${packageVersion('ws')}, node ${process.version}) listening on http://${host}:${httpServer.address().port}/socket.io/ ` +
    `(pingInterval ${pingInterval}, pingTimeout ${pingTimeout}, maxHttpBufferSize ${maxPayload}, perMessageDeflate off)`);
});
httpServer.on('error', (err) => {
  console.error(`socketio_server: cannot listen on ${host}:${port}: ${err.message}`);
  process.exit(1);
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { io.close(); httpServer.close(); process.exit(0); });
}
