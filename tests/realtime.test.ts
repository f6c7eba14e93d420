import { afterAll, beforeAll, describe, expect, setDefaultTimeout, setSystemTime, test } from "bun:test";
import { once } from "node:events";
import { createConnection } from "node:net";
import type { ServerWebSocket } from "bun";
import { sql } from "drizzle-orm";
import Redis from "ioredis";
import { type Market, startMarket } from "../src/modules/market/service";
import {
  CLOSE,
  clientEventId,
  HEARTBEAT_MS,
  MAX_BUFFER_BYTES,
  PONG_TIMEOUT_MS,
  SLOW_BUFFER_BYTES,
  SocketHub,
} from "../src/modules/realtime/hub";
import { MemoryBus, RedisBus } from "../src/platform/bus";
import { deriveKey } from "../src/platform/crypto";
import { enqueueEvents } from "../src/platform/events/outbox";
import { createOutboxRelay, relayOutboxEvents, userChannel } from "../src/platform/events/relay";
import { accessClaims, accessJwtPlugin } from "../src/platform/http/auth";
import { createLogger } from "../src/platform/observability/logger";
import { createMetrics } from "../src/platform/observability/metrics";
import { PASSWORD, signedInUser, TestClient } from "./support/client";
import { createTestApp, createTestDatabase, TEST_REDIS_URL, testConfig } from "./support/harness";
import { cookieHeader, type Frame, listen, ORIGIN, openSocket } from "./support/sockets";

setDefaultTimeout(30_000);

type Fixture = Awaited<ReturnType<typeof createTestApp>>;
let fixture: Fixture;
let url: string;
beforeAll(async () => {
  fixture = await createTestApp({ PRICE_TICK_MS: "100", RATE_LIMIT_PER_MINUTE: "1000" });
  url = listen(fixture);
});
afterAll(() => fixture.dispose());

const isPrice = (frame: Frame) => frame.type === "price";
const db = () => fixture.deps.database.db;
/** Queues a private event as a module would in its transaction, then runs the relay once. */
async function emit(target: Fixture, userId: string, data: Record<string, unknown>, relayVia: Fixture = target) {
  await enqueueEvents(target.deps.database.db, [{ userId, type: "balance", data }]);
  await relayOutboxEvents(relayVia.deps.database.db, relayVia.deps.bus);
}

describe("outbox relay", () => {
  test("a tick looks a little below the last id it relayed; a sweep picks up a row that committed later still", async () => {
    const database = await createTestDatabase();
    const bus = new MemoryBus();
    const userId = crypto.randomUUID();
    const seen: number[] = [];
    await bus.subscribe(userChannel(userId), (message) => seen.push((message as { id: number }).id));
    let clock = 0;
    const tick = createOutboxRelay(database.db, bus, { lateIds: 2, sweepEveryMs: 1000, now: () => clock });
    const balance = { asset: "USD", available: "1", held: "0", total: "1" };
    await enqueueEvents(
      database.db,
      Array.from({ length: 5 }, () => ({ userId, type: "balance" as const, data: balance })),
    );
    expect(await tick()).toBe(5); // the first tick is a sweep
    const last = Math.max(...seen);
    // Ids are taken at insert and seen at commit: rows that committed after later ids were relayed.
    const insertWithId = (id: number) =>
      database.db.execute(sql`insert into outbox_events (id, user_id, type, data) values (${id}, ${userId}, 'balance', '{}')`);
    await insertWithId(last - 1); // within lateIds: the next tick finds it
    await insertWithId(last - 4); // further behind: left to the sweep
    clock = 500;
    expect(await tick()).toBe(1);
    expect(seen.at(-1)).toBe(last - 1);
    expect(await tick()).toBe(0);
    clock = 1000;
    expect(await tick()).toBe(1);
    expect(seen.at(-1)).toBe(last - 4);
    await database.dispose();
  });
});

