// Baseline: a minimal Socket.IO 4 broadcast server on Node, the same frames and rate.
import { createServer } from "node:http";
import { Server } from "socket.io";

const SYMBOLS = ["BTC", "ETH", "SOL", "USDT"];
const http = createServer();
const io = new Server(http, { transports: ["websocket"] });
http.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: http.address().port })));
setInterval(() => {
  for (const symbol of SYMBOLS) {
    io.emit("price", {
      symbol,
      priceUsd: "65000.00",
      change24h: "0.00",
      updatedAt: new Date().toISOString(),
      source: "simulated",
    });
  }
}, 100);
