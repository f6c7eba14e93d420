import { Show } from "solid-js";
import { cancelOnEscape, focusWhen } from "../lib/focus";

/** The words of one row action asked once more inline: "Cancel" → "Yes, cancel" / "Keep it". */
export type AskAgainWords = {
  ask: string;
  /** Over the answers, e.g. "Cancel withdrawal?"; none when the confirming button says it. */
  question?: string;
  confirm: string;
  busy: string;
  keep: string;
  /** The asking button is dangerous itself (red), not only its confirmation. */
  dangerous?: boolean;
};

/**
 * Cancel for something of the user's waiting for review (a withdrawal, a held transfer), asked once more: one slip
 * should not take it out of review.
 */
export function cancelWords(noun: string): AskAgainWords {
  return {
    ask: "Cancel",
    question: `Cancel ${noun}?`,
    confirm: "Yes, cancel",
    busy: "Cancelling…",
    keep: "Keep it",
    dangerous: true,
  };
}

/**
 * A row action (cancel a withdrawal, remove an address) asked once more inline, so one slip does not do it.
 * Whether it is being asked is the list's (`asking`), so a refresh that redraws the row keeps the question.
 * Keyboard focus follows the buttons as they swap: onto the confirming one when asked, back onto the asking one
 * when kept (by its button, or Escape). Each accessible name starts with the button's visible text, which speech input users say to press it;
 * `what` names the row after it (`askName`, when the asking button says more).
 */
export default function AskAgainButtons(props: {
  words: AskAgainWords;
  askName?: string;
  what: string;
  asking: boolean;
  busy: boolean;
  disabled: boolean;
  onAsk: () => void;
  onKeep: () => void;
  onConfirm: () => void;
}) {
  const confirmText = () => (props.busy ? props.words.busy : props.words.confirm);
  /** Set while the user kept it, so the asking button shown again takes focus back (not after the action). */
  let kept = false;
  const keep = () => {
    kept = true;
    props.onKeep();
  };
  return (
    <Show
      when={props.asking}
      fallback={
        <button
          type="button"
          class={props.words.dangerous ? "button button-small button-danger" : "button button-small"}
          onClick={() => {
            kept = false;
            props.onAsk();
          }}
          disabled={props.disabled}
          ref={focusWhen(kept)}
          aria-label={`${props.words.ask} ${props.askName ?? props.what}`}
        >
          {props.words.ask}
        </button>
      }
    >
      <span
        class="row-question"
        ref={cancelOnEscape(() => {
          if (!props.disabled) keep();
        })}
      >
        <Show when={props.words.question}>{(question) => <span class="small">{question()}</span>}</Show>
        <span class="button-row row-actions">
          <button
            type="button"
            class="button button-small button-danger"
            onClick={() => props.onConfirm()}
            disabled={props.disabled}
            aria-busy={props.busy}
            ref={focusWhen(true)}
            aria-label={`${confirmText()} ${props.what}`}
          >
            {confirmText()}
          </button>
          <button
            type="button"
            class="button button-small"
            onClick={keep}
            disabled={props.disabled}
            aria-label={`${props.words.keep}: ${props.what}`}
          >
            {props.words.keep}
          </button>
        </span>
      </span>
    </Show>
  );
}
