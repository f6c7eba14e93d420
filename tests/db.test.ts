import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { pgTable, serial } from "drizzle-orm/pg-core";
import postgres from "postgres";
import { openDatabase, queryRows } from "../src/platform/db/client";
import { migrate } from "../src/platform/db/migrate";
import { money } from "../src/platform/db/money";
import { createRealDatabase, createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from "./support/harness";

const wallets = pgTable("money_probe", { id: serial("id").primaryKey(), amount: money("amount").notNull() });

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.execute(sql`create table money_probe (id serial primary key, amount numeric(78,0) not null)`);
});
afterAll(() => database.dispose());

describe("money column", () => {
  test.each([
    ["1 wei", 1n],
    ["10^30 (a trillion ETH in wei)", 10n ** 30n],
    ["int64 overflow + 1", 9_223_372_036_854_775_808n],
    ["the largest uint256", 2n ** 256n - 1n],
    ["a negative system balance", -(10n ** 30n)],
  ])("stores and returns %s exactly as bigint", async (_label, amount) => {
    const [row] = await database.db.insert(wallets).values({ amount }).returning();
    expect(row.amount).toBe(amount);
    const [read] = await database.db.select().from(wallets).where(sql`${wallets.id} = ${row.id}`);
    expect(typeof read.amount).toBe("bigint");
    expect(read.amount).toBe(amount);
  });

  test("sums exactly in SQL", async () => {
    const [row] = await queryRows<{ total: string }>(
      database.db,
      sql`select sum(amount)::text as total from money_probe where amount = 1 or amount = ${(10n ** 30n).toString()}::numeric`,
    );
    expect(BigInt(row.total)).toBe(10n ** 30n + 1n);
  });
});

