import { createSignal, Show } from "solid-js";
import { Field } from "../../components/Field";
import { api } from "../../lib/api";
import { formatDateTime } from "../../lib/format";
import { actionMessage, focusWhen } from "../../lib/forms";

/** What an admin found when they looked into a flag (API addition: `resolvedAt`, `resolvedBy`, `resolution`). */
export type FlagReviewFields = { id: string; resolvedAt: string | null; resolvedBy: string | null; resolution: string | null };

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
  const [error, setError] = createSignal<string>();

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (!text().trim()) {
      setError("Write what you found: it stays with the flag for whoever looks next.");
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const { flag } = await api.post<{ flag: F }>(`/api/admin/aml/flags/${encodeURIComponent(props.flag.id)}/resolve`, {
        resolution: text(),
      });
      props.onResolved(flag);
    } catch (cause) {
      setError(actionMessage(cause));
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
          <form class="stack" onSubmit={submit}>
            <Field
              label="What you found"
              name="resolution"
              type="text"
              maxLength={1000}
              value={text()}
              onInput={(e) => setText(e.currentTarget.value)}
              error={error()}
              ref={focusWhen(true)}
            />
            <span class="button-row">
              <button type="submit" class="button button-small button-primary" disabled={busy()} aria-busy={busy()}>
                {busy() ? "Saving…" : "Resolve"}
              </button>
              <button type="button" class="button button-small" disabled={busy()} onClick={() => setOpen(false)}>
                Cancel
              </button>
            </span>
          </form>
        </Show>
      }
    >
      {(at) => (
        <span class="small wrap" tabindex="-1" ref={focusWhen(props.focusResult)}>
          <span class="badge badge-ok">Resolved</span> <time datetime={at()}>{formatDateTime(at())}</time>
          <span class="cell-line">{props.flag.resolution}</span>
        </span>
      )}
    </Show>
  );
}
