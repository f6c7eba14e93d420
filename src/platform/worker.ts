import type { Logger } from "./observability/logger";
import { reportError } from "./observability/sentry";

export type Worker = { name: string; stop(): Promise<void> };

/**
 * Runs `tick` every `intervalMs`, never two at once; a failing tick is logged and retried next time. The first
 * failure after a success also goes to Sentry (once per outage, not once a second while a dependency is down).
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
  let failing = false;
  const stopping = new AbortController();

  const run = async () => {
    let again = false;
    try {
      const done = await tick(stopping.signal);
      again = typeof done === "number" && done >= fullBatch;
      failing = false;
    } catch (error) {
      logger.error("worker tick failed", { worker: name, error });
      if (!failing) reportError(error, { worker: name });
      failing = true;
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
