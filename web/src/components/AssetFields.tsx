import { For, splitProps } from "solid-js";
import type { AssetInfo } from "../lib/config";
import { amountPattern } from "../lib/money";
import { Field, type FieldProps, SelectField } from "./Field";

/** The options of an asset select ("BTC · Bitcoin"), the chosen one selected. */
function AssetOptions(props: { assets: AssetInfo[]; selected: string }) {
  return (
    <For each={props.assets}>
      {(item) => (
        <option value={item.symbol} selected={item.symbol === props.selected}>
          {item.symbol} · {item.name}
        </option>
      )}
    </For>
  );
}

/** The "Asset" select of the money forms; `onSelect` gets the chosen symbol. */
export function AssetSelectField(props: {
  assets: AssetInfo[];
  selected: string;
  error?: string;
  onSelect: (symbol: string) => void;
}) {
  return (
    <SelectField label="Asset" name="asset" error={props.error} onChange={(event) => props.onSelect(event.currentTarget.value)}>
      <AssetOptions assets={props.assets} selected={props.selected} />
    </SelectField>
  );
}

/**
 * The "Amount" input of the money forms: text, not type=number (which rounds and accepts exponents),
 * with a decimal keyboard and a pattern of at most the asset's decimal places.
 */
export function AmountField(props: Omit<FieldProps, "label" | "name"> & { precision: number | undefined }) {
  const [own, input] = splitProps(props, ["precision"]);
  return (
    <Field
      label="Amount"
      name="amount"
      type="text"
      inputmode="decimal"
      autocomplete="off"
      spellcheck={false}
      required
      pattern={amountPattern(own.precision)}
      placeholder="0.00"
      class="num-input"
      {...input}
    />
  );
}
