/**
 * The layout at a desktop's and a phone's width: every section of the main navigation, the Cancel buttons
 * of an open order and of a withdrawal under review, and the Delete of a price alert can be reached without
 * scrolling sideways (opening the phone's menu counts); no table needs scrolling sideways on a phone held either
 * way; an admin's header draws the Admin link with the other signed-in links, and nobody else's ever does.
 * Run by tests/e2e/run.ts.
 */
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import {
  type App,
  apiCall,
  DESKTOP,
  depositViaApi,
  newEmail,
  newUserContext,
  PASSWORD,
  PHONE,
  registerViaApi,
  SUPPORT_EMAIL,
  signIn,
} from "./app";
import { assert, assertEqual, eventually, flow, note } from "./harness";

/** The phone of the outside check that found these defects. */
const PHONE_390 = { width: 390, height: 844 };
/** Phones held sideways: wider than a phone's cards need, narrower than most tables' columns. */
const SIDEWAYS = [
  { width: 844, height: 390 },
  { width: 740, height: 360 },
];

/**
 * Every table region on the page whose table is wider than its box (it would scroll sideways) or that sits past the
 * window's edges. A string, run in the page (this project's server tsconfig has no DOM library).
 */
const TABLE_PROBLEMS = `[...document.querySelectorAll(".table-wrap")].flatMap((region) => {
  const name = region.getAttribute("aria-label");
  const box = region.getBoundingClientRect();
  const problems = [];
  if (region.scrollWidth > region.clientWidth + 1)
    problems.push(name + ": " + region.scrollWidth + " px of table in a " + region.clientWidth + " px box");
  if (box.left < 0 || box.right > innerWidth + 0.5)
    problems.push(name + ": x " + Math.round(box.left) + "–" + Math.round(box.right) + ", past the window's " + innerWidth);
  return problems;
})`;

/**
 * Every visually hidden text (.sr-only) that lies past the window's right edge, where it would widen the page. A string,
 * run in the page.
 */
const HIDDEN_TEXT_PROBLEMS = `[...document.querySelectorAll(".sr-only")].flatMap((hidden) => {
  const box = hidden.getBoundingClientRect();
  return box.right > innerWidth + 0.5 ? ["hidden text '" + hidden.textContent + "' at x " + Math.round(box.right)] : [];
})`;

/** A 1280 px wide window zoomed to 400%: the width WCAG asks content to fit without scrolling sideways. */
const ZOOM_400 = { width: 320, height: 640 };

/** The tables of each page, by their regions' names: each must be shown before the page is measured. */
const TABLE_PAGES: [string, string[]][] = [
  ["/history", ["Transactions table (scrollable)"]],
  ["/wallet", ["Balances table (scrollable)", "Withdrawals table (scrollable)", "Deposits table (scrollable)"]],
  ["/trade", ["Open orders table (scrollable)"]],
  ["/security", ["Sessions table (scrollable)", "Audit log table (scrollable)"]],
];

/**
 * At each phone size and at 400% zoom, every table of each page fits the window without scrolling sideways (its rows
 * become cards where its columns do not fit), and still has its column headers for screen readers; no visually
 * hidden text (a card table's hidden headers) lies past the window's edge.
 */
async function tableProblems(page: Page, pages: [string, string[]][]): Promise<string[]> {
  const problems: string[] = [];
  for (const [path, regions] of pages) {
    await page.goto(path);
    for (const name of regions) await page.getByRole("region", { name, exact: true }).locator("tbody tr").first().waitFor();
    for (const size of [...SIDEWAYS, PHONE_390, PHONE, ZOOM_400]) {
      await page.setViewportSize(size);
      // A frame for the tables to take the new width.
      await page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))");
      const at = `${path} at ${size.width}×${size.height}`;
      for (const problem of await page.evaluate<string[]>(TABLE_PROBLEMS)) problems.push(`${at}: ${problem}`);
      for (const problem of await page.evaluate<string[]>(HIDDEN_TEXT_PROBLEMS)) problems.push(`${at}: ${problem}`);
      const pageWidth = await page.evaluate<number>("document.documentElement.scrollWidth");
      if (pageWidth > size.width) problems.push(`${at}: the page is ${pageWidth} px wide`);
      for (const name of regions) {
        const headers = await page.getByRole("region", { name, exact: true }).getByRole("columnheader").count();
        if (headers === 0) problems.push(`${at}: ${name} has no column headers for screen readers`);
      }
    }
  }
  return problems;
}

