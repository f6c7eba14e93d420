/** Operator commands: `bun run cli <command>`. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Config, dataDirOf, loadConfig } from "./config";
import { auditFindings, verifyAuditChains } from "./modules/audit/service";
import { revokeAllSessions } from "./modules/identity/sessions";
import { demoteAdmin, promoteToAdmin, verifyEmailByOperator } from "./modules/identity/standing";
import { assetAmountText } from "./modules/ledger/assets";
import { ledgerFindings, verifyLedger } from "./modules/ledger/verify";
import { openDatabase } from "./platform/db/client";
import { migrate } from "./platform/db/migrate";
import { startupProblem } from "./startup-problem";

type Command = {
  usage: string;
  /** The arguments it takes, by name; anything more or less is a usage error (exit 2). */
  args?: string[];
  run(config: Config, args: string[]): Promise<number>;
  /** A check's "could not check at all" (exit 2), told apart from "found violations" (1) even for a bad setting. */
  isCheck?: true;
};

type Database = Awaited<ReturnType<typeof openDatabase>>;

async function withDatabase<T>(config: Config, fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase({ url: config.databaseUrl, dataDir: join(config.dataDir, "pg") });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

/**
 * Runs a check: its exit code is 0 (clean) or 1 (violations found), and 2 when it could not check at all (the
 * database unreachable, in use, …), so a scheduled job can tell "the ledger is broken" from "the check did not run".
 */
async function checkWithDatabase(config: Config, fn: (database: Database) => Promise<number>): Promise<number> {
  try {
    return await withDatabase(config, fn);
  } catch (error) {
    console.error(startupProblem(error, config) ?? error);
    return 2;
  }
}

/** A command that changes one user, named by email: says what it did, or that it was so already (exit 0). */
function userChange(
  usage: string,
  change: (db: Database["db"], email: string) => Promise<{ user: { email: string }; already: boolean } | null>,
  done: string,
  already: string,
): Command {
  return {
    usage,
    args: ["<email>"],
    run: (config, [email]) =>
      withDatabase(config, async (database) => {
        const changed = await change(database.db, email);
        if (!changed) {
          console.error(`no user with email ${email}`);
          return 1;
        }
        console.log(`${changed.user.email} is ${changed.already ? already : done}`);
        return 0;
      }),
  };
}

const commands: Record<string, Command> = {
  migrate: {
    usage: "migrate                 apply pending database migrations",
    run: (config) =>
      withDatabase(config, async (database) => {
        const { applied, total } = await migrate(database);
        console.log(`migrations applied (${database.kind}): ${applied} now, ${total} in all`);
        return 0;
      }),
  },
  "user:promote": userChange(
    "user:promote <email>    give a user the admin role",
    promoteToAdmin,
    "now an admin",
    "already an admin",
  ),
  "user:demote": userChange(
    "user:demote <email>     take the admin role away",
    demoteAdmin,
    "no longer an admin",
    "not an admin",
  ),
  "user:verify-email": userChange(
    "user:verify-email <email>  mark a user's email verified (support: its mail cannot arrive, the owner proved it otherwise)",
    verifyEmailByOperator,
    "verified now",
    "verified already",
  ),
  "sessions:revoke-all": {
    usage: "sessions:revoke-all     end every user's sessions now: everyone signs in again",
    run: (config) =>
      withDatabase(config, async (database) => {
        const { sessions, users } = await revokeAllSessions(database.db);
        console.log(`${sessions} sessions of ${users} users ended`);
        return 0;
      }),
  },
  "ledger:verify": {
    isCheck: true,
    usage: "ledger:verify           check the five ledger invariants; names every violation (exit 1; 2: could not check)",
    run: (config) =>
      checkWithDatabase(config, async (database) => {
        const amountText = assetAmountText(config);
        const report = await verifyLedger(database.db, amountText);
        for (const asset of report.assets) {
          console.log(
            `${asset.asset}: ${asset.accounts} accounts, ${asset.transfers} transfers, sum of balances ${amountText(asset.sumOfBalances, asset.asset)}`,
          );
        }
        const { all, refusing } = report.guards;
        console.log(
          `guards (invariant 4): ${all} checked, ${refusing} by trying a change (refused, rolled back), the others in the catalog (a TRUNCATE trigger, or a table with no row yet to try); any missing is named below`,
        );
        for (const line of ledgerFindings(report)) console.log(line);
        const untried = report.untried.length ? ` (${report.untried.length} guards not tried, above)` : "";
        console.log(report.ok ? `ledger OK${untried}` : `${report.problems.length} violations${untried}`);
        return report.ok ? 0 : 1;
      }),
  },
  "audit:verify": {
    isCheck: true,
    usage:
      "audit:verify            check every audit hash chain and its recorded head; names the first break of each (exit 1; 2: could not check)",
    run: (config) =>
      checkWithDatabase(config, async (database) => {
        const report = await verifyAuditChains(database.db);
        for (const line of auditFindings(report)) console.log(line);
        const broken = new Set(report.problems.map((problem) => problem.chain)).size;
        console.log(`${report.rows} rows in ${report.chains} chains checked, ${broken} broken`);
        return report.problems.length === 0 ? 0 : 1;
      }),
  },
};

function usage(): string {
  return `usage: bun run cli <command>\n\ncommands:\n${Object.values(commands)
    .map((c) => `  ${c.usage}`)
    .join("\n")}`;
}

const [name, ...args] = process.argv.slice(2);
if (name === "--help" || name === "-h" || name === "help") {
  console.log(usage());
  process.exit(0);
}
const command = name && Object.hasOwn(commands, name) ? commands[name] : undefined;
if (!command) {
  console.error(name ? `unknown command: ${name}\n\n${usage()}` : usage());
  process.exit(2);
}
const expected = command.args ?? [];
if (args.length !== expected.length) {
  console.error(`usage: bun run cli ${[name, ...expected].join(" ")}`);
  process.exit(2);
}
// Every command but migrate reads what the server keeps: an embedded database that is not there (DATA_DIR mistyped,
// or another working directory than the server's) is said so, rather than made empty and then found wanting.
const embeddedDatabase = join(dataDirOf(process.env), "pg");
if (name !== "migrate" && !process.env.DATABASE_URL?.trim() && !existsSync(embeddedDatabase)) {
  console.error(
    `Configuration error: DATA_DIR: no embedded database at ${embeddedDatabase}; set DATA_DIR (or DATABASE_URL) as the server has it, or start the server once to create it`,
  );
  process.exit(command.isCheck ? 2 : 1);
}
let config: Config | undefined;
try {
  config = loadConfig(process.env, { keepNewSecrets: false });
  process.exit(await command.run(config, args));
} catch (error) {
  // What an operator can fix is one plain line; anything else is a bug and keeps its stack.
  console.error(startupProblem(error, config) ?? error);
  process.exit(command.isCheck ? 2 : 1);
}
