import { createSignal, Show } from "solid-js";
import { Field } from "../../components/Field";
import { cancelOnEscape, focusWhen } from "../../lib/focus";

/**
 * Approve / Reject for one row (or Reject alone, when `rejectOnly`), each asked twice (a money decision cannot be
 * undone); a rejection asks for an optional reason, which its owner is told. Keyboard focus follows as the controls
 * swap: onto Confirm approve, or the reason, when asked, back onto the first choice after Back (or Escape).
 */
export default function DecisionButtons(props: {
  what: string;
  busy: "approve" | "reject" | undefined;
  disabled: boolean;
  rejectOnly?: boolean;
  /** `reason`: as the admin typed it when rejecting; blank is none. */
  onDecide: (approve: boolean, reason: string) => void;
}) {
  const [asking, setAsking] = createSignal<"approve" | "reject">();
  const [reason, setReason] = createSignal("");
  /** The choice Back returns from, whose button takes focus again. */
  let backFrom: "approve" | "reject" | undefined;
  const back = () => {
    const decision = asking();
    if (!decision || props.disabled) return;
    backFrom = decision;
    setAsking(undefined);
  };
  return (
    <div ref={cancelOnEscape(back)}>
      <Show when={asking() === "reject"}>
        {/* As narrow as a row note; the API takes up to 500 characters. */}
        <div class="row-note reject-reason">
          <Field
            label="Reason, told to the user (optional)"
            name="reason"
            maxLength={500}
            value={reason()}
            onInput={(event) => setReason(event.currentTarget.value)}
            disabled={props.disabled}
            ref={focusWhen(true)}
          />
        </div>
      </Show>
      <span class="button-row row-actions">
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
                onClick={() => {
                  setReason("");
                  setAsking("reject");
                }}
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
                  onClick={() => props.onDecide(decision() === "approve", reason())}
                  ref={focusWhen(decision() === "approve")}
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
    </div>
  );
}
