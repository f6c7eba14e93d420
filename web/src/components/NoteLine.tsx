import { Show } from "solid-js";

/**
 * A transfer's note (or, with `label="Reason"`, why an admin rejected something) on a line of its own under its cell's
 * value: a column of its own would widen the table.
 */
export default function NoteLine(props: { note: string | null | undefined; label?: string }) {
  return (
    <Show when={props.note}>
      {(note) => (
        <span class="cell-line small">
          <span class="muted">{props.label ?? "Note"}:</span> {note()}
        </span>
      )}
    </Show>
  );
}
