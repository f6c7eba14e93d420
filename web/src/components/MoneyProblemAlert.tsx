import { Show } from "solid-js";
import Alert from "./Alert";
import ResendVerification from "./ResendVerification";
import SupportContact from "./SupportContact";

/**
 * Why moving money failed; when the email is not verified yet, with the button that resends the link; when the
 * account is frozen, how to reach support.
 */
export default function MoneyProblemAlert(props: { problem: { text: string; code?: string } | undefined; email: string }) {
  return (
    <Show when={props.problem}>
      {(problem) => (
        <Alert tone="error">
          <p>{problem().text}</p>
          <Show when={problem().code === "EMAIL_NOT_VERIFIED"}>
            <ResendVerification email={props.email} />
          </Show>
          <Show when={problem().code === "FORBIDDEN"}>
            <p>
              <SupportContact /> to find out why.
            </p>
          </Show>
        </Alert>
      )}
    </Show>
  );
}
