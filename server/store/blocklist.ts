/**
 * Blocklist entries: addresses or "@domain" (subdomains match), organization-wide (userId null)
 * or personal to one user. A message with a blocked participant is never captured.
 */
import type { ExpressionBuilder, Kysely } from "kysely";
import { normalizeBlockEntry } from "../../shared/capture";
import type { BlockEntryView } from "../../shared/api/contract";
import type { BlocklistEntryTable, Database } from "../db/schema";
import { ConflictError, isUniqueViolation } from "./errors";
import { recordRuleChanges } from "./rule-changes";
import { prepared } from "./prepared";
import { readOne, type Read } from "./read-together";
import { iso, newId } from "./util";

export type BlockEntryRecord = BlocklistEntryTable;

/** What one user's mailbox is subject to: the organization's entries and their own personal ones. */
const visibleTo = (userId: string) => (eb: ExpressionBuilder<Database, "blocklistEntries">) =>
  eb.or([eb("userId", "is", null), eb("userId", "=", userId)]);

export function toBlockEntryView(row: BlockEntryRecord): BlockEntryView {
  return {
    id: row.id,
    entry: row.entry,
    scope: row.userId === null ? "organization" : "personal",
    createdAt: row.createdAt,
  };
}

/** Organization-wide entries plus this user's personal ones. */
export async function listBlockEntries(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
): Promise<BlockEntryView[]> {
  const rows = await db
    .selectFrom("blocklistEntries")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where(visibleTo(userId))
    .orderBy("entry")
    .orderBy("createdAt")
    .execute();
  return rows.map(toBlockEntryView);
}

/** Compiled once (hot path: every status call; see prepared.ts). */
const selectBlocklist = prepared((db, organizationId: string, userId: string) =>
  db
    .selectFrom("blocklistEntries")
    .select(["entry", "userId"])
    .where("organizationId", "=", organizationId)
    .where(visibleTo(userId)),
);

/** The entries that apply to this user's mailbox, as the capture rules read them. */
export async function blocklistFor(db: Kysely<Database>, organizationId: string, userId: string): Promise<string[]> {
  const rows = await selectBlocklist(db, organizationId, userId);
  return rows.map((r) => r.entry);
}

/** The same entries with whose list each is on (the status call says which list blocks a participant). */
export function blockEntriesRead(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
): Read<{ entry: string; scope: "organization" | "personal" }[]> {
  return { queries: [selectBlocklist.bind(db, organizationId, userId)], answer: blockEntriesOf };
}

function blockEntriesOf([rows]: unknown[][]): { entry: string; scope: "organization" | "personal" }[] {
  return (rows as Awaited<ReturnType<typeof selectBlocklist>>).map((r) => ({
    entry: r.entry,
    scope: r.userId === null ? "organization" : "personal",
  }));
}

export function blockEntriesFor(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
): Promise<{ entry: string; scope: "organization" | "personal" }[]> {
  return readOne(db, blockEntriesRead(db, organizationId, userId));
}

export async function countBlockEntries(db: Kysely<Database>, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom("blocklistEntries")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .where("organizationId", "=", organizationId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Add an entry. Throws ConflictError("invalid_entry") when it is neither an address nor "@domain",
 * ConflictError("duplicate_block_entry") when the same entry exists in that scope, and
 * ConflictError("blocklist_quota_exceeded") when the organization has `maxEntries` entries (organization-wide
 * and personal together): every status call and sweep reads a user's whole list, so its length is bounded.
 */
export async function addBlockEntry(
  db: Kysely<Database>,
  organizationId: string,
  input: { entry: string; scope: "organization" | "personal"; userId: string },
  now: Date | string,
  maxEntries: number = Number.POSITIVE_INFINITY,
): Promise<BlockEntryView> {
  const entry = normalizeBlockEntry(input.entry);
  if (!entry) throw new ConflictError("invalid_entry", "A blocklist entry must be an email address or @domain.");
  if (Number.isFinite(maxEntries)) {
    const existing = await countBlockEntries(db, organizationId);
    if (existing >= maxEntries) {
      throw new ConflictError(
        "blocklist_quota_exceeded",
        `Your organization's blocklists hold at most ${maxEntries} entries in all; remove some, or block a whole @domain instead of its addresses.`,
        { limit: maxEntries, existing },
      );
    }
  }
  const row: BlockEntryRecord = {
    id: newId(),
    organizationId,
    userId: input.scope === "personal" ? input.userId : null,
    entry,
    createdAt: iso(now),
  };
  try {
    await db.insertInto("blocklistEntries").values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ConflictError("duplicate_block_entry", `${entry} is already on the ${input.scope} blocklist.`);
    throw err;
  }
  return toBlockEntryView(row);
}

/** An organization-wide entry or one of this user's personal entries (someone else's personal entry is null). */
export async function getBlockEntry(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  id: string,
): Promise<BlockEntryView | null> {
  const row = await db
    .selectFrom("blocklistEntries")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("id", "=", id)
    .where(visibleTo(userId))
    .executeTakeFirst();
  return row ? toBlockEntryView(row) : null;
}

/** Remove an organization-wide entry, or one of this user's personal entries (never someone else's). */
export async function deleteBlockEntry(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  id: string,
  now: Date | string,
): Promise<boolean> {
  // The removal and its record go together: a sweep that sees one sees the other.
  return db.transaction().execute(async (trx) => {
    const removed = await trx
      .deleteFrom("blocklistEntries")
      .where("organizationId", "=", organizationId)
      .where("id", "=", id)
      .where(visibleTo(userId))
      .returning(["userId", "entry"])
      .executeTakeFirst();
    if (!removed) return false;
    // Mail excluded as blocked by this entry may now be captured: the next sweeps look for it (only the
    // owner's mailbox for a personal entry).
    await recordRuleChanges(trx, organizationId, removed.userId, "block_removed", [removed.entry], now);
    return true;
  });
}

/** The organization's and its members' blocklist entries for exactly this address (domain entries stay). */
export async function deleteBlockEntriesFor(
  db: Kysely<Database>,
  organizationId: string,
  address: string,
): Promise<number> {
  const res = await db
    .deleteFrom("blocklistEntries")
    .where("organizationId", "=", organizationId)
    .where("entry", "=", address)
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
