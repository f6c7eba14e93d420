import { Elysia } from "elysia";
import type { AppDeps } from "../../app";
import { errorBody } from "../../platform/http/errors";
import { requestContext } from "../../platform/http/request-context";
import { jsonSchemaOf } from "../../platform/http/request-schemas";
import { Health, NotReady, PublicConfig, Readiness } from "./model";
import { checkReadiness, publicConfig } from "./service";

/** Liveness, readiness, metrics and the public configuration. None of these is rate limited. */
export function systemController({ config, database, bus, metrics, logger }: AppDeps) {
  const configAnswer = publicConfig(config);
  return new Elysia({ name: "system" })
    .get("/health", () => ({ status: "ok" as const }), { response: Health, detail: { tags: ["platform"] } })
    .get(
      "/ready",
      async ({ set, request }) => {
        const readiness = await checkReadiness(database.db, bus, (check, error) =>
          logger.warn("readiness check failed", { check, error: error.message }),
        );
        if (readiness.status === "ready") return readiness;
        set.status = 503;
        set.headers["retry-after"] = "5";
        const failing = Object.entries(readiness.checks)
          .filter(([, state]) => state !== "ok")
          .map(([name]) => name);
        // The readiness report, plus the error envelope every non-2xx answer carries.
        return {
          ...readiness,
          ...errorBody("UNAVAILABLE", `Not ready: ${failing.join(", ")} unavailable`, requestContext(request).id, { failing }),
        };
      },
      {
        detail: {
          tags: ["platform"],
          responses: {
            200: {
              description: "The database and the bus answer",
              content: { "application/json": { schema: jsonSchemaOf(Readiness) } },
            },
            503: {
              description: "Not ready: the report names the failing check, with the error envelope",
              content: { "application/json": { schema: jsonSchemaOf(NotReady) } },
            },
          },
        },
      },
    )
    .get(
      "/metrics",
      async ({ set }) => {
        set.headers["content-type"] = metrics.registry.contentType;
        return metrics.registry.metrics();
      },
      {
        detail: {
          tags: ["platform"],
          responses: {
            200: {
              description: "Prometheus text exposition format",
              content: { "text/plain; version=0.0.4": { schema: { type: "string" } } },
            },
          },
        },
      },
    )
    .get("/api/config", () => configAnswer, { response: PublicConfig, detail: { tags: ["platform"] } });
}
