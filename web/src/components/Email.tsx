import { For } from "solid-js";

/**
 * An email address that wraps only after its "@" and before its dots, never mid-word: a table column squeezed by
 * its neighbours keeps it readable ("alice@" / "example.com", not "alice@e" / "xample." / "com").
 */
export default function Email(props: { address: string; title?: string }) {
  const parts = () => props.address.split(/(?<=@)|(?=\.)/);
  return (
    <span class="email" title={props.title}>
      <For each={parts()}>
        {(part, index) => (
          <>
            {index() > 0 && <wbr />}
            {part}
          </>
        )}
      </For>
    </span>
  );
}
