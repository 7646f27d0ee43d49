/**
 * Several reads answering one request, as one unit: the status call's three small indexed lookups.
 *
 * On SQLite they run back to back, synchronously, in one read transaction while the connection is
 * held once. In WAL mode every statement outside a transaction takes and drops SQLite's shared lock on
 * its own (file-lock system calls, the WAL index re-checked), which cost about as much as these reads
 * themselves; and each query through Kysely's executor pays a connection hand-over and several promise
 * turns. Rows still go through the instance's plugins (CamelCase), as Kysely does; the SQL is the
 * prepared queries' (store/prepared.ts), compiled by Kysely. The reads also see one state of the database.
 *
 * On PostgreSQL (and inside a transaction) each query runs through Kysely as usual, all at once, in
 * parallel on the pool: a transaction there would put them in sequence on one connection and add two
 * round trips.
 */
import { type CompiledQuery, type Kysely, type QueryResult, type UnknownRow } from "kysely";
import type { Database } from "../db/schema";
import { sqliteDriverOf } from "../db/sqlite-dialect";

/**
 * One read: the queries it needs (bound prepared queries) and how their rows make its answer (a
 * module-level function where it can be: a closure made per call is an allocation, and under tsx a
 * named one is also a defineProperty).
 */
export interface Read<T> {
  queries: CompiledQuery[];
  answer(rows: unknown[][]): T;
}

type Answers<R extends readonly Read<unknown>[]> = { [K in keyof R]: R[K] extends Read<infer T> ? T : never };

async function rowsDirect(db: Kysely<Database>, queries: CompiledQuery[]): Promise<unknown[][] | null> {
  const driver = sqliteDriverOf(db);
  if (!driver) return null;
  const raw = await driver.withDatabase((sqlite) => {
    // One statement needs no transaction (it is one by itself).
    if (queries.length === 1) return [sqlite.prepare(queries[0].sql).all(queries[0].parameters)];
    sqlite.prepare("begin").run([]);
    try {
      return queries.map((q) => sqlite.prepare(q.sql).all(q.parameters));
    } finally {
      sqlite.prepare("commit").run([]);
    }
  });
  const plugins = db.getExecutor().plugins;
  const out: unknown[][] = [];
  for (let i = 0; i < raw.length; i++) {
    let result: QueryResult<UnknownRow> = { rows: raw[i] as UnknownRow[] };
    for (const plugin of plugins) result = await plugin.transformResult({ result, queryId: queries[i].queryId });
    out.push(result.rows);
  }
  return out;
}

export async function readTogether<R extends readonly Read<unknown>[]>(
  db: Kysely<Database>,
  reads: R,
): Promise<Answers<R>> {
  const queries = reads.flatMap((r) => r.queries);
  const rows =
    (await rowsDirect(db, queries)) ?? (await Promise.all(queries.map(async (q) => (await db.executeQuery(q)).rows)));
  let at = 0;
  return reads.map((r) => {
    const mine = rows.slice(at, at + r.queries.length);
    at += r.queries.length;
    return r.answer(mine);
  }) as Answers<R>;
}

/** One read by itself. */
export async function readOne<T>(db: Kysely<Database>, read: Read<T>): Promise<T> {
  const [answer] = await readTogether(db, [read] as const);
  return answer as T;
}
