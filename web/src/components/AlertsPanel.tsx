import { createResource, createSignal, createUniqueId, For, onCleanup, onMount, Show } from "solid-js";
import { api } from "../lib/api";
import { cancelOnEscape, focusControl, focusFirstInvalid, focusWhen } from "../lib/focus";
import { actionMessage, clearMessagesOnEdit, type FieldErrors, fieldErrors, formValue } from "../lib/forms";
import { amountProblem, formatUsd, lessThan } from "../lib/money";
import { prices, useLivePrices } from "../lib/prices";
import { useOptionalSessionUser } from "../lib/session";
import { onFrame, onResync } from "../lib/ws";
import Alert from "./Alert";
import { ScrollTable } from "./DataTable";
import { Field, SelectField } from "./Field";
import { clearFiredAlertNotices } from "./FiredAlerts";

type PriceAlert = { id: string; symbol: string; direction: "above" | "below"; price: string; active: boolean };
type AlertBody = Pick<PriceAlert, "symbol" | "direction" | "price">;

/** Prices take the amounts' rule (API.md, Money and prices) with at most 18 decimals. */
const PRICE_DECIMALS = 18;

/** For what the server still refuses in a price that looks plain (e.g. a leading zero). */
const HINTS = { price: "Enter the price in USD as a plain number, such as 64000 or 0.25." };

/** What is wrong with a price as typed, in a price's words ("Enter a price.", under "Price (USD)"). */
const priceProblem = (price: string) => amountProblem(price, PRICE_DECIMALS, "A price", "price");

/**
 * Whether the market price `market` already meets the alert, which would then fire at the next tick: the server
 * fires "above" at or over its price, "below" at or under it. Undefined when either is not a plain decimal.
 */
function alreadyMet(alert: AlertBody, market: string): boolean | undefined {
  const under =
    alert.direction === "above" ? lessThan(market, alert.price, PRICE_DECIMALS) : lessThan(alert.price, market, PRICE_DECIMALS);
  return under === undefined ? undefined : !under;
}

/**
 * An alert's price exactly as it is kept ("1.00051234", "70,000.00"), never rounded as market prices are shown: a
 * USDT alert at 1.00051234 rounded to "1.0005" would read as met, next to a USDT price of 1.0005, while it waits.
 */
const alertPrice = (alert: AlertBody) => formatUsd(alert.price);

/** "BTC above 70,000.00 USD": which alert a row's button acts on. */
const describeAlert = (alert: PriceAlert) => `${alert.symbol} ${alert.direction} ${alertPrice(alert)} USD`;

/**
 * The user's price alerts: create, list, delete. A fired alert turns inactive live (its WS frame).
 * `symbol` is the asset chosen to begin with (a market page's own); else the first of `symbols`.
 */
