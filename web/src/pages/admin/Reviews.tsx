import { createResource, createSignal, type JSX, Show } from "solid-js";
import ActionResult from "../../components/ActionResult";
import Amount from "../../components/Amount";
import DataTable from "../../components/DataTable";
import WithdrawalCells from "../../components/WithdrawalCells";
import { api } from "../../lib/api";
import type { PublicConfig } from "../../lib/config";
import { formatDateTime } from "../../lib/format";
import { actionMessage } from "../../lib/forms";
import { formatAmount, precisionOf } from "../../lib/money";
import { loadError, settled } from "../../lib/resource";
import type { Transfer, Withdrawal } from "../../lib/wallet";
import DecisionButtons from "./Confirm";

type Item = { id: string; asset: string; amount: string; createdAt: string };
/** The admin's lists also say who asked (API additions to `withdrawal` and `transfer`). */
type AdminWithdrawal = Withdrawal & { userEmail: string };
type AdminTransfer = Transfer & { senderEmail: string };

/** One review queue: a list of held items with Approve / Reject each. */
function ReviewQueue<T extends Item>(props: {
  id: string;
  title: string;
  description: string;
  noun: string;
  config: PublicConfig;
  load: () => Promise<T[]>;
  decide: (item: T, approve: boolean) => Promise<void>;
  headers: string[];
  cells: (item: T) => JSX.Element;
}) {
  const [items, { refetch, mutate }] = createResource(props.load);
  const [busy, setBusy] = createSignal<{ id: string; decision: "approve" | "reject" }>();
  const [message, setMessage] = createSignal<{ tone: "success" | "error"; text: string }>();

  const decide = async (item: T, approve: boolean) => {
    setBusy({ id: item.id, decision: approve ? "approve" : "reject" });
    setMessage(undefined);
    const what = `${props.noun} of ${formatAmount(item.amount, precisionOf(props.config, item.asset))} ${item.asset}`;
    try {
      await props.decide(item, approve);
      mutate((list) => list?.filter((i) => i.id !== item.id));
      setMessage({ tone: "success", text: `${approve ? "Approved" : "Rejected"} the ${what}.` });
    } catch (error) {
      setMessage({ tone: "error", text: `Could not ${approve ? "approve" : "reject"} the ${what}: ${actionMessage(error)}` });
      void refetch();
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section class="panel" aria-labelledby={props.id}>
      <div class="panel-head">
        <div>
          <h2 id={props.id}>{props.title}</h2>
          <p class="muted small">{props.description}</p>
        </div>
        <button type="button" class="button" onClick={() => void refetch()} disabled={items.loading} aria-busy={items.loading}>
          {items.loading && settled(items) ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      <ActionResult result={message()} />
      <DataTable
        errorTitle={`Could not load ${props.title.toLowerCase()}`}
        error={loadError(items)}
        onRetry={() => void refetch()}
        items={settled(items)}
        empty="Nothing waits for review."
        label={`${props.title} table (scrollable)`}
        labelledBy={props.id}
        busy={items.loading}
        columns={[...props.headers.map((label) => ({ label })), { label: "Decision", srOnly: true }]}
        row={(item) => (
          <tr>
            {props.cells(item)}
            <td class="num">
              <DecisionButtons
                what={`the ${props.noun} of ${item.amount} ${item.asset} from ${formatDateTime(item.createdAt)}`}
                busy={busy()?.id === item.id ? busy()?.decision : undefined}
                disabled={busy() !== undefined}
                onDecide={(approve) => decide(item, approve)}
              />
            </td>
          </tr>
        )}
      />
    </section>
  );
}

export function WithdrawalReview(props: { config: PublicConfig }) {
  return (
    <ReviewQueue<AdminWithdrawal>
      id="admin-withdrawals-title"
      title="Withdrawals waiting for review"
      description="Above the review threshold. Approve sends them to payout; reject returns amount and fee to the user."
      noun="withdrawal"
      config={props.config}
      load={async () =>
        (
          await api.get<{ items: (Withdrawal & { userEmail: string })[] }>(
            "/api/admin/withdrawals?status=pending_review&limit=100",
          )
        ).items
      }
      decide={async (w, approve) => {
        await api.post(`/api/admin/withdrawals/${encodeURIComponent(w.id)}/${approve ? "approve" : "reject"}`);
      }}
      headers={["Requested / ID", "Amount", "To address", "User"]}
      cells={(w) => (
        <>
          <WithdrawalCells withdrawal={w} config={props.config} showId />
          <td class="break">{w.userEmail}</td>
        </>
      )}
    />
  );
}

export function TransferReview(props: { config: PublicConfig }) {
  return (
    <ReviewQueue<AdminTransfer>
      id="admin-transfers-title"
      title="Transfers waiting for review"
      description="Held by AML screening. Approve delivers them to the recipient; reject returns the funds to the sender."
      noun="transfer"
      config={props.config}
      load={async () => (await api.get<{ items: AdminTransfer[] }>("/api/admin/transfers?status=pending_review&limit=100")).items}
      decide={async (t, approve) => {
        await api.post(`/api/admin/transfers/${encodeURIComponent(t.id)}/${approve ? "approve" : "reject"}`);
      }}
      headers={["Created / ID", "Amount", "Sender", "Recipient / note"]}
      cells={(t) => (
        <>
          {/* The id under the time, as for withdrawals: a column of its own would push Approve and Reject aside. */}
          <td>
            <time datetime={t.createdAt}>{formatDateTime(t.createdAt)}</time>
            <code class="cell-line truncate truncate-id" title={t.id}>
              {t.id}
            </code>
          </td>
          <td class="num">
            <Amount value={t.amount} asset={t.asset} precision={precisionOf(props.config, t.asset)} />
          </td>
          <td class="break">{t.senderEmail}</td>
          {/* The note under the recipient, as in the history: a column of its own would push the buttons aside. */}
          <td class="wrap">
            <span class="break">{t.recipientEmail}</span>
            <Show when={t.note}>
              {(text) => (
                <span class="cell-line small">
                  <span class="muted">Note:</span> {text()}
                </span>
              )}
            </Show>
          </td>
        </>
      )}
    />
  );
}
