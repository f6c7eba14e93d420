import { Show } from "solid-js";
import { useEmailVerificationRequired } from "../lib/config";
import { formatDateTime } from "../lib/format";
import type { User } from "../lib/session";
import { createWithdrawalPause } from "../lib/withdrawal-pause";
import Alert from "./Alert";
import ResendVerification from "./ResendVerification";
import SupportContact from "./SupportContact";

/**
 * Why money cannot move for this user (unverified email, frozen account), shown before the money forms; with
 * `sending` (pages that send money out: withdrawals, transfers), also the pause after a security change.
 */
export default function AccountNotices(props: { user: User; sending?: boolean }) {
  const verificationRequired = useEmailVerificationRequired();
  const pausedUntil = createWithdrawalPause(() => props.user);
  return (
    <>
      <Show when={props.sending && pausedUntil()}>
        {(until) => (
          <Alert tone="warn" title="Withdrawals and transfers are paused">
            <p>
              After a change to your password or two-factor authentication, withdrawals and transfers to other users stay paused
              until <strong>{formatDateTime(until())}</strong>, in case someone else made it. Everything else works as usual.
            </p>
          </Alert>
        )}
      </Show>
      <Show when={verificationRequired() && !props.user.emailVerified}>
        <Alert tone="warn" title="Verify your email to move money">
          <p>
            You can look around, but deposits, withdrawals, transfers and withdrawal addresses need a verified email. We sent a
            link to <strong class="break">{props.user.email}</strong>.
          </p>
          <ResendVerification email={props.user.email} />
        </Alert>
      </Show>
      <Show when={props.user.frozen}>
        <Alert tone="error" title="Your account is frozen">
          <p>
            While it is frozen you cannot deposit, withdraw, send or trade; money others send you still arrives and stays here.
            Your open orders do not fill and requested withdrawals are not paid out until it is unfrozen. <SupportContact /> to
            find out why.
          </p>
        </Alert>
      </Show>
    </>
  );
}
