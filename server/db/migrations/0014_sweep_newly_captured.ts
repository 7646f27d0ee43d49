/**
 * sweeps.newly_captured: how many messages a sweep captured that this mailbox had not captured before.
 * `captured` counts every captured decision the sweep made, so a full re-read after a reconnect counts
 * mail captured long ago again; people are told the new ones. Null for sweeps recorded before this column.
 */
import type { Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("sweeps").addColumn("newly_captured", "integer").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("sweeps").dropColumn("newly_captured").execute();
}
