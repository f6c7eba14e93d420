import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { unreadableTwoFactorSecrets } from "../src/modules/identity/two-factor";
import { lastMailTo, PASSWORD, signedInUser, TestClient, tally, tokenFromMail, totpNow } from "./support/client";
import { createTestApp, type TestDatabase } from "./support/harness";

setDefaultTimeout(30_000);

let fixture: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  fixture = await createTestApp({ TRUST_PROXY: "true" });
});
afterAll(() => fixture.dispose());

type ErrorBody = { error: { code: string } };

describe("POST /api/auth/refresh", () => {
  test("rotates all cookies; the old refresh token is dead", async () => {
    const { client } = await signedInUser(fixture, "refresh");
    const oldRefresh = client.cookie("refresh_token");
    const oldAccess = client.cookie("access_token");
    // At once: a token issued in the same second as the one it replaces still differs from it.
    const response = await client.post("/api/auth/refresh");
    expect(response.status).toBe(200);
    expect(((await response.json()) as { user: { id: string } }).user.id).toBeString();
    expect(client.cookie("refresh_token")).not.toBe(oldRefresh);
    expect(client.cookie("access_token")).not.toBe(oldAccess);
    expect((await client.json("GET", "/api/auth/me")).status).toBe(200);
  });

  test("needs the CSRF header", async () => {
    const { client } = await signedInUser(fixture, "refreshcsrf");
    const response = await client.request("POST", "/api/auth/refresh", { csrf: false });
    expect(response.status).toBe(403);
    expect(((await response.json()) as ErrorBody).error.code).toBe("CSRF_FAILED");
    expect((await client.json("GET", "/api/auth/me")).status).toBe(200);
    const wrong = await client.request("POST", "/api/auth/refresh", { csrf: false, headers: { "x-csrf-token": "forged" } });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as ErrorBody).error.code).toBe("CSRF_FAILED");
  });

  test("without a refresh token: 401 UNAUTHENTICATED, which comes before the CSRF check", async () => {
    const bare = await new TestClient(fixture).request("POST", "/api/auth/refresh", { csrf: false });
    // Only a CSRF pair, nothing that names a session.
    const csrfOnly = new TestClient(fixture);
    csrfOnly.cookies.set("csrf_token", { value: "c", path: "/", attributes: "" });
    const withCsrf = await csrfOnly.request("POST", "/api/auth/refresh");
    for (const response of [bare, withCsrf]) {
      expect(response.status).toBe(401);
      const { error } = (await response.json()) as ErrorBody & { error: { requestId: string } };
      expect(error.code).toBe("UNAUTHENTICATED");
      expect(error.requestId).toBe(response.headers.get("x-request-id") as string);
    }
  });

  test("presenting a rotated token again: 401 REFRESH_REUSED, the whole session revoked, audited", async () => {
    const { client } = await signedInUser(fixture, "reuse");
    const stolen = client.cookie("refresh_token") as string;
    expect((await client.post("/api/auth/refresh")).status).toBe(200);
    const thief = new TestClient(fixture);
    thief.cookies.set("refresh_token", { value: stolen, path: "/api/auth", attributes: "" });
    thief.cookies.set("csrf_token", { value: "thief-csrf", path: "/", attributes: "" });
    const reused = await thief.json<ErrorBody>("POST", "/api/auth/refresh");
    expect(reused.status).toBe(401);
    expect(reused.body.error.code).toBe("REFRESH_REUSED");
    // The legitimate holder's session is gone too: access and newest refresh token both dead.
    expect((await client.json("GET", "/api/auth/me")).status).toBe(401);
    expect((await client.json("POST", "/api/auth/refresh")).status).toBe(401);
    const { auditLog } = await import("../src/modules/audit/schema");
    const { eq } = await import("drizzle-orm");
    const rows = await fixture.deps.database.db.select().from(auditLog).where(eq(auditLog.action, "auth.refresh_reused"));
    expect(rows.length).toBeGreaterThanOrEqual(1);
  });

  test("an unknown refresh token is 401 UNAUTHENTICATED, with or without the CSRF header (401 comes first)", async () => {
    for (const csrf of [true, false]) {
      const client = new TestClient(fixture);
      client.cookies.set("refresh_token", { value: "nonsense", path: "/api/auth", attributes: "" });
      client.cookies.set("csrf_token", { value: "c", path: "/", attributes: "" });
      const response = await client.request("POST", "/api/auth/refresh", { csrf });
      expect(response.status).toBe(401);
      expect(((await response.json()) as ErrorBody).error.code).toBe("UNAUTHENTICATED");
    }
    // A live session's token without the header is the CSRF check's, and is not rotated.
    const { client } = await signedInUser(fixture, "refresh-csrf");
    const forged = await client.request("POST", "/api/auth/refresh", { csrf: false });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as ErrorBody).error.code).toBe("CSRF_FAILED");
    expect((await client.post("/api/auth/refresh")).status).toBe(200);
  });
});

