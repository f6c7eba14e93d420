import { afterAll, beforeAll, describe, expect, setDefaultTimeout, setSystemTime, test } from "bun:test";
import { createHmac } from "node:crypto";
import { sql } from "drizzle-orm";
import { revokeAllSessions } from "../src/modules/identity/sessions";
import { queryRows } from "../src/platform/db/client";
import { lastMailTo, PASSWORD, signedInUser, TestClient, tally, tokenFromMail, totpNow, uniqueEmail } from "./support/client";
import { createTestApp, TEST_DATABASE_URL, TEST_ENV } from "./support/harness";
import { lockWaiters, whileLockHeld } from "./support/held-lock";

setDefaultTimeout(30_000);

let fixture: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  fixture = await createTestApp({ TRUST_PROXY: "true", PUBLIC_URL: "https://vault.example" });
});
afterAll(() => fixture.dispose());

type ErrorBody = { error: { code: string; message: string; details?: { fields?: string[] } } };
type UserBody = {
  user: { id: string; email: string; emailVerified: boolean; antiPhishingCode: string | null; role: string; name: string };
};

describe("POST /api/auth/register", () => {
  test("201 {user}, not signed in, and a verification mail with a link on PUBLIC_URL", async () => {
    const client = new TestClient(fixture);
    const email = uniqueEmail("reg");
    const { status, body, response } = await client.json<UserBody>("POST", "/api/auth/register", {
      email: email.toUpperCase(),
      password: PASSWORD,
      name: "Reg",
    });
    expect(status).toBe(201);
    expect(body.user).toMatchObject({ email, name: "Reg", role: "user", emailVerified: false, antiPhishingCode: null });
    expect(Object.keys(body.user).sort()).toEqual(
      [
        "antiPhishingCode",
        "createdAt",
        "email",
        "emailVerified",
        "frozen",
        "id",
        "name",
        "role",
        "twoFactorEnabled",
        "withdrawalsLockedUntil",
      ].sort(),
    );
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await client.json("GET", "/api/auth/me")).status).toBe(401);
    const mail = await lastMailTo(fixture, email);
    expect(mail.subject).toBe("Verify your email");
    expect(mail.textBody).toContain("https://vault.example/verify-email?token=");
    // Whoever typed the address may not own it: the owner is told how to take such an account over instead.
    expect(mail.textBody).toContain('If you did not create this account, do not open the link: use "Forgot password"');
  });

  test.each([
    [{ email: "not-an-email", password: PASSWORD, name: "x" }, ["email"]],
    [{ email: "short@example.com", password: "seven77", name: "x" }, ["password"]],
    [{ email: "long@example.com", password: "x".repeat(129), name: "x" }, ["password"]],
    [{ email: "common@example.com", password: "password123", name: "x" }, ["password"]],
    [{ email: "spaces@example.com", password: " ".repeat(8), name: "x" }, ["password"]],
    [{ email: "repeated@example.com", password: "zqzqzqzqzqzq", name: "x" }, ["password"]],
    [{ email: "noname@example.com", password: PASSWORD }, ["name"]],
    [{ email: "emptyname@example.com", password: PASSWORD, name: "" }, ["name"]],
    [{ email: "blankname@example.com", password: PASSWORD, name: "   " }, ["name"]],
    [{ email: "tabname@example.com", password: PASSWORD, name: "\t\n\u00a0" }, ["name"]],
    [{ email: "linename@example.com", password: PASSWORD, name: "Eve\nVisit https://evil.example" }, ["name"]],
    [{ email: "bellname@example.com", password: PASSWORD, name: "Eve\u0007" }, ["name"]],
    [{ email: "role@example.com", password: PASSWORD, name: "x", role: "admin" }, ["role"]],
  ])("422 VALIDATION_FAILED for %p", async (body, fields) => {
    const { status, body: answer } = await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/register", body);
    expect(status).toBe(422);
    expect(answer.error.code).toBe("VALIDATION_FAILED");
    expect(answer.error.details?.fields).toEqual(fields);
  });

  test("a password's 8–128 are characters, whatever the script: 128 emoji register, 129 are 422 saying so", async () => {
    const register = (password: string) =>
      new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/register", { email: uniqueEmail("emoji"), password, name: "E" });
    const animals = (n: number) => Array.from({ length: n }, (_, i) => ["\u{1F98A}", "\u{1F43B}", "\u{1F43C}"][i % 3]).join("");
    expect((await register(animals(128))).status).toBe(201);
    const over = await register(animals(129));
    expect(over.status).toBe(422);
    expect(over.body.error).toMatchObject({
      message: "Password must be at most 128 characters",
      details: { fields: ["password"] },
    });
    const under = await register("\u{1F98A}".repeat(7));
    expect(under.body.error).toMatchObject({
      message: "Password must be at least 8 characters",
      details: { fields: ["password"] },
    });
  });

  test("mails greet by name only once the address is verified: an unverified name is someone's words, not the owner's", async () => {
    const client = new TestClient(fixture);
    const email = uniqueEmail("greet");
    const name = "Visit https://evil.example now";
    expect((await client.json("POST", "/api/auth/register", { email, password: PASSWORD, name })).status).toBe(201);
    const verify = await lastMailTo(fixture, email);
    expect(verify.textBody).not.toContain(name);
    expect(verify.textBody).toContain("Hello,");
    expect((await client.json("POST", "/api/auth/verify-email", { token: tokenFromMail(verify.textBody) })).status).toBe(200);
    expect((await client.json("POST", "/api/auth/password/forgot", { email })).status).toBe(202);
    expect((await lastMailTo(fixture, email)).textBody).toContain(`Hello ${name},`);
  });

  test("a password that is the account's email, or the part before its @, is refused on register, change and reset", async () => {
    const email = uniqueEmail("self.named");
    const localPart = email.slice(0, email.indexOf("@"));
    const client = new TestClient(fixture);
    const refusal = { code: "VALIDATION_FAILED", message: "Password must not be your email address or the part before its @" };
    for (const password of [email, email.toUpperCase(), ` ${localPart.toLowerCase()} `]) {
      const { status, body } = await client.json<ErrorBody>("POST", "/api/auth/register", { email, password, name: "S" });
      expect([status, body.error]).toMatchObject([422, { ...refusal, details: { fields: ["password"] } }]);
    }
    expect(
      (await client.json("POST", "/api/auth/register", { email, password: `${localPart} and more`, name: "S" })).status,
    ).toBe(201);

    const signedIn = await signedInUser(fixture, "self-named-change");
    const change = await signedIn.client.json<ErrorBody>("POST", "/api/auth/password/change", {
      currentPassword: PASSWORD,
      newPassword: signedIn.email,
    });
    expect([change.status, change.body.error]).toMatchObject([422, { ...refusal, details: { fields: ["newPassword"] } }]);

    expect((await client.json("POST", "/api/auth/password/forgot", { email })).status).toBe(202);
    const token = tokenFromMail((await lastMailTo(fixture, email)).textBody);
    const reset = await client.json<ErrorBody>("POST", "/api/auth/password/reset", { token, password: localPart });
    expect([reset.status, reset.body.error]).toMatchObject([422, refusal]);
    // The refusal used nothing up: the same link sets an acceptable password.
    expect((await client.json("POST", "/api/auth/password/reset", { token, password: "a brand new passphrase" })).status).toBe(
      200,
    );
    expect((await client.json("POST", "/api/auth/login", { email, password: "a brand new passphrase" })).status).toBe(200);
  });

  test("409 EMAIL_TAKEN, whatever the case of the email", async () => {
    const email = uniqueEmail("taken");
    const client = new TestClient(fixture);
    expect((await client.json("POST", "/api/auth/register", { email, password: PASSWORD, name: "A" })).status).toBe(201);
    const again = await client.json<ErrorBody>("POST", "/api/auth/register", {
      email: email.toUpperCase(),
      password: PASSWORD,
      name: "B",
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("EMAIL_TAKEN");
  });
});

