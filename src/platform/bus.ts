/**
 * Pub-sub between instances. RedisBus (ioredis) when REDIS_URL is set, MemoryBus in one process.
 * Messages are JSON on both, so code that works on one works on the other.
 */
import Redis from "ioredis";

/** ioredis's states once a connection has failed or been closed (it is "connecting" or "ready" otherwise). */
const UNREACHABLE = new Set(["reconnecting", "close", "end"]);

/**
 * Whether a connection is out of reach now. A command sent on it would wait through ioredis's reconnect
 * attempts (seconds, growing with the backoff) before failing: callers refuse at once instead. A first
 * connection still being made (at boot) is not: its commands queue until it is ready.
 */
export const isUnreachable = (client: Redis) => UNREACHABLE.has(client.status);

/** Far above a command's usual well-under-a-millisecond, far below the request deadline (10 s). */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;

export type BusHandler = (message: unknown) => void;
export type Unsubscribe = () => Promise<void>;

export interface Bus {
  readonly kind: "redis" | "memory";
  publish(channel: string, message: unknown): Promise<void>;
  subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe>;
  /** Fails when the bus cannot carry a message right now (for /ready). */
  ping(): Promise<void>;
  /**
   * Calls `listener` each time the channels are subscribed on a (re)connect: messages published while the bus
   * was not connected were not delivered (pub-sub keeps nothing), so whoever relies on them can catch up.
   */
  onResubscribed(listener: () => void): void;
  close(): Promise<void>;
}

/** Handlers per channel, shared by both implementations. */
class Subscriptions {
  private readonly handlers = new Map<string, Set<BusHandler>>();

  /** Returns true when this is the channel's first handler. */
  add(channel: string, handler: BusHandler): boolean {
    const set = this.handlers.get(channel) ?? new Set();
    set.add(handler);
    this.handlers.set(channel, set);
    return set.size === 1;
  }

  /** Returns true when the channel has no handler left. */
  remove(channel: string, handler: BusHandler): boolean {
    const set = this.handlers.get(channel);
    set?.delete(handler);
    if (set?.size === 0) this.handlers.delete(channel);
    return !this.handlers.has(channel);
  }

  channels(): string[] {
    return [...this.handlers.keys()];
  }

  deliver(channel: string, payload: string, onError: (error: unknown) => void): void {
    const set = this.handlers.get(channel);
    if (!set) return;
    const message = JSON.parse(payload);
    for (const handler of set) {
      try {
        handler(message);
      } catch (error) {
        onError(error);
      }
    }
  }
}

type ErrorReporter = (error: unknown, context: string) => void;

/**
 * `report`, quiet for `quietMs` after each error about an error with the same message: while Redis is out of reach,
 * both connections report every reconnect attempt, several a second, and the log would hold little else.
 */
export function quietRepeats(report: ErrorReporter, quietMs = 10_000, now = () => Date.now()): ErrorReporter {
  let last: { message: string; at: number } | undefined;
  return (error, context) => {
    const message = error instanceof Error ? error.message : String(error);
    const at = now();
    if (last?.message === message && at - last.at < quietMs) return;
    last = { message, at };
    report(error, context);
  };
}

export class MemoryBus implements Bus {
  readonly kind = "memory";
  private readonly subscriptions = new Subscriptions();
  private closed = false;

  constructor(private readonly onError: ErrorReporter = () => {}) {}

  async publish(channel: string, message: unknown): Promise<void> {
    if (this.closed) throw new Error("bus is closed");
    const payload = JSON.stringify(message);
    // Delivered after the publisher continues, like a message that crossed Redis.
    queueMicrotask(() => this.subscriptions.deliver(channel, payload, (e) => this.onError(e, channel)));
  }

  async subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe> {
    this.subscriptions.add(channel, handler);
    return async () => {
      this.subscriptions.remove(channel, handler);
    };
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error("bus is closed");
  }

