import { Show } from "solid-js";
import type { PublicConfig } from "../lib/config";
import { formatDateTime } from "../lib/format";
import { precisionOf } from "../lib/money";
import type { Withdrawal } from "../lib/wallet";
import Amount from "./Amount";

/**
 * The first cells of a withdrawal's table row, for the user's and the review tables: requested (with the id
 * under it when `showId`); the amount with its fee under it; the address, wrapping when long. Second lines, not
 * columns of their own, so the row's buttons stay in a desktop's view.
 */
export default function WithdrawalCells(props: { withdrawal: Withdrawal; config: PublicConfig; showId?: boolean }) {
  const precision = () => precisionOf(props.config, props.withdrawal.asset);
  return (
    <>
      <td>
        <time datetime={props.withdrawal.createdAt}>{formatDateTime(props.withdrawal.createdAt)}</time>
        <Show when={props.showId}>
          <code class="cell-line truncate truncate-id" title={props.withdrawal.id}>
            {props.withdrawal.id}
          </code>
        </Show>
      </td>
      <td class="num">
        <Amount value={props.withdrawal.amount} asset={props.withdrawal.asset} precision={precision()} />
        <span class="cell-line small muted">
          fee <Amount value={props.withdrawal.fee} asset={props.withdrawal.asset} precision={precision()} />
        </span>
      </td>
      <td class="break">
        <code>{props.withdrawal.address}</code>
      </td>
    </>
  );
}
