import { Field } from "./Field";

/**
 * The "Authentication code" of a money form when the user has 2FA on (withdraw, send), read with
 * lib/second-factor.ts. Digits bring up the number pad, but a recovery code pasted here works too.
 */
export default function AuthCodeField(props: { error?: string }) {
  return (
    <Field
      label="Authentication code"
      name="code"
      type="text"
      autocomplete="one-time-code"
      inputmode="numeric"
      spellcheck={false}
      autocapitalize="off"
      maxLength={32}
      required
      hint="6 digits from your authenticator app (or a recovery code)."
      error={props.error}
    />
  );
}
