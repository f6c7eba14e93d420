/**
 * `bun run dev`: the API server and the web app's dev server, side by side.
 *
 * Why two processes: Bun cannot compile Solid's JSX (it needs babel-preset-solid, which vite-plugin-solid runs),
 * so in development the web app is served by Vite (with hot reload, proxying /api, /health, /ready and /ws to the
 * API; see web/vite.config.ts) while the API runs under `bun --watch`, which restarts it when a file changes.
 * Open the Vite URL it prints (http://localhost:5173).
 *
 * Why they live and die together: a half-running setup (API gone, Vite still answering with proxy errors, or an
 * orphaned server holding the port) is confusing. So when either child exits, or this script gets SIGINT/SIGTERM,
 * both children are stopped and this script exits with the first child's exit code.
 */
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const bun = process.execPath;
// The browser is on Vite's origin: the API must take it as its public URL, or it refuses the cookie-authenticated
// WebSocket (its Origin is not PUBLIC_URL) and mails link to the API's own port.
const apiEnv = { ...process.env, PUBLIC_URL: process.env.PUBLIC_URL ?? "http://localhost:5173" };

const children = [
  // The API keeps stdin closed so only Vite reads the keyboard (its `r`, `o`, `q` shortcuts).
  {
    name: "api",
    proc: Bun.spawn([bun, "--watch", "src/main.ts"], { cwd: root, env: apiEnv, stdio: ["ignore", "inherit", "inherit"] }),
  },
  // `bun x --bun vite` is `bunx --bun vite`, spelled with the running Bun so PATH does not matter.
  {
    name: "web",
    proc: Bun.spawn([bun, "x", "--bun", "vite"], { cwd: join(root, "web"), stdio: ["inherit", "inherit", "inherit"] }),
  },
];

let stopping = false;
let exitCode = 0;

function stopAll(reason: string, code: number) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  console.log(`\n[dev] ${reason}; stopping the API and the web dev server`);
  for (const { proc } of children) if (proc.exitCode === null) proc.kill("SIGTERM");
  // A child that ignores SIGTERM (the API drains for up to 10 s) is killed outright after 15 s.
  setTimeout(() => {
    for (const { proc } of children) if (proc.exitCode === null) proc.kill("SIGKILL");
  }, 15_000).unref();
}

process.on("SIGINT", () => stopAll("SIGINT", 130));
process.on("SIGTERM", () => stopAll("SIGTERM", 143));

for (const { name, proc } of children) {
  proc.exited.then((code) => stopAll(`${name} exited with code ${code}`, code));
}

await Promise.all(children.map(({ proc }) => proc.exited));
process.exit(exitCode);