/**
 * Records, from before the app's first script, when each main link first shows (ms into the page's life), in
 * window.navSeen. A string, run in the page.
 */
const RECORD_NAV = `window.navSeen = {};
new MutationObserver(() => {
  for (const link of document.querySelectorAll("#main-links a")) {
    const name = link.textContent.trim();
    if (!(name in window.navSeen)) window.navSeen[name] = Math.round(performance.now());
  }
}).observe(document, { childList: true, subtree: true, characterData: true });`;

/**
 * Loads `path` in a new page of `context` with GET /api/auth/me answered late (as on a slow network), and answers
 * when each main link first showed.
 */
async function navTimeline(context: BrowserContext, path: string): Promise<Record<string, number>> {
  const page = await context.newPage();
  try {
    await page.addInitScript({ content: RECORD_NAV });
    let answered = false;
    await page.route("**/api/auth/me", async (route) => {
      await Bun.sleep(400);
      await route.continue();
      answered = true;
    });
    await page.goto(path);
    await eventually(async () => answered, 10_000, "GET /api/auth/me answered");
    await page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "Dashboard", exact: true })
      .waitFor({ state: "attached" });
    await Bun.sleep(100); // anything the answer adds, added
    return await page.evaluate<Record<string, number>>("window.navSeen");
  } finally {
    await page.close();
  }
}

const NAV = ["Overview", "Markets", "Dashboard", "Trade", "Wallet", "Send", "History", "Security", "API docs"];

/** A call to the API as the user, by bearer token (no CSRF token needed); answers the JSON body. */

/**
 * Why the element cannot be seen without scrolling sideways: past the window's width, or past the edge of a
 * box around it that scrolls sideways (a table). Empty when it can.
 */
function horizontalProblem(element: unknown): string {
  type Box = { left: number; right: number };
  type Element = { getBoundingClientRect(): Box; parentElement: Element | null };
  // Runs in the page; typed structurally because this project's server tsconfig has no DOM library.
  const view = globalThis as unknown as { innerWidth: number; getComputedStyle(e: Element): { overflowX: string } };
  const target = element as Element;
  const box = target.getBoundingClientRect();
  const span = `x ${Math.round(box.left)}–${Math.round(box.right)}`;
  if (box.left < 0 || box.right > view.innerWidth) return `${span}, outside the window's 0–${view.innerWidth}`;
  for (let around = target.parentElement; around; around = around.parentElement) {
    if (view.getComputedStyle(around).overflowX === "visible") continue;
    const clip = around.getBoundingClientRect();
    if (box.left < clip.left - 1 || box.right > clip.right + 1)
      return `${span}, hidden past a box that scrolls sideways (x ${Math.round(clip.left)}–${Math.round(clip.right)})`;
  }
  return "";
}

/** What keeps `control` from being reached without scrolling sideways, if anything. */
async function reachProblem(control: Locator, what: string): Promise<string[]> {
  await control.waitFor();
  const problem = await control.evaluate(horizontalProblem);
  return problem ? [`${what}: ${problem}`] : [];
}

