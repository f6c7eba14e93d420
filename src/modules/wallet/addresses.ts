/**
 * The address book: withdrawals go only to the user's own saved addresses, each saved once and usable after a
 * cooldown, never to a sanctioned address (SANCTIONED_ADDRESSES_FILE, one address per line, # comments) nor to
 * one no key spends from.
 */
import { readFileSync } from "node:fs";
import { and, desc, eq } from "drizzle-orm";
import type { Config } from "../../config";
import { type DbOrTx, type DbTransaction, lockUntilCommit } from "../../platform/db/client";
import type { Principal } from "../../platform/http/auth";
import { AppError, notFound, validationFailed } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import { after, decodeCursor, pageLimit, pageOf } from "../../platform/pagination";
import { type Actor, recordAudit } from "../audit/service";
import { assertEmailVerified, assertNotFrozen } from "../identity/guards";
import { getUser, mailIfVerified } from "../identity/service";
import { assetOf } from "../ledger/assets";
import type { MoneyContext } from "../ledger/money-context";
import { addressProblem, isUnspendableAddress, sameAddress } from "./address-format";
import { withdrawalAddresses } from "./schema";

type AddressRow = typeof withdrawalAddresses.$inferSelect;

/**
 * The form a sanctioned address is compared in: without whitespace (a pasted address often has a space at
 * either end, which the address book trims away) and in one case, so one list entry covers every spelling.
 */
const normalize = (address: string) => {
  const compact = address.replace(/\s+/g, "");
  return /^0x/i.test(compact) ? compact.toLowerCase() : compact.toUpperCase();
};

