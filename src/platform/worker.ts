import type { Logger } from "./observability/logger";
import { reportError } from "./observability/sentry";

export type Worker = { name: string; stop(): Promise<void> };

/** How often a worker that keeps failing logs it again. */
export const FAILURE_LOG_EVERY_MS = 60_000;

/**
 * Runs `tick` every `intervalMs`, never two at once; a failing tick is logged and retried next time. The first
 * failure after a success also goes to Sentry (once per outage, not once a second while a dependency is down).
 * While the failures go on, the log says so once a minute (`FAILURE_LOG_EVERY_MS`) with how many ticks failed, not
 * at every tick (ten a second for the event relay), and says when the worker has recovered.
 * When a tick did a full batch (`fullBatch` rows) it runs again at once, so a backlog drains without waiting.
 * The first tick comes within `firstTickWithinMs` of the start, however long the interval: an hourly cleanup
 * on instances restarted more often than hourly (deploys, autoscaling) would otherwise never run at all.
 * `stop` waits for the running tick, so shutdown never cuts a claimed row in half.
 */
export function startWorker(
  name: string,
  intervalMs: number,
  /** `signal` is aborted at `stop`: a tick working through a batch stops before its next item. */
  tick: (signal: AbortSignal) => Promise<number | undefined>,
  logger: Logger,
  { fullBatch = Number.POSITIVE_INFINITY, firstTickWithinMs = 60_000 } = {},
): Worker {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  /** Ticks failed in a row, and when the last of them was logged. */
  let failedTicks = 0;
  let loggedAt = 0;
  const stopping = new AbortController();

  const run = async () => {
    let again = false;
    try {
      const done = await tick(stopping.signal);
      again = typeof done === "number" && done >= fullBatch;
      if (failedTicks > 0) logger.info("worker recovered", { worker: name, failedTicks });
      failedTicks = 0;
    } catch (error) {
      failedTicks++;
      if (failedTicks === 1) reportError(error, { worker: name });
      if (failedTicks === 1 || performance.now() - loggedAt >= FAILURE_LOG_EVERY_MS) {
        logger.error("worker tick failed", { worker: name, failedTicks, error });
        loggedAt = performance.now();
      }
    }
    if (!stopped) timer = setTimeout(schedule, again ? 0 : intervalMs);
  };
  const schedule = () => {
    running = run();
  };
  timer = setTimeout(schedule, Math.min(intervalMs, firstTickWithinMs));

  return {
    name,
    async stop() {
      stopped = true;
      stopping.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
