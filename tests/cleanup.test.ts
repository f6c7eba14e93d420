/** The hourly cleanups of what only grows: ended sessions' refresh tokens, spent email tokens, old mail. */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { deleteSpentEmailTokens } from "../src/modules/identity/email-tokens";
import { emailTokens, refreshTokens, sessions } from "../src/modules/identity/schema";
import { deleteTokensOfEndedSessions } from "../src/modules/identity/sessions";
import { deleteOldMail } from "../src/platform/mail/outbox";
import { mailOutbox } from "../src/platform/mail/schema";
import { lastMailTo, PASSWORD, signedInUser, TestClient } from "./support/client";
import { createTestApp, TEST_DATABASE_URL } from "./support/harness";
import { runAgainstUncommitted } from "./support/held-lock";

setDefaultTimeout(30_000);

let fixture: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  fixture = await createTestApp({ TRUST_PROXY: "true" });
});
afterAll(() => fixture.dispose());

const db = () => fixture.deps.database.db;
const tokensOf = async (sessionId: string) =>
  (await db().select().from(refreshTokens).where(eq(refreshTokens.sessionId, sessionId))).length;
const sessionsOf = (userId: string) => db().select().from(sessions).where(eq(sessions.userId, userId));

test("an ended session's refresh tokens go, its row stays (sign-in history); a live session keeps all of its tokens", async () => {
  const { client, userId } = await signedInUser(fixture, "cleanuplive");
  for (let i = 0; i < 3; i++) expect((await client.post("/api/auth/refresh")).status).toBe(200);
  const [live] = await sessionsOf(userId);
  expect(await tokensOf(live.id)).toBe(4);
  // Three ways to end: signed out, idle for more than 7 days, past the absolute end.
  const signedOut = await signedInUser(fixture, "cleanupout");
  expect((await signedOut.client.post("/api/auth/logout")).status).toBe(204);
  const idle = (await signedInUser(fixture, "cleanupidle")).userId;
  await db().execute(sql`update sessions set last_seen_at = now() - interval '8 days' where user_id = ${idle}`);
  const expired = await signedInUser(fixture, "cleanupexp");
  await db().execute(sql`update sessions set expires_at = now() - interval '1 second' where user_id = ${expired.userId}`);
  while ((await deleteTokensOfEndedSessions(db())) > 0);

  expect(await tokensOf(live.id)).toBe(4);
  for (const ended of [signedOut.userId, idle, expired.userId]) {
    const rows = await sessionsOf(ended);
    expect([ended, rows.length, await tokensOf(rows[0].id)]).toEqual([ended, 1, 0]);
  }
  expect((await client.json("GET", "/api/auth/me")).status).toBe(200);
});

test("a refreshed session whose rotated token is presented again is still caught after a cleanup", async () => {
  const { client } = await signedInUser(fixture, "cleanupreuse");
  const rotated = client.cookie("refresh_token") as string;
  expect((await client.post("/api/auth/refresh")).status).toBe(200);
  while ((await deleteTokensOfEndedSessions(db())) > 0);
  const thief = new TestClient(fixture);
  thief.cookies.set("refresh_token", { value: rotated, path: "/api/auth", attributes: "" });
  thief.cookies.set("csrf_token", { value: "c", path: "/", attributes: "" });
  const reused = await thief.json<{ error: { code: string } }>("POST", "/api/auth/refresh");
  expect([reused.status, reused.body.error.code]).toEqual([401, "REFRESH_REUSED"]);
});

test("an account unused for months still has its sign-in history: a sign-in from a new device is mailed", async () => {
  const { client, email, userId } = await signedInUser(fixture, "cleanupdormant");
  expect((await client.post("/api/auth/logout")).status).toBe(204);
  await db().execute(sql`update sessions set revoked_at = now() - interval '400 days' where user_id = ${userId}`);
  while ((await deleteTokensOfEndedSessions(db())) > 0);
  const stranger = new TestClient(fixture);
  stranger.ip = "192.0.2.77";
  expect((await stranger.post("/api/auth/login", { email, password: PASSWORD })).status).toBe(200);
  expect((await lastMailTo(fixture, email)).subject).toBe("New sign-in to your account");
});

// A token read by a refresh, then removed (its session ended, and the cleanup came) before the refresh claims it:
// the refresh is refused as for any ended session, not taken for a stolen token's reuse (which audits an alarm).
test.if(Boolean(TEST_DATABASE_URL))(
  "a token the cleanup removes while a refresh claims it: 401 UNAUTHENTICATED, not REFRESH_REUSED",
  async () => {
    const { client } = await signedInUser(fixture, "cleanuprace");
    const { sha256Hex } = await import("../src/platform/crypto");
    const hash = sha256Hex(client.cookie("refresh_token") as string);
    const refused = await runAgainstUncommitted(db(), sql`delete from refresh_tokens where token_hash = ${hash}`, () =>
      client.json<{ error: { code: string } }>("POST", "/api/auth/refresh"),
    );
    expect([refused.status, refused.body.error.code]).toEqual([401, "UNAUTHENTICATED"]);
  },
);

test("email tokens go a day after they were used or expired, not before; unused live ones stay", async () => {
  const { userId } = await signedInUser(fixture, "cleanuptokens"); // its verification token is used
  const tokens = () => db().select().from(emailTokens).where(eq(emailTokens.userId, userId));
  expect(await tokens()).toHaveLength(1);
  while ((await deleteSpentEmailTokens(db())) > 0);
  expect(await tokens()).toHaveLength(1); // used just now: kept a day
  await db().execute(sql`update email_tokens set used_at = now() - interval '25 hours' where user_id = ${userId}`);
  await db()
    .insert(emailTokens)
    .values([
      { tokenHash: `expired-${userId}`, userId, purpose: "password_reset", expiresAt: new Date(Date.now() - 25 * 3600_000) },
      { tokenHash: `live-${userId}`, userId, purpose: "password_reset", expiresAt: new Date(Date.now() + 3600_000) },
      // Expired under a day ago: support can still see it.
      { tokenHash: `lately-${userId}`, userId, purpose: "password_reset", expiresAt: new Date(Date.now() - 23 * 3600_000) },
    ]);
  while ((await deleteSpentEmailTokens(db())) > 0);
  expect((await tokens()).map((t) => t.tokenHash).sort()).toEqual([`lately-${userId}`, `live-${userId}`]);
});

test("mail sent or failed more than 30 days ago goes; pending mail stays whatever its age", async () => {
  const to = `cleanup-mail-${crypto.randomUUID()}@example.com`;
  const rows = await db()
    .insert(mailOutbox)
    .values(
      (["sent", "failed", "pending", "sent"] as const).map((status, i) => ({
        toAddress: to,
        subject: `${status} ${i}`,
        textBody: "",
        htmlBody: "",
        status,
        createdAt: new Date(Date.now() - (i === 3 ? 29 : 31) * 24 * 3600_000),
      })),
    )
    .returning({ subject: mailOutbox.subject });
  expect(rows).toHaveLength(4);
  while ((await deleteOldMail(db())) > 0);
  const left = await db().select({ subject: mailOutbox.subject }).from(mailOutbox).where(eq(mailOutbox.toAddress, to));
  expect(left.map((m) => m.subject).sort()).toEqual(["pending 2", "sent 3"]);
});
