/**
 * capture_decisions is the largest table by far (a row per message per mailbox), so its row and indexes
 * are made smaller where nothing reads the difference (test/bench/storage.ts measures it):
 * - no `id`: nothing looks a decision up by it; (user_id, message_key) is already unique and is the key.
 *   That drops a text UUID from every row and the whole primary-key index.
 * - message_key as base64url of the SHA-256 (43 characters) instead of hex (64): the same digest, a third
 *   shorter in the row and in the unique index. Existing keys are converted here, so every row keeps
 *   answering the same message (store/capture-decisions.ts messageKey computes the new form).
 * - capture_decisions_engagement_idx only over decisions that point to an engagement (partial): the
 *   exclusions (most rows) had a NULL entry each.
 * Every row is kept. SQLite cannot drop a primary-key column, so there the table is rebuilt (create, copy,
 * drop, rename; nothing references capture_decisions) and keys are converted in batches; PostgreSQL drops
 * the column in place and converts with one statement (a rewrite of the table: run it in a quiet hour).
 */
import { SqliteAdapter, sql, type Kysely } from "kysely";

const COLUMNS =
  "organization_id, user_id, message_key, outcome, reason, detail, engagement_id, sweep_id, decided_at, removed_at, removal";

const isSqlite = (db: Kysely<any>): boolean => db.getExecutor().adapter instanceof SqliteAdapter;

const base64url = (hex: string): string => Buffer.from(hex, "hex").toString("base64url");

async function rebuildOnSqlite(db: Kysely<any>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.schema
      .createTable("capture_decisions_compact")
      .addColumn("organization_id", "text", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("message_key", "text", (c) => c.notNull())
      .addColumn("outcome", "text", (c) => c.notNull())
      .addColumn("reason", "text")
      .addColumn("detail", "text")
      .addColumn("engagement_id", "text", (c) => c.references("engagements.id").onDelete("set null"))
      .addColumn("sweep_id", "text", (c) => c.references("sweeps.id").onDelete("set null"))
      .addColumn("decided_at", "text", (c) => c.notNull())
      .addColumn("removed_at", "text")
      .addColumn("removal", "text")
      .addUniqueConstraint("capture_decisions_user_key_uq", ["user_id", "message_key"])
      .execute();
    await sql
      .raw(`insert into capture_decisions_compact (${COLUMNS}) select ${COLUMNS} from capture_decisions`)
      .execute(trx);
    await trx.schema.dropTable("capture_decisions").execute();
    await trx.schema.alterTable("capture_decisions_compact").renameTo("capture_decisions").execute();
    await trx.schema.createIndex("capture_decisions_sweep_idx").on("capture_decisions").columns(["sweep_id"]).execute();
    await trx.schema
      .createIndex("capture_decisions_excluded_prune_idx")
      .on("capture_decisions")
      .columns(["organization_id", "decided_at"])
      .where(sql.ref("outcome"), "=", "excluded")
      .execute();
    // Hex keys to base64url, a batch at a time by rowid (SQLite has no base64 function).
    for (let after = 0; ;) {
      const rows = await sql<{ rowid: number; messageKey: string }>`
        select rowid, message_key from capture_decisions where rowid > ${after} order by rowid limit 1000`.execute(trx);
      for (const r of rows.rows)
        if (/^[0-9a-f]{64}$/.test(r.messageKey))
          await sql`update capture_decisions set message_key = ${base64url(r.messageKey)} where rowid = ${r.rowid}`.execute(
            trx,
          );
      if (rows.rows.length < 1000) break;
      after = rows.rows[rows.rows.length - 1].rowid;
    }
  });
}

export async function up(db: Kysely<any>): Promise<void> {
  if (isSqlite(db)) {
    await rebuildOnSqlite(db);
  } else {
    await sql`alter table capture_decisions drop column id`.execute(db);
    await sql`update capture_decisions
      set message_key = rtrim(translate(encode(decode(message_key, 'hex'), 'base64'), '+/', '-_'), '=')
      where message_key ~ '^[0-9a-f]{64}$'`.execute(db);
    await db.schema.dropIndex("capture_decisions_engagement_idx").execute();
  }
  await db.schema
    .createIndex("capture_decisions_engagement_idx")
    .on("capture_decisions")
    .columns(["engagement_id"])
    .where(sql.ref("engagement_id"), "is not", null)
    .execute();
}

/** Back to the earlier layout: every row kept, with a new id (the old ones were not kept) and its hex key. */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("capture_decisions_engagement_idx").execute();
  if (isSqlite(db)) {
    await db.transaction().execute(async (trx) => {
      await sql`create table capture_decisions_wide (id text primary key, ${sql.raw(
        COLUMNS.split(", ")
          .map((c) => `${c}_`)
          .join(" text, "),
      )} text)`.execute(trx);
      await sql
        .raw(`insert into capture_decisions_wide select lower(hex(randomblob(16))), ${COLUMNS} from capture_decisions`)
        .execute(trx);
      await trx.schema.dropTable("capture_decisions").execute();
      await sql
        .raw(
          `create table capture_decisions (id text primary key,
            organization_id text not null references organizations (id) on delete cascade,
            user_id text not null references users (id) on delete cascade,
            message_key text not null, outcome text not null, reason text, detail text,
            engagement_id text references engagements (id) on delete set null,
            sweep_id text references sweeps (id) on delete set null,
            decided_at text not null, removed_at text, removal text,
            constraint capture_decisions_user_key_uq unique (user_id, message_key))`,
        )
        .execute(trx);
      await sql
        .raw(
          `insert into capture_decisions (id, ${COLUMNS}) select id, ${COLUMNS.split(", ")
            .map((c) => `${c}_`)
            .join(", ")} from capture_decisions_wide`,
        )
        .execute(trx);
      await trx.schema.dropTable("capture_decisions_wide").execute();
      await trx.schema
        .createIndex("capture_decisions_sweep_idx")
        .on("capture_decisions")
        .columns(["sweep_id"])
        .execute();
      await trx.schema
        .createIndex("capture_decisions_excluded_prune_idx")
        .on("capture_decisions")
        .columns(["organization_id", "decided_at"])
        .where(sql.ref("outcome"), "=", "excluded")
        .execute();
      const rows = await sql<{ id: string; messageKey: string }>`select id, message_key from capture_decisions`.execute(
        trx,
      );
      for (const r of rows.rows)
        if (/^[A-Za-z0-9_-]{43}$/.test(r.messageKey))
          await sql`update capture_decisions set message_key = ${Buffer.from(r.messageKey, "base64url").toString("hex")} where id = ${r.id}`.execute(
            trx,
          );
    });
  } else {
    await sql`alter table capture_decisions add column id text`.execute(db);
    await sql`update capture_decisions set id = gen_random_uuid()::text,
      message_key = case when message_key ~ '^[A-Za-z0-9_-]{43}$'
        then encode(decode(translate(message_key, '-_', '+/') || '=', 'base64'), 'hex') else message_key end`.execute(
      db,
    );
    await sql`alter table capture_decisions alter column id set not null, add constraint capture_decisions_pkey primary key (id)`.execute(
      db,
    );
  }
  await db.schema
    .createIndex("capture_decisions_engagement_idx")
    .on("capture_decisions")
    .columns(["engagement_id"])
    .execute();
}
