import { Show } from "solid-js";
import { networkOf, networkWarning } from "../lib/networks";

/**
 * Which network an address of `asset` is on, and that another network loses the money, said next to every pay and
 * withdrawal address; nothing for an asset without a known network (lib/networks).
 */
export default function NetworkNote(props: { asset: string }) {
  return (
    <Show when={networkOf(props.asset)}>
      {(network) => (
        <span class="network-note">
          <strong>Network: {network()}.</strong> <span class="warn-text">{networkWarning(props.asset, network())}</span>
        </span>
      )}
    </Show>
  );
}
