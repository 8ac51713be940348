#!/usr/bin/env node
'use strict';
// bench/eio/run.js: the duet Engine.IO echo example against the npm `engine.io` reference
// server, measured with duet's own C++ load generator (bench/loadgen/eio_echo_bench).
// Start it through bench/eio/run.sh, and see usage() below or run --help.
//
// What it does:
//  1. It starts <build-dir>/examples/engineio_echo/engineio_echo <port> (duet) and
//     `node bench/eio/engineio_server.js <port>` (engine.io) on free 127.0.0.1 ports, both
//     with the same --ping-interval, --ping-timeout and --max-payload.
//  2. It waits until each server answers an Engine.IO polling handshake, checks that
//     both announce the same pingInterval, pingTimeout and maxPayload, and closes that
//     polling session again.
//  3. For each scenario (message type and size, connections, messages in flight per
//     connection), it gives each server a short unmeasured run (V8 optimises the echo
//     path; the run also checks every echo), then runs the load generator for the same
//     duration on duet and then on engine.io, alternating, --repeat times.
//  4. The load generator checks every echo (type, size, bytes) and fails the whole run on
//     any mismatch or lost message. It reads the server's CPU time from /proc/<pid>/stat
//     at the start and the end of its measured window and its own from getrusage, so both
//     cover the same interval. A row where the generator is near one core while the server
//     is not shows a client-bound result.
//  5. It prints a table of messages/s, the duet/engine.io ratio, p50/p99 round-trip latency
//     and CPU use, and it stops both servers on every way out.
//
// Hidden testing options, kept because they are useful:
//   --duet-cmd "<shell command with {port}>"  runs that command on the duet side instead of
//     the engineio_echo binary (from the repository root under `sh -c "exec ..."`, so the
//     measured pid is the server's own). It gets no ping/payload flags of its own: put them
//     in the command if they matter. E.g., to test the harness with engine.io on both sides:
//       bench/eio/run.sh --duet-cmd "node bench/eio/engineio_server.js {port}" --duration 3
//   --node-cmd "<command with {port}>" replaces the engine.io side in the same way.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  die, int, eachOption, nodeServerOption, setLogDir, procStatus, threadCount, startServers, stopServer,
  waitEioReady, OPEN_KEYS, checkSameOpen, measureLoadgen, shq, cmdLine: cmdLineOf, fmtRate, fmtLat, fmtPct,
  table: tableOf, packageVersion, machineInfo: machineBase, loadavg, machineLine, busyNote, pick, range,
  findInBuild, resolveBinary, relToRoot, finishLogs, runMain,
} = require('../common');

function usage() {
  return `usage: bench/eio/run.sh [options]

  --build-dir DIR       Meson build directory that holds examples/engineio_echo/engineio_echo
                        and bench/loadgen/eio_echo_bench (default: build-release; a relative
                        path is tried from the current directory and then from the repository root)
  --loadgen PATH        the eio_echo_bench binary (default: <build-dir>/bench/loadgen/eio_echo_bench)
  --duration SEC        the length of each measured run, in seconds (default 10)
  --connections N       Engine.IO sessions (WebSockets) per run (default 100)
  --size BYTES          message size (default 32)
  --binary              binary messages (default: text)
  --pipeline K          messages in flight per session (default 1)
  --scenarios LIST      several scenarios, comma-separated; each is ':'-separated fields in
                        any order: text|binary, a size (32, 4k, 64k), c<connections>,
                        p<pipeline>; a missing field takes the value of the options above.
                        E.g. --scenarios text:32,binary:4k,text:32:p16,text:32:c1000
  --repeat N            measured runs per server and scenario, alternating duet and
                        engine.io; the table shows the run with the median msg/s (default 1)
  --warmup SEC          an unmeasured run per server before each scenario, 0 for none (default 2)
  --ping-interval MS    given to both servers (default 25000, the engine.io default)
  --ping-timeout MS     given to both servers (default 20000)
  --max-payload BYTES   given to both servers (default 1000000)
  --pin                 runs the servers under taskset -c 0 and the load generator under taskset -c 1
  --json FILE           also writes every figure to FILE as JSON
  --keep-logs           keeps the temporary directory of server and load generator logs
  -h, --help            shows this help

duet runs one thread, Node runs JavaScript on one thread, and the load generator runs one
thread. All listen and connect on 127.0.0.1 only. The command prints figures and ratios and is
not a pass/fail test. It fails only when a server does not start, is configured differently,
echoes a message wrongly or loses one, closes a session, or dies during a run.`;
}

