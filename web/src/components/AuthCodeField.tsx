import { createSignal } from "solid-js";
import { Field } from "./Field";

/**
 * The "Authentication code" of a money form when the user has 2FA on (withdraw, send), read with
 * lib/second-factor.ts. Digits bring up the number pad; a phone's number pad cannot type a recovery code's
 * letters, so "Use a recovery code instead" brings up the letters, as the sign-in form does. Either code works
 * in either mode (a recovery code pasted into the digits is taken too).
 */
export default function AuthCodeField(props: { error?: string }) {
  const [recovery, setRecovery] = createSignal(false);
  let field: HTMLDivElement | undefined;
  return (
    <div ref={field}>
      <Field
        label={recovery() ? "Recovery code" : "Authentication code"}
        name="code"
        type="text"
        autocomplete="one-time-code"
        inputmode={recovery() ? "text" : "numeric"}
        spellcheck={false}
        autocapitalize="off"
        maxLength={32}
        required
        hint={
          recovery()
            ? "One of your recovery codes; each works once."
            : "6 digits from your authenticator app (or a recovery code)."
        }
        error={props.error}
      />
      <div class="link-row">
        <button
          type="button"
          class="link-button"
          onClick={() => {
            setRecovery(!recovery());
            field?.querySelector<HTMLInputElement>("input[name=code]")?.focus();
          }}
        >
          {recovery() ? "Use a code from your authenticator app" : "Use a recovery code instead"}
        </button>
      </div>
    </div>
  );
}
