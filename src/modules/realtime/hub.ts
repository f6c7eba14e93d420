/**
 * Every socket of this instance and what it receives. Prices go out through Bun's native topic publish
 * (one call reaches every subscriber); a socket that falls behind is taken off the topic and gets the
 * latest price per symbol when it drains, so a slow client costs at most one frame per symbol. Private
 * events arrive from the bus on `user:<id>` and go to that user's sockets only.
 */
import { createHmac } from "node:crypto";
import type { Server, ServerWebSocket } from "bun";
import type { Bus, Unsubscribe } from "../../platform/bus";
import { type PublishedEvent, userChannel } from "../../platform/events/relay";
import type { SessionResolver } from "../../platform/http/auth";
import type { Logger } from "../../platform/observability/logger";
import type { Metrics } from "../../platform/observability/metrics";
import type { PriceTick } from "../market/model";
import type { ClientFrame } from "./model";
import type { SocketOwner } from "./service";

/** Over this many buffered bytes a socket leaves the live price topic for conflated delivery. */
export const SLOW_BUFFER_BYTES = 64 * 1024;
/** Bun closes a socket past this (the hard bound on a socket's memory). */
export const MAX_BUFFER_BYTES = 1024 * 1024;
/** A socket that stays over SLOW_BUFFER_BYTES this long is closed: it is not reading. */
export const SLOW_CLOSE_MS = 30_000;
/** How often backpressure is sampled. */
const WATCH_MS = 250;
/**
 * Every socket is pinged this often. Its pong proves the client read everything sent before the ping: a client
 * that stops reading leaves what it is sent in the kernel's buffers (megabytes a socket, which the server's own
 * buffer never sees), and Bun's idle timeout never fires while we keep sending.
 */
export const HEARTBEAT_MS = 15_000;
/** A socket that has not answered a ping for this long is not reading, or reads too slowly to keep up: closed. */
export const PONG_TIMEOUT_MS = 45_000;
/** Client frames per second answered normally; past it an error frame, past ABUSE_PER_SECOND the socket closes. */
export const FRAMES_PER_SECOND = 20;
const ABUSE_PER_SECOND = 100;

export const CLOSE = { goingAway: 1001, policy: 1008, sessionEnded: 4001 } as const;

type Socket = ServerWebSocket<unknown>;
type SocketState = {
  ws: Socket;
  owner: SocketOwner | undefined;
  /** The client's address: anonymous sockets are counted per address (WS_ANONYMOUS_SOCKETS_PER_ADDRESS). */
  address: string;
  prices: "off" | "live" | "conflated";
  /** Conflated mode: the latest frame per symbol not yet sent. */
  pending: Map<string, string>;
  slowSince: number;
  /** When the client last answered a ping (the socket's opening counts as one), and when it was last pinged. */
  pongAt: number;
  pingedAt: number;
  windowStart: number;
  frames: number;
  expiry: ReturnType<typeof setTimeout> | undefined;
};

const frame = (type: string, data?: unknown, id?: string) =>
  JSON.stringify(id === undefined ? { type, data } : { type, id, data });
const errorFrame = (code: string, message: string) => frame("error", { code, message });

/**
 * The id a client dedupes a private event by: opaque, since the outbox's own ids count every user's events
 * and would tell any user how busy the platform is. The same event under the same key keeps its id.
 */
export const clientEventId = (key: Buffer, outboxId: number) =>
  createHmac("sha256", key).update(String(outboxId)).digest("base64url").slice(0, 22);

export class SocketHub {
  private server: Server<unknown> | undefined;
  private readonly sockets = new Map<Socket, SocketState>();
  private readonly byUser = new Map<string, Set<SocketState>>();
  private readonly anonymousByAddress = new Map<string, number>();
  private readonly userSubscriptions = new Map<string, Promise<Unsubscribe>>();
  private readonly latestFrames = new Map<string, string>();
  private readonly watcher: ReturnType<typeof setInterval>;

  /**
   * `eventIdKey` keys the events' ids as clients see them. Every instance derives the same one from the
   * configuration, so an event keeps its id whichever instance delivers it (a client that reconnected
   * elsewhere, or an event relayed again after a restart, is still recognised).
   */
  constructor(
    private readonly bus: Bus,
    private readonly resolveSession: SessionResolver,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly eventIdKey: Buffer,
  ) {
    this.watcher = setInterval(() => this.watchBackpressure(), WATCH_MS);
    // The bus (re)connected: private events published while it was away never came. "ready" again tells each
    // signed-in socket to refetch what it shows, as after its own reconnect.
    bus.onResubscribed(() => {
      for (const state of this.sockets.values()) {
        if (state.owner && state.ws.readyState === 1) state.ws.send(frame("ready", { authenticated: true }));
      }
    });
  }

