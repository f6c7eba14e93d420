/**
 * What a failed browser step leaves behind, so a failure seen once (in CI, say) can be explained afterwards:
 * every open page's address, headings and a screenshot, the API requests still waiting for an answer, and the
 * pages' recent console errors. Contexts are watched from their creation (newUserContext).
 */
import { join } from "node:path";
import type { BrowserContext, Page, Request } from "playwright-core";

type Watched = { context: BrowserContext; inFlight: Map<Request, number>; errors: string[] };

const watched: Watched[] = [];
const KEPT_ERRORS = 10;

export function watchContext(context: BrowserContext): void {
  const entry: Watched = { context, inFlight: new Map(), errors: [] };
  watched.push(entry);
  const keep = (line: string) => entry.errors.push(line) > KEPT_ERRORS && entry.errors.shift();
  context.on("request", (request) => entry.inFlight.set(request, Date.now()));
  context.on("requestfinished", (request) => entry.inFlight.delete(request));
  context.on("requestfailed", (request) => entry.inFlight.delete(request));
  context.on("page", (page) => watchPage(page, keep));
  context.on("close", () => watched.splice(watched.indexOf(entry), 1));
}

function watchPage(page: Page, keep: (line: string) => void): void {
  page.on("console", (message) => {
    if (message.type() === "error") keep(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => keep(`page error: ${error.message}`));
}

/** A description of every watched page as it is now; screenshots go to `<dir>/failure-<label>-<n>.png`. */
export async function describeOpenPages(dir: string, label: string): Promise<string> {
  const lines: string[] = [];
  let n = 0;
  for (const { context, inFlight, errors } of watched) {
    for (const page of context.pages()) {
      n += 1;
      const file = join(dir, `failure-${label}-${n}.png`);
      const headings = await page
        .locator("h1, h2")
        .allTextContents()
        .catch(() => []);
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      lines.push(`page ${n}: ${page.url()} — headings: ${headings.map((h) => h.trim()).join(" | ")} — ${file}`);
    }
    const now = Date.now();
    for (const [request, since] of inFlight) lines.push(`waiting ${now - since} ms: ${request.method()} ${request.url()}`);
    lines.push(...errors);
  }
  return lines.join("\n");
}
