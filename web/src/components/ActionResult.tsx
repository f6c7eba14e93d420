import { Show } from "solid-js";
import Alert from "./Alert";

/** How a panel's last action went ("Withdrawal cancelled.", or why it failed), set apart from the content above. */
export default function ActionResult(props: { result: { tone: "success" | "error"; text: string } | undefined }) {
  return (
    <Show when={props.result}>
      {(result) => (
        <div class="section-gap">
          <Alert tone={result().tone}>{result().text}</Alert>
        </div>
      )}
    </Show>
  );
}
