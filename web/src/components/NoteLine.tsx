import { Show } from "solid-js";

/** A transfer's note on a line of its own under its cell's value: a column of its own would widen the table. */
export default function NoteLine(props: { note: string | null | undefined }) {
  return (
    <Show when={props.note}>
      {(note) => (
        <span class="cell-line small">
          <span class="muted">Note:</span> {note()}
        </span>
      )}
    </Show>
  );
}