describe("POST /api/auth/verify-email and /resend-verification", () => {
  test("a token verifies once; a second use, a made-up token and an expired one are 400 INVALID_TOKEN", async () => {
    const client = new TestClient(fixture);
    const email = uniqueEmail("verify");
    await client.post("/api/auth/register", { email, password: PASSWORD, name: "V" });
    const token = tokenFromMail((await lastMailTo(fixture, email)).textBody);
    const first = await client.json<UserBody>("POST", "/api/auth/verify-email", { token });
    expect(first.status).toBe(200);
    expect(first.body.user.emailVerified).toBe(true);
    for (const bad of [token, "made-up-token"]) {
      const again = await client.json<ErrorBody>("POST", "/api/auth/verify-email", { token: bad });
      expect(again.status).toBe(400);
      expect(again.body.error.code).toBe("INVALID_TOKEN");
    }
  });

  test("an empty or overlong token is unknown: 400 INVALID_TOKEN on verify-email and password/reset alike", async () => {
    for (const token of ["", " ", "x".repeat(257), "x".repeat(1000)]) {
      for (const [path, body] of [
        ["/api/auth/verify-email", { token }],
        ["/api/auth/password/reset", { token, password: "a brand new passphrase" }],
      ] as const) {
        const answer = await new TestClient(fixture).json<ErrorBody>("POST", path, body);
        expect(answer.status).toBe(400);
        expect(answer.body.error.code).toBe("INVALID_TOKEN");
      }
    }
  });

  test("a missing or non-string token is 422 VALIDATION_FAILED naming it", async () => {
    for (const body of [{}, { token: 5 }, { token: null }, { token: "x".repeat(1001) }]) {
      for (const [path, extra] of [
        ["/api/auth/verify-email", {}],
        ["/api/auth/password/reset", { password: "a brand new passphrase" }],
      ] as const) {
        const answer = await new TestClient(fixture).json<ErrorBody>("POST", path, { ...body, ...extra });
        expect(answer.status).toBe(422);
        expect(answer.body.error.code).toBe("VALIDATION_FAILED");
        expect(answer.body.error.details?.fields).toEqual(["token"]);
      }
    }
  });

  test("an expired token is refused", async () => {
    const client = new TestClient(fixture);
    const email = uniqueEmail("expired");
    await client.post("/api/auth/register", { email, password: PASSWORD, name: "E" });
    const token = tokenFromMail((await lastMailTo(fixture, email)).textBody);
    const { sql } = await import("drizzle-orm");
    await fixture.deps.database.db.execute(sql`update email_tokens set expires_at = now() - interval '1 second'`);
    const answer = await client.json<ErrorBody>("POST", "/api/auth/verify-email", { token });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("INVALID_TOKEN");
  });

  test("resend needs auth, answers 202 and sends a new link", async () => {
    expect((await new TestClient(fixture).json("POST", "/api/auth/resend-verification")).status).toBe(401);
    const client = new TestClient(fixture);
    const email = uniqueEmail("resend");
    await client.post("/api/auth/register", { email, password: PASSWORD, name: "R" });
    await client.post("/api/auth/login", { email, password: PASSWORD });
    const before = await lastMailTo(fixture, email);
    expect((await client.post("/api/auth/resend-verification")).status).toBe(202);
    const after = await lastMailTo(fixture, email);
    expect(after.id).not.toBe(before.id);
    expect(after.subject).toBe("Verify your email");
    // Capped like reset mails: a few more, then still 202 (API.md) but no mail.
    const { MAILS_PER_HOUR } = await import("../src/modules/identity/mail-budget");
    for (let i = 1; i < MAILS_PER_HOUR; i++) expect((await client.post("/api/auth/resend-verification")).status).toBe(202);
    const last = await lastMailTo(fixture, email);
    expect((await client.post("/api/auth/resend-verification")).status).toBe(202);
    expect((await lastMailTo(fixture, email)).id).toBe(last.id);
    // Any one link verifies; the others are spent with it (one verification, one audit row).
    const verified = await client.json("POST", "/api/auth/verify-email", { token: tokenFromMail(last.textBody) });
    expect(verified.status).toBe(200);
    const older = await client.json<ErrorBody>("POST", "/api/auth/verify-email", { token: tokenFromMail(before.textBody) });
    expect([older.status, older.body.error.code]).toEqual([400, "INVALID_TOKEN"]);
  });
});

