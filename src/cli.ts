/** Operator commands: `bun run cli <command>`. */
import { join } from "node:path";
import { ConfigError, loadConfig } from "./config";
import { openDatabase } from "./platform/db/client";
import { migrate } from "./platform/db/migrate";

type Command = { usage: string; run(args: string[]): Promise<number> };

async function withDatabase<T>(fn: (database: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase({ url: config.databaseUrl, dataDir: join(config.dataDir, "pg") });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

const commands: Record<string, Command> = {
  migrate: {
    usage: "migrate                 apply pending database migrations",
    run: () =>
      withDatabase(async (database) => {
        await migrate(database);
        console.log(`migrations applied (${database.kind})`);
        return 0;
      }),
  },
};

function usage(): string {
  return `usage: bun run cli <command>\n\ncommands:\n${Object.values(commands)
    .map((c) => `  ${c.usage}`)
    .join("\n")}`;
}

const [name, ...args] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  console.error(name ? `unknown command: ${name}\n\n${usage()}` : usage());
  process.exit(2);
}
try {
  process.exit(await command.run(args));
} catch (error) {
  console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : error);
  process.exit(1);
}
