/**
 * The SQLite dialect's connection queue (server/db/sqlite-dialect.ts): callers get the one connection
 * first come, first served — including callers that arrive while others are queued — and a
 * transaction keeps it to itself until it ends.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, sql } from "kysely";
import { FifoSqliteDialect } from "../../server/db/sqlite-dialect";

function open() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-fifo-"));
  const db = new Kysely<any>({
    dialect: new FifoSqliteDialect({ database: new BetterSqlite3(path.join(dir, "t.db")) }),
  });
  return { db, close: async () => (await db.destroy(), fs.rmSync(dir, { recursive: true, force: true })) };
}

/**
 * A transaction holds the connection while 20 inserts queue up; each insert that completes queues one
 * more (as new API requests keep arriving under load). Returns the order the inserts ran in.
 */
async function arrivalOrderRun(): Promise<{ ran: number[]; sawInTransaction: number }> {
  const { db, close } = open();
  try {
    await sql`create table t (n integer not null)`.execute(db);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let sawInTransaction = -1;
    const tx = db.transaction().execute(async (trx) => {
      await sql`insert into t (n) values (0)`.execute(trx);
      await gate;
      // Nothing queued outside the transaction may have run in the meantime.
      sawInTransaction = Number((await sql<{ c: number }>`select count(*) as c from t`.execute(trx)).rows[0].c);
    });
    await new Promise((resolve) => setImmediate(resolve));
    let next = 1;
    const pending: Promise<unknown>[] = [];
    const insert = (): Promise<unknown> => {
      const n = next++;
      const p = sql`insert into t (n) values (${n})`.execute(db).then(() => {
        if (next <= 40) pending.push(insert());
      });
      return p;
    };
    for (let i = 0; i < 20; i++) pending.push(insert());
    release();
    await tx;
    while (pending.length) await pending.shift();
    const rows = (await sql<{ n: number }>`select n from t order by rowid`.execute(db)).rows;
    return { ran: rows.map((r) => Number(r.n)), sawInTransaction };
  } finally {
    await close();
  }
}

test("queries get the connection in the order they asked for it, and never inside another caller's transaction", async () => {
  const { ran, sawInTransaction } = await arrivalOrderRun();
  expect(sawInTransaction).toBe(1);
  expect(ran).toEqual(Array.from({ length: 41 }, (_, i) => i));
});

test("many concurrent reads and writes all complete, with results of their own", async () => {
  const { db, close } = open();
  try {
    await sql`create table kv (k integer primary key, v text not null)`.execute(db);
    await Promise.all(
      Array.from({ length: 500 }, (_, k) => sql`insert into kv (k, v) values (${k}, ${`v${k}`})`.execute(db)),
    );
    const got = await Promise.all(
      Array.from({ length: 500 }, (_, k) => sql<{ v: string }>`select v from kv where k = ${k}`.execute(db)),
    );
    expect(got.map((r) => r.rows[0]?.v)).toEqual(Array.from({ length: 500 }, (_, k) => `v${k}`));
  } finally {
    await close();
  }
});

test("a failed transaction hands the connection on", async () => {
  const { db, close } = open();
  try {
    await sql`create table t (n integer not null)`.execute(db);
    const failing = db.transaction().execute(async (trx) => {
      await sql`insert into t (n) values (1)`.execute(trx);
      throw new Error("boom");
    });
    const after = sql`insert into t (n) values (2)`.execute(db);
    await expect(failing).rejects.toThrow("boom");
    await after;
    expect((await sql<{ n: number }>`select n from t`.execute(db)).rows.map((r) => Number(r.n))).toEqual([2]);
  } finally {
    await close();
  }
});
