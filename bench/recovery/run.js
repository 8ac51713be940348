#!/usr/bin/env node
'use strict';
// bench/recovery/run.js: what connection state recovery costs in memory — duet's
// sio_bench_server against npm socket.io 4.8 (bench/sio/socketio_server.js), both with
// recovery on (max disconnection 10 min), in one invocation. Start it through
// bench/recovery/run.sh; see usage() below or run --help.
//
// What it measures (server RSS from /proc/<pid>/status, before and after):
//  1. Kept sessions. --rounds rounds, each opening --sessions Socket.IO clients over
//     raw WebSockets (the `ws` package: "40" CONNECT, then join a room with an ack) and
//     then dropping them all (the TCP connections closed: "transport close", which
//     recovery keeps). The first round warms the server up (its connection memory is
//     then reused by the next rounds); the RSS growth over the other rounds, divided by
//     the sessions they added, is the memory per kept session.
//  2. Kept packets. --packets broadcasts of a 32-character string to a room with no
//     member (each is logged for replay all the same), in batches of 1000 closed by an
//     ack; the RSS growth divided by --packets is the memory per kept packet.
// Each figure comes from a fresh server. Node runs with --expose-gc and collects fully
// before each reading (a "__gc" event of socketio_server.js); the figures still include
// the allocator's slack: what an operator sees, not an object size.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');
const {
  die, int, eachOption, setLogDir, procStatus, startServers, stopServer, waitEioReady, sleep,
  table, packageVersion, machineInfo, machineLine, busyNote, resolveBinary, relToRoot, finishLogs, runMain,
} = require('../common');

function usage() {
  return `usage: bench/recovery/run.sh [options]

  --build-dir DIR   Meson build directory holding bench/sio/sio_bench_server (default: build-release)
  --sessions N      clients per round (default 2000)
  --rounds N        rounds of connect-and-drop, the first one unmeasured (default 4)
  --packets N       broadcasts kept in the log (default 50000)
  --keep-logs       keep the servers' logs
  -h, --help        this text`;
}

const HANDSHAKE = '/socket.io/?EIO=4&transport=polling';

function rssKiB(pid) {
  return Number(String(procStatus(pid, 'VmRSS')).replace(/[^0-9]/g, ''));
}

// One raw Socket.IO client: connects to "/", joins `room`; resolves with the WebSocket.
function sioClient(port, room) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    const fail = (e) => reject(e instanceof Error ? e : new Error(String(e)));
    ws.on('error', fail);
    ws.on('message', (d) => {
      const m = d.toString();
      if (m.startsWith('0{')) ws.send('40');
      else if (m.startsWith('40{')) ws.send(`420["join",${JSON.stringify(room)}]`);
      else if (m === '430[true]') resolve(ws);
      else if (m === '2') ws.send('3');
    });
  });
}

async function openMany(port, n, room) {
  const out = [];
  for (let i = 0; i < n; i += 200) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 200); ++j) batch.push(sioClient(port, room));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

// Waits until the server's RSS has not changed for a while (the drops are processed).
async function settledRss(pid) {
  let last = rssKiB(pid);
  for (let i = 0; i < 30; ++i) {
    await sleep(200);
    const now = rssKiB(pid);
    if (now === last) return now;
    last = now;
  }
  return last;
}

// Node only (started with --expose-gc): a full collection before a reading, so that the
// figure is what stays, not what the collector has not looked at yet.
async function collect(srv, port) {
  if (!srv.gc) return;
  const [c] = await openMany(port, 1, 'gc');
  await new Promise((resolve) => {
    c.on('message', (d) => { if (d.toString() === '439[true]') resolve(); });
    c.send('429["__gc"]');
  });
  c.terminate();
}

async function rssAfterGc(srv, port) {
  await collect(srv, port);
  return settledRss(srv.srv.pid);
}

async function measureSessions(o, srv, port) {
  const pid = srv.srv.pid;
  const rss = [];
  for (let round = 0; round < o.rounds; ++round) {
    const clients = await openMany(port, o.sessions, `room${round}`);
    for (const ws of clients) ws.terminate();
    await settledRss(pid);
    rss.push(await rssAfterGc(srv, port));
    process.stderr.write(`  ${srv.key}: round ${round + 1}/${o.rounds}, RSS ${rss[rss.length - 1]} KiB\n`);
  }
  return ((rss[rss.length - 1] - rss[0]) * 1024) / ((o.rounds - 1) * o.sessions);
}

