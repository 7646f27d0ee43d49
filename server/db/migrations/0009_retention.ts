/**
 * Retention.
 * - organizations.engagement_retention_days: how long the organization keeps engagements (null = forever),
 *   set by an administrator; older engagements are removed like a removal on request.
 * - capture_decisions_excluded_prune_idx: the pruner finds old exclusions by time without scanning the
 *   whole table; partial, so captured decisions (kept) cost nothing in it.
 * - sweeps_org_started_idx: the pruner finds an organization's old sweeps by time.
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("organizations").addColumn("engagement_retention_days", "integer").execute();
  await db.schema
    .createIndex("capture_decisions_excluded_prune_idx")
    .on("capture_decisions")
    .columns(["organization_id", "decided_at"])
    .where(sql.ref("outcome"), "=", "excluded")
    .execute();
  await db.schema
    .createIndex("sweeps_org_started_idx")
    .on("sweeps")
    .columns(["organization_id", "started_at"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("sweeps_org_started_idx").execute();
  await db.schema.dropIndex("capture_decisions_excluded_prune_idx").execute();
  await db.schema.alterTable("organizations").dropColumn("engagement_retention_days").execute();
}
