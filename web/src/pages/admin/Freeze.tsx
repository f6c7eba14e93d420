import { createEffect, createSignal, on, Show } from "solid-js";
import Alert from "../../components/Alert";
import { ApiError, api } from "../../lib/api";
import { actionMessage, cancelOnEscape, focusField, focusWhen } from "../../lib/forms";
import type { User } from "../../lib/session";
import { freezeTarget, noteAdminAction } from "./state";
import { namesUser, USER_NAMING_HINT, UserField, userByEmail } from "./users";

type Choice = "freeze" | "unfreeze";

/**
 * POST /api/admin/users/:id/freeze|unfreeze: a frozen user can sign in and read, but not move money. The account
 * is named by its id, or by its email, looked up (GET /api/admin/users?email=) before the choice is asked about:
 * an email with no account is said at once, beside the field. Either choice is asked twice, as a review's approve
 * or reject is: one slip would stop (or free) someone's money.
 */
export default function FreezePanel() {
  const [userId, setUserId] = createSignal("");
  const [asking, setAsking] = createSignal<Choice>();
  const [busy, setBusy] = createSignal<Choice>();
  /** The choice whose account is being looked up by email, before it is asked about. */
  const [looking, setLooking] = createSignal<Choice>();
  /** The account asked about: its id, and how the question names it ("a@example.com (Alice)", or the id typed). */
  const [target, setTarget] = createSignal<{ id: string; named: string }>();
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

  /** Asks to confirm the choice, once the field names a user (one that exists, when named by email). */
  const ask = async (choice: Choice) => {
    if (looking()) return;
    setResult(undefined);
    const given = userId().trim();
    if (!namesUser(given)) {
      setFieldError(USER_NAMING_HINT);
      focusField(input);
      return;
    }
    setFieldError(undefined);
    backFrom = undefined;
    if (!given.includes("@")) {
      setTarget({ id: given, named: given });
      setAsking(choice);
      return;
    }
    setLooking(choice);
    try {
      const user = await userByEmail(given);
      // Edited meanwhile: the answer is about a user no longer named.
      if (userId().trim() !== given) return;
      setTarget({ id: user.id, named: `${user.email} (${user.name})` });
      setAsking(choice);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        setFieldError("No user has this email.");
        focusField(input);
      } else setResult({ tone: "error", text: actionMessage(error) });
    } finally {
      setLooking(undefined);
    }
  };

  const run = async (choice: Choice, id: string) => {
    setBusy(choice);
    try {
      const { user } = await api.post<{ user: User }>(`/api/admin/users/${encodeURIComponent(id)}/${choice}`);
      const frozen = user.frozen ?? choice === "freeze";
      setResult({
        tone: "success",
        text: `${user.email} (${user.name}) is ${frozen ? "frozen: they cannot deposit, withdraw, send or trade (money sent to them still arrives)" : "no longer frozen"}.`,
      });
      backFrom = choice;
      noteAdminAction();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        // An id no account has, or an account gone since it was looked up by email.
        setFieldError(`No user has this ${userId().includes("@") ? "email" : "ID"}.`);
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
          const account = target();
          if (choice && account) void run(choice, account.id);
          else void ask("freeze");
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
              {/* Not disabled while the account is looked up: focus stays on the button pressed, till the question takes it. */}
              <button
                type="submit"
                class="button button-danger"
                disabled={busy() !== undefined}
                aria-busy={looking() === "freeze"}
                ref={focusWhen(backFrom === "freeze")}
              >
                Freeze
              </button>
              <button
                type="button"
                class="button"
                disabled={busy() !== undefined}
                aria-busy={looking() === "unfreeze"}
                ref={focusWhen(backFrom === "unfreeze")}
                onClick={() => void ask("unfreeze")}
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
            const back = () => {
              if (busy() !== undefined) return;
              backFrom = choice();
              setAsking(undefined);
            };
            return (
              <>
                <p class="small" id="freeze-question">
                  {choice() === "freeze" ? "Freeze" : "Unfreeze"} the account of <span class="mono">{target()?.named}</span>?
                </p>
                <div class="button-row" ref={cancelOnEscape(back)}>
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
                  <button type="button" class="button" disabled={busy() !== undefined} onClick={back}>
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
