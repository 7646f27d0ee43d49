/**
 * The changes feed: engagement_changes, one row per creation, update or deletion of an engagement,
 * numbered per organization (sequence 1, 2, …). Engagements that already exist get their "created"
 * change here, in the order they were captured, so a consumer starting from the beginning gets them all.
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("engagement_changes")
    .addColumn("organization_id", "text", (c) => c.notNull())
    .addColumn("sequence", "integer", (c) => c.notNull())
    .addColumn("engagement_id", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("occurred_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("engagement_changes_pk", ["organization_id", "sequence"])
    .execute();
  await sql`
    insert into engagement_changes (organization_id, sequence, engagement_id, type, occurred_at)
    select organization_id, row_number() over (partition by organization_id order by created_at, id), id, 'created', created_at
    from engagements`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("engagement_changes").execute();
}
