/**
 * Deposits: an order with a pay address, credited when the provider's signed webhook says money arrived.
 * Partial, over and late payments are credited as received. The sandbox provider confirms pending orders
 * by itself after DEPOSIT_SANDBOX_CONFIRM_SECONDS: an unsigned event (it runs in-process), applied by the same
 * applyDepositEvent as a webhook's.
 */
import { createHmac } from "node:crypto";
import { and, asc, desc, eq, lt, sql } from "drizzle-orm";
import { deriveKey, safeEqual } from "../../platform/crypto";
import type { DbTransaction } from "../../platform/db/client";
import { enqueueEvents } from "../../platform/events/outbox";
import { AppError, notFound } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import { AmountError, formatAmount, parseAmount } from "../../platform/money";
import { after, decodeCursor, pageLimit, pageOf } from "../../platform/pagination";
import { type Actor, recordAudit } from "../audit/service";
import { getUser, mailIfVerified } from "../identity/service";
import { parseAssetAmount, precisionOf } from "../ledger/assets";
import { balanceEvents, type MoneyContext } from "../ledger/money-context";
import { systemAccount, userAccount } from "../ledger/service";
import { recordTransactions, toTx } from "../transactions/service";
import type { DepositEvent, DepositOrder } from "./model";
import { providersFor, sandboxDepositProvider } from "./providers";
import { depositEvents, depositOrders } from "./schema";

/** How long a pay address waits for a payment. */
export const DEPOSIT_ORDER_TTL_MS = 60 * 60 * 1000;

type OrderRow = typeof depositOrders.$inferSelect;

function toOrder(ctx: MoneyContext, row: OrderRow): DepositOrder {
  const precision = precisionOf(ctx.config, row.asset);
  return {
    orderId: row.id,
    asset: row.asset,
    amount: formatAmount(row.amount, precision),
    status: row.status,
    payAddress: row.payAddress,
    expiresAt: row.expiresAt.toISOString(),
    amountReceived: formatAmount(row.amountReceived, precision),
    createdAt: row.createdAt.toISOString(),
  };
}

/** The webhook secret; without one configured it is derived from COOKIE_SECRET, so the sandbox can sign. */
export function webhookSecret(ctx: MoneyContext): string {
  return ctx.config.depositWebhookSecret ?? deriveKey(ctx.config.cookieSecret, "deposit-webhook").toString("hex");
}

export const signWebhook = (secret: string, rawBody: string) =>
  `sha256=${createHmac("sha256", secret).update(rawBody).digest("hex")}`;

export async function prepareDeposit(ctx: MoneyContext, userId: string, body: { asset: string; amount: string }) {
  const { asset, units } = parseAssetAmount(ctx.config, body.asset, body.amount);
  await ctx.ledger.openAccounts(ctx.db, [
    userAccount(userId, asset.symbol, "available"),
    systemAccount(asset.symbol, "external"),
  ]);
  return { asset, units };
}

export async function createDeposit(
  ctx: MoneyContext,
  tx: DbTransaction,
  userId: string,
  prepared: Awaited<ReturnType<typeof prepareDeposit>>,
  actor: Actor,
) {
  const id = crypto.randomUUID();
  const provider = providersFor(ctx.config).deposit;
  const [row] = await tx
    .insert(depositOrders)
    .values({
      id,
      userId,
      asset: prepared.asset.symbol,
      amount: prepared.units,
      status: "pending",
      provider: provider.name,
      payAddress: provider.payAddress(prepared.asset.symbol, id),
      amountReceived: 0n,
      expiresAt: new Date(Date.now() + DEPOSIT_ORDER_TTL_MS),
    })
    .returning();
  await recordAudit(tx, [
    {
      userId,
      action: "wallet.deposit_created",
      metadata: { orderId: id, asset: row.asset, amount: formatAmount(row.amount, prepared.asset.precision) },
      ...actor,
    },
  ]);
  return toOrder(ctx, row);
}

export async function getDeposit(ctx: MoneyContext, userId: string, orderId: string): Promise<DepositOrder> {
  if (!isUuid(orderId)) throw notFound("Deposit order");
  const [row] = await ctx.db
    .select()
    .from(depositOrders)
    .where(and(eq(depositOrders.id, orderId), eq(depositOrders.userId, userId)));
  if (!row) throw notFound("Deposit order");
  return toOrder(ctx, row);
}

