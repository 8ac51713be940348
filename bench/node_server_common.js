'use strict';
// bench/node_server_common.js: what the Node reference servers bench/eio/engineio_server.js
// and bench/sio/socketio_server.js share: the command line ([port] [--ping-interval ms]
// [--ping-timeout ms] [--max-payload bytes], PORT and HOST), the plain http.Server that
// answers GET / with a short page and anything else outside the Engine.IO path with 404,
// and listening, with its error and signal handling; the socket.io Server options the
// Socket.IO benchmark servers (bench/sio, bench/cluster) share.
const http = require('node:http');

// name: the server's name in messages. Defaults as duet's: port 3000 (or PORT), 25000 ms,
// 20000 ms, 1000000 bytes; HOST=... overrides the listen address (default 127.0.0.1).
function serverOptions(name) {
  const flag = (flagName, fallback) => {
    const i = process.argv.indexOf(flagName);
    if (i < 0) return fallback;
    const v = Number(process.argv[i + 1]);
    if (!Number.isInteger(v) || v < 0) {
      console.error(`${name}: ${flagName} needs a non-negative integer, got ${JSON.stringify(process.argv[i + 1])}`);
      process.exit(2);
    }
    return v;
  };
  const positional = process.argv[2] && !process.argv[2].startsWith('-') ? process.argv[2] : null;
  return {
    port: Number(positional || process.env.PORT || 3000),
    host: process.env.HOST || '127.0.0.1',
    pingInterval: flag('--ping-interval', 25000),
    pingTimeout: flag('--ping-timeout', 20000),
    maxPayload: flag('--max-payload', 1000000),
    recovery: flag('--recovery', 0), // connectionStateRecovery's maxDisconnectionDuration (0: off)
    // WebSocket permessage-deflate (engine.io's perMessageDeflate, threshold 1024 as its default)
    perMessageDeflate: process.argv.includes('--per-message-deflate'),
    // Socket.IO parser: 'json' (socket.io-parser, the default) or 'msgpack'
    // (socket.io-msgpack-parser); only the Socket.IO servers use it.
    parser: (() => {
      const i = process.argv.indexOf('--parser');
      const v = i < 0 ? 'json' : process.argv[i + 1];
      if (v !== 'json' && v !== 'msgpack') {
        console.error(`${name}: --parser needs json or msgpack, got ${JSON.stringify(v)}`);
        process.exit(2);
      }
      return v;
    })(),
  };
}

// An http.Server whose GET / answers `page` (text/plain) and anything else 404; the
// Engine.IO or Socket.IO server attaches its own path to it.
function createPageServer(page) {
  return http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(page);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not Found\n');
  });
}

// Listens on opts.host:opts.port and prints banner(actualPort); exits 1 when it cannot
// listen, and calls close() then exits 0 on SIGINT or SIGTERM.
function listen(httpServer, name, opts, banner, close) {
  httpServer.listen(opts.port, opts.host, () => console.log(banner(httpServer.address().port)));
  httpServer.on('error', (err) => {
    console.error(`${name}: cannot listen on ${opts.host}:${opts.port}: ${err.message}`);
    process.exit(1);
  });
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => { close(); httpServer.close(); process.exit(0); });
  }
}

// socket.io's Server options for a benchmark: the timings and payload limit of `opts`
// (serverOptions), both transports, no compression (as duet's defaults), any origin;
// with opts.parser 'msgpack' the socket.io-msgpack-parser package as the parser.
function socketioOptions(opts) {
  return {
    path: '/socket.io/',
    serveClient: false,
    pingInterval: opts.pingInterval,
    pingTimeout: opts.pingTimeout,
    maxHttpBufferSize: opts.maxPayload,
    perMessageDeflate: opts.perMessageDeflate ? { threshold: 1024 } : false,
    httpCompression: false,
    transports: ['polling', 'websocket'],
    cors: { origin: '*' },
    ...(opts.parser === 'msgpack' ? { parser: require('socket.io-msgpack-parser') } : {}),
    ...(opts.recovery > 0 ? { connectionStateRecovery: { maxDisconnectionDuration: opts.recovery, skipMiddlewares: true } } : {}),
  };
}

module.exports = { serverOptions, createPageServer, listen, socketioOptions };
