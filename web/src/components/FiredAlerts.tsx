import { A } from "@solidjs/router";
import { createEffect, createSignal, For, on, onCleanup } from "solid-js";
import { formatUsd } from "../lib/money";
import { useSessionUserIfKnown } from "../lib/session";
import { onFrame } from "../lib/ws";

/** The `alert` frame's data (API.md, WebSocket): the user's price alert as it fired. */
type FiredAlert = { id: string; symbol: string; direction: "above" | "below"; price: string };

/**
 * The id of the Price alerts panel's heading (components/AlertsPanel, on the Dashboard and the market pages): where it
 * is shown, the panel says a fired alert itself, in its own words, and it is not said twice.
 */
const ALERTS_PANEL_HEADING = "alerts-title";

/**
 * A price alert that fires reaches every page (its frame comes to the signed-in user's socket wherever they are):
 * on a page without the Price alerts panel it is said here, in the app shell, once, until dismissed. The notices sit
 * in a polite live region that is always in the page, so a screen reader reads each one as it comes, without focus
 * moving from what the user is doing.
 */
/** The notices shown: one shell, one list (module-wide, so the Price alerts panel can take them over). */
const [fired, setFired] = createSignal<FiredAlert[]>([]);

/**
 * For the Price alerts panel as it shows: notices carried onto its page (fired elsewhere, not dismissed) go, as the
 * panel lists the alerts that fired itself.
 */
export const clearFiredAlertNotices = () => setFired([]);

export default function FiredAlerts() {
  const user = useSessionUserIfKnown();
  const dismiss = (id: string) => setFired((shown) => shown.filter((alert) => alert.id !== id));
  /** Dismiss goes with its notice: focus goes back to the page rather than fall to the top of the document. */
  const dismissByButton = (id: string) => {
    dismiss(id);
    document.getElementById("main")?.focus({ preventScroll: true });
  };

  createEffect(
    on(
      () => user()?.id,
      (signedIn) => {
        // Signed out, or another account: the last user's alerts are not said here any more.
        setFired([]);
        if (!signedIn) return;
        onCleanup(
          onFrame("alert", (frame) => {
            const alert = frame.data as FiredAlert | undefined;
            if (!alert?.id || document.getElementById(ALERTS_PANEL_HEADING)) return;
            setFired((shown) => (shown.some((other) => other.id === alert.id) ? shown : [...shown, alert]));
          }),
        );
      },
    ),
  );

  return (
    <div class="fired-alerts" aria-live="polite">
      <For each={fired()}>
        {(alert) => (
          <div class="notice notice-success fired-alert">
            <p class="notice-title">Price alert</p>
            <p>
              {alert.symbol} is {alert.direction} {formatUsd(alert.price)} USD.
            </p>
            <p class="button-row">
              <A
                href={`/markets/${encodeURIComponent(alert.symbol)}`}
                class="button button-small"
                onClick={() => dismiss(alert.id)}
              >
                {alert.symbol} market
              </A>
              <button
                type="button"
                class="button button-small"
                aria-label={`Dismiss the ${alert.symbol} price alert`}
                onClick={() => dismissByButton(alert.id)}
              >
                Dismiss
              </button>
            </p>
          </div>
        )}
      </For>
    </div>
  );
}
