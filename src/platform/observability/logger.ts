import type { LogLevel } from "../../config";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, unknown>;
export type Logger = {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
};

/** One JSON object per line on stdout, the shape log collectors ingest without configuration. */
export function createLogger(level: LogLevel, write: (line: string) => void = (line) => process.stdout.write(line)) {
  const threshold = RANK[level];
  const log =
    (lvl: Exclude<LogLevel, "silent">) =>
    (msg: string, fields: LogFields = {}) => {
      if (RANK[lvl] < threshold) return;
      write(`${JSON.stringify({ level: lvl, time: new Date().toISOString(), msg, ...fields }, jsonSafe)}\n`);
    };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") } satisfies Logger;
}

/** Errors lose their fields in JSON.stringify and bigints throw; keep both readable. */
function jsonSafe(_key: string, value: unknown) {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) {
    const error = withoutQueryParams(value);
    return { name: error.name, message: error.message, stack: error.stack, cause: (error.cause as Error | undefined)?.message };
  }
  return value;
}

/**
 * A failed query's error (Drizzle's) names its parameters in its message and stack: user data such as emails,
 * password hashes or mail bodies with reset links. Logs and error reports keep its SQL and cause, not them.
 */
export function withoutQueryParams<E>(error: E): E | Error {
  if (!(error instanceof Error) || !("query" in error) || !("params" in error)) return error;
  const safe = new Error(`Failed query: ${String(error.query)}`, { cause: error.cause });
  safe.name = error.name;
  safe.stack = error.stack?.replace(error.message, safe.message);
  return safe;
}
