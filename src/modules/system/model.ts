import { t } from "elysia";

export const Health = t.Object({ status: t.Literal("ok") });

export const Readiness = t.Object({
  status: t.Union([t.Literal("ready"), t.Literal("unavailable")]),
  checks: t.Object({ database: t.String(), bus: t.String() }),
});
export type Readiness = typeof Readiness.static;
/** /ready's 503: the report with the error envelope, naming the failing checks. */
export const NotReady = t.Object({
  ...Readiness.properties,
  error: t.Object({
    code: t.Literal("UNAVAILABLE"),
    message: t.String(),
    details: t.Object({ failing: t.Array(t.String()) }),
    requestId: t.String(),
  }),
});

export const PublicConfig = t.Object({
  appName: t.String(),
  environment: t.String(),
  version: t.String(),
  assets: t.Array(t.Object({ symbol: t.String(), name: t.String(), precision: t.Integer(), withdrawalFee: t.String() })),
  priceSource: t.Union([t.Literal("coincap"), t.Literal("simulated")]),
  wsPath: t.String(),
  features: t.Object({
    twoFactor: t.Boolean(),
    trading: t.Boolean(),
    p2p: t.Boolean(),
    /** REQUIRE_EMAIL_VERIFICATION: money moves only for a verified email. */
    emailVerification: t.Boolean(),
  }),
  limits: t.Object({
    p2pDailyUsd: t.String(),
    withdrawalDailyUsd: t.String(),
    amlReviewUsd: t.String(),
    withdrawalReviewUsd: t.String(),
    rateLimitPerMinute: t.Integer(),
  }),
  sentry: t.Object({ dsn: t.Union([t.String(), t.Null()]), environment: t.String() }),
  /**
   * TRADING_FEE_BPS and TRADING_SPREAD_BPS (beyond API.md), in basis points: what a limit or stop order will hold
   * and cost can be shown before it is placed, as a market order's quote shows it.
   */
  trading: t.Object({ feeBps: t.Integer(), spreadBps: t.Integer() }),
  /** SUPPORT_EMAIL (beyond API.md): where users reach support; null when the operator set none. */
  supportEmail: t.Union([t.String(), t.Null()]),
});
export type PublicConfig = typeof PublicConfig.static;

/** GET /api/admin/integrity: the last scheduled check of each kind (system/integrity.ts). */
export const IntegrityChecks = t.Object({
  /** INTEGRITY_CHECK_INTERVAL_MINUTES; 0 when the server runs no checks. */
  intervalMinutes: t.Integer(),
  checks: t.Array(
    t.Object({
      name: t.Union([t.Literal("ledger"), t.Literal("audit")]),
      checkedAt: t.String({ format: "date-time" }),
      problems: t.Integer(),
      /** The first findings, as `ledger:verify` and `audit:verify` word them. */
      findings: t.Array(t.String()),
      /** False when part of the check could not be tried (a read-only role). */
      complete: t.Boolean(),
    }),
  ),
});
export type IntegrityChecks = typeof IntegrityChecks.static;
