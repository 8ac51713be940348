'use strict';
// bench/common.js: the helpers that bench/http/run.js, bench/eio/run.js and
// bench/sio/run.js share: option parsing, child processes (servers and load generators,
// killed on every way out), CPU and memory figures from /proc, free ports, HTTP probes,
// readiness checks, formatting, the report's table, machine information, and the
// main()/signal wiring. What is particular to one harness stays in its run.js.

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

// An error that ends the run with its message only (no stack).
function die(msg) {
  const e = new Error(msg);
  e.fatal = true;
  throw e;
}

// ---------------------------------------------------------------- options

function int(name, v, min) {
  if (!/^\d+$/.test(v ?? '') || Number(v) < min) die(`${name} needs an integer >= ${min}, got ${JSON.stringify(v)}`);
  return Number(v);
}
function dec(name, v, min) {
  if (!/^\d+(\.\d+)?$/.test(v ?? '') || Number(v) < min) die(`${name} needs a number >= ${min}, got ${JSON.stringify(v)}`);
  return Number(v);
}

// Calls handle(name, val) for every option in argv ("--name value" or "--name=value");
// val() takes the option's value. An option that handle does not know (it returns false)
// may be one that every harness has: -h/--help (prints usage()), --pin, --json FILE,
// --keep-logs and --duet-cmd CMD, set in o; any other ends the run with a pointer to
// `<script> --help`.
function eachOption(argv, script, o, usage, handle) {
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    const val = () => (v !== undefined ? v : (i + 1 < argv.length ? argv[++i] : die(`${a} needs a value`)));
    if (handle(a, val) !== false) continue;
    switch (a) {
      case '--pin': o.pin = true; break;
      case '--json': o.json = val(); break;
      case '--keep-logs': o.keepLogs = true; break;
      case '--duet-cmd': o.duetCmd = val(); break;
      case '-h': case '--help': console.log(usage()); process.exit(0); break;
      default: die(`unknown option ${a} (see ${script} --help)`);
    }
  }
}

// The options that the Engine.IO and Socket.IO harnesses give both servers, and the
// command that replaces the Node side; false for any other option.
function nodeServerOption(o, a, val) {
  switch (a) {
    case '--ping-interval': o.pingInterval = int(a, val(), 1); break;
    case '--ping-timeout': o.pingTimeout = int(a, val(), 1); break;
    case '--max-payload': o.maxPayload = int(a, val(), 1); break;
    case '--node-cmd': o.nodeCmd = val(); break;
    default: return false;
  }
  return true;
}

// ---------------------------------------------------------------- processes

const children = new Set();   // live child processes, killed on every way out
let logDirForSignal = null;
const setLogDir = (dir) => { logDirForSignal = dir; };

let clkTck = null;
function CLK_TCK() {
  if (clkTck == null) {
    try { clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100; } catch { clkTck = 100; }
  }
  return clkTck;
}

