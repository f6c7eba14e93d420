import { Match, Switch } from "solid-js";
import { formatUsd, overUsd } from "../lib/money";

/** "$10,000.00": a threshold of /api/config's limits as the review notes say it. */
const dollars = (usd: string) => `$${formatUsd(usd)}`;

/** The rule of review of a withdrawal or a transfer to another user, at /api/config's threshold. */
export function reviewRule(kind: "withdrawal" | "transfer", thresholdUsd: string): string {
  return kind === "withdrawal"
    ? `Withdrawals worth more than ${dollars(thresholdUsd)} are reviewed before they are sent.`
    : `Transfers worth more than ${dollars(thresholdUsd)} are held for review before they complete.`;
}

const OUTCOME = {
  withdrawal: {
    held: "our team reviews it before it is sent; you can cancel it in your Withdrawals list until then.",
    free: "it is sent without waiting for review.",
  },
  transfer: {
    held: "it is held for review. The amount stays held from your balance until our team approves it (then it is delivered) or rejects it (then it comes back to you); you can cancel it on the History page until then.",
    free: "it completes at once.",
  },
};

/**
 * Said before a withdrawal or transfer is confirmed: whether it will wait for review, from its USD value at the live
 * price against /api/config's threshold (the server compares the same way, at its price when the request arrives).
 * Without a price only the rule is said.
 */
export default function ReviewNote(props: {
  kind: "withdrawal" | "transfer";
  valueUsd: string | undefined;
  thresholdUsd: string;
}) {
  const outcome = () => OUTCOME[props.kind];
  return (
    <p class="small">
      <Switch fallback={reviewRule(props.kind, props.thresholdUsd)}>
        <Match when={props.valueUsd !== undefined && overUsd(props.valueUsd, props.thresholdUsd)}>
          <strong class="warn-text">Worth more than {dollars(props.thresholdUsd)}:</strong> {outcome().held}
        </Match>
        <Match when={props.valueUsd !== undefined}>
          Worth no more than {dollars(props.thresholdUsd)}: {outcome().free}
        </Match>
      </Switch>
    </p>
  );
}
