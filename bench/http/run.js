#!/usr/bin/env node
'use strict';
// bench/http/run.js: the duet hello example against a reference Express 5 app, measured
// with wrk. Start it through bench/http/run.sh, and see usage() below or run --help.
//
// What it does:
//  1. It starts <build-dir>/examples/hello/hello <port> (duet) and
//     `node bench/http/express_app.js <port>` (Express) on free 127.0.0.1 ports.
//  2. It waits until each server answers, then checks every route's status, media
//     type, and body. Any mismatch ends the run with an error.
//  3. Before each mode's measured runs, it gives each server a short unmeasured wrk run
//     on each route, so that V8 has optimised the JavaScript for that load.
//  4. For each mode (no pipelining, then pipelining depth N) and each route, it runs
//     wrk with the same -t/-c/-d on duet and then on Express, alternating the two.
//     Each run reads the server's CPU time from /proc/<pid>/stat before and after,
//     and reads wrk's own CPU time too. A row where the server is well under one core
//     while wrk is near one core shows a client-bound result.
//  5. It prints a table of req/s, the duet/Express ratio, p50/p99 latency, and CPU use,
//     and it stops both servers on every way out.
//
// A hidden testing option, kept because it is useful:
//   --duet-cmd "<shell command with {port}>"
//     runs that command on the duet side instead of the hello binary. The command runs
//     from the repository root under `sh -c "exec ..."`, so the pid that is measured is
//     the server's own pid. For example, to test the harness with Express on both sides:
//       bench/http/run.sh --duet-cmd "node bench/http/express_app.js {port}" --duration 3
//   --express-cmd "<command with {port}>" replaces the Express side in the same way.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  ROOT, die, int, eachOption, children, setLogDir, CLK_TCK, statFields, cpuSeconds, threadCount,
  startServers, assertAlive, stopServer, httpRequest, waitReady: waitUntil, cmdLine: cmdLineOf,
  fmtRate: fmtRps, fmtLat, fmtPct, table: tableOf, packageVersion, machineInfo: machineBase, loadavg,
  machineLine, busyNote, findInBuild, finishLogs, runMain,
} = require('../common');

const HERE = __dirname;
const LUA = path.join(HERE, 'pipeline.lua');

const ROUTES = {
  plaintext: { path: '/plaintext', type: 'text/plain', body: 'Hello, World!' },
  json: { path: '/json', type: 'application/json', body: '{"message":"Hello, World!"}' },
  users: { path: '/users/42', type: 'application/json', body: '{"id":42,"name":"user42"}' },
};

function usage() {
  return `usage: bench/http/run.sh [options]

  --build-dir DIR     Meson build directory that holds examples/hello/hello
                      (default: build-release; a relative path is tried from the
                      current directory and then from the repository root)
  --duration SEC      the length of each measured wrk run, in seconds (default 10)
  --connections N     wrk -c (default 64)
  --threads N         wrk -t (default 1)
  --pipeline N        the HTTP/1.1 pipelining depth for the second pass; 1 or 0
                      skips that pass (default 16)
  --routes LIST       a comma-separated subset of plaintext,json,users (default: all)
  --warmup SEC        an unmeasured wrk run per server, route and mode before the
                      measured runs of that mode, 0 for none (default 2)
  --pin               runs the servers under taskset -c 0 and wrk under taskset -c 1
  --json FILE         also writes every figure to FILE as JSON
  --raw-latency       shows latency as measured in the table, with no coordinated-
                      omission correction (the default is wrk's corrected figures, with
                      one sample per pipelined batch; --json always holds both)
  --keep-logs         keeps the temporary directory of server and wrk logs
  -h, --help          shows this help

duet runs one thread, and Node runs JavaScript on one thread. Both listen on 127.0.0.1
only. The command prints figures and ratios and is not a pass/fail test. It fails only
when a server does not start, answers a route wrongly, or dies during a run.`;
}

function parseArgs(argv) {
  const o = {
    buildDir: 'build-release', duration: 10, connections: 64, threads: 1, pipeline: 16,
    routes: Object.keys(ROUTES), warmup: 2, pin: false, json: null, keepLogs: false, rawLatency: false,
    duetCmd: null, expressCmd: null,
  };
  eachOption(argv, 'bench/http/run.sh', o, usage, (a, val) => {
    switch (a) {
      case '--build-dir': o.buildDir = val(); break;
      case '--duration': o.duration = int(a, val(), 1); break;
      case '--connections': o.connections = int(a, val(), 1); break;
      case '--threads': o.threads = int(a, val(), 1); break;
      case '--pipeline': o.pipeline = int(a, val(), 0); break;
      case '--warmup': o.warmup = int(a, val(), 0); break;
      case '--routes': {
        const list = val().split(',').map((s) => s.trim()).filter(Boolean);
        for (const r of list) if (!ROUTES[r]) die(`unknown route "${r}" (known: ${Object.keys(ROUTES).join(', ')})`);
        if (!list.length) die('--routes is empty');
        o.routes = [...new Set(list)];
        break;
      }
      case '--raw-latency': o.rawLatency = true; break;
      case '--express-cmd': o.expressCmd = val(); break;
      default: return false;
    }
    return true;
  });
  if (o.connections < o.threads) die('--connections must be >= --threads');
  return o;
}

