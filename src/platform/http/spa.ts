import { existsSync } from "node:fs";
import { join, normalize, resolve } from "node:path";
import { Elysia } from "elysia";
import { notFound } from "./errors";
import { decodeUriComponent } from "./uri";

/** Paths the SPA never answers: the API, the socket and the platform endpoints stay JSON. */
const SERVER_PATHS = /^\/(api|ws)(\/|$)/;

/** The web app's pages (API.md "Web app routes" and the 2FA undo link's, as web/src/routes.ts has them): index.html answers them. */
export const APP_PATHS = [
  "/",
  "/register",
  "/login",
  "/verify-email",
  "/forgot-password",
  "/reset-password",
  "/undo-two-factor",
  "/dashboard",
  "/markets",
  "/markets/:symbol",
  "/trade",
  "/wallet",
  "/send",
  "/history",
  "/security",
  "/admin",
];
const APP_PATH = new RegExp(`^(${APP_PATHS.map((path) => path.replace(":symbol", "[^/]+")).join("|")})/?$`);

/** A browser asking for a page (not a script, an image or an API client): it gets the app's own "not found". */
const wantsPage = (request: Request) => (request.headers.get("accept") ?? "").includes("text/html");

/** The build's precompressed copies (web/precompress.ts), best first. */
const ENCODINGS = [
  { name: "br", suffix: ".br" },
  { name: "gzip", suffix: ".gz" },
] as const;

/** Adds `header` to the answer's Vary (Origin is there already: cors.ts). */
function varyBy(headers: Record<string, string | number>, header: string) {
  headers.vary = headers.vary ? `${headers.vary}, ${header}` : header;
}

/**
 * The file itself, or its precompressed copy in an encoding the client accepts, with the original's type.
 * Either way the answer varies by Accept-Encoding, so caches keep the two apart. A Response of our own, not the
 * file: Elysia would answer a file with Content-Range on a 200 and honour Range even on the 404 page (206).
 */
async function withEncoding(
  path: string,
  request: Request,
  set: { status?: number | string; headers: Record<string, string | number> },
) {
  const { headers } = set;
  let file = Bun.file(path);
  // The original's type, whichever copy goes out.
  headers["content-type"] = file.type;
  varyBy(headers, "Accept-Encoding");
  const acceptEncoding = request.headers.get("accept-encoding") ?? "";
  const accepted = new Set(acceptEncoding.split(",").map((part) => part.split(";")[0].trim().toLowerCase()));
  for (const encoding of ENCODINGS) {
    const copy = Bun.file(path + encoding.suffix);
    if (accepted.has(encoding.name) && (await copy.exists())) {
      headers["content-encoding"] = encoding.name;
      file = copy;
      break;
    }
  }
  return new Response(file, {
    status: typeof set.status === "number" ? set.status : 200,
    headers: headers as Record<string, string>,
  });
}

/**
 * Serves the built web app. A path that is a file in `distDir` gets that file (hashed assets cached
 * for a year); a page of the app gets index.html, so client-side routes survive a reload. Anything else is
 * API.md's 404: the envelope, or for a browser asking for a page, index.html with status 404, where the app
 * shows its "Page not found". Text files go out precompressed when the client accepts Brotli or gzip.
 */
export function spa(distDir: string) {
  const root = resolve(distDir);
  const index = join(root, "index.html");
  return new Elysia({ name: "spa" }).get(
    "/*",
    async ({ path, set, request }) => {
      if (SERVER_PATHS.test(path) || !existsSync(index)) throw notFound("Route");
      const decoded = decodeUriComponent(path);
      if (decoded === undefined) throw notFound("Route");
      const candidate = normalize(join(root, decoded));
      const inside = candidate.startsWith(`${root}/`) && !ENCODINGS.some((e) => candidate.endsWith(e.suffix));
      if (inside && (await Bun.file(candidate).exists())) {
        // index.html by its own name is the app's page like any route: a cached copy would name deleted assets.
        set.headers["cache-control"] = path.startsWith("/assets/")
          ? "public, max-age=31536000, immutable"
          : candidate === index
            ? "no-cache"
            : "public, max-age=300";
        return withEncoding(candidate, request, set);
      }
      if (!APP_PATH.test(path)) {
        // The envelope or the app's page, by what the client accepts: a cache keeps the two apart.
        varyBy(set.headers, "Accept");
        if (!wantsPage(request)) throw notFound("Route");
        set.status = 404;
      }
      set.headers["cache-control"] = "no-cache";
      return withEncoding(index, request, set);
    },
    { detail: { hide: true } },
  );
}
