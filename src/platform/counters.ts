/**
 * Shared counters for rate limits and login throttling: in Redis when configured, so every instance
 * counts together; in process otherwise. Keys are namespaced with REDIS_KEY_PREFIX by the Redis store.
 */
import type Redis from "ioredis";
import { dependencyUnavailable } from "./http/errors";

export type WindowCount = { count: number; resetMs: number };

export interface CounterStore {
  /** Counts one hit in the fixed window that contains now; returns the window's count and time left. */
  hit(key: string, windowMs: number): Promise<WindowCount>;
  /** Adds an event to a sliding window log. */
  record(key: string, windowMs: number): Promise<void>;
  /** Events in the sliding window, and ms until the oldest one leaves it. */
  recent(key: string, windowMs: number): Promise<WindowCount>;
  clear(key: string): Promise<void>;
}

/** INCR and set the expiry on the first hit, atomically. */
const HIT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

/** Drop events older than the window, then count and report when the oldest expires. */
const RECENT = `redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[1] - ARGV[2])
local n = redis.call('ZCARD', KEYS[1])
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = 0
if oldest[2] then reset = tonumber(oldest[2]) + ARGV[2] - ARGV[1] end
return {n, reset}`;

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

  async record(key: string, windowMs: number): Promise<void> {
    this.assertConnected();
    const now = Date.now();
    const full = `${this.prefix}log:${key}`;
    await this.redis.multi().zadd(full, now, `${now}:${crypto.randomUUID()}`).pexpire(full, windowMs).exec();
  }

  async recent(key: string, windowMs: number): Promise<WindowCount> {
    this.assertConnected();
    const [count, resetMs] = (await this.redis.eval(RECENT, 1, `${this.prefix}log:${key}`, Date.now(), windowMs)) as [
      number,
      number,
    ];
    return { count, resetMs: Math.max(resetMs, 0) };
  }

  async clear(key: string): Promise<void> {
    this.assertConnected();
    await this.redis.del(`${this.prefix}log:${key}`, `${this.prefix}rl:${key}`);
  }
}

/** The same behaviour for one process. Old entries are swept as the maps grow, so memory stays bounded. */
export class MemoryCounterStore implements CounterStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly logs = new Map<string, number[]>();

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

  async record(key: string, windowMs: number): Promise<void> {
    const now = Date.now();
    if (this.logs.size > 10_000) this.sweepLogs(now - windowMs);
    const log = (this.logs.get(key) ?? []).filter((at) => at > now - windowMs);
    log.push(now);
    this.logs.set(key, log);
  }

  async recent(key: string, windowMs: number): Promise<WindowCount> {
    const now = Date.now();
    const log = (this.logs.get(key) ?? []).filter((at) => at > now - windowMs);
    if (log.length === 0) this.logs.delete(key);
    else this.logs.set(key, log);
    return { count: log.length, resetMs: log.length ? log[0] + windowMs - now : 0 };
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
    for (const [key, log] of this.logs) if ((log.at(-1) ?? 0) <= oldest) this.logs.delete(key);
  }
}