describe("/ws upgrade", () => {
  test("anonymous sockets get prices after subscribing, and nothing before", async () => {
    const socket = await openSocket(url);
    await Bun.sleep(250);
    expect(socket.frames.filter(isPrice)).toEqual([]);
    socket.send({ op: "subscribe", topics: ["prices"] });
    const price = await socket.next(isPrice);
    expect(Object.keys(price.data ?? {}).sort()).toEqual(["change24h", "priceUsd", "source", "symbol", "updatedAt"]);
    expect(typeof price.data?.priceUsd).toBe("string");
    socket.send({ op: "unsubscribe", topics: ["prices"] });
    await Bun.sleep(150);
    const count = socket.frames.filter(isPrice).length;
    await Bun.sleep(300);
    expect(socket.frames.filter(isPrice).length).toBe(count);
    socket.ws.close();
  });

  test("each tick yields one price frame per symbol /api/prices lists, USD included, all stamped alike", async () => {
    const listed = await new TestClient(fixture).json<{ items: { symbol: string }[] }>("GET", "/api/prices");
    const symbols = listed.body.items.map((item) => item.symbol).sort();
    const socket = await openSocket(url);
    socket.send({ op: "subscribe", topics: ["prices"] });
    const ticks = new Map<string, string[]>();
    const deadline = Date.now() + 5_000;
    // The frames of a tick share its updatedAt; wait until a tick is complete past the first (the catch-up).
    while (Date.now() < deadline && [...ticks.values()].filter((names) => names.length >= symbols.length).length < 2) {
      await Bun.sleep(50);
      ticks.clear();
      for (const frame of socket.frames.filter(isPrice)) {
        const data = frame.data as { symbol: string; updatedAt: string };
        ticks.set(data.updatedAt, [...(ticks.get(data.updatedAt) ?? []), data.symbol]);
      }
    }
    const complete = [...ticks.values()].filter((names) => names.length >= symbols.length);
    expect(complete.length).toBeGreaterThanOrEqual(2);
    for (const names of complete) expect(names.sort()).toEqual(symbols);
    socket.ws.close();
  });

  test("subscribing to prices sends every symbol's latest price at once, not at the next tick", async () => {
    // One tick an hour: the first, at start, is the only one the test sees.
    const own = await createTestApp({ PRICE_TICK_MS: "3600000" });
    try {
      const { cache } = own.app.decorator.runtime.market;
      // Bounded: at most 100 rounds of 20 ms for the first tick.
      for (let round = 0; round < 100 && !cache.latest("BTC"); round++) await Bun.sleep(20);
      const symbols = cache
        .all()
        .map((tick) => tick.symbol)
        .sort();
      expect(symbols).toEqual(["BTC", "ETH", "SOL", "USD", "USDT"]);
      const socket = await openSocket(listen(own));
      socket.send({ op: "subscribe", topics: ["prices"] });
      // Bounded: at most 50 rounds of 20 ms (one second, where the next tick is an hour away).
      for (let round = 0; round < 50 && socket.frames.filter(isPrice).length < symbols.length; round++) await Bun.sleep(20);
      const prices = socket.frames.filter(isPrice).map((frame) => frame.data as { symbol: string; priceUsd: string });
      expect(prices.map((price) => price.symbol).sort()).toEqual(symbols);
      expect(prices.find((price) => price.symbol === "BTC")?.priceUsd).toBe(cache.latest("BTC")?.priceUsd);
      socket.ws.close();
    } finally {
      await own.dispose();
    }
  });

  test("a cookie upgrade from a foreign origin is 403; a bad or revoked token is 401; our origin is accepted", async () => {
    const { client } = await signedInUser(fixture, "origin");
    const upgrade = (headers: Record<string, string>) =>
      fixture.request("/ws", {
        headers: {
          connection: "Upgrade",
          upgrade: "websocket",
          "sec-websocket-version": "13",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          ...headers,
        },
      });
    const foreign = await upgrade({ cookie: cookieHeader(client), origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
    expect((await upgrade({ cookie: cookieHeader(client) })).status).toBe(403);
    expect((await upgrade({ cookie: "access_token=forged", origin: ORIGIN })).status).toBe(401);
    await expect(openSocket(url, { cookie: cookieHeader(client), origin: "https://evil.example" })).rejects.toThrow();

    const socket = await openSocket(url, { cookie: cookieHeader(client), origin: ORIGIN });
    expect(socket.frames[0]).toEqual({ type: "ready", data: { authenticated: true } });
    socket.ws.close();
    // The token itself, not the client's cookie jar: logging out clears the cookie, so a test upgrading with the
    // jar's cookie would send no token at all. A copy kept from before (a stolen cookie, another tab) must not open.
    const revokedCookie = cookieHeader(client);
    expect(revokedCookie).not.toBe("access_token=undefined");
    expect((await client.post("/api/auth/logout")).status).toBe(204);
    const revoked = await upgrade({ cookie: revokedCookie, origin: ORIGIN });
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as { error: { code: string } }).error.code).toBe("UNAUTHENTICATED");
    await expect(openSocket(url, { cookie: revokedCookie, origin: ORIGIN })).rejects.toThrow();
  });

  test("an access token whose session was ended from another device opens no socket (401), though still unexpired", async () => {
    const { client, email } = await signedInUser(fixture, "ended-elsewhere");
    const other = new TestClient(fixture);
    expect((await other.post("/api/auth/login", { email, password: PASSWORD })).status).toBe(200);
    const sessions = await other.json<{ items: { id: string; current: boolean }[] }>("GET", "/api/auth/sessions");
    const first = sessions.body.items.find((session) => !session.current);
    expect(first).toBeDefined();
    const token = cookieHeader(client);
    const opened = await openSocket(url, { cookie: token, origin: ORIGIN });
    expect(opened.frames[0]).toEqual({ type: "ready", data: { authenticated: true } });
    opened.ws.close();
    expect((await other.json("DELETE", `/api/auth/sessions/${first?.id}`)).status).toBe(204);
    const refused = await fixture.request("/ws", {
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        cookie: token,
        origin: ORIGIN,
      },
    });
    expect(refused.status).toBe(401);
    // Bearer too: the same token in the Authorization header.
    await expect(openSocket(url, { authorization: `Bearer ${client.cookie("access_token")}` })).rejects.toThrow();
  });

  test("one address holds at most WS_ANONYMOUS_SOCKETS_PER_ADDRESS anonymous sockets: the next upgrade is 429", async () => {
    const cap = fixture.deps.config.wsAnonymousSocketsPerAddress;
    expect(cap).toBe(50); // the default
    const sockets = await Promise.all(Array.from({ length: cap }, () => openSocket(url)));
    const upgrade = () =>
      fetch(url.replace("ws://", "http://"), {
        headers: {
          connection: "Upgrade",
          upgrade: "websocket",
          "sec-websocket-version": "13",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
      });
    const refused = await upgrade();
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("10");
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
    // A signed-in socket is not counted against the address: it ends with its token.
    const { client } = await signedInUser(fixture, "capped");
    const signedIn = await openSocket(url, { cookie: cookieHeader(client), origin: ORIGIN });
    // Closing one makes room for one.
    sockets[0].ws.close();
    await sockets[0].closed;
    await Bun.sleep(50);
    const again = await openSocket(url);
    for (const socket of [...sockets.slice(1), again, signedIn]) socket.ws.close();
    await Promise.all([...sockets.slice(1), again, signedIn].map((socket) => socket.closed));
  });

  test("upgrades arriving together cannot pass the anonymous cap: those past it are closed (1008) as they open", async () => {
    const cap = fixture.deps.config.wsAnonymousSocketsPerAddress;
    const hub = fixture.app.decorator.runtime.hub;
    const port = Number(new URL(url).port);
    const connections = Array.from({ length: cap + 16 }, () => createConnection({ host: "127.0.0.1", port }));
    await Promise.all(connections.map((connection) => once(connection, "connect")));
    const received = connections.map((connection) => {
      const chunks: Buffer[] = [];
      connection.on("data", (chunk: Buffer) => chunks.push(chunk));
      return () => Buffer.concat(chunks);
    });
    // Every request is written before the server answers any. With Redis (TEST_REDIS_URL) the server awaits it
    // before the check, so all the checks pass before any socket opens: 66 stayed open before this was fixed.
    for (const connection of connections)
      connection.write(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
    // Bounded: at most 150 rounds of 20 ms for every answer, and for the sockets past the cap to be closed.
    const answered = () => received.every((bytes) => bytes().includes("\r\n\r\n"));
    const closing = () => received.filter((bytes) => bytes()[bytes().indexOf("\r\n\r\n") + 4] === 0x88).length;
    const status = (bytes: Buffer) => bytes.toString("latin1", 9, 12);
    const upgraded = () => received.filter((bytes) => status(bytes()) === "101").length;
    for (let round = 0; round < 150 && !(answered() && upgraded() - closing() === cap); round++) await Bun.sleep(20);
    expect(received.map((bytes) => status(bytes())).filter((code) => code !== "101" && code !== "429")).toEqual([]);
    expect(upgraded() - closing()).toBe(cap);
    expect(hub.anonymousFrom("127.0.0.1")).toBe(cap);
    for (const connection of connections) connection.destroy();
    // Bounded: at most 100 rounds of 20 ms for the server to see them closed.
    for (let round = 0; round < 100 && hub.anonymousFrom("127.0.0.1") > 0; round++) await Bun.sleep(20);
    expect(hub.anonymousFrom("127.0.0.1")).toBe(0);
  });

  test("a plain GET /ws, without the upgrade, is 400 MALFORMED_REQUEST saying what to send", async () => {
    const plain = await fixture.request("/ws");
    expect(plain.status).toBe(400);
    expect(plain.headers.get("upgrade")).toBe("websocket");
    expect(((await plain.json()) as { error: { code: string } }).error.code).toBe("MALFORMED_REQUEST");
  });

  test("bad frames get an error frame and the socket stays open; ping gets pong; a flood is limited then closed", async () => {
    const socket = await openSocket(url);
    const bads = ["not json", "42", '{"op":"subscribe","topics":["secrets"]}', '{"op":"dance"}', "[]", "x".repeat(40_000)];
    for (const bad of bads) socket.send(bad);
    socket.send({ op: "ping" });
    await socket.next((frame) => frame.type === "pong");
    const errors = socket.frames.filter((frame) => frame.type === "error");
    expect(errors.map((frame) => frame.data?.code)).toEqual([
      "MALFORMED_REQUEST",
      "MALFORMED_REQUEST",
      "VALIDATION_FAILED",
      "VALIDATION_FAILED",
      "VALIDATION_FAILED",
      "MALFORMED_REQUEST",
    ]);
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);

    await Bun.sleep(1000);
    for (let i = 0; i < 30; i++) socket.send({ op: "ping" });
    await socket.next((frame) => frame.data?.code === "RATE_LIMITED");
    for (let i = 0; i < 200; i++) socket.send({ op: "ping" });
    expect((await socket.closed).code).toBe(CLOSE.policy);
  });
});

