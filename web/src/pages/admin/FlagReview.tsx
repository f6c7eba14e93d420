import { createSignal, Show } from "solid-js";
import Email from "../../components/Email";
import { Field } from "../../components/Field";
import { api } from "../../lib/api";
import { focusControl, focusWhen } from "../../lib/focus";
import { formatDateTime } from "../../lib/format";
import { actionMessage, clearMessagesOnEdit, type FieldErrors } from "../../lib/forms";

/**
 * What an admin found when they looked into a flag (API additions: `resolvedAt`, `resolvedBy`, `resolvedByEmail`,
 * `resolution`). A flag that held its transfer is resolved by the transfer's decision: "Transfer approved in review".
 */
export type FlagReviewFields = {
  id: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolvedByEmail: string | null;
  resolution: string | null;
};

/**
 * A flag's review cell: once resolved, when and what was found; until then "Resolve…", which opens a field for what
 * the admin found (POST /api/admin/aml/flags/:id/resolve). A flag on the admin's own transfer is another admin's.
 */
export default function FlagReview<F extends FlagReviewFields>(props: {
  flag: F;
  /** Which flag, for the button's accessible name: "the Possible structuring flag of … on a@example.com's transfer". */
  what: string;
  own: boolean;
  /**
   * Whether the result takes the focus: the flag was just resolved here. Its row is drawn anew for the resolved flag,
   * so the panel remembers that, not this component.
   */
  focusResult: boolean;
  onResolved: (flag: F) => void;
}) {
  const [open, setOpen] = createSignal(false);
  const [text, setText] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  /** The field's message (nothing written yet); it goes once the admin types (clearMessagesOnEdit). */
  const [errors, setErrors] = createSignal<FieldErrors>({});
  /** Why the server refused, about the flag as sent; it goes on the next edit too. */
  const [failure, setFailure] = createSignal<string>();
  let form: HTMLFormElement | undefined;

  const cancel = () => {
    setOpen(false);
    setErrors({});
    setFailure(undefined);
  };

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setFailure(undefined);
    if (!text().trim()) {
      setErrors({ resolution: "Write what you found: it stays with the flag for whoever looks next." });
      focusControl(form, "resolution");
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const { flag } = await api.post<{ flag: F }>(`/api/admin/aml/flags/${encodeURIComponent(props.flag.id)}/resolve`, {
        resolution: text(),
      });
      props.onResolved(flag);
    } catch (cause) {
      setFailure(actionMessage(cause));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Show
      when={props.flag.resolvedAt}
      fallback={
        <Show
          when={open()}
          fallback={
            <Show when={!props.own} fallback={<span class="small muted">Another admin resolves it</span>}>
              <button
                type="button"
                class="button button-small"
                onClick={() => setOpen(true)}
                aria-label={`Resolve… ${props.what}`}
              >
                Resolve…
              </button>
            </Show>
          }
        >
          <form ref={form} class="stack" onSubmit={submit} onInput={clearMessagesOnEdit(setErrors, setFailure)} novalidate>
            <Field
              label="What you found"
              name="resolution"
              type="text"
              maxLength={1000}
              value={text()}
              onInput={(e) => setText(e.currentTarget.value)}
              error={errors().resolution}
              ref={focusWhen(true)}
            />
            <span class="button-row">
              <button type="submit" class="button button-small button-primary" disabled={busy()} aria-busy={busy()}>
                {busy() ? "Saving…" : "Resolve"}
              </button>
              <button type="button" class="button button-small" disabled={busy()} onClick={cancel}>
                Cancel
              </button>
            </span>
            <Show when={failure()}>
              {(message) => (
                <p class="field-error small" role="alert">
                  {message()}
                </p>
              )}
            </Show>
          </form>
        </Show>
      }
    >
      {(at) => (
        <span class="small wrap" tabindex="-1" ref={focusWhen(props.focusResult)}>
          <span class="badge badge-ok">Resolved</span> <time datetime={at()}>{formatDateTime(at())}</time>
          <Show when={props.flag.resolvedByEmail}>
            {(email) => (
              <span class="cell-line muted">
                by <Email address={email()} />
              </span>
            )}
          </Show>
          <span class="cell-line">{props.flag.resolution}</span>
        </span>
      )}
    </Show>
  );
}
