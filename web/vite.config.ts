import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";
import { initialJsReport } from "./initial-js.ts";
import { precompress } from "./precompress.ts";

/**
 * The web app is built by Vite because Bun cannot compile Solid's JSX (it needs babel-preset-solid, which
 * vite-plugin-solid runs). `bun run build` writes web/dist, which the API serves with its CSP.
 * In development (`bun run dev`) this dev server proxies the API, the platform endpoints and the socket.
 */
const apiPort = process.env.PORT ?? "3000";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [solid(), initialJsReport(), precompress()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
  },
  server: {
    proxy: {
      "/api": `http://localhost:${apiPort}`,
      "/health": `http://localhost:${apiPort}`,
      "/ready": `http://localhost:${apiPort}`,
      "/ws": { target: `ws://localhost:${apiPort}`, ws: true },
    },
  },
});
