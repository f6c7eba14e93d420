import { refocusAfterBusy } from "../lib/focus";

/** Above a paged list: reloads it, "Refreshing…" while items already shown are being read again. */
export default function RefreshList(props: {
  /** Which page is loading: either one disables the button, "first" (a reload) marks it busy. */
  loading: "first" | "more" | undefined;
  /** Whether items are shown (a first load into an empty list is a spinner, not "Refreshing…"). */
  hasItems: boolean;
  onRefresh: () => void;
}) {
  const keepFocus = refocusAfterBusy(() => props.loading !== undefined);
  return (
    <button
      type="button"
      class="button"
      ref={keepFocus}
      onClick={() => props.onRefresh()}
      disabled={props.loading !== undefined}
      aria-busy={props.loading === "first"}
    >
      {props.loading === "first" && props.hasItems ? "Refreshing…" : "Refresh"}
    </button>
  );
}
