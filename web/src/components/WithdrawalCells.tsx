import type { PublicConfig } from "../lib/config";
import { formatDateTime } from "../lib/format";
import { precisionOf } from "../lib/money";
import type { Withdrawal } from "../lib/wallet";
import Amount from "./Amount";

/** The first cells of a withdrawal's table row (requested, amount, fee, to address), for the user's and the review tables. */
export default function WithdrawalCells(props: { withdrawal: Withdrawal; config: PublicConfig }) {
  const precision = () => precisionOf(props.config, props.withdrawal.asset);
  return (
    <>
      <td>
        <time datetime={props.withdrawal.createdAt}>{formatDateTime(props.withdrawal.createdAt)}</time>
      </td>
      <td class="num">
        <Amount value={props.withdrawal.amount} asset={props.withdrawal.asset} precision={precision()} />
      </td>
      <td class="num">
        <Amount value={props.withdrawal.fee} asset={props.withdrawal.asset} precision={precision()} />
      </td>
      <td>
        <code>{props.withdrawal.address}</code>
      </td>
    </>
  );
}