function parseSize(s, what) {
  const m = /^(\d+)([kKmM]?)[bB]?$/.exec(s);
  if (!m) die(`${what}: not a size: ${JSON.stringify(s)}`);
  const n = Number(m[1]) * ({ '': 1, k: 1024, K: 1024, m: 1 << 20, M: 1 << 20 }[m[2]]);
  if (n < 1) die(`${what}: the size must be at least 1 byte`);
  return n;
}

function parseArgs(argv) {
  const o = {
    buildDir: 'build-release', loadgen: null, duration: 10, connections: 100, size: 32, binary: false,
    pipeline: 1, scenarios: null, repeat: 1, warmup: 2, pingInterval: 25000, pingTimeout: 20000,
    maxPayload: 1000000, pin: false, json: null, keepLogs: false, duetCmd: null, nodeCmd: null,
  };
  eachOption(argv, 'bench/eio/run.sh', o, usage, (a, val) => {
    switch (a) {
      case '--build-dir': o.buildDir = val(); break;
      case '--loadgen': o.loadgen = val(); break;
      case '--duration': o.duration = int(a, val(), 1); break;
      case '--connections': o.connections = int(a, val(), 1); break;
      case '--size': o.size = parseSize(val(), a); break;
      case '--binary': o.binary = true; break;
      case '--pipeline': o.pipeline = int(a, val(), 1); break;
      case '--scenarios': o.scenarios = val(); break;
      case '--repeat': o.repeat = int(a, val(), 1); break;
      case '--warmup': o.warmup = int(a, val(), 0); break;
      default: return nodeServerOption(o, a, val);
    }
    return true;
  });
  o.scenarioList = parseScenarios(o);
  for (const s of o.scenarioList) {
    // Text goes out as "4" + data, so it is one byte longer on the wire.
    if (s.size + (s.binary ? 0 : 1) > o.maxPayload) die(`scenario ${s.label}: ${s.size}-byte messages exceed --max-payload ${o.maxPayload}`);
  }
  return o;
}

function parseScenarios(o) {
  const base = { binary: o.binary, size: o.size, connections: o.connections, pipeline: o.pipeline };
  const specs = o.scenarios ? o.scenarios.split(',').map((s) => s.trim()).filter(Boolean) : [''];
  if (!specs.length) die('--scenarios is empty');
  const list = specs.map((spec) => {
    const s = { ...base };
    for (const f of spec.split(':').filter(Boolean)) {
      if (f === 'text') s.binary = false;
      else if (f === 'binary' || f === 'bin') s.binary = true;
      else if (/^c\d+$/.test(f)) s.connections = Number(f.slice(1));
      else if (/^p\d+$/.test(f)) s.pipeline = Number(f.slice(1));
      else if (/^\d/.test(f)) s.size = parseSize(f, `scenario "${spec}"`);
      else die(`scenario "${spec}": unknown field "${f}" (fields: text|binary, a size, c<connections>, p<pipeline>)`);
    }
    if (s.connections < 1 || s.pipeline < 1) die(`scenario "${spec}": connections and pipeline must be >= 1`);
    const sz = s.size % 1024 === 0 && s.size >= 1024 ? `${s.size / 1024}KiB` : `${s.size}B`;
    s.label = `${s.binary ? 'binary' : 'text'} ${sz} c${s.connections} p${s.pipeline}`;
    return s;
  });
  return list;
}

// ---------------------------------------------------------------- servers
// (the shared process and network helpers are in bench/common.js)

const maxRssMiB = (pid) => { const kib = procStatus(pid, 'VmHWM'); return kib == null ? null : kib / 1024; };
const HANDSHAKE = '/engine.io/?EIO=4&transport=polling';
// Waits for an Engine.IO polling handshake to succeed; returns the open packet's JSON.
const waitReady = (srv, port) => waitEioReady(srv, port, HANDSHAKE);

// ---------------------------------------------------------------- load generator

function loadgenArgs(sc, port, seconds, serverPid) {
  const a = ['--port', String(port), '--connections', String(sc.connections), '--duration', String(seconds),
    '--size', String(sc.size), '--pipeline', String(sc.pipeline), '--path', '/engine.io/'];
  if (sc.binary) a.push('--binary');
  if (serverPid) a.push('--server-pid', String(serverPid));
  return a;
}


function measure(o, bin, srv, port, sc, seconds, logFile) {
  return measureLoadgen(o, bin, 'eio_echo_bench', srv, loadgenArgs(sc, port, seconds, srv.pid), logFile, `"${sc.label}"`);
}

// ---------------------------------------------------------------- report

const cmdLine = () => cmdLineOf('bench/eio/run.sh');
const table = (rows) => tableOf(rows, (c) => c >= 1);   // numbers right-aligned

