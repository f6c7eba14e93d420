/**
 * Runs `run` for a burst of triggers (live frames) at most once per `intervalMs`, and never twice at once: a
 * trigger during a run or within the interval is answered by one run after it, so the last trigger of a burst
 * is always followed by a run. For reloads that cost the server more than a frame's worth (the portfolio
 * replays the user's history): a stream of small transfers in must not become a stream of full reloads.
 */
export function coalesce(run: () => unknown, intervalMs: number) {
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
    timer = setTimeout(() => void start(), Math.max(0, lastStart + intervalMs - Date.now()));
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
