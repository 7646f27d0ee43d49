/**
 * better-sqlite3 compiles SQL into a statement on every `prepare`; Kysely's SQLite driver prepares
 * each query anew, and on the API's hot path (POST /api/messages/status) that preparation cost about
 * as much as running the query. This wraps the database so a statement is prepared once per SQL
 * text and reused (a bounded LRU: dynamic SQL such as `in (?, ?, …)` lists cannot grow it without
 * limit).
 *
 * Reuse is safe under Kysely: its SQLite driver runs one query at a time on the single connection
 * (a mutex, held for the whole of a streamed query), better-sqlite3 resets a statement after
 * all()/run() and when an iterator ends or is returned, and SQLite re-prepares a statement by
 * itself when the schema changes (migrations).
 */
import type BetterSqlite3 from "better-sqlite3";
import type { SqliteDatabase, SqliteStatement } from "kysely";

/** Distinct SQL texts kept prepared; the product issues a few hundred at most. */
export const STATEMENT_CACHE_SIZE = 500;

export function withStatementCache(sqlite: BetterSqlite3.Database, max = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare(sqlText: string): SqliteStatement {
      let stmt = cache.get(sqlText);
      if (stmt) {
        // Most recently used last, so the oldest is the first key.
        cache.delete(sqlText);
        cache.set(sqlText, stmt);
        return stmt;
      }
      stmt = sqlite.prepare(sqlText);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(sqlText, stmt);
      return stmt;
    },
  };
}
