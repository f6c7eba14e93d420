import { createAsync } from "@solidjs/router";
import { createEffect, createResource, createSignal, For, Match, on, Show, Switch } from "solid-js";
import ActionResult from "../../components/ActionResult";
import Alert from "../../components/Alert";
import { Field } from "../../components/Field";
import FormError from "../../components/FormError";
import { ApiError, api } from "../../lib/api";
import { getConfig, useEmailVerificationRequired } from "../../lib/config";
import { focusField } from "../../lib/focus";
import { actionMessage, clearMessagesOnEdit, type FieldErrors, formValue } from "../../lib/forms";
import { CODE_MISSING, isSecondFactorFormat, TOTP_FORMAT } from "../../lib/second-factor";
import { rereadSessionUser, setSessionUser, type User } from "../../lib/session";
import { pauseAfterChange } from "../../lib/withdrawal-pause";
import { securityChanged } from "./events";

/** At or below this many unused recovery codes, the page suggests new ones. */
const LOW_RECOVERY_CODES = 3;

type Setup = { secret: string; otpauthUrl: string; qrSvg: string };

type Mode =
  | { kind: "idle" }
  | { kind: "setup"; setup: Setup }
  | { kind: "disable" }
  | { kind: "regenerate" }
  | { kind: "codes"; codes: string[]; reason: "enabled" | "regenerated" };

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP", easier to type from. */
function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, "$1 ");
}

function codeError(error: unknown): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  if (error.code === "INVALID_TOTP") return "That code is not valid. Codes change every 30 seconds and each works once.";
  if (error.code === "TOTP_REQUIRED") return "Enter the code from your authenticator app.";
  if (error.code === "VALIDATION_FAILED") return "Enter the 6-digit code from your authenticator app.";
  return undefined;
}

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

