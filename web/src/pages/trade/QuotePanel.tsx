import { Show } from "solid-js";
import Alert from "../../components/Alert";
import { formatAmount, formatPrice, formatUsd } from "../../lib/money";
import { shortfallMessage } from "../../lib/order-hold";
import type { Quote } from "../../lib/trading";
import QuoteSpread from "./QuoteSpread";
import type { shortfallOf } from "./quote-cost";

/** The element the quote's announcement reads why it cannot be confirmed from (there only while it falls short). */
export const QUOTE_SHORTFALL_ID = "trade-shortfall";

/**
 * A market order's quote, while there is one: its terms, the spread it costs, the balance it would overdraw, and how
 * long it holds. `ref` receives the terms as shown, which the page reads out once as the quote arrives.
 */
export default function QuotePanel(props: {
  /** The quote with the live market price when it arrived (what its spread is against). */
  quote: (Quote & { marketPriceUsd: string | undefined }) | undefined;
  precision: number | undefined;
  shortfall: ReturnType<typeof shortfallOf>;
  secondsLeft: number;
  ref?: HTMLParagraphElement | ((element: HTMLParagraphElement) => void);
}) {
  return (
    <Show when={props.quote}>
      {(q) => (
        <div class="quote" data-testid="quote">
          <p ref={props.ref}>
            {q().side === "buy" ? "Buy" : "Sell"} {formatAmount(q().amount, props.precision)} {q().asset} at{" "}
            {formatPrice(q().price, q().asset)} USD, fee {formatUsd(q().fee)} USD: you {q().side === "buy" ? "pay" : "receive"}{" "}
            <strong>{formatUsd(q().totalUsd)} USD</strong>.
          </p>
          <QuoteSpread quote={q()} marketPriceUsd={q().marketPriceUsd} precision={props.precision} />
          <Show when={props.shortfall}>
            {(short) => (
              <Alert tone="warn" title={`Not enough ${short().asset}`}>
                <p id={QUOTE_SHORTFALL_ID}>
                  {shortfallMessage({ type: "market", side: q().side }, short(), short().available, short().precision, true)}
                </p>
              </Alert>
            )}
          </Show>
          <p data-testid="quote-countdown">
            {props.secondsLeft > 0 ? `This quote holds for ${props.secondsLeft} s.` : "This quote expired."}
          </p>
        </div>
      )}
    </Show>
  );
}
