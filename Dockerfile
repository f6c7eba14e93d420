# CryptoVault: one Bun process serving the API, the WebSocket and the built web app.
#   docker build -t cryptovault .
#   docker run -p 3000:3000 -e DATABASE_URL=... -e JWT_SECRET=... -e COOKIE_SECRET=... cryptovault
# NODE_ENV=production refuses to start without DATABASE_URL, JWT_SECRET and COOKIE_SECRET (see README.md).

# ---- build: every dependency, then the web app into web/dist ----
FROM oven/bun:1.4.5 AS build
WORKDIR /app
COPY package.json bun.lock ./
# patches/ fixes postgres.js (a transaction's BEGIN could run unreserved under load): applied by bun install.
COPY patches ./patches
RUN bun install --frozen-lockfile
COPY . .
RUN bun run build

# ---- runtime: production dependencies, the server source, migrations and the built web app ----
FROM oven/bun:1.4.5-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production PORT=3000 DATA_DIR=/app/data
COPY package.json bun.lock ./
COPY patches ./patches
RUN bun install --frozen-lockfile --production && rm -rf /root/.bun/install/cache
COPY src ./src
COPY drizzle ./drizzle
COPY --from=build /app/web/dist ./web/dist
# DATA_DIR must be writable by the unprivileged user (only used without DATABASE_URL, i.e. never in production).
RUN mkdir -p /app/data && chown bun:bun /app/data
USER bun
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD bun -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# `bun run start` forwards SIGTERM to the server, which drains in-flight requests for up to 10 s and exits 0;
# give `docker stop` more than that: `docker stop -t 20`.
CMD ["bun", "run", "start"]
