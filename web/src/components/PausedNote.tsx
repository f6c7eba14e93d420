import { Show } from "solid-js";
import { formatDateTime } from "../lib/format";

/** Beside a send button disabled while sending is paused after a security change: until when (`id` describes the button). */
export default function PausedNote(props: { id: string; until: string | undefined }) {
  return (
    <Show when={props.until}>
      {(until) => (
        <p id={props.id} class="small muted">
          Paused after a security change until <strong>{formatDateTime(until())}</strong>.
        </p>
      )}
    </Show>
  );
}