export async function listDeposits(ctx: MoneyContext, userId: string, page: { limit?: number; cursor?: string }) {
  const limit = pageLimit(page.limit);
  const rows = await ctx.db
    .select()
    .from(depositOrders)
    .where(and(eq(depositOrders.userId, userId), after(depositOrders.createdAt, depositOrders.id, decodeCursor(page.cursor))))
    .orderBy(desc(depositOrders.createdAt), desc(depositOrders.id))
    .limit(limit + 1);
  return pageOf(rows, limit, (row) => toOrder(ctx, row));
}

/** Checks `X-Signature: sha256=<hex HMAC-SHA256 of the raw body>` in constant time; hex in either case. */
export function assertSignature(ctx: MoneyContext, rawBody: string, signature: string | null): void {
  if (!signature || !safeEqual(signature.toLowerCase(), signWebhook(webhookSecret(ctx), rawBody))) {
    throw new AppError(401, "UNAUTHENTICATED", "Bad webhook signature");
  }
}

/** An order's status once a payment is credited: what its mail tells the owner (deposit_credited). */
type PaidStatus = Extract<OrderRow["status"], "confirmed" | "partially_paid" | "confirmed_late">;

const statusAfterPayment = (order: OrderRow, received: bigint, late: boolean): PaidStatus =>
  late ? "confirmed_late" : received >= order.amount ? "confirmed" : "partially_paid";

/** What became of a provider event: applied, or its id seen before with the same contents or with others. */
export type DepositEventOutcome = "new" | "repeat" | "conflict";

/** The fields of an event that make it what it is; a repeat that differs in one of them is not the same event. */
const EVENT_FIELDS = ["orderId", "status", "amountReceived", "txHash"] as const;
const sameEvent = (stored: Record<string, unknown>, event: DepositEvent) =>
  EVENT_FIELDS.every((field) => (stored[field] ?? null) === (event[field] ?? null));

/**
 * Applies one provider event. A duplicate event id changes nothing (API.md); one that comes with other contents
 * is told apart, so the webhook can warn of a provider that reuses ids. `amountReceived` is the order's running
 * total, as payment providers report it: what it adds to what the order already received is credited
 * (partial, over, or after expiry), so a confirmation sent again under a new event id, or by both the
 * provider and the sandbox, credits nothing twice. `failed` and `expired` only close a pending order.
 */
export async function applyDepositEvent(ctx: MoneyContext, event: DepositEvent): Promise<DepositEventOutcome> {
  if (!isUuid(event.orderId)) throw notFound("Deposit order");
  const [order] = await ctx.db.select().from(depositOrders).where(eq(depositOrders.id, event.orderId));
  if (!order) throw notFound("Deposit order");
  const precision = precisionOf(ctx.config, order.asset);
  let received = 0n;
  if (event.status === "confirmed") {
    try {
      received = parseAmount(event.amountReceived ?? "", precision);
    } catch (error) {
      if (error instanceof AmountError)
        throw new AppError(422, "VALIDATION_FAILED", `amountReceived ${error.message}`, { fields: ["amountReceived"] });
      throw error;
    }
    await ctx.ledger.openAccounts(ctx.db, [
      userAccount(order.userId, order.asset, "available"),
      systemAccount(order.asset, "external"),
    ]);
  }
  return ctx.db.transaction(async (tx): Promise<DepositEventOutcome> => {
    const fresh = await tx
      .insert(depositEvents)
      .values({ eventId: event.eventId, orderId: order.id, payload: event })
      .onConflictDoNothing()
      .returning();
    if (fresh.length === 0) {
      const [seen] = await tx
        .select({ payload: depositEvents.payload })
        .from(depositEvents)
        .where(eq(depositEvents.eventId, event.eventId));
      return sameEvent(seen.payload, event) ? "repeat" : "conflict";
    }
    const [locked] = await tx.select().from(depositOrders).where(eq(depositOrders.id, order.id)).for("update");
    if (event.status !== "confirmed") {
      if (locked.status === "pending") {
        await tx.update(depositOrders).set({ status: event.status, updatedAt: sql`now()` }).where(eq(depositOrders.id, order.id));
      }
      return "new";
    }
    if (received <= locked.amountReceived) return "new"; // nothing arrived that is not credited already
    const credit = received - locked.amountReceived;
    // API.md: confirmed_late is a payment after expiry. A failed order paid before it expires is simply paid.
    const late = locked.status === "expired" || locked.expiresAt.getTime() < Date.now();
    const status = statusAfterPayment(locked, received, late);
    const { balances } = await ctx.ledger.post(tx, {
      kind: "deposit",
      legs: [
        {
          from: systemAccount(order.asset, "external"),
          to: userAccount(order.userId, order.asset, "available"),
          amount: credit,
        },
      ],
    });
    await tx
      .update(depositOrders)
      .set({ status, amountReceived: received, txHash: event.txHash ?? locked.txHash, updatedAt: sql`now()` })
      .where(eq(depositOrders.id, order.id));
    const history = await recordTransactions(tx, [
      {
        userId: order.userId,
        type: "deposit",
        asset: order.asset,
        amount: credit,
        fee: 0n,
        status: "completed",
        direction: "in",
        counterparty: null,
        reference: order.id,
        note: null,
      },
    ]);
    await recordAudit(tx, [
      {
        userId: order.userId,
        action: "wallet.deposit_credited",
        metadata: {
          orderId: order.id,
          asset: order.asset,
          amount: formatAmount(credit, precision),
          received: formatAmount(received, precision),
          status,
          eventId: event.eventId,
        },
      },
    ]);
    await mailIfVerified(tx, await getUser(tx, order.userId), {
      kind: "deposit_credited",
      orderId: order.id,
      asset: order.asset,
      credited: formatAmount(credit, precision),
      received: formatAmount(received, precision),
      ordered: formatAmount(order.amount, precision),
      status,
      at: new Date(),
    });
    await enqueueEvents(tx, [
      ...balanceEvents(ctx, balances),
      { userId: order.userId, type: "transaction", data: toTx(ctx.config, history[0]) },
    ]);
    return "new";
  });
}

