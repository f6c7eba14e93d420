import { type Accessor, createResource, createSignal, For, onCleanup, Show, untrack } from "solid-js";
import AccountNotices from "../components/AccountNotices";
import ActionResult from "../components/ActionResult";
import ConnectionIndicator from "../components/ConnectionIndicator";
import { Field, SelectField } from "../components/Field";
import PortfolioPanel from "../components/PortfolioPanel";
import RequireUser from "../components/RequireUser";
import { announce } from "../lib/announce";
import { ApiError, api, errorMessage } from "../lib/api";
import { type PublicConfig, useConfig } from "../lib/config";
import { cancelOnEscape, focusControl, focusFirstInvalid, focusIfLost } from "../lib/focus";
import { clearMessagesOnEdit, type FieldErrors, fieldErrors } from "../lib/forms";
import { createIdempotentSubmission, outcomeUnknown, replayedNote } from "../lib/idempotency";
import { withBalanceFrame } from "../lib/live-rows";
import { amountPattern, amountProblem, formatAmount, formatPrice, lessThan, precisionOf, sharedDecimals } from "../lib/money";
import { orderTerms, shortfallMessage, shortfallRemedy } from "../lib/order-hold";
import { priceMeta, prices, useLivePrices } from "../lib/prices";
import { settled } from "../lib/resource";
import type { User } from "../lib/session";
import { usePageTitle } from "../lib/title";
import { fetchOpenOrders, type Order, type Quote, waitingPrice } from "../lib/trading";
import { fetchBalances } from "../lib/wallet";
import { onFrame, onResync } from "../lib/ws";
import OpenOrders from "./trade/OpenOrders";
import OrderHistory from "./trade/OrderHistory";
import OrderTermsPreview from "./trade/OrderTermsPreview";
import { bodyOf, type Draft, fieldsOf, HINTS, PRICE } from "./trade/order-draft";
import PriceFields from "./trade/PriceFields";
import QuotePanel, { QUOTE_SHORTFALL_ID } from "./trade/QuotePanel";
import { QUOTE_SPREAD_ID } from "./trade/QuoteSpread";
import { shortfallOf } from "./trade/quote-cost";
import { QUOTE_VALID_MS, useQuoteCountdown } from "./trade/quote-countdown";
import { stopReachedNote } from "./trade/stop-hint";

type Message = { tone: "error" | "success" | "info"; text: string };

/** The element describing what a limit or stop order holds and costs, which its Place order button points at. */
const ORDER_TERMS_ID = "trade-order-terms";

/** The server's message as a sentence, so that another can follow it ("Service unavailable" ends without a stop). */
function asSentence(text: string): string {
  const said = text.trim();
  return /[.!?]$/.test(said) ? said : `${said}.`;
}

/** "limit sell of 0.00005000 BTC at 10,000.00 USD". */
const describeOrder = (order: Order, config: PublicConfig) =>
  `${order.type} ${order.side} of ${formatAmount(order.amount, precisionOf(config, order.asset))} ${order.asset} at ${waitingPrice(order)} USD`;