function RecoveryCodes(props: { codes: string[]; reason: "enabled" | "regenerated"; onDone: () => void }) {
  const [copied, setCopied] = createSignal<boolean>();
  const text = () => `CryptoVault recovery codes\n${props.codes.join("\n")}\n`;
  const download = () => {
    const url = URL.createObjectURL(new Blob([text()], { type: "text/plain" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = "cryptovault-recovery-codes.txt";
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <div class="stack">
      <Alert
        tone={props.reason === "enabled" ? "success" : "info"}
        title={props.reason === "enabled" ? "Two-factor authentication is on" : "New recovery codes"}
      >
        <p>
          Save these recovery codes somewhere safe, away from your phone. Each signs you in once if you lose your authenticator.
          They are shown only now{props.reason === "regenerated" ? ", and your old codes no longer work" : ""}.
        </p>
      </Alert>
      <ol class="codes" aria-label="Recovery codes">
        <For each={props.codes}>
          {(code) => (
            <li>
              <code>{code}</code>
            </li>
          )}
        </For>
      </ol>
      <div class="button-row">
        <button type="button" class="button" onClick={async () => setCopied(await copy(text()))}>
          Copy codes
        </button>
        <button type="button" class="button" onClick={download}>
          Download as text
        </button>
        <button type="button" class="button button-primary" onClick={() => props.onDone()}>
          I saved them
        </button>
      </div>
      <Show when={copied() !== undefined}>
        <p class="small muted" role="status">
          {copied() ? "Copied to the clipboard." : "Could not copy; select the codes and copy them instead."}
        </p>
      </Show>
    </div>
  );
}

/** How many recovery codes are unused; a warning when few are, since the last one spent is the last way in without the app. */
function RecoveryCodesLeft(props: { left: number }) {
  const plural = () => (props.left === 1 ? "code" : "codes");
  return (
    <Show when={props.left <= LOW_RECOVERY_CODES} fallback={<p class="muted small">{props.left} unused recovery codes.</p>}>
      <Alert tone="warn" quiet>
        {props.left === 0
          ? "You have no recovery codes left: if you lose your authenticator app, you cannot sign in. Create new ones."
          : `Only ${props.left} recovery ${plural()} left. Create new ones before they run out.`}
      </Alert>
    </Show>
  );
}

/** A form asking for one code, used to turn on, turn off and renew recovery codes. */
function CodeForm(props: {
  label: string;
  hint: string;
  submitLabel: string;
  busyLabel: string;
  danger?: boolean;
  allowRecovery?: boolean;
  run: (code: string) => Promise<void>;
  onCancel: () => void;
}) {
  const [busy, setBusy] = createSignal(false);
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [formError, setFormError] = createSignal<string>();
  let input: HTMLInputElement | undefined;
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (busy()) return;
    const code = formValue(event.currentTarget as HTMLFormElement, "code").replace(/\s+/g, "");
    // No code at all is refused here, not sent: it would only spend one of the few wrong codes the account has.
    if (!(props.allowRecovery ? isSecondFactorFormat(code) : TOTP_FORMAT.test(code))) {
      setErrors({
        code: props.allowRecovery ? "Enter the 6-digit code from your authenticator app, or a recovery code." : CODE_MISSING,
      });
      focusField(input);
      return;
    }
    setBusy(true);
    setErrors({});
    setFormError(undefined);
    try {
      await props.run(code);
    } catch (error) {
      const message = codeError(error);
      if (message) {
        setErrors({ code: message });
        focusField(input);
        input?.select();
      } else setFormError(actionMessage(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="form form-narrow" onSubmit={submit} onInput={clearMessagesOnEdit(setErrors, setFormError)}>
      <Field
        ref={(el: HTMLInputElement) => {
          input = el;
          queueMicrotask(() => el.focus());
        }}
        label={props.label}
        name="code"
        type="text"
        autocomplete="one-time-code"
        inputmode={props.allowRecovery ? "text" : "numeric"}
        spellcheck={false}
        autocapitalize="off"
        required
        maxLength={props.allowRecovery ? 32 : 6}
        hint={props.hint}
        error={errors().code}
      />
      <FormError message={formError()} />
      <div class="button-row">
        <button
          type="submit"
          class={`button ${props.danger ? "button-danger" : "button-primary"}`}
          disabled={busy()}
          aria-busy={busy()}
        >
          {busy() ? props.busyLabel : props.submitLabel}
        </button>
        <button type="button" class="button" onClick={() => props.onCancel()} disabled={busy()}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export default function TwoFactorSection(props: { user: User }) {
  const config = createAsync(() => getConfig().catch(() => undefined));
  const verificationRequired = useEmailVerificationRequired();
  const [mode, setMode] = createSignal<Mode>({ kind: "idle" });
  const [starting, setStarting] = createSignal(false);
  const [message, setMessage] = createSignal<{ tone: "success" | "error"; text: string }>();
  const [secretCopied, setSecretCopied] = createSignal<boolean>();
  let heading: HTMLHeadingElement | undefined;
  // Read each time the overview shows with 2FA on (a new mode object each time), so new codes show their count at once.
  const [codesLeft] = createResource(
    () => (props.user.twoFactorEnabled && mode().kind === "idle" ? mode() : false),
    () => api.get<{ remaining: number }>("/api/auth/2fa/recovery-codes").then((answer) => answer.remaining),
  );

  // Each step replaces the one before, and the control that had focus with it (Cancel, Turn on, I saved them):
  // focus stays in this section, at its heading, instead of falling back to the top of the page. A step that
  // focuses its own control (the code field) keeps that.
  createEffect(
    on(
      () => mode().kind,
      () =>
        queueMicrotask(() => {
          if (!document.activeElement || document.activeElement === document.body) heading?.focus();
        }),
      { defer: true },
    ),
  );

  const show = (next: Mode) => {
    setMessage(undefined);
    setMode(next);
  };

  const startSetup = async () => {
    setStarting(true);
    setMessage(undefined);
    try {
      const setup = await api.post<Setup>("/api/auth/2fa/setup");
      setSecretCopied(undefined);
      setMode({ kind: "setup", setup });
    } catch (error) {
      setMessage({ tone: "error", text: actionMessage(error) });
    } finally {
      setStarting(false);
    }
  };

  const enable = async (code: string) => {
    const { recoveryCodes } = await api.post<{ recoveryCodes: string[] }>("/api/auth/2fa/enable", { code });
    setMode({ kind: "codes", codes: recoveryCodes, reason: "enabled" });
    await setSessionUser({ ...props.user, twoFactorEnabled: true });
    securityChanged();
  };

  const disable = async (code: string) => {
    await api.post("/api/auth/2fa/disable", { code });
    setMode({ kind: "idle" });
    // Read again rather than patched: turning it off also paused withdrawals, until a time only the server knows. It
    // also ended the other sessions, as the mail that follows says: said here too, so the mail is no surprise.
    // Should the read fail, the switch at least shows what this page knows: off.
    const user = await rereadSessionUser().catch(() => undefined);
    if (user === undefined) await setSessionUser({ ...props.user, twoFactorEnabled: false });
    setMessage({
      tone: "success",
      text: `Two-factor authentication is off. Your other sessions were signed out. ${pauseAfterChange(user)}`.trim(),
    });
    securityChanged();
  };

  const regenerate = async (code: string) => {
    const { recoveryCodes } = await api.post<{ recoveryCodes: string[] }>("/api/auth/2fa/recovery-codes", { code });
    setMode({ kind: "codes", codes: recoveryCodes, reason: "regenerated" });
    securityChanged();
  };

  return (
    <section class="panel" aria-labelledby="twofactor-title">
      <div class="panel-head">
        <div>
          <h2 id="twofactor-title" ref={heading} tabindex="-1">
            Two-factor authentication
          </h2>
          <p class="muted small">A code from an authenticator app, asked at sign-in and for withdrawals and transfers.</p>
        </div>
        <Show
          when={props.user.twoFactorEnabled}
          fallback={
            <span class="badge badge-warn">
              <span class="dot" aria-hidden="true" />
              Off
            </span>
          }
        >
          <span class="badge badge-ok">
            <span class="dot" aria-hidden="true" />
            On
          </span>
        </Show>
      </div>

      <Switch>
        <Match when={config()?.features.twoFactor === false && !props.user.twoFactorEnabled}>
          <p class="muted">Two-factor authentication is not available on this platform.</p>
        </Match>

        <Match
          when={(() => {
            const m = mode();
            return m.kind === "codes" ? m : undefined;
          })()}
        >
          {(m) => <RecoveryCodes codes={m().codes} reason={m().reason} onDone={() => show({ kind: "idle" })} />}
        </Match>

        <Match
          when={(() => {
            const m = mode();
            return m.kind === "setup" && !props.user.twoFactorEnabled ? m.setup : undefined;
          })()}
        >
          {(setup) => (
            <div class="setup">
              <ol class="steps">
                <li>
                  <p class="step-text">
                    Scan this QR code with an authenticator app (1Password, Google Authenticator, Aegis, …).
                  </p>
                  {/*
                   * The SVG is generated by our own server (POST /api/auth/2fa/setup), not user content. The box
                   * names it; the SVG itself is hidden from assistive technology, which would list it as a second,
                   * unnamed image. The key beside it is the same secret as text.
                   */}
                  <div class="qr" role="img" aria-label="QR code for your authenticator app">
                    <div aria-hidden="true" innerHTML={setup().qrSvg} />
                  </div>
                  <p class="small muted">Can't scan it? Enter this key by hand (time-based, 6 digits, 30 seconds):</p>
                  <p class="secret">
                    <code>{groupSecret(setup().secret)}</code>{" "}
                    <button
                      type="button"
                      class="button button-small"
                      onClick={async () => setSecretCopied(await copy(setup().secret))}
                    >
                      Copy key
                    </button>
                  </p>
                  <Show when={secretCopied() !== undefined}>
                    <p class="small muted" role="status">
                      {secretCopied() ? "Key copied." : "Could not copy; select the key instead."}
                    </p>
                  </Show>
                  <p class="small">
                    <a href={setup().otpauthUrl}>Open in an authenticator app on this device</a>
                  </p>
                </li>
                <li>
                  <p class="step-text">Enter the 6-digit code the app shows to turn two-factor authentication on.</p>
                  <CodeForm
                    label="Authentication code"
                    hint="6 digits from your authenticator app."
                    submitLabel="Turn on"
                    busyLabel="Turning on…"
                    run={enable}
                    onCancel={() => show({ kind: "idle" })}
                  />
                </li>
              </ol>
            </div>
          )}
        </Match>

        <Match when={props.user.twoFactorEnabled && mode().kind === "disable"}>
          <p>
            Turning off two-factor authentication makes your account easier to take over. It signs out every other session (this
            one stays signed in), and pauses withdrawals for a while.
          </p>
          <CodeForm
            label="Authentication code"
            hint="6 digits from your authenticator app, or a recovery code."
            submitLabel="Turn off two-factor authentication"
            busyLabel="Turning off…"
            danger
            allowRecovery
            run={disable}
            onCancel={() => show({ kind: "idle" })}
          />
        </Match>

        <Match when={props.user.twoFactorEnabled && mode().kind === "regenerate"}>
          <p>New recovery codes replace all of your current ones.</p>
          <CodeForm
            label="Authentication code"
            hint="6 digits from your authenticator app, or a recovery code."
            submitLabel="Create new recovery codes"
            busyLabel="Creating…"
            allowRecovery
            run={regenerate}
            onCancel={() => show({ kind: "idle" })}
          />
        </Match>

        <Match when={props.user.twoFactorEnabled}>
          <p>Sign-in, withdrawals and transfers ask for a code from your authenticator app.</p>
          {/* On "ready" rather than on the count, which is 0 when the warning matters most. */}
          <Show when={codesLeft.state === "ready"}>
            <RecoveryCodesLeft left={codesLeft() ?? 0} />
          </Show>
          <div class="button-row">
            <button type="button" class="button" onClick={() => show({ kind: "regenerate" })}>
              New recovery codes
            </button>
            <button type="button" class="button button-danger" onClick={() => show({ kind: "disable" })}>
              Disable
            </button>
          </div>
        </Match>

        <Match when={verificationRequired() && !props.user.emailVerified}>
          <p class="muted">
            Verify your email first (the link we emailed you): until then anyone could have typed your address, so the account
            takes no second factor.
          </p>
        </Match>

        <Match when={true}>
          <p>
            Protect your sign-in, withdrawals and transfers with a second step: a code from an authenticator app on your phone.
          </p>
          <div>
            <button type="button" class="button button-primary" onClick={startSetup} disabled={starting()} aria-busy={starting()}>
              {starting() ? "Preparing…" : "Set up"}
            </button>
          </div>
        </Match>
      </Switch>
      <ActionResult result={message()} />
    </section>
  );
}
