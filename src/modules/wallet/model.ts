import { t } from "elysia";
import { DisplayText, OptionalCode, oneOf, PathId, PlainDecimal } from "../../platform/http/request-schemas";
import { Page, PageQuery } from "../../platform/pagination";
import { depositOrders, withdrawals } from "./schema";

export const DepositBody = t.Object({
  asset: t.String({ minLength: 1, maxLength: 10 }),
  amount: PlainDecimal,
});
export const DepositOrder = t.Object({
  orderId: t.String(),
  asset: t.String(),
  amount: t.String(),
  status: oneOf(depositOrders.status.enumValues),
  payAddress: t.String(),
  expiresAt: t.String(),
  amountReceived: t.String(),
  createdAt: t.String(),
});
export type DepositOrder = typeof DepositOrder.static;
export const OrderAnswer = t.Object({ order: DepositOrder });
export const OrderList = Page(DepositOrder);
export const OrderParams = t.Object({ orderId: PathId });

/** What the payment provider posts to the webhook (API.md). */
export const DepositEvent = t.Object(
  {
    eventId: t.String({ minLength: 1, maxLength: 200 }),
    orderId: t.String({ maxLength: 64 }),
    status: oneOf(["confirmed", "failed", "expired"]),
    amountReceived: t.Optional(
      t.String({ maxLength: 100, description: "The order's running total received; required when status is confirmed" }),
    ),
    txHash: t.Optional(t.Union([t.String({ maxLength: 200 }), t.Null()])),
  },
  // Providers add fields over time; a signed event with an extra field is still a valid event.
  { additionalProperties: true },
);
export type DepositEvent = typeof DepositEvent.static;
export const WebhookAnswer = t.Object({ received: t.Literal(true) });

export const Balance = t.Object({
  asset: t.String(),
  available: t.String(),
  held: t.String(),
  total: t.String(),
  valueUsd: t.String(),
});
export const BalanceAnswer = t.Object({ balances: t.Array(Balance), totalUsd: t.String() });

export const AddressBody = t.Object({
  asset: t.String({ minLength: 1, maxLength: 10 }),
  address: t.String({ minLength: 1, maxLength: 128 }),
  label: DisplayText(64),
});
export const Address = t.Object({
  id: t.String(),
  asset: t.String(),
  address: t.String(),
  label: t.String(),
  activeAt: t.String(),
  createdAt: t.String(),
});
export const AddressAnswer = t.Object({ address: Address });
export const AddressList = Page(Address);

export const WithdrawBody = t.Object({
  asset: t.String({ minLength: 1, maxLength: 10 }),
  amount: PlainDecimal,
  address: t.String({ minLength: 1, maxLength: 128 }),
  code: OptionalCode,
});
export type WithdrawRequest = typeof WithdrawBody.static;
export const Withdrawal = t.Object({
  id: t.String(),
  asset: t.String(),
  amount: t.String(),
  fee: t.String(),
  address: t.String(),
  status: oneOf(withdrawals.status.enumValues),
  txHash: t.Union([t.String(), t.Null()]),
  /** What the admin who rejected it said, if anything; absent otherwise. */
  rejectionReason: t.Optional(t.String()),
  createdAt: t.String(),
  updatedAt: t.String(),
});
export type Withdrawal = typeof Withdrawal.static;
export const WithdrawalAnswer = t.Object({ withdrawal: Withdrawal });
export const WithdrawalList = Page(Withdrawal);
/**
 * The admin's view: who asked, too, whether they are frozen, and when the payout worker last sent it to the provider
 * (JSON time, or null when never). An approved withdrawal can be rejected while a freeze holds it, if never sent.
 */
export const AdminWithdrawalList = Page(
  t.Composite([
    Withdrawal,
    t.Object({
      userId: t.String(),
      userEmail: t.String(),
      userFrozen: t.Boolean(),
      payoutAttemptedAt: t.Union([t.String(), t.Null()]),
    }),
  ]),
);
/** An unknown status is a 422 naming it, not a filter that quietly matches nothing. */
export const StatusQuery = t.Object({ status: t.Optional(oneOf(withdrawals.status.enumValues)), ...PageQuery });
export const ListQuery = t.Object(PageQuery);
