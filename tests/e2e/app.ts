/**
 * What the browser flows run against: the built web app served by a real server process (started here, the
 * way an operator starts it) and Debian's Chromium driven by playwright-core (never a downloaded browser).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { type ServerProcess, startServer } from "../support/server-process";
import { watchContext } from "./diagnostics";
import { assert, eventually } from "./harness";

export const ROOT = new URL("../..", import.meta.url).pathname;
export const RESULTS_DIR = join(ROOT, "test-results", "e2e");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const PASSWORD = "violet-harbor-engine-42";

export const PHONE = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 800 };

/** Builds the web app when web/dist is missing: the server serves whatever is built. */
export function ensureBuilt() {
  if (existsSync(join(ROOT, "web", "dist", "index.html"))) return;
  console.log("web/dist is missing: bun run build");
  const build = Bun.spawnSync(["bun", "run", "build"], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
  if (build.exitCode !== 0) throw new Error(`bun run build failed (exit ${build.exitCode})`);
}

/**
 * The JavaScript a first visit must download before anything shows: the entry script of web/dist/index.html and
 * the chunks it modulepreloads, each gzipped (as a CDN or the server would send it). Route pages load lazily.
 */
export function initialJs(): { files: { name: string; bytes: number; gzipped: number }[]; gzipped: number } {
  const dist = join(ROOT, "web", "dist");
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const paths = [
    ...html.matchAll(/<script[^>]+type="module"[^>]+src="([^"]+\.js)"/g),
    ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g),
  ].map((m) => m[1]);
  const files = [...new Set(paths)].map((path) => {
    const bytes = readFileSync(join(dist, path));
    return { name: path, bytes: bytes.length, gzipped: Bun.gzipSync(bytes, { level: 9 }).length };
  });
  return { files, gzipped: files.reduce((sum, f) => sum + f.gzipped, 0) };
}

/** A port nobody listens on right now (the server needs it up front: PUBLIC_URL must name it for the socket's Origin check). */
export function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port;
  probe.stop(true);
  assert(port, "no free port");
  return port;
}

export type App = {
  server: ServerProcess;
  url: string;
  dataDir: string;
  databaseUrl?: string;
  stop(): Promise<void>;
};

/** The operator's support address the app is started with: the footer links to it. */
export const SUPPORT_EMAIL = "support@e2e.example.com";