describe("two-factor authentication", () => {
  async function enable(client: TestClient) {
    const setup = await client.json<{ secret: string; otpauthUrl: string; qrSvg: string }>("POST", "/api/auth/2fa/setup");
    expect(setup.status).toBe(200);
    expect(setup.body.otpauthUrl).toStartWith("otpauth://totp/");
    expect(setup.body.qrSvg).toContain("<svg");
    const me = await client.json<{ user: { twoFactorEnabled: boolean } }>("GET", "/api/auth/me");
    expect(me.body.user.twoFactorEnabled).toBe(false); // not active until enabled
    const wrong = await client.json<ErrorBody>("POST", "/api/auth/2fa/enable", { code: "000000" });
    expect(wrong.body.error.code).toBe("INVALID_TOTP");
    const enabled = await client.json<{ recoveryCodes: string[] }>("POST", "/api/auth/2fa/enable", {
      code: await totpNow(setup.body.secret),
    });
    expect(enabled.status).toBe(200);
    expect(enabled.body.recoveryCodes).toHaveLength(10);
    expect(new Set(enabled.body.recoveryCodes).size).toBe(10);
    return { secret: setup.body.secret, recoveryCodes: enabled.body.recoveryCodes };
  }

  test("login asks for the code, accepts it once, refuses its replay", async () => {
    const { client, email } = await signedInUser(fixture, "totp");
    const { secret } = await enable(client);
    expect((await lastMailTo(fixture, email)).subject).toBe("Two-factor authentication changed");
    // No code, or an empty or null one (a form's blank field), asks for it; a code of another length is wrong.
    for (const extra of [{}, { code: "" }, { code: null }]) {
      const noCode = await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/login", {
        email,
        password: PASSWORD,
        ...extra,
      });
      expect([noCode.status, noCode.body.error.code]).toEqual([401, "TOTP_REQUIRED"]);
    }
    const short = await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/login", {
      email,
      password: PASSWORD,
      code: "123",
    });
    expect([short.status, short.body.error.code]).toEqual([401, "INVALID_TOTP"]);
    // The enable step spent the current step; the next step's code is fresh.
    const code = await totpNow(secret, 1);
    const first = await new TestClient(fixture).json("POST", "/api/auth/login", { email, password: PASSWORD, code });
    expect(first.status).toBe(200);
    const replay = await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/login", { email, password: PASSWORD, code });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe("INVALID_TOTP");
    const older = await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/login", {
      email,
      password: PASSWORD,
      code: await totpNow(secret),
    });
    expect(older.body.error.code).toBe("INVALID_TOTP");
  });

  test("the code that turned 2FA on is spent: within its 30 seconds it neither signs in nor turns 2FA off", async () => {
    const { client, email } = await signedInUser(fixture, "totpsame");
    const setup = await client.json<{ secret: string }>("POST", "/api/auth/2fa/setup");
    const code = await totpNow(setup.body.secret);
    expect((await client.json("POST", "/api/auth/2fa/enable", { code })).status).toBe(200);
    // The same code of the same step, once at sign-in and once by the signed-in owner: both are replays.
    const login = await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/login", { email, password: PASSWORD, code });
    expect(login.status).toBe(401);
    expect(login.body.error.code).toBe("INVALID_TOTP");
    const disable = await client.json<ErrorBody>("POST", "/api/auth/2fa/disable", { code });
    expect(disable.status).toBe(401);
    expect(disable.body.error.code).toBe("INVALID_TOTP");
    const me = await client.json<{ user: { twoFactorEnabled: boolean } }>("GET", "/api/auth/me");
    expect(me.body.user.twoFactorEnabled).toBe(true);
  });

  test("a used step ahead of this clock (another instance's clock ran ahead): every code is wrong until it catches up, never a 500", async () => {
    const { client, email, userId } = await signedInUser(fixture, "totpahead");
    const { secret } = await enable(client);
    const { sql } = await import("drizzle-orm");
    const step = Math.floor(Date.now() / 30_000);
    for (const ahead of [1, 3, 1000]) {
      await fixture.deps.database.db.execute(sql`update users set totp_last_step = ${step + ahead} where id = ${userId}`);
      const login = await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/login", {
        email,
        password: PASSWORD,
        code: await totpNow(secret, 1),
      });
      expect([ahead, login.status, login.body.error.code]).toEqual([ahead, 401, "INVALID_TOTP"]);
    }
  });

  test("a recovery code signs in once; regenerating kills the old ones; disable needs a code and locks withdrawals", async () => {
    const { client, email } = await signedInUser(fixture, "recovery");
    const { secret, recoveryCodes } = await enable(client);
    const withRecovery = await new TestClient(fixture).json("POST", "/api/auth/login", {
      email,
      password: PASSWORD,
      code: recoveryCodes[0].toUpperCase(),
    });
    expect(withRecovery.status).toBe(200);
    const spent = await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/login", {
      email,
      password: PASSWORD,
      code: recoveryCodes[0],
    });
    expect(spent.body.error.code).toBe("INVALID_TOTP");
    const left = async () => (await client.json<{ remaining: number }>("GET", "/api/auth/2fa/recovery-codes")).body.remaining;
    expect(await left()).toBe(9);
    const signIns = await client.json<{ items: { action: string; metadata: unknown }[] }>("GET", "/api/audit?limit=100");
    expect(signIns.body.items.filter((row) => row.action === "auth.login").map((row) => row.metadata)).toContainEqual({
      sessionId: expect.any(String),
      signedInWith: "recovery_code",
      recoveryCodesLeft: 9,
    });

    expect((await client.json<ErrorBody>("POST", "/api/auth/2fa/recovery-codes", { code: "123456" })).body.error.code).toBe(
      "INVALID_TOTP",
    );
    const regenerated = await client.json<{ recoveryCodes: string[] }>("POST", "/api/auth/2fa/recovery-codes", {
      code: recoveryCodes[1],
    });
    expect(regenerated.status).toBe(200);
    expect(regenerated.body.recoveryCodes).toHaveLength(10);
    expect(await left()).toBe(10);
    const old = await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/login", {
      email,
      password: PASSWORD,
      code: recoveryCodes[2],
    });
    expect(old.body.error.code).toBe("INVALID_TOTP");

    const other = new TestClient(fixture);
    expect(
      (await other.json("POST", "/api/auth/login", { email, password: PASSWORD, code: regenerated.body.recoveryCodes[0] }))
        .status,
    ).toBe(200);
    expect((await client.json<ErrorBody>("POST", "/api/auth/2fa/disable", { code: "999999" })).body.error.code).toBe(
      "INVALID_TOTP",
    );
    const others = (await client.json<{ items: unknown[] }>("GET", "/api/auth/sessions")).body.items.length - 1;
    expect(others).toBeGreaterThan(0);
    const disabled = await client.json("POST", "/api/auth/2fa/disable", { code: await totpNow(secret, 1) });
    expect(disabled.status).toBe(200);
    expect(await left()).toBe(0);
    expect((await other.json("GET", "/api/auth/me")).status).toBe(401); // other sessions end, and the audit log says so
    const audit = await client.json<{ items: { action: string; metadata: unknown }[] }>("GET", "/api/audit?limit=100");
    expect(audit.body.items.find((row) => row.action === "auth.2fa_disabled")?.metadata).toEqual({ sessionsEnded: others });
    const plain = await new TestClient(fixture).json<{ user: { twoFactorEnabled: boolean } }>("POST", "/api/auth/login", {
      email,
      password: PASSWORD,
    });
    expect(plain.status).toBe(200);
    expect(plain.body.user.twoFactorEnabled).toBe(false);
  });

  test("wrong codes of a signed-in user spend the account's failure budget: then 429 with Retry-After, the right code too", async () => {
    const { client } = await signedInUser(fixture, "code-guess");
    const { secret } = await enable(client);
    const disable = (code: string) => client.json<ErrorBody>("POST", "/api/auth/2fa/disable", { code });
    for (let i = 0; i < 10; i++) expect((await disable(String(100000 + i))).body.error.code).toBe("INVALID_TOTP");
    const blocked = await client.request("POST", "/api/auth/2fa/disable", { body: { code: await totpNow(secret, 1) } });
    expect(blocked.status).toBe(429);
    expect(((await blocked.json()) as ErrorBody).error.code).toBe("RATE_LIMITED");
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await client.json<ErrorBody>("POST", "/api/auth/2fa/recovery-codes", { code: "123456" })).status).toBe(429);
    // Only this user's codes: another signed-in user is not held back.
    const other = await signedInUser(fixture, "code-other");
    await enable(other.client);
    expect((await other.client.json<ErrorBody>("POST", "/api/auth/2fa/disable", { code: "999999" })).status).toBe(401);
  });

  test("wrong codes at sign-in spend the sign-in's budget, not the signed-in owner's: the owner still turns 2FA off", async () => {
    const { client, email } = await signedInUser(fixture, "code-at-login");
    const { secret } = await enable(client);
    // Someone who knows the password guesses codes until sign-in is closed to the account.
    const guesser = new TestClient(fixture);
    const guess = (code: string) => guesser.json<ErrorBody>("POST", "/api/auth/login", { email, password: PASSWORD, code });
    for (let i = 0; i < 10; i++) expect((await guess(String(300000 + i))).body.error.code).toBe("INVALID_TOTP");
    expect((await guess(String(300010))).status).toBe(429);
    // The owner, signed in, is not held back by those guesses (the next step's code: this one's enabled 2FA).
    expect((await client.json("POST", "/api/auth/2fa/disable", { code: await totpNow(secret, 1) })).status).toBe(200);
  });

  test("wrong codes arriving together: exactly the budget of them is checked, the rest are 429", async () => {
    const { client } = await signedInUser(fixture, "code-burst");
    await enable(client);
    const answers = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        client.json<ErrorBody>("POST", "/api/auth/2fa/recovery-codes", { code: String(200000 + i) }),
      ),
    );
    expect(tally(answers.map((answer) => answer.body.error.code))).toEqual({ INVALID_TOTP: 10, RATE_LIMITED: 5 });
  });

  test("sign-ins that stop at TOTP_REQUIRED spend no budget: more of them than the budget all ask for the code", async () => {
    const { client, email } = await signedInUser(fixture, "code-asked");
    await enable(client);
    const visitor = new TestClient(fixture);
    const codes: string[] = [];
    for (let i = 0; i <= 10; i++) {
      codes.push((await visitor.json<ErrorBody>("POST", "/api/auth/login", { email, password: PASSWORD })).body.error.code);
    }
    expect(tally(codes)).toEqual({ TOTP_REQUIRED: 11 });
  });

  test("right passwords without a code arriving together, more of them than the budget: all ask for the code", async () => {
    const { client, email } = await signedInUser(fixture, "code-asked-burst");
    await enable(client);
    const visitor = new TestClient(fixture);
    const answers = await Promise.all(
      Array.from({ length: 15 }, () => visitor.json<ErrorBody>("POST", "/api/auth/login", { email, password: PASSWORD })),
    );
    expect(tally(answers.map((answer) => answer.body.error.code))).toEqual({ TOTP_REQUIRED: 15 });
  });

  test("a 2FA enable the owner did not make is undone by the link in its mail: 2FA off, every session ended, withdrawals paused", async () => {
    const { client: owner, email } = await signedInUser(fixture, "undo-2fa");
    // Someone holding a copy of the owner's session turns 2FA on with a secret of their own.
    const thief = new TestClient(fixture);
    for (const name of ["access_token", "csrf_token"]) {
      const stolen = owner.cookies.get(name);
      if (stolen) thief.cookies.set(name, stolen);
    }
    await enable(thief);
    expect(
      (await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/login", { email, password: PASSWORD })).body.error.code,
    ).toBe("TOTP_REQUIRED");
    const mail = await lastMailTo(fixture, email);
    expect(mail.subject).toBe("Two-factor authentication changed");
    expect(mail.textBody).toContain("/undo-two-factor?token=");
    const token = tokenFromMail(mail.textBody);

    const undone = await new TestClient(fixture).json("POST", "/api/auth/2fa/undo", { token });
    expect([undone.status, undone.body]).toEqual([200, { ok: true }]);
    expect((await thief.json("GET", "/api/auth/me")).status).toBe(401);
    expect((await owner.json("GET", "/api/auth/me")).status).toBe(401);
    expect((await lastMailTo(fixture, email)).textBody).toContain("turned off");
    const back = await new TestClient(fixture).json<{
      user: { twoFactorEnabled: boolean; withdrawalsLockedUntil: string | null };
    }>("POST", "/api/auth/login", { email, password: PASSWORD });
    expect(back.status).toBe(200);
    expect(back.body.user.twoFactorEnabled).toBe(false);
    expect(back.body.user.withdrawalsLockedUntil).not.toBeNull();
    const again = await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/2fa/undo", { token });
    expect([again.status, again.body.error.code]).toEqual([400, "INVALID_TOKEN"]);
  });

  test("an undo link dies with its enable: once 2FA is disabled and enabled again, only the newest link works", async () => {
    const { client, email } = await signedInUser(fixture, "undo-old-link");
    const first = await enable(client);
    const oldToken = tokenFromMail((await lastMailTo(fixture, email)).textBody);
    expect((await client.json("POST", "/api/auth/2fa/disable", { code: await totpNow(first.secret, 1) })).status).toBe(200);
    await enable(client);
    const stale = await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/2fa/undo", { token: oldToken });
    expect([stale.status, stale.body.error.code]).toEqual([400, "INVALID_TOKEN"]);
    expect((await client.json<{ user: { twoFactorEnabled: boolean } }>("GET", "/api/auth/me")).body.user.twoFactorEnabled).toBe(
      true,
    );
    const wrongKind = await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/2fa/undo", { token: "x".repeat(43) });
    expect([wrongKind.status, wrongKind.body.error.code]).toEqual([400, "INVALID_TOKEN"]);
  });

  test("setup while enabled is 409 INVALID_STATE", async () => {
    const { client } = await signedInUser(fixture, "twice");
    await enable(client);
    const again = await client.json<ErrorBody>("POST", "/api/auth/2fa/setup");
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("INVALID_STATE");
  });

  test("a database started with another COOKIE_SECRET: told at start, a code is a 500, recovery codes work, a setup is made again", async () => {
    const { client, email } = await signedInUser(fixture, "resealed");
    const { recoveryCodes } = await enable(client);
    const pending = await signedInUser(fixture, "resealed-pending");
    const setup = await pending.client.json<{ secret: string }>("POST", "/api/auth/2fa/setup");
    // A restore without its secret: the same database under another COOKIE_SECRET.
    const restored = await createTestApp(
      { TRUST_PROXY: "true", COOKIE_SECRET: "another-cookie-secret-of-at-least-32-chars" },
      { database: fixture.deps.database as TestDatabase },
    );
    try {
      expect(await unreadableTwoFactorSecrets(fixture.services.identity)).toMatchObject({ unreadable: 0 });
      const told = await unreadableTwoFactorSecrets(restored.services.identity);
      expect(told.unreadable).toBeGreaterThan(0);
      expect(told.unreadable).toBe(told.checked);
      const withCode = await new TestClient(restored).json<{ error: { code: string; message: string } }>(
        "POST",
        "/api/auth/login",
        { email, password: PASSWORD, code: "123456" },
      );
      expect([withCode.status, withCode.body.error.code]).toEqual([500, "INTERNAL"]);
      const withRecovery = await new TestClient(restored).json("POST", "/api/auth/login", {
        email,
        password: PASSWORD,
        code: recoveryCodes[0],
      });
      expect(withRecovery.status).toBe(200);
      // A setup sealed under the other secret is made again, not a 500.
      const other = new TestClient(restored);
      expect((await other.post("/api/auth/login", { email: pending.email, password: PASSWORD })).status).toBe(200);
      const enabling = await other.json<ErrorBody>("POST", "/api/auth/2fa/enable", { code: await totpNow(setup.body.secret) });
      expect([enabling.status, enabling.body.error.code]).toEqual([409, "INVALID_STATE"]);
    } finally {
      await restored.dispose();
    }
  });

  test("the secret is sealed at rest", async () => {
    const { client, userId } = await signedInUser(fixture, "sealed");
    const { secret } = await enable(client);
    const { users } = await import("../src/modules/identity/schema");
    const { eq } = await import("drizzle-orm");
    const [row] = await fixture.deps.database.db.select().from(users).where(eq(users.id, userId));
    expect(row.totpSecret).toStartWith("v1.");
    expect(row.totpSecret).not.toContain(secret);
  });
});

