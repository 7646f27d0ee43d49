/**
 * Copies of a Message-ID are one engagement only when they agree on sender, sent time and
 * participants (store/engagement-copies.ts), so (organization_id, internet_message_id) is no longer
 * unique: it becomes (organization_id, internet_message_id, copy_fingerprint), the fingerprint hashing
 * the agreeing facts of the copy that created the engagement. And stored bodies are capped, with
 * body_truncated saying so.
 *
 * Every row is kept: the old key was unique, so each existing engagement gets its own fingerprint
 * (computed here from its stored facts) and the new key is unique too. SQLite cannot drop a table's
 * UNIQUE constraint, so there the table is rebuilt (the documented create-copy-drop-rename procedure,
 * foreign keys off so the drop deletes no engagement_contacts, engagement_mailboxes or decisions).
 */
import { SqliteAdapter, sql, type Kysely } from "kysely";
import { copyFingerprint } from "../../store/engagement-copies";

const COLUMNS =
  "id, organization_id, internet_message_id, conversation_id, subject, body_text, body_preview, direction, message_time, sent_at, received_at, from_address, participants, created_at";

const isSqlite = (db: Kysely<any>): boolean => db.getExecutor().adapter instanceof SqliteAdapter;

async function rebuildOnSqlite(db: Kysely<any>): Promise<void> {
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await db.transaction().execute(async (trx) => {
      await trx.schema
        .createTable("engagements_rebuilt")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "text", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
        .addColumn("internet_message_id", "text", (c) => c.notNull())
        .addColumn("conversation_id", "text")
        .addColumn("subject", "text")
        .addColumn("body_text", "text")
        .addColumn("body_preview", "text")
        .addColumn("direction", "text", (c) => c.notNull())
        .addColumn("message_time", "text", (c) => c.notNull())
        .addColumn("sent_at", "text")
        .addColumn("received_at", "text")
        .addColumn("from_address", "text")
        .addColumn("participants", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("copy_fingerprint", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("body_truncated", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await sql.raw(`insert into engagements_rebuilt (${COLUMNS}) select ${COLUMNS} from engagements`).execute(trx);
      await trx.schema.dropTable("engagements").execute();
      await trx.schema.alterTable("engagements_rebuilt").renameTo("engagements").execute();
      await trx.schema
        .createIndex("engagements_org_time_idx")
        .on("engagements")
        .columns(["organization_id", "message_time", "id"])
        .execute();
      const broken = await sql`pragma foreign_key_check`.execute(trx);
      if (broken.rows.length) throw new Error(`rebuilding engagements left ${broken.rows.length} broken references`);
    });
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

export async function up(db: Kysely<any>): Promise<void> {
  if (isSqlite(db)) {
    await rebuildOnSqlite(db);
  } else {
    await db.schema.alterTable("engagements").dropConstraint("engagements_org_imid_uq").execute();
    await db.schema
      .alterTable("engagements")
      .addColumn("copy_fingerprint", "text", (c) => c.notNull().defaultTo(""))
      .execute();
    await db.schema
      .alterTable("engagements")
      .addColumn("body_truncated", "integer", (c) => c.notNull().defaultTo(0))
      .execute();
  }
  // Data queries in camelCase: the connection's CamelCasePlugin maps them to the snake_case columns.
  const rows = (await db
    .selectFrom("engagements")
    .select(["id", "fromAddress", "participants", "sentAt", "messageTime"])
    .execute()) as {
    id: string;
    fromAddress: string | null;
    participants: string;
    sentAt: string | null;
    messageTime: string;
  }[];
  for (const r of rows) {
    let participants: { address: string }[] = [];
    try {
      const parsed: unknown = JSON.parse(r.participants);
      if (Array.isArray(parsed))
        participants = parsed.filter(
          (p): p is { address: string } => typeof (p as { address?: unknown })?.address === "string",
        );
    } catch {
      // An unreadable participants column fingerprints as no participants; the row is kept as it is.
    }
    const copyFingerprintValue = copyFingerprint({
      fromAddress: r.fromAddress,
      participants,
      sentAt: r.sentAt,
      messageTime: r.messageTime,
    });
    await db.updateTable("engagements").set({ copyFingerprint: copyFingerprintValue }).where("id", "=", r.id).execute();
  }
  await db.schema
    .createIndex("engagements_org_imid_copy_uq")
    .unique()
    .on("engagements")
    .columns(["organization_id", "internet_message_id", "copy_fingerprint"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  // Only possible while no Message-ID has two engagements: checked first, since SQLite runs this outside a transaction.
  const split = await db
    .selectFrom("engagements")
    .select(["organizationId", "internetMessageId"])
    .groupBy(["organizationId", "internetMessageId"])
    .having((eb) => eb.fn.countAll(), ">", 1)
    .limit(1)
    .execute();
  if (split.length)
    throw new Error(
      "migration 0006 cannot be undone: some Message-IDs have separate engagements for disagreeing copies",
    );
  await db.schema.dropIndex("engagements_org_imid_copy_uq").execute();
  await db.schema.alterTable("engagements").dropColumn("body_truncated").execute();
  await db.schema.alterTable("engagements").dropColumn("copy_fingerprint").execute();
  // The old key as it was on PostgreSQL (a constraint, which up drops by name); on SQLite an index (up's rebuild drops it).
  if (isSqlite(db))
    await db.schema
      .createIndex("engagements_org_imid_uq")
      .unique()
      .on("engagements")
      .columns(["organization_id", "internet_message_id"])
      .execute();
  else
    await db.schema
      .alterTable("engagements")
      .addUniqueConstraint("engagements_org_imid_uq", ["organization_id", "internet_message_id"])
      .execute();
}
