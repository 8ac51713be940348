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
const { Server } = require('engine.io');
const { packageVersion } = require('../common');
const { serverOptions, createPageServer, listen } = require('../node_server_common');

const opts = serverOptions('engineio_server');
const { pingInterval, pingTimeout, maxPayload } = opts;

const httpServer = createPageServer('engine.io echo server: connect an Engine.IO v4 client to /engine.io/\n');
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

listen(httpServer, 'engineio_server', opts, (port) =>
  `engineio_server (engine.io ${packageVersion('engine.io') ?? '?'}, node ${process.version}) ` +
  `listening on http://${opts.host}:${port}/engine.io/ ` +
  `(pingInterval ${pingInterval}, pingTimeout ${pingTimeout}, maxPayload ${maxPayload}, perMessageDeflate off)`,
() => engine.close());
