import { createSignal, Show } from "solid-js";
import { cancelOnEscape, focusWhen } from "../../lib/forms";

/**
 * Approve / Reject for one row (or Reject alone, when `rejectOnly`), each asked twice (a money decision cannot be
 * undone). Keyboard focus follows the buttons as they swap: onto Confirm when asked, back onto the first choice after Back
 * (or Escape).
 */
export default function DecisionButtons(props: {
  what: string;
  busy: "approve" | "reject" | undefined;
  disabled: boolean;
  rejectOnly?: boolean;
  onDecide: (approve: boolean) => void;
}) {
  const [asking, setAsking] = createSignal<"approve" | "reject">();
  /** The choice Back returns from, whose button takes focus again. */
  let backFrom: "approve" | "reject" | undefined;
  const back = () => {
    const decision = asking();
    if (!decision || props.disabled) return;
    backFrom = decision;
    setAsking(undefined);
  };
  return (
    <span class="button-row row-actions" ref={cancelOnEscape(back)}>
      <Show
        when={asking()}
        fallback={
          <>
            <Show when={!props.rejectOnly}>
              <button
                type="button"
                class="button button-small"
                disabled={props.disabled}
                onClick={() => setAsking("approve")}
                ref={focusWhen(backFrom === "approve")}
                aria-label={`Approve ${props.what}`}
              >
                Approve
              </button>
            </Show>
            <button
              type="button"
              class="button button-small button-danger"
              disabled={props.disabled}
              onClick={() => setAsking("reject")}
              ref={focusWhen(backFrom === "reject")}
              aria-label={`Reject ${props.what}`}
            >
              Reject
            </button>
          </>
        }
      >
        {(decision) => {
          /** The confirming button's visible text, which its accessible name begins with, busy or not. */
          const confirmText = () => (props.busy === decision() ? "Saving…" : `Confirm ${decision()}`);
          return (
            <>
              <button
                type="button"
                class={`button button-small ${decision() === "approve" ? "button-primary" : "button-danger"}`}
                disabled={props.disabled}
                aria-busy={props.busy === decision()}
                onClick={() => props.onDecide(decision() === "approve")}
                ref={focusWhen(true)}
                aria-label={`${confirmText()} ${props.what}`}
              >
                {confirmText()}
              </button>
              <button type="button" class="button button-small" disabled={props.disabled} onClick={back}>
                Back
              </button>
            </>
          );
        }}
      </Show>
    </span>
  );
}
