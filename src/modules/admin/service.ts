/** The back office's own answers, where they are more than another module's rule: the ledger's reconciliation. */
import type { Config } from "../../config";
import type { DbOrTx } from "../../platform/db/client";
import { formatAmount } from "../../platform/money";
import { assetAmountText, precisionOf } from "../ledger/assets";
import { verifyLedger } from "../ledger/verify";
import type { ReconcileReport } from "./model";

/** The ledger's invariants checked now (ledger/verify.ts), each asset's sum of balances in its decimals. */
export async function reconcileLedger(db: DbOrTx, config: Config): Promise<typeof ReconcileReport.static> {
  const report = await verifyLedger(db, assetAmountText(config));
  return {
    ok: report.ok,
    assets: report.assets.map((a) => ({ ...a, sumOfBalances: formatAmount(a.sumOfBalances, precisionOf(config, a.asset)) })),
    problems: report.problems,
    untried: report.untried,
  };
}