describe("session lifetime", () => {
  test("a session idle for more than 7 days is over: access and refresh both refused", async () => {
    const { client, userId } = await signedInUser(fixture, "idle");
    const { sql } = await import("drizzle-orm");
    await fixture.deps.database.db.execute(
      sql`update sessions set last_seen_at = now() - interval '7 days 1 minute' where user_id = ${userId}`,
    );
    expect((await client.json("GET", "/api/auth/me")).status).toBe(401);
    expect((await client.json("POST", "/api/auth/refresh")).status).toBe(401);
  });

  test("a session past its absolute 30 days is over, however active", async () => {
    const { client, userId } = await signedInUser(fixture, "absolute");
    const { sql } = await import("drizzle-orm");
    await fixture.deps.database.db.execute(
      sql`update sessions set expires_at = now() - interval '1 second' where user_id = ${userId}`,
    );
    expect((await client.json("GET", "/api/auth/me")).status).toBe(401);
    expect((await client.json("POST", "/api/auth/refresh")).status).toBe(401);
  });

  test("a refresh's cookies live as long as the session, not 30 days from the refresh", async () => {
    const { client, userId } = await signedInUser(fixture, "cookie-life");
    const { sql } = await import("drizzle-orm");
    await fixture.deps.database.db.execute(
      sql`update sessions set expires_at = now() + interval '1 day' where user_id = ${userId}`,
    );
    const response = await client.post("/api/auth/refresh");
    expect(response.status).toBe(200);
    const maxAgeOf = (name: string) => {
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`)) ?? "";
      return Number(/Max-Age=(\d+)/.exec(cookie)?.[1]);
    };
    for (const name of ["refresh_token", "csrf_token"]) {
      expect(maxAgeOf(name)).toBeGreaterThan(86_400 - 30);
      expect(maxAgeOf(name)).toBeLessThanOrEqual(86_400);
    }
    expect(maxAgeOf("access_token")).toBe(900);
  });
});
