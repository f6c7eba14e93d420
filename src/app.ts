/**
 * createApp composes the platform plugins and the module controllers. main.ts and the tests both use it,
 * so what the tests exercise is exactly what production serves.
 */
import { fileURLToPath } from "node:url";
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import type { Config } from "./config";
import { systemController } from "./modules/system";
import { VERSION } from "./modules/system/service";
import type { Bus } from "./platform/bus";
import type { Database } from "./platform/db/client";
import { httpPlatform } from "./platform/http/plugin";
import { DOCS_CSP } from "./platform/http/security-headers";
import { spa } from "./platform/http/spa";
import type { Logger } from "./platform/observability/logger";
import type { Metrics } from "./platform/observability/metrics";

export type AppDeps = { config: Config; database: Database; bus: Bus; logger: Logger; metrics: Metrics };

export const WEB_DIST = fileURLToPath(new URL("../web/dist", import.meta.url));

export function createApp(deps: AppDeps, options: { webDist?: string } = {}) {
  return (
    // normalize: false makes a body with unknown fields a 422 instead of silently dropping them.
    new Elysia({ normalize: false })
      .use(httpPlatform(deps))
      .use(
        openapi({
          path: "/api/docs",
          documentation: { info: { title: "CryptoVault API", version: VERSION } },
          exclude: { paths: ["/*"] },
        }),
      )
      .onAfterHandle(({ path, set }) => {
        if (path.startsWith("/api/docs")) set.headers["content-security-policy"] = DOCS_CSP;
      })
      .use(systemController(deps))
      .use(spa(options.webDist ?? WEB_DIST))
  );
}

export type App = ReturnType<typeof createApp>;
