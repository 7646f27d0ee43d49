/**
 * Opening the database and migrating it. One code path for both dialects:
 * a file path means SQLite (embedded mode), a postgres:// URL means PostgreSQL (distributed mode).
 */
import fs from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { CamelCasePlugin, Kysely, Migrator, PostgresDialect, SqliteAdapter, sql } from "kysely";
import type { Database } from "./schema";
import { migrations } from "./migrations";
import { FifoSqliteDialect, registerSqliteDriver } from "./sqlite-dialect";
import { withStatementCache } from "./statement-cache";

export type Db = Kysely<Database>;
export type { Database } from "./schema";

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export async function openDatabase(url: string): Promise<Db> {
  if (isPostgresUrl(url)) {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle client that errors (server restart) must not crash the process; the pool replaces it.
    pool.on("error", () => {});
    // A client in use when the server goes away gets the query's error and then, as its socket closes,
    // an 'error' event: with no listener that event ends the process (seen with pg_ctl -m fast stop).
    // The pool discards the broken client when it is released, so the event itself needs no handling.
    pool.on("connect", (client) => client.on("error", () => {}));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
    await sql`select 1`.execute(db);
    return db;
  }
  if (url !== ":memory:") {
    // The file holds captured mail: owner-only, like the key file. SQLite gives its -wal and -shm files
    // the database file's permissions, so creating the file 0600 first covers all three.
    fs.mkdirSync(path.dirname(path.resolve(url)), { recursive: true, mode: 0o700 });
    fs.closeSync(fs.openSync(url, "a", 0o600));
  }
  const sqlite = new BetterSqlite3(url);
  // WAL lets readers (the API) proceed while the sweep writes; busy_timeout waits out a concurrent
  // writer instead of failing at once; SQLite leaves foreign keys off unless asked.
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  // SQLite's own default page cache (2 MiB) instead of better-sqlite3's 16 MiB: the file's pages stay in
  // the operating system's cache anyway, so a bigger private cache bought no measurable speed in the
  // benchmarks, while it made a sweeping process's memory climb with the database (docs/benchmarks.md, item 2).
  sqlite.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  const dialect = new FifoSqliteDialect({ database: withStatementCache(sqlite) });
  const db = new Kysely<Database>({ dialect, plugins: [new CamelCasePlugin()] });
  if (dialect.driver) registerSqliteDriver(db, dialect.driver);
  return db;
}

/** Page cache per SQLite connection, KiB. */
export const SQLITE_CACHE_KIB = 2048;

/** Which dialect a Kysely instance (or transaction) talks to. */
export function dbKind(db: Kysely<any>): "sqlite" | "postgres" {
  return db.getExecutor().adapter instanceof SqliteAdapter ? "sqlite" : "postgres";
}

/** Apply every migration not yet applied. Throws with the failing migration's error. */
export async function migrateToLatest(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(
      `database migration ${failed ?? ""} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