  get size(): number {
    return this.sockets.size;
  }

  /** The listening server, whose native publish reaches every subscriber of a topic. */
  attach(server: Server<unknown>): void {
    this.server = server;
  }

  /** How many anonymous sockets this address holds open. */
  anonymousFrom(address: string): number {
    return this.anonymousByAddress.get(address) ?? 0;
  }

  open(ws: Socket, owner: SocketOwner | undefined, address: string): void {
    const now = Date.now();
    const state: SocketState = {
      ws,
      owner,
      address,
      prices: "off",
      pending: new Map(),
      slowSince: 0,
      pongAt: now,
      pingedAt: now,
      windowStart: now,
      frames: 0,
      expiry: undefined,
    };
    this.sockets.set(ws, state);
    this.metrics.wsConnections.inc();
    if (!owner) {
      this.anonymousByAddress.set(address, (this.anonymousByAddress.get(address) ?? 0) + 1);
      ws.send(frame("ready", { authenticated: false }));
      return;
    }
    // The socket's authority ends with its access token; the client reconnects with a fresh one.
    state.expiry = setTimeout(() => ws.close(CLOSE.sessionEnded, "access token expired"), owner.expiresAt - Date.now());
    ws.subscribe(userChannel(owner.userId));
    const own = this.byUser.get(owner.userId) ?? new Set();
    own.add(state);
    this.byUser.set(owner.userId, own);
    let subscription = this.userSubscriptions.get(owner.userId);
    if (!subscription) {
      const channel = userChannel(owner.userId);
      subscription = this.bus.subscribe(channel, (message) =>
        this.deliverPrivate(channel, owner.userId, message as PublishedEvent),
      );
      this.userSubscriptions.set(owner.userId, subscription);
    }
    // "ready" once private events flow: a client refetches its state then, covering anything it missed offline.
    subscription.then(
      () => ws.readyState === 1 && ws.send(frame("ready", { authenticated: true })),
      (error) => this.logger.warn("private channel subscribe failed", { error: (error as Error).message }),
    );
  }

  close(ws: Socket): void {
    const state = this.sockets.get(ws);
    if (!state) return;
    this.sockets.delete(ws);
    this.metrics.wsConnections.dec();
    clearTimeout(state.expiry);
    const owner = state.owner;
    if (!owner) {
      const left = (this.anonymousByAddress.get(state.address) ?? 1) - 1;
      if (left > 0) this.anonymousByAddress.set(state.address, left);
      else this.anonymousByAddress.delete(state.address);
      return;
    }
    const own = this.byUser.get(owner.userId);
    own?.delete(state);
    if (own?.size) return;
    this.byUser.delete(owner.userId);
    const subscription = this.userSubscriptions.get(owner.userId);
    this.userSubscriptions.delete(owner.userId);
    void subscription?.then((stop) => stop()).catch(() => {});
  }

  /** The client answered a ping: it has read everything sent before it. */
  pong(ws: Socket): void {
    const state = this.sockets.get(ws);
    if (state) state.pongAt = Date.now();
  }

  message(ws: Socket, message: unknown, valid: (message: unknown) => message is ClientFrame): void {
    const state = this.sockets.get(ws);
    if (!state) return;
    const now = Date.now();
    if (now - state.windowStart >= 1000) {
      state.windowStart = now;
      state.frames = 0;
    }
    state.frames += 1;
    if (state.frames > ABUSE_PER_SECOND) {
      ws.close(CLOSE.policy, "too many messages");
      return;
    }
    if (state.frames > FRAMES_PER_SECOND) {
      if (state.frames === FRAMES_PER_SECOND + 1) {
        ws.send(errorFrame("RATE_LIMITED", `More than ${FRAMES_PER_SECOND} messages a second; slow down`));
      }
      return;
    }
    if (typeof message !== "object" || message === null) {
      ws.send(errorFrame("MALFORMED_REQUEST", "A frame must be a JSON object"));
      return;
    }
    if (!valid(message)) {
      ws.send(errorFrame("VALIDATION_FAILED", 'Expected {"op":"subscribe"|"unsubscribe","topics":["prices"]} or {"op":"ping"}'));
      return;
    }
    if (message.op === "ping") {
      ws.send(frame("pong"));
    } else if (message.op === "subscribe" && state.prices === "off") {
      state.prices = "live";
      ws.subscribe("prices");
      // The current prices at once, so a new page need not wait for the next tick.
      for (const latest of this.latestFrames.values()) ws.send(latest);
    } else if (message.op === "unsubscribe" && state.prices !== "off") {
      state.prices = "off";
      state.pending.clear();
      ws.unsubscribe("prices");
    }
  }

