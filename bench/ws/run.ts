/**
 * `bun run bench:ws`: CryptoVault (through Redis), a bare Bun broadcast server and a Socket.IO 4 server
 * on Node, each with 1,000, 5,000 and 10,000 clients. Server on core 0, load generator on core 1.
 * Everything is on 127.0.0.1; each scenario is bounded in time.
 */
import { readFileSync } from "node:fs";

const SIZES = (process.env.BENCH_CLIENTS ?? "1000,5000,10000").split(",").map(Number);
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 10_000);
const SCENARIO_TIMEOUT_MS = 240_000;
const here = new URL(".", import.meta.url).pathname;

const ALL_SERVERS = {
  cryptovault: ["bun", "run", `${here}cryptovault-server.ts`],
  "bare-bun": ["bun", "run", `${here}bun-server.ts`],
  socketio: ["node", `${here}socketio-server.mjs`],
} as const;
/** BENCH_SERVERS=cryptovault,socketio runs a subset. */
const only = process.env.BENCH_SERVERS?.split(",");
const SERVERS = Object.fromEntries(Object.entries(ALL_SERVERS).filter(([name]) => !only || only.includes(name)));

const rssMb = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
  return line ? Math.round(Number(line[1]) / 102.4) / 10 : null;
};

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return text.split("\n")[0];
}

type Result = {
  server: string;
  clients: number;
  messagesPerSecond: number;
  p50: number | null;
  p99: number | null;
  rssMb: number | null;
};
const results: Result[] = [];

for (const clients of SIZES) {
  for (const [name, command] of Object.entries(SERVERS)) {
    const server = Bun.spawn(["taskset", "-c", "0", ...command], { stdout: "pipe", stderr: "inherit" });
    const { port } = JSON.parse(await firstLine(server.stdout));
    const load = Bun.spawn(
      [
        "taskset",
        "-c",
        "1",
        "bun",
        "run",
        `${here}load.ts`,
        name === "socketio" ? "socketio" : name,
        String(port),
        String(clients),
        String(MEASURE_MS),
      ],
      {
        stdout: "pipe",
        stderr: "inherit",
      },
    );
    const timer = setTimeout(() => load.kill(), SCENARIO_TIMEOUT_MS);
    const output = await new Response(load.stdout).text();
    clearTimeout(timer);
    const rss = rssMb(server.pid);
    server.kill();
    await server.exited;
    try {
      const measured = JSON.parse(output.trim().split("\n").at(-1) as string);
      results.push({
        server: name,
        clients,
        messagesPerSecond: measured.messagesPerSecond,
        p50: measured.p50,
        p99: measured.p99,
        rssMb: rss,
      });
      console.log(JSON.stringify({ server: name, ...measured, serverRssMb: rss }));
    } catch {
      console.log(JSON.stringify({ server: name, clients, failed: output.slice(0, 300) }));
    }
  }
}

console.log("\nserver        clients  msgs/s     p50 ms  p99 ms  server RSS MB");
for (const r of results) {
  console.log(
    `${r.server.padEnd(13)} ${String(r.clients).padStart(7)}  ${String(r.messagesPerSecond).padStart(9)}  ${String(r.p50).padStart(6)}  ${String(r.p99).padStart(6)}  ${String(r.rssMb).padStart(8)}`,
  );
}
for (const clients of SIZES) {
  const ours = results.find((r) => r.server === "cryptovault" && r.clients === clients);
  const bare = results.find((r) => r.server === "bare-bun" && r.clients === clients);
  if (ours && bare)
    console.log(`${clients} clients: CryptoVault / bare Bun = ${(ours.messagesPerSecond / bare.messagesPerSecond).toFixed(3)}`);
}
