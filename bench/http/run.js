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
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const HERE = __dirname;
const ROOT = path.resolve(HERE, '..', '..');
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

function die(msg) {
  const e = new Error(msg);
  e.fatal = true;
  throw e;
}

function parseArgs(argv) {
  const o = {
    buildDir: 'build-release', duration: 10, connections: 64, threads: 1, pipeline: 16,
    routes: Object.keys(ROUTES), warmup: 2, pin: false, json: null, keepLogs: false, rawLatency: false,
    duetCmd: null, expressCmd: null,
  };
  const int = (name, v, min) => {
    if (!/^\d+$/.test(v ?? '') || Number(v) < min) die(`${name} needs an integer >= ${min}, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    const val = () => (v !== undefined ? v : (i + 1 < argv.length ? argv[++i] : die(`${a} needs a value`)));
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
      case '--pin': o.pin = true; break;
      case '--json': o.json = val(); break;
      case '--keep-logs': o.keepLogs = true; break;
      case '--raw-latency': o.rawLatency = true; break;
      case '--duet-cmd': o.duetCmd = val(); break;
      case '--express-cmd': o.expressCmd = val(); break;
      case '-h': case '--help': console.log(usage()); process.exit(0); break;
      default: die(`unknown option ${a} (see bench/http/run.sh --help)`);
    }
  }
  if (o.connections < o.threads) die('--connections must be >= --threads');
  return o;
}

// ---------------------------------------------------------------- processes

const children = new Set();   // live child processes, killed on every way out
let logDirForSignal = null;

function clkTck() {
  try { return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100; } catch { return 100; }
}
const CLK_TCK = clkTck();

// /proc/<pid>/stat fields after "(comm)": [0]=state (field 3) ... utime=14, stime=15,
// cutime=16, cstime=17 (1-based field numbers, from proc(5)).
function procStat(pid) {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).trim().split(/\s+/);
}
function cpuSeconds(pid) {   // user+system CPU of every thread of the process
  const f = procStat(pid);
  return (Number(f[14 - 3]) + Number(f[15 - 3])) / CLK_TCK;
}
function machineBusySeconds() {   // every CPU's non-idle time, from /proc/stat
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);   // user..steal; guest is inside user
  return (total - f[3] - f[4]) / CLK_TCK;                   // minus idle and iowait
}
function threadCount(pid) {
  try {
    const m = /^Threads:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch { return null; }
}

function startServer(name, shellCmd, logFile, pin) {
  const out = fs.openSync(logFile, 'w');
  // With exec, the pid we get is the server's own pid (taskset execs as well).
  const argv = [...(pin ? ['taskset', '-c', '0'] : []), 'sh', '-c', `exec ${shellCmd}`];
  const child = spawn(argv[0], argv.slice(1), {
    cwd: ROOT, stdio: ['ignore', out, out],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  fs.closeSync(out);
  const srv = { name, cmd: shellCmd, child, pid: child.pid, logFile, exited: null };
  children.add(child);
  child.on('exit', (code, sig) => { srv.exited = sig ? `signal ${sig}` : `exit code ${code}`; children.delete(child); });
  child.on('error', (err) => { srv.exited = `spawn error: ${err.message}`; children.delete(child); });
  return srv;
}

function logTail(file, n = 20) {
  try { return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n'); } catch { return '(no log)'; }
}

function assertAlive(srv, when) {
  if (srv.exited) die(`${srv.name} server died ${when} (${srv.exited}). Command: ${srv.cmd}\n--- ${srv.logFile} ---\n${logTail(srv.logFile)}`);
}

async function stopServer(srv) {
  if (srv.exited) return;
  const gone = new Promise((r) => srv.child.once('exit', r));
  srv.child.kill('SIGTERM');
  const t = setTimeout(() => { if (!srv.exited) srv.child.kill('SIGKILL'); }, 2000);
  await gone;
  clearTimeout(t);
}

function killAllSync() {
  for (const c of children) {
    try { if (c.group) process.kill(-c.pid, 'SIGKILL'); else c.kill('SIGKILL'); } catch { /* already gone */ }
  }
}

// ---------------------------------------------------------------- network

function freePorts(n) {
  // Hold every socket open until all n ports are known, so that the ports differ.
  return new Promise((resolve, reject) => {
    const socks = [];
    const ports = [];
    const next = () => {
      if (ports.length === n) {
        let left = socks.length;
        for (const s of socks) s.close(() => { if (--left === 0) resolve(ports); });
        return;
      }
      const s = net.createServer();
      s.on('error', reject);
      s.listen(0, '127.0.0.1', () => { socks.push(s); ports.push(s.address().port); next(); });
    };
    next();
  });
}

function httpGet(port, p, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitReady(srv, port, timeoutMs = 15000) {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    assertAlive(srv, 'while starting');
    try { await httpGet(port, '/plaintext', 1000); return; } catch (e) { last = e.message; }
    await sleep(100);
  }
  die(`${srv.name} server did not answer on 127.0.0.1:${port} within ${timeoutMs / 1000}s (${last}). Command: ${srv.cmd}\n--- ${srv.logFile} ---\n${logTail(srv.logFile)}`);
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
        const f = cs[1].slice(cs[1].lastIndexOf(')') + 2).trim().split(/\s+/);
        wrkCpu = (Number(f[16 - 3]) + Number(f[17 - 3])) / CLK_TCK;
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

const shq = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
const cmdLine = () => ['bench/http/run.sh', ...process.argv.slice(2)].map(shq).join(' ');
const fmtRps = (x) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
function fmtLat(us) {
  if (us == null || !Number.isFinite(us)) return '-';
  if (us < 1000) return `${Math.round(us)}us`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)}ms`;
  return `${(us / 1e6).toFixed(2)}s`;
}
const fmtPct = (x) => (x == null ? '-' : `${Math.round(x)}%`);
const errCount = (e) => e.connect + e.read + e.write + e.status + e.timeout;

function table(rows) {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const right = (c) => c >= 2;   // numbers right-aligned
  const line = (r) => r.map((s, c) => (right(c) ? s.padStart(w[c]) : s.padEnd(w[c]))).join('  ').trimEnd();
  return [line(rows[0]), w.map((n) => '-'.repeat(n)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function machineInfo() {
  const cpus = os.cpus();
  let wrkVersion = '';
  try { execFileSync('wrk', ['-v'], { stdio: 'pipe' }); } catch (e) { wrkVersion = String(e.stdout || '').split('\n')[0]; }
  let expressVersion = '?';
  try { expressVersion = require(require.resolve('express/package.json', { paths: [ROOT] })).version; } catch { /* not found */ }
  return {
    cpu: cpus.length ? cpus[0].model : '?', cores: cpus.length, kernel: `${os.type()} ${os.release()}`,
    node: process.version, express: expressVersion, wrk: wrkVersion.replace(/\s+Copyright.*$/, '').trim(),
  };
}

// ---------------------------------------------------------------- main

async function main() {
  const o = parseArgs(process.argv.slice(2));
  try { execFileSync('wrk', ['-v'], { stdio: 'ignore' }); } catch (e) { if (e.code === 'ENOENT') die('wrk is not installed (Debian: apt-get install wrk)'); }

  let duetCmd = o.duetCmd;
  if (!duetCmd) {
    const cands = path.isAbsolute(o.buildDir) ? [o.buildDir] : [path.resolve(o.buildDir), path.resolve(ROOT, o.buildDir)];
    const bin = cands.map((d) => path.join(d, 'examples', 'hello', 'hello')).find((f) => fs.existsSync(f));
    if (!bin) die(`no duet hello binary at ${cands.map((d) => path.join(d, 'examples/hello/hello')).join(' or ')}\n` +
      `build it first, e.g.: meson setup ${o.buildDir} --buildtype=release && ninja -C ${o.buildDir} examples/hello/hello`);
    duetCmd = `'${bin.replace(/'/g, `'\\''`)}' {port}`;
  }
  const expressCmd = o.expressCmd || `'${process.execPath}' bench/http/express_app.js {port}`;

  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'duet-bench-http-'));
  logDirForSignal = logDir;
  const wrkLog = path.join(logDir, 'wrk.log');
  const [duetPort, expressPort] = await freePorts(2);
  const servers = [
    { key: 'duet', port: duetPort, srv: startServer('duet', duetCmd.replaceAll('{port}', String(duetPort)), path.join(logDir, 'duet.log'), o.pin) },
    { key: 'express', port: expressPort, srv: startServer('express', expressCmd.replaceAll('{port}', String(expressPort)), path.join(logDir, 'express.log'), o.pin) },
  ];

  let ok = false;
  try {
    const mi = machineInfo();
    const modes = [{ depth: 1, label: 'no pipelining' }];
    if (o.pipeline > 1) modes.push({ depth: o.pipeline, label: `pipeline ${o.pipeline}` });
    const exampleArgs = wrkArgs(o, '<port>', o.routes[0], modes[modes.length - 1].depth, o.duration)
      .map((a) => (a === LUA ? path.relative(ROOT, LUA) : a));

    console.log('duet vs Express 5: HTTP benchmark (figures, not a test)');
    console.log(`command : ${cmdLine()}`);
    console.log(`machine : ${mi.cpu}, ${mi.cores} cores, ${mi.kernel}; loadavg before: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
    console.log(`versions: node ${mi.node}, express ${mi.express}, ${mi.wrk}`);
    console.log(`duet    : ${servers[0].srv.cmd}${o.duetCmd ? '   [--duet-cmd override]' : ''}`);
    console.log(`express : NODE_ENV=production ${servers[1].srv.cmd}`);
    console.log(`wrk     : ${o.pin ? 'taskset -c 1 ' : ''}wrk ${exampleArgs.join(' ')}   (${o.duration}s per run, servers ${o.pin ? 'pinned to CPU 0' : 'not pinned'})`);
    const load0 = Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
    if (load0 >= 0.5) console.log(`note    : the 1-minute load average is already ${load0}, so other work shares these ${mi.cores} cores and the figures will be noisy`);
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
    console.log(`loadavg after: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);

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
    if (ok && !o.keepLogs) fs.rmSync(logDir, { recursive: true, force: true });
    else if (!ok) console.error(`logs kept in ${logDir}`);
  }
}

process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\ninterrupted by ${sig}: the servers and wrk are stopped${logDirForSignal ? `; logs kept in ${logDirForSignal}` : ''}`);
    killAllSync();
    process.exit(130);
  });
}

main().catch((e) => {
  console.error(`\nbench/http: ${e.fatal ? e.message : (e.stack || e)}`);
  killAllSync();
  process.exit(1);
});
