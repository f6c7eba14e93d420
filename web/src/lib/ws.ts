/**
 * The one WebSocket of the web app (API.md, WebSocket): opened on first use, shared by every page,
 * reconnected with capped exponential backoff and jitter. Topics are re-subscribed after a reconnect.
 * Private events carry an id; one seen before (at-least-once delivery) is dropped here. Events missed while
 * the socket (or the server's bus) was down are not sent again: pages refetch on `onResync`.
 */
import { createSignal } from "solid-js";
import { api, likelySignedIn } from "./api";

export type ConnectionState = "connecting" | "open" | "closed";
export type ServerFrame = { type: string; id?: string; data?: unknown };
type Listener = (frame: ServerFrame) => void;

const [state, setState] = createSignal<ConnectionState>("closed");
export const connectionState = state;

const listeners = new Map<string, Set<Listener>>();
const topics = new Map<string, number>();
const seenIds = new Set<string>();
/** The server says "ready" once private events flow; every "ready" after the first follows a gap. */
let readyBefore = false;
let socket: WebSocket | undefined;
let attempts = 0;
let timer: ReturnType<typeof setTimeout> | undefined;

/** Close codes after which the access token must be refreshed before trying again. */
const SESSION_ENDED = 4001;

function send(frame: unknown) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
}

/** Sign-ins of an anonymous socket in a row; past this, the socket stays as it is until the next sign-in. */
const MAX_SIGN_IN_ATTEMPTS = 2;
let signInAttempts = 0;

/**
 * The socket came up anonymous although this browser is signed in: it reconnected after its access cookie had
 * expired (a laptop asleep, a long network loss, a server restart). An anonymous socket gets no private events
 * and never ends by itself, so the page would say "Live" and show none of the user's. The session is refreshed
 * (the API client does it on 401) and the socket replaced by a signed-in one.
 */
async function signInSocket(ws: WebSocket) {
  signInAttempts++;
  const signedIn = await api.get("/api/auth/me").then(
    () => true,
    () => false,
  );
  if (signedIn && socket === ws && likelySignedIn()) reconnectForSession();
}

function dispatch(frame: ServerFrame, from?: WebSocket) {
  if (frame.type === "ready") {
    const authenticated = (frame.data as { authenticated?: boolean } | undefined)?.authenticated;
    if (authenticated) signInAttempts = 0;
    const signingIn = !authenticated && from !== undefined && likelySignedIn() && signInAttempts < MAX_SIGN_IN_ATTEMPTS;
    // The signed-in socket's own "ready" follows: pages refetch once, then.
    if (signingIn) void signInSocket(from);
    else if (readyBefore) dispatch({ type: "resync" });
    readyBefore = true;
  }
  if (typeof frame.id === "string") {
    if (seenIds.has(frame.id)) return;
    seenIds.add(frame.id);
    if (seenIds.size > 1000) seenIds.delete(seenIds.values().next().value as string);
  }
  for (const listener of listeners.get(frame.type) ?? []) listener(frame);
}

function connect() {
  clearTimeout(timer);
  setState("connecting");
  const url = new URL("/ws", location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(url);
  socket = ws;
  let opened = false;
  ws.onopen = () => {
    opened = true;
    attempts = 0;
    setState("open");
    if (topics.size) send({ op: "subscribe", topics: [...topics.keys()] });
  };
  ws.onmessage = (event) => {
    try {
      dispatch(JSON.parse(String(event.data)) as ServerFrame, ws);
    } catch {
      // Not ours to show; the next frame will do.
    }
  };
  ws.onclose = async (event) => {
    if (socket !== ws) return;
    setState("closed");
    // A refused upgrade or an ended token: refresh the session (the API client does it on 401), then retry.
    if ((event.code === SESSION_ENDED || !opened) && likelySignedIn()) await api.get("/api/auth/me").catch(() => undefined);
    const wait = Math.random() * Math.min(30_000, 500 * 2 ** attempts++);
    timer = setTimeout(connect, wait);
  };
}

/**
 * The session changed (sign-in, sign-out, another account): the socket authenticated at its upgrade speaks for
 * whoever was signed in then, so an open one is replaced by a fresh one (topics are re-subscribed on open).
 */
export function reconnectForSession() {
  const old = socket;
  if (!old) return;
  attempts = 0;
  connect();
  old.close();
}

function ensureConnected() {
  if (!socket) connect();
}

/** Listens to one frame type; returns the unsubscribe. */
export function onFrame(type: string, listener: Listener): () => void {
  ensureConnected();
  const set = listeners.get(type) ?? new Set();
  set.add(listener);
  listeners.set(type, set);
  return () => set.delete(listener);
}

/**
 * Calls `listener` when live events may have been missed (the socket reconnected, or the server's bus did):
 * whatever a page keeps up to date from frames should be fetched again. Returns the unsubscribe.
 */
export function onResync(listener: () => void): () => void {
  return onFrame("resync", listener);
}

/** Subscribes to a public topic while at least one caller needs it; returns the release. */
export function useTopic(topic: string): () => void {
  ensureConnected();
  const count = topics.get(topic) ?? 0;
  topics.set(topic, count + 1);
  if (count === 0) send({ op: "subscribe", topics: [topic] });
  return () => {
    const left = (topics.get(topic) ?? 1) - 1;
    if (left > 0) return void topics.set(topic, left);
    topics.delete(topic);
    send({ op: "unsubscribe", topics: [topic] });
  };
}
