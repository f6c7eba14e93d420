import { createSignal, onCleanup, onMount } from "solid-js";
import { CODE_USED_EVENT } from "../lib/second-factor";
import { Field } from "./Field";

/** The longest second-factor code the API takes (a recovery code such as "mencg-ykzne", with room to spare). */
const CODE_MAX_LENGTH = 32;

/**
 * The `code` input of a second factor, as an authenticator's digits or, `recovery`, a recovery code: digits bring up
 * the number pad, which has no letters, so a recovery code brings up the keyboard. Either code is taken either way
 * (one pasted into the digits works too), so the field is never cut to 6.
 */
export function SecondFactorInput(props: { recovery: boolean; error?: string; hint?: string }) {
  return (
    <Field
      label={props.recovery ? "Recovery code" : "Authentication code"}
      name="code"
      type="text"
      autocomplete="one-time-code"
      inputmode={props.recovery ? "text" : "numeric"}
      spellcheck={false}
      autocapitalize="off"
      maxLength={CODE_MAX_LENGTH}
      required
      hint={props.hint}
      error={props.error}
    />
  );
}

/** Switches a second-factor input between an authenticator's digits and a recovery code. */
export function RecoveryToggle(props: { recovery: boolean; onToggle: () => void }) {
  return (
    <button type="button" class="link-button" onClick={() => props.onToggle()}>
      {props.recovery ? "Use a code from your authenticator app" : "Use a recovery code instead"}
    </button>
  );
}

/**
 * The "Authentication code" of a money form when the user has 2FA on (withdraw, send), read with
 * lib/second-factor.ts, with "Use a recovery code instead", as the sign-in form has.
 */
export default function AuthCodeField(props: { error?: string }) {
  const [recovery, setRecovery] = createSignal(false);
  let field: HTMLDivElement | undefined;
  const backToApp = () => setRecovery(false);
  onMount(() => field?.addEventListener(CODE_USED_EVENT, backToApp));
  onCleanup(() => field?.removeEventListener(CODE_USED_EVENT, backToApp));
  return (
    <div ref={field}>
      <SecondFactorInput
        recovery={recovery()}
        error={props.error}
        hint={
          recovery()
            ? "One of your recovery codes; each works once."
            : "6 digits from your authenticator app (or a recovery code)."
        }
      />
      <div class="link-row">
        <RecoveryToggle
          recovery={recovery()}
          onToggle={() => {
            setRecovery(!recovery());
            field?.querySelector<HTMLInputElement>("input[name=code]")?.focus();
          }}
        />
      </div>
    </div>
  );
}
