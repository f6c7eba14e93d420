import pkg from "../../../package.json";
import type { Config } from "../../config";
import type { Bus } from "../../platform/bus";
import { type Db, pingDatabase } from "../../platform/db/client";
import { formatAmount, formatUsdCents } from "../../platform/money";
import type { PublicConfig, Readiness } from "./model";

export const VERSION = pkg.version;

/**
 * Each dependency is checked on its own, so the answer names exactly what is failing. Only "ok" or "down"
 * is answered: /ready is public, and a driver's message names hosts and ports; `onDown` gets the error.
 */
export async function checkReadiness(
  db: Db,
  bus: Bus,
  onDown: (check: string, error: Error) => void = () => {},
): Promise<Readiness> {
  const check = (name: string, probe: Promise<void>) =>
    probe.then(
      () => "ok",
      (error: Error) => {
        onDown(name, error);
        return "down";
      },
    );
  const [database, busCheck] = await Promise.all([check("database", pingDatabase(db)), check("bus", bus.ping())]);
  const ready = database === "ok" && busCheck === "ok";
  return { status: ready ? "ready" : "unavailable", checks: { database, bus: busCheck } };
}

/** What the web app and API clients need to know about this deployment. Nothing secret. */
export function publicConfig(config: Config): PublicConfig {
  return {
    appName: "CryptoVault",
    environment: config.nodeEnv,
    version: VERSION,
    assets: config.assets.map((a) => ({
      symbol: a.symbol,
      name: a.name,
      precision: a.precision,
      withdrawalFee: formatAmount(a.withdrawalFee, a.precision),
    })),
    priceSource: config.priceSource,
    wsPath: "/ws",
    features: { twoFactor: true, trading: true, p2p: true, emailVerification: config.requireEmailVerification },
    limits: {
      p2pDailyUsd: formatUsdCents(config.p2pDailyLimitUsdCents),
      withdrawalDailyUsd: formatUsdCents(config.withdrawalDailyLimitUsdCents),
      amlReviewUsd: formatUsdCents(config.amlReviewThresholdUsdCents),
      withdrawalReviewUsd: formatUsdCents(config.withdrawalReviewThresholdUsdCents),
      rateLimitPerMinute: config.rateLimitPerMinute,
    },
    sentry: { dsn: config.sentryDsn ?? null, environment: config.nodeEnv },
    trading: { feeBps: config.tradingFeeBps, spreadBps: config.tradingSpreadBps },
    supportEmail: config.supportEmail ?? null,
  };
}
