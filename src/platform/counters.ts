/**
 * Shared counters for rate limits and login throttling: in Redis when configured, so every instance
 * counts together; in process otherwise. Keys are namespaced with REDIS_KEY_PREFIX by the Redis store.
 */
import type Redis from "ioredis";
import { isUnreachable } from "./bus";
import { sha256Hex } from "./crypto";
import { dependencyUnavailable } from "./http/errors";

/**
 * An email address (or other personal text) as part of a counter's key: hashed, so Redis holds no address, and any
 * text a client sent (a newline, a megabyte) makes a short, clean key.
 */
export const personalKey = (text: string) => sha256Hex(text).slice(0, 32);

export type WindowCount = { count: number; resetMs: number };

/** A sliding-window budget: at most `limit` events under `key` in the window. */
export type Budget = { key: string; limit: number };
/** One event claimed in the logs of several budgets at once, pending until it is committed or released. */
export type Slot = { id: string; keys: string[]; at: number };
export type Claim =
  | { outcome: "granted"; slot: Slot }
  /** A budget (of `limit` events) holds its limit in committed events alone: room again in `retryMs`. */
  | { outcome: "full"; retryMs: number; limit: number }
  /** The budgets have room in committed events, but pending claims fill it (of `limit` events) until they settle. */
  | { outcome: "pending"; limit: number };

export interface CounterStore {
  /** Counts one hit in the fixed window that contains now; returns the window's count and time left. */
  hit(key: string, windowMs: number): Promise<WindowCount>;
  /**
   * Adds one pending event to the sliding-window log of every budget when each holds fewer than its limit,
   * committed and pending events together; else adds none and says why: check-and-add in one step, so claims
   * arriving together cannot all find the same free room.
   */
  claim(budgets: Budget[], windowMs: number): Promise<Claim>;
  /** Turns a claimed event into a committed one, at the time it was claimed. */
  commit(slot: Slot, windowMs: number): Promise<void>;
  /** Takes a claimed event back out of its logs. */
  release(slot: Slot): Promise<void>;
}

/** INCR and set the expiry on the first hit, atomically. */
const HIT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

/**
 * KEYS: each budget's log of committed events, then its log of pending ones; ARGV: now, the window, the event's
 * id, then each budget's limit. Drops events older than the window. When a budget's committed events alone hold
 * its limit, answers the ms until enough of them leave (the longest wait over the budgets) and that budget's limit;
 * else when pending ones fill the rest, answers -1 and the limit of the budget they fill; else adds the event to
 * every pending log and answers 0.
 */
const CLAIM = `local now, window, id = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local wait, waitLimit, crowdedLimit = 0, 0, nil
for b = 1, #KEYS / 2 do
  local committed, pending, limit = KEYS[2 * b - 1], KEYS[2 * b], tonumber(ARGV[3 + b])
  redis.call('ZREMRANGEBYSCORE', committed, 0, now - window)
  redis.call('ZREMRANGEBYSCORE', pending, 0, now - window)
  local over = redis.call('ZCARD', committed) - limit
  if over >= 0 then
    local freeing = redis.call('ZRANGE', committed, over, over, 'WITHSCORES')
    local freeIn = tonumber(freeing[2]) + window - now
    if freeIn > wait then wait, waitLimit = freeIn, limit end
  elseif crowdedLimit == nil and over + redis.call('ZCARD', pending) >= 0 then
    crowdedLimit = limit
  end
end
if wait > 0 then return {wait, waitLimit} end
if crowdedLimit then return {-1, crowdedLimit} end
for b = 1, #KEYS / 2 do
  redis.call('ZADD', KEYS[2 * b], now, id)
  redis.call('PEXPIRE', KEYS[2 * b], window)
end
return {0, 0}`;

export class RedisCounterStore implements CounterStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** While Redis is out of reach: the 503 a command would end in, at once (isUnreachable). */
  private assertConnected(): void {
    if (isUnreachable(this.redis)) throw dependencyUnavailable();
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    this.assertConnected();
    const [count, ttl] = (await this.redis.eval(HIT, 1, `${this.prefix}rl:${key}`, windowMs)) as [number, number];
    return { count, resetMs: Math.max(ttl, 0) };
  }

  async claim(budgets: Budget[], windowMs: number): Promise<Claim> {
    this.assertConnected();
    const at = Date.now();
    const id = `${at}:${crypto.randomUUID()}`;
    const logs = budgets.flatMap(({ key }) => [this.committedLog(key), this.pendingLog(key)]);
    const limits = budgets.map(({ limit }) => limit);
    const [retryMs, limit] = (await this.redis.eval(CLAIM, logs.length, ...logs, at, windowMs, id, ...limits)) as [
      number,
      number,
    ];
    if (retryMs > 0) return { outcome: "full", retryMs, limit };
    if (retryMs < 0) return { outcome: "pending", limit };
    return { outcome: "granted", slot: { id, keys: budgets.map(({ key }) => key), at } };
  }

  /** One MULTI, so no claim sees the event in neither log nor in both. */
  async commit(slot: Slot, windowMs: number): Promise<void> {
    this.assertConnected();
    const transaction = this.redis.multi();
    for (const key of slot.keys)
      transaction
        .zrem(this.pendingLog(key), slot.id)
        .zadd(this.committedLog(key), slot.at, slot.id)
        .pexpire(this.committedLog(key), windowMs);
    await transaction.exec();
  }

  async release(slot: Slot): Promise<void> {
    this.assertConnected();
    const transaction = this.redis.multi();
    for (const key of slot.keys) transaction.zrem(this.pendingLog(key), slot.id);
    await transaction.exec();
  }

  private committedLog(key: string): string {
    return `${this.prefix}log:${key}`;
  }

  private pendingLog(key: string): string {
    return `${this.prefix}log-pending:${key}`;
  }
}

