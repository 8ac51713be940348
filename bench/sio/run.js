#!/usr/bin/env node
'use strict';
// bench/sio/run.js: duet's Socket.IO server (bench/sio/bench_server.cpp) against npm
// socket.io 4.8 (bench/sio/socketio_server.js), measured with duet's C++ Socket.IO load
// generator (bench/loadgen/sio_bench). Start it through bench/sio/run.sh, which raises the
// open-file limit first; see usage() below or run --help.
//
// What it does, per mode (echo, fanout, idle, in that order):
//  1. It starts <build-dir>/bench/sio/sio_bench_server <port> (duet) and
//     `node bench/sio/socketio_server.js <port>` (socket.io) on free 127.0.0.1 ports, both
//     with the same --ping-interval, --ping-timeout and --max-payload: a fresh pair for
//     every mode, and for idle a fresh server for every run (memory freed by earlier
//     connections would otherwise be reused and hide the per-connection cost).
//  2. It waits until each server answers an Engine.IO polling handshake on /socket.io/,
//     checks that both announce the same pingInterval, pingTimeout and maxPayload, and
//     closes that session again.
//  3. It runs the load generator against duet and then node, alternating, --repeat times:
//     echo    N connections keep K "echo" emits in flight for S seconds (after an
//             unmeasured warm-up run on each server: V8 optimises the hot path): msgs/s
//             and round-trip latency; every echo is checked.
//     fanout  M subscribers join room "r" (acked), one publisher emits "fanout" N times
//             (plus W unmeasured warm-up emits), each after the previous one has reached
//             every subscriber and a pause: time to the last and to the median subscriber;
//             every subscriber must get every emit exactly once.
//     idle    after a small warm-up run (connections opened and closed), N connections are
//             opened and the server's VmRSS is read before and after: bytes per connection.
//  4. The load generator reads the server's CPU time from /proc/<pid>/stat over its measured
//     window and its own from getrusage; "other" is the rest of the machine. A loadgen near
//     one core while the server is not shows a client-bound figure.
//  5. It prints one table per mode with duet, node, the ratio, and the loadgen's CPU, and
//     stops every server on every way out.
//
// Hidden testing options, kept because they are useful:
//   --duet-cmd "<shell command with {port}>"  runs that command on the duet side instead of
//     the sio_bench_server binary (from the repository root under `sh -c "exec ..."`, so the
//     measured pid is the server's own); e.g. to test the harness with node on both sides:
//       bench/sio/run.sh --duet-cmd "node bench/sio/socketio_server.js {port}" --quick
//   --node-cmd "<command with {port}>" replaces the socket.io side in the same way.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  die, int, dec, eachOption, nodeServerOption, setLogDir, procStatus, startServer, stopServer: stopServerAfter, freePorts, sleep,
  waitEioReady, checkSameOpen, measureLoadgen, shq, cmdLine: cmdLineOf, fmtRate, fmtLat, fmtPct, table: tableOf,
  packageVersion, machineInfo: machineBase, loadavg, machineLine, busyNote, pick, range, resolveBinary: resolveIn,
  relToRoot: rel, finishLogs, runMain,
} = require('../common');

const MODES = ['echo', 'fanout', 'idle'];