function machineInfo() {
  return machineBase({
    engine_io: packageVersion('engine.io') ?? '?', ws: packageVersion('ws') ?? '?',
    bufferutil: packageVersion('bufferutil'), utf8_validate: packageVersion('utf-8-validate'),
  });
}

// ---------------------------------------------------------------- main

function howToBuild(o) {
  return `build them first, e.g.:\n` +
    `  meson setup ${o.buildDir} --buildtype=release && ninja -C ${o.buildDir} examples/engineio_echo/engineio_echo bench/loadgen/eio_echo_bench\n` +
    `or point --duet-cmd / --loadgen at binaries built by hand (see bench/loadgen/meson.build for the sources).`;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));

  let duetCmd = o.duetCmd;
  if (!duetCmd) {
    const { hit, tried } = findInBuild(o, path.join('examples', 'engineio_echo', 'engineio_echo'));
    if (!hit) die(`no duet engineio_echo binary at ${tried.join(' or ')}\n${howToBuild(o)}`);
    duetCmd = `${shq(hit)} {port} --ping-interval ${o.pingInterval} --ping-timeout ${o.pingTimeout} --max-payload ${o.maxPayload}`;
  }
  const loadgen = resolveBinary(o, o.loadgen, '--loadgen', path.join('bench', 'loadgen', 'eio_echo_bench'), 'load generator', howToBuild(o));
  const nodeCmd = o.nodeCmd ||
    `${shq(process.execPath)} bench/eio/engineio_server.js {port} --ping-interval ${o.pingInterval} --ping-timeout ${o.pingTimeout} --max-payload ${o.maxPayload}`;

  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'duet-bench-eio-'));
  setLogDir(logDir);
  const lgLog = path.join(logDir, 'loadgen.log');
  const servers = await startServers([
    { key: 'duet', name: 'duet', cmd: duetCmd }, { key: 'node', name: 'engine.io', cmd: nodeCmd }], logDir, o.pin);

  let ok = false;
  try {
    const mi = machineInfo();
    console.log('duet vs engine.io: Engine.IO v4 WebSocket echo benchmark (figures, not a test)');
    console.log(`command  : ${cmdLine()}`);
    console.log(`machine  : ${machineLine(mi)}`);
    console.log(`versions : node ${mi.node}, engine.io ${mi.engine_io}, ws ${mi.ws} (bufferutil ${mi.bufferutil ?? 'not installed'}, utf-8-validate ${mi.utf8_validate ?? 'not installed'})`);
    console.log(`duet     : ${servers[0].srv.cmd}${o.duetCmd ? '   [--duet-cmd override]' : ''}`);
    console.log(`engine.io: NODE_ENV=production ${servers[1].srv.cmd}   (perMessageDeflate off)`);
    console.log(`loadgen  : ${o.pin ? 'taskset -c 1 ' : ''}${relToRoot(loadgen)} ${loadgenArgs(o.scenarioList[0], '<port>', o.duration, '<server pid>').join(' ')}`);
    console.log(`runs     : ${o.duration}s measured per run, ${o.repeat} run(s) per server and scenario, alternating; warm-up ${o.warmup}s per server and scenario; servers ${o.pin ? 'pinned to CPU 0, loadgen to CPU 1' : 'not pinned'}`);
    const note = busyNote(mi);
    if (note) console.log(`note     : ${note}`);
    console.log(`logs     : ${logDir}${o.keepLogs ? '' : ' (removed on success; --keep-logs keeps it)'}`);

    const opens = {};
    for (const s of servers) opens[s.key] = await waitReady(s.srv, s.port);
    checkSameOpen(opens.duet, opens.node, 'engine.io');
    console.log(`checked  : both servers answer the Engine.IO handshake with ${OPEN_KEYS.map((k) => `${k} ${opens.duet[k]}`).join(', ')}`);

    const results = [];
    for (const sc of o.scenarioList) {
      if (o.warmup > 0) {
        process.stdout.write(`warm-up  : ${sc.label}, ${o.warmup}s per server ...`);
        for (const s of servers) await measure(o, loadgen, s.srv, s.port, sc, o.warmup, lgLog);
        process.stdout.write(' done (every echo checked)\n');
      }
      const runs = { duet: [], node: [] };
      for (let r = 0; r < o.repeat; r++) {
        for (const s of servers) {
          process.stdout.write(`running  : ${sc.label.padEnd(24)} ${s.key.padEnd(5)}${o.repeat > 1 ? ` #${r + 1}` : ''} ...`);
          const x = await measure(o, loadgen, s.srv, s.port, sc, o.duration, lgLog);
          runs[s.key].push(x);
          process.stdout.write(` ${fmtRate(x.msgs_per_s)} msg/s, p50 ${fmtLat(x.latency_us.p50)}, p99 ${fmtLat(x.latency_us.p99)}, cpu: server ${fmtPct(x.server_cpu_pct)}, loadgen ${fmtPct(x.loadgen_cpu_pct)}, other ${fmtPct(x.other_cpu_pct)}\n`);
        }
      }
      const key = (x) => x.msgs_per_s;
      const row = { scenario: sc.label, ...sc, duet: pick(runs.duet, key), node: pick(runs.node, key), runs };
      row.ratio = row.duet.msgs_per_s / row.node.msgs_per_s;
      results.push(row);
    }

    const threads = Object.fromEntries(servers.map((s) => [s.key, threadCount(s.srv.pid)]));
    const rss = Object.fromEntries(servers.map((s) => [s.key, maxRssMiB(s.srv.pid)]));
    // The generator near a full core while the server has CPU to spare: the client set
    // the rate, so the figure is a lower bound for this server.
    const flag = (x) => (x.loadgen_cpu_pct >= 90 && x.server_cpu_pct != null && x.server_cpu_pct < 90 ? '*' : '');
    const rows = [['scenario', 'duet msg/s', 'node msg/s', 'duet/node', 'duet p50/p99', 'node p50/p99',
      'duet cpu', 'node cpu', 'loadgen cpu d/n', 'other cpu d/n']];
    for (const r of results) {
      const d = r.duet;
      const n = r.node;
      const rate = (x) => x.msgs_per_s;
      rows.push([r.scenario, fmtRate(d.msgs_per_s) + flag(d) + range(r.runs.duet, rate, fmtRate), fmtRate(n.msgs_per_s) + flag(n) + range(r.runs.node, rate, fmtRate),
        `${r.ratio.toFixed(2)}x`,
        `${fmtLat(d.latency_us.p50)} / ${fmtLat(d.latency_us.p99)}`,
        `${fmtLat(n.latency_us.p50)} / ${fmtLat(n.latency_us.p99)}`,
        fmtPct(d.server_cpu_pct), fmtPct(n.server_cpu_pct),
        `${fmtPct(d.loadgen_cpu_pct)} / ${fmtPct(n.loadgen_cpu_pct)}`,
        `${fmtPct(d.other_cpu_pct)} / ${fmtPct(n.other_cpu_pct)}`]);
    }
    console.log('');
    console.log(table(rows));
    console.log('');
    console.log(`Each run: every session keeps p<K> messages in flight for ${o.duration}s over one WebSocket on 127.0.0.1; msg/s counts echoes received in the window.` +
      (o.repeat > 1 ? ` With --repeat ${o.repeat}, the median run is shown and the range of all runs in parentheses.` : ''));
    console.log('Latency: from queueing a message in the load generator to reading its echo (includes the generator\'s own queueing), log buckets with <1% error.');
    console.log('CPU columns: the share of one core used during the measured window (100% = one core) by the server, by the load generator (one thread), and by' +
      ' everything else on the machine ("other" is other users\' load, which makes the figures noisy).');
    console.log(`server threads at the end: duet ${threads.duet ?? '?'}, engine.io ${threads.node ?? '?'} (Node's count includes its libuv and V8 helper threads);` +
      ` peak RSS: duet ${rss.duet == null ? '?' : rss.duet.toFixed(1)} MiB, engine.io ${rss.node == null ? '?' : rss.node.toFixed(1)} MiB.`);
    if (rows.some((r) => r[1].includes('*') || r[2].includes('*'))) {
      console.log('* the load generator used about a full core while the server did not, so the client was probably the limit and the figure is a lower bound.');
    }
    console.log(`Every echo of every run${o.warmup > 0 ? ' (warm-ups included)' : ''} was checked (frame type, size, bytes): none mismatched or was lost.`);
    console.log(`loadavg after: ${loadavg()}`);

    if (o.json) {
      fs.writeFileSync(o.json, JSON.stringify({
        date: new Date().toISOString(), command: cmdLine(), machine: mi,
        options: { ...o, duetCmd: servers[0].srv.cmd, nodeCmd: servers[1].srv.cmd, loadgen },
        open_packets: opens, server_threads: threads, server_peak_rss_mib: rss, results,
      }, null, 2) + '\n');
      console.log(`json     : ${o.json}`);
    }
    ok = true;
  } finally {
    for (const s of servers) await stopServer(s.srv);
    finishLogs(ok, o.keepLogs, logDir);
  }
}

runMain('bench/eio', 'the servers and the load generator', main);