type LoggedEvent = { at: number; id: string };

/** The events of a log still inside the window, oldest first as the log keeps them. */
const liveEvents = (log: LoggedEvent[] | undefined, since: number) => (log ?? []).filter((event) => event.at > since);

/** A map of counters is swept of expired entries once it passes this size, and again each time it doubles. */
const SWEEP_FROM = 10_000;
/**
 * The most fixed-window counters one process keeps (about 75 MB). Anonymous requests can make new keys (a
 * password-reset budget per email asked about), so past this the counter made longest ago is dropped. Only
 * the one-process default keeps counters in memory; a deployment with Redis keeps them there, with TTLs.
 */
export const MAX_MEMORY_WINDOWS = 100_000;

/**
 * The same behaviour for one process. Expired entries are swept as the maps grow, at sizes that double, so a
 * sweep costs each call O(1) on average however many keys there are; the windows are capped in number.
 */
export class MemoryCounterStore implements CounterStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly logs = new Map<string, LoggedEvent[]>();
  /** Claims not yet settled; every one leaves when its attempt commits or releases it. */
  private readonly pending = new Map<string, LoggedEvent[]>();
  private sweepWindowsAbove = SWEEP_FROM;
  private sweepLogsAbove = SWEEP_FROM;

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const now = Date.now();
    if (this.windows.size > this.sweepWindowsAbove) {
      this.sweep(now);
      this.sweepWindowsAbove = Math.max(SWEEP_FROM, 2 * this.windows.size);
    }
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      if (!window && this.windows.size >= MAX_MEMORY_WINDOWS) this.windows.delete(this.windows.keys().next().value as string);
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { count: window.count, resetMs: window.resetAt - now };
  }

  /** Synchronous from the first read to the last write, so no other claim can run in between. */
  async claim(budgets: Budget[], windowMs: number): Promise<Claim> {
    const now = Date.now();
    const since = now - windowMs;
    if (this.logs.size > this.sweepLogsAbove) {
      this.sweepLogs(since);
      this.sweepLogsAbove = Math.max(SWEEP_FROM, 2 * this.logs.size);
    }
    const logs = budgets.map((budget) => ({
      ...budget,
      committed: liveEvents(this.logs.get(budget.key), since),
      pending: liveEvents(this.pending.get(budget.key), since),
    }));
    const waits = logs.map(({ limit, committed }) => ({
      limit,
      retryMs: committed.length >= limit ? committed[committed.length - limit].at + windowMs - now : 0,
    }));
    const longest = waits.reduce((a, b) => (b.retryMs > a.retryMs ? b : a));
    if (longest.retryMs > 0) return { outcome: "full", ...longest };
    const crowded = logs.find(({ limit, committed, pending }) => committed.length + pending.length >= limit);
    if (crowded) return { outcome: "pending", limit: crowded.limit };
    const slot = { id: crypto.randomUUID(), keys: budgets.map(({ key }) => key), at: now };
    for (const { key, pending } of logs) this.pending.set(key, [...pending, { at: now, id: slot.id }]);
    return { outcome: "granted", slot };
  }

  async commit(slot: Slot, windowMs: number): Promise<void> {
    const since = Date.now() - windowMs;
    for (const key of slot.keys) {
      this.dropPending(key, slot.id);
      // Claims settle in any order; the log stays oldest first, as claim reads it.
      const log = [...liveEvents(this.logs.get(key), since), { at: slot.at, id: slot.id }].sort((a, b) => a.at - b.at);
      this.logs.set(key, log);
    }
  }

  async release(slot: Slot): Promise<void> {
    for (const key of slot.keys) this.dropPending(key, slot.id);
  }

  private dropPending(key: string, id: string) {
    const pending = (this.pending.get(key) ?? []).filter((event) => event.id !== id);
    if (pending.length) this.pending.set(key, pending);
    else this.pending.delete(key);
  }

  private sweep(now: number) {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }

  /** Logs whose newest event is older than the window can no longer count; a stranger's keys do not pile up. */
  private sweepLogs(oldest: number) {
    for (const [key, log] of this.logs) if ((log.at(-1)?.at ?? 0) <= oldest) this.logs.delete(key);
  }
}
