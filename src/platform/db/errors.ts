/**
 * The database's own error inside whatever wraps it (Drizzle hands the driver's error on as `cause`): the first
 * link that carries a SQLSTATE, with its message and the constraint it names (postgres.js says `constraint_name`,
 * PGlite `constraint`). Undefined when the error did not come from the database.
 */
export function databaseErrorOf(error: unknown): { code: string; message: string; constraint?: string } | undefined {
  type Link = { cause?: unknown; code?: unknown; message?: unknown; constraint?: unknown; constraint_name?: unknown };
  for (let link = error as Link | undefined, depth = 0; link && depth < 8; link = link.cause as Link | undefined, depth++) {
    if (typeof link.code !== "string" || !/^[0-9A-Z]{5}$/.test(link.code)) continue;
    const constraint = link.constraint ?? link.constraint_name;
    return {
      code: link.code,
      message: String(link.message ?? ""),
      constraint: typeof constraint === "string" ? constraint : undefined,
    };
  }
  return undefined;
}
