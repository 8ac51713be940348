'use strict';
// Reference Engine.IO v4 echo server for bench/eio: the npm `engine.io` package (the
// implementation the protocol is defined by), doing what examples/engineio_echo does:
//   /engine.io/  Engine.IO v4 (polling, WebSocket, upgrade); every message is sent back
//                as it came: a string as text, a Buffer as binary
//   GET /        a short text/plain page (any other path: 404)
//
// Usage: node bench/eio/engineio_server.js [port] [--ping-interval ms] [--ping-timeout ms]
//                                          [--max-payload bytes]
//   defaults: port 3000 (or PORT), 25000 ms, 20000 ms, 1000000 bytes, as engineio_echo.
//   HOST=... overrides the listen address (default 127.0.0.1, loopback only).
//
// Fairness notes:
//  - One process, no cluster module: Node runs JavaScript on one thread, and the duet
//    example runs one thread.
//  - perMessageDeflate is off (false; it is also engine.io 6's default). duet never
//    negotiates WebSocket compression, so both sides send the same bytes.
//  - maxHttpBufferSize = --max-payload: engine.io applies it to polling bodies and, as
//    the `ws` maxPayload, to WebSocket messages, like duet's max_payload.
//  - CORS origin "*" as in engineio_echo (only polling responses carry it).
//  - The `ws` package runs without its optional native add-ons (bufferutil,
//    utf-8-validate) unless they are installed; run.js prints which.
//  - Engine.IO is attached to a plain http.Server (noDelay is Node's default), not to
//    engine.io's standalone listen(), so that GET / answers and the readiness check is
//    the same request for both servers.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { Server } = require('engine.io');

// engine.io's "exports" hide its package.json; read it from the package directory.
function packageVersion(name) {
  let dir = path.dirname(require.resolve(name));
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      if (pkg.name === name) return pkg.version;
    } catch { /* not here */ }
  }
  return '?';
}

function flag(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`engineio_server: ${name} needs a non-negative integer, got ${JSON.stringify(process.argv[i + 1])}`);
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
    res.end('engine.io echo server: connect an Engine.IO v4 client to /engine.io/\n');
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('Not Found\n');
});

const engine = new Server({
  pingInterval,
  pingTimeout,
  maxHttpBufferSize: maxPayload,
  perMessageDeflate: false,
  transports: ['polling', 'websocket'],
  cors: { origin: '*' },
});
engine.attach(httpServer, { path: '/engine.io/' });

engine.on('connection', (socket) => {
  socket.on('message', (data) => socket.send(data));
});

httpServer.listen(port, host, () => {
  console.log(`engineio_server (engine.io ${packageVersion('engine.io')}, node ${process.version}) ` +
    `listening on http://${host}:${httpServer.address().port}/engine.io/ ` +
    `(pingInterval ${pingInterval}, pingTimeout ${pingTimeout}, maxPayload ${maxPayload}, perMessageDeflate off)`);
});
httpServer.on('error', (err) => {
  console.error(`engineio_server: cannot listen on ${host}:${port}: ${err.message}`);
  process.exit(1);
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { engine.close(); httpServer.close(); process.exit(0); });
}