describe("POST /api/auth/login", () => {
  test("200 {user} with the three cookies of API.md", async () => {
    const { client, email } = await signedInUser(fixture, "cookies");
    const access = client.cookies.get("access_token");
    const refresh = client.cookies.get("refresh_token");
    const csrf = client.cookies.get("csrf_token");
    expect(access?.attributes).toContain("HttpOnly");
    expect(access?.attributes).toContain("SameSite=Lax");
    expect(access?.attributes).toContain("Max-Age=900");
    expect(access?.path).toBe("/");
    expect(access?.value.split(".")).toHaveLength(3);
    expect(refresh?.attributes).toContain("HttpOnly");
    expect(refresh?.attributes).toContain("SameSite=Strict");
    expect(refresh?.attributes).toContain("Max-Age=2592000");
    expect(refresh?.path).toBe("/api/auth");
    expect(Buffer.from(refresh?.value ?? "", "base64url").length).toBeGreaterThanOrEqual(16);
    expect(csrf?.attributes).not.toContain("HttpOnly");
    expect(csrf?.attributes).toContain("SameSite=Strict");
    expect(csrf?.path).toBe("/");
    for (const cookie of [access, refresh, csrf]) expect(cookie?.attributes).not.toContain("Secure");
    const me = await client.json<UserBody>("GET", "/api/auth/me");
    expect(me.body.user.email).toBe(email);
  });

  test("cookies are Secure in production and with COOKIE_SECURE=true", async () => {
    const secure = await createTestApp(
      { COOKIE_SECURE: "true", TRUST_PROXY: "true" },
      { database: fixture.deps.database as never },
    );
    const client = new TestClient(secure);
    const email = uniqueEmail("secure");
    await client.post("/api/auth/register", { email, password: PASSWORD, name: "S" });
    await client.post("/api/auth/login", { email, password: PASSWORD });
    for (const name of ["access_token", "refresh_token", "csrf_token"])
      expect(client.cookies.get(name)?.attributes).toContain("Secure");
    await secure.dispose();
  });

  test("a password is one however its accents were typed (NFKC); one hashed as typed, before that, signs in and is hashed again", async () => {
    const composed = "Crème brûlée à 42 °C".normalize("NFC");
    const decomposed = composed.normalize("NFD");
    expect(decomposed).not.toBe(composed);
    const email = uniqueEmail("accents");
    expect(
      (await new TestClient(fixture).json("POST", "/api/auth/register", { email, password: decomposed, name: "A" })).status,
    ).toBe(201);
    const signIn = (password: string) =>
      new TestClient(fixture).request("POST", "/api/auth/login", { body: { email, password } });
    expect([(await signIn(composed)).status, (await signIn(decomposed)).status]).toEqual([200, 200]);
    // A hash of the password as typed (made before normalizing): only the same typing matches it, and once it has,
    // the hash is of the normalized password, which every form of it matches.
    const legacy = await Bun.password.hash(decomposed, { algorithm: "argon2id", memoryCost: 1024, timeCost: 2 });
    const { db } = fixture.deps.database;
    await db.execute(sql`update users set password_hash = ${legacy} where email = ${email}`);
    expect((await signIn(composed)).status).toBe(401);
    expect((await signIn(decomposed)).status).toBe(200);
    const [{ hash }] = await queryRows<{ hash: string }>(db, sql`select password_hash as hash from users where email = ${email}`);
    expect(hash).not.toBe(legacy);
    expect([(await signIn(composed)).status, (await signIn(decomposed)).status]).toEqual([200, 200]);
    expect((await signIn("Creme brulee a 42 °C")).status).toBe(401);
  });

  test("a password hashed with an earlier ARGON2_MEMORY_KIB is hashed with today's at its next sign-in, and only then", async () => {
    const hashOf = async (email: string) =>
      (
        await queryRows<{ h: string }>(fixture.deps.database.db, sql`select password_hash as h from users where email = ${email}`)
      )[0].h;
    const { email } = await signedInUser(fixture, "rehash");
    expect(await hashOf(email)).toStartWith("$argon2id$v=19$m=1024,t=2,");
    const raised = await createTestApp({ ARGON2_MEMORY_KIB: "2048" }, { database: fixture.deps.database as never });
    try {
      const wrong = await new TestClient(raised).request("POST", "/api/auth/login", {
        body: { email, password: "not the password" },
      });
      expect(wrong.status).toBe(401);
      expect(await hashOf(email)).toStartWith("$argon2id$v=19$m=1024,t=2,");
      const right = await new TestClient(raised).request("POST", "/api/auth/login", { body: { email, password: PASSWORD } });
      expect(right.status).toBe(200);
      expect(await hashOf(email)).toStartWith("$argon2id$v=19$m=2048,t=2,");
      // The new hash is the same password: it signs in here, and on an instance still at the old setting.
      expect(
        (await new TestClient(raised).request("POST", "/api/auth/login", { body: { email, password: PASSWORD } })).status,
      ).toBe(200);
      expect(
        (await new TestClient(fixture).request("POST", "/api/auth/login", { body: { email, password: PASSWORD } })).status,
      ).toBe(200);
    } finally {
      await raised.dispose();
    }
  });

  test("an unknown email and a wrong password get the same answer", async () => {
    const { email } = await signedInUser(fixture, "enum");
    const wrong = await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/login", {
      email,
      password: "not the password at all",
    });
    const unknown = await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/login", {
      email: uniqueEmail("nobody"),
      password: "not the password at all",
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error.code).toBe("INVALID_CREDENTIALS");
    expect(unknown.body.error.code).toBe("INVALID_CREDENTIALS");
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
    expect([...wrong.response.headers.keys()].sort()).toEqual([...unknown.response.headers.keys()].sort());
  });

  test("Authorization: Bearer works instead of the cookie, and needs no CSRF token", async () => {
    const { client } = await signedInUser(fixture, "bearer");
    const token = client.cookie("access_token") as string;
    const bare = new TestClient(fixture);
    const me = await bare.request("GET", "/api/auth/me", { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    const patched = await bare.request("PATCH", "/api/auth/profile", {
      body: { name: "Via Bearer" },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(patched.status).toBe(200);
    expect((await bare.request("GET", "/api/auth/me", { headers: { authorization: "Bearer not.a.jwt" } })).status).toBe(401);
    // The scheme's name is case-insensitive (RFC 9110).
    for (const scheme of ["bearer", "BEARER"]) {
      const answer = await bare.request("GET", "/api/auth/me", { headers: { authorization: `${scheme} ${token}` } });
      expect(answer.status).toBe(200);
    }
  });
});

describe("GET /me and PATCH /profile", () => {
  test("401 UNAUTHENTICATED without a token", async () => {
    const { status, body } = await new TestClient(fixture).json<ErrorBody>("GET", "/api/auth/me");
    expect(status).toBe(401);
    expect(body.error.code).toBe("UNAUTHENTICATED");
  });

  test("updates name and anti-phishing code; unknown fields are rejected, never applied", async () => {
    const { client } = await signedInUser(fixture, "profile");
    const ok = await client.json<UserBody>("PATCH", "/api/auth/profile", { name: "New Name", antiPhishingCode: "blue-horse" });
    expect(ok.status).toBe(200);
    expect(ok.body.user).toMatchObject({ name: "New Name", antiPhishingCode: "blue-horse" });
    for (const field of ["role", "email", "emailVerified"]) {
      const refused = await client.json<ErrorBody>("PATCH", "/api/auth/profile", {
        [field]: field === "role" ? "admin" : "x@y.z",
      });
      expect(refused.status).toBe(422);
      expect(refused.body.error.details?.fields).toEqual([field]);
    }
    const me = await client.json<UserBody>("GET", "/api/auth/me");
    expect(me.body.user.role).toBe("user");
    expect(me.body.user.name).toBe("New Name");
  });

  test("a name that is blank once trimmed is 422 naming it, and the old name stays", async () => {
    const { client } = await signedInUser(fixture, "blank");
    // Blank, a control character, or a bidi override that would show what follows reversed ("\u202eevil" as "live").
    for (const name of ["", "   ", "\t\u00a0", "\u200b\u200b", "a\u0085b", "\u202eevil", "a\u2066b"]) {
      const refused = await client.json<ErrorBody>("PATCH", "/api/auth/profile", { name });
      expect(refused.status).toBe(422);
      expect(refused.body.error.code).toBe("VALIDATION_FAILED");
      expect(refused.body.error.details?.fields).toEqual(["name"]);
    }
    expect((await client.json<UserBody>("GET", "/api/auth/me")).body.user.name).toBe("blank");
    const trimmed = await client.json<UserBody>("PATCH", "/api/auth/profile", { name: "  Ada  " });
    expect(trimmed.body.user.name).toBe("Ada");
    expect((await client.json<UserBody>("GET", "/api/auth/me")).body.user.name).toBe("Ada");
  });

  test("an anti-phishing code is 4 to 32 characters of its own: spaces around it do not count, and are refused", async () => {
    const { client } = await signedInUser(fixture, "short-code");
    for (const antiPhishingCode of ["  ab  ", "a   ", "    ", " abcd", "abcd ", "abc"]) {
      const refused = await client.json<ErrorBody>("PATCH", "/api/auth/profile", { antiPhishingCode });
      expect([antiPhishingCode, refused.status, refused.body.error.details?.fields]).toEqual([
        antiPhishingCode,
        422,
        ["antiPhishingCode"],
      ]);
    }
    expect((await client.json<UserBody>("GET", "/api/auth/me")).body.user.antiPhishingCode).toBeNull();
    const spaced = await client.json<UserBody>("PATCH", "/api/auth/profile", { antiPhishingCode: "red fox" });
    expect(spaced.body.user.antiPhishingCode).toBe("red fox");
    const cleared = await client.json<UserBody>("PATCH", "/api/auth/profile", { antiPhishingCode: null });
    expect(cleared.body.user.antiPhishingCode).toBeNull();
  });

  test("every mail carries the anti-phishing code once it is set", async () => {
    const { client, email } = await signedInUser(fixture, "phish");
    await client.json("PATCH", "/api/auth/profile", { antiPhishingCode: "purple-otter" });
    await client.post("/api/auth/password/forgot", { email });
    const mail = await lastMailTo(fixture, email);
    expect(mail.subject).toBe("Reset your password");
    expect(mail.textBody).toContain("purple-otter");
    expect(mail.htmlBody).toContain("purple-otter");
  });
});

describe("password forgot, reset and change", () => {
  test("forgot is 202 whether or not the email exists, and only a real account gets mail", async () => {
    const { email } = await signedInUser(fixture, "forgot");
    const nobody = uniqueEmail("ghost");
    const a = await new TestClient(fixture).json("POST", "/api/auth/password/forgot", { email });
    const b = await new TestClient(fixture).json("POST", "/api/auth/password/forgot", { email: nobody });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(a.body).toEqual(b.body);
    expect((await lastMailTo(fixture, email)).subject).toBe("Reset your password");
    expect(await lastMailTo(fixture, nobody)).toBeUndefined();
  });

  test("forgot with something that is no email address is 422 naming the field, as register is", async () => {
    for (const email of ["notemail", "a@", "@example.com"]) {
      const answer = await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/password/forgot", { email });
      expect(answer.status).toBe(422);
      expect(answer.body.error.code).toBe("VALIDATION_FAILED");
      expect(answer.body.error.details?.fields).toEqual(["email"]);
    }
  });

  test("reset mails to one address from one IP are capped per hour (still 202), members or not; another IP still gets one", async () => {
    const { email } = await signedInUser(fixture, "reset-flood");
    const nobody = uniqueEmail("reset-flood-ghost");
    const { MAILS_PER_HOUR } = await import("../src/modules/identity/mail-budget");
    const flooder = new TestClient(fixture);
    const forgot = (client: TestClient, address: string) =>
      client.request("POST", "/api/auth/password/forgot", { body: { email: address } });
    for (let i = 0; i < MAILS_PER_HOUR; i++) {
      expect((await forgot(flooder, email)).status).toBe(202);
      expect((await forgot(flooder, nobody)).status).toBe(202);
    }
    // Past the cap the answer is API.md's 202 still, the same for a member and a stranger, and no mail goes.
    const [member, stranger] = [await forgot(flooder, email.toUpperCase()), await forgot(flooder, nobody)];
    expect([member.status, stranger.status]).toEqual([202, 202]);
    expect(await member.text()).toBe(await stranger.text());
    // The flooder spent their own budget, not the owner's: from the owner's address a reset mail still goes.
    expect((await forgot(new TestClient(fixture), email)).status).toBe(202);
    const { sql } = await import("drizzle-orm");
    const [sent] = await queryRows<{ n: number }>(
      fixture.deps.database.db,
      sql`select count(*)::int as n from mail_outbox where to_address = ${email} and subject = 'Reset your password'`,
    );
    expect(sent.n).toBe(MAILS_PER_HOUR + 1);
  });

  test("a password once reset or changed, every older reset link is dead", async () => {
    const { email } = await signedInUser(fixture, "reset-links");
    const resetLink = async () => {
      await new TestClient(fixture).post("/api/auth/password/forgot", { email });
      return tokenFromMail((await lastMailTo(fixture, email)).textBody);
    };
    const reset = (token: string, password: string) =>
      new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/password/reset", { token, password });
    const older = await resetLink();
    const newer = await resetLink();
    expect(newer).not.toBe(older);
    expect((await reset(newer, "a brand new passphrase")).status).toBe(200);
    const stale = await reset(older, "the attacker's passphrase");
    expect([stale.status, stale.body.error.code]).toEqual([400, "INVALID_TOKEN"]);
    // The same after a change of password by the signed-in owner.
    const signedIn = new TestClient(fixture);
    expect((await signedIn.json("POST", "/api/auth/login", { email, password: "a brand new passphrase" })).status).toBe(200);
    const beforeChange = await resetLink();
    const changed = await signedIn.json("POST", "/api/auth/password/change", {
      currentPassword: "a brand new passphrase",
      newPassword: "the owner's next passphrase",
    });
    expect(changed.status).toBe(200);
    const afterChange = await reset(beforeChange, "the attacker's passphrase");
    expect([afterChange.status, afterChange.body.error.code]).toEqual([400, "INVALID_TOKEN"]);
  });

  test("reset: single use, revokes every session at once, locks withdrawals, old password dead", async () => {
    const { client, email, userId } = await signedInUser(fixture, "reset");
    await new TestClient(fixture).post("/api/auth/password/forgot", { email });
    const token = tokenFromMail((await lastMailTo(fixture, email)).textBody);
    expect((await new TestClient(fixture).json("POST", "/api/auth/password/reset", { token, password: "password" })).status).toBe(
      422,
    );
    const reset = await new TestClient(fixture).json("POST", "/api/auth/password/reset", {
      token,
      password: "a brand new passphrase",
    });
    expect(reset.status).toBe(200);
    expect((await lastMailTo(fixture, email)).subject).toBe("Your password was changed");
    const again = await new TestClient(fixture).json<ErrorBody>("POST", "/api/auth/password/reset", {
      token,
      password: "another new passphrase",
    });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe("INVALID_TOKEN");
    expect((await client.json("GET", "/api/auth/me")).status).toBe(401);
    expect((await new TestClient(fixture).json("POST", "/api/auth/login", { email, password: PASSWORD })).status).toBe(401);
    expect(
      (await new TestClient(fixture).json("POST", "/api/auth/login", { email, password: "a brand new passphrase" })).status,
    ).toBe(200);
    const { users } = await import("../src/modules/identity/schema");
    const { eq } = await import("drizzle-orm");
    const [row] = await fixture.deps.database.db.select().from(users).where(eq(users.id, userId));
    expect(row.withdrawalsLockedUntil?.getTime()).toBeGreaterThan(Date.now() + 23 * 3600 * 1000);
  });

  test("a mailed link does only what it was sent for: a verify or 2FA-undo link resets no password, a reset link verifies no address", async () => {
    const refused = async (path: string, body: Record<string, string>) => {
      const answer = await new TestClient(fixture).json<ErrorBody>("POST", path, body);
      expect([answer.status, answer.body.error?.code]).toEqual([400, "INVALID_TOKEN"]);
    };
    const signIn = (email: string, password: string) =>
      new TestClient(fixture).json<UserBody & ErrorBody>("POST", "/api/auth/login", { email, password });

    // The verification mail's link, posted as a reset: the password stays the owner's.
    const verifying = uniqueEmail("purpose-verify");
    await new TestClient(fixture).post("/api/auth/register", { email: verifying, password: PASSWORD, name: "V" });
    const verifyToken = tokenFromMail((await lastMailTo(fixture, verifying)).textBody);
    await refused("/api/auth/password/reset", { token: verifyToken, password: "the attacker's passphrase" });
    expect((await signIn(verifying, PASSWORD)).status).toBe(200);
    expect((await signIn(verifying, "the attacker's passphrase")).status).toBe(401);

    // A reset mail's link, posted as a verification: the address stays unverified.
    const resetting = uniqueEmail("purpose-reset");
    await new TestClient(fixture).post("/api/auth/register", { email: resetting, password: PASSWORD, name: "R" });
    await new TestClient(fixture).post("/api/auth/password/forgot", { email: resetting });
    const resetMail = await lastMailTo(fixture, resetting);
    expect(resetMail.subject).toBe("Reset your password");
    await refused("/api/auth/verify-email", { token: tokenFromMail(resetMail.textBody) });
    const unverified = await signIn(resetting, PASSWORD);
    expect([unverified.status, unverified.body.user.emailVerified]).toEqual([200, false]);

    // The 2FA-undo link, posted as a reset: the password stays, and so does the second factor it guards.
    const { client, email } = await signedInUser(fixture, "purpose-undo");
    const setup = await client.json<{ secret: string }>("POST", "/api/auth/2fa/setup");
    expect((await client.json("POST", "/api/auth/2fa/enable", { code: await totpNow(setup.body.secret) })).status).toBe(200);
    const undoMail = await lastMailTo(fixture, email);
    expect(undoMail.textBody).toContain("/undo-two-factor?token=");
    await refused("/api/auth/password/reset", { token: tokenFromMail(undoMail.textBody), password: "the attacker's passphrase" });
    expect((await signIn(email, PASSWORD)).body.error.code).toBe("TOTP_REQUIRED");
    expect((await signIn(email, "the attacker's passphrase")).body.error.code).toBe("INVALID_CREDENTIALS");

    // Each link still does its own work afterwards: a refused one was not spent.
    expect((await new TestClient(fixture).json("POST", "/api/auth/verify-email", { token: verifyToken })).status).toBe(200);
  });

  test("an unverified user sets up no second factor and no anti-phishing code (403 EMAIL_NOT_VERIFIED); a name, yes", async () => {
    const email = uniqueEmail("unverified-setup");
    const client = new TestClient(fixture);
    await client.post("/api/auth/register", { email, password: PASSWORD, name: "New" });
    await client.post("/api/auth/login", { email, password: PASSWORD });
    const refused = [
      await client.json<ErrorBody>("POST", "/api/auth/2fa/setup"),
      await client.json<ErrorBody>("POST", "/api/auth/2fa/enable", { code: "123456" }),
      await client.json<ErrorBody>("PATCH", "/api/auth/profile", { antiPhishingCode: "trust-me" }),
    ];
    expect(refused.map((answer) => [answer.status, answer.body.error.code])).toEqual(
      refused.map(() => [403, "EMAIL_NOT_VERIFIED"]),
    );
    // The request's own 422 comes first, as API.md orders them.
    expect((await client.json("PATCH", "/api/auth/profile", { antiPhishingCode: "ab" })).status).toBe(422);
    const named = await client.json<UserBody>("PATCH", "/api/auth/profile", { name: "Renamed", antiPhishingCode: null });
    expect([named.status, named.body.user.name, named.body.user.antiPhishingCode]).toEqual([200, "Renamed", null]);
  });

  test("a reset reclaims a never-verified account: the squatter's 2FA, anti-phishing code and name go, the address is verified", async () => {
    // A stranger registers the owner's address, never verifies it, and set the account up against its owner
    // (as an account could before unverified users were refused 2FA and a code: verified for the set-up here).
    const email = uniqueEmail("squatted");
    const squatter = new TestClient(fixture);
    const registered = await squatter.json<UserBody>("POST", "/api/auth/register", {
      email,
      password: "the squatter's passphrase",
      name: "Owner. URGENT: call +1 555 0100",
    });
    await squatter.post("/api/auth/login", { email, password: "the squatter's passphrase" });
    const { sql } = await import("drizzle-orm");
    const setVerifiedAt = (at: Date | null) =>
      fixture.deps.database.db.execute(
        sql`update users set email_verified_at = ${at?.toISOString() ?? null} where id = ${registered.body.user.id}`,
      );
    await setVerifiedAt(new Date());
    const setup = await squatter.json<{ secret: string }>("POST", "/api/auth/2fa/setup");
    expect((await squatter.json("POST", "/api/auth/2fa/enable", { code: await totpNow(setup.body.secret) })).status).toBe(200);
    expect((await squatter.json("PATCH", "/api/auth/profile", { antiPhishingCode: "trust-me" })).status).toBe(200);
    await setVerifiedAt(null);

    // The owner's mail carries no code someone else chose (it would vouch for their mails), and the link reclaims.
    const owner = new TestClient(fixture);
    await owner.post("/api/auth/password/forgot", { email });
    const resetMail = await lastMailTo(fixture, email);
    expect(resetMail.textBody).not.toContain("trust-me");
    const token = tokenFromMail(resetMail.textBody);
    expect((await owner.json("POST", "/api/auth/password/reset", { token, password: "the owner's passphrase" })).status).toBe(
      200,
    );
    const signedIn = await owner.json<UserBody & { user: { twoFactorEnabled: boolean } }>("POST", "/api/auth/login", {
      email,
      password: "the owner's passphrase",
    });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.user).toMatchObject({
      emailVerified: true,
      twoFactorEnabled: false,
      antiPhishingCode: null,
      name: email.split("@")[0],
    });
    expect((await squatter.json("GET", "/api/auth/me")).status).toBe(401);
    const audit = await owner.json<{ items: { action: string; metadata: unknown }[] }>("GET", "/api/audit?limit=100");
    expect(audit.body.items.find((row) => row.action === "auth.password_reset")?.metadata).toEqual({
      sessionsEnded: 1,
      reclaimed: true,
    });
  });

  test("a reset of a verified account keeps its 2FA and anti-phishing code", async () => {
    const { client, email } = await signedInUser(fixture, "reset-keeps");
    const setup = await client.json<{ secret: string }>("POST", "/api/auth/2fa/setup");
    await client.json("POST", "/api/auth/2fa/enable", { code: await totpNow(setup.body.secret) });
    await client.json("PATCH", "/api/auth/profile", { antiPhishingCode: "green-heron" });
    await client.post("/api/auth/password/forgot", { email });
    const token = tokenFromMail((await lastMailTo(fixture, email)).textBody);
    expect(
      (await new TestClient(fixture).json("POST", "/api/auth/password/reset", { token, password: "a new passphrase!" })).status,
    ).toBe(200);
    const again = new TestClient(fixture);
    const login = await again.json<ErrorBody>("POST", "/api/auth/login", { email, password: "a new passphrase!" });
    expect(login.body.error.code).toBe("TOTP_REQUIRED");
    expect((await lastMailTo(fixture, email)).textBody).toContain("green-heron");
  });

  test("change: needs the current password, keeps this session, ends the others", async () => {
    const { client, email } = await signedInUser(fixture, "change");
    const other = new TestClient(fixture);
    await other.post("/api/auth/login", { email, password: PASSWORD });
    const wrong = await client.json<ErrorBody>("POST", "/api/auth/password/change", {
      currentPassword: "wrong wrong wrong",
      newPassword: "changed passphrase 1",
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("INVALID_CREDENTIALS");
    const ok = await client.json("POST", "/api/auth/password/change", {
      currentPassword: PASSWORD,
      newPassword: "changed passphrase 1",
    });
    expect(ok.status).toBe(200);
    expect((await client.json("GET", "/api/auth/me")).status).toBe(200);
    expect((await other.json("GET", "/api/auth/me")).status).toBe(401);
    const audit = await client.json<{ items: { action: string; metadata: unknown }[] }>("GET", "/api/audit?limit=100");
    expect(audit.body.items.find((row) => row.action === "auth.password_changed")?.metadata).toEqual({ sessionsEnded: 1 });
  });

  test("change: wrong current passwords are audited and spend the signed-in budget, then 429 even for the right one", async () => {
    const { client } = await signedInUser(fixture, "change-guess");
    const attempt = (currentPassword: string) =>
      client.request("POST", "/api/auth/password/change", { body: { currentPassword, newPassword: "changed passphrase 2" } });
    for (let i = 0; i < 10; i++) expect((await attempt(`guess number ${i}`)).status).toBe(401);
    const blocked = await attempt(PASSWORD);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    const audit = await client.json<{ items: { action: string }[] }>("GET", "/api/audit?limit=100");
    expect(audit.body.items.filter((row) => row.action === "auth.password_change_failed")).toHaveLength(10);
    expect((await client.json("GET", "/api/auth/me")).status).toBe(200);
  });

  test("change: wrong current passwords arriving together: exactly the budget of them is checked, the rest are 429", async () => {
    const { client } = await signedInUser(fixture, "change-burst");
    const answers = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        client.request("POST", "/api/auth/password/change", {
          body: { currentPassword: `guess number ${i}`, newPassword: "changed passphrase 3" },
        }),
      ),
    );
    expect(tally(answers.map((answer) => answer.status))).toEqual({ 401: 10, 429: 5 });
  });

  test("change: right current passwords arriving together, more of them than the budget: none is 429, one changes it", async () => {
    const { client, email } = await signedInUser(fixture, "change-right-burst");
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client.request("POST", "/api/auth/password/change", {
          body: { currentPassword: PASSWORD, newPassword: `changed passphrase ${i}` },
        }),
      ),
    );
    // Each was right when checked; the first to commit replaced the password the others had checked.
    expect(tally(answers.map((answer) => answer.status))).toEqual({ 200: 1, 401: 19 });
    const changedTo = `changed passphrase ${answers.findIndex((answer) => answer.status === 200)}`;
    expect((await new TestClient(fixture).post("/api/auth/login", { email, password: changedTo })).status).toBe(200);
  });

  test("change: the same password again is refused, and changes nothing", async () => {
    const { client } = await signedInUser(fixture, "change-same");
    const same = await client.json<ErrorBody>("POST", "/api/auth/password/change", {
      currentPassword: PASSWORD,
      newPassword: PASSWORD,
    });
    expect(same.status).toBe(422);
    expect(same.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: { fields: ["newPassword"] } });
    // The same password typed otherwise (a fullwidth letter) is the same password.
    const fullwidth = PASSWORD.replace(/[a-z]/, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    expect(fullwidth).not.toBe(PASSWORD);
    const alike = await client.json<ErrorBody>("POST", "/api/auth/password/change", {
      currentPassword: PASSWORD,
      newPassword: fullwidth,
    });
    expect([alike.status, alike.body.error.code]).toEqual([422, "VALIDATION_FAILED"]);
    const audit = await client.json<{ items: { action: string }[] }>("GET", "/api/audit?limit=100");
    expect(audit.body.items.map((row) => row.action)).not.toContain("auth.password_changed");
  });

  test.if(Boolean(TEST_DATABASE_URL))(
    "two resets of one user with two links, at once: one wins and the other link is dead, never a deadlock",
    async () => {
      const { userId, email } = await signedInUser(fixture, "two-resets");
      const tokens: string[] = [];
      for (let i = 0; i < 2; i++) {
        await new TestClient(fixture).post("/api/auth/password/forgot", { email });
        tokens.push(tokenFromMail((await lastMailTo(fixture, email)).textBody));
      }
      // Both resets come to the user's row while something else holds it; they then go on together.
      const db = fixture.deps.database.db;
      const answers = await whileLockHeld(db, sql`select 1 from users where id = ${userId} for update`, async () => {
        const resets = tokens.map((token, i) =>
          new TestClient(fixture).post("/api/auth/password/reset", { token, password: `reset passphrase ${i}` }),
        );
        expect(await lockWaiters(db, 2)).toBe(true);
        return resets;
      });
      const statuses = await Promise.all(answers.map(async (answer) => (await answer).status));
      expect(tally(statuses)).toEqual({ 200: 1, 400: 1 });
      const winner = `reset passphrase ${statuses.indexOf(200)}`;
      expect((await new TestClient(fixture).post("/api/auth/login", { email, password: winner })).status).toBe(200);
    },
  );

  test.if(Boolean(TEST_DATABASE_URL))(
    "a change from one session and signing out the others from another, at once, with a third session: never a deadlock",
    async () => {
      const { client: owner, email, userId } = await signedInUser(fixture, "change-vs-others");
      for (const device of [new TestClient(fixture), new TestClient(fixture)])
        expect((await device.post("/api/auth/login", { email, password: PASSWORD })).status).toBe(200);
      const thief = new TestClient(fixture);
      expect((await thief.post("/api/auth/login", { email, password: PASSWORD })).status).toBe(200);
      // An unused reset link, held: the change waits there, past its locks on the user and its own session, while
      // the owner signs the other sessions out.
      await new TestClient(fixture).post("/api/auth/password/forgot", { email });
      const db = fixture.deps.database.db;
      const [change, revoke] = await whileLockHeld(
        db,
        sql`select 1 from email_tokens where user_id = ${userId} and purpose = 'password_reset' and used_at is null for update`,
        async () => {
          const change = thief.request("POST", "/api/auth/password/change", {
            body: { currentPassword: PASSWORD, newPassword: "a stolen session's passphrase" },
          });
          expect(await lockWaiters(db, 1)).toBe(true);
          const revoke = owner.request("POST", "/api/auth/sessions/revoke-others");
          expect(await lockWaiters(db, 2)).toBe(true);
          return [change, revoke];
        },
      );
      // The change came first: it signs the owner out, and the owner's request finds its session ended.
      expect([(await change).status, (await revoke).status]).toEqual([200, 401]);
    },
  );

  /** Runs `meanwhile` once, while the next password change hashes its new password (after its checks). */
  async function whileHashing<T>(meanwhile: () => Promise<unknown>, change: () => Promise<T>): Promise<T> {
    const hasher = fixture.services.identity.hasher;
    const hash = hasher.hash;
    let pending: (() => Promise<unknown>) | undefined = meanwhile;
    hasher.hash = async (password) => {
      const run = pending;
      pending = undefined;
      await run?.();
      return hash.call(hasher, password);
    };
    try {
      return await change();
    } finally {
      hasher.hash = hash;
    }
  }

  test("change: a reset that lands while a change hashes wins; the change is refused, as if it came after", async () => {
    const { client, email } = await signedInUser(fixture, "change-vs-reset");
    await new TestClient(fixture).post("/api/auth/password/forgot", { email });
    const token = tokenFromMail((await lastMailTo(fixture, email)).textBody);
    const change = await whileHashing(
      async () => {
        const reset = await new TestClient(fixture).post("/api/auth/password/reset", {
          token,
          password: "the owner's passphrase",
        });
        expect(reset.status).toBe(200);
      },
      () =>
        client.json<ErrorBody>("POST", "/api/auth/password/change", {
          currentPassword: PASSWORD,
          newPassword: "a stolen session's passphrase",
        }),
    );
    expect(change.status).toBe(401);
    const login = (password: string) => new TestClient(fixture).post("/api/auth/login", { email, password });
    expect((await login("the owner's passphrase")).status).toBe(200);
    expect((await login("a stolen session's passphrase")).status).toBe(401);
  });

  test("change: a session revoked while its change hashes changes nothing, and does not sign the owner out", async () => {
    const { client, email } = await signedInUser(fixture, "change-vs-revoke");
    const owner = new TestClient(fixture);
    await owner.post("/api/auth/login", { email, password: PASSWORD });
    const change = await whileHashing(
      async () => expect((await owner.request("POST", "/api/auth/sessions/revoke-others")).status).toBe(204),
      () =>
        client.json<ErrorBody>("POST", "/api/auth/password/change", {
          currentPassword: PASSWORD,
          newPassword: "a stolen session's passphrase",
        }),
    );
    expect(change.status).toBe(401);
    expect(change.body.error.code).toBe("UNAUTHENTICATED");
    expect((await owner.json("GET", "/api/auth/me")).status).toBe(200);
    expect((await new TestClient(fixture).post("/api/auth/login", { email, password: PASSWORD })).status).toBe(200);
  });
});

