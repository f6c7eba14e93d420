import { Show } from "solid-js";
import { focusIfLost } from "../lib/focus";
import Alert, { type AlertTone } from "./Alert";

/**
 * How a panel's last action went ("Withdrawal cancelled.", or why it failed), set apart from the content above.
 * The action's button often goes with it (a row's Confirm, a row that leaves the list): focus, fallen to the page,
 * comes here rather than to the top of the document.
 */
export default function ActionResult(props: { result: { tone: AlertTone; text: string } | undefined }) {
  return (
    <Show when={props.result}>
      {(result) => (
        <div class="section-gap">
          <Alert tone={result().tone} ref={focusIfLost()}>
            {result().text}
          </Alert>
        </div>
      )}
    </Show>
  );
}
