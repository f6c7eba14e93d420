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

/**
 * A WebSocket client on a raw TCP socket: the handshake by hand, then frames are counted straight from the
 * bytes. A browser-style client pays for an event object per message and caps one core near 100K msgs/s,
 * which would measure the generator instead of the server.
 */
function openWs(index: number): Promise<void> {
  const sampled = index % SAMPLE_EVERY === 0;
  return new Promise((resolve, reject) => {
    let buffer: Buffer = Buffer.alloc(0);
    let upgraded = false;
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socket.write(
            `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
          );
          clients.push({ close: () => socket.end() });
        },
        data(socket, chunk) {
          buffer = buffer.length ? Buffer.concat([buffer, chunk]) : Buffer.from(chunk);
          if (!upgraded) {
            const end = buffer.indexOf("\r\n\r\n");
            if (end < 0) return;
            if (!buffer.subarray(0, 12).toString().includes("101")) return reject(new Error(`client ${index} refused`));
            upgraded = true;
            buffer = buffer.subarray(end + 4);
            if (kind === "cryptovault") socket.write(maskedFrame(1, Buffer.from('{"op":"subscribe","topics":["prices"]}')));
            resolve();
          }
          buffer = readFrames(buffer, (opcode, payload) => {
            if (opcode === 9) socket.write(maskedFrame(10, payload)); // answer pings, as a browser does
            if (opcode !== 1 || !measuring) return;
            if (payload[9] !== 112) return; // {"type":"price"… — anything else is not counted
            if (!sampled) return record(false, () => "");
            const frame = JSON.parse(payload.toString());
            record(true, () => frame.data.updatedAt);
          });
        },
        error: () => reject(new Error(`client ${index} failed`)),
      },
    }).catch(reject);
  });
}

/** Calls `onFrame` for each complete server frame (unmasked) in `buffer`; returns the incomplete rest. */
function readFrames(buffer: Buffer, onFrame: (opcode: number, payload: Buffer) => void): Buffer {
  let offset = 0;
  while (buffer.length - offset >= 2) {
    const opcode = buffer[offset] & 0x0f;
    let length = buffer[offset + 1] & 0x7f;
    let header = 2;
    if (length === 126) {
      if (buffer.length - offset < 4) break;
      length = buffer.readUInt16BE(offset + 2);
      header = 4;
    } else if (length === 127) {
      if (buffer.length - offset < 10) break;
      length = Number(buffer.readBigUInt64BE(offset + 2));
      header = 10;
    }
    if (buffer.length - offset < header + length) break;
    onFrame(opcode, buffer.subarray(offset + header, offset + header + length));
    offset += header + length;
  }
  return offset === 0 ? buffer : buffer.subarray(offset);
}

/** A client frame: always masked (RFC 6455); payloads here are short. */
function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const header = Buffer.from([0x80 | opcode, 0x80 | payload.length]);
  const body = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]));
  return Buffer.concat([header, mask, body]);
}

let failedClients = 0;

/** Socket.IO cannot take every client at the larger sizes; those it refuses are counted, not fatal. */
function openSocketIo(index: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = io(`http://127.0.0.1:${port}`, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      timeout: 60_000,
    });
    const sampled = index % SAMPLE_EVERY === 0;
    socket.on("connect", () => resolve());
    socket.on("connect_error", () => {
      failedClients++;
      resolve();
    });
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
    connected: count - failedClients,
    connectMs,
    messagesPerSecond: Math.round(received / seconds),
    p50: pct(0.5),
    p99: pct(0.99),
    samples: latencies.length,
  }),
);
for (const client of clients) client.close();
process.exit(0);