function usage() {
  return `usage: bench/sio/run.sh [options]

  --build-dir DIR          Meson build directory that holds bench/sio/sio_bench_server and
                           bench/loadgen/sio_bench (default: build-release; a relative path is
                           tried from the current directory and then from the repository root)
  --server PATH            the duet server binary (default <build-dir>/bench/sio/sio_bench_server)
  --loadgen PATH           the load generator (default <build-dir>/bench/loadgen/sio_bench)
  --modes LIST             a comma-separated subset of echo,fanout,idle (default: all three)
  --quick                  a short run: echo 3 s, fanout 1000 subscribers and 10 emits,
                           idle 1000 connections (options given after it still apply)
 echo:
  --echo-connections N     connections (default 100)
  --echo-duration SEC      measured seconds per run (default 10)
  --echo-pipeline K        emits in flight per connection (default 1)
  --echo-size BYTES        length of the echoed string (default 32)
  --echo-warmup SEC        unmeasured run per server first, 0 for none (default 2)
 fanout:
  --fanout-subscribers M   connections in the room (default 10000)
  --fanout-emits N         measured emits per run (default 20)
  --fanout-warmup-emits W  unmeasured emits before those (default 2)
  --fanout-interval MS     pause after an emit has reached every subscriber (default 100)
  --fanout-size BYTES      a "pad" string of that length in the payload (default 0)
  --fanout-burst B         then B emits back to back (sustained broadcast): deliveries/s and
                           time until the last subscriber got the last one (default 50; 0: off)
 idle:
  --idle-connections N     connections (default 10000)
  --idle-settle SEC        wait before reading the server's memory (default 2)
  --idle-warmup N          connections opened and closed before the measured run (default 10;
                           their freed memory is reused, so keep it small next to --idle-connections)
  --idle-deflate-message N each connection sends one compressed event of N bytes before idling
                           (implies --deflate): the memory a compressing client costs the server
 compression:
  --deflate                both servers negotiate permessage-deflate (threshold 1024); the idle
                           load generator offers it (echo/fanout messages stay under the threshold:
                           the load generator does not inflate)
  --client-no-context-takeover  duet answers client_no_context_takeover to every client (implies
                           --deflate; socket.io has no such option)
 all:
  --parser json|msgpack    the Socket.IO parser of both servers and the load generator: socket.io's
                           JSON text format (default) or socket.io-msgpack-parser (every packet
                           one binary MessagePack message; duet needs msgpuck at build time)
  --repeat N               runs per server and mode, alternating duet and node; the table
                           shows the median run (an odd N gives a true median), the range in
                           parentheses (default 1)
  --threads T              load generator threads (default 1)
  --server-threads N       duet server shards (run(N); default 1). With N > 1 and --pin the
                           servers are pinned to CPUs 0-(N-1), sharing cores with the load generator
  --source-addresses K     connect from 127.0.0.1..127.0.0.K (default: the loadgen's choice,
                           one address per 20,000 connections)
  --ping-interval MS       given to both servers (default 25000, the socket.io default)
  --ping-timeout MS        given to both servers (default 20000)
  --max-payload BYTES      given to both servers (default 1000000)
  --pin                    servers under taskset -c 0, the load generator under taskset -c 1
  --json FILE              also writes every figure to FILE as JSON
  --keep-logs              keeps the temporary directory of server and load generator logs
  -h, --help               shows this help

duet runs one thread, Node runs JavaScript on one thread, and the load generator runs
--threads threads. Everything listens and connects on 127.0.0.1 only. The command prints
figures and ratios and is not a pass/fail test. It fails only when a server does not
start, is configured differently, loses, duplicates or garbles a message, refuses or
closes a connection, or dies during a run.`;
}

function parseArgs(argv) {
  const o = {
    buildDir: 'build-release', server: null, loadgen: null, modes: [...MODES],
    echoConnections: 100, echoDuration: 10, echoPipeline: 1, echoSize: 32, echoWarmup: 2,
    fanoutSubscribers: 10000, fanoutEmits: 20, fanoutWarmupEmits: 2, fanoutInterval: 100, fanoutSize: 0, fanoutBurst: 50,
    idleConnections: 10000, idleSettle: 2, idleWarmup: 10,
    repeat: 1, threads: 1, sourceAddresses: null, pingInterval: 25000, pingTimeout: 20000, maxPayload: 1000000,
    pin: false, json: null, keepLogs: false, duetCmd: null, nodeCmd: null, serverThreads: 1,
    deflate: false, idleDeflateMessage: 0, clientNoContextTakeover: false, parser: 'json',
  };
  eachOption(argv, 'bench/sio/run.sh', o, usage, (a, val) => {
    switch (a) {
      case '--build-dir': o.buildDir = val(); break;
      case '--server': o.server = val(); break;
      case '--loadgen': o.loadgen = val(); break;
      case '--modes': {
        const list = val().split(',').map((s) => s.trim()).filter(Boolean);
        for (const m of list) if (!MODES.includes(m)) die(`unknown mode "${m}" (modes: ${MODES.join(', ')})`);
        if (!list.length) die('--modes is empty');
        o.modes = MODES.filter((m) => list.includes(m));
        break;
      }
      case '--quick':
        o.echoDuration = 3; o.echoWarmup = 1; o.fanoutSubscribers = 1000; o.fanoutEmits = 10; o.idleConnections = 1000;
        break;
      case '--echo-connections': o.echoConnections = int(a, val(), 1); break;
      case '--echo-duration': o.echoDuration = dec(a, val(), 0.5); break;
      case '--echo-pipeline': o.echoPipeline = int(a, val(), 1); break;
      case '--echo-size': o.echoSize = int(a, val(), 1); break;
      case '--echo-warmup': o.echoWarmup = dec(a, val(), 0); break;
      case '--fanout-subscribers': o.fanoutSubscribers = int(a, val(), 1); break;
      case '--fanout-emits': o.fanoutEmits = int(a, val(), 1); break;
      case '--fanout-warmup-emits': o.fanoutWarmupEmits = int(a, val(), 0); break;
      case '--fanout-interval': o.fanoutInterval = dec(a, val(), 0); break;
      case '--fanout-size': o.fanoutSize = int(a, val(), 0); break;
      case '--fanout-burst': o.fanoutBurst = int(a, val(), 0); break;
      case '--idle-connections': o.idleConnections = int(a, val(), 1); break;
      case '--idle-settle': o.idleSettle = dec(a, val(), 0); break;
      case '--idle-warmup': o.idleWarmup = int(a, val(), 0); break;
      case '--deflate': o.deflate = true; break;
      case '--idle-deflate-message': o.idleDeflateMessage = int(a, val(), 0); o.deflate = true; break;
      case '--client-no-context-takeover': o.clientNoContextTakeover = true; o.deflate = true; break;
      case '--parser': {
        o.parser = val();
        if (o.parser !== 'json' && o.parser !== 'msgpack') die(`--parser needs json or msgpack, got "${o.parser}"`);
        break;
      }
      case '--repeat': o.repeat = int(a, val(), 1); break;
      case '--threads': o.threads = int(a, val(), 1); break;
      case '--server-threads': o.serverThreads = int(a, val(), 1); break;
      case '--source-addresses': o.sourceAddresses = int(a, val(), 1); break;
      default: return nodeServerOption(o, a, val);
    }
    return true;
  });
  if (o.parser === 'msgpack' && o.idleDeflateMessage) die('--idle-deflate-message sends a text event: not with --parser msgpack');
  // "42" + ["echo","<payload>"]: the echo packet's size on the wire.
  if (o.echoSize + 13 > o.maxPayload) die(`--echo-size ${o.echoSize} makes packets larger than --max-payload ${o.maxPayload}`);
  return o;
}

