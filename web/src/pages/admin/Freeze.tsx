import { createEffect, createSignal, on, Show } from "solid-js";
import Alert from "../../components/Alert";
import { Field } from "../../components/Field";
import { ApiError, api } from "../../lib/api";
import { actionMessage, focusField } from "../../lib/forms";
import type { User } from "../../lib/session";
import { freezeTarget } from "./state";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * POST /api/admin/users/:id/freeze|unfreeze: a frozen user can sign in and read, but not move money. The account
 * is named by its id, or by its email (looked up first with GET /api/admin/users?email=).
 */
export default function FreezePanel() {
  const [userId, setUserId] = createSignal("");
  const [busy, setBusy] = createSignal<"freeze" | "unfreeze">();
  const [fieldError, setFieldError] = createSignal<string>();
  const [result, setResult] = createSignal<{ tone: "success" | "error"; text: string }>();
  let input: HTMLInputElement | undefined;

  createEffect(
    on(freezeTarget, (target) => {
      if (!target) return;
      setUserId(target.id);
      setFieldError(undefined);
      setResult(undefined);
      input?.focus();
    }),
  );

  const run = async (freeze: boolean) => {
    const given = userId().trim();
    const byEmail = given.includes("@");
    setResult(undefined);
    if (!byEmail && !UUID.test(given)) {
      setFieldError("Enter the user's email, or their ID (a UUID such as 3f2b…-…, e.g. from an AML flag).");
      focusField(input);
      return;
    }
    setFieldError(undefined);
    setBusy(freeze ? "freeze" : "unfreeze");
    try {
      const id = byEmail ? (await api.get<{ user: User }>(`/api/admin/users?email=${encodeURIComponent(given)}`)).user.id : given;
      const { user } = await api.post<{ user: User }>(
        `/api/admin/users/${encodeURIComponent(id)}/${freeze ? "freeze" : "unfreeze"}`,
      );
      setResult({
        tone: "success",
        text: `${user.email} (${user.name}) is ${(user.frozen ?? freeze) ? "frozen: they cannot deposit, withdraw, send or trade (money sent to them still arrives)" : "no longer frozen"}.`,
      });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        setFieldError(`No user has this ${byEmail ? "email" : "ID"}.`);
        focusField(input);
      } else setResult({ tone: "error", text: actionMessage(error) });
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section class="panel" aria-labelledby="freeze-title">
      <div class="panel-head">
        <div>
          <h2 id="freeze-title">Freeze an account</h2>
          <p class="muted small">A frozen user can still sign in and read, but cannot deposit, withdraw or transfer.</p>
        </div>
      </div>
      <form
        class="form form-narrow"
        onSubmit={(event) => {
          event.preventDefault();
          void run(true);
        }}
        novalidate
      >
        <Field
          ref={(el: HTMLInputElement) => {
            input = el;
          }}
          label="User email or ID"
          name="userId"
          type="text"
          autocomplete="off"
          spellcheck={false}
          autocapitalize="off"
          maxLength={254}
          class="mono"
          value={userId()}
          onInput={(event) => setUserId(event.currentTarget.value)}
          error={fieldError()}
        />
        <Show when={result()}>{(r) => <Alert tone={r().tone}>{r().text}</Alert>}</Show>
        <div class="button-row">
          <button type="submit" class="button button-danger" disabled={busy() !== undefined} aria-busy={busy() === "freeze"}>
            {busy() === "freeze" ? "Freezing…" : "Freeze"}
          </button>
          <button
            type="button"
            class="button"
            disabled={busy() !== undefined}
            aria-busy={busy() === "unfreeze"}
            onClick={() => void run(false)}
          >
            {busy() === "unfreeze" ? "Unfreezing…" : "Unfreeze"}
          </button>
        </div>
      </form>
    </section>
  );
}