describe("private events", () => {
  test("reach their user's sockets only: never another user's, never an anonymous one", async () => {
    const alice = await signedInUser(fixture, "alice");
    const bob = await signedInUser(fixture, "bob");
    const aliceSocket = await openSocket(url, { cookie: cookieHeader(alice.client), origin: ORIGIN });
    const aliceSecond = await openSocket(url, { cookie: cookieHeader(alice.client), origin: ORIGIN });
    const bobSocket = await openSocket(url, { cookie: cookieHeader(bob.client), origin: ORIGIN });
    const anonymous = await openSocket(url);
    anonymous.send({ op: "subscribe", topics: ["prices"] });

    await emit(fixture, alice.userId, { asset: "BTC", available: "1.5", held: "0", total: "1.5" });
    const frame = await aliceSocket.next((f) => f.type === "balance");
    expect(frame.data).toEqual({ asset: "BTC", available: "1.5", held: "0", total: "1.5" });
    // The id dedupes a relayed-twice event, and is opaque: the outbox's sequence would count everyone's events.
    expect(frame.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((await aliceSecond.next((f) => f.type === "balance")).id).toBe(frame.id);
    await Bun.sleep(300);
    for (const other of [bobSocket, anonymous]) expect(other.frames.filter((f) => f.type === "balance")).toEqual([]);
    for (const socket of [aliceSocket, aliceSecond, bobSocket, anonymous]) socket.ws.close();
  });

  test("an event's id is the same from every instance of one deployment, and says nothing of the outbox's count", () => {
    const key = deriveKey(testConfig().cookieSecret, "ws-event-id");
    const again = deriveKey(testConfig().cookieSecret, "ws-event-id");
    expect(clientEventId(key, 41)).toBe(clientEventId(again, 41));
    expect(clientEventId(key, 41)).not.toBe(clientEventId(key, 42));
    expect(clientEventId(key, 41)).not.toBe(clientEventId(Buffer.alloc(32), 41));
  });

  test("a socket closes (4001) when a security event says its session was revoked", async () => {
    const first = await signedInUser(fixture, "revoked");
    const second = new TestClient(fixture);
    await second.post("/api/auth/login", { email: first.email, password: "a long and uncommon passphrase" });
    const socket = await openSocket(url, { cookie: cookieHeader(first.client), origin: ORIGIN });
    expect((await second.json("POST", "/api/auth/sessions/revoke-others")).status).toBe(204);
    await relayOutboxEvents(db(), fixture.deps.bus);
    expect((await socket.closed).code).toBe(CLOSE.sessionEnded);
  });

  test("a signed-in socket closes (4001) when its access token expires, though its session lives on", async () => {
    const { client } = await signedInUser(fixture, "expiring");
    // The app's own token for this session, re-signed as the app signs them but expiring in two seconds.
    const issued = client.cookie("access_token") as string;
    const claims = JSON.parse(Buffer.from(issued.split(".")[1], "base64url").toString()) as { sub: string; sid: string };
    const { accessJwt } = accessJwtPlugin(fixture.deps.config).decorator;
    const exp = Math.floor(Date.now() / 1000) + 2;
    const shortLived = await accessJwt.sign({ ...accessClaims(claims.sub, claims.sid), exp });
    const socket = await openSocket(url, { cookie: `access_token=${shortLived}`, origin: ORIGIN });
    expect(socket.frames[0]).toEqual({ type: "ready", data: { authenticated: true } });
    const closed = await Promise.race([socket.closed, Bun.sleep(5_000).then(() => undefined)]);
    expect(closed?.code).toBe(CLOSE.sessionEnded);
    // Closed when the token ran out, not before (exp is in whole seconds).
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000 - 50);
    // The session itself is untouched: the app's own token still opens a socket.
    const again = await openSocket(url, { cookie: `access_token=${issued}`, origin: ORIGIN });
    again.ws.close();
  });

  test("shutdown closes every socket with 1001", async () => {
    const other = await createTestApp({ PRICE_TICK_MS: "100" });
    const socket = await openSocket(listen(other));
    other.app.decorator.runtime.hub.closeAll();
    expect((await socket.closed).code).toBe(CLOSE.goingAway);
    await other.dispose();
  });
});