// ---------------------------------------------------------------- servers
// (the shared process and network helpers are in bench/common.js)

const stopServer = (srv) => stopServerAfter(srv, 3000);
const HANDSHAKE = '/socket.io/?EIO=4&transport=polling';
// Waits for an Engine.IO polling handshake on /socket.io/ to succeed; returns the open
// packet's JSON.
const waitReady = (srv, port) => waitEioReady(srv, port, HANDSHAKE);

// ---------------------------------------------------------------- load generator

function commonArgs(o, port, pid) {
  const a = ['--port', String(port), '--threads', String(o.threads), '--parser', o.parser];
  if (o.sourceAddresses) a.push('--source-addresses', String(o.sourceAddresses));
  if (pid) a.push('--server-pid', String(pid));
  return a;
}
function echoArgs(o, port, pid, seconds) {
  return ['echo', ...commonArgs(o, port, pid), '--connections', String(o.echoConnections), '--duration', String(seconds),
    '--pipeline', String(o.echoPipeline), '--size', String(o.echoSize)];
}
function fanoutArgs(o, port, pid) {
  return ['fanout', ...commonArgs(o, port, pid), '--subscribers', String(o.fanoutSubscribers), '--emits', String(o.fanoutEmits),
    '--warmup-emits', String(o.fanoutWarmupEmits), '--interval', String(o.fanoutInterval), '--size', String(o.fanoutSize),
    '--burst', String(o.fanoutBurst)];
}
function idleArgs(o, port, pid, connections, settle) {
  const a = ['idle', ...commonArgs(o, port, pid), '--connections', String(connections), '--settle', String(settle)];
  if (o.idleDeflateMessage) a.push('--deflate-message', String(o.idleDeflateMessage));
  else if (o.deflate) a.push('--deflate');
  return a;
}

async function measure(o, bin, srv, args, logFile, label) {
  return measureLoadgen(o, bin, 'sio_bench', srv, args, logFile, label);
}

// ---------------------------------------------------------------- report

const cmdLine = () => cmdLineOf('bench/sio/run.sh');
const sysPct = (x) => (x.server_sys_s == null ? null : 100 * x.server_sys_s / x.duration_s);
const fmtMs = (x) => (x == null ? '-' : `${x.toFixed(x < 10 ? 2 : 1)}ms`);
const fmtMiB = (kib) => (kib == null ? '-' : `${(kib / 1024).toFixed(1)} MiB`);
const fmtBytes = (b) => (b == null || !Number.isFinite(b) ? '-' : b >= 1024 ? `${(b / 1024).toFixed(2)} KiB` : `${Math.round(b)} B`);
const fmtRatio = (x) => (x == null || !Number.isFinite(x) ? '-' : `${x.toFixed(2)}x`);

