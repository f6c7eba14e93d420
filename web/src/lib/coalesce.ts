import { onCleanup } from "solid-js";

/**
 * Runs `run` for a burst of triggers (live frames) at most once per `intervalMs`, and never twice at once: a
 * trigger during a run or within the interval is answered by one run after it, so the last trigger of a burst
 * is always followed by a run. For reloads that cost the server more than a frame's worth (the portfolio
 * replays the user's history): a stream of small transfers in must not become a stream of full reloads.
 * `gatherMs`: a first trigger waits this long for the rest of its burst (one event's frames arrive together).
 */
export function coalesce(run: () => unknown, intervalMs: number, gatherMs = 0) {
  let running = false;
  let waiting = false;
  let lastStart = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const start = async () => {
    timer = undefined;
    waiting = false;
    running = true;
    lastStart = Date.now();
    try {
      await run();
    } catch {
      // The caller shows its own failures (a resource's error); a later trigger tries again.
    } finally {
      running = false;
    }
    if (waiting) trigger();
  };

  function trigger() {
    waiting = true;
    if (running || timer !== undefined) return;
    timer = setTimeout(() => void start(), Math.max(gatherMs, lastStart + intervalMs - Date.now()));
  }

  return {
    trigger,
    cancel() {
      clearTimeout(timer);
      timer = undefined;
      waiting = false;
    },
  };
}

/**
 * Reloads what a page shows when live frames say it changed. One event sends several frames at once (a trade: a
 * balance per asset, a transaction per row, the order), and every open tab reloads: one reload per event, and
 * at most one a second, keeps a user with a few tabs well inside the API's rate limit (100 a minute). Called in a
 * component: what is still waiting is dropped with it.
 */
export function liveReload(run: () => unknown) {
  const live = coalesce(run, 1_000, 50);
  onCleanup(live.cancel);
  return live;
}
