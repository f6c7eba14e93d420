import { createEffect, createSignal, For, on, Show } from "solid-js";
import Alert from "../../components/Alert";
import { ApiError, api } from "../../lib/api";
import { cancelOnEscape, focusField, focusWhen } from "../../lib/focus";
import { actionMessage } from "../../lib/forms";
import type { User } from "../../lib/session";
import { freezeTarget, frozenUsers, noteAdminAction, noteStanding } from "./state";
import { namesUser, USER_NAMING_HINT, UserField, userByEmail } from "./users";

type Choice = "freeze" | "unfreeze";

/** The account named in the field: its id, how the panel names it, and whether it is frozen, once known. */
type Account = { id: string; named: string; frozen?: boolean };

/**
 * What a freeze does, as the server enforces it (identity/guards.ts): its money routes (deposit, withdraw, send,
 * order) and the address book refuse a frozen user, and background work on their money (resting orders filling,
 * payouts leaving) waits for the unfreeze. Reading, and money coming in from other users, go on.
 */
const FREEZE_EFFECT =
  "they cannot deposit, withdraw, send to other users, place orders or add withdrawal addresses, and their open orders and withdrawals on their way wait until they are unfrozen. They can still sign in and read, and money sent to them still arrives.";

/**
 * POST /api/admin/users/:id/freeze|unfreeze. The account is named by its id, or by its email, looked up
 * (GET /api/admin/users?email=) before the choice is asked about: an email with no account is said at once, beside
 * the field, and a known account is shown frozen or not, with only what can be done to it offered (named by id, it
 * is not known until an action answers). Either choice is asked twice, as a review's approve or reject is: one slip
 * would stop (or free) someone's money.
 */
