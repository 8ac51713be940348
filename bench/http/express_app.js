'use strict';
// Reference Express 5 app for bench/http: it serves the same routes, bodies, and
// media types as examples/hello, so that wrk compares the two servers on equal work:
//   GET /plaintext  -> 200 text/plain        Hello, World!
//   GET /json       -> 200 application/json  {"message":"Hello, World!"}
//   GET /users/:id  -> 200 application/json  {"id":<id>,"name":"user<id>"}  (id: an int)
//
// Usage: node bench/http/express_app.js [port]     (or PORT=...; default 3000)
//        HOST=... overrides the listen address (default 127.0.0.1, loopback only).
//
// Fairness notes:
//  - ETag is turned off. Express would otherwise hash every response body to make an
//    ETag header, and duet sends no ETag.
//  - X-Powered-By is turned off. It adds header bytes that duet does not send.
//  - One process with no cluster module: Node runs JavaScript on one thread, and the
//    duet hello example also runs one thread.
//  - run.sh starts this app with NODE_ENV=production, the way Express is deployed.
const express = require('express');

const port = Number(process.argv[2] || process.env.PORT || 3000);
const host = process.env.HOST || '127.0.0.1';

const app = express();
app.set('etag', false);
app.disable('x-powered-by');

app.get('/plaintext', (req, res) => {
  res.type('text/plain').send('Hello, World!');
});

app.get('/json', (req, res) => {
  res.json({ message: 'Hello, World!' });
});

// duet converts ":id" to the handler's `int` parameter. A value that does not convert
// is a 404, so this route does the same: it passes the request on to Express's 404
// handler.
const INT_RE = /^[+-]?\d+$/;
app.get('/users/:id', (req, res, next) => {
  const s = req.params.id;
  const id = INT_RE.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(id) || id < -2147483648 || id > 2147483647) return next();
  res.json({ id, name: 'user' + id });
});

const server = app.listen(port, host, (err) => {
  if (err) {
    console.error(`express_app: cannot listen on ${host}:${port}: ${err.message}`);
    process.exit(1);
  }
  console.log(`express_app: listening on http://${host}:${port} (pid ${process.pid})`);
});
server.on('error', (err) => {
  console.error(`express_app: ${err.message}`);
  process.exit(1);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => process.exit(0));
}
