import { Show } from "solid-js";
import { useSupportEmail } from "../lib/config";

/**
 * "Contact support", and how: the operator's SUPPORT_EMAIL as a mail link when one is set, so the words lead
 * somewhere. Written to continue a sentence ("… Contact support at help@… to find out why.").
 */
export default function SupportContact() {
  const email = useSupportEmail();
  return (
    <>
      Contact support
      <Show when={email()}>
        {(address) => (
          <>
            {" at "}
            <a class="break" href={`mailto:${address()}`}>
              {address()}
            </a>
          </>
        )}
      </Show>
    </>
  );
}
