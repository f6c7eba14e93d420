/**
 * A browser-like client for app.handle: keeps cookies per path, sends the CSRF header on unsafe
 * requests unless told not to, and reads the mails the app queued.
 */
import { desc, eq } from "drizzle-orm";
import { generate } from "otplib";
import { promoteToAdmin } from "../../src/modules/identity/standing";
import { signWebhook, webhookSecret } from "../../src/modules/wallet/deposits";
import { mailOutbox } from "../../src/platform/mail/schema";
import type { createTestApp } from "./harness";

type Fixture = Awaited<ReturnType<typeof createTestApp>>;
type StoredCookie = { value: string; path: string; attributes: string };

/** How many test clients this process has made: numbers their addresses. */
let clientsMade = 0;

export class TestClient {
  readonly cookies = new Map<string, StoredCookie>();
  userAgent = "TestBrowser/1.0";
  /**
   * Each client is its own visitor, from a network of its own (a /64 of the IPv6 documentation range, which per-IP
   * budgets count as one): drawn at random from a few hundred, two clients of one test sometimes shared one.
   */
  ip = `2001:db8:${(++clientsMade >> 16).toString(16)}:${(clientsMade & 0xffff).toString(16)}::1`;

  constructor(readonly fixture: Fixture) {}

  cookie(name: string): string | undefined {
    return this.cookies.get(name)?.value;
  }

  async request(
    method: string,
    path: string,
    /** `rawBody`: sent as is, as JSON (a malformed one, say). */
    options: { body?: unknown; rawBody?: string; csrf?: boolean; headers?: Record<string, string>; cookies?: boolean } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { "user-agent": this.userAgent, "x-forwarded-for": this.ip, ...options.headers };
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined) headers["content-type"] = "application/json";
    if (options.cookies !== false) {
      const sendable = [...this.cookies].filter(([, c]) => c.value && path.startsWith(c.path));
      if (sendable.length) headers.cookie = sendable.map(([name, c]) => `${name}=${c.value}`).join("; ");
    }
    const csrf = this.cookie("csrf_token");
    if (options.csrf !== false && csrf && !["GET", "HEAD"].includes(method)) headers["x-csrf-token"] = csrf;
    const response = await this.fixture.request(path, {
      method,
      headers,
      body,
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";").map((part) => part.trim());
      const [name, ...value] = pair.split("=");
      const pathAttr = attributes.find((a) => a.toLowerCase().startsWith("path="))?.slice(5) ?? "/";
      const expired = attributes.some((a) => /^max-age=0$/i.test(a));
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, { value: value.join("="), path: pathAttr, attributes: attributes.join("; ") });
    }
    return response;
  }

  post = (path: string, body?: unknown, options: { csrf?: boolean } = {}) => this.request("POST", path, { body, ...options });
  get = (path: string) => this.request("GET", path);

  async json<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T; response: Response }> {
    const response = await this.request(method, path, { body });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, response };
  }
}

/** The newest mail queued for `to`, from the outbox table the mail worker drains. */
export async function lastMailTo(fixture: Fixture, to: string) {
  const [mail] = await fixture.deps.database.db
    .select()
    .from(mailOutbox)
    .where(eq(mailOutbox.toAddress, to))
    .orderBy(desc(mailOutbox.id))
    .limit(1);
  return mail;
}

export function tokenFromMail(text: string): string {
  const match = /token=([A-Za-z0-9_%-]+)/.exec(text);
  if (!match) throw new Error(`no token in mail: ${text}`);
  return decodeURIComponent(match[1]);
}

export const totpNow = (secret: string, offsetSteps = 0) =>
  generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });

let counter = 0;
export const uniqueEmail = (label = "user") => `${label}.${process.pid}.${Date.now()}.${counter++}@example.com`;
export const PASSWORD = "a long and uncommon passphrase";

/** Registers, verifies the email from the mail, and signs in. */
export async function signedInUser(fixture: Fixture, label = "user") {
  const client = new TestClient(fixture);
  const email = uniqueEmail(label);
  const registered = await client.json<{ user: { id: string } }>("POST", "/api/auth/register", {
    email,
    password: PASSWORD,
    name: label,
  });
  if (registered.status !== 201) throw new Error(`register failed: ${JSON.stringify(registered.body)}`);
  const mail = await lastMailTo(fixture, email);
  await client.post("/api/auth/verify-email", { token: tokenFromMail(mail.textBody) });
  const login = await client.post("/api/auth/login", { email, password: PASSWORD });
  if (login.status !== 200) throw new Error(`login failed: ${await login.text()}`);
  return { client, email, userId: registered.body.user.id };
}

/** Pays a deposit the way the provider does: a signed webhook event for a fresh order. */
export async function deposit(client: TestClient, asset: string, amount: string): Promise<string> {
  const created = await client.request("POST", "/api/wallet/deposit/create", {
    body: { asset, amount },
    headers: { "idempotency-key": crypto.randomUUID() },
  });
  if (created.status !== 201) throw new Error(`deposit/create failed: ${await created.text()}`);
  const { order } = (await created.json()) as { order: { orderId: string } };
  const event = JSON.stringify({
    eventId: crypto.randomUUID(),
    orderId: order.orderId,
    status: "confirmed",
    amountReceived: amount,
    txHash: "0xabc",
  });
  const secret = webhookSecret(client.fixture.services.money);
  const answer = await client.fixture.request("/api/wallet/deposit/webhook", {
    method: "POST",
    headers: { "content-type": "application/json", "x-signature": signWebhook(secret, event) },
    body: event,
  });
  if (answer.status !== 200) throw new Error(`webhook failed: ${await answer.text()}`);
  return order.orderId;
}

/** A verified, signed-in user holding `usd` USD. */
export async function fundedUser(fixture: Fixture, label: string, usd: string) {
  const user = await signedInUser(fixture, label);
  await deposit(user.client, "USD", usd);
  return user;
}

/** A verified, signed-in user with the admin role (as `bun run cli user:promote` gives it). */
export async function adminUser(fixture: Fixture, label: string) {
  const user = await signedInUser(fixture, label);
  await promoteToAdmin(fixture.deps.database.db, user.email);
  return user;
}

/** How often each answer came back: what a parallel burst is judged by, whatever order its answers arrived in. */
export function tally(answers: (number | string)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) counts[answer] = (counts[answer] ?? 0) + 1;
  return counts;
}
