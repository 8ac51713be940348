// tests/interop/server_process.mjs — starting a test server process for the Node suites.
//
// startServer(file, args, options) spawns the process, waits for its listening line
// and resolves with { port, match, child, exited, died(), alive(), stderr(), stop() }.
// A process that exits before listening, or does not print within `timeoutMs`,
// rejects. Every process still running when Node exits is killed.
// Options (besides child_process.spawn's own): `listening`, the RegExp whose first
// group is the port (default /listening (\d+)/; `match` holds the whole match);
// `stopSignal` ("SIGKILL", or "SIGTERM" for a graceful stop that must end within
// `stopTimeoutMs`, else SIGKILL); `captureStderr` (keep stderr for stderr() instead
// of passing it through).
//
// Also: freePort() (a loopback port nobody listens on now), canConnect(port), and
// startRedis(port?) — a redis-server without persistence on a free (or the given)
// port, resolved with { port, child } once it accepts connections.
import { spawn } from "node:child_process";
import { createServer, connect } from "node:net";

const children = new Set();
process.on("exit", () => {
    for (const c of children) c.kill("SIGKILL");
});

export async function startServer(
    file,
    args,
    { timeoutMs = 10000, listening = /listening (\d+)/, stopSignal = "SIGKILL", stopTimeoutMs = 3000, captureStderr = false, ...options } = {},
) {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", captureStderr ? "pipe" : "inherit"], ...options });
    children.add(child);
    let stderr = "";
    if (captureStderr) child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise((resolve) =>
        child.once("exit", (code, signal) => {
            children.delete(child);
            resolve({ code, signal });
        }),
    );
    const alive = () => child.exitCode === null && child.signalCode === null;
    let out = "";
    let timer;
    try {
        const match = await new Promise((resolve, reject) => {
            timer = setTimeout(() => reject(new Error(`${file} did not print its listening line within ${timeoutMs} ms`)), timeoutMs);
            child.stdout.setEncoding("utf8");
            child.stdout.on("data", (d) => {
                out += d;
                const m = listening.exec(out);
                if (m) resolve(m);
            });
            child.once("error", reject);
            child.once("exit", (code, sig) => reject(new Error(`${file} exited (${code ?? sig}) before listening: ${out} ${stderr}`)));
        });
        return {
            port: Number(match[1]),
            match,
            child,
            exited,
            alive,
            // True when the process ended by itself (a crash) before stop().
            died: () => !alive(),
            stderr: () => stderr,
            async stop() {
                if (!alive()) return;
                child.kill(stopSignal);
                if (stopSignal !== "SIGKILL") {
                    const late = new Promise((resolve) => setTimeout(resolve, stopTimeoutMs, "late"));
                    if ((await Promise.race([exited, late])) === "late") child.kill("SIGKILL");
                }
                await exited;
            },
        };
    } catch (e) {
        child.kill("SIGKILL");
        children.delete(child);
        throw e;
    } finally {
        clearTimeout(timer);
    }
}

export function freePort() {
    return new Promise((resolve, reject) => {
        const s = createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

export function canConnect(port) {
    return new Promise((resolve) => {
        const c = connect(port, "127.0.0.1", () => {
            c.end();
            resolve(true);
        });
        c.on("error", () => resolve(false));
    });
}

export async function startRedis(port) {
    port ??= await freePort();
    const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    children.add(child);
    child.once("exit", () => children.delete(child));
    for (let i = 0; i < 100; i++) {
        if (await canConnect(port)) return { port, child };
        await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    throw new Error("redis-server did not start");
}
