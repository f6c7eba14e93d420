import { Show } from "solid-js";
import { Field } from "../../components/Field";
import { prices } from "../../lib/prices";
import type { Draft } from "./order-draft";
import { stopHint } from "./stop-hint";

type PriceField = "limitPrice" | "stopPrice";

/** The price field of the order type drafted: a limit order's limit price, a stop order's stop price (a market order has none). */
export default function PriceFields(props: {
  draft: Draft;
  spreadBps: number;
  /** What is wrong with a price field, as the form shows it. */
  error: (field: PriceField) => string | undefined;
  /** Why the stop typed would be refused now, shown when its field has no error of its own. */
  stopNote: string | undefined;
  onInput: (field: PriceField, value: string) => void;
}) {
  return (
    <>
      <Show when={props.draft.type === "limit"}>
        <Field
          label="Limit price (USD)"
          name="limitPrice"
          inputmode="decimal"
          value={props.draft.limitPrice}
          onInput={(e) => props.onInput("limitPrice", e.currentTarget.value.trim())}
          hint="A buy fills at this price or lower, a sell at this price or higher."
          error={props.error("limitPrice")}
        />
      </Show>
      <Show when={props.draft.type === "stop"}>
        <Field
          label="Stop price (USD)"
          name="stopPrice"
          inputmode="decimal"
          value={props.draft.stopPrice}
          onInput={(e) => props.onInput("stopPrice", e.currentTarget.value.trim())}
          hint={stopHint(props.draft.side, prices[props.draft.asset]?.priceUsd, props.spreadBps)}
          error={props.error("stopPrice") ?? props.stopNote}
        />
      </Show>
    </>
  );
}
