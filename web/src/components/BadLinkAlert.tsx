import { focusIfLost } from "../lib/focus";
import Alert from "./Alert";

/**
 * Why a link from a mail cannot be used: it came without its token (cut short when copied), or the server refused
 * it (`refused`: used, expired or unknown). Refused on submit, the form went away with its focused button: focus
 * goes to why.
 */
export default function BadLinkAlert(props: { hasToken: boolean; refused: boolean; expired: string; missing: string }) {
  return (
    <Alert
      tone="error"
      title={props.hasToken ? "This link is invalid or has expired" : "This link is incomplete"}
      ref={(el) => props.refused && focusIfLost()(el)}
    >
      <p>{props.hasToken ? props.expired : props.missing}</p>
    </Alert>
  );
}
