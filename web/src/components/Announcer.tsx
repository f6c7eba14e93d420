import { For } from "solid-js";
import { announcements, type Politeness } from "../lib/announce";

function LiveRegion(props: { politeness: Politeness }) {
  const said = () => announcements().filter((item) => item.politeness === props.politeness);
  return (
    <div aria-live={props.politeness}>
      <For each={said()}>{(item) => <p>{item.text}</p>}</For>
    </div>
  );
}

/** The live regions of lib/announce, unseen: rendered once, by the layout. */
export default function Announcer() {
  return (
    <div class="sr-only" data-testid="announcer">
      <LiveRegion politeness="polite" />
      <LiveRegion politeness="assertive" />
    </div>
  );
}