describe("slow consumers", () => {
  /** A plain TCP connection upgraded to a WebSocket by hand: a client that reads only when the test says so. */
  async function upgradedTcpSocket(socketUrl: string) {
    const port = Number(new URL(socketUrl).port);
    const socket = createConnection({ host: "127.0.0.1", port });
    await once(socket, "connect");
    socket.write(
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    const [answer] = (await once(socket, "data")) as [Buffer];
    expect(answer.toString()).toStartWith("HTTP/1.1 101");
    return socket;
  }

  test("a real client that stops reading: its server-side buffer stays bounded while prices keep coming", async () => {
    const own = await createTestApp({ PRICE_TICK_MS: "3600000" });
    const socket = await upgradedTcpSocket(listen(own));
    // A client frame is masked (RFC 6455): subscribe to prices, then never read again.
    const subscribe = Buffer.from('{"op":"subscribe","topics":["prices"]}');
    const mask = [7, 7, 7, 7];
    socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | subscribe.length, ...mask]), subscribe.map((b) => b ^ 7)]));
    await Bun.sleep(200);
    socket.pause();

    const hub = own.app.decorator.runtime.hub;
    const buffered = async () => (await own.deps.metrics.wsBufferedBytesMax.get()).values[0]?.value ?? 0;
    let largest = 0;
    let round = 0;
    // Bounded: at most 3,000 rounds of 10 ms. The kernel's buffers fill first, then the server's.
    for (; round < 3000 && largest <= SLOW_BUFFER_BYTES; round++) {
      for (let i = 0; i < 20; i++)
        hub.broadcastPrices([tick("BTC", `${60000 + round}.${i}`), tick("ETH", `${3000 + round}.${i}`)]);
      await Bun.sleep(10);
      largest = Math.max(largest, await buffered());
    }
    expect(largest).toBeGreaterThan(SLOW_BUFFER_BYTES);
    // From here the socket is conflated: another second of ticks hardly grows what it holds. (Not at all while
    // the kernel's buffers stay full; but the client's may grow, take a little, and let a little more in.)
    const atConflation = await buffered();
    let liveBytes = 0;
    for (let r = 0; r < 100; r++) {
      for (let i = 0; i < 20; i++) {
        const ticks = [tick("BTC", `${70000 + r}.${i}`), tick("ETH", `${4000 + r}.${i}`)];
        hub.broadcastPrices(ticks);
        liveBytes += ticks.reduce((sum, t) => sum + JSON.stringify(t).length, 0);
      }
      await Bun.sleep(10);
      largest = Math.max(largest, await buffered());
    }
    expect(largest).toBeLessThanOrEqual(MAX_BUFFER_BYTES);
    // Live, the socket would have been sent all of liveBytes (some 400 KB) more.
    expect((await buffered()) - atConflation).toBeLessThan(liveBytes / 10);
    socket.destroy();
    await own.dispose();
  });

  test("a client that stops reading is closed once it leaves a ping unanswered; one that reads stays, whatever the clock", async () => {
    const own = await createTestApp({ PRICE_TICK_MS: "3600000" });
    const socketUrl = listen(own);
    const hub = own.app.decorator.runtime.hub;
    // A raw client that upgrades and then never reads: what it is sent sits in the kernel's buffers.
    const silent = await upgradedTcpSocket(socketUrl);
    silent.pause();
    const reader = await openSocket(socketUrl);
    expect(hub.size).toBe(2);
    const start = Date.now();
    /** Moves the clock to `ms` after the start and lets the hub's watch (every 250 ms) see it. */
    const at = async (ms: number) => {
      setSystemTime(new Date(start + ms));
      await Bun.sleep(600);
    };
    try {
      await at(HEARTBEAT_MS + 1000); // both are pinged; the reader's client answers
      await at(PONG_TIMEOUT_MS - 1000);
      expect(hub.size).toBe(2); // not yet
      await at(PONG_TIMEOUT_MS + HEARTBEAT_MS + 2000);
      expect(hub.size).toBe(1);
      // Read at last, the stream ends with the close frame that says why: 1008 (0x03f0), "not reading".
      const received: Buffer[] = [];
      silent.on("data", (chunk: Buffer) => received.push(chunk));
      silent.resume();
      await Promise.race([once(silent, "end"), Bun.sleep(3000)]);
      const closeFrame = Buffer.concat([Buffer.from([0x88, 13, 0x03, 0xf0]), Buffer.from("not reading")]);
      expect(Buffer.concat(received).includes(closeFrame)).toBe(true);
      // The one left is the reader: it still gets what is sent.
      reader.send({ op: "ping" });
      await reader.next((frame) => frame.type === "pong");
    } finally {
      setSystemTime();
      silent.destroy();
      reader.ws.close();
      await own.dispose();
    }
  });

  /** A socket whose buffered amount the test sets, recording what it is sent. */
  function fakeSocket() {
    const fake = {
      buffered: 0,
      sent: [] as string[],
      topics: new Set<string>(),
      closedWith: undefined as number | undefined,
      readyState: 1,
      getBufferedAmount: () => fake.buffered,
      send(text: string) {
        fake.sent.push(text);
        fake.buffered += text.length;
        return fake.buffered > SLOW_BUFFER_BYTES ? -1 : text.length;
      },
      subscribe: (topic: string) => void fake.topics.add(topic),
      unsubscribe: (topic: string) => void fake.topics.delete(topic),
      close: (code: number) => {
        fake.closedWith = code;
      },
      pings: 0,
      ping() {
        fake.pings += 1;
      },
    };
    return fake;
  }
  const tick = (symbol: string, priceUsd: string) => ({
    symbol,
    priceUsd,
    change24h: "0.00",
    updatedAt: new Date().toISOString(),
    source: "simulated" as const,
  });

  test("a backed-up socket leaves the live topic, gets the latest price per symbol, and is closed if it never drains", async () => {
    const published: string[] = [];
    const hub = new SocketHub(
      fixture.deps.bus,
      async () => ({ role: "user", emailVerified: true, frozen: false }),
      createMetrics(),
      createLogger("silent"),
      Buffer.alloc(32),
    );
    hub.attach({ publish: (_topic: string, text: string) => published.push(text) } as never);
    const fake = fakeSocket();
    const ws = fake as unknown as ServerWebSocket<unknown>;
    hub.open(ws, undefined, "192.0.2.1");
    hub.message(ws, { op: "subscribe", topics: ["prices"] }, (m): m is never => true);
    expect(fake.topics.has("prices")).toBe(true);

    fake.buffered = SLOW_BUFFER_BYTES * 2;
    await Bun.sleep(400);
    expect(fake.topics.has("prices")).toBe(false);
    const sentBefore = fake.sent.length;
    for (let i = 0; i < 10_000; i++) hub.broadcastPrices([tick("BTC", `${60000 + i}.00`), tick("ETH", `${3000 + i}.00`)]);
    // Nothing more was written to the full socket: its memory is bounded by the symbols, not the ticks.
    expect(fake.sent.length).toBe(sentBefore);

    fake.buffered = 0;
    hub.drain(ws);
    const flushed = fake.sent.slice(sentBefore).map((text) => JSON.parse(text).data.priceUsd);
    expect(flushed).toEqual(["69999.00", "12999.00"]);
    await Bun.sleep(400);
    expect(fake.topics.has("prices")).toBe(true);

    fake.buffered = SLOW_BUFFER_BYTES * 2;
    await Bun.sleep(400);
    setSystemTime(new Date(Date.now() + 31_000));
    await Bun.sleep(400);
    setSystemTime();
    expect(fake.closedWith).toBe(CLOSE.policy);
    // Pinged meanwhile (closed for its buffer before PONG_TIMEOUT_MS would have closed it for the ping).
    expect(fake.pings).toBe(1);
    hub.closeAll();
  });
});

