/**
 * Erasing a person: everything the organization stores about one email address, at an administrator's
 * request, answered with counts per kind and recorded without the address (store/erasures.ts).
 *
 * - The contact is untracked first, so a sweep running meanwhile stops capturing for it.
 * - Engagements deleted, like a removal on request (content and links gone; their decisions keep only the
 *   message hash; a "deleted" change in the feed): scope "sole", those whose only tracked participant was
 *   this contact (no other live contact linked); scope "full", every engagement the address took part in
 *   (from, to, cc) or that was linked to the contact.
 * - Engagements kept (another tracked participant, scope "sole") and any stored text that mentions the
 *   address (subjects, bodies, a send's stored answer, an excluded folder's name, sweep errors) are
 *   rewritten with ERASED_ADDRESS in its place; participants lose the name too. Rewritten engagements get
 *   an "updated" change, so CRMs reading the feed fetch the redacted view.
 * - The contact row, its links and blocklist entries for exactly the address are deleted.
 *
 * Every step is short transactions of at most `batchSize` rows — links, deletions, rewrites alike — so
 * no lock is held for long and the sweep and status call keep their turns; rewrites go on from the last
 * key, so a large footprint is one pass over each table, not one per batch. Not one transaction: an
 * erasure that fails or times out half-way is finished by asking again (each step finds only what is
 * left). A member's own address is refused: a colleague's data goes with their account, not through erasure.
 *
 * It runs in the request rather than as a queued job on purpose: a job would have to keep the address
 * until it ran (pg-boss keeps a job's data in its archive for days), while an erasure must keep none;
 * and the administrator gets the counts in the answer. A request cut short by a proxy loses nothing —
 * asking again finishes it.
 */
import type { Kysely } from "kysely";
import { normalizeAddress } from "../../shared/capture";
import type { Database } from "../db/schema";
import { DomainError } from "../domain-error";
import { removeEngagements, unlinkContactFromEngagements } from "../store/capture-decisions";
import { deleteContact } from "../store/contacts";
import { recordEngagementChanges } from "../store/engagement-changes";
import { engagementsOfContact } from "../store/engagements";
import {
  contactIdByEmail,
  countDecisionsOf,
  deleteContactForGood,
  engagementIdsLinkedTo,
  engagementsWithParticipant,
  isMemberAddress,
  recordErasure,
  redactBatch,
  type RedactedTable,
} from "../store/erasures";
import { deleteBlockEntriesFor } from "../store/blocklist";
import { deleteRuleChangesFor } from "../store/rule-changes";
import { chunks, iso } from "../store/util";

export type ErasureScope = "sole" | "full";

export interface ErasureCounts {
  contacts: number;
  contactLinks: number;
  engagementsDeleted: number;
  engagementsRedacted: number;
  /** Decisions that captured a deleted engagement: now only the message hash and why. */
  decisionsReleased: number;
  decisionsRedacted: number;
  blockEntries: number;
  sentAnswersRedacted: number;
  /** Sweep errors and mailbox connection messages rewritten. */
  otherRedacted: number;
}

export interface ErasureRequest {
  organizationId: string;
  address: string;
  scope: ErasureScope;
  erasedByUserId: string | null;
  now: Date;
  batchSize?: number;
}