// ---------------------------------------------------------------- processes and network
// (the shared ones are in bench/common.js)

function machineBusySeconds() {   // every CPU's non-idle time, from /proc/stat
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);   // user..steal; guest is inside user
  return (total - f[3] - f[4]) / CLK_TCK();                 // minus idle and iowait
}

const httpGet = (port, p, timeoutMs = 2000) => httpRequest(port, 'GET', p, null, timeoutMs);

// Waits until GET /plaintext answers at all (verify() checks what it answers).
async function waitReady(srv, port) {
  await waitUntil(srv, port, () => httpGet(port, '/plaintext', 1000));
}

async function verify(srv, port, routes) {
  const bad = [];
  for (const r of routes) {
    const want = ROUTES[r];
    let res;
    try { res = await httpGet(port, want.path); } catch (e) { bad.push(`GET ${want.path}: ${e.message}`); continue; }
    const type = String(res.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (res.status !== 200) bad.push(`GET ${want.path}: status ${res.status}, expected 200`);
    if (type !== want.type) bad.push(`GET ${want.path}: content-type ${JSON.stringify(res.headers['content-type'])}, expected ${want.type}`);
    if (res.body !== want.body) bad.push(`GET ${want.path}: body ${JSON.stringify(res.body)}, expected ${JSON.stringify(want.body)}`);
  }
  if (bad.length) die(`${srv.name} server answers wrongly (so no figures would be comparable):\n  ${bad.join('\n  ')}`);
}

// ---------------------------------------------------------------- wrk

function wrkArgs(o, port, route, depth, seconds) {
  return ['-t', String(o.threads), '-c', String(o.connections), '-d', `${seconds}s`,
    '-s', LUA, `http://127.0.0.1:${port}${ROUTES[route].path}`, '--', String(depth), String(o.connections)];
}

// Runs wrk through sh. After wrk exits, the shell prints its own /proc stat line, whose
// cutime/cstime hold the CPU time of the waited-for child, which is wrk itself.
function runWrk(o, args, logFile) {
  const script = 'wrk "$@"; s=$?; echo "WRK_CHILDSTAT $(cat /proc/$$/stat)"; exit $s';
  const argv = [...(o.pin ? ['taskset', '-c', '1'] : []), 'sh', '-c', script, 'sh', ...args];
  return new Promise((resolve, reject) => {
    // detached: its own process group, so that killAllSync() stops sh and wrk together
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.group = true;
    children.add(child);
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', (e) => { children.delete(child); reject(e); });
    child.on('close', (code) => {
      children.delete(child);
      fs.appendFileSync(logFile, `$ wrk ${args.join(' ')}\n${out}\n`);
      const m = /^WRK_RESULT (\{.*\})$/m.exec(out);
      if (code !== 0 || !m) return reject(new Error(`wrk failed (exit ${code}):\n$ wrk ${args.join(' ')}\n${out}`));
      let result;
      try { result = JSON.parse(m[1]); } catch (e) { return reject(new Error(`cannot parse wrk's WRK_RESULT line: ${m[1]}`)); }
      let wrkCpu = null;
      const cs = /^WRK_CHILDSTAT (.*)$/m.exec(out);
      if (cs) {
        const f = statFields(cs[1]);
        wrkCpu = (Number(f[16 - 3]) + Number(f[17 - 3])) / CLK_TCK();
      }
      resolve({ result, wrkCpu });
    });
  });
}

async function measure(o, srv, port, route, depth, seconds, logFile) {
  assertAlive(srv, 'before a run');
  const cpu0 = cpuSeconds(srv.pid);
  const busy0 = machineBusySeconds();
  const t0 = process.hrtime.bigint();
  const { result, wrkCpu } = await runWrk(o, wrkArgs(o, port, route, depth, seconds), logFile);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  assertAlive(srv, `during the ${route} run`);
  const serverCpu = cpuSeconds(srv.pid) - cpu0;
  // What the rest of the machine used meanwhile (other users, this script); the sum
  // of the three lines counts the host's cores at 100% each.
  const otherCpu = Math.max(0, machineBusySeconds() - busy0 - serverCpu - (wrkCpu ?? 0));
  const secs = result.duration_us / 1e6;
  return {
    rps: result.requests / secs, requests: result.requests, seconds: secs,
    bytes: result.bytes, errors: result.errors,
    latency_us: result.latency_us, latency_raw_us: result.latency_raw_us, latency_source: result.latency_source,
    server_cpu_s: serverCpu, wrk_cpu_s: wrkCpu, wall_s: wall,
    server_cpu_pct: (100 * serverCpu) / wall,
    wrk_cpu_pct: wrkCpu == null ? null : (100 * wrkCpu) / wall,
    other_cpu_s: otherCpu, other_cpu_pct: (100 * otherCpu) / wall,
  };
}

// ---------------------------------------------------------------- report

const cmdLine = () => cmdLineOf('bench/http/run.sh');
const errCount = (e) => e.connect + e.read + e.write + e.status + e.timeout;
const table = (rows) => tableOf(rows, (c) => c >= 2);   // numbers right-aligned

function machineInfo() {
  let wrkVersion = '';
  try { execFileSync('wrk', ['-v'], { stdio: 'pipe' }); } catch (e) { wrkVersion = String(e.stdout || '').split('\n')[0]; }
  return machineBase({ express: packageVersion('express') ?? '?', wrk: wrkVersion.replace(/\s+Copyright.*$/, '').trim() });
}

// ---------------------------------------------------------------- main

async function main() {
  const o = parseArgs(process.argv.slice(2));
  try { execFileSync('wrk', ['-v'], { stdio: 'ignore' }); } catch (e) { if (e.code === 'ENOENT') die('wrk is not installed (Debian: apt-get install wrk)'); }

  let duetCmd = o.duetCmd;
  if (!duetCmd) {
    const { hit, tried } = findInBuild(o, path.join('examples', 'hello', 'hello'));
    if (!hit) die(`no duet hello binary at ${tried.join(' or ')}\n` +
      `build it first, e.g.: meson setup ${o.buildDir} --buildtype=release && ninja -C ${o.buildDir} examples/hello/hello`);
    duetCmd = `'${hit.replace(/'/g, `'\\''`)}' {port}`;
  }
  const expressCmd = o.expressCmd || `'${process.execPath}' bench/http/express_app.js {port}`;

  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'duet-bench-http-'));
  setLogDir(logDir);
  const wrkLog = path.join(logDir, 'wrk.log');
  const servers = await startServers([
    { key: 'duet', name: 'duet', cmd: duetCmd }, { key: 'express', name: 'express', cmd: expressCmd }], logDir, o.pin);

  let ok = false;
  try {
    const mi = machineInfo();
    const modes = [{ depth: 1, label: 'no pipelining' }];
    if (o.pipeline > 1) modes.push({ depth: o.pipeline, label: `pipeline ${o.pipeline}` });
    const exampleArgs = wrkArgs(o, '<port>', o.routes[0], modes[modes.length - 1].depth, o.duration)
      .map((a) => (a === LUA ? path.relative(ROOT, LUA) : a));

    console.log('duet vs Express 5: HTTP benchmark (figures, not a test)');
    console.log(`command : ${cmdLine()}`);
    console.log(`machine : ${machineLine(mi)}`);
    console.log(`versions: node ${mi.node}, express ${mi.express}, ${mi.wrk}`);
    console.log(`duet    : ${servers[0].srv.cmd}${o.duetCmd ? '   [--duet-cmd override]' : ''}`);
    console.log(`express : NODE_ENV=production ${servers[1].srv.cmd}`);
    console.log(`wrk     : ${o.pin ? 'taskset -c 1 ' : ''}wrk ${exampleArgs.join(' ')}   (${o.duration}s per run, servers ${o.pin ? 'pinned to CPU 0' : 'not pinned'})`);
    const note = busyNote(mi);
    if (note) console.log(`note    : ${note}`);
    console.log(`logs    : ${logDir}${o.keepLogs ? '' : ' (removed on success; --keep-logs keeps it)'}`);

    for (const s of servers) await waitReady(s.srv, s.port);
    for (const s of servers) await verify(s.srv, s.port, o.routes);
    console.log(`checked : ${o.routes.map((r) => ROUTES[r].path).join(', ')} answer 200 with the expected type and body on both servers`);

    const results = [];
    for (const m of modes) {
      if (o.warmup > 0) {   // per mode: V8 also optimises Node's pipelined-request path
        process.stdout.write(`warm-up : ${m.label}, ${o.warmup}s per server and route ...`);
        for (const r of o.routes) for (const s of servers) await measure(o, s.srv, s.port, r, m.depth, o.warmup, wrkLog);
        process.stdout.write(' done\n');
      }
      for (const r of o.routes) {
        const row = { route: r, path: ROUTES[r].path, mode: m.label, depth: m.depth };
        for (const s of servers) {
          process.stdout.write(`running : ${r.padEnd(9)} ${m.label.padEnd(13)} ${s.key.padEnd(7)} ...`);
          row[s.key] = await measure(o, s.srv, s.port, r, m.depth, o.duration, wrkLog);
          const x = row[s.key];
          process.stdout.write(` ${fmtRps(x.rps)} req/s, cpu: server ${fmtPct(x.server_cpu_pct)}, wrk ${fmtPct(x.wrk_cpu_pct)}, other ${fmtPct(x.other_cpu_pct)}\n`);
        }
        row.ratio = row.duet.rps / row.express.rps;
        results.push(row);
      }
    }

    const threads = Object.fromEntries(servers.map((s) => [s.key, threadCount(s.srv.pid)]));
    const notes = [];
    const flag = (x, key, row) => {
      let f = '';
      if (!/^histogram/.test(x.latency_source)) notes.push(`${key} ${row.route} ${row.mode}: latency from ${x.latency_source}`);
      if (errCount(x.errors)) {
        f += '!';
        notes.push(`! ${key} ${row.route} ${row.mode}: wrk errors ${JSON.stringify(x.errors)} (status: non-2xx/3xx responses; timeout: responses slower than wrk's 2s timeout)`);
      }
      // One wrk thread near a full core while the server has CPU to spare: the client
      // set the rate, so the figure is a lower bound for this server.
      if (x.wrk_cpu_pct != null && x.wrk_cpu_pct >= 90 * o.threads && x.server_cpu_pct < 90) f += '*';
      return f;
    };
    const rows = [['route', 'mode', 'duet req/s', 'express req/s', 'duet/express',
      'duet p50/p99', 'express p50/p99', 'duet cpu', 'express cpu', 'wrk cpu d/e', 'other cpu d/e']];
    const lat = (x) => (o.rawLatency ? x.latency_raw_us : x.latency_us);
    for (const r of results) {
      const d = r.duet;
      const e = r.express;
      rows.push([r.route, r.mode, fmtRps(d.rps) + flag(d, 'duet', r), fmtRps(e.rps) + flag(e, 'express', r),
        `${r.ratio.toFixed(2)}x`,
        `${fmtLat(lat(d).p50)} / ${fmtLat(lat(d).p99)}`,
        `${fmtLat(lat(e).p50)} / ${fmtLat(lat(e).p99)}`,
        fmtPct(d.server_cpu_pct), fmtPct(e.server_cpu_pct), `${fmtPct(d.wrk_cpu_pct)} / ${fmtPct(e.wrk_cpu_pct)}`,
        `${fmtPct(d.other_cpu_pct)} / ${fmtPct(e.other_cpu_pct)}`]);
    }
    console.log('');
    console.log(table(rows));
    console.log('');
    console.log(`wrk -t${o.threads} -c${o.connections} -d${o.duration}s on 127.0.0.1, ${o.pin ? 'servers on CPU 0 and wrk on CPU 1' : 'nothing pinned'};` +
      ` server threads at the end: duet ${threads.duet ?? '?'}, express ${threads.express ?? '?'} (Node's count includes its libuv and V8 helper threads).`);
    console.log('CPU columns: the share of one core used during that server\'s runs (100% = one core) by the server, by wrk, and by' +
      ' everything else on the machine ("other" is other users\' load, which makes the figures noisy).');
    console.log(o.rawLatency
      ? 'Latency is shown as measured (--raw-latency): the time from writing a request, or a pipelined batch, to its last response, with no correction.'
      : 'Latency is wrk\'s, with its coordinated-omission correction' +
        (modes.length > 1 ? `, applied per pipelined batch of ${o.pipeline} (wrk itself miscounts batches; pipeline.lua fixes that).` : '.'));
    if (rows.some((r) => r[2].includes('*') || r[3].includes('*'))) {
      console.log('* wrk used about a full core while the server did not, so the client was probably the limit and the figure is a lower bound.');
    }
    for (const n of notes) console.log(n);
    console.log(`loadavg after: ${loadavg()}`);

    if (o.json) {
      fs.writeFileSync(o.json, JSON.stringify({
        date: new Date().toISOString(), command: cmdLine(),
        machine: mi, options: { ...o, duetCmd: servers[0].srv.cmd, expressCmd: servers[1].srv.cmd },
        server_threads: threads, results,
      }, null, 2) + '\n');
      console.log(`json    : ${o.json}`);
    }
    ok = true;
  } finally {
    for (const s of servers) await stopServer(s.srv);
    finishLogs(ok, o.keepLogs, logDir);
  }
}

runMain('bench/http', 'the servers and wrk', main);
