/** The portfolio's average-cost replay (averageCost): basis and realized P&L over trades and every other movement. */
import { describe, expect, test } from "bun:test";
import { averageCost, type Movement } from "../src/modules/trading/portfolio";
import { parseAmount } from "../src/platform/money";

const btc = (amount: string) => parseAmount(amount, 8);
const buy = (amount: string, notional: bigint, fee: bigint): Movement => ({
  asset: "BTC",
  direction: "in",
  units: btc(amount),
  status: "completed",
  fill: { notional, fee },
});
const sell = (amount: string, notional: bigint, fee: bigint): Movement => ({ ...buy(amount, notional, fee), direction: "out" });
/** A deposit or transfer in. */
const arrive = (amount: string, status = "completed"): Movement => ({
  asset: "BTC",
  direction: "in",
  units: btc(amount),
  status,
  fill: null,
});
/** A withdrawal (fee included) or transfer out. */
const leave = (amount: string, status = "completed"): Movement => ({ ...arrive(amount, status), direction: "out" });

function replay(movements: Movement[]) {
  const { positions, realizedCents } = averageCost(movements);
  return { position: positions.get("BTC") ?? { units: 0n, basedUnits: 0n, costCents: 0n }, realizedCents };
}

describe("averageCost", () => {
  test("units sent away take their basis; units deposited after them have none", () => {
    // 0.1 BTC at 65886.7146: 6588.68 + fee 6.59; then 0.04 sold at 65000: 2600 − 2.60.
    const traded = [buy("0.1", 658868n, 659n), sell("0.04", 260000n, 260n)];
    expect(replay(traded).position).toEqual({ units: btc("0.06"), basedUnits: btc("0.06"), costCents: 395717n });
    expect(replay([...traded, leave("0.06"), arrive("0.06")]).position).toEqual({
      units: btc("0.06"),
      basedUnits: 0n,
      costCents: 0n,
    });
  });

  test("a partial outflow takes its proportional share of the units with a basis and of their cost", () => {
    // Half of the holding has a basis; a quarter of the holding leaves with a quarter of each.
    const held = [arrive("1"), buy("1", 1_000_000n, 1_000n)];
    expect(replay([...held, leave("0.5")]).position).toEqual({
      units: btc("1.5"),
      basedUnits: btc("0.75"),
      costCents: 750_750n,
    });
    // A third: what cannot be split exactly stays with the units that remain; all of it leaves with the last unit.
    const thirds = [buy("3", 100n, 0n), leave("1")];
    expect(replay(thirds).position).toEqual({ units: btc("2"), basedUnits: btc("2"), costCents: 67n });
    expect(replay([...thirds, leave("2")]).position).toEqual({ units: 0n, basedUnits: 0n, costCents: 0n });
  });

  test("after a deposit and a buy, a sale takes the units with a basis first and realizes only on them", () => {
    // 0.8 sold: 0.5 of it had a basis (30030.00), and 5/8 of the proceeds (47952.00) is theirs: 29970.00.
    const { position, realizedCents } = replay([arrive("1"), buy("0.5", 3_000_000n, 3_000n), sell("0.8", 4_800_000n, 4_800n)]);
    expect(position).toEqual({ units: btc("0.7"), basedUnits: 0n, costCents: 0n });
    expect(realizedCents).toBe(-6_000n);
  });

  test("a pending withdrawal keeps its basis; a rejected, cancelled or failed one returned its units with theirs", () => {
    const bought = buy("1", 1_000_000n, 0n);
    const whole = { units: btc("1"), basedUnits: btc("1"), costCents: 1_000_000n };
    for (const status of ["pending_review", "processing", "rejected", "cancelled", "failed"]) {
      expect({ status, position: replay([bought, leave("0.4", status)]).position }).toEqual({ status, position: whole });
    }
    expect(replay([bought, leave("0.4")]).position).toEqual({ units: btc("0.6"), basedUnits: btc("0.6"), costCents: 600_000n });
  });

  test("a transfer in waiting for review is not the recipient's yet, and does not dilute what leaves", () => {
    const { position } = replay([buy("1", 1_000_000n, 0n), arrive("1", "pending_review"), leave("0.5")]);
    expect(position).toEqual({ units: btc("0.5"), basedUnits: btc("0.5"), costCents: 500_000n });
  });

  test("an outflow stamped before the units it spends takes only what is held", () => {
    const { position } = replay([leave("0.5"), buy("0.5", 500_000n, 0n)]);
    expect(position).toEqual({ units: btc("0.5"), basedUnits: btc("0.5"), costCents: 500_000n });
  });
});
