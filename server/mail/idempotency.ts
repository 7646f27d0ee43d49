/**
 * Idempotency keys for POST /api/mail, scoped to (organization, user). One row per key:
 * in_progress (a request holds it until lockedUntil; draftId once the Graph draft exists) → done
 * (the first answer, replayed for every repeat). Keys live 24 hours, then the same key is new again.
 *
 * Claiming is race-free on both dialects: the insert is ON CONFLICT DO NOTHING, and taking over a key
 * whose lease ran out is a compare-and-set on lockedUntil — two retries cannot both win.
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";

export const KEY_TTL_MS = 24 * 3600_000;
/** Longer than one send can take (token, draft, send with bounded retries, read-back, store). */
export const LEASE_MS = 2 * 60_000;

export interface StoredAnswer {
  status: number;
  body: unknown;
}

export type Claim =
  /** The key is ours; draftId is set when an earlier attempt created a draft (resume from it). */
  | { kind: "claimed"; draftId: string | null }
  | { kind: "replay"; answer: StoredAnswer }
  | { kind: "mismatch" }
  | { kind: "in_progress" };

export interface KeyRef {
  organizationId: string;
  userId: string;
  key: string;
}

export async function claimKey(db: Kysely<Database>, ref: KeyRef, requestHash: string, now: Date): Promise<Claim> {
  const nowIso = now.toISOString();
  const lockedUntil = new Date(now.getTime() + LEASE_MS).toISOString();
  // Forget keys older than a day (this user's only: cheap, and keeps the table small).
  await db
    .deleteFrom("idempotencyKeys")
    .where("organizationId", "=", ref.organizationId)
    .where("userId", "=", ref.userId)
    .where("createdAt", "<", new Date(now.getTime() - KEY_TTL_MS).toISOString())
    .execute();
  const inserted = await db
    .insertInto("idempotencyKeys")
    .values({
      organizationId: ref.organizationId,
      userId: ref.userId,
      key: ref.key,
      requestHash,
      response: null,
      status: "in_progress",
      createdAt: nowIso,
      draftId: null,
      lockedUntil,
    })
    .onConflict((oc) => oc.columns(["userId", "key"]).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return { kind: "claimed", draftId: null };

  const row = await db
    .selectFrom("idempotencyKeys")
    .selectAll()
    .where("organizationId", "=", ref.organizationId)
    .where("userId", "=", ref.userId)
    .where("key", "=", ref.key)
    .executeTakeFirst();
  if (!row) return claimKey(db, ref, requestHash, now); // deleted between the two statements (expired): start again
  if (row.requestHash !== requestHash) return { kind: "mismatch" };
  if (row.status === "done" && row.response) return { kind: "replay", answer: JSON.parse(row.response) as StoredAnswer };
  if (row.lockedUntil && row.lockedUntil > nowIso) return { kind: "in_progress" };
  // The lease ran out (the request holding it failed or its process died): take it over, once.
  let q = db
    .updateTable("idempotencyKeys")
    .set({ lockedUntil })
    .where("organizationId", "=", ref.organizationId)
    .where("userId", "=", ref.userId)
    .where("key", "=", ref.key)
    .where("status", "=", "in_progress");
  q = row.lockedUntil === null ? q.where("lockedUntil", "is", null) : q.where("lockedUntil", "=", row.lockedUntil);
  const taken = await q.executeTakeFirst();
  if (Number(taken.numUpdatedRows) !== 1) return { kind: "in_progress" };
  return { kind: "claimed", draftId: row.draftId };
}

/** Remember the draft before it is sent: from here on, a retry checks this draft instead of making another. */
export async function recordDraft(db: Kysely<Database>, ref: KeyRef, draftId: string): Promise<void> {
  await db.updateTable("idempotencyKeys").set({ draftId }).where("organizationId", "=", ref.organizationId).where("userId", "=", ref.userId).where("key", "=", ref.key).execute();
}

/** Store the answer; every repeat of the key gets it back. */
export async function completeKey(db: Kysely<Database>, ref: KeyRef, answer: StoredAnswer): Promise<void> {
  await db
    .updateTable("idempotencyKeys")
    .set({ status: "done", response: JSON.stringify(answer), lockedUntil: null })
    .where("organizationId", "=", ref.organizationId)
    .where("userId", "=", ref.userId)
    .where("key", "=", ref.key)
    .execute();
}

/** Nothing was sent: forget the key so a retry starts from scratch. */
export async function releaseKey(db: Kysely<Database>, ref: KeyRef): Promise<void> {
  await db
    .deleteFrom("idempotencyKeys")
    .where("organizationId", "=", ref.organizationId)
    .where("userId", "=", ref.userId)
    .where("key", "=", ref.key)
    .where("status", "=", "in_progress")
    .execute();
}

/** Whether it was sent is not known yet: keep the key and its draft, end the lease so a retry can resume at once. */
export async function unlockKey(db: Kysely<Database>, ref: KeyRef): Promise<void> {
  await db
    .updateTable("idempotencyKeys")
    .set({ lockedUntil: null })
    .where("organizationId", "=", ref.organizationId)
    .where("userId", "=", ref.userId)
    .where("key", "=", ref.key)
    .where("status", "=", "in_progress")
    .execute();
}
