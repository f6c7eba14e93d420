import { existsSync } from "node:fs";
import { join, normalize, resolve } from "node:path";
import { Elysia } from "elysia";
import { notFound } from "./errors";

/** Paths the SPA never answers: the API, the socket and the platform endpoints stay JSON. */
const SERVER_PATHS = /^\/(api|ws)(\/|$)/;

/**
 * Serves the built web app. A path that is a file in `distDir` gets that file (hashed assets cached
 * for a year); every other non-API GET gets index.html, so client-side routes survive a reload.
 */
export function spa(distDir: string) {
  const root = resolve(distDir);
  const index = join(root, "index.html");
  return new Elysia({ name: "spa" }).get(
    "/*",
    async ({ path, set }) => {
      if (SERVER_PATHS.test(path) || !existsSync(index)) throw notFound("Route");
      const candidate = normalize(join(root, decodeURIComponent(path)));
      const file = candidate.startsWith(`${root}/`) ? Bun.file(candidate) : undefined;
      if (file && (await file.exists())) {
        set.headers["cache-control"] = path.startsWith("/assets/")
          ? "public, max-age=31536000, immutable"
          : "public, max-age=300";
        return file;
      }
      set.headers["cache-control"] = "no-cache";
      return Bun.file(index);
    },
    { detail: { hide: true } },
  );
}
