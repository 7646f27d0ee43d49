/**
 * Erasing a person: the erasures record, and the statements that find and rewrite what the organization
 * stores about one address. Erasure is the one operation that must reach every table holding an address,
 * so those statements live together here (REDACTIONS lists the free-text columns); test/db/erasure.test.ts
 * scans every text column of every table, so a new table that stores addresses fails it until it is listed.
 * Every statement is scoped to the organization and bounded by `limit`.
 */
import { purgeContact } from "./contacts";
import { createHash, randomBytes } from "node:crypto";
import { sql, type ExpressionBuilder, type Kysely } from "kysely";
import { normalizeAddress } from "../../shared/capture";
import type { Database } from "../db/schema";
import type { Participant } from "./engagements";
import { chunks, likeContains, newId, parseJson } from "./util";

/** What an erased address becomes where the row itself is kept: reserved (.invalid, RFC 2606), never a mailbox. */
export const ERASED_ADDRESS = "erased@erased.invalid";

export interface ErasureRecordInput {
  organizationId: string;
  address: string;
  scope: "sole" | "full";
  erasedByUserId: string | null;
  erasedAt: string;
  counts: Record<string, number>;
}

/** The salted SHA-256 an erasure keeps instead of the address. */
export function erasedAddressHash(salt: string, address: string): string {
  return createHash("sha256").update(`${salt}\n${address}`).digest("hex");
}

export async function recordErasure(db: Kysely<Database>, e: ErasureRecordInput): Promise<string> {
  const id = newId();
  const salt = randomBytes(16).toString("hex");
  await db
    .insertInto("erasures")
    .values({
      id,
      organizationId: e.organizationId,
      addressHash: erasedAddressHash(salt, e.address),
      salt,
      scope: e.scope,
      erasedByUserId: e.erasedByUserId,
      erasedAt: e.erasedAt,
      counts: JSON.stringify(e.counts),
    })
    .execute();
  return id;
}

/** Whether a member of the organization uses this address (their own mail, not a contact's). */
export async function isMemberAddress(db: Kysely<Database>, organizationId: string, address: string): Promise<boolean> {
  const rows = await db
    .selectFrom("users")
    .select(["email", "addresses"])
    .where("organizationId", "=", organizationId)
    .where((eb) =>
      eb.or([
        eb(sql<string>`lower(${sql.ref("email")})`, "=", address),
        eb(sql<string>`lower(${sql.ref("addresses")})`, "like", sql<string>`${likeContains(address)} escape '\\'`),
      ]),
    )
    .execute();
  return rows.some(
    (r) =>
      normalizeAddress(r.email) === address ||
      parseJson<string[]>(r.addresses, []).some((a) => normalizeAddress(a) === address),
  );
}

/** The organization's contact row for the address, live or untracked (email is unique per organization). */
export async function contactIdByEmail(
  db: Kysely<Database>,
  organizationId: string,
  address: string,
): Promise<string | null> {
  const row = await db
    .selectFrom("contacts")
    .select("id")
    .where("organizationId", "=", organizationId)
    .where("email", "=", address)
    .executeTakeFirst();
  return row?.id ?? null;
}

/** Every engagement linked to the contact. */
export async function engagementIdsLinkedTo(
  db: Kysely<Database>,
  organizationId: string,
  contactId: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom("engagementContacts")
    .select("engagementId")
    .where("organizationId", "=", organizationId)
    .where("contactId", "=", contactId)
    .execute();
  return rows.map((r) => r.engagementId);
}

/**
 * One page (ids after `afterId`, in id order) of the organization's engagements with the address as a
 * participant (from, to, cc). `next` is where the following page starts; null after the last page.
 */
export async function engagementsWithParticipant(
  db: Kysely<Database>,
  organizationId: string,
  address: string,
  afterId: string,
  limit: number,
): Promise<{ ids: string[]; next: string | null }> {
  const pattern = likeContains(address);
  const rows = await db
    .selectFrom("engagements")
    .select(["id", "fromAddress", "participants"])
    .where("organizationId", "=", organizationId)
    .where("id", ">", afterId)
    .where(
      sql<boolean>`(lower(${sql.ref("participants")}) like ${pattern} escape '\\' or lower(coalesce(${sql.ref("fromAddress")}, '')) like ${pattern} escape '\\')`,
    )
    .orderBy("id")
    .limit(limit)
    .execute();
  const ids = rows
    .filter(
      (r) =>
        normalizeAddress(r.fromAddress) === address ||
        parseJson<Participant[]>(r.participants, []).some((p) => normalizeAddress(p?.address) === address),
    )
    .map((r) => r.id);
  return { ids, next: rows.length < limit ? null : rows[rows.length - 1].id };
}

