/**
 * The mails about an account's security and money: each is queued with the change it reports, carries the
 * anti-phishing code, and goes only to a verified address; a refused change mails nothing.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { asc, eq } from "drizzle-orm";
import { runPayouts } from "../src/modules/wallet/payouts";
import { type PayoutProvider, PayoutRefused, sandboxPayoutProvider } from "../src/modules/wallet/providers";
import { depositOrders, withdrawalAddresses } from "../src/modules/wallet/schema";
import { mailOutbox } from "../src/platform/mail/schema";
import { readableUtc, renderMail } from "../src/platform/mail/templates";
import { groupThousands } from "../src/platform/money";
import { createLogger } from "../src/platform/observability/logger";
import {
  adminUser,
  deposit,
  fundedUser,
  lastMailTo,
  PASSWORD,
  signedInUser,
  TestClient,
  tokenFromMail,
  totpNow,
  uniqueEmail,
} from "./support/client";
import { createTestApp } from "./support/harness";

setDefaultTimeout(30_000);

let fixture: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  fixture = await createTestApp({
    TRUST_PROXY: "true",
    RATE_LIMIT_PER_MINUTE: "10000",
    ADDRESS_COOLDOWN_HOURS: "24",
    WITHDRAWAL_REVIEW_THRESHOLD_USD: "500",
    WITHDRAWAL_FEES: "USD:1.50",
  });
});
afterAll(() => fixture.dispose());

type ErrorBody = { error: { code: string } };
const IBAN = "GB82 WEST 1234 5698 7654 32";
const READABLE_UTC = /\b\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC\b/;
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** Every mail queued for `to`, oldest first. */
const mailsTo = (to: string) =>
  fixture.deps.database.db.select().from(mailOutbox).where(eq(mailOutbox.toAddress, to)).orderBy(asc(mailOutbox.id));

/** What `change` queued for `to`: the mails that were not there before it. */
async function mailedBy(to: string, change: () => Promise<unknown>) {
  const before = (await mailsTo(to)).length;
  await change();
  return (await mailsTo(to)).slice(before);
}

const withKey = (client: TestClient, path: string, body: unknown) =>
  client.request("POST", path, { body, headers: { "idempotency-key": crypto.randomUUID() } });

/** A verified user with an anti-phishing code, which every mail below must carry. */
async function userWithCode(label: string, usd?: string) {
  const user = usd ? await fundedUser(fixture, label, usd) : await signedInUser(fixture, label);
  expect((await user.client.json("PATCH", "/api/auth/profile", { antiPhishingCode: `code-${label}` })).status).toBe(200);
  return { ...user, code: `code-${label}` };
}

/** A user whose withdrawal address is past its cooldown. */
async function withBook(label: string, usd: string) {
  const user = await userWithCode(label, usd);
  await user.client.json("POST", "/api/wallet/addresses", { asset: "USD", address: IBAN, label: "bank" });
  // Past its cooldown at once: what is mailed here is the withdrawal, not the address.
  await fixture.deps.database.db
    .update(withdrawalAddresses)
    .set({ activeAt: new Date() })
    .where(eq(withdrawalAddresses.userId, user.userId));
  return user;
}

async function withdraw(client: TestClient, amount: string) {
  const answer = await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount, address: IBAN });
  expect(answer.status).toBe(202);
  return ((await answer.json()) as { withdrawal: { id: string } }).withdrawal.id;
}

/** A provider event for `orderId`, signed as the provider signs it, through the webhook. */
async function providerEvent(orderId: string, amountReceived: string) {
  const { signWebhook, webhookSecret } = await import("../src/modules/wallet/deposits");
  const event = JSON.stringify({ eventId: crypto.randomUUID(), orderId, status: "confirmed", amountReceived, txHash: "0xabc" });
  return fixture.request("/api/wallet/deposit/webhook", {
    method: "POST",
    headers: { "content-type": "application/json", "x-signature": signWebhook(webhookSecret(fixture.services.money), event) },
    body: event,
  });
}

async function depositOrder(client: TestClient, amount: string) {
  const created = await withKey(client, "/api/wallet/deposit/create", { asset: "USD", amount });
  return ((await created.json()) as { order: { orderId: string } }).order.orderId;
}

