import { describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { type Bus, MemoryBus, RedisBus } from "../src/platform/bus";
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

  test("reconnects and resubscribes after its connections are killed", async () => {
    const bus = new RedisBus(url, prefix);
    await bus.subscribe("resume", () => {});
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
    admin.disconnect();
    await bus.close();
  });
});
