import { onCleanup } from "solid-js";

/**
 * Calls `refresh` every `everyMs` while the page is shown, and at once when it is shown again (its tab chosen, its
 * window restored) after missing a turn: for what no live event speaks of. A hidden page asks nothing. Stops with
 * the calling component.
 */
export function refreshWhileVisible(refresh: () => void, everyMs: number) {
  let last = Date.now();
  const run = () => {
    last = Date.now();
    refresh();
  };
  const visible = () => document.visibilityState === "visible";
  const timer = setInterval(() => {
    if (visible()) run();
  }, everyMs);
  const onShown = () => {
    if (visible() && Date.now() - last >= everyMs) run();
  };
  document.addEventListener("visibilitychange", onShown);
  onCleanup(() => {
    clearInterval(timer);
    document.removeEventListener("visibilitychange", onShown);
  });
}
