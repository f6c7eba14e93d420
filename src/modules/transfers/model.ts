import { t } from "elysia";
import { FreeText, OptionalCode, oneOf, PlainDecimal } from "../../platform/http/request-schemas";
import { PageQuery } from "../../platform/pagination";
import { p2pTransfers } from "./schema";

export const P2pBody = t.Object({
  recipientEmail: t.String({ format: "email", maxLength: 254 }),
  asset: t.String({ minLength: 1, maxLength: 10 }),
  amount: PlainDecimal,
  // null is no note, as a transfer shows it.
  note: t.Optional(t.Union([FreeText(280), t.Null()])),
  // Required when the sender has 2FA on, as for a withdrawal: money sent to another user leaves the account too.
  code: OptionalCode,
});
export type P2pRequest = typeof P2pBody.static;

export const Transfer = t.Object({
  id: t.String(),
  asset: t.String(),
  amount: t.String(),
  recipientEmail: t.String(),
  note: t.Union([t.String(), t.Null()]),
  status: oneOf(p2pTransfers.status.enumValues),
  /** What the admin who rejected it told the sender, if anything; absent otherwise. Only the sender and admins see a transfer. */
  rejectionReason: t.Optional(t.String()),
  createdAt: t.String(),
});
export type Transfer = typeof Transfer.static;
export const TransferAnswer = t.Object({ transfer: Transfer });

export const Limit = t.Object({
  kind: oneOf(["p2p", "withdrawal"]),
  limitUsd: t.String(),
  usedUsd: t.String(),
  remainingUsd: t.String(),
  resetsAt: t.String(),
});
export type Limit = typeof Limit.static;
export const Limits = t.Object({ items: t.Array(Limit) });

/** The admin's view of a transfer: who sent it, too. */
export const AdminTransfer = t.Composite([Transfer, t.Object({ senderEmail: t.String(), senderFrozen: t.Boolean() })]);

export const AmlFlagView = t.Object({
  id: t.String(),
  transferId: t.String(),
  userId: t.String(),
  userEmail: t.String(),
  /** Whether the flagged user is frozen now: the admin page offers Unfreeze rather than Freeze. */
  userFrozen: t.Boolean(),
  /** The flagged transfer's recipient: with the sender, who may not resolve it (four eyes). */
  recipientId: t.String(),
  rule: t.String(),
  detail: t.String(),
  /** The flagged transfer's status: a flag that holds it is resolved by approving or rejecting the transfer. */
  transferStatus: t.String(),
  /** AML_REVIEW_THRESHOLD_USD the transfer was judged with (decimal string; null on flags from before it was kept). */
  reviewThresholdUsd: t.Union([t.String(), t.Null()]),
  /**
   * The sender's transfers the flag covers, oldest first (the newest 100 if there are more): for a counting rule
   * those of its window up to the flagged transfer, and the later ones of the same pattern while the flag stood
   * for it (open and younger than its window: they raised no flag of their own); for over_threshold the transfer.
   */
  windowTransferIds: t.Array(t.String()),
  /** How many transfers the flag covers, and their USD value when sent (decimal string). */
  windowTransferCount: t.Integer(),
  windowTotalUsd: t.String(),
  createdAt: t.String(),
  /** Set once an admin looked into the flag and resolved it: when, who, and what they found. */
  resolvedAt: t.Union([t.String(), t.Null()]),
  resolvedBy: t.Union([t.String(), t.Null()]),
  resolvedByEmail: t.Union([t.String(), t.Null()]),
  resolution: t.Union([t.String(), t.Null()]),
});
export type AmlFlag = typeof AmlFlagView.static;
export const AmlFlagAnswer = t.Object({ flag: AmlFlagView });
/** `status=open` lists the flags still to look into; without it, all of them. */
export const AmlFlagQuery = t.Object({ status: t.Optional(oneOf(["open", "resolved"])), ...PageQuery });
/** What the admin found, in words another admin (or an auditor) will read later. */
export const ResolveFlagBody = t.Object({ resolution: FreeText(1000, { nonBlank: true }) });
/** Without `status`, the review queue (API.md names only that use): listing every user's transfers is no review task. */
export const ReviewQuery = t.Object({
  status: t.Optional(
    oneOf(p2pTransfers.status.enumValues, { description: "Without it: pending_review, the transfers held for a decision" }),
  ),
  ...PageQuery,
});
