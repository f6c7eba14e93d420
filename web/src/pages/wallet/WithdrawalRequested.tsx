import { Show } from "solid-js";
import Alert, { type AlertTone } from "../../components/Alert";
import Amount from "../../components/Amount";
import { reviewRule } from "../../components/ReviewNote";
import type { PublicConfig } from "../../lib/config";
import { focusOnShow } from "../../lib/focus";
import { replayedNote } from "../../lib/idempotency";
import { precisionOf } from "../../lib/money";
import { moneyReturned, statusLabel, type Withdrawal } from "../../lib/wallet";

/**
 * The withdrawal just requested, said at its live status (the page's withdrawals list follows it): a small one is
 * often sent before its answer is read, so "It is being sent now", said once, would soon stand beside "Completed".
 */
export default function WithdrawalRequested(props: { withdrawal: Withdrawal; replayed: boolean; config: PublicConfig }) {
  const status = () => props.withdrawal.status;
  const already = () => (props.replayed ? "already " : "");
  const title = () => {
    if (status() === "pending_review") return `Withdrawal ${already()}waiting for review`;
    if (status() === "completed") return "Withdrawal sent";
    if (moneyReturned(status())) return `Withdrawal ${statusLabel(status()).toLowerCase()}`;
    return `Withdrawal ${already()}requested`;
  };
  // A withdrawal the user cancelled is no failure; one rejected or refused by the payout is.
  const tone = (): AlertTone => (status() === "cancelled" ? "info" : moneyReturned(status()) ? "error" : "success");
  const amounts = () => {
    const precision = precisionOf(props.config, props.withdrawal.asset);
    return (
      <>
        <Amount value={props.withdrawal.amount} asset={props.withdrawal.asset} precision={precision} /> plus a fee of{" "}
        <Amount value={props.withdrawal.fee} asset={props.withdrawal.asset} precision={precision} />
      </>
    );
  };
  const outcome = () => {
    if (status() === "pending_review") {
      return (
        <>
          {amounts()} are held from your balance. {reviewRule("withdrawal", props.config.limits.withdrawalReviewUsd)} You can
          cancel it in the Withdrawals list below until then.
        </>
      );
    }
    if (status() === "completed") return <>{amounts()} left your balance. Its transaction is in the list below.</>;
    if (moneyReturned(status())) {
      return <>It was not sent: {amounts()} are back in your available balance. The Withdrawals list below says more.</>;
    }
    return <>{amounts()} are held from your balance. It is being sent now; follow it in the list below.</>;
  };
  return (
    <Alert tone={tone()} title={title()} ref={focusOnShow}>
      <Show when={props.replayed}>
        <p>
          {replayedNote("withdrawal", props.withdrawal.createdAt)} To withdraw the same again on purpose, enter the amount again.
        </p>
      </Show>
      <p>{outcome()}</p>
    </Alert>
  );
}
