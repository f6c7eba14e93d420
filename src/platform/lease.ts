/**
 * Leadership for work one instance at a time must do (the price poller). On Redis it is a lease:
 * `SET key token NX PX ttl`, renewed while held, given up on stop; if the holder dies its lease expires
 * and another instance takes over within ttl + renewal period. Without Redis the process is the only
 * instance, so it leads at once.
 */
import { type Bus, RedisBus } from "./bus";
import type { Logger } from "./observability/logger";

export type LeaseOptions = { ttlMs: number; renewMs: number };
export type Leadership = { isLeader(): boolean; stop(): Promise<void> };
type Callbacks = { onAcquire(): void; onRelease(): void };

/** Extends the lease only if we still hold it (our token), atomically. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export function holdLeadership(bus: Bus, key: string, options: LeaseOptions, callbacks: Callbacks, logger: Logger): Leadership {
  if (!(bus instanceof RedisBus)) {
    callbacks.onAcquire();
    let leading = true;
    return {
      isLeader: () => leading,
      async stop() {
        if (leading) callbacks.onRelease();
        leading = false;
      },
    };
  }
  const redis = bus.redis;
  const token = crypto.randomUUID();
  let leading = false;
  /** Until when our last successful SET or renewal guarantees the lease, by our own clock. */
  let heldUntil = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();

  /** Steps down, saying why: the lease was lost, or is given up at stop. */
  const stepDown = (message: "lease lost" | "lease released") => {
    if (!leading) return;
    leading = false;
    logger.info(message, { key });
    callbacks.onRelease();
  };
  const lose = () => stepDown("lease lost");

  const attempt = async () => {
    const startedAt = Date.now();
    try {
      if (leading) {
        const renewed = await redis.eval(RENEW, 1, key, token, options.ttlMs);
        if (renewed === 1) heldUntil = startedAt + options.ttlMs;
        else lose();
      } else if ((await redis.set(key, token, "PX", options.ttlMs, "NX")) === "OK") {
        heldUntil = startedAt + options.ttlMs;
        leading = true;
        logger.info("lease acquired", { key });
        callbacks.onAcquire();
      }
    } catch (error) {
      logger.warn("lease check failed", { key, error: (error as Error).message });
      // Redis is unreachable: step down before the lease can have passed to someone else.
      if (leading && Date.now() + options.renewMs >= heldUntil) lose();
    }
  };
  const schedule = () => {
    running = attempt().then(() => {
      if (!stopped) timer = setTimeout(schedule, options.renewMs);
    });
  };
  schedule();

  return {
    isLeader: () => leading,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      if (leading) {
        stepDown("lease released");
        await redis.eval(RELEASE, 1, key, token).catch(() => {});
      }
    },
  };
}
