/**
 * Shared counters for rate limits and login throttling: in Redis when configured, so every instance
 * counts together; in process otherwise. Keys are namespaced with REDIS_KEY_PREFIX by the Redis store.
 */
import type Redis from "ioredis";
import { dependencyUnavailable } from "./http/errors";

export type WindowCount = { count: number; resetMs: number };

/** A sliding-window budget: at most `limit` events under `key` in the window. */
export type Budget = { key: string; limit: number };
/** One event claimed in the logs of several budgets at once, so that it can be given back. */
export type Slot = { id: string; keys: string[] };
export type Claim = { granted: true; slot: Slot } | { granted: false; retryMs: number };

export interface CounterStore {
  /** Counts one hit in the fixed window that contains now; returns the window's count and time left. */
  hit(key: string, windowMs: number): Promise<WindowCount>;
  /**
   * Adds one event to the sliding-window log of every budget when each holds fewer than its limit, else adds
   * none and says in how many ms every full one has room again: check-and-add in one step, so claims arriving
   * together cannot all find the same free room.
   */
  claim(budgets: Budget[], windowMs: number): Promise<Claim>;
  /** Takes a claimed event back out of its logs. */
  release(slot: Slot): Promise<void>;
  clear(key: string): Promise<void>;
}

/** INCR and set the expiry on the first hit, atomically. */
const HIT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

/**
 * KEYS: the budgets' logs; ARGV: now, the window, the event's id, then each log's limit. Drops events older than
 * the window; when a log holds its limit, answers the ms until enough of them leave (the longest wait over the
 * logs), else adds the event to every log and answers 0.
 */
const CLAIM = `local now, window, id = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, 0, now - window)
  local over = redis.call('ZCARD', key) - tonumber(ARGV[3 + i])
  if over >= 0 then
    local freeing = redis.call('ZRANGE', key, over, over, 'WITHSCORES')
    wait = math.max(wait, tonumber(freeing[2]) + window - now)
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, id)
  redis.call('PEXPIRE', key, window)
end
return 0`;

/** ioredis's states once a connection has failed or been closed (it is "connecting" or "ready" otherwise). */
const UNREACHABLE = new Set(["reconnecting", "close", "end"]);

export class RedisCounterStore implements CounterStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /**
   * While Redis is unreachable a command would wait for ioredis's reconnect attempts (seconds, growing
   * with the backoff) before failing: refuse at once instead, as the 503 it would end in. A first
   * connection still being made (at boot) is waited for: its commands queue until it is ready.
   */
  private assertConnected(): void {
    if (UNREACHABLE.has(this.redis.status)) throw dependencyUnavailable();
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    this.assertConnected();
    const [count, ttl] = (await this.redis.eval(HIT, 1, `${this.prefix}rl:${key}`, windowMs)) as [number, number];
    return { count, resetMs: Math.max(ttl, 0) };
  }

  async claim(budgets: Budget[], windowMs: number): Promise<Claim> {
    this.assertConnected();
    const now = Date.now();
    const id = `${now}:${crypto.randomUUID()}`;
    const logs = budgets.map(({ key }) => `${this.prefix}log:${key}`);
    const limits = budgets.map(({ limit }) => limit);
    const retryMs = (await this.redis.eval(CLAIM, logs.length, ...logs, now, windowMs, id, ...limits)) as number;
    return retryMs > 0 ? { granted: false, retryMs } : { granted: true, slot: { id, keys: budgets.map(({ key }) => key) } };
  }

  async release(slot: Slot): Promise<void> {
    this.assertConnected();
    const transaction = this.redis.multi();
    for (const key of slot.keys) transaction.zrem(`${this.prefix}log:${key}`, slot.id);
    await transaction.exec();
  }

  async clear(key: string): Promise<void> {
    this.assertConnected();
    await this.redis.del(`${this.prefix}log:${key}`, `${this.prefix}rl:${key}`);
  }
}

/** The same behaviour for one process. Old entries are swept as the maps grow, so memory stays bounded. */
export class MemoryCounterStore implements CounterStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly logs = new Map<string, { at: number; id: string }[]>();

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const now = Date.now();
    if (this.windows.size > 10_000) this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { count: window.count, resetMs: window.resetAt - now };
  }

  /** Synchronous from the first read to the last write, so no other claim can run in between. */
  async claim(budgets: Budget[], windowMs: number): Promise<Claim> {
    const now = Date.now();
    if (this.logs.size > 10_000) this.sweepLogs(now - windowMs);
    const logs = budgets.map((budget) => ({
      ...budget,
      events: (this.logs.get(budget.key) ?? []).filter((event) => event.at > now - windowMs),
    }));
    const retryMs = Math.max(
      ...logs.map(({ limit, events }) => (events.length >= limit ? events[events.length - limit].at + windowMs - now : 0)),
    );
    if (retryMs > 0) return { granted: false, retryMs };
    const slot = { id: crypto.randomUUID(), keys: budgets.map(({ key }) => key) };
    for (const { key, events } of logs) this.logs.set(key, [...events, { at: now, id: slot.id }]);
    return { granted: true, slot };
  }

  async release(slot: Slot): Promise<void> {
    for (const key of slot.keys) {
      const log = (this.logs.get(key) ?? []).filter((event) => event.id !== slot.id);
      if (log.length) this.logs.set(key, log);
      else this.logs.delete(key);
    }
  }

  async clear(key: string): Promise<void> {
    this.windows.delete(key);
    this.logs.delete(key);
  }

  private sweep(now: number) {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }

  /** Logs whose newest event is older than the window can no longer count; a stranger's keys do not pile up. */
  private sweepLogs(oldest: number) {
    for (const [key, log] of this.logs) if ((log.at(-1)?.at ?? 0) <= oldest) this.logs.delete(key);
  }
}
