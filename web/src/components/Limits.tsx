import { For, Show } from "solid-js";
import { formatDateTime } from "../lib/format";
import { formatUsd, toUnits } from "../lib/money";
import type { Limit } from "../lib/wallet";
import ErrorNotice from "./ErrorNotice";
import Loading from "./Loading";

const KIND_LABEL: Record<string, string> = { p2p: "Transfers to other users", withdrawal: "Withdrawals" };

/** Share of the limit used, 0–100, from cents (exact); for the bar only. */
function usedPercent(limit: Limit): number {
  const total = toUnits(limit.limitUsd, 2);
  const used = toUnits(limit.usedUsd, 2);
  if (!total || used === undefined || total <= 0n) return 0;
  const percent = (used * 100n) / total;
  return Number(percent > 100n ? 100n : percent);
}

/** The daily limits of GET /api/transfers/limits, all of them or only the kinds given. */
export default function Limits(props: {
  items: Limit[] | undefined;
  error?: unknown;
  onRetry?: () => void;
  kinds?: Limit["kind"][];
}) {
  const shown = () => (props.items ?? []).filter((item) => !props.kinds || props.kinds.includes(item.kind));
  return (
    <Show
      when={!props.error}
      fallback={<ErrorNotice title="Could not load your daily limits" error={props.error} onRetry={props.onRetry} />}
    >
      <Show when={props.items} fallback={<Loading label="Loading limits…" />}>
        <Show when={shown().length > 0} fallback={<p class="muted">No daily limits apply.</p>}>
          <ul class="limits">
            <For each={shown()}>
              {(limit) => (
                <li class="limit">
                  <div class="limit-head">
                    <span class="limit-kind">{KIND_LABEL[limit.kind] ?? limit.kind}</span>
                    <span class="num">
                      {formatUsd(limit.remainingUsd)} <span class="muted">of {formatUsd(limit.limitUsd)} USD left</span>
                    </span>
                  </div>
                  {/* The bar only draws what the text around it says. */}
                  <div class="meter" aria-hidden="true">
                    <span class="meter-fill" style={{ width: `${usedPercent(limit)}%` }} />
                  </div>
                  <p class="small muted">
                    {/*
                      The day is the server's UTC day: said so, with its end on the user's own clock (named) in brackets,
                      as the same moment ("midnight UTC (Nov 29, 2026, 1:00 AM CET)"), not as a second one after a comma.
                    */}
                    Used today (UTC) <span class="num">{formatUsd(limit.usedUsd)} USD</span> · resets at midnight UTC (
                    <time datetime={limit.resetsAt}>{formatDateTime(limit.resetsAt)}</time>)
                  </p>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </Show>
    </Show>
  );
}
