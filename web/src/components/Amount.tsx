import { Show } from "solid-js";
import { MINUS } from "../lib/format";
import { formatAmount } from "../lib/money";

/**
 * An amount in an asset, padded to the asset's precision in tabular figures (no layout shift).
 * `direction` adds the sign: "+" in, "−" out. `returned` (a transaction whose money never moved or came back,
 * see moneyReturned) drops the sign, strikes the amount through and says so: "returned", or "not received" in.
 */
export default function Amount(props: {
  value: string;
  asset: string;
  precision: number | undefined;
  direction?: "in" | "out";
  returned?: boolean;
  /** Hide the symbol (a column that already says which asset). */
  bare?: boolean;
  /** Decimals to pad to, as the amounts of the same asset beside it (sharedDecimals); else formatAmount's own. */
  decimals?: number;
}) {
  const signed = () => (props.returned ? undefined : props.direction);
  const sign = () => (signed() === "in" ? "+" : signed() === "out" ? MINUS : "");
  return (
    <span
      class="amount num"
      classList={{ "amount-in": signed() === "in", "amount-out": signed() === "out", "amount-returned": props.returned }}
      data-value={props.value}
    >
      <Show when={signed()}>
        <span class="sr-only">{signed() === "in" ? "plus" : "minus"} </span>
        <span aria-hidden="true">{sign()}</span>
      </Show>
      <span class="amount-figure">
        {formatAmount(props.value, props.precision, props.decimals)}
        <Show when={!props.bare}>
          {" "}
          <span class="symbol muted">{props.asset}</span>
        </Show>
      </span>
      <Show when={props.returned}>
        {" "}
        <span class="amount-note small">{props.direction === "in" ? "not received" : "returned"}</span>
      </Show>
    </span>
  );
}
