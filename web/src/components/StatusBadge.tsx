import { statusLabel, statusTone } from "../lib/wallet";

/** A deposit, withdrawal, transfer or transaction status as a coloured badge with words (never colour alone). */
export default function StatusBadge(props: { status: string }) {
  return (
    <span class={`badge badge-${statusTone(props.status)}`}>
      <span class="dot" aria-hidden="true" />
      {statusLabel(props.status)}
    </span>
  );
}
