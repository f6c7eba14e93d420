import { type JSX, Show } from "solid-js";
import { cancelOnEscape, focusById } from "../lib/focus";
import type { User } from "../lib/session";
import AuthCodeField from "./AuthCodeField";
import MoneyProblemAlert from "./MoneyProblemAlert";
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

/**
 * The end of a money form's confirmation step: the authentication code when 2FA is on (asked here, beside what it
 * confirms), why the last try was refused, and the buttons: confirm (or, after a refusal, try again) and Edit.
 */
export function ConfirmControls(props: {
  user: User;
  codeError: string | undefined;
  refusal: { text: string; code?: string } | undefined;
  busy: boolean;
  label: string;
  working: string;
  onEdit: () => void;
}) {
  return (
    <>
      <Show when={props.user.twoFactorEnabled}>
        <AuthCodeField error={props.codeError} />
      </Show>
      <MoneyProblemAlert problem={props.refusal} email={props.user.email} />
      <div class="button-row">
        {/* Refused as frozen, the same again is refused the same: only Edit, until the freeze is lifted. */}
        <Show when={props.refusal?.code !== "FORBIDDEN"}>
          <button type="submit" class="button button-primary" disabled={props.busy} aria-busy={props.busy}>
            {props.busy ? props.working : props.refusal ? "Try again" : props.label}
          </button>
        </Show>
        <button type="button" class="button" disabled={props.busy} onClick={() => props.onEdit()}>
          Edit
        </button>
      </div>
    </>
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