  /** Bun says the socket's buffer has room again: send what conflation held back. */
  drain(ws: Socket): void {
    const state = this.sockets.get(ws);
    if (state?.prices === "conflated") this.flush(state);
  }

  broadcastPrices(ticks: PriceTick[]): void {
    for (const tick of ticks) {
      const text = frame("price", tick);
      this.latestFrames.set(tick.symbol, text);
      this.server?.publish("prices", text);
    }
    for (const state of this.sockets.values()) {
      if (state.prices !== "conflated") continue;
      for (const tick of ticks) state.pending.set(tick.symbol, this.latestFrames.get(tick.symbol) as string);
      this.flush(state);
    }
  }

  /** Ends every socket with 1001 (going away): the shutdown path, before the database closes. */
  closeAll(code: number = CLOSE.goingAway, reason = "server shutting down"): void {
    clearInterval(this.watcher);
    this.server = undefined;
    for (const ws of [...this.sockets.keys()]) ws.close(code, reason);
  }

  private deliverPrivate(channel: string, userId: string, event: PublishedEvent): void {
    this.server?.publish(channel, frame(event.type, event.data, clientEventId(this.eventIdKey, event.id)));
    // A security change may have ended a session: sockets of a dead session close at once.
    if (event.type === "security") void this.recheckSessions(userId);
  }

  private async recheckSessions(userId: string): Promise<void> {
    for (const state of this.byUser.get(userId) ?? []) {
      const owner = state.owner as SocketOwner;
      try {
        const live = await this.resolveSession({ sub: owner.userId, sid: owner.sessionId });
        if (!live) state.ws.close(CLOSE.sessionEnded, "session ended");
      } catch (error) {
        this.logger.warn("socket session check failed", { error: (error as Error).message });
      }
    }
  }

  private flush(state: SocketState): void {
    for (const [symbol, text] of state.pending) {
      if (state.ws.getBufferedAmount() > SLOW_BUFFER_BYTES) return;
      state.pending.delete(symbol);
      if (state.ws.send(text) === -1) return;
    }
  }

  /**
   * Moves sockets between the live topic and conflated delivery as their buffers fill and empty, and
   * closes one that has stopped reading.
   */
  private watchBackpressure(): void {
    const now = Date.now();
    let largest = 0;
    for (const state of this.sockets.values()) {
      if (!this.heartbeat(state, now) || state.prices === "off") continue;
      const buffered = state.ws.getBufferedAmount();
      largest = Math.max(largest, buffered);
      if (buffered <= SLOW_BUFFER_BYTES) {
        state.slowSince = 0;
        if (state.prices === "conflated") {
          this.flush(state);
          if (state.pending.size === 0) {
            state.prices = "live";
            state.ws.subscribe("prices");
          }
        }
        continue;
      }
      if (state.prices === "live") {
        state.prices = "conflated";
        state.ws.unsubscribe("prices");
      }
      state.slowSince ||= now;
      if (now - state.slowSince > SLOW_CLOSE_MS) {
        this.logger.info("socket closed: too slow", this.describe(state));
        state.ws.close(CLOSE.policy, "too slow");
      }
    }
    this.metrics.wsBufferedBytesMax.set(largest);
  }

  /**
   * Pings a socket every HEARTBEAT_MS; false, after closing it, when it left a ping unanswered for PONG_TIMEOUT_MS.
   * The close frame (1008) queues behind what the client has not read: one that reads, only too slowly, learns
   * why; one that never reads never sees it, and the kernel drops what it still holds by its own timeouts
   * (Bun offers no way to reset a connection outright).
   */
  private heartbeat(state: SocketState, now: number): boolean {
    if (now - state.pongAt > PONG_TIMEOUT_MS) {
      this.logger.info("socket closed: not reading", this.describe(state));
      state.ws.close(CLOSE.policy, "not reading");
      return false;
    }
    if (now - state.pingedAt >= HEARTBEAT_MS) {
      state.pingedAt = now;
      state.ws.ping();
    }
    return true;
  }

  /** Whose socket, for the log: a signed-in user's id, or an anonymous client's address. */
  private describe(state: SocketState) {
    return { userId: state.owner?.userId ?? null, address: state.address, bufferedBytes: state.ws.getBufferedAmount() };
  }
}