describe("migrations", () => {
  test("applying them again changes nothing", async () => {
    const count = async () =>
      (await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`))[0].n;
    const before = await count();
    expect(before).toBeGreaterThan(0);
    await migrate(database);
    await migrate(database);
    expect(await count()).toBe(before);
    const tables = await queryRows<{ name: string }>(
      database.db,
      sql`select table_name as name from information_schema.tables where table_name = 'mail_outbox'`,
    );
    expect(tables).toHaveLength(1);
  });

  test.if(Boolean(TEST_DATABASE_URL))(
    "instances migrating a fresh database at once take turns under the advisory lock",
    async () => {
      const real = await createRealDatabase();
      if (!real) throw new Error("needs TEST_DATABASE_URL");
      const instances = await Promise.all([1, 2, 3, 4].map(() => openDatabase({ url: real.url, poolSize: 2 })));
      try {
        await Promise.all(instances.map((instance) => migrate(instance)));
        const rows = await queryRows<{ n: number }>(
          instances[0].db,
          sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
        );
        const journal = (await Bun.file(new URL("../drizzle/meta/_journal.json", import.meta.url)).json()) as {
          entries: unknown[];
        };
        expect(rows[0].n).toBe(journal.entries.length);
      } finally {
        await Promise.all(instances.map((instance) => instance.close()));
        await real.drop();
      }
    },
  );

  test.if(Boolean(TEST_DATABASE_URL))("a pool of one connection (DATABASE_POOL_SIZE=1) migrates too", async () => {
    // The advisory lock used to take the pool's only connection, leaving none to migrate on: boot hung.
    const real = await createRealDatabase();
    if (!real) throw new Error("needs TEST_DATABASE_URL");
    const instance = await openDatabase({ url: real.url, poolSize: 1 });
    try {
      const outcome = await Promise.race([migrate(instance).then(() => "migrated"), Bun.sleep(10_000).then(() => "hung")]);
      expect(outcome).toBe("migrated");
    } finally {
      await instance.close();
      await real.drop();
    }
  });
});

describe("the Postgres driver (postgres.js, patched: patches/)", () => {
  test.if(Boolean(TEST_DATABASE_URL))(
    "a transaction's BEGIN that fills a busy connection's pipeline still reserves that connection",
    async () => {
      // Upstream 3.4.9 skipped the reservation then: sql.begin failed with UNSAFE_TRANSACTION while the server's
      // transaction stayed open, and queries of other requests ran inside it (seen as a rare 500 under load).
      const name = `cv_pipeline_${process.pid}`;
      // A pipeline of 2 (default 100) makes it take 3 queries, not 300; postgres.js's types omit the option.
      const options = { max: 3, max_pipeline: 2, onnotice: () => {}, connection: { application_name: name } };
      const client = postgres(TEST_DATABASE_URL as string, options);
      try {
        const failures: string[] = [];
        for (let round = 0; round < 10; round++) {
          // Each connection busy with one query and one more in its pipeline: the next query fills a pipeline.
          const sleeps = [1, 2, 3].map(() => client`select pg_sleep(0.1)`.execute());
          await Bun.sleep(20);
          const queued = [1, 2, 3].map((n) => client`select ${n}::int as n`.execute());
          const transactions = [1, 2, 3, 4, 5].map((n) => client.begin((tx) => tx`select ${n}::int as n`));
          const outcomes = await Promise.allSettled([...sleeps, ...queued, ...transactions]);
          for (const outcome of outcomes) if (outcome.status === "rejected") failures.push(String(outcome.reason));
        }
        expect(failures).toEqual([]);
        const [left] = await client`select count(*)::int as n from pg_stat_activity
          where application_name = ${name} and state like 'idle in transaction%'`;
        expect(left.n).toBe(0);
      } finally {
        await client.end({ timeout: 5 });
      }
    },
  );

  /**
   * A pool of 2 on this file's database, a connection that terminates the pool's sessions from outside, and
   * a count of the sessions the pool has seen close.
   */
  function poolAndKiller(name: string) {
    const url = database.url as string;
    const seen = { closed: 0 };
    const client = postgres(url, {
      max: 2,
      onnotice: () => {},
      onclose: () => seen.closed++,
      connection: { application_name: name },
    });
    const killer = postgres(url, { max: 1, onnotice: () => {} });
    const sessions = async () =>
      (await killer`select count(*)::int as n from pg_stat_activity where application_name = ${name}`)[0].n as number;
    return { client, killer, sessions, seen };
  }

  test.if(Boolean(TEST_DATABASE_URL))(
    "a transaction whose session is terminated fails, and what it sends afterwards runs nowhere",
    async () => {
      // Upstream 3.4.9 ran the later statements on the session the pool opened next, outside any transaction
      // (porsager/postgres#1216), or threw a TypeError from a timer that ended the process (#1066, #1208).
      const name = `cv_terminated_${process.pid}`;
      const { client, killer, sessions } = poolAndKiller(name);
      try {
        await killer`create table terminated_probe (step int not null)`;
        let resume = () => {};
        const paused = new Promise<void>((resolve) => {
          resume = resolve;
        });
        const transaction = client.begin(async (tx) => {
          await tx`insert into terminated_probe values (1)`;
          const [{ pid }] = await tx`select pg_backend_pid() as pid`;
          await killer`select pg_terminate_backend(${pid})`;
          await paused;
          await tx`insert into terminated_probe values (2)`;
        });
        const outcome = transaction.then(
          () => "committed",
          (error) => error.code,
        );
        // Other queries make the pool open a new session on the terminated connection at once.
        const others = [1, 2, 3, 4].map(() => client`select pg_sleep(0.05)`.execute());
        for (let i = 0; i < 100 && (await sessions()) < 2; i++) await Bun.sleep(10);
        resume();
        expect(await outcome).toBe("CONNECTION_CLOSED");
        await Promise.all(others);
        expect((await killer`select step from terminated_probe`).length).toBe(0);
        expect((await client`select 1 as one`)[0].one).toBe(1);
      } finally {
        await killer`drop table if exists terminated_probe`;
        await client.end({ timeout: 5 });
        await killer.end({ timeout: 5 });
      }
    },
  );

  test.if(Boolean(TEST_DATABASE_URL))(
    "a reserved connection whose session is terminated fails its queries, and the pool goes on",
    async () => {
      // Upstream 3.4.9 rejected the first query and threw a TypeError from the second, which ended the process (#1208).
      const name = `cv_reserved_${process.pid}`;
      const { client, killer, seen } = poolAndKiller(name);
      try {
        const reserved = await client.reserve();
        const [{ pid }] = await reserved`select pg_backend_pid() as pid`;
        await killer`select pg_terminate_backend(${pid})`;
        for (let i = 0; i < 100 && seen.closed === 0; i++) await Bun.sleep(10);
        const codes: string[] = [];
        for (let i = 0; i < 3; i++)
          codes.push(
            await reserved`select 1`.then(
              () => "ran",
              (error) => error.code,
            ),
          );
        reserved.release();
        expect(codes).toEqual(["CONNECTION_CLOSED", "CONNECTION_CLOSED", "CONNECTION_CLOSED"]);
        const answers = await Promise.all([1, 2, 3, 4].map((n) => client`select ${n}::int as n`));
        expect(answers.map(([row]) => row.n)).toEqual([1, 2, 3, 4]);
      } finally {
        await client.end({ timeout: 5 });
        await killer.end({ timeout: 5 });
      }
    },
  );
});