describe("numbers in mails", () => {
  test("are grouped by thousands as people read them, their decimals kept exactly", () => {
    expect(["66472.73", "1234567.000001", "999", "1000", "0.5", "0.00000031"].map(groupThousands)).toEqual([
      "66,472.73",
      "1,234,567.000001",
      "999",
      "1,000",
      "0.5",
      "0.00000031",
    ]);
    const alert = { symbol: "BTC", direction: "above", price: "66000", triggeredPrice: "66472.73", at: new Date() } as const;
    const recipient = { email: "reader@example.com", name: null, antiPhishingCode: null };
    expect(renderMail(recipient, { kind: "price_alert", ...alert }).text).toContain(
      "BTC is above 66,000 USD: it was 66,472.73 USD",
    );
  });
});

describe("times in mails", () => {
  test("are shown as readable UTC, never as raw ISO strings", async () => {
    expect(readableUtc(new Date("2026-11-28T00:51:59.999Z"))).toBe("28 Nov 2026, 00:51 UTC");
    expect(readableUtc(new Date("2026-09-03T17:05:00Z"))).toBe("3 Sep 2026, 17:05 UTC");
    const { email } = await signedInUser(fixture, "times");
    const visitor = new TestClient(fixture);
    visitor.userAgent = "AnotherBrowser/2.0";
    expect((await visitor.post("/api/auth/login", { email, password: PASSWORD })).status).toBe(200);
    const mail = await lastMailTo(fixture, email);
    expect(mail.subject).toBe("New sign-in to your account");
    expect(mail.textBody).toMatch(READABLE_UTC);
    expect(mail.textBody).not.toMatch(ISO_TIME);
    expect(mail.htmlBody).toMatch(READABLE_UTC);
  });
});

describe("address book", () => {
  test("an address added is mailed with its label, the address, when it becomes usable and what to do", async () => {
    const { client, email, code } = await userWithCode("book");
    const [mail, ...more] = await mailedBy(email, async () => {
      const added = await client.json<{ address: { activeAt: string } }>("POST", "/api/wallet/addresses", {
        asset: "USD",
        address: IBAN,
        label: "my <bank>",
      });
      expect(added.status).toBe(201);
      expect(added.body.address.activeAt).toBeTruthy();
    });
    expect(more).toEqual([]);
    expect(mail.subject).toBe("New withdrawal address added");
    const [{ activeAt }] = (await client.json<{ items: { activeAt: string }[] }>("GET", "/api/wallet/addresses")).body.items;
    for (const part of [code, "USD", '"my <bank>"', IBAN, `from ${readableUtc(new Date(activeAt))}`, "under Wallet", "password"])
      expect(mail.textBody).toContain(part);
    expect(mail.htmlBody).toContain("my &lt;bank&gt;");
    expect(mail.htmlBody).toContain(code);
  });

  test("an address refused (bad format, frozen account) mails nothing", async () => {
    const { client, email, userId } = await userWithCode("book-refused");
    const admin = await adminUser(fixture, "book-admin");
    await admin.client.json("POST", `/api/admin/users/${userId}/freeze`);
    const mailed = await mailedBy(email, async () => {
      const invalid = await client.json("POST", "/api/wallet/addresses", { asset: "BTC", address: "not-an-address", label: "x" });
      expect(invalid.status).toBe(422);
      const frozen = await client.json<ErrorBody>("POST", "/api/wallet/addresses", { asset: "USD", address: IBAN, label: "x" });
      expect([frozen.status, frozen.body.error.code]).toEqual([403, "FORBIDDEN"]);
    });
    expect(mailed).toEqual([]);
  });
});

