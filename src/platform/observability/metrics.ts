import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** One registry per app instance, so two apps in one test process never share counters. */
export function createMetrics() {
  const registry = new Registry();
  // prom-client's default Node metrics read V8 internals that Bun reports wrongly ("Nan"); these two are true.
  new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes",
    registers: [registry],
    collect() {
      this.set(process.memoryUsage().rss);
    },
  });
  new Gauge({
    name: "process_uptime_seconds",
    help: "Seconds since the process started",
    registers: [registry],
    collect() {
      this.set(process.uptime());
    },
  });
  return {
    registry,
    httpRequests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests answered, by method, matched route and status",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "Time from receiving a request to answering it",
      labelNames: ["method", "route"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    wsConnections: new Gauge({
      name: "ws_connections",
      help: "Open WebSocket connections on this instance",
      registers: [registry],
    }),
    wsBufferedBytesMax: new Gauge({
      name: "ws_buffered_bytes_max",
      help: "Largest send buffer among this instance's WebSockets: a slow client shows here first",
      registers: [registry],
    }),
    ledgerTransfers: new Counter({
      name: "ledger_transfers_total",
      help: "Ledger transfers posted by this instance",
      registers: [registry],
    }),
    integrityProblems: new Gauge({
      name: "integrity_check_problems",
      help: "Problems the last scheduled check found (check: ledger or audit), whichever instance ran it; alert above 0",
      labelNames: ["check"] as const,
      registers: [registry],
    }),
    integrityCheckedAt: new Gauge({
      name: "integrity_check_timestamp_seconds",
      help: "When the last scheduled check (check: ledger or audit) began, in Unix seconds; alert when it is too old",
      labelNames: ["check"] as const,
      registers: [registry],
    }),
    mailSent: new Counter({
      name: "mail_sent_total",
      help: "Mails this instance handed to the mail transport",
      registers: [registry],
    }),
    mailFailed: new Counter({
      name: "mail_failed_total",
      help: "Mails given up: refused by the SMTP server (5xx), or still failing after a day of retries",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
