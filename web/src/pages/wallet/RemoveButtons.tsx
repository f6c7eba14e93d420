import { Show } from "solid-js";
import { focusWhen } from "../../lib/forms";
import type { BookAddress } from "../../lib/wallet";

/**
 * Remove for one saved address, asked once more inline. Whether it is being asked is the panel's (`asking`), so a
 * list refresh that redraws the row keeps the question. Keyboard focus follows the buttons as they swap: onto
 * Confirm remove when asked, back onto Remove when kept. Each accessible name starts with the button's visible
 * text, which speech input users say to press it.
 */
export default function RemoveButtons(props: {
  entry: BookAddress;
  asking: boolean;
  busy: boolean;
  disabled: boolean;
  onAsk: () => void;
  onKeep: () => void;
  onConfirm: () => void;
}) {
  const confirmText = () => (props.busy ? "Removing…" : "Confirm remove");
  /** Set while the user kept it, so the Remove button shown again takes focus back (not after a remove). */
  let kept = false;
  return (
    <Show
      when={props.asking}
      fallback={
        <button
          type="button"
          class="button button-small"
          onClick={() => {
            kept = false;
            props.onAsk();
          }}
          disabled={props.disabled}
          ref={focusWhen(kept)}
          aria-label={`Remove ${props.entry.label} (${props.entry.asset} ${props.entry.address})`}
        >
          Remove
        </button>
      }
    >
      <span class="button-row row-actions">
        <button
          type="button"
          class="button button-small button-danger"
          onClick={() => props.onConfirm()}
          disabled={props.disabled}
          aria-busy={props.busy}
          ref={focusWhen(true)}
          aria-label={`${confirmText()} ${props.entry.label}`}
        >
          {confirmText()}
        </button>
        <button
          type="button"
          class="button button-small"
          onClick={() => {
            kept = true;
            props.onKeep();
          }}
          disabled={props.disabled}
          aria-label={`Keep ${props.entry.label}`}
        >
          Keep
        </button>
      </span>
    </Show>
  );
}
