/** A WebSocket client for tests: collects frames, waits for one that matches, reports how it closed. */
import type { createTestApp } from "./harness";

type Fixture = Awaited<ReturnType<typeof createTestApp>>;
export type Frame = { type: string; id?: string; data?: Record<string, unknown> };

/** Makes the app listen on a free loopback port (once) and returns its ws:// URL. */
export function listen(fixture: Fixture): string {
  if (!fixture.app.server) fixture.app.listen({ port: 0, hostname: "127.0.0.1" });
  return `ws://127.0.0.1:${fixture.app.server?.port}/ws`;
}

export type TestSocket = Awaited<ReturnType<typeof openSocket>>;

export async function openSocket(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers } as unknown as string[]);
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  ws.onmessage = (event) => {
    frames.push(JSON.parse(String(event.data)));
    for (const wake of waiters) wake();
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.onclose = (event) => resolve({ code: event.code, reason: event.reason });
  });
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("socket did not open"));
  });
  /** Resolves with the first frame (seen or to come) matching `match`; rejects after `ms`. */
  const next = (match: (frame: Frame) => boolean, ms = 5000) =>
    new Promise<Frame>((resolve, reject) => {
      const check = () => {
        const found = frames.find(match);
        if (!found) return false;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching frame within ${ms} ms; got ${JSON.stringify(frames.slice(-5))}`));
      }, ms);
      if (!check()) waiters.add(check);
    });
  const send = (value: unknown) => ws.send(typeof value === "string" ? value : JSON.stringify(value));
  await next((frame) => frame.type === "ready");
  return { ws, frames, next, send, closed };
}

/** The Cookie header a browser would send to /ws for this signed-in client. */
export function cookieHeader(client: { cookie(name: string): string | undefined }): string {
  return `access_token=${client.cookie("access_token")}`;
}

export const ORIGIN = "http://localhost:3000";
