import { Show } from "solid-js";
import { formatAmount } from "../lib/money";

/**
 * An amount in an asset, padded to the asset's precision in tabular figures (no layout shift).
 * `direction` adds the sign: "+" in, "−" out.
 */
export default function Amount(props: {
  value: string;
  asset: string;
  precision: number | undefined;
  direction?: "in" | "out";
  /** Hide the symbol (a column that already says which asset). */
  bare?: boolean;
}) {
  const sign = () => (props.direction === "in" ? "+" : props.direction === "out" ? "−" : "");
  return (
    <span
      class="amount num"
      classList={{ "amount-in": props.direction === "in", "amount-out": props.direction === "out" }}
      data-value={props.value}
    >
      <Show when={props.direction}>
        <span class="sr-only">{props.direction === "in" ? "plus" : "minus"} </span>
        <span aria-hidden="true">{sign()}</span>
      </Show>
      {formatAmount(props.value, props.precision)}
      <Show when={!props.bare}>
        {" "}
        <span class="symbol muted">{props.asset}</span>
      </Show>
    </span>
  );
}