describe("sessions", () => {
  test("list live sessions, revoke one (its token dies at once), revoke the others", async () => {
    const { client, email } = await signedInUser(fixture, "sessions");
    const phone = new TestClient(fixture);
    phone.userAgent = "Phone/2.0";
    phone.ip = "198.51.100.7";
    await phone.post("/api/auth/login", { email, password: PASSWORD });
    const laptop = new TestClient(fixture);
    await laptop.post("/api/auth/login", { email, password: PASSWORD });
    const list = await client.json<{
      items: { id: string; current: boolean; ip: string; userAgent: string; createdAt: string; lastSeenAt: string }[];
    }>("GET", "/api/auth/sessions");
    expect(list.body.items).toHaveLength(3);
    expect(list.body.items.filter((s) => s.current)).toHaveLength(1);
    const phoneSession = list.body.items.find((s) => s.userAgent === "Phone/2.0");
    expect(phoneSession?.ip).toBe("198.51.100.7");
    const endPhone = await client.request("DELETE", `/api/auth/sessions/${phoneSession?.id}`);
    expect(endPhone.status).toBe(204);
    expect(endPhone.headers.getSetCookie()).toEqual([]); // another device's session: this one stays signed in
    expect((await phone.json("GET", "/api/auth/me")).status).toBe(401);
    expect((await client.request("DELETE", `/api/auth/sessions/${phoneSession?.id}`)).status).toBe(404);
    expect((await client.request("DELETE", "/api/auth/sessions/not-a-uuid")).status).toBe(404);
    // A session over by itself (idle for 7 days) is no longer listed, nor ended again: 404 as well.
    const laptopSession = list.body.items.find((s) => !s.current && s.userAgent !== "Phone/2.0");
    const { sql } = await import("drizzle-orm");
    await fixture.deps.database.db.execute(
      sql`update sessions set last_seen_at = now() - interval '8 days' where id = ${laptopSession?.id as string}`,
    );
    expect((await client.request("DELETE", `/api/auth/sessions/${laptopSession?.id}`)).status).toBe(404);
    expect((await client.post("/api/auth/sessions/revoke-others")).status).toBe(204);
    expect((await laptop.json("GET", "/api/auth/me")).status).toBe(401);
    const after = await client.json<{ items: { id: string }[] }>("GET", "/api/auth/sessions");
    expect(after.body.items).toHaveLength(1);
    // Ending the session this client is signed in with signs it out, cookies cleared as by logout.
    const endOwn = await client.request("DELETE", `/api/auth/sessions/${after.body.items[0].id}`);
    expect(endOwn.status).toBe(204);
    expect(endOwn.headers.getSetCookie().filter((c) => /Max-Age=0/.test(c))).toHaveLength(3);
    expect((await client.json("GET", "/api/auth/me")).status).toBe(401);
  });

  test("an access token that has worked is refused from the moment it expires, its session still live", async () => {
    const { client } = await signedInUser(fixture, "tokenexpiry");
    const bearer = { headers: { authorization: `Bearer ${client.cookie("access_token")}` } };
    const asBearer = async () => {
      const response = await new TestClient(fixture).request("GET", "/api/auth/me", bearer);
      return { status: response.status, body: (await response.json()) as ErrorBody };
    };
    expect((await asBearer()).status).toBe(200);
    expect((await asBearer()).status).toBe(200);
    try {
      setSystemTime(new Date(Date.now() + 15 * 60 * 1000 + 1000));
      const expired = await asBearer();
      expect(expired.status).toBe(401);
      expect(expired.body.error.code).toBe("UNAUTHENTICATED");
    } finally {
      setSystemTime();
    }
    expect((await asBearer()).status).toBe(200);
  });

  test("a token signed with the server's key but without exp (it would never expire) is 401", async () => {
    const { client } = await signedInUser(fixture, "tokennoexp");
    const [header, payload] = (client.cookie("access_token") as string).split(".");
    const { exp: _, ...claims } = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
    const unsigned = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
    const signature = createHmac("sha256", TEST_ENV.JWT_SECRET).update(unsigned).digest("base64url");
    const forever = await new TestClient(fixture).request("GET", "/api/auth/me", {
      headers: { authorization: `Bearer ${unsigned}.${signature}` },
    });
    expect(forever.status).toBe(401);
    expect((await client.json("GET", "/api/auth/me")).status).toBe(200); // the genuine token, same session
  });

  test("a token is taken only as issued: other spellings that a lenient decoder would read the same are 401", async () => {
    const { client } = await signedInUser(fixture, "tokenspelling");
    const genuine = client.cookie("access_token") as string;
    const at = genuine.length - 20;
    const bearer = (token: string) =>
      new TestClient(fixture).request("GET", "/api/auth/me", { headers: { authorization: `Bearer ${token}` } });
    expect((await bearer(genuine)).status).toBe(200);
    for (const spelling of [
      `${genuine.slice(0, at)} ${genuine.slice(at)}`,
      `${genuine.slice(0, at)}\t${genuine.slice(at)}`,
      `${genuine}=`,
    ]) {
      const answer = await bearer(spelling);
      expect(answer.status).toBe(401);
      expect(((await answer.json()) as ErrorBody).error.code).toBe("UNAUTHENTICATED");
    }
  });

  test("an id that names no session of this user is 404 NOT_FOUND, however it looks", async () => {
    const { client } = await signedInUser(fixture, "garbageid");
    for (const id of ["x", "a".repeat(100), "b".repeat(1000), crypto.randomUUID(), "%E2%9C%93%20"]) {
      const { status, body } = await client.json<ErrorBody>("DELETE", `/api/auth/sessions/${id}`);
      expect(status).toBe(404);
      expect(body.error.code).toBe("NOT_FOUND");
    }
    expect((await client.json("GET", "/api/auth/me")).status).toBe(200);
  });

  test("another user's session id is 404 and stays alive", async () => {
    const alice = await signedInUser(fixture, "alice");
    const bob = await signedInUser(fixture, "bob");
    const bobs = await bob.client.json<{ items: { id: string }[] }>("GET", "/api/auth/sessions");
    expect((await alice.client.request("DELETE", `/api/auth/sessions/${bobs.body.items[0].id}`)).status).toBe(404);
    expect((await bob.client.json("GET", "/api/auth/me")).status).toBe(200);
  });

  test("logout: 204, cookies cleared, session revoked (the old access token is dead)", async () => {
    const { client } = await signedInUser(fixture, "logout");
    const stolen = client.cookie("access_token") as string;
    const response = await client.post("/api/auth/logout");
    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie().filter((c) => /Max-Age=0/.test(c))).toHaveLength(3);
    const replay = await new TestClient(fixture).request("GET", "/api/auth/me", {
      headers: { authorization: `Bearer ${stolen}` },
    });
    expect(replay.status).toBe(401);
    // Logout too refuses the dead token, as every route does; no second audit row.
    const again = await new TestClient(fixture).request("POST", "/api/auth/logout", {
      headers: { authorization: `Bearer ${stolen}` },
    });
    expect(again.status).toBe(401);
    expect(((await again.json()) as ErrorBody).error.code).toBe("UNAUTHENTICATED");
  });

  test("logout: 401 UNAUTHENTICATED when nothing names a session, 403 CSRF_FAILED for a session without the header", async () => {
    for (const cookies of [{}, { csrf_token: "c" }, { access_token: "not.a.jwt", csrf_token: "c" }]) {
      const client = new TestClient(fixture);
      for (const [name, value] of Object.entries(cookies)) client.cookies.set(name, { value, path: "/", attributes: "" });
      const { status, body } = await client.json<ErrorBody>("POST", "/api/auth/logout");
      expect(status).toBe(401);
      expect(body.error.code).toBe("UNAUTHENTICATED");
    }
    const { client } = await signedInUser(fixture, "logoutcsrf");
    const forged = await client.request("POST", "/api/auth/logout", { csrf: false });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as ErrorBody).error.code).toBe("CSRF_FAILED");
    // Only a valid bearer token spares the check: a bearer header that fails leaves the cookies to name the session.
    const badBearer = await client.request("POST", "/api/auth/logout", {
      csrf: false,
      headers: { authorization: "Bearer nonsense" },
    });
    expect([badBearer.status, ((await badBearer.json()) as ErrorBody).error.code]).toEqual([403, "CSRF_FAILED"]);
    expect((await client.json("GET", "/api/auth/me")).status).toBe(200);
  });

  test("refresh and logout take no body: a malformed one answers 400 only after their 401 and 403 (API.md's order)", async () => {
    for (const path of ["/api/auth/refresh", "/api/auth/logout"]) {
      const stranger = await new TestClient(fixture).request("POST", path, { rawBody: "{bad" });
      expect([path, stranger.status, ((await stranger.json()) as ErrorBody).error.code]).toEqual([path, 401, "UNAUTHENTICATED"]);
      const { client } = await signedInUser(fixture, "junkbody");
      const forged = await client.request("POST", path, { rawBody: "{bad", csrf: false });
      expect([path, forged.status, ((await forged.json()) as ErrorBody).error.code]).toEqual([path, 403, "CSRF_FAILED"]);
      const junk = await client.request("POST", path, { rawBody: "{bad" });
      expect([path, junk.status, ((await junk.json()) as ErrorBody).error.code]).toEqual([path, 400, "MALFORMED_REQUEST"]);
      // Refused, so nothing was done: the session lives on.
      expect((await client.json("GET", "/api/auth/me")).status).toBe(200);
    }
    // A rotated refresh token presented again is the theft signal, whatever the body: its session ends.
    const { client } = await signedInUser(fixture, "junkreuse");
    const rotated = client.cookie("refresh_token") as string;
    expect((await client.post("/api/auth/refresh")).status).toBe(200);
    const copy = new TestClient(fixture);
    copy.cookies.set("refresh_token", { value: rotated, path: "/api/auth", attributes: "" });
    copy.cookies.set("csrf_token", { value: "c", path: "/", attributes: "" });
    const reused = await copy.request("POST", "/api/auth/refresh", { rawBody: "{bad" });
    expect([reused.status, ((await reused.json()) as ErrorBody).error.code]).toEqual([401, "REFRESH_REUSED"]);
    expect((await client.json("GET", "/api/auth/me")).status).toBe(401);
  });

  test("a new device or IP gets a sign-in mail; the same one does not", async () => {
    const { client, email } = await signedInUser(fixture, "newdevice");
    const before = await lastMailTo(fixture, email);
    const same = new TestClient(fixture);
    same.ip = client.ip;
    await same.post("/api/auth/login", { email, password: PASSWORD });
    expect((await lastMailTo(fixture, email)).id).toBe(before.id);
    // Another browser at the same IP is a new device too.
    const otherBrowser = new TestClient(fixture);
    otherBrowser.ip = client.ip;
    otherBrowser.userAgent = "Another Browser/1.0";
    await otherBrowser.post("/api/auth/login", { email, password: PASSWORD });
    const browserMail = await lastMailTo(fixture, email);
    expect(browserMail.id).not.toBe(before.id);
    expect(browserMail.subject).toBe("New sign-in to your account");
    expect(browserMail.textBody).toContain("Another Browser/1.0");
    const stranger = new TestClient(fixture);
    stranger.ip = "192.0.2.99";
    await stranger.post("/api/auth/login", { email, password: PASSWORD });
    const mail = await lastMailTo(fixture, email);
    expect(mail.subject).toBe("New sign-in to your account");
    expect(mail.textBody).toContain("192.0.2.99");
  });

  test("the sign-in alert goes only to a verified address, at most 5 an hour, with the device text shortened", async () => {
    // Whoever typed someone else's address signs in: the address's owner gets none of their words.
    const email = uniqueEmail("unverified-alert");
    const typist = new TestClient(fixture);
    await typist.post("/api/auth/register", { email, password: PASSWORD, name: "Typist" });
    for (const ip of ["192.0.2.10", "192.0.2.11"]) {
      const device = new TestClient(fixture);
      device.ip = ip;
      device.userAgent = "URGENT: your account is locked, call +1-555-0100";
      expect((await device.post("/api/auth/login", { email, password: PASSWORD })).status).toBe(200);
    }
    expect((await lastMailTo(fixture, email)).subject).toBe("Verify your email");

    const member = await signedInUser(fixture, "alert-cap");
    const alertsTo = async () => {
      const { mailOutbox } = await import("../src/platform/mail/schema");
      const { and, eq } = await import("drizzle-orm");
      return fixture.deps.database.db
        .select()
        .from(mailOutbox)
        .where(and(eq(mailOutbox.toAddress, member.email), eq(mailOutbox.subject, "New sign-in to your account")))
        .orderBy(mailOutbox.id);
    };
    for (let i = 0; i < 7; i++) {
      const device = new TestClient(fixture);
      device.ip = `192.0.2.${20 + i}`;
      device.userAgent = `Browser ${i} ${"x".repeat(300)}`;
      expect((await device.post("/api/auth/login", { email: member.email, password: PASSWORD })).status).toBe(200);
    }
    const alerts = await alertsTo();
    expect(alerts).toHaveLength(5);
    expect(alerts[0].textBody).toContain(`Device: Browser 0 ${"x".repeat(120 - "Browser 0 ".length)}…`);
    expect(alerts[0].textBody).not.toContain("x".repeat(200));
  });
});

