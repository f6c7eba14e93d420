import { createAsync, query } from "@solidjs/router";
import { api } from "./api";

/** The answer of GET /api/config (API.md, "Platform"). Amounts are decimal strings. */
export type AssetInfo = { symbol: string; name: string; precision: number; withdrawalFee: string };

export type PublicConfig = {
  appName: string;
  environment: string;
  version: string;
  assets: AssetInfo[];
  priceSource: "coincap" | "simulated";
  wsPath: string;
  features: { twoFactor: boolean; trading: boolean; p2p: boolean; emailVerification: boolean };
  limits: {
    p2pDailyUsd: string;
    withdrawalDailyUsd: string;
    amlReviewUsd: string;
    withdrawalReviewUsd: string;
    rateLimitPerMinute: number;
  };
  sentry: { dsn: string | null; environment: string };
  /** Trading fee and spread in basis points (beyond API.md): an order's cost before it is placed. */
  trading: { feeBps: number; spreadBps: number };
  /** SUPPORT_EMAIL (beyond API.md): where users reach support, or null. */
  supportEmail: string | null;
};

let loaded: Promise<PublicConfig> | undefined;

/**
 * The configuration does not change while the page lives, so it is fetched once and shared; a failed load
 * is forgotten so that a retry (revalidating this query) asks the server again.
 */
export const getConfig = query(() => {
  loaded ??= api.get<PublicConfig>("/api/config").catch((error: unknown) => {
    loaded = undefined;
    throw error;
  });
  return loaded;
}, "config");

/**
 * Whether money moves only for a verified email (REQUIRE_EMAIL_VERIFICATION). Until the configuration
 * arrives, or if it cannot, the default holds: it does.
 */
export function useEmailVerificationRequired() {
  const config = createAsync(() => getConfig().catch(() => undefined));
  return () => config()?.features.emailVerification !== false;
}

/** The operator's support address (SUPPORT_EMAIL), once the configuration is here; undefined without one. */
export function useSupportEmail() {
  const config = createAsync(() => getConfig().catch(() => undefined));
  return () => config()?.supportEmail ?? undefined;
}

export function useConfig() {
  return createAsync(() => getConfig());
}
