import { createSignal, Show } from "solid-js";
import { NewPasswordField } from "../../components/AccountFields";
import Alert from "../../components/Alert";
import { PasswordField } from "../../components/Field";
import SubmitButton from "../../components/SubmitButton";
import { ApiError, api } from "../../lib/api";
import { focusFirstInvalid } from "../../lib/focus";
import { actionMessage, clearMessagesOnEdit, type FieldErrors, fieldErrors, formValue } from "../../lib/forms";
import { rereadSessionUser } from "../../lib/session";
import { pauseAfterChange } from "../../lib/withdrawal-pause";
import { securityChanged } from "./events";

const HINTS = {
  currentPassword: "Enter your current password.",
  newPassword: "Use 8 to 128 characters that are not a common password.",
};

export default function PasswordSection() {
  const [saving, setSaving] = createSignal(false);
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [result, setResult] = createSignal<{ tone: "success" | "error"; text: string }>();
  let form: HTMLFormElement | undefined;

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (saving()) return;
    const target = event.currentTarget as HTMLFormElement;
    const body = {
      currentPassword: formValue(target, "currentPassword", false),
      newPassword: formValue(target, "newPassword", false),
    };
    if (body.currentPassword === body.newPassword) {
      setErrors({ newPassword: "Choose a password different from the current one." });
      focusFirstInvalid(form);
      return;
    }
    setSaving(true);
    setErrors({});
    setResult(undefined);
    try {
      await api.post("/api/auth/password/change", body);
      target.reset();
      // The change paused withdrawals for WITHDRAWAL_LOCK_HOURS: the user record says until when.
      const user = await rereadSessionUser().catch(() => undefined);
      setResult({
        tone: "success",
        text: `Password changed. Every other session was signed out. ${pauseAfterChange(user)}`.trim(),
      });
      securityChanged();
    } catch (error) {
      if (error instanceof ApiError && (error.code === "INVALID_CREDENTIALS" || error.code === "INVALID_PASSWORD")) {
        setErrors({ currentPassword: "The current password is incorrect." });
      } else if (error instanceof ApiError && error.code === "VALIDATION_FAILED") {
        const fields = fieldErrors(error, HINTS);
        setErrors(fields);
        if (Object.keys(fields).length === 0) setResult({ tone: "error", text: error.message });
      } else {
        setResult({ tone: "error", text: actionMessage(error) });
      }
      focusFirstInvalid(form);
    } finally {
      setSaving(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="password-title">
      <div class="panel-head">
        <div>
          <h2 id="password-title">Password</h2>
          <p class="muted small">
            Changing it signs out every other session, and pauses withdrawals for a while in case someone else did it.
          </p>
        </div>
      </div>
      <form ref={form} class="form form-narrow" onSubmit={submit} onInput={clearMessagesOnEdit(setErrors, setResult)}>
        <PasswordField
          label="Current password"
          name="currentPassword"
          autocomplete="current-password"
          required
          error={errors().currentPassword}
        />
        <NewPasswordField label="New password" name="newPassword" error={errors().newPassword} />
        <Show when={result()}>{(r) => <Alert tone={r().tone}>{r().text}</Alert>}</Show>
        <div>
          <SubmitButton busy={saving()} busyLabel="Changing…">
            Change password
          </SubmitButton>
        </div>
      </form>
    </section>
  );
}