// /proc/<pid>/stat fields after "(comm)": [0]=state (field 3) ... utime=14, stime=15,
// cutime=16, cstime=17 (1-based field numbers, from proc(5)).
function statFields(line) {
  return line.slice(line.lastIndexOf(')') + 2).trim().split(/\s+/);
}
function cpuSeconds(pid) {   // user+system CPU of every thread of the process
  const f = statFields(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return (Number(f[14 - 3]) + Number(f[15 - 3])) / CLK_TCK();
}
// A number field of /proc/<pid>/status (Threads, VmHWM in kB, ...), or null.
function procStatus(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch { return null; }
}
const threadCount = (pid) => procStatus(pid, 'Threads');

// `pin`: false, true (CPU 0) or a taskset CPU list such as "0-1".
function startServer(name, shellCmd, logFile, pin) {
  const out = fs.openSync(logFile, 'a');
  // With exec, the pid we get is the server's own pid (taskset execs as well).
  const argv = [...(pin ? ['taskset', '-c', pin === true ? '0' : String(pin)] : []), 'sh', '-c', `exec ${shellCmd}`];
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

// Starts each server of specs ({ key, name, cmd } with {port} in cmd) on a free port, with
// its output in <logDir>/<key>.log; returns [{ key, port, srv }].
async function startServers(specs, logDir, pin) {
  const ports = await freePorts(specs.length);
  return specs.map((s, i) => ({
    key: s.key, port: ports[i],
    srv: startServer(s.name, s.cmd.replaceAll('{port}', String(ports[i])), path.join(logDir, `${s.key}.log`), pin),
  }));
}

function logTail(file, n = 20) {
  try { return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n'); } catch { return '(no log)'; }
}

function assertAlive(srv, when) {
  if (srv.exited) die(`${srv.name} server died ${when} (${srv.exited}). Command: ${srv.cmd}\n--- ${srv.logFile} ---\n${logTail(srv.logFile)}`);
}

async function stopServer(srv, killAfterMs = 2000) {
  if (!srv || srv.exited) return;
  const gone = new Promise((r) => srv.child.once('exit', r));
  srv.child.kill('SIGTERM');
  const t = setTimeout(() => { if (!srv.exited) srv.child.kill('SIGKILL'); }, killAfterMs);
  await gone;
  clearTimeout(t);
}

// A child with .group set was spawned detached: its whole process group is killed.
function killAllSync() {
  for (const c of children) {
    try { if (c.group) process.kill(-c.pid, 'SIGKILL'); else c.kill('SIGKILL'); } catch { /* already gone */ }
  }
}

// Runs a load generator (bin args...) that prints `RESULT {json}` with ok: true on success;
// `name` is how the command is shown in the log and in errors.
function runLoadgen(o, bin, name, args, logFile) {
  const argv = [...(o.pin ? ['taskset', '-c', '1'] : []), bin, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', (e) => { children.delete(child); reject(e); });
    child.on('close', (code, sig) => {
      children.delete(child);
      const shown = [name, ...args].join(' ');
      fs.appendFileSync(logFile, `$ ${shown}\n${out}${err}\n`);
      const m = /^RESULT (\{.*\})$/m.exec(out);
      let result = null;
      try { result = m ? JSON.parse(m[1]) : null; } catch { /* reported below */ }
      if (code !== 0 || !result || !result.ok) {
        const e = new Error(`the load generator failed (${sig ? `signal ${sig}` : `exit code ${code}`}):\n$ ${shown}\n${err}${out}`.trimEnd());
        e.fatal = true;
        return reject(e);
      }
      resolve(result);
    });
  });
}

// One load generator run against srv, which must be alive before and after it.
async function measureLoadgen(o, bin, name, srv, args, logFile, label) {
  assertAlive(srv, 'before a run');
  const r = await runLoadgen(o, bin, name, args, logFile);
  assertAlive(srv, `during the ${label} run`);
  return r;
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

function httpRequest(port, method, p, body, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const headers = body == null ? {} : { 'content-type': 'text/plain;charset=UTF-8', 'content-length': Buffer.byteLength(body) };
    const req = http.request({ host: '127.0.0.1', port, method, path: p, agent: false, timeout: timeoutMs, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Calls probe() every 100 ms until it resolves (its value is returned) or the time is up.
// A fatal error from probe ends the wait at once; any other counts as "not yet".
async function waitReady(srv, port, probe, timeoutMs = 15000) {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    assertAlive(srv, 'while starting');
    try {
      return await probe();
    } catch (e) {
      if (e.fatal) throw e;
      last = e.message;
    }
    await sleep(100);
  }
  die(`${srv.name} server did not answer on 127.0.0.1:${port} within ${timeoutMs / 1000}s (${last}). Command: ${srv.cmd}\n--- ${srv.logFile} ---\n${logTail(srv.logFile)}`);
}

// Waits for an Engine.IO polling handshake (GET `handshake`) to succeed; returns the open
// packet's JSON, after closing that polling session again.
function waitEioReady(srv, port, handshake) {
  return waitReady(srv, port, async () => {
    const res = await httpRequest(port, 'GET', handshake, null, 1000);
    if (res.status !== 200 || !res.body.startsWith('0{')) {
      die(`${srv.name} server answers the Engine.IO handshake GET ${handshake} with ${res.status} ${JSON.stringify(res.body.slice(0, 200))}, expected 200 "0{...}"`);
    }
    const open = JSON.parse(res.body.slice(1));
    // Close that polling session again, so that it does not wait for its ping timeout.
    try { await httpRequest(port, 'POST', `${handshake}&sid=${encodeURIComponent(open.sid)}`, '1', 1000); } catch { /* not important */ }
    return open;
  });
}

// Ends the run when the two servers' open packets differ in their timing or size limits.
const OPEN_KEYS = ['pingInterval', 'pingTimeout', 'maxPayload'];
function checkSameOpen(duet, node, nodeName) {
  const differ = OPEN_KEYS.filter((k) => duet[k] !== node[k]);
  if (differ.length) {
    die(`the servers are configured differently (${differ.map((k) => `${k}: duet ${duet[k]}, ${nodeName} ${node[k]}`).join('; ')}), so no figures would be comparable`);
  }
}

// ---------------------------------------------------------------- report

const shq = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
const cmdLine = (script) => [script, ...process.argv.slice(2)].map(shq).join(' ');
const fmtRate = (x) => (x == null ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: 0 }));
function fmtLat(us) {
  if (us == null || !Number.isFinite(us)) return '-';
  if (us < 1000) return `${Math.round(us)}us`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)}ms`;
  return `${(us / 1e6).toFixed(2)}s`;
}
const fmtPct = (x) => (x == null ? '-' : `${Math.round(x)}%`);

// rows[0] is the header; right(c) says which columns are right-aligned.
function table(rows, right) {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => r.map((s, c) => (right(c) ? s.padStart(w[c]) : s.padEnd(w[c]))).join('  ').trimEnd();
  return [line(rows[0]), w.map((n) => '-'.repeat(n)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

// The installed version of an npm package, or null. Packages' "exports" may hide their
// package.json, so it is read from the package directory.
function packageVersion(name) {
  try {
    let dir = path.dirname(require.resolve(name, { paths: [ROOT] }));
    for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
        if (pkg.name === name) return pkg.version;
      } catch { /* not here */ }
    }
  } catch { /* not installed */ }
  return null;
}

// The CPU, core count, kernel and Node version, followed by `extra`.
function machineInfo(extra) {
  const cpus = os.cpus();
  return {
    cpu: cpus.length ? cpus[0].model : '?', cores: cpus.length, kernel: `${os.type()} ${os.release()}`,
    node: process.version, ...extra,
  };
}

const loadavg = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
// "<cpu>, <n> cores, <kernel>; loadavg before: ..." for the header's machine line.
const machineLine = (mi) => `${mi.cpu}, ${mi.cores} cores, ${mi.kernel}; loadavg before: ${loadavg()}`;
// A warning when other work already loads the machine, or null.
function busyNote(mi) {
  const load0 = Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  return load0 >= 0.5 ? `the 1-minute load average is already ${load0}, so other work shares these ${mi.cores} cores and the figures will be noisy` : null;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[(s.length - 1) >> 1]; };
// The run with the median key figure, and the range of that figure over all runs.
function pick(runs, key) {
  const m = median(runs.map(key));
  return runs.find((x) => key(x) === m);
}
function range(runs, key, fmt) {
  if (runs.length < 2) return '';
  const xs = runs.map(key);
  return ` (${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))})`;
}

// ---------------------------------------------------------------- main

// A file under the build directory: tried from the current directory, then from ROOT.
function findInBuild(o, rel) {
  const cands = path.isAbsolute(o.buildDir) ? [o.buildDir] : [...new Set([path.resolve(o.buildDir), path.resolve(ROOT, o.buildDir)])];
  const hit = cands.map((d) => path.join(d, rel)).find((f) => fs.existsSync(f));
  return { hit, tried: cands.map((d) => path.join(d, rel)) };
}

// A binary: `given` (named `givenLabel` in errors) when set, else <build-dir>/<rel>;
// ends the run with `howTo` when it is not there.
function resolveBinary(o, given, givenLabel, rel, what, howTo) {
  if (given) {
    const p = path.resolve(given);
    if (!fs.existsSync(p)) die(`${givenLabel} ${given}: no such file`);
    return p;
  }
  const { hit, tried } = findInBuild(o, rel);
  if (!hit) die(`no ${what} at ${tried.join(' or ')}\n${howTo}`);
  return hit;
}

const relToRoot = (p) => (p.startsWith(ROOT + path.sep) ? path.relative(ROOT, p) : p);

// Removes the log directory after a good run; keeps it, and says so, after a failed one.
function finishLogs(ok, keepLogs, logDir) {
  if (ok && !keepLogs) fs.rmSync(logDir, { recursive: true, force: true });
  else if (!ok) console.error(`logs kept in ${logDir}`);
}

// Runs main(), killing every child on every way out; `tag` prefixes the error message and
// `stopped` names what an interruption stops.
function runMain(tag, stopped, main) {
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      console.error(`\ninterrupted by ${sig}: ${stopped} are stopped${logDirForSignal ? `; logs kept in ${logDirForSignal}` : ''}`);
      killAllSync();
      process.exit(130);
    });
  }
  main().catch((e) => {
    console.error(`\n${tag}: ${e.fatal ? e.message : (e.stack || e)}`);
    killAllSync();
    process.exit(1);
  });
}

module.exports = {
  ROOT, die, int, dec, eachOption, nodeServerOption,
  children, setLogDir, CLK_TCK, statFields, cpuSeconds, procStatus, threadCount,
  startServer, startServers, logTail, assertAlive, stopServer, killAllSync, runLoadgen, measureLoadgen,
  freePorts, httpRequest, sleep, waitReady, waitEioReady, OPEN_KEYS, checkSameOpen,
  shq, cmdLine, fmtRate, fmtLat, fmtPct, table, packageVersion, machineInfo, loadavg, machineLine, busyNote,
  median, pick, range, findInBuild, resolveBinary, relToRoot, finishLogs, runMain,
};
