/**
 * Migrations are never edited once released: a database that applied one would not apply it again, and would lack
 * (or, where the journal's time moved, fail on) whatever the edit changed. drizzle/released.sha256 pins each
 * committed migration's text; a new migration is added to it (README: Development) when it is committed.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MIGRATIONS_FOLDER } from "../src/platform/db/migrate";

const sha256 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex");

const pinned = new Map(
  readFileSync(join(MIGRATIONS_FOLDER, "released.sha256"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [hash, file] = line.split(/\s+\*?/);
      return [file, hash] as const;
    }),
);
const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as {
  entries: { idx: number; when: number; tag: string }[];
};

test("every migration of the journal is pinned, and none has changed since", () => {
  const changed = journal.entries
    .map(({ tag }) => `${tag}.sql`)
    .filter((file) => pinned.get(file) !== sha256(readFileSync(join(MIGRATIONS_FOLDER, file), "utf8")));
  expect(changed).toEqual([]);
  expect([...pinned.keys()].sort()).toEqual(journal.entries.map(({ tag }) => `${tag}.sql`).sort());
});

test("the journal's times only grow: drizzle applies a migration only if it is newer than the last applied", () => {
  const times = journal.entries.map(({ when }) => when);
  expect(times).toEqual([...times].sort((a, b) => a - b));
  expect(new Set(times).size).toBe(times.length);
});
