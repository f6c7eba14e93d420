import { Show } from "solid-js";
import { isZero } from "../lib/money";
import { moneyReturned, type Tx } from "../lib/wallet";
import Amount from "./Amount";

/**
 * A history row's amount, signed by its direction, with its fee under it when it has one (a withdrawal's): the
 * amount alone would say less left the balance than did. The fee's line is said as "fee …".
 */
export default function TxAmount(props: { tx: Tx; precision: number | undefined }) {
  return (
    <>
      <Amount
        value={props.tx.amount}
        asset={props.tx.asset}
        precision={props.precision}
        direction={props.tx.direction}
        returned={moneyReturned(props.tx.status)}
      />
      <Show when={!isZero(props.tx.fee)}>
        <span class="cell-line small muted">
          fee <Amount value={props.tx.fee} asset={props.tx.asset} precision={props.precision} />
        </span>
      </Show>
    </>
  );
}
