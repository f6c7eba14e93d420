import { Show } from "solid-js";
import { formatAmount, formatPrice, formatUsd } from "../../lib/money";
import { type Quote, quoteSpread } from "../../lib/trading";

/** The element the quote's announcement reads the spread from (it is not there when no spread is named). */
export const QUOTE_SPREAD_ID = "quote-spread";

/**
 * Under a quote's terms: the market price it is compared with, and what the spread between them costs. The quoted
 * price is not the market price shown elsewhere, and the difference is a cost besides the fee, so it is named as one.
 * `marketPriceUsd` is the live price when the quote arrived: the spread stays as quoted while the market moves.
 */
export default function QuoteSpread(props: { quote: Quote; marketPriceUsd: string | undefined; precision: number | undefined }) {
  const spread = () => {
    const { marketPriceUsd: market, precision } = props;
    if (market === undefined || precision === undefined) return undefined;
    const cost = quoteSpread(props.quote, market, precision);
    return cost && { ...cost, market };
  };
  return (
    <Show when={spread()}>
      {(cost) => (
        <p id={QUOTE_SPREAD_ID} data-testid="quote-spread">
          {`Market price when quoted: ${formatPrice(cost().market, props.quote.asset)} USD. ` +
            `Spread: ${formatUsd(cost().costUsd)} USD (${formatAmount(cost().percent, 2)}%), part of your cost: ` +
            "it is in the quoted price, besides the fee."}
        </p>
      )}
    </Show>
  );
}