describe("anti-phishing code", () => {
  test("a change is mailed with the new code; a removal says so; the same code again or a name mails nothing", async () => {
    const { client, email } = await signedInUser(fixture, "phish-change");
    const [set] = await mailedBy(email, () => client.json("PATCH", "/api/auth/profile", { antiPhishingCode: "first-code" }));
    expect(set.subject).toBe("Your anti-phishing code was changed");
    expect(set.textBody).toStartWith("Your anti-phishing code: first-code");
    expect(set.textBody).toContain("was changed at");
    expect(set.textBody).toContain("change your password");
    expect(set.htmlBody).toContain("first-code");
    const [changed] = await mailedBy(email, () => client.json("PATCH", "/api/auth/profile", { antiPhishingCode: "second-code" }));
    expect(changed.textBody).toStartWith("Your anti-phishing code: second-code");
    expect(changed.textBody).not.toContain("first-code");
    const unchanged = await mailedBy(email, async () => {
      await client.json("PATCH", "/api/auth/profile", { antiPhishingCode: "second-code" });
      await client.json("PATCH", "/api/auth/profile", { name: "Renamed" });
    });
    expect(unchanged).toEqual([]);
    const [removed] = await mailedBy(email, () => client.json("PATCH", "/api/auth/profile", { antiPhishingCode: null }));
    expect(removed.subject).toBe("Your anti-phishing code was changed");
    expect(removed.textBody).toContain("was removed at");
    expect(removed.textBody).not.toContain("second-code");
  });

  test("a refused change mails nothing: a bad code, or an unverified address (whose code would be a stranger's)", async () => {
    const { client, email } = await signedInUser(fixture, "phish-refused");
    expect(
      await mailedBy(email, async () => {
        expect((await client.json("PATCH", "/api/auth/profile", { antiPhishingCode: "ab" })).status).toBe(422);
      }),
    ).toEqual([]);
    const unverified = new TestClient(fixture);
    const squatted = uniqueEmail("phish-unverified");
    await unverified.post("/api/auth/register", { email: squatted, password: PASSWORD, name: "x" });
    await unverified.post("/api/auth/login", { email: squatted, password: PASSWORD });
    const mailed = await mailedBy(squatted, async () => {
      const refused = await unverified.json<ErrorBody>("PATCH", "/api/auth/profile", { antiPhishingCode: "trust-me" });
      expect(refused.body.error.code).toBe("EMAIL_NOT_VERIFIED");
    });
    expect(mailed).toEqual([]);
  });
});

describe("deposits", () => {
  test("each credit is mailed with the amount credited and the order's status: full, partial, over, late", async () => {
    const { client, email, code } = await userWithCode("dep");
    const [full] = await mailedBy(email, () => deposit(client, "USD", "100"));
    expect(full.subject).toBe("Deposit credited");
    for (const part of [
      code,
      "100 USD from your deposit was credited",
      "asked for 100 USD and has received 100 USD",
      "it is paid.",
    ])
      expect(full.textBody).toContain(part);

    const orderId = await depositOrder(client, "100");
    const [partial] = await mailedBy(email, () => providerEvent(orderId, "40"));
    expect(partial.textBody).toContain("40 USD from your deposit was credited");
    expect(partial.textBody).toContain(`order ${orderId} asked for 100 USD and has received 40 USD in all: it is partly paid`);
    const [over] = await mailedBy(email, () => providerEvent(orderId, "120"));
    expect(over.textBody).toContain("80 USD from your deposit was credited");
    expect(over.textBody).toContain("has received 120 USD in all: it is paid.");
    // The same running total again credits nothing, and mails nothing.
    expect(await mailedBy(email, () => providerEvent(orderId, "120"))).toEqual([]);

    const lateId = await depositOrder(client, "10");
    await fixture.deps.database.db
      .update(depositOrders)
      .set({ expiresAt: new Date(Date.now() - 60_000) })
      .where(eq(depositOrders.id, lateId));
    const [late] = await mailedBy(email, () => providerEvent(lateId, "10"));
    expect(late.textBody).toContain("paid after the order had expired");
  });

  test("an event with a bad signature credits and mails nothing", async () => {
    const { client, email } = await signedInUser(fixture, "dep-forged");
    const orderId = await depositOrder(client, "50");
    const mailed = await mailedBy(email, async () => {
      const forged = await fixture.request("/api/wallet/deposit/webhook", {
        method: "POST",
        headers: { "content-type": "application/json", "x-signature": `sha256=${"0".repeat(64)}` },
        body: JSON.stringify({ eventId: "forged", orderId, status: "confirmed", amountReceived: "50" }),
      });
      expect(forged.status).toBe(401);
    });
    expect(mailed).toEqual([]);
  });
});