export default function AlertsPanel(props: { symbols: string[]; symbol?: string }) {
  useLivePrices();
  // This panel lists fired alerts itself: the app shell's notices of them, carried onto this page, go.
  onMount(clearFiredAlertNotices);
  // The server mails an alert only to a verified address.
  const user = useOptionalSessionUser();
  // A user keeps at most 100 alerts (the server's MAX_ALERTS_PER_USER), so one page of 100 is all of them.
  const [alerts, { refetch, mutate }] = createResource(() =>
    api.get<{ items: PriceAlert[]; nextCursor: string | null }>("/api/alerts?limit=100").then((a) => a.items),
  );
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [message, setMessage] = createSignal<{ tone: "success" | "error"; text: string }>();
  onCleanup(
    onFrame("alert", (frame) => {
      const fired = frame.data as PriceAlert;
      setMessage({
        tone: "success",
        text: `${fired.symbol} is ${fired.direction} ${alertPrice(fired)} USD.`,
      });
      void refetch();
    }),
  );

  onCleanup(onResync(() => void refetch()));

  let form: HTMLFormElement | undefined;
  /** An alert the market price already meets, with that price: held back until the user confirms or changes it. */
  const [asking, setAsking] = createSignal<AlertBody & { market: string }>();
  /** Set when the question was answered by Create anyway or Escape: "Create alert", shown again, takes focus back. */
  let answered = false;
  const questionId = `alert-question-${createUniqueId()}`;
  const clearOnEdit = clearMessagesOnEdit(setErrors, setMessage);

  const create = (event: SubmitEvent) => {
    event.preventDefault();
    if (!form) return;
    setErrors({});
    setMessage(undefined);
    const body = {
      symbol: formValue(form, "symbol"),
      direction: formValue(form, "direction") as AlertBody["direction"],
      price: formValue(form, "price"),
    };
    // The same plain words as the amount fields, rather than the server's bare "Invalid price".
    const problem = priceProblem(body.price);
    if (problem) {
      setErrors({ price: problem });
      focusFirstInvalid(form);
      return;
    }
    // One that would fire at once is most likely a slip (above for below, a digit too few): asked once more.
    const market = prices[body.symbol]?.priceUsd;
    if (market && alreadyMet(body, market)) {
      answered = false;
      setAsking({ ...body, market });
      return;
    }
    void send(body);
  };
  const send = async (body: AlertBody) => {
    try {
      const { alert } = await api.post<{ alert: PriceAlert }>("/api/alerts", body);
      mutate((items) => [alert, ...(items ?? [])]);
      // Not form.reset(): that would put the asset back to the first one, even on another asset's market page.
      const price = form?.elements.namedItem("price");
      if (price instanceof HTMLInputElement) price.value = "";
    } catch (error) {
      const fields = fieldErrors(error, HINTS);
      setErrors(fields);
      // Said once: under its field when it is about one, else over the panel.
      if (Object.keys(fields).length > 0) focusFirstInvalid(form);
      else setMessage({ tone: "error", text: actionMessage(error) });
    }
  };
  const remove = async (alert: PriceAlert) => {
    try {
      await api.delete(`/api/alerts/${encodeURIComponent(alert.id)}`);
      mutate((items) => items?.filter((a) => a.id !== alert.id));
    } catch (error) {
      setMessage({ tone: "error", text: actionMessage(error) });
    }
  };

  return (
    <section class="panel" aria-labelledby="alerts-title">
      <div class="panel-head">
        <h2 id="alerts-title">Price alerts</h2>
        <p class="muted small">
          <Show
            when={user()?.emailVerified !== false}
            fallback="Each alert fires once, here, then turns inactive; it is emailed too once your email is verified."
          >
            Each alert fires once, by email and here, then turns inactive.
          </Show>
        </p>
      </div>
      <Show when={message()}>{(m) => <Alert tone={m().tone}>{m().text}</Alert>}</Show>
      <form
        ref={form}
        class="form form-inline"
        onSubmit={create}
        onInput={(event) => {
          // The question was about the values as they were.
          setAsking(undefined);
          clearOnEdit(event);
        }}
        novalidate
      >
        <SelectField label="Asset" name="symbol" error={errors().symbol}>
          {/* Chosen on the option, not as the select's value: that is set before the options exist, and lost. */}
          <For each={props.symbols}>
            {(symbol) => (
              <option value={symbol} selected={symbol === props.symbol}>
                {symbol}
              </option>
            )}
          </For>
        </SelectField>
        <SelectField label="When the price is" name="direction" error={errors().direction}>
          <option value="above">above</option>
          <option value="below">below</option>
        </SelectField>
        <Field label="Price (USD)" name="price" inputmode="decimal" required error={errors().price} />
        {/* Asked in place of "Create alert", focus following the buttons as they swap (as AskAgainButtons does). */}
        <Show
          when={asking()}
          fallback={
            <button type="submit" class="button button-primary" ref={focusWhen(answered)}>
              Create alert
            </button>
          }
        >
          {(past) => (
            <div
              class="alert-question"
              ref={cancelOnEscape(() => {
                answered = true;
                setAsking(undefined);
              })}
            >
              <Alert tone="warn" title="This alert would fire at once">
                <p id={questionId}>
                  {/* The market price exact too: rounded, it could read as short of the exact alert price it meets. */}
                  {past().symbol} is at {formatUsd(past().market)} USD now, already at or {past().direction} {alertPrice(past())}{" "}
                  USD. Create it anyway, or change the price?
                </p>
                <div class="button-row">
                  <button
                    type="button"
                    class="button button-primary"
                    ref={focusWhen(true)}
                    aria-describedby={questionId}
                    onClick={() => {
                      // The market price was for the question only: the alert is what the user asked for.
                      const { market: _, ...body } = past();
                      answered = true;
                      setAsking(undefined);
                      void send(body);
                    }}
                  >
                    Create anyway
                  </button>
                  <button
                    type="button"
                    class="button"
                    onClick={() => {
                      setAsking(undefined);
                      focusControl(form, "price");
                    }}
                  >
                    Change the price
                  </button>
                </div>
              </Alert>
            </div>
          )}
        </Show>
      </form>
      <Show when={(alerts.latest ?? []).length > 0} fallback={<p class="muted section-gap">No alerts yet.</p>}>
        <ScrollTable
          label="Price alerts table (scrollable)"
          labelledBy="alerts-title"
          class="section-gap"
          columns={[
            { label: "Asset" },
            { label: "Condition", num: true },
            { label: "Status" },
            { label: "Actions", srOnly: true },
          ]}
          items={alerts.latest ?? []}
          row={(alert) => (
            <tr>
              <th scope="row" class="symbol">
                {alert.symbol}
              </th>
              <td class="num">
                {alert.direction} ${alertPrice(alert)}
              </td>
              <td>{alert.active ? "Active" : "Fired"}</td>
              <td>
                <button
                  type="button"
                  class="button button-small"
                  aria-label={`Delete the alert ${describeAlert(alert)}`}
                  onClick={() => remove(alert)}
                >
                  Delete
                </button>
              </td>
            </tr>
          )}
        />
      </Show>
    </section>
  );
}
