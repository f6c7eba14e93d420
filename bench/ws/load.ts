/**
 * The load generator: opens N clients to one server, subscribes them to prices, and for MEASURE_MS counts
 * every message and samples publish-to-receive latency (from the frame's updatedAt) on one client in 20.
 * Prints one JSON line. Run pinned to its own core.
 */
import { io } from "socket.io-client";

const [kind, portText, countText, measureText] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const measureMs = Number(measureText);
const CONNECT_BATCH = 500;
const SAMPLE_EVERY = 20;

let received = 0;
let measuring = false;
const latencies: number[] = [];
const record = (sampled: boolean, updatedAt: () => string) => {
  if (!measuring) return;
  received++;
  if (sampled) latencies.push(Date.now() - Date.parse(updatedAt()));
};

type Closable = { close(): void };
const clients: Closable[] = [];

function openWs(index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    const sampled = index % SAMPLE_EVERY === 0;
    ws.onopen = () => {
      if (kind === "cryptovault") ws.send('{"op":"subscribe","topics":["prices"]}');
      resolve();
    };
    ws.onerror = () => reject(new Error(`client ${index} failed`));
    ws.onmessage = (event) => {
      if (!measuring) return;
      const text = event.data as string;
      if (!sampled) {
        if (text.charCodeAt(9) === 112) record(false, () => ""); // {"type":"price"…: count without parsing
        return;
      }
      const frame = JSON.parse(text);
      if (frame.type === "price") record(true, () => frame.data.updatedAt);
    };
    clients.push(ws);
  });
}

function openSocketIo(index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = io(`http://127.0.0.1:${port}`, { transports: ["websocket"], reconnection: false, forceNew: true });
    const sampled = index % SAMPLE_EVERY === 0;
    socket.on("connect", () => resolve());
    socket.on("connect_error", reject);
    socket.on("price", (data: { updatedAt: string }) => record(sampled, () => data.updatedAt));
    clients.push(socket);
  });
}

const open = kind === "socketio" ? openSocketIo : openWs;
const connectStarted = Date.now();
for (let start = 0; start < count; start += CONNECT_BATCH) {
  const batch = [];
  for (let i = start; i < Math.min(count, start + CONNECT_BATCH); i++) batch.push(open(i));
  await Promise.all(batch);
}
const connectMs = Date.now() - connectStarted;
await Bun.sleep(1000);
measuring = true;
const startedAt = performance.now();
await Bun.sleep(measureMs);
measuring = false;
const seconds = (performance.now() - startedAt) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? null;
console.log(
  JSON.stringify({
    clients: count,
    connectMs,
    messagesPerSecond: Math.round(received / seconds),
    p50: pct(0.5),
    p99: pct(0.99),
    samples: latencies.length,
  }),
);
for (const client of clients) client.close();
process.exit(0);
