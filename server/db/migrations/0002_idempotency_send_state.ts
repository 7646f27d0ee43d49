/**
 * POST /api/mail's idempotency keys remember the Graph draft a request created (draft_id) before it is
 * sent, and hold a lease (locked_until) while one request works on the key. A retry after a crash finds
 * the draft and checks whether it was sent instead of sending a second message; a lease that ran out
 * means the request holding it died, so a retry may take the key over.
 */
import type { Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("idempotency_keys").addColumn("draft_id", "text").execute();
  await db.schema.alterTable("idempotency_keys").addColumn("locked_until", "text").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("idempotency_keys").dropColumn("locked_until").execute();
  await db.schema.alterTable("idempotency_keys").dropColumn("draft_id").execute();
}
