import { createEffect, createSignal, on, onCleanup, untrack } from "solid-js";
import { announce } from "../../lib/announce";

/** How long a quote holds (API.md: valid 10 s). */
export const QUOTE_VALID_MS = 10_000;
/** Seconds left when a screen reader is told, once, that the quote is about to expire. */
const QUOTE_WARNING_SECONDS = 5;

/**
 * Seconds left until `deadline` (ms on this browser's clock), ticking every 250 ms. The deadline is counted
 * from when the quote arrived, not from its `expiresAt`: a browser clock that runs ahead or behind the
 * server's must neither hide a live quote nor keep an expired one on offer.
 */
function useCountdown(deadline: () => number | undefined) {
  const [now, setNow] = createSignal(Date.now());
  const timer = setInterval(() => setNow(Date.now()), 250);
  onCleanup(() => clearInterval(timer));
  // A new deadline is counted from the clock as it is now, not as last read (a fresh quote never shows 11 s).
  createEffect(on(deadline, () => setNow(Date.now()), { defer: true }));
  return () => {
    const at = deadline();
    return at ? Math.max(0, Math.ceil((at - now()) / 1000)) : 0;
  };
}

/** Seconds left of the quote shown (0 with none), said to a screen reader as it nears its end and when it ends. */
export function useQuoteCountdown(quote: () => { deadline: number } | undefined) {
  const secondsLeft = useCountdown(() => quote()?.deadline);
  // The countdown shown ticks every second, and is no live region (it would be read out every second): a screen
  // reader is told once that the quote is about to expire, and once that it has.
  createEffect(
    on(secondsLeft, (left, before) => {
      if (!untrack(quote) || before === undefined || left >= before) return;
      if (left === 0) announce("The quote expired. Get a new one to trade.");
      else if (left <= QUOTE_WARNING_SECONDS && before > QUOTE_WARNING_SECONDS) announce(`The quote expires in ${left} seconds.`);
    }),
  );
  return secondsLeft;
}