function TradeForm(props: { config: PublicConfig }) {
  useLivePrices();
  const assets = () => props.config.assets.map((a) => a.symbol).filter((s) => s !== "USD");
  const [draft, setDraft] = createSignal<Draft>({
    type: "market",
    side: "buy",
    asset: assets()[0] ?? "",
    amount: "",
    limitPrice: "",
    stopPrice: "",
  });
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [message, setMessage] = createSignal<Message>();
  /** What the last cancel in the open orders came to. */
  const [cancelNote, setCancelNote] = createSignal<Message>();
  /** The Cancel button of the order cancelled last: its row goes once the list reloads. */
  let cancelledFrom: HTMLElement | undefined;
  let form: HTMLFormElement | undefined;
  /** The quote's terms as shown, which are read out once when a quote arrives. */
  let quoteTerms: HTMLParagraphElement | undefined;
  /** "Get quote", which the quote's Cancel gives focus back to. */
  let getQuoteButton: HTMLButtonElement | undefined;
  /** The quote shown, with when it lapses here and the live market price when it arrived (what its spread is against). */
  const [quote, setQuote] = createSignal<Quote & { deadline: number; marketPriceUsd: string | undefined }>();
  const [busy, setBusy] = createSignal(false);
  const [orders, { refetch, mutate }] = createResource(fetchOpenOrders);
  const [balances, balancesActions] = createResource(fetchBalances);
  // Live (WebSocket): a balance moved (a trade settled, a deposit arrived); a quote's warning follows it.
  onCleanup(onFrame("balance", (frame) => balancesActions.mutate((shown) => withBalanceFrame(shown, frame.data))));
  onCleanup(
    onResync(() => {
      void balancesActions.refetch();
      void refetch();
    }),
  );
  /** The limit or stop order placed last, while its answer said it waits. */
  const [waiting, setWaiting] = createSignal<string>();
  const filled = (order: Order) => ({
    tone: "success" as const,
    text: `Filled at ${formatPrice(order.price ?? "0", order.asset)} USD per ${order.asset}.`,
  });
  /** Closed by the platform without a fill: expired, or rejected when it triggered (the order says why). */
  const closed = (order: Order) => ({
    tone: order.status === "rejected" ? ("error" as const) : ("info" as const),
    text: `Your ${describeOrder(order, props.config)} was ${order.status}${order.reason ? `: ${order.reason}` : ""}.`,
  });
  /**
   * The order placed last stopped waiting: "Order placed; it fills…" no longer holds, and how it ended is said (a
   * cancel from this page is not: its note over the open orders says so, and the form forgot the order then).
   */
  const stoppedWaiting = (order: Order) => {
    if (order.id !== waiting() || order.status === "open") return;
    setWaiting(undefined);
    setMessage(order.status === "filled" ? filled(order) : closed(order));
  };
  /**
   * The form's word on the order placed last goes (the user starts another, or another action's result shows): from
   * then on the open orders and the order history tell how it ends.
   */
  const forgetLastOrder = () => {
    setMessage(undefined);
    setWaiting(undefined);
  };
  /** An order as its answer or its frame gives it, in the list without a request: replaced, or put first. */
  const showOrder = (order: Order) =>
    mutate((shown) =>
      shown?.some((o) => o.id === order.id) ? shown.map((o) => (o.id === order.id ? order : o)) : [order, ...(shown ?? [])],
    );
  // Live (WebSocket): a limit or stop order filled, expired or was cancelled on another device. The order just
  // placed may fill any moment after its answer (one the market already met was filled in the answer itself).
  onCleanup(
    onFrame("order", (frame) => {
      const order = frame.data as Order | undefined;
      if (!order?.id) return;
      showOrder(order);
      stoppedWaiting(order);
    }),
  );
  const submission = createIdempotentSubmission("trade");
  const secondsLeft = useQuoteCountdown(quote);
  /** The quote the user may still confirm; an expired one is never sent, its button asks for a new one. */
  const liveQuote = () => (secondsLeft() > 0 ? quote() : undefined);
  const update = (field: keyof Draft, value: string) => {
    setDraft({ ...draft(), [field]: value } as Draft);
    setQuote(undefined);
    // Another order now: the one of unknown outcome is left to the history and the orders list to tell.
    setUnsure(undefined);
    // Another type, side or asset is another order: what was said of the last one's fields (a stop sell's price
    // against the sell price, an amount's decimals) may not hold for it, and is checked again on submit.
    if (field === "type" || field === "side" || field === "asset") setErrors({});
    // Any edit starts the next order: the last one's result ("Order placed…", "Filled at …") under this form would
    // read as this one's. How the last one ends, if it still waits, is for the open orders and the order history.
    forgetLastOrder();
  };
  const precision = () => precisionOf(props.config, draft().asset);
  /** What is available of an asset; undefined while the balances load. */
  const availableOf = (asset: string) => settled(balances)?.balances.find((balance) => balance.asset === asset)?.available;
  /**
   * What an order is weighed against before a quote: the asset's live market price and what the side spends is
   * available ("available" while the balances load says nothing yet). A quote adds the spread and the fee.
   */
  const marketLine = () => {
    const { asset, side } = draft();
    const tick = prices[asset];
    const price = tick ? `Market price: 1 ${asset} ≈ ${formatPrice(tick.priceUsd, asset)} USD` : "Market price: loading…";
    const spends = side === "buy" ? "USD" : asset;
    const available = availableOf(spends);
    const spendPrecision = precisionOf(props.config, spends);
    if (available === undefined || spendPrecision === undefined) return `${price}.`;
    // Padded as the balances table pads it, zero too: "0.00000000 ETH" as "0.00 USD", not a lone "0".
    const shown = formatAmount(available, spendPrecision, sharedDecimals([available], spendPrecision));
    return `${price}. Available to ${side === "buy" ? "spend" : "sell"}: ${shown} ${spends}.`;
  };
  /**
   * A price field's error, unless it is the amount's too: a refusal about both ("too small to buy at this limit
   * price") is said once, under the amount, and still goes when either field is edited (clearMessagesOnEdit).
   */
  const priceError = (field: "limitPrice" | "stopPrice") => {
    const said = errors()[field];
    return said === errors().amount ? undefined : said;
  };
  /** A limit or stop order as typed, for what it will hold and cost. */
  const pending = () => {
    const { type, side, asset, amount, limitPrice, stopPrice } = draft();
    return type === "market" ? undefined : { type, side, asset, amount, price: type === "limit" ? limitPrice : stopPrice };
  };
  /**
   * Why the stop typed would be refused as the market has reached it; undefined for any other order, and while the
   * prices are stale (the page's could then be behind the server's, and would refuse a stop it takes).
   */
  const stopNote = () => {
    const { type, side, asset, stopPrice } = draft();
    return type === "stop" && !priceMeta.stale
      ? stopReachedNote(side, stopPrice, prices[asset]?.priceUsd, props.config.trading.spreadBps)
      : undefined;
  };
  /**
   * The order whose terms are previewed: not a stop whose price is refused, by the page or by the server, whose
   * "you receive …" would read as on offer (the refusal beside the price says why; an edit of it clears the server's).
   */
  const previewed = () => (errors().stopPrice || stopNote() ? undefined : pending());
  /**
   * What the limit or stop order previewed would hold beyond what is available, as the server would refuse it;
   * undefined while it is covered, incomplete, not previewed, or the balances are not known.
   */
  const pendingShortfall = () => {
    const order = previewed();
    const assetPrecision = precision();
    if (!order || assetPrecision === undefined) return undefined;
    const held = orderTerms(order, order.price, assetPrecision, props.config.trading.feeBps)?.held;
    const available = held && availableOf(held.asset);
    const heldPrecision = held && precisionOf(props.config, held.asset);
    if (!held || available === undefined || heldPrecision === undefined || !lessThan(available, held.amount, heldPrecision)) {
      return undefined;
    }
    return { asset: held.asset, text: shortfallMessage(order, held, available, heldPrecision, true) };
  };
  const shortfall = () => {
    const shown = quote();
    return shown && shortfallOf(shown, settled(balances)?.balances, props.config);
  };

  const check = (): boolean => {
    const d = draft();
    const found: FieldErrors = {};
    const problem = amountProblem(d.amount, precision(), d.asset);
    if (problem) found.amount = problem;
    if (d.type === "limit" && !PRICE.test(d.limitPrice)) found.limitPrice = HINTS.limitPrice;
    if (d.type === "stop" && !PRICE.test(d.stopPrice)) found.stopPrice = HINTS.stopPrice;
    setErrors(found);
    focusFirstInvalid(form);
    return Object.keys(found).length === 0;
  };

  const fail = (error: unknown) => {
    const fields = fieldErrors(error, HINTS);
    setErrors(fields);
    const named = Object.keys(fields);
    // Said next to its control; a field the form does not show (e.g. quoteId) is said over the form instead.
    if (named.length > 0 && named.every((name) => fieldsOf(draft().type).includes(name))) {
      focusFirstInvalid(form);
      return;
    }
    const stale = error instanceof ApiError && error.code === "QUOTE_EXPIRED";
    setMessage({ tone: "error", text: stale ? "The quote expired. Get a new one." : errorMessage(error) });
    if (stale) setQuote(undefined);
  };

  const getQuote = async () => {
    const { side, asset, amount } = draft();
    setBusy(true);
    setMessage(undefined);
    try {
      const answer = await api.post<Quote>("/api/trading/quote", { side, asset, amount });
      setQuote({ ...answer, deadline: Date.now() + QUOTE_VALID_MS, marketPriceUsd: prices[answer.asset]?.priceUsd });
      // Read out once, as shown (with why it cannot be confirmed, if so); the countdown is not.
      const spreadText = document.getElementById(QUOTE_SPREAD_ID)?.textContent;
      const shortfallText = document.getElementById(QUOTE_SHORTFALL_ID)?.textContent;
      announce(
        [quoteTerms?.textContent, spreadText, shortfallText ?? `It holds for ${QUOTE_VALID_MS / 1000} seconds.`]
          .filter(Boolean)
          .join(" "),
      );
    } catch (error) {
      fail(error);
    } finally {
      setBusy(false);
    }
  };

  /**
   * An order sent whose outcome is unknown (outcomeUnknown): the next press sends it again exactly as it was, its
   * expired quote too, under the same key. So a market buy that did go through is answered as such (a replay),
   * not bought twice at a new quote; one that did not gets QUOTE_EXPIRED, and a new quote is asked for.
   */
  const [unsure, setUnsure] = createSignal<ReturnType<typeof bodyOf>>();
  const place = async (again?: ReturnType<typeof bodyOf>) => {
    const body = again ?? bodyOf(draft(), liveQuote()?.quoteId);
    setBusy(true);
    setMessage(undefined);
    setCancelNote(undefined);
    try {
      const answer = await api.postIdempotent<{ order: Order }>("/api/trading/orders", body, {
        idempotencyKey: submission.keyFor(body),
      });
      const { order } = answer.body;
      submission.settle();
      setUnsure(undefined);
      setQuote(undefined);
      // A market order's quote went with it (the next press asks for a new one); a limit or stop order left filled in
      // would be placed again by the next press: its amount and price go (type, side and asset stay), and focus waits
      // on the amount for a new one.
      if (body.type !== "market") {
        setDraft({ ...draft(), amount: "", limitPrice: "", stopPrice: "" });
        focusControl(form, "amount");
      }
      setWaiting(order.status === "filled" ? undefined : order.id);
      const result: Message =
        order.status === "filled"
          ? filled(order)
          : { tone: "success", text: "Order placed; it fills when the price reaches it." };
      // The first answer, replayed: said as such, or the user who meant a second, identical order believes it placed.
      const onPurpose =
        body.type === "market"
          ? `To ${body.side} the same again on purpose, get a new quote.`
          : "To place the same again on purpose, enter the amount and price again.";
      setMessage(
        answer.replayed ? { ...result, text: `${replayedNote("order", order.createdAt)} ${result.text} ${onPurpose}` } : result,
      );
      showOrder(order);
    } catch (error) {
      submission.failed(error);
      if (outcomeUnknown(error)) {
        setUnsure(body);
        setMessage({
          tone: "error",
          text: `${asSentence(errorMessage(error))} Your order may have gone through: press Try again to find out. It is never placed twice.`,
        });
        return;
      }
      setUnsure(undefined);
      if (error instanceof ApiError && error.code === "INSUFFICIENT_FUNDS" && body.type !== "market") {
        await refusedForFunds(body, error);
        return;
      }
      fail(error);
    } finally {
      setBusy(false);
    }
  };

  /**
   * A limit or stop order refused for want of funds, which the balance the form judged it by did not show (it moved,
   * or had not loaded). Read again, the warning over the button says how much it needs and what to do, once; the
   * server's words, with what to do, only when the figures still show no shortfall.
   */
  const refusedForFunds = async (body: ReturnType<typeof bodyOf>, error: ApiError) => {
    await Promise.resolve(balancesActions.refetch()).catch(() => undefined);
    const short = pendingShortfall();
    if (short) announce(short.text);
    else setMessage({ tone: "error", text: `${asSentence(errorMessage(error))} ${shortfallRemedy(body, body.asset)}` });
  };

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (busy()) return;
    const again = unsure();
    if (again) void place(again);
    else if (!check()) return;
    else if (draft().type === "market" && !liveQuote()) void getQuote();
    // Enter in the form, with a quote that would be refused on offer: nothing to confirm (its warning says why).
    else if (draft().type === "market" && shortfall()) return;
    // A stop the market has reached is not sent either (the server would refuse it): the note at its price says why,
    // and is read out now.
    else if (stopNote()) announce(stopNote() ?? "");
    // A limit or stop order its balance does not cover is not sent: the warning above the button says why, and is
    // read out now (it is quiet while the user types).
    else if (pendingShortfall()) announce(pendingShortfall()?.text ?? "");
    else void place();
  };

  /** Cancels an open order; `button` is its Cancel, whose focus the note saying how it went takes over. */
  const cancel = async (order: Order, button: HTMLElement) => {
    cancelledFrom = button;
    setCancelNote(undefined);
    // The note over the open orders is the page's latest word: the form's, under an order placed before, would
    // outlive it ("Order placed…" beside "Cancelled the limit buy…").
    forgetLastOrder();
    try {
      const { order: cancelled } = await api.delete<{ order: Order }>(`/api/trading/orders/${order.id}`);
      showOrder(cancelled);
      setCancelNote({
        tone: "success",
        text: `Cancelled the ${describeOrder(cancelled, props.config)}. What it held is back in your available balance.`,
      });
    } catch (error) {
      // A lost answer or a server failure leaves open whether the cancel was carried out; a refusal (404, 409 INVALID_STATE) does not.
      setCancelNote({
        tone: "error",
        text: outcomeUnknown(error)
          ? `${asSentence(errorMessage(error))} It is not known whether the ${describeOrder(order, props.config)} was cancelled: the open orders below, loaded again, show whether it is still open.`
          : `Could not cancel the ${describeOrder(order, props.config)}: ${errorMessage(error)}`,
      });
      // What became of it is not known here: the list is loaded again.
      void refetch();
    }
  };

  /** The quote's Cancel (or Escape): no order, and focus back on the button that asked for the quote. */
  const dropQuote = () => {
    setQuote(undefined);
    getQuoteButton?.focus();
  };

  return (
    <div class="panel-grid">
      <section class="panel" aria-labelledby="trade-form-title">
        <h2 id="trade-form-title" class="panel-title">
          New order
        </h2>
        <form ref={form} class="form" onSubmit={submit} onInput={clearMessagesOnEdit(setErrors, setMessage)} novalidate>
          <SelectField
            label="Order type"
            name="type"
            value={draft().type}
            onChange={(e) => update("type", e.currentTarget.value)}
          >
            <option value="market">Market</option>
            <option value="limit">Limit</option>
            <option value="stop">Stop</option>
          </SelectField>
          <SelectField label="Side" name="side" value={draft().side} onChange={(e) => update("side", e.currentTarget.value)}>
            <option value="buy">Buy</option>
            <option value="sell">Sell</option>
          </SelectField>
          <SelectField label="Asset" name="asset" value={draft().asset} onChange={(e) => update("asset", e.currentTarget.value)}>
            <For each={assets()}>{(symbol) => <option value={symbol}>{symbol}</option>}</For>
          </SelectField>
          <p class="muted small" data-testid="trade-market">
            {marketLine()}
          </p>
          <Field
            label={`Amount (${draft().asset})`}
            name="amount"
            inputmode="decimal"
            autocomplete="off"
            pattern={amountPattern(precision())}
            value={draft().amount}
            onInput={(e) => update("amount", e.currentTarget.value.trim())}
            error={errors().amount}
          />
          <PriceFields
            draft={draft()}
            spreadBps={props.config.trading.spreadBps}
            error={priceError}
            stopNote={stopNote()}
            onInput={update}
          />
          <Show when={previewed()}>
            {(order) => (
              <OrderTermsPreview
                id={ORDER_TERMS_ID}
                order={order()}
                precision={precision()}
                feeBps={props.config.trading.feeBps}
                spreadBps={props.config.trading.spreadBps}
                livePriceUsd={prices[order().asset]?.priceUsd}
                shortfall={pendingShortfall()}
              />
            )}
          </Show>
          <QuotePanel
            ref={quoteTerms}
            quote={quote()}
            precision={precision()}
            shortfall={shortfall()}
            secondsLeft={secondsLeft()}
          />
          {/* Confirm goes with the quote: the result takes focus. */}
          <ActionResult result={message()} />
          <Show
            when={draft().type === "market" && liveQuote()}
            fallback={
              <button
                type="submit"
                class="button button-primary"
                disabled={busy()}
                aria-describedby={
                  previewed()
                    ? pendingShortfall()
                      ? `${ORDER_TERMS_ID} ${ORDER_TERMS_ID}-shortfall`
                      : ORDER_TERMS_ID
                    : undefined
                }
                ref={(el) => {
                  getQuoteButton = el;
                  // In place of an expired quote's Confirm and Cancel: focus inside them comes here.
                  if (untrack(quote)) focusIfLost()(el);
                }}
              >
                {unsure() ? "Try again" : draft().type === "market" ? (quote() ? "Get a new quote" : "Get quote") : "Place order"}
              </button>
            }
          >
            {/* In place of "Get quote": focus, fallen with it, goes to Confirm, or to Cancel when there is no Confirm. */}
            <div class="actions" ref={cancelOnEscape(dropQuote)}>
              {/* A quote the server would refuse for want of funds is not offered: its warning says why. */}
              <Show when={!shortfall()}>
                <button type="submit" class="button button-primary" disabled={busy()} ref={focusIfLost()}>
                  Confirm {draft().side}
                </button>
              </Show>
              <button type="button" class="button button-ghost" ref={focusIfLost()} onClick={dropQuote}>
                Cancel
              </button>
            </div>
          </Show>
        </form>
      </section>
      <OpenOrders
        config={props.config}
        orders={orders}
        onRetry={() => void refetch()}
        note={cancelNote()}
        cancelledFrom={() => cancelledFrom}
        onCancel={cancel}
      />
    </div>
  );
}

function TradePage(props: { user: Accessor<User> }) {
  const config = useConfig();
  return (
    <>
      {/* The open orders, balances and market price follow the socket: while it is down, they may be out of date. */}
      <div class="price-source">
        <ConnectionIndicator />
      </div>
      <AccountNotices user={props.user()} />
      <Show when={config()}>
        {(c) => (
          <>
            <TradeForm config={c()} />
            <OrderHistory config={c()} />
            <PortfolioPanel />
          </>
        )}
      </Show>
    </>
  );
}

export default function Trade() {
  usePageTitle(() => "Trade");
  return (
    <>
      <h1>Trade</h1>
      <RequireUser>{(user) => <TradePage user={user} />}</RequireUser>
    </>
  );
}