export function loadSanctionedAddresses(config: Config): Set<string> {
  if (!config.sanctionedAddressesFile) return new Set();
  const lines = readFileSync(config.sanctionedAddressesFile, "utf8").split("\n");
  return new Set(
    lines
      .map((line) => line.replace(/#.*/, "").trim())
      .filter(Boolean)
      .map(normalize),
  );
}

const addressNotAllowed = (message: string) => new AppError(422, "ADDRESS_NOT_ALLOWED", message);

/** 422 ADDRESS_NOT_ALLOWED for an address on the sanctions list, in whatever spelling, or one no key spends from. */
function assertMayReceive(sanctioned: Set<string>, asset: string, address: string): void {
  if (sanctioned.has(normalize(address))) throw addressNotAllowed("Withdrawals to this address are not allowed");
  if (isUnspendableAddress(asset, address)) {
    throw addressNotAllowed("This is the zero address: nobody holds its key, so anything sent there would be lost for good");
  }
}

/**
 * 422 naming `address` when the owner's book has it already, in any spelling of it: a second entry would only
 * start a second cooldown and show one destination under two labels.
 */
async function assertNotInBook(tx: DbTransaction, userId: string, asset: string, address: string) {
  const [saved] = await bookEntriesOf(tx, userId, asset, address);
  if (saved) throw validationFailed("address", `This address is already in your address book, as “${saved.label}”`);
}

/**
 * The owner's book entries of `address`, in whatever spelling it was saved. A user's book holds a handful of
 * addresses per asset: compared here, where the formats are known.
 */
async function bookEntriesOf(db: DbOrTx, userId: string, asset: string, address: string): Promise<AddressRow[]> {
  const book = await db
    .select()
    .from(withdrawalAddresses)
    .where(and(eq(withdrawalAddresses.userId, userId), eq(withdrawalAddresses.asset, asset)));
  return book.filter((row) => sameAddress(asset, row.address, address));
}

export function toAddress(row: AddressRow) {
  return {
    id: row.id,
    asset: row.asset,
    address: row.address,
    label: row.label,
    activeAt: row.activeAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * The user's address book, locked until the transaction ends: adding, removing and a withdrawal's last look at its
 * destination (requestWithdrawal) take it, so each sees the book as the others left it.
 */
export const lockAddressBook = (tx: DbTransaction, userId: string) => lockUntilCommit(tx, `address-book:${userId}`);

/**
 * Adds an address to the owner's book. Only once the email is verified: until then the account may be a
 * stranger's, set up under someone else's address for its owner to inherit, and an address in the book is
 * where the owner's money would go (API.md's order: the 422s of the request first, then this 403). Nor while
 * the account is frozen: a freeze often means it was taken over, and an address added then would sit out its
 * cooldown during the freeze, ready for the taker's withdrawal the moment the account is unfrozen.
 */
export async function addAddress(
  ctx: MoneyContext,
  owner: Pick<Principal, "userId" | "emailVerified" | "frozen">,
  body: { asset: string; address: string; label: string },
  actor: Actor,
) {
  const { userId } = owner;
  const asset = assetOf(ctx.config, body.asset);
  const address = body.address.trim();
  const problem = addressProblem(asset.symbol, address);
  if (problem) throw validationFailed("address", problem);
  assertEmailVerified(ctx.config, owner, "adding withdrawal addresses");
  assertNotFrozen(owner);
  // Refused here too, so the book never shows an address as active that no withdrawal may go to.
  assertMayReceive(ctx.sanctioned, asset.symbol, address);
  return ctx.db.transaction(async (tx) => {
    // Under the owner's lock, so the same address added twice at once is still added once.
    await lockAddressBook(tx, userId);
    await assertNotInBook(tx, userId, asset.symbol, address);
    const [row] = await tx
      .insert(withdrawalAddresses)
      .values({
        userId,
        asset: asset.symbol,
        address,
        label: body.label.trim(),
        activeAt: new Date(Date.now() + ctx.config.addressCooldownHours * 3600 * 1000),
      })
      .returning();
    await recordAudit(tx, [
      { userId, action: "wallet.address_added", metadata: { addressId: row.id, asset: row.asset, address }, ...actor },
    ]);
    // The cooldown is the owner's time to hear of an address they did not add, and to remove it.
    await mailIfVerified(tx, await getUser(tx, userId), {
      kind: "address_added",
      asset: row.asset,
      label: row.label,
      address: row.address,
      activeAt: row.activeAt,
      at: row.createdAt,
    });
    return toAddress(row);
  });
}

export async function listAddresses(db: DbOrTx, userId: string, page: { limit?: number; cursor?: string }) {
  const limit = pageLimit(page.limit);
  const rows = await db
    .select()
    .from(withdrawalAddresses)
    .where(
      and(
        eq(withdrawalAddresses.userId, userId),
        after(withdrawalAddresses.createdAt, withdrawalAddresses.id, decodeCursor(page.cursor)),
      ),
    )
    .orderBy(desc(withdrawalAddresses.createdAt), desc(withdrawalAddresses.id))
    .limit(limit + 1);
  return pageOf(rows, limit, toAddress);
}

export async function deleteAddress(ctx: MoneyContext, userId: string, id: string, actor: Actor): Promise<void> {
  if (!isUuid(id)) throw notFound("Address");
  await ctx.db.transaction(async (tx) => {
    // A withdrawal to it still on its way either committed before this (and is in the list) or finds it gone.
    await lockAddressBook(tx, userId);
    const removed = await tx
      .delete(withdrawalAddresses)
      .where(and(eq(withdrawalAddresses.id, id), eq(withdrawalAddresses.userId, userId)))
      .returning();
    if (removed.length === 0) throw notFound("Address");
    await recordAudit(tx, [{ userId, action: "wallet.address_removed", metadata: { addressId: id }, ...actor }]);
  });
}

/**
 * A withdrawal's destination as the book spells it: the address must be in the user's book for this asset,
 * in any spelling of the same address (an IBAN with or without spaces, hex in either case), past its
 * cooldown, and not sanctioned; else 422 ADDRESS_NOT_ALLOWED. The payout goes to the book's spelling, which
 * was checked when it was added, never to the request's (a mixed-case bech32, say, that no wallet accepts).
 */
export async function bookedDestination(db: DbOrTx, sanctioned: Set<string>, userId: string, asset: string, address: string) {
  assertMayReceive(sanctioned, asset, address);
  const rows = await bookEntriesOf(db, userId, asset, address);
  if (rows.length === 0) throw addressNotAllowed("Add this address to your address book first");
  const active = rows.find((row) => row.activeAt.getTime() <= Date.now());
  if (!active) {
    const soonest = Math.min(...rows.map((row) => row.activeAt.getTime()));
    throw addressNotAllowed(`This address becomes usable at ${new Date(soonest).toISOString()}`);
  }
  return active.address;
}