const table = (rows) => tableOf(rows, (c) => c >= 1 && c <= 3);   // figures right-aligned

function machineInfo() {
  return machineBase({
    socket_io: packageVersion('socket.io') ?? '?', engine_io: packageVersion('engine.io') ?? '?',
    ws: packageVersion('ws') ?? '?', bufferutil: packageVersion('bufferutil'), utf8_validate: packageVersion('utf-8-validate'),
  });
}

function readSys(p) { try { return fs.readFileSync(p, 'utf8').trim(); } catch { return null; } }
function openFileLimit() {
  try { return Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim()); } catch { return null; }
}

// ---------------------------------------------------------------- main

function howToBuild(o) {
  return `build them first, e.g.:\n` +
    `  meson setup ${o.buildDir} --buildtype=release && ninja -C ${o.buildDir} bench/sio/sio_bench_server bench/loadgen/sio_bench\n` +
    `or point --server / --loadgen at binaries built by hand (sources: bench/sio/bench_server.cpp, bench/loadgen/sio_bench.cpp).`;
}

const resolveBinary = (o, given, relPath, what) => resolveIn(o, given, what, relPath, what, howToBuild(o));

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const server = o.duetCmd ? null : resolveBinary(o, o.server, path.join('bench', 'sio', 'sio_bench_server'), 'duet server (sio_bench_server)');
  const loadgen = resolveBinary(o, o.loadgen, path.join('bench', 'loadgen', 'sio_bench'), 'load generator (sio_bench)');
  const srvFlags = `--ping-interval ${o.pingInterval} --ping-timeout ${o.pingTimeout} --max-payload ${o.maxPayload}` +
    (o.deflate ? ' --per-message-deflate' : '') + (o.parser !== 'json' ? ` --parser ${o.parser}` : '');
  const duetCmd = o.duetCmd || `${shq(server)} {port} ${srvFlags} --threads ${o.serverThreads}` +
    (o.clientNoContextTakeover ? ' --client-no-context-takeover' : '');
  const nodeCmd = o.nodeCmd || `${shq(process.execPath)} bench/sio/socketio_server.js {port} ${srvFlags}`;

  // Every connection is a descriptor in the load generator and one in the server.
  const most = Math.max(o.modes.includes('echo') ? o.echoConnections : 0,
    o.modes.includes('fanout') ? o.fanoutSubscribers + 1 : 0, o.modes.includes('idle') ? o.idleConnections : 0);
  const fdLimit = openFileLimit();
  if (fdLimit != null && fdLimit < most + 100) {
    die(`the open-file limit is ${fdLimit}, and ${most} connections need about ${most + 100} descriptors in the server and in the load generator.\n` +
      `Run through bench/sio/run.sh (it raises the soft limit to the hard one: ulimit -Hn is ${execFileSync('sh', ['-c', 'ulimit -Hn']).toString().trim()}), ` +
      `raise the hard limit, or shrink the run (--quick, --fanout-subscribers, --idle-connections).`);
  }
  const portRange = readSys('/proc/sys/net/ipv4/ip_local_port_range');
  const somaxconn = readSys('/proc/sys/net/core/somaxconn');
  let ephemeral = null;
  if (portRange) {
    const [lo, hi] = portRange.split(/\s+/).map(Number);
    ephemeral = hi - lo + 1;
  }
  const addrs = o.sourceAddresses || Math.max(1, Math.ceil(most / 20000));
  if (ephemeral != null && most > ephemeral * addrs * 0.9) {
    die(`${most} connections to one server port do not fit in ${addrs} source address(es) x ${ephemeral} ephemeral ports ` +
      `(net.ipv4.ip_local_port_range ${portRange}); give --source-addresses ${Math.ceil(most / (ephemeral * 0.8))}`);
  }

  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'duet-bench-sio-'));
  setLogDir(logDir);
  const lgLog = path.join(logDir, 'loadgen.log');
  const live = [];   // servers running now
  let ok = false;
  const results = {};
  const opens = {};
  const rssEnd = {};
  const mi = machineInfo();

  const start = async (key, port) => {
    const srv = key === 'duet'
      ? startServer('duet', duetCmd.replaceAll('{port}', String(port)), path.join(logDir, 'duet.log'),
        o.pin && o.serverThreads > 1 ? `0-${o.serverThreads - 1}` : o.pin)
      : startServer('socket.io', nodeCmd.replaceAll('{port}', String(port)), path.join(logDir, 'node.log'), o.pin);
    live.push(srv);
    const open = await waitReady(srv, port);
    opens[key] = open;
    return srv;
  };
  const stop = async (srv) => {
    await stopServer(srv);
    const i = live.indexOf(srv);
    if (i >= 0) live.splice(i, 1);
  };
  const checkSame = () => checkSameOpen(opens.duet, opens.node, 'socket.io');
  const startPair = async () => {
    const [dp, np] = await freePorts(2);
    const pair = { duet: { port: dp, srv: await start('duet', dp) }, node: { port: np, srv: await start('node', np) } };
    checkSame();
    return pair;
  };
  const stopPair = async (pair) => {
    for (const k of ['duet', 'node']) {
      rssEnd[k] = Math.max(rssEnd[k] ?? 0, procStatus(pair[k].srv.pid, 'VmHWM') ?? 0);
      await stop(pair[k].srv);
    }
  };
  const progress = (s) => process.stdout.write(s);

  try {
    console.log(`duet vs socket.io: Socket.IO v5 benchmarks over WebSocket, ${o.parser} parser (figures, not a test)`);
    console.log(`command  : ${cmdLine()}`);
    console.log(`machine  : ${machineLine(mi)}`);
    console.log(`limits   : open files ${fdLimit ?? '?'}, ephemeral ports ${portRange ?? '?'} (${ephemeral ?? '?'}), somaxconn ${somaxconn ?? '?'}, tcp_tw_reuse ${readSys('/proc/sys/net/ipv4/tcp_tw_reuse') ?? '?'}`);
    console.log(`versions : node ${mi.node}, socket.io ${mi.socket_io}, engine.io ${mi.engine_io}, ws ${mi.ws} (bufferutil ${mi.bufferutil ?? 'not installed'}, utf-8-validate ${mi.utf8_validate ?? 'not installed'})`);
    console.log(`duet     : ${duetCmd.replace('{port}', '<port>')}${o.duetCmd ? '   [--duet-cmd override]' : ''}`);
    console.log(`socket.io: NODE_ENV=production ${nodeCmd.replace('{port}', '<port>')}   (perMessageDeflate ${o.deflate ? 'on' : 'off'})`);
    console.log(`parser   : ${o.parser === 'msgpack'
      ? `msgpack (socket.io-msgpack-parser ${packageVersion('socket.io-msgpack-parser') ?? '?'} on node, duet::msgpack_parser on duet, the same in the loadgen): one binary message per packet`
      : 'json (socket.io-parser text packets on both servers)'}`);
    console.log(`loadgen  : ${o.pin ? 'taskset -c 1 ' : ''}${rel(loadgen)} <mode> ... (${o.threads} thread${o.threads > 1 ? 's' : ''})`);
    console.log(`runs     : ${o.repeat} run(s) per server and mode, alternating duet and node; a fresh server pair per mode, a fresh server per idle run; servers ${o.pin ? 'pinned to CPU 0, loadgen to CPU 1' : 'not pinned'}`);
    const note = busyNote(mi);
    if (note) console.log(`note     : ${note}`);
    console.log(`logs     : ${logDir}${o.keepLogs ? '' : ' (removed on success; --keep-logs keeps it)'}`);

    // ----- echo -----
    if (o.modes.includes('echo')) {
      const label = `echo (${o.parser} parser): ${o.echoConnections} connections, ${o.echoPipeline} in flight each, ${o.echoSize}-char string, ${o.echoDuration}s`;
      console.log(`\n${label}`);
      const pair = await startPair();
      if (o.echoWarmup > 0) {
        progress(`  warm-up  : ${o.echoWarmup}s per server ...`);
        for (const k of ['duet', 'node']) await measure(o, loadgen, pair[k].srv, echoArgs(o, pair[k].port, pair[k].srv.pid, o.echoWarmup), lgLog, 'echo warm-up');
        progress(' done (every echo checked)\n');
      }
      const runs = { duet: [], node: [] };
      for (let r = 0; r < o.repeat; r++) {
        for (const k of ['duet', 'node']) {
          progress(`  running  : ${k.padEnd(4)}${o.repeat > 1 ? ` #${r + 1}` : ''} ...`);
          const x = await measure(o, loadgen, pair[k].srv, echoArgs(o, pair[k].port, pair[k].srv.pid, o.echoDuration), lgLog, 'echo');
          runs[k].push(x);
          progress(` ${fmtRate(x.msgs_per_s)} msg/s, p50 ${fmtLat(x.latency_us.p50)}, p99 ${fmtLat(x.latency_us.p99)}; cpu: server ${fmtPct(x.server_cpu_pct)}, loadgen ${fmtPct(x.loadgen_cpu_pct)}, other ${fmtPct(x.other_cpu_pct)}\n`);
        }
      }
      await stopPair(pair);
      const key = (x) => x.msgs_per_s;
      const d = pick(runs.duet, key);
      const n = pick(runs.node, key);
      results.echo = { label, duet: d, node: n, runs };
      const L = (x, q) => x.latency_us[q];
      const rows = [['echo', 'duet', 'node', 'duet advantage', 'issue target']];
      rows.push(['messages/s', fmtRate(d.msgs_per_s) + range(runs.duet, key, fmtRate), fmtRate(n.msgs_per_s) + range(runs.node, key, fmtRate), fmtRatio(d.msgs_per_s / n.msgs_per_s), '>= 10x']);
      for (const q of ['p50', 'p90', 'p99']) {
        rows.push([`round trip ${q}`, fmtLat(L(d, q)), fmtLat(L(n, q)), fmtRatio(L(n, q) / L(d, q)), '']);
      }
      const perCpu = (x) => (x.server_cpu_s ? x.messages / x.server_cpu_s : null);
      rows.push(['messages per server CPU-second', fmtRate(perCpu(d)), fmtRate(perCpu(n)), fmtRatio(perCpu(d) / perCpu(n)), '']);
      rows.push(['server CPU (1 core = 100%)', fmtPct(d.server_cpu_pct), fmtPct(n.server_cpu_pct), '', '']);
      rows.push(['  of which kernel (sys)', fmtPct(sysPct(d)), fmtPct(sysPct(n)), '', '']);
      rows.push(['loadgen CPU', fmtPct(d.loadgen_cpu_pct), fmtPct(n.loadgen_cpu_pct), '', '']);
      rows.push(['rest of machine CPU', fmtPct(d.other_cpu_pct), fmtPct(n.other_cpu_pct), '', '']);
      console.log('');
      console.log(table(rows));
      console.log('messages per server CPU-second: echoes in the window / the server\'s CPU time over it (less sensitive to other load than msg/s).' +
        (o.echoPipeline === 1 ? ' With one emit in flight per connection the rate is bound by round trips, not by the server: --echo-pipeline 16 measures capacity.' : ''));
      if ([d, n].some((x) => x.loadgen_cpu_pct >= 90 && x.server_cpu_pct != null && x.server_cpu_pct < 90)) {
        console.log('note: the load generator used about a full core while a server did not: that figure is client-bound (a lower bound); try --threads 2 or more --echo-pipeline.');
      }
    }

    // ----- fanout -----
    if (o.modes.includes('fanout')) {
      const label = `fanout: ${o.fanoutSubscribers} subscribers in one room, ${o.fanoutEmits} emits (+${o.fanoutWarmupEmits} warm-up), ${o.fanoutInterval}ms apart${o.fanoutSize ? `, ${o.fanoutSize}-char pad` : ''}`;
      console.log(`\n${label}`);
      const pair = await startPair();
      const runs = { duet: [], node: [] };
      for (let r = 0; r < o.repeat; r++) {
        for (const k of ['duet', 'node']) {
          progress(`  running  : ${k.padEnd(4)}${o.repeat > 1 ? ` #${r + 1}` : ''} ...`);
          const x = await measure(o, loadgen, pair[k].srv, fanoutArgs(o, pair[k].port, pair[k].srv.pid), lgLog, 'fanout');
          runs[k].push(x);
          progress(` to last: median ${fmtLat(x.last_us.median)} (max ${fmtLat(x.last_us.max)}), to median ${fmtLat(x.median_us.median)}; cpu/emit: server ${fmtMs(x.server_cpu_ms_per_emit)}, loadgen ${fmtMs(x.loadgen_cpu_ms_per_emit)}; joined in ${x.connect_s.toFixed(2)}s` +
            (x.burst ? `; burst of ${x.burst.emits}: ${fmtRate(x.burst.deliveries_per_s)} deliveries/s, last after ${fmtLat(x.burst.first_send_to_last_receipt_us)} (cpu: server ${fmtPct(x.burst.server_cpu_pct)}, loadgen ${fmtPct(x.burst.loadgen_cpu_pct)})` : '') + '\n');
        }
      }
      await stopPair(pair);
      const key = (x) => x.last_us.median;
      const d = pick(runs.duet, key);
      const n = pick(runs.node, key);
      results.fanout = { label, duet: d, node: n, runs };
      const rows = [['fanout', 'duet', 'node', 'duet advantage', 'issue target']];
      rows.push(['emit -> last subscriber (median)', fmtLat(d.last_us.median) + range(runs.duet, key, fmtLat), fmtLat(n.last_us.median) + range(runs.node, key, fmtLat), fmtRatio(n.last_us.median / d.last_us.median), '>= 10x']);
      rows.push(['emit -> last subscriber (worst)', fmtLat(d.last_us.max), fmtLat(n.last_us.max), fmtRatio(n.last_us.max / d.last_us.max), '']);
      rows.push(['emit -> median subscriber (median)', fmtLat(d.median_us.median), fmtLat(n.median_us.median), fmtRatio(n.median_us.median / d.median_us.median), '']);
      rows.push(['emit -> first subscriber (median)', fmtLat(d.first_us.median), fmtLat(n.first_us.median), fmtRatio(n.first_us.median / d.first_us.median), '']);
      rows.push(['server CPU per emit', fmtMs(d.server_cpu_ms_per_emit), fmtMs(n.server_cpu_ms_per_emit), fmtRatio(n.server_cpu_ms_per_emit / d.server_cpu_ms_per_emit), '']);
      rows.push(['  of which kernel (sys)', fmtMs(d.server_sys_ms_per_emit), fmtMs(n.server_sys_ms_per_emit), '', '']);
      rows.push(['loadgen CPU per emit', fmtMs(d.loadgen_cpu_ms_per_emit), fmtMs(n.loadgen_cpu_ms_per_emit), '', '']);
      rows.push(['rest of machine CPU', fmtPct(d.other_cpu_pct), fmtPct(n.other_cpu_pct), '', '']);
      if (d.burst && n.burst) {
        const bkey = (x) => x.burst.deliveries_per_s;
        rows.push([`burst of ${o.fanoutBurst} back to back: deliveries/s`, fmtRate(d.burst.deliveries_per_s) + range(runs.duet, bkey, fmtRate), fmtRate(n.burst.deliveries_per_s) + range(runs.node, bkey, fmtRate), fmtRatio(d.burst.deliveries_per_s / n.burst.deliveries_per_s), '>= 10x']);
        rows.push([`burst: first send -> last subscriber got the last`, fmtLat(d.burst.first_send_to_last_receipt_us), fmtLat(n.burst.first_send_to_last_receipt_us), fmtRatio(n.burst.first_send_to_last_receipt_us / d.burst.first_send_to_last_receipt_us), '']);
        rows.push(['burst: server CPU (1 core = 100%)', fmtPct(d.burst.server_cpu_pct), fmtPct(n.burst.server_cpu_pct), '', '']);
        rows.push(['burst: server CPU, of which kernel', `${(1e3 * d.burst.server_sys_s).toFixed(0)}ms of ${(1e3 * d.burst.server_cpu_s).toFixed(0)}ms`, `${(1e3 * n.burst.server_sys_s).toFixed(0)}ms of ${(1e3 * n.burst.server_cpu_s).toFixed(0)}ms`, '', '']);
        rows.push(['burst: loadgen CPU', fmtPct(d.burst.loadgen_cpu_pct), fmtPct(n.burst.loadgen_cpu_pct), '', '']);
      }
      rows.push([`connect + join ${o.fanoutSubscribers + 1}`, `${d.connect_s.toFixed(2)}s`, `${n.connect_s.toFixed(2)}s`, fmtRatio(n.connect_s / d.connect_s), '']);
      console.log('');
      console.log(table(rows));
      console.log('CPU per emit: the CPU used over the measured emits (pauses included, /proc tick resolution 10ms) divided by their number;' +
        ' on loopback the kernel part includes delivering each copy into the receiving socket.');
      if ([d, n].some((x) => x.loadgen_cpu_ms_per_emit >= 0.8 * x.last_us.median / 1000)) {
        console.log('note: the load generator was busy for most of the time to the last subscriber: reading every subscriber\'s copy bounds that figure from below; --threads helps where cores are free.');
      }
    }

    // ----- idle -----
    if (o.modes.includes('idle')) {
      const label = `idle: ${o.idleConnections} Socket.IO connections, server memory ${o.idleSettle}s after the last connect (after ${o.idleWarmup} warm-up connections opened and closed)`;
      console.log(`\n${label}`);
      const runs = { duet: [], node: [] };
      for (let r = 0; r < o.repeat; r++) {
        for (const k of ['duet', 'node']) {
          progress(`  running  : ${k.padEnd(4)}${o.repeat > 1 ? ` #${r + 1}` : ''} ...`);
          const [port] = await freePorts(1);
          const srv = await start(k, port);
          if (k === 'node' && opens.duet) checkSame();
          if (o.idleWarmup > 0) {
            await measure(o, loadgen, srv, idleArgs(o, port, srv.pid, o.idleWarmup, 0), lgLog, 'idle warm-up');
            await sleep(500);
          }
          const x = await measure(o, loadgen, srv, idleArgs(o, port, srv.pid, o.idleConnections, o.idleSettle), lgLog, 'idle');
          rssEnd[k] = Math.max(rssEnd[k] ?? 0, procStatus(srv.pid, 'VmHWM') ?? 0);
          await stop(srv);
          runs[k].push(x);
          progress(` ${fmtBytes(x.bytes_per_connection)} per connection (VmRSS ${fmtMiB(x.rss_before_kib)} -> ${fmtMiB(x.rss_after_kib)}); connected in ${x.connect_s.toFixed(2)}s\n`);
        }
      }
      const key = (x) => x.bytes_per_connection;
      const d = pick(runs.duet, key);
      const n = pick(runs.node, key);
      results.idle = { label, duet: d, node: n, runs };
      const rows = [['idle', 'duet', 'node', 'duet advantage', 'issue target']];
      rows.push(['server RSS per connection', fmtBytes(d.bytes_per_connection) + range(runs.duet, key, fmtBytes), fmtBytes(n.bytes_per_connection) + range(runs.node, key, fmtBytes), fmtRatio(n.bytes_per_connection / d.bytes_per_connection), '>= 8x (1/8)']);
      rows.push(['server VmRSS before', fmtMiB(d.rss_before_kib), fmtMiB(n.rss_before_kib), '', '']);
      rows.push([`server VmRSS with ${o.idleConnections}`, fmtMiB(d.rss_after_kib), fmtMiB(n.rss_after_kib), '', '']);
      rows.push(['connect time', `${d.connect_s.toFixed(2)}s`, `${n.connect_s.toFixed(2)}s`, fmtRatio(n.connect_s / d.connect_s), '']);
      rows.push(['server CPU to connect all', d.server_connect_cpu_s == null ? '-' : `${d.server_connect_cpu_s.toFixed(2)}s`, n.server_connect_cpu_s == null ? '-' : `${n.server_connect_cpu_s.toFixed(2)}s`, fmtRatio(n.server_connect_cpu_s / d.server_connect_cpu_s), '']);
      rows.push(['loadgen CPU to connect all', `${d.loadgen_connect_cpu_s.toFixed(2)}s`, `${n.loadgen_connect_cpu_s.toFixed(2)}s`, '', '']);
      console.log('');
      console.log(table(rows));
      console.log('RSS per connection: (VmRSS with the connections - VmRSS before) / connections, read from /proc/<pid>/status; kernel socket buffers are not in it (same for both). Node\'s figure includes garbage not yet collected, as a real process would.');
    }

    console.log('');
    console.log('duet advantage: how many times better duet is (throughput duet/node; latency, CPU and memory node/duet); > 1 favours duet.');
    console.log(`Every message of every run${o.echoWarmup > 0 || o.fanoutWarmupEmits > 0 ? ' (warm-ups included)' : ''} was checked: none was lost, duplicated or garbled, and no connection was refused or closed.`);
    console.log(`server peak RSS (VmHWM, largest of the runs): duet ${rssEnd.duet ? fmtMiB(rssEnd.duet) : '?'}, socket.io ${rssEnd.node ? fmtMiB(rssEnd.node) : '?'}.`);
    console.log(`loadavg after: ${loadavg()}`);

    if (o.json) {
      fs.writeFileSync(o.json, JSON.stringify({
        date: new Date().toISOString(), command: cmdLine(), machine: mi,
        limits: { open_files: fdLimit, ip_local_port_range: portRange, somaxconn },
        parser: o.parser, options: { ...o, duetCmd, nodeCmd, loadgen }, open_packets: opens, server_peak_rss_kib: rssEnd, results,
      }, null, 2) + '\n');
      console.log(`json     : ${o.json}`);
    }
    ok = true;
  } finally {
    for (const s of [...live]) await stopServer(s);
    finishLogs(ok, o.keepLogs, logDir);
  }
}

runMain('bench/sio', 'the servers and the load generator', main);
