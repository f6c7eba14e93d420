/**
 * The built web app at start: a fresh clone has none, so it is built once and `bun run start` is all a developer
 * types. A checkout whose web sources changed after the build (a `git pull`) is told so, since the server serves
 * web/dist as it is; it does not rebuild by itself, because `bun run dev` restarts the API on every change and
 * serves the sources through Vite anyway. The Docker image has no sources beside its build: nothing to compare.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "./platform/observability/logger";

/** The newest modification time under `path` (a file or a directory), in ms. */
function newestChange(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}

export function ensureWebBuilt(webDist: string, logger: Logger) {
  const web = join(webDist, "..");
  const built = join(webDist, "index.html");
  if (!existsSync(join(web, "index.html"))) return;
  if (!existsSync(built)) {
    logger.info("building the web app (web/dist is missing)");
    // The build's own output goes to stderr: stdout is the log, one JSON object per line.
    const build = Bun.spawnSync(["bun", "run", "build"], { stdout: 2, stderr: "inherit" });
    if (!build.success) logger.warn("web build failed; the API is served without the web app");
    return;
  }
  const sources = [join(web, "src"), join(web, "index.html")].filter(existsSync);
  if (Math.max(...sources.map(newestChange)) > statSync(built).mtimeMs) {
    logger.warn("web/dist is older than the web app's sources: run `bun run build` to serve the current app");
  }
}
