import * as Sentry from "@sentry/bun";
import { withoutQueryParams } from "./logger";

let enabled = false;

/** Sentry is on only when SENTRY_DSN is set; without it reporting is a no-op. */
export function initSentry(dsn: string | undefined, environment: string, release: string): void {
  if (!dsn) return;
  Sentry.init({ dsn, environment, release, tracesSampleRate: 0 });
  enabled = true;
}

export function reportError(error: unknown, context: Record<string, unknown> = {}): void {
  if (enabled) Sentry.captureException(withoutQueryParams(error), { extra: context });
}

export async function flushSentry(): Promise<void> {
  if (enabled) await Sentry.flush(2000);
}