  /** In one process nothing is ever lost in between: never called. */
  onResubscribed(): void {}

  async close(): Promise<void> {
    this.closed = true;
  }
}

export class RedisBus implements Bus {
  readonly kind = "redis";
  /** Commands (publish, counters, leases). Other modules reuse it through `redis`. */
  readonly redis: Redis;
  /** A connection in subscriber mode can run nothing else, so it is a separate one. */
  private readonly subscriber: Redis;
  private readonly subscriptions = new Subscriptions();
  private readonly resubscribed = new Set<() => void>();

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly onError: ErrorReporter = () => {},
  ) {
    const options = {
      // Retry for ever with a capped backoff. Resubscribing is ours (below): ioredis would only renew the
      // channels whose SUBSCRIBE once succeeded, and one asked for while Redis was down would stay silent.
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
      maxRetriesPerRequest: 2,
      // A Redis that holds the connection but stops answering (hung, paused) is given up on, as one that is down:
      // every request asks it first (the rate limit), and would otherwise wait for the request deadline.
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      autoResubscribe: false,
      lazyConnect: false,
    };
    // Named so an operator (or a test) can tell them apart in CLIENT LIST.
    this.redis = new Redis(url, { ...options, connectionName: `${prefix}commands` });
    this.subscriber = new Redis(url, { ...options, connectionName: `${prefix}subscriber` });
    for (const client of [this.redis, this.subscriber]) client.on("error", (e) => this.onError(e, "redis"));
    this.subscriber.on("message", (channel: string, payload: string) => {
      this.subscriptions.deliver(channel.slice(this.prefix.length), payload, (e) => this.onError(e, channel));
    });
    // On every (re)connect, every channel with a handler is subscribed again (SUBSCRIBE is idempotent), and the
    // listeners learn that what was published while it was not connected is lost (Redis down at boot, too).
    this.subscriber.on("ready", async () => {
      const channels = this.subscriptions.channels().map((channel) => this.prefix + channel);
      try {
        if (channels.length > 0) await this.subscriber.subscribe(...channels);
      } catch (error) {
        this.onError(error, "resubscribe");
        return;
      }
      for (const listener of this.resubscribed) listener();
    });
  }

  async publish(channel: string, message: unknown): Promise<void> {
    await this.redis.publish(this.prefix + channel, JSON.stringify(message));
  }

  onResubscribed(listener: () => void): void {
    this.resubscribed.add(listener);
  }

  /**
   * Resolves once Redis has confirmed the subscription or, while Redis is out of reach, once that is
   * reported: the handler stays registered and the next connect subscribes it, so nothing waits for ever.
   */
  async subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe> {
    if (this.subscriptions.add(channel, handler)) {
      await this.subscriber.subscribe(this.prefix + channel).catch((e) => this.onError(e, `subscribe ${channel}`));
    }
    return async () => {
      if (this.subscriptions.remove(channel, handler) && this.subscriber.status === "ready") {
        await this.subscriber.unsubscribe(this.prefix + channel);
      }
    };
  }

  async ping(): Promise<void> {
    // At once while Redis is out of reach: a load balancer's probe gets its 503 rather than a timeout.
    const down = [this.redis, this.subscriber].find(isUnreachable);
    if (down) throw new Error(`redis connection ${down.status}`);
    // PING is allowed in subscriber mode, so both connections prove they can carry a message.
    await Promise.all([this.redis.ping(), this.subscriber.ping()]);
  }

  async close(): Promise<void> {
    // QUIT needs a connection: one that is down (reconnecting) is dropped at once rather than waited for.
    await Promise.allSettled(
      [this.redis, this.subscriber].map((client) => (client.status === "ready" ? client.quit() : client.disconnect())),
    );
  }
}

export function createBus(redisUrl: string | undefined, prefix: string, onError?: ErrorReporter): Bus {
  return redisUrl ? new RedisBus(redisUrl, prefix, onError) : new MemoryBus(onError);
}