/** Every main destination, with the phone's menu opened first if there is one (and closed with Escape after). */
async function navProblems(page: Page, destinations: string[]): Promise<string[]> {
  const menu = page.getByRole("banner").getByRole("button", { name: "Menu" });
  const folded = await menu.isVisible();
  if (folded) {
    assertEqual(await menu.getAttribute("aria-expanded"), "false", "the closed menu's aria-expanded");
    await menu.click();
    assertEqual(await menu.getAttribute("aria-expanded"), "true", "the open menu's aria-expanded");
  }
  const nav = page.getByRole("navigation", { name: "Main" });
  const problems: string[] = [];
  for (const name of destinations)
    problems.push(...(await reachProblem(nav.getByRole("link", { name, exact: true }), `the "${name}" link`)));
  if (folded) {
    await nav.getByRole("link", { name: "Overview", exact: true }).focus();
    await page.keyboard.press("Escape");
    assertEqual(await menu.getAttribute("aria-expanded"), "false", "aria-expanded after Escape");
    const focused = await page.evaluate<string>("document.activeElement?.textContent?.trim() ?? ''");
    assertEqual(focused, "Menu", "the focused control after Escape");
  }
  return problems;
}

/** On the phone, a link chosen in the Menu by keyboard folds the links: focus goes to the new page's heading. */
async function assertMenuKeepsFocus(page: Page) {
  await page.getByRole("banner").getByRole("button", { name: "Menu" }).click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Send", exact: true }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Send", level: 1 }).waitFor();
  const focused = () => page.evaluate<string>("document.activeElement?.tagName + ' ' + document.activeElement?.textContent");
  await eventually(async () => (await focused()) === "H1 Send", 5000, "focus on the Send page's heading after the Menu");
}

/** The Cancel of the open order (/trade) and of the withdrawal under review (/wallet), the alert's Delete (/dashboard). */
async function rowProblems(page: Page): Promise<string[]> {
  await page.goto("/dashboard");
  const alert = await reachProblem(
    page.getByRole("button", { name: /^Delete the alert BTC above 1,000,000/ }),
    "the alert's Delete",
  );
  await page.goto("/trade");
  const order = await reachProblem(page.getByRole("button", { name: /^Cancel limit sell 0\.5 ETH/ }), "the order's Cancel");
  await page.goto("/wallet");
  const withdrawals = page.getByRole("region", { name: "Withdrawals", exact: true });
  const cancel = withdrawals.getByRole("button", { name: /^Cancel the withdrawal of 8\.00000000 ETH/ });
  const withdrawal = await reachProblem(cancel, "the withdrawal's Cancel");
  // The session signed in with a long unbroken User-Agent: its Revoke still in view.
  await page.goto("/security");
  const revoke = await reachProblem(page.getByRole("button", { name: /^Revoke session: Z{8}/ }).first(), "a session's Revoke");
  return [...alert, ...order, ...withdrawal, ...revoke];
}

/** On /security, where rowProblems ends: the two sessions of one client, address and minute have Revokes of different names. */
async function assertRevokeNamesDiffer(page: Page) {
  const names = await page
    .getByRole("button", { name: /^Revoke session: / })
    .evaluateAll((buttons) =>
      buttons.map((button) => (button as { getAttribute(name: string): string | null }).getAttribute("aria-label")),
    );
  assert(names.length >= 2, `the two sessions of one client listed: ${JSON.stringify(names)}`);
  assertEqual(new Set(names).size, names.length, `different names of the Revoke buttons ${JSON.stringify(names)}`);
}

/** Signed out on /login: an empty Sign in says what is missing on the page, at the Email field, which takes focus. */
async function assertEmptySignInTold(tab: Page) {
  await tab.getByRole("button", { name: "Sign in", exact: true }).click();
  const email = tab.getByLabel("Email", { exact: true });
  await eventually(async () => (await email.getAttribute("aria-invalid")) === "true", 5000, "Email marked invalid");
  // The message is on the page, and read with the field (aria-describedby).
  const said = "Enter the email address of your account.";
  await tab.getByText(said, { exact: true }).waitFor();
  const describedBy = (await email.getAttribute("aria-describedby")) ?? "";
  const read = await Promise.all(describedBy.split(" ").map((id) => tab.locator(`[id="${id}"]`).textContent()));
  assert(read.includes(said), `the Email field's description: ${JSON.stringify(read)}`);
  const focused = await tab.evaluate<string>("document.activeElement?.getAttribute('name') ?? ''");
  assertEqual(focused, "email", "the focused control after an empty Sign in");
}

