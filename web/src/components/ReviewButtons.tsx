import type { JSX } from "solid-js";
import { cancelOnEscape, focusById } from "../lib/focus";
import PausedNote from "./PausedNote";

/**
 * A money form's first button, "Review …", which opens its confirmation step (the step's Escape and Edit give focus
 * back to it by `id`). Disabled, with the reason beside it, while sending is paused after a security change.
 */
export function ReviewButton(props: { id: string; label: string; pausedUntil: string | undefined }) {
  const pausedId = () => `${props.id}-paused`;
  return (
    <div class="button-row">
      <button
        id={props.id}
        type="submit"
        class="button button-primary"
        disabled={props.pausedUntil !== undefined}
        aria-describedby={props.pausedUntil ? pausedId() : undefined}
      >
        {props.label}
      </button>
      <PausedNote id={pausedId()} until={props.pausedUntil} />
    </div>
  );
}

/** The confirmation step's buttons: confirm (or, after a failure, try again), and Edit back to the form. */
export function ConfirmButtons(props: { busy: boolean; failed: boolean; label: string; working: string; onEdit: () => void }) {
  return (
    <div class="button-row">
      <button type="submit" class="button button-primary" disabled={props.busy} aria-busy={props.busy}>
        {props.busy ? props.working : props.failed ? "Try again" : props.label}
      </button>
      <button type="button" class="button" disabled={props.busy} onClick={() => props.onEdit()}>
        Edit
      </button>
    </div>
  );
}

/**
 * A money form's confirmation step. Escape backs out as Edit does, wherever focus is in the step (its heading has it
 * first), focus going back to the review button (`reviewId`) that asked; not while the request is on its way.
 */
export function ConfirmStep(props: { busy: boolean; reviewId: string; onBack: () => void; children: JSX.Element }) {
  return (
    <div
      ref={cancelOnEscape(() => {
        if (props.busy) return;
        props.onBack();
        focusById(props.reviewId);
      })}
    >
      {props.children}
    </div>
  );
}
