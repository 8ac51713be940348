// tests/interop/server_process.mjs — starting a test server process for the Node suites.
//
// startServer(file, args) spawns the process, waits for its "listening <port>" line
// and resolves with { port, child, stop() }. A process that exits before listening,
// or does not print within `timeoutMs`, rejects. Every process still running when
// Node exits is killed.
import { spawn } from "node:child_process";

const children = new Set();
process.on("exit", () => {
    for (const c of children) c.kill("SIGKILL");
});

export async function startServer(file, args, { timeoutMs = 10000, ...options } = {}) {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "inherit"], ...options });
    children.add(child);
    const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    let out = "";
    let timer;
    try {
        const port = await new Promise((resolve, reject) => {
            timer = setTimeout(() => reject(new Error(`${file} did not print "listening <port>" within ${timeoutMs} ms`)), timeoutMs);
            child.stdout.setEncoding("utf8");
            child.stdout.on("data", (d) => {
                out += d;
                const m = /listening (\d+)/.exec(out);
                if (m) resolve(Number(m[1]));
            });
            child.once("error", reject);
            child.once("exit", (code, sig) => reject(new Error(`${file} exited (${code ?? sig}) before listening: ${out}`)));
        });
        return {
            port,
            child,
            // True when the process ended by itself (a crash) before stop().
            died: () => child.exitCode !== null || child.signalCode !== null,
            async stop() {
                child.kill("SIGKILL");
                await exited;
                children.delete(child);
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
