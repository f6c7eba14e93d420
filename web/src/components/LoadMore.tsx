import { Show } from "solid-js";
import { refocusAfterBusy } from "../lib/focus";

/** Under a paged list: "Load more" while the server has another page, else a line saying the list is complete. */
export default function LoadMore(props: {
  hasMore: boolean;
  /** Which page is loading: either one disables the button, "more" marks it busy. */
  loading: "first" | "more" | undefined;
  onMore: () => void;
  /** Why the last "Load more" failed. */
  error: string | undefined;
  /** The line shown once every item is listed, e.g. "That is every event." */
  end: string;
}) {
  let endLine: HTMLParagraphElement | undefined;
  const keepFocus = refocusAfterBusy(
    () => props.loading !== undefined,
    () => endLine,
  );
  return (
    <div class="list-footer">
      <Show
        when={props.hasMore}
        fallback={
          <p class="muted small" ref={endLine}>
            {props.end}
          </p>
        }
      >
        <button
          type="button"
          class="button"
          ref={keepFocus}
          onClick={() => props.onMore()}
          disabled={props.loading !== undefined}
          aria-busy={props.loading === "more"}
        >
          {props.loading === "more" ? "Loading…" : "Load more"}
        </button>
      </Show>
      <Show when={props.error}>
        {(message) => (
          <p class="field-error" role="alert">
            {message()}
          </p>
        )}
      </Show>
    </div>
  );
}