describe("withdrawal outcomes", () => {
  const payOut = (provider: PayoutProvider) => runPayouts(fixture.services.money, provider, createLogger("silent"));

  test("a completed withdrawal is mailed with the payout's tx hash", async () => {
    const { client, email, code } = await withBook("wd-done", "100");
    const id = await withdraw(client, "40");
    const [mail] = await mailedBy(email, () => payOut(sandboxPayoutProvider));
    const { withdrawal } = (await client.json<{ withdrawal: { txHash: string } }>("GET", `/api/wallet/withdrawals/${id}`)).body;
    expect(mail.subject).toBe("Withdrawal completed");
    for (const part of [code, "40 USD (fee 1.5 USD)", IBAN, "paid out at", withdrawal.txHash])
      expect(mail.textBody).toContain(part);
  });

  test("a payout the provider refuses is mailed as failed, funds back in available", async () => {
    const { client, email } = await withBook("wd-failed", "100");
    const id = await withdraw(client, "40");
    const refusing: PayoutProvider = {
      name: "refusing",
      send: async (payout) => {
        if (payout.withdrawalId === id) throw new PayoutRefused("account closed");
        return sandboxPayoutProvider.send(payout);
      },
    };
    const [mail] = await mailedBy(email, () => payOut(refusing));
    expect(mail.subject).toBe("Withdrawal failed");
    expect(mail.textBody).toContain("could not be paid out");
    expect(mail.textBody).toContain("back in your available balance");
  });

  test("a payout whose outcome was lost is sent again a minute on, with a warning, and mailed once when it completes", async () => {
    const { client, email } = await withBook("wd-lost", "100");
    const id = await withdraw(client, "40");
    const lines: string[] = [];
    const logger = createLogger("warn", (line) => lines.push(line));
    const timingOut: PayoutProvider = {
      name: "timing-out",
      send: async (payout) => {
        if (payout.withdrawalId === id) throw new Error("timed out");
        return sandboxPayoutProvider.send(payout);
      },
    };
    expect(await mailedBy(email, () => runPayouts(fixture.services.money, timingOut, logger))).toEqual([]);
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(["payout outcome unknown; it will be sent again"]);
    const { withdrawals } = await import("../src/modules/wallet/schema");
    await fixture.deps.database.db
      .update(withdrawals)
      .set({ payoutAttemptedAt: new Date(Date.now() - 61_000) })
      .where(eq(withdrawals.id, id));
    const [mail] = await mailedBy(email, () => runPayouts(fixture.services.money, sandboxPayoutProvider, logger));
    expect(mail.subject).toBe("Withdrawal completed");
    const again = JSON.parse(lines[1]);
    expect([again.level, again.msg, again.withdrawalId]).toEqual([
      "warn",
      "payout sent again: an earlier attempt's outcome is unknown",
      id,
    ]);
  });

  test("a rejection by an admin is mailed, funds back in available; a refused review mails nothing", async () => {
    const { client, email, code } = await withBook("wd-rejected", "1000");
    const id = await withdraw(client, "600");
    const admin = await adminUser(fixture, "wd-admin");
    const [mail] = await mailedBy(email, async () => {
      expect((await admin.client.json("POST", `/api/admin/withdrawals/${id}/reject`)).status).toBe(200);
    });
    expect(mail.subject).toBe("Withdrawal rejected");
    for (const part of [code, "600 USD", "rejected on review", "(1.5 USD) are back in your available balance"])
      expect(mail.textBody).toContain(part);
    expect(mail.textBody).not.toContain(admin.email);
    const refused = await mailedBy(email, async () => {
      expect((await admin.client.json("POST", `/api/admin/withdrawals/${id}/reject`)).status).toBe(409);
      expect((await client.json("POST", `/api/admin/withdrawals/${id}/reject`)).status).toBe(403);
    });
    expect(refused).toEqual([]);
  });

  test("an approval and the owner's own cancel mail nothing new", async () => {
    const { client, email } = await withBook("wd-quiet", "2000");
    const approved = await withdraw(client, "600");
    const cancelled = await withdraw(client, "700");
    const admin = await adminUser(fixture, "wd-quiet-admin");
    const mailed = await mailedBy(email, async () => {
      expect((await admin.client.json("POST", `/api/admin/withdrawals/${approved}/approve`)).status).toBe(200);
      expect((await client.json("POST", `/api/wallet/withdrawals/${cancelled}/cancel`)).status).toBe(200);
    });
    expect(mailed).toEqual([]);
  });
});

describe("freeze", () => {
  test("a freeze and an unfreeze are mailed, naming no admin; again, or by a non-admin, mails nothing", async () => {
    const { email, userId, code } = await userWithCode("frozen");
    const admin = await adminUser(fixture, "freezer");
    const stranger = await signedInUser(fixture, "not-admin");
    const [frozen] = await mailedBy(email, () => admin.client.json("POST", `/api/admin/users/${userId}/freeze`));
    expect(frozen.subject).toBe("Your account was frozen");
    for (const part of [
      code,
      "sign in and see your balances",
      "not deposit, withdraw, send to other users, trade or add withdrawal addresses",
    ])
      expect(frozen.textBody).toContain(part);
    expect(frozen.textBody).not.toContain(admin.email);
    const quiet = await mailedBy(email, async () => {
      await admin.client.json("POST", `/api/admin/users/${userId}/freeze`);
      expect((await stranger.client.json("POST", `/api/admin/users/${userId}/unfreeze`)).status).toBe(403);
    });
    expect(quiet).toEqual([]);
    const [unfrozen] = await mailedBy(email, () => admin.client.json("POST", `/api/admin/users/${userId}/unfreeze`));
    expect(unfrozen.subject).toBe("Your account was unfrozen");
    expect(unfrozen.textBody).toContain(code);
  });
});