// Last in this file: it ends every session of the fixture.
describe("bun run cli sessions:revoke-all", () => {
  test("every live session ends at once, refresh tokens too, and each user's audit log says so", async () => {
    const { client, email } = await signedInUser(fixture, "revoke-all");
    const phone = new TestClient(fixture);
    await phone.post("/api/auth/login", { email, password: PASSWORD });
    const other = await signedInUser(fixture, "revoke-all-other");
    const { sessions, users } = await revokeAllSessions(fixture.deps.database.db);
    expect(sessions).toBeGreaterThanOrEqual(3);
    expect(users).toBeGreaterThanOrEqual(2);
    for (const signedIn of [client, phone, other.client]) {
      expect((await signedIn.json("GET", "/api/auth/me")).status).toBe(401);
      expect((await signedIn.post("/api/auth/refresh")).status).toBe(401);
    }
    const again = new TestClient(fixture);
    expect((await again.post("/api/auth/login", { email, password: PASSWORD })).status).toBe(200);
    const audit = await again.json<{ items: { action: string; metadata: Record<string, unknown> }[] }>("GET", "/api/audit");
    expect(audit.body.items.find((item) => item.action === "session.revoked")?.metadata).toEqual({
      byOperator: true,
      sessions: 2,
    });
    expect((await revokeAllSessions(fixture.deps.database.db)).sessions).toBe(1);
  });
});
