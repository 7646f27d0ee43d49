/**
 * Idempotency keys for POST /api/mail, scoped to (organization, user). One row per key:
 * in_progress (a request holds it until lockedUntil; sendMarker + sendStartedAt once a send was
 * attempted, written before the message goes to Graph) → done (the first answer, replayed for every
 * repeat). Keys live 24 hours, then the same key is new again.
 *
 * Claiming is race-free on both dialects: the insert is ON CONFLICT DO NOTHING, and taking over a key
 * whose lease ran out is a compare-and-set on lockedUntil — two retries cannot both win.
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";

export const KEY_TTL_MS = 24 * 3600_000;
/** Longer than one send can take (token, send with bounded retries, finding the sent copy, store). */
export const LEASE_MS = 2 * 60_000;

export interface StoredAnswer {
  status: number;
  body: unknown;
}

/** A send that was attempted for a key: the marker on the message and when the send began. */
export interface SendAttempt {
  marker: string;
  startedAt: string;
}

export type Claim =
  /** The key is ours; attempt is set when an earlier request may have sent the message (look for it first). */
  | { kind: "claimed"; attempt: SendAttempt | null }
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
      sendMarker: null,
      sendStartedAt: null,
      lockedUntil,
    })
    .onConflict((oc) => oc.columns(["userId", "key"]).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return { kind: "claimed", attempt: null };

  const row = await db
    .selectFrom("idempotencyKeys")
    .selectAll()
    .where("organizationId", "=", ref.organizationId)
    .where("userId", "=", ref.userId)
    .where("key", "=", ref.key)
    .executeTakeFirst();
  if (!row) return claimKey(db, ref, requestHash, now); // deleted between the two statements (expired): start again
  if (row.requestHash !== requestHash) return { kind: "mismatch" };
  if (row.status === "done" && row.response)
    return { kind: "replay", answer: JSON.parse(row.response) as StoredAnswer };
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
  return {
    kind: "claimed",
    attempt: row.sendMarker && row.sendStartedAt ? { marker: row.sendMarker, startedAt: row.sendStartedAt } : null,
  };
}

/**
 * Remember the send before it is made: from here on, a retry with this key looks for the sent message
 * instead of sending another (and, not finding it, answers that the state is unknown).
 */
export async function recordSendAttempt(db: Kysely<Database>, ref: KeyRef, attempt: SendAttempt): Promise<void> {
  await db
    .updateTable("idempotencyKeys")
    .set({ sendMarker: attempt.marker, sendStartedAt: attempt.startedAt })
    .where("organizationId", "=", ref.organizationId)
    .where("userId", "=", ref.userId)
    .where("key", "=", ref.key)
    .execute();
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

/** Whether it was sent is not known yet: keep the key and its send attempt, end the lease so a retry can look again at once. */
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
