import { createSignal, Show } from "solid-js";
import { NameField } from "../../components/AccountFields";
import Alert from "../../components/Alert";
import { Field } from "../../components/Field";
import ResendVerification from "../../components/ResendVerification";
import SubmitButton from "../../components/SubmitButton";
import { ApiError, api } from "../../lib/api";
import { useEmailVerificationRequired } from "../../lib/config";
import { focusFirstInvalid } from "../../lib/focus";
import { actionMessage, clearMessagesOnEdit, type FieldErrors, fieldErrors } from "../../lib/forms";
import { setSessionUser, type User } from "../../lib/session";

const HINTS = {
  name: "Enter your name (up to 100 characters).",
  antiPhishingCode: "Use 4 to 32 letters, digits, spaces, hyphens or underscores.",
};

export default function ProfileSection(props: { user: User }) {
  const verificationRequired = useEmailVerificationRequired();
  const [name, setName] = createSignal(props.user.name);
  const [code, setCode] = createSignal(props.user.antiPhishingCode ?? "");
  const [saving, setSaving] = createSignal(false);
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [result, setResult] = createSignal<{ tone: "success" | "error" | "info"; text: string }>();
  let form: HTMLFormElement | undefined;

  /** Only what changed is sent; clearing the code sends null (no code). */
  const changes = () => {
    const body: { name?: string; antiPhishingCode?: string | null } = {};
    if (name().trim() !== props.user.name) body.name = name().trim();
    const nextCode = code().trim();
    if (nextCode !== (props.user.antiPhishingCode ?? "")) body.antiPhishingCode = nextCode === "" ? null : nextCode;
    return body;
  };

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (saving()) return;
    const body = changes();
    setErrors({});
    if (Object.keys(body).length === 0) {
      setResult({ tone: "info", text: "Nothing to save: the profile is unchanged." });
      return;
    }
    setSaving(true);
    setResult(undefined);
    try {
      const { user } = await api.patch<{ user: User }>("/api/auth/profile", body);
      setName(user.name);
      setCode(user.antiPhishingCode ?? "");
      await setSessionUser(user);
      setResult({ tone: "success", text: "Profile saved." });
    } catch (error) {
      if (error instanceof ApiError && error.code === "VALIDATION_FAILED") {
        const fields = fieldErrors(error, HINTS);
        setErrors(fields);
        if (Object.keys(fields).length === 0) setResult({ tone: "error", text: error.message });
        focusFirstInvalid(form);
      } else {
        setResult({ tone: "error", text: actionMessage(error) });
      }
    } finally {
      setSaving(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="profile-title">
      <div class="panel-head">
        <div>
          <h2 id="profile-title">Profile</h2>
          <p class="muted small">Your name and the code that proves an email really comes from us.</p>
        </div>
      </div>
      <dl class="facts">
        <div>
          <dt>Email</dt>
          <dd>
            <span class="break">{props.user.email}</span>{" "}
            <Show
              when={props.user.emailVerified}
              fallback={
                <span class="badge badge-warn">
                  <span class="dot" aria-hidden="true" />
                  Not verified
                </span>
              }
            >
              <span class="badge badge-ok">
                <span class="dot" aria-hidden="true" />
                Verified
              </span>
            </Show>
          </dd>
        </div>
      </dl>
      <Show when={!props.user.emailVerified}>
        <div class="stack section-gap">
          <p class="muted small">
            Open the link we emailed you to verify your address.
            <Show when={verificationRequired()}> Until then you can sign in and look around, but not move money.</Show>
          </p>
          <ResendVerification email={props.user.email} />
        </div>
      </Show>
      <form ref={form} class="form form-narrow section-gap" onSubmit={submit} onInput={clearMessagesOnEdit(setErrors, setResult)}>
        <NameField value={name()} onInput={(e) => setName(e.currentTarget.value)} error={errors().name} />
        <Field
          label="Anti-phishing code"
          name="antiPhishingCode"
          type="text"
          autocomplete="off"
          spellcheck={false}
          minLength={4}
          maxLength={32}
          pattern="[A-Za-z0-9 _\-]+"
          title="4 to 32 letters, digits, spaces, hyphens or underscores"
          value={code()}
          onInput={(e) => setCode(e.currentTarget.value)}
          error={errors().antiPhishingCode}
          disabled={verificationRequired() && !props.user.emailVerified}
          hint={
            props.user.emailVerified
              ? "4 to 32 letters, digits, spaces, - or _, shown in every email we send you: an email without it is not from us. Leave empty for none."
              : verificationRequired()
                ? "You can set one once your email is verified (until then anyone could have typed your address). Every email we send you then shows it: an email without it is not from us."
                : "4 to 32 letters, digits, spaces, - or _. Once your email is verified, every email we send you shows it: an email without it is not from us."
          }
        />
        <Show when={result()}>{(r) => <Alert tone={r().tone}>{r().text}</Alert>}</Show>
        <div>
          <SubmitButton busy={saving()} busyLabel="Saving…">
            Save profile
          </SubmitButton>
        </div>
      </form>
    </section>
  );
}