export default function FreezePanel() {
  const [userId, setUserId] = createSignal("");
  const [asking, setAsking] = createSignal<Choice>();
  const [busy, setBusy] = createSignal<Choice>();
  /** The choice whose account is being looked up by email ("look" for a user picked elsewhere), before it is asked about. */
  const [looking, setLooking] = createSignal<Choice | "look">();
  /** The account named, once looked up or acted on; gone when the field is edited. */
  const [target, setTarget] = createSignal<Account>();
  const [fieldError, setFieldError] = createSignal<string>();
  const [result, setResult] = createSignal<{ tone: "success" | "error" | "info"; text: string }>();
  let input: HTMLInputElement | undefined;
  let form: HTMLFormElement | undefined;
  /** The choice Back returns from, whose button takes focus again. */
  let backFrom: Choice | undefined;

  /** Whether the account named is frozen: from its lookup or an action's answer, or learned elsewhere on the page. */
  const frozen = () => {
    const account = target();
    return account ? (account.frozen ?? frozenUsers[account.id]) : undefined;
  };

  /** The account of the email or id `given`; an email is looked up (undefined, said beside the field, when unknown). */
  const identify = async (given: string, choice: Choice | "look"): Promise<Account | undefined> => {
    if (!given.includes("@")) return { id: given, named: given };
    setLooking(choice);
    try {
      const user = await userByEmail(given);
      noteStanding(user);
      return { id: user.id, named: `${user.email} (${user.name})`, frozen: user.frozen };
    } catch (error) {
      // Edited meanwhile: the answer is about a user no longer named.
      if (userId().trim() !== given) return undefined;
      if (error instanceof ApiError && error.status === 404) {
        setFieldError("No user has this email.");
        focusField(input);
      } else setResult({ tone: "error", text: actionMessage(error) });
      return undefined;
    } finally {
      setLooking(undefined);
    }
  };

  // A user picked elsewhere (an AML flag): named in the field and looked up, so that what can be done is offered.
  createEffect(
    on(freezeTarget, async (picked) => {
      if (!picked) return;
      setUserId(picked.email);
      setTarget(undefined);
      setAsking(undefined);
      setFieldError(undefined);
      setResult(undefined);
      input?.focus();
      const account = await identify(picked.email, "look");
      if (account && userId() === picked.email) setTarget(account);
    }),
  );

  /**
   * Asks to confirm the choice, once the field names a user (one that exists, when named by email). Asked of a user
   * it would not change (freezing a frozen one), it says so instead, and offers the other choice.
   */
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
    const account = target() ?? (await identify(given, choice));
    if (!account || userId().trim() !== given) return;
    setTarget(account);
    if (frozen() === (choice === "freeze")) {
      setResult({ tone: "info", text: `${account.named} is ${frozen() ? "already frozen" : "not frozen"}.` });
      backFrom = choice === "freeze" ? "unfreeze" : "freeze";
      // The button pressed is gone; the other one stays, made before it was wanted, so its ref did not focus it.
      requestAnimationFrame(() => form?.querySelector<HTMLButtonElement>(`[data-choice="${backFrom}"]`)?.focus());
      return;
    }
    setAsking(choice);
  };

  const run = async (choice: Choice, id: string) => {
    setBusy(choice);
    try {
      const { user } = await api.post<{ user: User }>(`/api/admin/users/${encodeURIComponent(id)}/${choice}`);
      const isFrozen = user.frozen ?? choice === "freeze";
      noteStanding({ id: user.id, frozen: isFrozen });
      setTarget({ id: user.id, named: `${user.email} (${user.name})`, frozen: isFrozen });
      setResult({
        tone: "success",
        text: `${user.email} (${user.name}) is ${isFrozen ? `frozen: ${FREEZE_EFFECT}` : "no longer frozen."}`,
      });
      // What is offered now is the other choice: focus goes to it.
      backFrom = isFrozen ? "unfreeze" : "freeze";
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

  /** The choices offered: the one that changes the account when its standing is known, else both. */
  const offered = (): Choice[] => {
    const now = frozen();
    return now === undefined ? ["freeze", "unfreeze"] : [now ? "unfreeze" : "freeze"];
  };

  return (
    <section class="panel" aria-labelledby="freeze-title">
      <div class="panel-head">
        <div>
          <h2 id="freeze-title">Freeze an account</h2>
          <p class="muted small">Once a user is frozen, {FREEZE_EFFECT}</p>
        </div>
      </div>
      <form
        ref={form}
        class="form form-narrow"
        onSubmit={(event) => {
          event.preventDefault();
          const choice = asking();
          const account = target();
          if (choice && account) void run(choice, account.id);
          else void ask(offered()[0]);
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
            // The question, what was known and what was said were about the user named before.
            setAsking(undefined);
            setTarget(undefined);
            setResult(undefined);
            setFieldError(undefined);
          }}
          error={fieldError()}
        />
        <Show when={frozen() !== undefined && target()}>
          {(account) => (
            <p class="small">
              <span class="break">{account().named}</span>:{" "}
              <span class={`badge ${frozen() ? "badge-bad" : "badge-ok"}`}>
                <span class="dot" aria-hidden="true" />
                {frozen() ? "Frozen" : "Not frozen"}
              </span>
            </p>
          )}
        </Show>
        <Show when={result()}>{(r) => <Alert tone={r().tone}>{r().text}</Alert>}</Show>
        <Show
          when={asking()}
          fallback={
            <div class="button-row" aria-busy={looking() === "look"}>
              {/* Not disabled while the account is looked up: focus stays on the button pressed, till the question takes it. */}
              {/* The first offered is the form's submit (Enter in the field); the other asks on its own. */}
              <For each={offered()}>
                {(choice) => (
                  <button
                    type={offered()[0] === choice ? "submit" : "button"}
                    class={choice === "freeze" ? "button button-danger" : "button"}
                    data-choice={choice}
                    disabled={busy() !== undefined}
                    aria-busy={looking() === choice}
                    ref={focusWhen(backFrom === choice)}
                    onClick={(event) => {
                      // Bound once (Solid's handlers are not reactive) while the button outlives changes of which
                      // comes first: whether it is the submit is asked at the click.
                      if (offered()[0] === choice) return;
                      event.preventDefault();
                      void ask(choice);
                    }}
                  >
                    {choice === "freeze" ? "Freeze" : "Unfreeze"}
                  </button>
                )}
              </For>
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