/** How many capture decisions point to these engagements (the ones a removal turns into hash-only records). */
export async function countDecisionsOf(
  db: Kysely<Database>,
  organizationId: string,
  engagementIds: readonly string[],
): Promise<number> {
  let n = 0;
  for (const part of chunks(engagementIds)) {
    const row = await db
      .selectFrom("captureDecisions")
      .select((eb) => eb.fn.countAll<string | number>().as("n"))
      .where("organizationId", "=", organizationId)
      .where("engagementId", "in", part)
      .executeTakeFirst();
    n += Number(row?.n ?? 0);
  }
  return n;
}

/** The contact row, for good, once its links are gone. */
export async function deleteContactForGood(
  trx: Kysely<Database>,
  organizationId: string,
  contactId: string,
): Promise<number> {
  return purgeContact(trx, organizationId, contactId);
}

/** Free-text columns that may hold an address, by table, with each table's key. */
export const REDACTIONS = {
  /** Engagements the erasure keeps (another tracked participant), and mail that only mentions the address. */
  engagements: { key: ["id"], columns: ["fromAddress", "participants", "subject", "bodyText", "bodyPreview"] },
  /** The excluded folder's name is the only free text a decision keeps. */
  captureDecisions: { key: ["userId", "messageKey"], columns: ["detail"] },
  /** The stored answer of a send (it names the recipients). */
  idempotencyKeys: { key: ["userId", "key"], columns: ["response"] },
  sweeps: { key: ["id"], columns: ["error"] },
  mailboxConnections: { key: ["id"], columns: ["lastError", "statusReason"] },
} as const satisfies Record<string, { key: readonly string[]; columns: readonly string[] }>;

export type RedactedTable = keyof typeof REDACTIONS;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The text with every occurrence of the address (any case) replaced; participants lose the name too. */
export function redactText(column: string, text: string | null, address: string): string | null {
  if (text === null) return null;
  let out = text;
  if (column === "participants") {
    const list = parseJson<Participant[] | null>(text, null);
    if (Array.isArray(list))
      out = JSON.stringify(
        list.map((p) => (normalizeAddress(p?.address) === address ? { ...p, address: ERASED_ADDRESS, name: null } : p)),
      );
  }
  return out.replace(new RegExp(escapeRegExp(address), "gi"), ERASED_ADDRESS);
}

/**
 * One batch: up to `limit` rows of the table whose listed columns mention the address, in key order after
 * `after` (null: from the start), rewritten without it. Returns the rows rewritten (their keys), how many
 * were found, and `next`, where the following batch starts (null when fewer than `limit` were found: none
 * are left). Going on from the last key, never from the start, keeps a large footprint one pass over the
 * table. A row whose rewrite changes nothing (the database's lower() and ours disagree on a character) is
 * skipped and counted in `stuck`.
 */
export async function redactBatch(
  db: Kysely<Database>,
  table: RedactedTable,
  organizationId: string,
  address: string,
  limit: number,
  after: readonly string[] | null = null,
): Promise<{ keys: Record<string, string>[]; found: number; stuck: number; next: string[] | null }> {
  const { key, columns } = REDACTIONS[table];
  const pattern = likeContains(address);
  const any = db as unknown as Kysely<any>;
  let query = any
    .selectFrom(table)
    .select([...key, ...columns])
    .where("organizationId", "=", organizationId);
  if (after) query = query.where(afterKey(key, after));
  const rows: Record<string, string | null>[] = await query
    .where(
      sql<boolean>`(${sql.join(
        columns.map((c) => sql`lower(coalesce(${sql.ref(c)}, '')) like ${pattern} escape '\\'`),
        sql` or `,
      )})`,
    )
    .orderBy([...key])
    .limit(limit)
    .execute();
  const keys: Record<string, string>[] = [];
  let stuck = 0;
  for (const row of rows) {
    const set: Record<string, string | null> = {};
    for (const c of columns) {
      const v = redactText(c, row[c], address);
      if (v !== row[c]) set[c] = v;
    }
    if (Object.keys(set).length === 0) {
      stuck++;
      continue;
    }
    let q = any.updateTable(table).set(set).where("organizationId", "=", organizationId);
    for (const k of key) q = q.where(k, "=", row[k]);
    await q.execute();
    keys.push(Object.fromEntries(key.map((k) => [k, String(row[k])])));
  }
  const last = rows[rows.length - 1];
  return {
    keys,
    found: rows.length,
    stuck,
    next: rows.length < limit || !last ? null : key.map((k) => String(last[k])),
  };
}

/** Rows whose key comes after `after` in key order (keys of one or two text columns). */
function afterKey(key: readonly string[], after: readonly string[]) {
  return (eb: ExpressionBuilder<any, any>) =>
    key.length === 1
      ? eb(key[0], ">", after[0])
      : eb.or([eb(key[0], ">", after[0]), eb.and([eb(key[0], "=", after[0]), eb(key[1], ">", after[1])])]);
}
