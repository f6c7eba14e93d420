/**
 * Why the server or a CLI command could not start, in one line an operator can act on: a bad setting, the
 * database DATABASE_URL names being out of reach, an unusable DATA_DIR. Anything else is a bug and keeps its stack.
 */
import { sep } from "node:path";
import { type Config, ConfigError, dataDirError } from "./config";
import { DatabaseInUseError } from "./platform/db/data-dir-lock";

type CodedError = Error & { code?: string; path?: string; syscall?: string };

/** The line that explains `error`, or undefined when it is no known configuration or connection problem. */
export function startupProblem(error: unknown, config?: Config): string | undefined {
  if (error instanceof ConfigError) return configurationError(error);
  if (error instanceof DatabaseInUseError) return error.message;
  const cause = codedCause(error);
  if (!config || !cause) return undefined;
  if (config.databaseUrl) return databaseProblem(cause, new URL(config.databaseUrl));
  if (cause.code === "42P01")
    return `DATA_DIR: the embedded database in ${config.dataDir} lacks CryptoVault's tables (${cause.message}); run \`bun run cli migrate\`, or set DATA_DIR as the server has it`;
  // A file-system call on a path in DATA_DIR: creating the embedded database's directory or its lock.
  if (cause.syscall && cause.path && isInside(cause.path, config.dataDir))
    return configurationError(dataDirError(config.dataDir, cause));
  return undefined;
}

const isInside = (path: string, dir: string) => path === dir || path.startsWith(`${dir}${sep}`);

const configurationError = (error: ConfigError) => `Configuration error: ${error.message}`;

/** The driver's own error, which Drizzle wraps (as `cause`) in one naming the query. */
function codedCause(error: unknown): CodedError | undefined {
  for (let e = error; e instanceof Error; e = e.cause) if (typeof (e as CodedError).code === "string") return e as CodedError;
  return undefined;
}

/**
 * Connection failures (Node's socket codes, postgres.js's timeout, Postgres's SQLSTATE), named by the URL's
 * host, port and database: never the URL itself, which holds the password.
 */
function databaseProblem({ code, message }: CodedError, url: URL): string | undefined {
  const at = `${url.hostname}:${url.port || 5432}`;
  // As postgres.js does: without a database in the URL, the user's name is the database's.
  const name = decodeURIComponent(url.pathname.slice(1) || url.username);
  switch (code) {
    case "ECONNREFUSED":
      return `DATABASE_URL names ${at}, where nothing accepts connections; check that Postgres is running there, and the URL's host and port`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `DATABASE_URL names the host ${url.hostname}, which cannot be resolved; check the URL's host name`;
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "CONNECT_TIMEOUT":
      return `DATABASE_URL names ${at}, which does not answer (${code}); check the URL's host and port, and any firewall on the way`;
    case "3D000":
      return `DATABASE_URL names the database "${name}", which does not exist on ${at}; create it (createdb ${name}) or correct the URL's database name`;
    case "28P01":
    case "28000":
      return `DATABASE_URL: Postgres at ${at} refused the sign-in (${message}); check the URL's user and password`;
    case "ECONNRESET":
      return `DATABASE_URL names ${at}, which closed the connection at once; if the URL asks for TLS (sslmode), check that the server offers it`;
    case "42704":
      return `DATABASE_URL: Postgres at ${at} refused a setting in the URL's query string (${message}); remove it or correct its name`;
    case "42501":
      return `DATABASE_URL: the URL's role may not do what the migrations need in "${name}" on ${at} (${message}); grant it CREATE on the database, or run \`bun run cli migrate\` once as its owner`;
    case "42P01":
      return `DATABASE_URL names the database "${name}" on ${at}, which lacks CryptoVault's tables (${message}); run \`bun run cli migrate\`, or correct the URL's database name`;
    default:
      return undefined;
  }
}

/**
 * Why the server could not listen on HOST and PORT, in one line, or undefined for anything else (a bug). A HOST
 * that is no address of this machine, or a name that does not resolve to one, is refused by the bind itself.
 */
export function listenProblem(error: unknown, config: Pick<Config, "host" | "port">): string | undefined {
  const at = `HOST ${config.host} and PORT ${config.port}`;
  switch ((error as CodedError).code) {
    case "EADDRINUSE":
      return `port in use: another process listens on ${at}`;
    case "EADDRNOTAVAIL":
      return `HOST ${config.host} is not an address of this machine; use one of its addresses, 127.0.0.1, or 0.0.0.0 for all`;
    case "EINVAL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `HOST ${config.host} cannot be listened on: it is no address of this machine or a name that resolves to one`;
    case "EACCES":
      return `PORT ${config.port} needs privileges this process lacks (ports below 1024); use a port of 1024 or above`;
    default:
      return undefined;
  }
}