/**
 * What a production start with the sandbox warns of. Payouts are simulated whatever the setting; deposits
 * confirm by themselves unless DEPOSIT_SANDBOX_CONFIRM_SECONDS is 0, which leaves only the signed webhook.
 */
export function sandboxProductionWarning(confirmSeconds: number): string {
  const deposits =
    confirmSeconds === 0
      ? "deposits are credited only by signed webhooks (DEPOSIT_SANDBOX_CONFIRM_SECONDS=0)"
      : `deposits confirm by themselves after ${confirmSeconds} s`;
  return `DEPOSIT_PROVIDER is sandbox: ${deposits} and payouts are simulated; hold no real money`;
}

/** How many due sandbox payments one pass makes at most. */
export const SANDBOX_DEPOSIT_BATCH = 20;

/**
 * The sandbox provider's side: pending orders older than DEPOSIT_SANDBOX_CONFIRM_SECONDS are paid in full, each
 * as a provider event applied by `applyDepositEvent`, the webhook's own path past its signature check (the
 * sandbox runs in-process: there is no network to sign for). Also expires unpaid orders past their time.
 */
export async function runSandboxDeposits(ctx: MoneyContext): Promise<number> {
  // The sandbox's payments first: one due just before its order expires is paid (late, if this tick came late),
  // rather than the order expired unpaid under it.
  const paid = await paySandboxDeposits(ctx, SANDBOX_DEPOSIT_BATCH);
  await ctx.db
    .update(depositOrders)
    .set({ status: "expired", updatedAt: sql`now()` })
    .where(and(eq(depositOrders.status, "pending"), lt(depositOrders.expiresAt, sql`now()`)));
  return paid;
}

/** The sandbox's payer: pays each pending sandbox order in full DEPOSIT_SANDBOX_CONFIRM_SECONDS after it was made. */
async function paySandboxDeposits(ctx: MoneyContext, batch: number): Promise<number> {
  const seconds = ctx.config.depositSandboxConfirmSeconds;
  if (seconds === 0) return 0;
  const due = await ctx.db
    .select()
    .from(depositOrders)
    .where(
      and(
        eq(depositOrders.status, "pending"),
        eq(depositOrders.provider, sandboxDepositProvider.name),
        lt(depositOrders.createdAt, new Date(Date.now() - seconds * 1000)),
      ),
    )
    .orderBy(asc(depositOrders.createdAt))
    .limit(batch);
  for (const order of due) {
    const precision = precisionOf(ctx.config, order.asset);
    const event: DepositEvent = {
      eventId: `sandbox-${order.id}`,
      orderId: order.id,
      status: "confirmed",
      amountReceived: formatAmount(order.amount, precision),
      txHash: `sandbox-${order.id}`,
    };
    await applyDepositEvent(ctx, event);
  }
  return due.length;
}
