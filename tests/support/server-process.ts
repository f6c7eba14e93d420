/** Runs the real server (`bun run src/main.ts`) as a child process, the way an operator starts it. */
import { type Subprocess, spawn } from "bun";

export type ServerProcess = {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  url: string;
  lines: Record<string, unknown>[];
  /** Resolves with the first log line matching `predicate` (already seen or still to come). */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number>;
};

const ROOT = new URL("../..", import.meta.url).pathname;

/** Servers still running when a test file ends (a failed test never reached stop) are killed then. */
export const runningServers = new Set<Subprocess>();

export async function startServer(env: Record<string, string>, bootMs = 30_000): Promise<ServerProcess> {
  // --no-env-file: a developer's .env must not change the server a test starts.
  const proc = spawn(["bun", "--no-env-file", "src/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "info",
      ...env,
    },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  runningServers.add(proc);
  void proc.exited.then(() => runningServers.delete(proc));
  const lines: Record<string, unknown>[] = [];
  const waiters: { predicate: (line: Record<string, unknown>) => boolean; resolve(line: Record<string, unknown>): void }[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of proc.stdout) {
      buffer += decoder.decode(chunk);
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const text = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
        try {
          const line = JSON.parse(text);
          lines.push(line);
          for (const waiter of waiters.filter((w) => w.predicate(line))) waiter.resolve(line);
        } catch {
          // The web build prints plain text; only JSON log lines matter here.
        }
      }
    }
  })();
  const waitForLog = (predicate: (line: Record<string, unknown>) => boolean, ms = 10_000) => {
    const seen = lines.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        async () => reject(new Error(`no matching log line within ${ms} ms; stderr: ${await new Response(proc.stderr).text()}`)),
        ms,
      );
      waiters.push({
        predicate,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  };
  const listening = await waitForLog((line) => line.msg === "listening", bootMs);
  return {
    proc,
    url: `http://127.0.0.1:${listening.port}`,
    lines,
    waitForLog,
    async stop(signal = "SIGTERM") {
      proc.kill(signal);
      return proc.exited;
    },
  };
}