export async function erasePerson(
  db: Kysely<Database>,
  req: ErasureRequest,
): Promise<{ id: string; counts: ErasureCounts }> {
  const address = normalizeAddress(req.address);
  if (!address) throw new DomainError("invalid_email", "The address is not a valid email address.");
  const { organizationId: org, now } = req;
  if (await isMemberAddress(db, org, address)) {
    throw new DomainError(
      "erasure_of_member",
      "That address belongs to a member of your organization; their data goes with their account, not through erasure.",
    );
  }
  const size = req.batchSize ?? 500;
  const counts: ErasureCounts = {
    contacts: 0,
    contactLinks: 0,
    engagementsDeleted: 0,
    engagementsRedacted: 0,
    decisionsReleased: 0,
    decisionsRedacted: 0,
    blockEntries: 0,
    sentAnswersRedacted: 0,
    otherRedacted: 0,
  };
  const contactId = await contactIdByEmail(db, org, address);
  if (contactId) await deleteContact(db, org, contactId, now);
  await deleteEngagements(db, org, address, contactId, req.scope, size, now, counts);
  if (contactId) {
    counts.contactLinks += await unlinkAll(db, org, contactId, size, now);
    counts.contacts += await deleteContactForGood(db, org, contactId);
  }
  counts.engagementsRedacted = await redactAll(db, "engagements", org, address, size, now);
  counts.decisionsRedacted = await redactAll(db, "captureDecisions", org, address, size, now);
  counts.sentAnswersRedacted = await redactAll(db, "idempotencyKeys", org, address, size, now);
  counts.otherRedacted =
    (await redactAll(db, "sweeps", org, address, size, now)) +
    (await redactAll(db, "mailboxConnections", org, address, size, now));
  counts.blockEntries = await deleteBlockEntriesFor(db, org, address);
  // After the block entries: the targeted re-read a removed block would ask for must not look for the person.
  counts.otherRedacted += await deleteRuleChangesFor(db, org, address);
  const id = await recordErasure(db, {
    organizationId: org,
    address,
    scope: req.scope,
    erasedByUserId: req.erasedByUserId,
    erasedAt: iso(now),
    counts: { ...counts },
  });
  return { id, counts };
}

/** The engagements the scope deletes, a batch per transaction. */
async function deleteEngagements(
  db: Kysely<Database>,
  org: string,
  address: string,
  contactId: string | null,
  scope: ErasureScope,
  size: number,
  now: Date,
  counts: ErasureCounts,
): Promise<void> {
  const removeBatch = async (ids: readonly string[]) => {
    if (!ids.length) return;
    await db.transaction().execute(async (trx) => {
      counts.decisionsReleased += await countDecisionsOf(trx, org, ids);
      counts.engagementsDeleted += await removeEngagements(
        trx,
        org,
        ids,
        { reason: "no_tracked_contact", removal: "untracked_contact" },
        now,
      );
    });
  };
  if (scope === "sole") {
    if (!contactId) return;
    for (const part of chunks((await engagementsOfContact(db, org, contactId)).only, size)) await removeBatch(part);
    return;
  }
  if (contactId)
    for (const part of chunks(await engagementIdsLinkedTo(db, org, contactId), size)) await removeBatch(part);
  for (let after: string | null = ""; after !== null;) {
    const page: { ids: string[]; next: string | null } = await engagementsWithParticipant(
      db,
      org,
      address,
      after,
      size,
    );
    await removeBatch(page.ids);
    after = page.next;
  }
}

/** The contact's remaining links, a batch per transaction (each linked engagement's view changed). */
async function unlinkAll(db: Kysely<Database>, org: string, contactId: string, size: number, now: Date) {
  let total = 0;
  for (;;) {
    const links = await db.transaction().execute(async (trx) => {
      const ids = await unlinkContactFromEngagements(trx, org, contactId, size);
      const changes = ids.map((engagementId) => ({ engagementId, type: "updated" as const }));
      await recordEngagementChanges(trx, org, changes, now);
      return ids.length;
    });
    total += links;
    if (links < size) return total;
  }
}

/** Rewrites the table's rows that mention the address, a batch per transaction, in one pass; how many. */
async function redactAll(
  db: Kysely<Database>,
  table: RedactedTable,
  org: string,
  address: string,
  size: number,
  now: Date,
): Promise<number> {
  let total = 0;
  let after: string[] | null = null;
  do {
    const from: string[] | null = after;
    const batch = await db.transaction().execute(async (trx) => {
      const b = await redactBatch(trx, table, org, address, size, from);
      if (table === "engagements") {
        const changes = b.keys.map((k) => ({ engagementId: k.id, type: "updated" as const }));
        await recordEngagementChanges(trx, org, changes, now);
      }
      return b;
    });
    total += batch.keys.length;
    after = batch.next;
  } while (after !== null);
  return total;
}
