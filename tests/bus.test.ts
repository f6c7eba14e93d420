import { describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { type Bus, MemoryBus, quietRepeats, REDIS_COMMAND_TIMEOUT_MS, RedisBus } from "../src/platform/bus";
import { RedisCounterStore } from "../src/platform/counters";
import { isDependencyDown } from "../src/platform/http/errors";
import { TEST_REDIS_URL } from "./support/harness";

/** Resolves with the next message on `channel`, or rejects after `ms`. */
function nextMessage(bus: Bus, channel: string, ms = 3000) {
  return new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message on ${channel} within ${ms} ms`)), ms);
    const unsubscribe = bus.subscribe(channel, (message) => {
      clearTimeout(timer);
      void unsubscribe.then((stop) => stop());
      resolve(message);
    });
  });
}

/**
 * A TCP proxy to Redis on `port`, started when the test wants Redis to "come back": until then the port
 * refuses connections, as a Redis that is down does.
 */
function redisProxy(port: number, target: URL) {
  type Side = { upstream?: Bun.Socket<undefined>; pending: Uint8Array[] };
  return Bun.listen<Side>({
    hostname: "127.0.0.1",
    port,
    socket: {
      open(client) {
        client.data = { pending: [] };
        void Bun.connect({
          hostname: target.hostname,
          port: Number(target.port || 6379),
          socket: {
            open(upstream) {
              client.data.upstream = upstream;
              for (const chunk of client.data.pending) upstream.write(chunk);
            },
            data: (_upstream, chunk) => void client.write(chunk),
            close: () => void client.end(),
          },
        });
      },
      data(client, chunk) {
        if (client.data.upstream) client.data.upstream.write(chunk);
        else client.data.pending.push(new Uint8Array(chunk));
      },
      close: (client) => void client.data.upstream?.end(),
    },
  });
}

/** Both implementations keep the same promises. */
function busContract(make: () => Bus) {
  test("delivers to every subscriber of a channel and to no other channel", async () => {
    const bus = make();
    const a: unknown[] = [];
    const b: unknown[] = [];
    const other: unknown[] = [];
    await bus.subscribe("prices", (m) => a.push(m));
    await bus.subscribe("prices", (m) => b.push(m));
    await bus.subscribe("other", (m) => other.push(m));
    const received = nextMessage(bus, "prices");
    await bus.publish("prices", { symbol: "BTC", priceUsd: "65000.12" });
    expect(await received).toEqual({ symbol: "BTC", priceUsd: "65000.12" });
    expect(a).toEqual([{ symbol: "BTC", priceUsd: "65000.12" }]);
    expect(b).toEqual(a);
    expect(other).toEqual([]);
    await bus.close();
  });

  test("stops delivering after unsubscribe, and a throwing handler does not stop the others", async () => {
    const bus = make();
    const seen: unknown[] = [];
    const stop = await bus.subscribe("events", (m) => seen.push(m));
    await bus.subscribe("events", () => {
      throw new Error("handler bug");
    });
    let received = nextMessage(bus, "events");
    await bus.publish("events", 1);
    await received;
    await stop();
    received = nextMessage(bus, "events");
    await bus.publish("events", 2);
    await received;
    expect(seen).toEqual([1]);
    await bus.ping();
    await bus.close();
    await expect(bus.ping()).rejects.toThrow();
  });
}

describe("MemoryBus", () => busContract(() => new MemoryBus()));

describe("quietRepeats", () => {
  test("an error repeated within the quiet time is reported once; another error, or the same later, is reported", () => {
    let clock = 0;
    const reported: string[] = [];
    const report = quietRepeats(
      (error, context) => reported.push(`${context}: ${(error as Error).message}`),
      10_000,
      () => clock,
    );
    const refused = () => new Error("connect ECONNREFUSED 127.0.0.1:1");
    report(refused(), "redis");
    clock = 9_999;
    report(refused(), "redis");
    clock = 10_000;
    report(refused(), "redis");
    report(new Error("Connection is closed."), "redis");
    report(new Error("Connection is closed."), "redis");
    expect(reported).toEqual([
      "redis: connect ECONNREFUSED 127.0.0.1:1",
      "redis: connect ECONNREFUSED 127.0.0.1:1",
      "redis: Connection is closed.",
    ]);
  });

  test("a Redis out of reach is one line, not one per connection and reconnect attempt", async () => {
    const raw: string[] = [];
    const reported: string[] = [];
    const bus = new RedisBus(
      "redis://127.0.0.1:1",
      "quiet:",
      quietRepeats((error) => reported.push((error as Error).message)),
    );
    const counting = new RedisBus("redis://127.0.0.1:1", "quiet:", (error) => raw.push((error as Error).message));
    try {
      await Bun.sleep(1_500);
      expect(raw.length).toBeGreaterThan(2); // both connections, each attempt
      expect(reported).toHaveLength(1);
    } finally {
      await Promise.all([bus.close(), counting.close()]);
    }
  });
});

describe.if(Boolean(TEST_REDIS_URL))("RedisBus", () => {
  const url = TEST_REDIS_URL as string;
  const prefix = `cvtest-bus-${process.pid}-${Date.now()}:`;
  busContract(() => new RedisBus(url, prefix));

  test("a message crosses two connections (two instances)", async () => {
    const one = new RedisBus(url, prefix);
    const two = new RedisBus(url, prefix);
    const received = nextMessage(two, "user:42");
    await Bun.sleep(50);
    await one.publish("user:42", { type: "balance" });
    expect(await received).toEqual({ type: "balance" });
    await Promise.all([one.close(), two.close()]);
  });

  test("channels carry the key prefix, so deployments sharing a Redis never see each other", async () => {
    const ours = new RedisBus(url, prefix);
    const theirs = new RedisBus(url, `${prefix}other:`);
    const leaked: unknown[] = [];
    await theirs.subscribe("prices", (m) => leaked.push(m));
    const raw = new Redis(url);
    const seen = new Promise<string>((resolve) => raw.on("message", (channel) => resolve(channel)));
    await raw.subscribe(`${prefix}prices`);
    await ours.publish("prices", 1);
    expect(await seen).toBe(`${prefix}prices`);
    await Bun.sleep(100);
    expect(leaked).toEqual([]);
    raw.disconnect();
    await Promise.all([ours.close(), theirs.close()]);
  });

  test("a channel subscribed while Redis is down delivers once Redis is back", async () => {
    const free = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = free.port;
    free.stop(true);
    const errors: string[] = [];
    const bus = new RedisBus(`redis://127.0.0.1:${port}`, prefix, (_error, context) => errors.push(context));
    const seen: unknown[] = [];
    // Resolves (the outage is reported), rather than rejecting or waiting for Redis.
    await bus.subscribe("late", (message) => seen.push(message));
    expect(errors).toContain("subscribe late");
    const proxy = redisProxy(port, new URL(url));
    const admin = new Redis(url);
    const deadline = Date.now() + 8000;
    while (seen.length === 0 && Date.now() < deadline) {
      await admin.publish(`${prefix}late`, JSON.stringify("back"));
      await Bun.sleep(200);
    }
    expect(seen[0]).toBe("back");
    admin.disconnect();
    await bus.close();
    proxy.stop(true);
  });

  test("while Redis is out of reach, ping fails at once however long the outage lasts (/ready answers 503 quickly)", async () => {
    const free = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = free.port;
    free.stop(true);
    const bus = new RedisBus(`redis://127.0.0.1:${port}`, prefix);
    const took: number[] = [];
    // Long enough for ioredis's backoff to grow past a second between attempts.
    for (const wait of [300, 1000, 2500]) {
      await Bun.sleep(wait);
      const started = performance.now();
      await expect(bus.ping()).rejects.toThrow();
      took.push(performance.now() - started);
    }
    expect(took.every((ms) => ms < 100)).toBe(true);
    await bus.close();
  });

  test("a Redis that takes the connection but never answers fails a command in a second, as one that is down", async () => {
    // Accepts connections and reads everything, answers nothing: a hung or paused (SIGSTOP) Redis.
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const bus = new RedisBus(`redis://127.0.0.1:${silent.port}`, prefix);
    const counters = new RedisCounterStore(bus.redis, prefix);
    for (const command of [() => bus.ping(), () => counters.hit("hung", 60_000)]) {
      const started = performance.now();
      const failure = await command().then(
        () => undefined,
        (error: unknown) => error,
      );
      const took = performance.now() - started;
      expect({ down: isDependencyDown(failure), fast: took < REDIS_COMMAND_TIMEOUT_MS + 500 }).toEqual({
        down: true,
        fast: true,
      });
    }
    await bus.close();
    silent.stop(true);
  });

  test("reconnects and resubscribes after its connections are killed, and says so", async () => {
    const bus = new RedisBus(url, prefix);
    let resubscribed = 0;
    bus.onResubscribed(() => resubscribed++);
    await bus.subscribe("resume", () => {});
    await bus.ping();
    const connected = resubscribed;
    const admin = new Redis(url);
    const ours = String(await admin.client("LIST"))
      .split("\n")
      .filter((line) => line.includes(` name=${prefix}`))
      .map((line) => /id=(\d+)/.exec(line)?.[1] as string);
    expect(ours).toHaveLength(2);
    for (const id of ours) await admin.client("KILL", "ID", id);
    const deadline = Date.now() + 5000;
    let delivered = false;
    while (!delivered && Date.now() < deadline) {
      const received = nextMessage(bus, "resume", 300).then(
        () => true,
        () => false,
      );
      await admin.publish(`${prefix}resume`, JSON.stringify("again"));
      delivered = await received;
    }
    expect(delivered).toBe(true);
    expect(resubscribed).toBe(connected + 1);
    admin.disconnect();
    await bus.close();
  });
});