// On a fresh server (memory freed by dropped connections would hide the log's growth).
async function measurePackets(o, srv, port) {
  const [emitter] = await openMany(port, 1, 'emitter');
  const before = await rssAfterGc(srv, port);
  const payload = JSON.stringify('x'.repeat(32));
  let ackId = 1;
  for (let sent = 0; sent < o.packets; ) {
    const n = Math.min(1000, o.packets - sent);
    for (let i = 0; i < n; ++i) emitter.send(`42["fanout","nobody",${payload}]`);
    sent += n;
    const id = ++ackId;
    await new Promise((resolve) => {
      const on = (d) => {
        if (d.toString() === `43${id}[true]`) {
          emitter.off('message', on);
          resolve();
        }
      };
      emitter.on('message', on);
      emitter.send(`42${id}["join","emitter"]`);
    });
  }
  const after = await rssAfterGc(srv, port);
  emitter.terminate();
  process.stderr.write(`  ${srv.key}: ${o.packets} packets, RSS ${before} → ${after} KiB\n`);
  return ((after - before) * 1024) / o.packets;
}

async function main() {
  const o = { buildDir: 'build-release', sessions: 2000, rounds: 4, packets: 50000 };
  eachOption(process.argv.slice(2), 'bench/recovery/run.sh', o, usage, (a, val) => {
    switch (a) {
      case '--build-dir': o.buildDir = val(); break;
      case '--sessions': o.sessions = int(a, val(), 1); break;
      case '--rounds': o.rounds = int(a, val(), 2); break;
      case '--packets': o.packets = int(a, val(), 1000); break;
      default: return false;
    }
    return true;
  });
  const duetBin = resolveBinary(o, null, '', 'bench/sio/sio_bench_server', 'sio_bench_server',
    'build it first: meson setup build-release -Dbuildtype=release && ninja -C build-release');
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'duet-bench-recovery-'));
  setLogDir(logDir);
  const mi = machineInfo({});
  const busy = busyNote(mi);
  const keep = 600000;
  const specs = [
    { key: 'duet', name: 'duet', cmd: `${relToRoot(duetBin)} {port} --recovery ${keep} --recovery-packets ${o.packets + 1000}` },
    { key: 'socket.io', name: 'socket.io', cmd: `node --expose-gc bench/sio/socketio_server.js {port} --recovery ${keep}`, gc: true },
  ];
  console.log(`connection state recovery memory: ${o.sessions} sessions x ${o.rounds - 1} measured rounds, ${o.packets} kept packets`);
  console.log(`machine: ${machineLine(mi)}`);
  console.log(`socket.io ${packageVersion('socket.io') ?? '?'}, ws ${packageVersion('ws') ?? '?'}`);
  if (busy) console.log(`note: ${busy}`);
  const results = {};
  let ok = false;
  try {
    // One server at a time (each has the machine to itself), a fresh one per figure.
    for (const spec of specs) {
      results[spec.key] = {};
      for (const [what, fn] of [['perSession', measureSessions], ['perPacket', measurePackets]]) {
        const [srv] = await startServers([spec], logDir, false);
        srv.gc = spec.gc;
        await waitEioReady(srv.srv, srv.port, HANDSHAKE);
        results[spec.key][what] = await fn(o, srv, srv.port);
        await stopServer(srv.srv);
      }
    }
    ok = true;
  } finally {
    finishLogs(ok, o.keepLogs, logDir);
  }
  const d = results.duet, n = results['socket.io'];
  const fmt = (b) => `${Math.round(b)} B`;
  console.log('\n' + table([
    ['', 'duet', 'socket.io', 'socket.io / duet'],
    ['per kept session', fmt(d.perSession), fmt(n.perSession), (n.perSession / d.perSession).toFixed(1) + 'x'],
    ['per kept packet', fmt(d.perPacket), fmt(n.perPacket), (n.perPacket / d.perPacket).toFixed(1) + 'x'],
  ], (c) => c > 0));
}

runMain('bench/recovery', 'the servers', main);