function assertNone(problems: string[]) {
  assert(problems.length === 0, `not reachable without scrolling sideways:\n${problems.join("\n")}`);
}

export async function layoutFlow(browser: Browser, app: App, promoteToAdmin?: (email: string) => Promise<boolean>) {
  const erin = { name: "Erin Example", email: newEmail("erin") };
  // Never an admin: the Admin link must never show to him, even in a browser an admin used before.
  const frank = { name: "Frank Example", email: newEmail("frank") };
  const destinations = [...NAV];
  let context: BrowserContext | undefined;
  let page!: Page;
  try {
    await flow("layout at 1280×800, phones held sideways and 390×844: nothing a user needs sits past the right edge", [
      {
        name: "a user (admin when possible) with an open limit order, a withdrawal under review and a price alert, signed in",
        ms: 45_000,
        run: async () => {
          // Together: each waits for its verification mail from the server's mail worker.
          await Promise.all([
            registerViaApi(app, erin.name, erin.email, true),
            registerViaApi(app, frank.name, frank.email, true),
          ]);
          if (promoteToAdmin && (await promoteToAdmin(erin.email))) destinations.push("Admin");
          else note("the Admin link was not checked: promoting a user needs the CLI on a shared Postgres");
          // A client of its own kind: a User-Agent no browser sends, long and unbroken (shown in the sessions list),
          // signed in twice at once: two sessions of one device, address and minute, which /security must tell apart.
          const signInAsClient = () =>
            fetch(`${app.url}/api/auth/login`, {
              method: "POST",
              headers: { "content-type": "application/json", "user-agent": "Z".repeat(500) },
              body: JSON.stringify({ email: erin.email, password: PASSWORD }),
            });
          const [login, again] = await Promise.all([signInAsClient(), signInAsClient()]);
          assert(again.ok, `the second sign-in through the API: ${again.status}`);
          const token = login.headers
            .getSetCookie()
            .find((c) => c.startsWith("access_token="))
            ?.split(";")[0]
            ?.split("=")[1];
          assert(token, `sign in through the API: ${login.status}`);
          // An ETH address is a long one; 8 ETH is over the review threshold (10,000 USD), so it waits for review.
          await depositViaApi(app, token, "ETH", "10");
          const address = "0x52908400098527886e0f7030069857d2e4169ee7";
          await apiCall(app, token, "POST", "/api/wallet/addresses", { asset: "ETH", address, label: "cold wallet" });
          await apiCall(app, token, "POST", "/api/wallet/withdraw", { asset: "ETH", amount: "8", address });
          // Far above the market, so it stays open.
          const limit = { type: "limit", side: "sell", asset: "ETH", amount: "0.5", limitPrice: "1000000" };
          await apiCall(app, token, "POST", "/api/trading/orders", limit);
          await apiCall(app, token, "POST", "/api/alerts", { symbol: "BTC", direction: "above", price: "1000000" });
          context = await newUserContext(browser, app);
          page = await context.newPage();
          await signIn(page, erin.email);
        },
      },
      {
        name: "the footer names support's address (SUPPORT_EMAIL) as a mail link",
        run: async () => {
          const link = page.getByRole("contentinfo").getByRole("link", { name: SUPPORT_EMAIL, exact: true });
          await link.waitFor();
          assertEqual(await link.getAttribute("href"), `mailto:${SUPPORT_EMAIL}`, "the support link's target");
        },
      },
      {
        name: "1280×800: every main link; the Cancels of the open order and the withdrawal, the alert's Delete; even price tiles; a Revoke name for each session",
        run: async () => {
          await page.setViewportSize(DESKTOP);
          await page.getByTestId("price-BTC").waitFor();
          const problems = await navProblems(page, destinations);
          const widths = await page
            .locator(".price-tile")
            .evaluateAll((tiles) => tiles.map((tile) => Math.round((tile as { offsetWidth: number }).offsetWidth)));
          if (widths.length < 2 || new Set(widths).size > 1)
            problems.push(`the price tiles' widths differ: ${widths.join(", ")}`);
          assertNone([...problems, ...(await rowProblems(page))]);
          await assertRevokeNamesDiffer(page);
        },
      },
      {
        name: "a page that loads (its session answered late) has its main heading meanwhile",
        run: async () => {
          let release!: () => void;
          const held = new Promise<void>((done) => {
            release = done;
          });
          await page.route("**/api/auth/me", async (route) => {
            await held;
            await route.continue();
          });
          try {
            await page.goto("/wallet");
            await page.locator("#main .loading[role=status]").waitFor();
            assertEqual(await page.getByRole("heading", { level: 1 }).count(), 1, "main headings (h1) while the page loads");
          } finally {
            release();
          }
          await page.getByRole("heading", { name: "Wallet", level: 1 }).waitFor();
          await page.unroute("**/api/auth/me");
        },
      },
      {
        name: 'Tab then Enter on "Skip to content" moves keyboard focus to the main content, the URL unchanged',
        run: async () => {
          await page.goto("/wallet");
          await page.getByRole("heading", { name: "Wallet", level: 1 }).waitFor();
          await page.keyboard.press("Tab");
          const focused = () =>
            page.evaluate<string>("document.activeElement?.id || document.activeElement?.textContent?.trim()");
          assertEqual(await focused(), "Skip to content", "the first Tab stop");
          await page.keyboard.press("Enter");
          await eventually(async () => (await focused()) === "main", 5000, "focus on <main> after Enter on the skip link");
          assertEqual(new URL(page.url()).pathname + new URL(page.url()).hash, "/wallet", "the URL after the skip link");
        },
      },
      {
        name: "/admin: her own withdrawal under review offers no Approve / Reject, only a note that another admin decides it",
        run: async () => {
          if (!destinations.includes("Admin")) {
            note("not checked: promoting a user needs the CLI on a shared Postgres");
            return;
          }
          await page.goto("/admin");
          const queue = page.getByRole("region", { name: "Withdrawals waiting for review", exact: true });
          const own = queue.locator("tbody tr").filter({ hasText: erin.email });
          await own.getByText("Your own — another admin decides this.").waitFor();
          assertEqual(await own.getByRole("button", { name: /^(Approve|Reject)/ }).count(), 0, "decision buttons on her own row");
        },
      },
      {
        name: "390×844: every main link through the Menu (Escape closes it, Enter on a link focuses its page); the same buttons",
        run: async () => {
          await page.setViewportSize(PHONE_390);
          await page.goto("/dashboard");
          await page.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();
          const problems = await navProblems(page, destinations);
          await assertMenuKeepsFocus(page);
          assertNone([...problems, ...(await rowProblems(page))]);
        },
      },
      {
        name: "844×390, 740×360, 390×844, 360×740, 320×640: no table scrolls sideways (rows become cards), headers still there, no hidden text past the edge; 1280×800 keeps the columns",
        ms: 30_000,
        run: async () => {
          const pages = [...TABLE_PAGES];
          if (destinations.includes("Admin"))
            pages.push([
              "/admin",
              ["Withdrawals waiting for review table (scrollable)", "Audit log (all users) table (scrollable)"],
            ]);
          const problems = await tableProblems(page, pages);
          // The desktop keeps its table: the column headers shown over the rows, not cards.
          await page.setViewportSize(DESKTOP);
          await page.goto("/history");
          const transactions = page.getByRole("region", { name: "Transactions table (scrollable)", exact: true });
          await transactions.locator("tbody tr").first().waitFor();
          const header = await transactions.getByRole("columnheader", { name: "Amount" }).boundingBox();
          if (!header || header.height < 10)
            problems.push(`/history at 1280×800: the column headers are not shown (${JSON.stringify(header)})`);
          await page.setViewportSize(PHONE_390); // as the steps after this one expect
          assert(problems.length === 0, `tables wider than the window, or without headers:\n${problems.join("\n")}`);
        },
      },
      {
        name: "the header while the session loads: an admin's Admin link with the other signed-in links; never a non-admin's, even after an admin in the same browser; signed out, an empty Sign in is told at Email",
        ms: 30_000,
        run: async () => {
          if (destinations.includes("Admin")) {
            const seen = await navTimeline(page.context(), "/history");
            assert(seen.Admin !== undefined, `no Admin link for an admin: ${JSON.stringify(seen)}`);
            assert(
              Math.abs(seen.Admin - seen.Dashboard) <= 50,
              `the Admin link showed ${seen.Admin - seen.Dashboard} ms after the other signed-in links: ${JSON.stringify(seen)}`,
            );
          } else note("the admin's header was not checked: promoting a user needs the CLI on a shared Postgres");
          const shared = await newUserContext(page.context().browser()!, app);
          try {
            const tab = await shared.newPage();
            if (destinations.includes("Admin")) {
              await signIn(tab, erin.email);
              await tab.getByRole("button", { name: "Sign out", exact: true }).click();
              await tab.waitForURL((u) => u.pathname === "/login");
            } else await tab.goto("/login");
            await assertEmptySignInTold(tab);
            await signIn(tab, frank.email, "/wallet");
            const seen = await navTimeline(shared, "/wallet");
            assert(seen.Dashboard !== undefined, `no signed-in links for ${frank.email}: ${JSON.stringify(seen)}`);
            assert(seen.Admin === undefined, `the Admin link showed to a user who is not an admin, at ${seen.Admin} ms`);
          } finally {
            await shared.close().catch(() => undefined);
          }
        },
      },
      {
        name: "cancelling the open order: its row goes, focus goes to the note that says so",
        run: async () => {
          await page.goto("/trade");
          await page.getByRole("button", { name: /^Cancel limit sell 0\.5 ETH/ }).click();
          const focused = () => page.evaluate<string>("document.activeElement?.textContent?.trim() ?? ''");
          await eventually(async () => /^Cancelled the limit sell/.test(await focused()), 5000, "focus on the cancel note");
        },
      },
      {
        name: "a page whose configuration or session failed to load (503, then 500) loads again: by itself, or by Try again",
        ms: 30_000,
        run: async () => {
          for (const [path, status] of [
            ["/api/config", 503],
            ["/api/auth/me", 500],
          ] as const) {
            let failing = true;
            await page.route(`**${path}`, (route) =>
              failing
                ? route.fulfill({
                    status,
                    headers: { "content-type": "application/json", ...(status === 503 ? { "retry-after": "2" } : {}) },
                    body: JSON.stringify({
                      error: { code: status === 503 ? "UNAVAILABLE" : "INTERNAL", message: "Down", requestId: "e2e" },
                    }),
                  })
                : route.continue(),
            );
            await page.goto("/wallet");
            await page.getByText("Something went wrong").waitFor();
            failing = false;
            // A 503 with Retry-After is tried again by itself; a 500 waits for the button.
            if (status === 500) await page.getByRole("button", { name: "Try again" }).click();
            await page.getByRole("heading", { name: "Wallet", level: 1 }).waitFor({ timeout: 10_000 });
            await page.getByRole("region", { name: "Balances", exact: true }).waitFor();
            await page.unroute(`**${path}`);
          }
        },
      },
    ]);
  } finally {
    await context?.close().catch(() => undefined);
  }
}