export async function startApp(): Promise<App> {
  const dataDir = mkdtempSync(join(tmpdir(), "cryptovault-e2e-"));
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const databaseUrl = process.env.TEST_DATABASE_URL || undefined;
  const server = await startServer({
    HOST: "127.0.0.1",
    PORT: String(port),
    PUBLIC_URL: url,
    DATA_DIR: dataDir,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    DEPOSIT_SANDBOX_CONFIRM_SECONDS: "2",
    ADDRESS_COOLDOWN_HOURS: "0",
    // Low enough for the money flow to send a transfer that is held for review.
    AML_REVIEW_THRESHOLD_USD: "100",
    SUPPORT_EMAIL,
    // Every browser of the flows is one IP, opening pages far faster than a person: the default 100 requests a
    // minute per IP would answer some of them 429 (the API tests check the limit itself).
    RATE_LIMIT_PER_MINUTE: "1000",
    // As the API suites have it: the flows sign in and register dozens of times, and at the production cost (64 MiB,
    // about 0.3 s a hash on a slow 2-core machine) that alone took a tenth of the suite's deadline. The hash itself
    // is checked by the API suites.
    ARGON2_MEMORY_KIB: "1024",
    LOG_LEVEL: "info",
  });
  let stopped = false;
  return {
    server,
    url: server.url,
    dataDir,
    databaseUrl,
    async stop() {
      if (stopped) return;
      stopped = true;
      server.proc.kill("SIGTERM");
      const exited = await Promise.race([server.proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
      if (!exited) server.proc.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  // playwright-core gives every launch a fresh, temporary --user-data-dir of its own (and refuses one in args).
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A browser profile of its own (cookies, storage): one per user in the flows. */
export async function newUserContext(browser: Browser, app: App): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: app.url, viewport: DESKTOP, acceptDownloads: true, locale: "en-US" });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  watchContext(context);
  return context;
}

let unique = 0;
export function newEmail(who: string) {
  unique += 1;
  return `${who}-${Date.now().toString(36)}-${unique}@e2e.example.com`;
}

/**
 * The link to `path` (such as "/verify-email") in the first mail to `email` that has one, read from the server's
 * log (the mail transport of development).
 */
export async function mailedLink(app: App, email: string, path: string): Promise<string> {
  const line = await app.server.waitForLog(
    (l) => l.msg === "mail" && l.to === email && typeof l.text === "string" && l.text.includes(`${path}?token=`),
    15_000,
  );
  const match = new RegExp(`(https?://\\S+${path}\\?token=[^\\s"<>]+)`).exec(String(line.text));
  assert(match, `no ${path} link in the mail to ${email}: ${line.text}`);
  return match[1];
}

/** Registers (and optionally verifies) a user through the API, for flows whose subject is something else. */
export async function registerViaApi(app: App, name: string, email: string, verify: boolean) {
  const response = await fetch(`${app.url}/api/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD, name }),
  });
  assert(response.status === 201, `register ${email}: ${response.status} ${await response.text()}`);
  if (!verify) return;
  const token = new URL(await mailedLink(app, email, "/verify-email")).searchParams.get("token");
  const verified = await fetch(`${app.url}/api/auth/verify-email`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
  assert(verified.status === 200, `verify ${email}: ${verified.status} ${await verified.text()}`);
}

/** A request as an API client makes it: Bearer token, a fresh Idempotency-Key; its JSON answer, or a failed check. */
export async function apiCall(app: App, token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${app.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Deposits through the sandbox provider as an API client, and waits until the amount is available. */
export async function depositViaApi(app: App, token: string, asset: string, amount: string): Promise<void> {
  await apiCall(app, token, "POST", "/api/wallet/deposit/create", { asset, amount });
  await eventually(
    async () => {
      const { balances } = (await apiCall(app, token, "GET", "/api/wallet/balance")) as {
        balances: { asset: string; available: string }[];
      };
      return Number(balances.find((b) => b.asset === asset)?.available) >= Number(amount);
    },
    15_000,
    "the sandbox deposit credited",
  );
}

/** Fills a control found by its visible label and checks its name is the API field (API.md "Web app routes"). */
export async function fillLabelled(scope: Page | ReturnType<Page["locator"]>, label: string, name: string, value: string) {
  const control = scope.getByLabel(label, { exact: true });
  const actual = await control.getAttribute("name");
  assert(actual === name, `the control labelled "${label}" is named "${actual}", not "${name}"`);
  await control.fill(value);
}

/** Signs in through /login (password step only). Ends on the page login sends to. */
export async function signIn(page: Page, email: string, next = "/dashboard") {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByRole("heading", { name: "Sign in", level: 1 }).waitFor();
  await fillLabelled(page, "Email", "email", email);
  await fillLabelled(page, "Password", "password", PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((u) => u.pathname === next, { timeout: 15_000 });
}

/** Saves the page at phone and desktop widths (full page) as test-results/e2e/<name>-<phone|desktop>.png. */
export async function screenshots(page: Page, name: string) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const original = page.viewportSize() ?? DESKTOP;
  for (const [label, size] of [
    ["phone", PHONE],
    ["desktop", DESKTOP],
  ] as const) {
    await page.setViewportSize(size);
    await Bun.sleep(150); // layout settles
    await page.screenshot({ path: join(RESULTS_DIR, `${name}-${label}.png`), fullPage: true, animations: "disabled" });
  }
  await page.setViewportSize(original);
}

/**
 * Every visible form control has a `name` and an accessible label that is visible text (a <label>), as API.md
 * "Web app routes" asks. Returns the offenders as text.
 */
export async function unlabelledControls(page: Page): Promise<string[]> {
  // Runs in the page; typed structurally because this project's server tsconfig has no DOM library.
  type Control = {
    offsetParent: unknown;
    name: string;
    id: string;
    tagName: string;
    labels: ArrayLike<{ textContent: string | null }> | null;
  };
  return page.$$eval("input:not([type=hidden]), select, textarea", (elements) =>
    (elements as unknown as Control[])
      .filter((control) => control.offsetParent !== null)
      .flatMap((control) => {
        const labels = Array.from(control.labels ?? []).filter((label) => (label.textContent ?? "").trim() !== "");
        const problems: string[] = [];
        if (!control.name) problems.push(`a ${control.tagName.toLowerCase()} without a name`);
        if (labels.length === 0) problems.push(`"${control.name || control.id}" without a visible label`);
        return problems;
      }),
  );
}

/** Waits until the page has no request in flight (the socket aside) for a moment, or gives up quietly. */
export async function settle(page: Page, ms = 5000) {
  await page.waitForLoadState("networkidle", { timeout: ms }).catch(() => undefined);
}