describe("two-factor authentication turned off", () => {
  async function enableTwoFactor(client: TestClient) {
    const setup = await client.json<{ secret: string }>("POST", "/api/auth/2fa/setup");
    const enabled = await client.json<{ recoveryCodes: string[] }>("POST", "/api/auth/2fa/enable", {
      code: await totpNow(setup.body.secret),
    });
    return { secret: setup.body.secret, recoveryCode: enabled.body.recoveryCodes[0] };
  }

  test("with a code: the mail says the other sessions were signed out, as they were; a wrong code mails nothing", async () => {
    const { client, email } = await signedInUser(fixture, "2fa-off");
    const { secret, recoveryCode } = await enableTwoFactor(client);
    const other = new TestClient(fixture);
    expect((await other.post("/api/auth/login", { email, password: PASSWORD, code: recoveryCode })).status).toBe(200);
    expect(await mailedBy(email, () => client.json("POST", "/api/auth/2fa/disable", { code: "999999" }))).toEqual([]);
    const code = await totpNow(secret, 1);
    const [mail] = await mailedBy(email, () => client.json("POST", "/api/auth/2fa/disable", { code }));
    expect(mail.subject).toBe("Two-factor authentication changed");
    expect(mail.textBody).toContain("Your other sessions were signed out");
    expect((await other.json("GET", "/api/auth/me")).status).toBe(401);
    expect((await client.json("GET", "/api/auth/me")).status).toBe(200);
  });

  test("by the undo link: the mail says every session was signed out", async () => {
    const { client, email } = await signedInUser(fixture, "2fa-undo");
    await enableTwoFactor(client);
    const token = tokenFromMail((await lastMailTo(fixture, email)).textBody);
    const [mail] = await mailedBy(email, () => new TestClient(fixture).post("/api/auth/2fa/undo", { token }));
    expect(mail.textBody).toContain("Every session was signed out");
    expect((await client.json("GET", "/api/auth/me")).status).toBe(401);
  });
});

describe("new recovery codes", () => {
  test("are mailed: the earlier ones no longer work; a wrong code mails nothing", async () => {
    const { client, email } = await signedInUser(fixture, "2fa-codes");
    const setup = await client.json<{ secret: string }>("POST", "/api/auth/2fa/setup");
    await client.json("POST", "/api/auth/2fa/enable", { code: await totpNow(setup.body.secret) });
    const regenerate = (code: string) => client.json("POST", "/api/auth/2fa/recovery-codes", { code });
    expect(await mailedBy(email, () => regenerate("999999"))).toEqual([]);
    const [mail] = await mailedBy(email, async () => {
      expect((await regenerate(await totpNow(setup.body.secret, 1))).status).toBe(200);
    });
    expect(mail.subject).toBe("Two-factor authentication changed");
    expect(mail.textBody).toContain("New recovery codes for two-factor authentication were made");
    expect(mail.textBody).toContain("the earlier ones no longer work");
  });
});

describe("an address nobody verified", () => {
  test("gets none of these mails: what its account does is a stranger's doing", async () => {
    const lax = await createTestApp({ REQUIRE_EMAIL_VERIFICATION: "false", ADDRESS_COOLDOWN_HOURS: "0" });
    try {
      const client = new TestClient(lax);
      const email = uniqueEmail("unverified");
      const registered = await client.json<{ user: { id: string } }>("POST", "/api/auth/register", {
        email,
        password: PASSWORD,
        name: "squatter",
      });
      await client.post("/api/auth/login", { email, password: PASSWORD });
      expect((await client.json("POST", "/api/wallet/addresses", { asset: "USD", address: IBAN, label: "x" })).status).toBe(201);
      expect((await client.json("PATCH", "/api/auth/profile", { antiPhishingCode: "squatter-code" })).status).toBe(200);
      await deposit(client, "USD", "10");
      await withdraw(client, "2");
      const admin = await adminUser(lax, "lax-admin");
      expect((await admin.client.json("POST", `/api/admin/users/${registered.body.user.id}/freeze`)).status).toBe(200);
      const subjects = (await lax.deps.database.db.select().from(mailOutbox).where(eq(mailOutbox.toAddress, email))).map(
        (mail) => mail.subject,
      );
      expect(subjects).toEqual(["Verify your email"]);
    } finally {
      await lax.dispose();
    }
  });
});