describe.if(Boolean(TEST_REDIS_URL))("across instances (Redis)", () => {
  test("a private event committed on one instance reaches the user's socket on another", async () => {
    const database = await createTestDatabase();
    const one = await createTestApp({}, { database });
    const two = await createTestApp({}, { database, redisPrefix: one.redisPrefix });
    const { userId, client } = await signedInUser(one, "cross");
    const socket = await openSocket(listen(two), { cookie: cookieHeader(client), origin: ORIGIN });
    await emit(one, userId, { asset: "ETH", available: "2", held: "0", total: "2" });
    expect((await socket.next((f) => f.type === "balance")).data?.asset).toBe("ETH");
    socket.ws.close();
    await two.dispose();
    await one.dispose();
    await database.dispose();
  });

  test("prices and private events resume after the Redis connections are killed; signed-in sockets hear 'ready' again", async () => {
    const app = await createTestApp({ PRICE_TICK_MS: "100" });
    const { userId, client } = await signedInUser(app, "killed");
    const socket = await openSocket(listen(app), { cookie: cookieHeader(client), origin: ORIGIN });
    socket.send({ op: "subscribe", topics: ["prices"] });
    await socket.next(isPrice);
    const admin = new Redis(TEST_REDIS_URL as string);
    const ids = String(await admin.client("LIST"))
      .split("\n")
      .filter((line) => line.includes(` name=${app.redisPrefix}`))
      .map((line) => /id=(\d+)/.exec(line)?.[1] as string);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    for (const id of ids) await admin.client("KILL", "ID", id);
    admin.disconnect();
    const killedAt = socket.frames.length;

    await socket.next((f, i = socket.frames.indexOf(f)) => isPrice(f) && i >= killedAt, 10_000);
    // Private events published while the bus was away are lost: "ready" again tells the client to refetch.
    const again = await socket.next((f, i = socket.frames.indexOf(f)) => f.type === "ready" && i >= killedAt, 10_000);
    expect(again.data).toEqual({ authenticated: true });
    const deadline = Date.now() + 10_000;
    let delivered = false;
    for (let n = 0; !delivered && Date.now() < deadline; n++) {
      await emit(app, userId, { asset: "BTC", available: String(n), held: "0", total: String(n) }).catch(() => {});
      delivered = await socket
        .next((f) => f.type === "balance", 300)
        .then(
          () => true,
          () => false,
        );
    }
    expect(delivered).toBe(true);
    socket.ws.close();
    await app.dispose();
  });

  test("one leader runs the provider; another instance takes over within 10 s of it dying", async () => {
    const prefix = `cvtest-lease-${process.pid}-${Date.now()}:`;
    const config = testConfig({ REDIS_KEY_PREFIX: prefix, PRICE_TICK_MS: "100" });
    const database = await createTestDatabase();
    const logger = createLogger("silent");
    const lease = { ttlMs: 3000, renewMs: 500 };
    const buses = [new RedisBus(TEST_REDIS_URL as string, prefix), new RedisBus(TEST_REDIS_URL as string, prefix)];
    const markets: Market[] = buses.map((bus) => startMarket({ config, db: database.db, bus, logger }, { lease }));
    const waitUntil = async (condition: () => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!condition() && Date.now() < deadline) await Bun.sleep(50);
      return condition();
    };
    expect(await waitUntil(() => markets.some((m) => m.isLeader()), 3000)).toBe(true);
    await Bun.sleep(1200);
    expect(markets.filter((m) => m.isLeader())).toHaveLength(1);
    const leader = markets.findIndex((m) => m.isLeader());
    const follower = 1 - leader;
    // The follower's cache is fed through the bus.
    expect(markets[follower].cache.isStale()).toBe(false);

    // The leader loses Redis for good (as if its process died): it steps down, the follower takes over.
    const diedAt = Date.now();
    await buses[leader].close();
    expect(await waitUntil(() => markets[follower].isLeader(), 10_000)).toBe(true);
    expect(Date.now() - diedAt).toBeLessThan(10_000);
    expect(markets[leader].isLeader()).toBe(false);
    const takenOverAt = new Date().toISOString();
    expect(await waitUntil(() => (markets[follower].cache.latest("BTC")?.updatedAt ?? "") > takenOverAt, 3000)).toBe(true);

    await Promise.all(markets.map((m) => m.stop()));
    await buses[follower].close();
    await database.dispose();
  });

  test("an instance that starts while another leads has prices at once, not after the leader's next tick", async () => {
    const prefix = `cvtest-wanted-${process.pid}-${Date.now()}:`;
    // One tick a minute: only an answer to the newcomer's request can give it prices within the test.
    const config = testConfig({ REDIS_KEY_PREFIX: prefix, PRICE_TICK_MS: "60000" });
    const database = await createTestDatabase();
    const logger = createLogger("silent");
    const buses = [new RedisBus(TEST_REDIS_URL as string, prefix), new RedisBus(TEST_REDIS_URL as string, prefix)];
    const leader = startMarket({ config, db: database.db, bus: buses[0], logger });
    const waitUntil = async (condition: () => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!condition() && Date.now() < deadline) await Bun.sleep(25);
      return condition();
    };
    expect(await waitUntil(() => leader.cache.latest("BTC") !== undefined, 5000)).toBe(true);
    const newcomer = startMarket({ config, db: database.db, bus: buses[1], logger });
    expect(await waitUntil(() => newcomer.cache.latest("BTC") !== undefined, 3000)).toBe(true);
    expect(newcomer.isLeader()).toBe(false);
    expect(newcomer.cache.latest("BTC")).toEqual(leader.cache.latest("BTC"));
    await Promise.all([leader.stop(), newcomer.stop()]);
    for (const bus of buses) await bus.close();
    await database.dispose();
  });
});
