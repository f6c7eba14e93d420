import type { Logger } from "../../platform/observability/logger";
import type { PriceTick } from "./model";
import { normalizeChange, normalizePrice } from "./prices";
import type { PriceProvider } from "./provider";

/** CoinCap's asset ids for our symbols. USD is the quote asset and is never asked for. */
const COINCAP_IDS: Record<string, string> = { BTC: "bitcoin", ETH: "ethereum", SOL: "solana", USDT: "tether" };

export type CoinCapOptions = {
  restUrl: string;
  wsUrl: string;
  apiKey: string | undefined;
  symbols: string[];
  logger: Logger;
  /** REST polling while the stream is down. */
  pollMs?: number;
  /** REST refresh of change24h while the stream is up (the stream carries prices only). */
  refreshMs?: number;
  /** A stream silent this long is treated as dead and reopened. */
  silenceMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
};

type RestAsset = { id?: unknown; priceUsd?: unknown; changePercent24Hr?: unknown };

/** Full jitter: a random wait up to the capped exponential, so many instances never reconnect in step. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.round(Math.random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

/**
 * CoinCap v3: REST `/assets?ids=` for prices and 24 h change, the `/prices?assets=` stream for live prices.
 * The stream reconnects with backoff and jitter; while it is down REST is polled instead. Anything
 * malformed (a non-JSON frame such as "Unauthorized", a null or non-decimal price) is skipped, never thrown.
 */
export class CoinCapProvider implements PriceProvider {
  readonly source = "coincap";
  private readonly idToSymbol: Map<string, string>;
  private readonly change = new Map<string, string>();
  private emit: ((ticks: PriceTick[]) => void) | undefined;
  private socket: WebSocket | undefined;
  private streamOpen = false;
  private attempts = 0;
  private lastFrameAt = 0;
  private restBlockedUntil = 0;
  private lastRestAt = 0;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private stopped = true;

  constructor(private readonly options: CoinCapOptions) {
    this.idToSymbol = new Map(
      options.symbols.filter((symbol) => COINCAP_IDS[symbol]).map((symbol) => [COINCAP_IDS[symbol], symbol] as const),
    );
  }

  private get ids(): string {
    return [...this.idToSymbol.keys()].join(",");
  }

  start(emit: (ticks: PriceTick[]) => void): void {
    this.emit = emit;
    this.stopped = false;
    void this.poll();
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.socket?.close();
    this.socket = undefined;
  }

  private later(ms: number, fn: () => void) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(timer);
  }

  /** Every pollMs: a REST fetch when the stream is down, or when change24h is due a refresh. */
  private async poll(): Promise<void> {
    const { pollMs = 10_000, refreshMs = 60_000 } = this.options;
    const due = !this.streamOpen || Date.now() - this.lastRestAt >= refreshMs;
    if (due && Date.now() >= this.restBlockedUntil) {
      this.lastRestAt = Date.now();
      await this.fetchRest();
    }
    this.later(pollMs, () => void this.poll());
  }

  private async fetchRest(): Promise<void> {
    const { restUrl, apiKey, logger } = this.options;
    try {
      const response = await fetch(`${restUrl}/assets?ids=${this.ids}`, {
        headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status === 429) {
        const retryAfter = Number(response.headers.get("retry-after"));
        this.restBlockedUntil = Date.now() + (Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 30_000);
        logger.warn("coincap rate limited", { retryAfterMs: this.restBlockedUntil - Date.now() });
        return;
      }
      if (!response.ok) {
        logger.warn("coincap rest failed", { status: response.status });
        return;
      }
      const body = (await response.json()) as { data?: RestAsset[] };
      if (!Array.isArray(body?.data)) throw new Error("no data array");
      const ticks: PriceTick[] = [];
      const updatedAt = new Date().toISOString();
      for (const asset of body.data) {
        const symbol = typeof asset?.id === "string" ? this.idToSymbol.get(asset.id) : undefined;
        if (!symbol) continue;
        const change = normalizeChange(typeof asset.changePercent24Hr === "string" ? asset.changePercent24Hr : null);
        this.change.set(symbol, change);
        const priceUsd = typeof asset.priceUsd === "string" ? normalizePrice(asset.priceUsd) : undefined;
        if (priceUsd) ticks.push({ symbol, priceUsd, change24h: change, updatedAt, source: this.source });
      }
      if (ticks.length && !this.stopped) this.emit?.(ticks);
    } catch (error) {
      logger.warn("coincap rest answer unusable", { error: (error as Error).message });
    }
  }

  private connect(): void {
    const { wsUrl, apiKey, logger, silenceMs = 30_000, backoffBaseMs = 1000, backoffMaxMs = 30_000 } = this.options;
    const url = new URL(`${wsUrl}/prices`);
    url.searchParams.set("assets", this.ids);
    if (apiKey) url.searchParams.set("apiKey", apiKey);
    const socket = new WebSocket(url.toString());
    this.socket = socket;
    this.lastFrameAt = Date.now();
    socket.onopen = () => {
      this.streamOpen = true;
      this.attempts = 0;
    };
    socket.onmessage = (event) => {
      this.lastFrameAt = Date.now();
      this.attempts = 0;
      this.onFrame(String(event.data));
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.streamOpen = false;
      this.socket = undefined;
      if (this.stopped) return;
      const wait = backoffMs(this.attempts++, backoffBaseMs, backoffMaxMs);
      logger.warn("coincap stream closed; polling REST until it is back", { reconnectInMs: wait });
      this.later(wait, () => this.connect());
    };
    const watchdog = () => {
      if (this.socket !== socket) return;
      if (Date.now() - this.lastFrameAt > silenceMs) socket.close();
      else this.later(Math.min(silenceMs, 5000), watchdog);
    };
    this.later(Math.min(silenceMs, 5000), watchdog);
  }

  /** A frame is a flat object id → price string. Anything else is logged and dropped. */
  private onFrame(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      this.options.logger.warn("coincap sent a non-JSON frame", { frame: text.slice(0, 100) });
      return;
    }
    if (!frame || typeof frame !== "object" || Array.isArray(frame)) return;
    const updatedAt = new Date().toISOString();
    const ticks: PriceTick[] = [];
    for (const [id, value] of Object.entries(frame)) {
      const symbol = this.idToSymbol.get(id);
      const priceUsd = symbol && typeof value === "string" ? normalizePrice(value) : undefined;
      if (symbol && priceUsd) {
        ticks.push({ symbol, priceUsd, change24h: this.change.get(symbol) ?? "0.00", updatedAt, source: this.source });
      }
    }
    if (ticks.length && !this.stopped) this.emit?.(ticks);
  }
}
