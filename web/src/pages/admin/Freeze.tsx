import { createEffect, createSignal, on, Show } from "solid-js";
import Alert from "../../components/Alert";
import { ApiError, api } from "../../lib/api";
import { actionMessage, focusField, focusWhen } from "../../lib/forms";
import type { User } from "../../lib/session";
import { freezeTarget } from "./state";
import { namesUser, USER_NAMING_HINT, UserField, userIdOf } from "./users";

type Choice = "freeze" | "unfreeze";

/**
 * POST /api/admin/users/:id/freeze|unfreeze: a frozen user can sign in and read, but not move money. The account
 * is named by its id, or by its email (looked up first with GET /api/admin/users?email=). Either choice is asked
 * twice, as a review's approve or reject is: one slip would stop (or free) someone's money.
 */
export default function FreezePanel() {
  const [userId, setUserId] = createSignal("");
  const [asking, setAsking] = createSignal<Choice>();
  const [busy, setBusy] = createSignal<Choice>();
  const [fieldError, setFieldError] = createSignal<string>();
  const [result, setResult] = createSignal<{ tone: "success" | "error"; text: string }>();
  let input: HTMLInputElement | undefined;
  /** The choice Back returns from, whose button takes focus again. */
  let backFrom: Choice | undefined;

  createEffect(
    on(freezeTarget, (target) => {
      if (!target) return;
      setUserId(target.id);
      setAsking(undefined);
      setFieldError(undefined);
      setResult(undefined);
      input?.focus();
    }),
  );

  /** Asks to confirm the choice, once the field names a user. */
  const ask = (choice: Choice) => {
    setResult(undefined);
    if (!namesUser(userId().trim())) {
      setFieldError(USER_NAMING_HINT);
      focusField(input);
      return;
    }
    setFieldError(undefined);
    backFrom = undefined;
    setAsking(choice);
  };

  const run = async (choice: Choice) => {
    const given = userId().trim();
    setBusy(choice);
    try {
      const id = await userIdOf(given);
      const { user } = await api.post<{ user: User }>(`/api/admin/users/${encodeURIComponent(id)}/${choice}`);
      const frozen = user.frozen ?? choice === "freeze";
      setResult({
        tone: "success",
        text: `${user.email} (${user.name}) is ${frozen ? "frozen: they cannot deposit, withdraw, send or trade (money sent to them still arrives)" : "no longer frozen"}.`,
      });
      backFrom = choice;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        setFieldError(`No user has this ${given.includes("@") ? "email" : "ID"}.`);
        focusField(input);
      } else {
        setResult({ tone: "error", text: actionMessage(error) });
        backFrom = choice;
      }
    } finally {
      setBusy(undefined);
      setAsking(undefined);
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
          const choice = asking();
          if (choice) void run(choice);
          else ask("freeze");
        }}
        novalidate
      >
        <UserField
          ref={(el: HTMLInputElement) => {
            input = el;
          }}
          value={userId()}
          onInput={(event) => {
            setUserId(event.currentTarget.value);
            // The question was about the user named before.
            setAsking(undefined);
          }}
          error={fieldError()}
        />
        <Show when={result()}>{(r) => <Alert tone={r().tone}>{r().text}</Alert>}</Show>
        <Show
          when={asking()}
          fallback={
            <div class="button-row">
              <button
                type="submit"
                class="button button-danger"
                disabled={busy() !== undefined}
                ref={focusWhen(backFrom === "freeze")}
              >
                Freeze
              </button>
              <button
                type="button"
                class="button"
                disabled={busy() !== undefined}
                ref={focusWhen(backFrom === "unfreeze")}
                onClick={() => ask("unfreeze")}
              >
                Unfreeze
              </button>
            </div>
          }
        >
          {(choice) => {
            /** The confirming button's visible text, which its accessible name begins with, busy or not. */
            const confirmText = () =>
              busy() === choice() ? (choice() === "freeze" ? "Freezing…" : "Unfreezing…") : `Confirm ${choice()}`;
            return (
              <>
                <p class="small" id="freeze-question">
                  {choice() === "freeze" ? "Freeze" : "Unfreeze"} the account of <span class="mono">{userId().trim()}</span>?
                </p>
                <div class="button-row">
                  <button
                    type="submit"
                    class={`button ${choice() === "freeze" ? "button-danger" : "button-primary"}`}
                    disabled={busy() !== undefined}
                    aria-busy={busy() === choice()}
                    aria-describedby="freeze-question"
                    ref={focusWhen(true)}
                  >
                    {confirmText()}
                  </button>
                  <button
                    type="button"
                    class="button"
                    disabled={busy() !== undefined}
                    onClick={() => {
                      backFrom = choice();
                      setAsking(undefined);
                    }}
                  >
                    Back
                  </button>
                </div>
              </>
            );
          }}
        </Show>
      </form>
    </section>
  );
}
