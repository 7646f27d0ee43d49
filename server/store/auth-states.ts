/**
 * Auth states: the pending connect requests (one row per signed `state`), each holding its encrypted
 * PKCE code verifier until the callback redeems it, once.
 */
import type { Kysely } from "kysely";
import type { AuthStateTable, Database } from "../db/schema";

export type AuthStateRecord = AuthStateTable;

/** Forget pending requests that expired before `before` (nobody finished them). */
export async function forgetExpiredAuthStates(db: Kysely<Database>, before: Date): Promise<void> {
  await db.deleteFrom("authStates").where("expiresAt", "<", before.toISOString()).execute();
}

export async function savePendingAuthState(db: Kysely<Database>, row: AuthStateRecord): Promise<void> {
  await db.insertInto("authStates").values(row).execute();
}

/**
 * Redeem a pending request: of concurrent callbacks with one state, exactly one marks it used. True
 * when this call did; then the row as it is now (null when there is no such request).
 */
export async function redeemAuthState(
  db: Kysely<Database>,
  key: { nonce: string; organizationId: string; userId: string },
  now: Date,
): Promise<{ redeemed: boolean; row: AuthStateRecord | null }> {
  const claimed = await db
    .updateTable("authStates")
    .set({ usedAt: now.toISOString() })
    .where("id", "=", key.nonce)
    .where("organizationId", "=", key.organizationId)
    .where("userId", "=", key.userId)
    .where("usedAt", "is", null)
    .where("expiresAt", ">", now.toISOString())
    .executeTakeFirst();
  const row = await db
    .selectFrom("authStates")
    .selectAll()
    .where("id", "=", key.nonce)
    .where("organizationId", "=", key.organizationId)
    .where("userId", "=", key.userId)
    .executeTakeFirst();
  return { redeemed: Number(claimed.numUpdatedRows) === 1, row: row ?? null };
}
