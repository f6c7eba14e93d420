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
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}
