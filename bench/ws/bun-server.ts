/** Baseline: a bare Bun broadcast server (Bun.serve + server.publish), the same frames and rate. */
import { priceFrame, SYMBOLS, TICK_MS } from "./frames";

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: (request, srv) => (srv.upgrade(request) ? undefined : new Response("upgrade", { status: 400 })),
  websocket: {
    open: (ws) => {
      ws.subscribe("prices");
    },
    message: () => {},
  },
});
setInterval(() => {
  for (const symbol of SYMBOLS) server.publish("prices", priceFrame(symbol));
}, TICK_MS);
console.log(JSON.stringify({ port: server.port }));
