/**
 * Contacts: people at clients, keyed by normalised email, unique per organization.
 * A contact is tracked while it exists; deleting is soft (deletedAt) so engagement links survive,
 * and re-adding revives the row with a new createdAt — capture rule 7 reads createdAt.
 */
import { sql, type Kysely } from "kysely";
import { normalizeAddress } from "../../shared/capture";
import type { ContactView, Page } from "../../shared/api/contract";
import type { ContactTable, Database } from "../db/schema";
import {
  assertRoomForClients,
  clientNameKey,
  ensureClientsByName,
  getClient,
  getClientsByIds,
  type ClientRecord,
} from "./clients";
import { isVisibleClientName } from "../../shared/clients/name-key";
import { acquireImportLease, releaseImportLease } from "./contact-import-leases";
import { ConflictError, InvalidCursorError, NotFoundError, isUniqueViolation } from "./errors";
import { prepared } from "./prepared";
import { readOne, type Read } from "./read-together";
import { chunks, decodeCursor, encodeCursor, iso, likeContains, newId } from "./util";

export type ContactRecord = ContactTable;

export { InvalidCursorError } from "./errors";

export function toContactView(
  row: ContactRecord,
  client: Pick<ClientRecord, "id" | "name"> | null,
  trackedBy: ContactView["trackedBy"] = null,
): ContactView {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    clientId: row.clientId,
    client: client ? { id: client.id, name: client.name } : null,
    createdAt: row.createdAt,
    trackedBy,
  };
}

async function withClients(
  db: Kysely<Database>,
  organizationId: string,
  rows: ContactRecord[],
): Promise<ContactView[]> {
  const ids = rows.map((r) => r.clientId).filter((x): x is string => !!x);
  const clients = new Map((await getClientsByIds(db, organizationId, ids)).map((c) => [c.id, c]));
  const trackers = await trackersOf(db, organizationId, rows);
  return rows.map((r) =>
    toContactView(
      r,
      r.clientId ? (clients.get(r.clientId) ?? null) : null,
      r.trackedByUserId ? (trackers.get(r.trackedByUserId) ?? applicationTracker(r.trackedByUserId)) : null,
    ),
  );
}

/**
 * A contact tracked by an application (a CRM's client-credentials token) records "app:<client id>": no user
 * row, so the view names the application.
 */
function applicationTracker(trackedBy: string): ContactView["trackedBy"] {
  if (!trackedBy.startsWith("app:")) return null;
  const clientId = trackedBy.slice("app:".length);
  return { id: trackedBy, email: "", displayName: `Application ${clientId}` };
}

/** The users who tracked these contacts (the Contacts view says who and when). */
async function trackersOf(
  db: Kysely<Database>,
  organizationId: string,
  rows: ContactRecord[],
): Promise<Map<string, NonNullable<ContactView["trackedBy"]>>> {
  const ids = [...new Set(rows.map((r) => r.trackedByUserId).filter((x): x is string => !!x))];
  const out = new Map<string, NonNullable<ContactView["trackedBy"]>>();
  for (const part of chunks(ids)) {
    const users = await db
      .selectFrom("users")
      .select(["id", "email", "displayName"])
      .where("organizationId", "=", organizationId)
      .where("id", "in", part)
      .execute();
    for (const u of users) out.set(u.id, { id: u.id, email: u.email, displayName: u.displayName });
  }
  return out;
}

export interface ContactQuery {
  /** Case-insensitive substring of the email or the name. */
  q?: string;
  clientId?: string;
  cursor?: string;
  limit: number;
}

/** Live contacts ordered by email (unique per organization, so it is a stable cursor). */
export async function listContacts(
  db: Kysely<Database>,
  organizationId: string,
  query: ContactQuery,
): Promise<Page<ContactView>> {
  let qb = db
    .selectFrom("contacts")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("deletedAt", "is", null);
  if (query.clientId) qb = qb.where("clientId", "=", query.clientId);
  if (query.q) {
    const pattern = likeContains(query.q);
    qb = qb.where(
      sql<boolean>`(lower(${sql.ref("email")}) like ${pattern} escape '\\' or lower(coalesce(${sql.ref("name")}, '')) like ${pattern} escape '\\')`,
    );
  }
  if (query.cursor) {
    const key = decodeCursor(query.cursor, 1);
    if (!key) throw new InvalidCursorError();
    qb = qb.where("email", ">", key[0]);
  }
  const rows = await qb
    .orderBy("email")
    .limit(query.limit + 1)
    .execute();
  const more = rows.length > query.limit;
  const page = more ? rows.slice(0, query.limit) : rows;
  return {
    items: await withClients(db, organizationId, page),
    nextCursor: more ? encodeCursor([page[page.length - 1].email]) : null,
  };
}

export async function getContact(
  db: Kysely<Database>,
  organizationId: string,
  contactId: string,
): Promise<ContactRecord | null> {
  const row = await db
    .selectFrom("contacts")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("id", "=", contactId)
    .where("deletedAt", "is", null)
    .executeTakeFirst();
  return row ?? null;
}

export async function getContactView(
  db: Kysely<Database>,
  organizationId: string,
  contactId: string,
): Promise<ContactView | null> {
  const row = await getContact(db, organizationId, contactId);
  return row ? (await withClients(db, organizationId, [row]))[0] : null;
}

async function assertClientInOrganization(
  db: Kysely<Database>,
  organizationId: string,
  clientId: string | null | undefined,
): Promise<void> {
  if (clientId && !(await getClient(db, organizationId, clientId)))
    throw new NotFoundError("client_not_found", "No such client.");
}

export interface NewContact {
  email: string;
  name?: string | null;
  clientId?: string | null;
  /** The user tracking it. */
  trackedBy?: string | null;
}

/**
 * Track a new contact. A live contact with the same address → ConflictError("duplicate_contact");
 * a deleted one is revived with a new createdAt (it becomes tracked again now). At the organization's
 * contact quota → ConflictError("contact_quota_exceeded").
 */
export async function createContact(
  db: Kysely<Database>,
  organizationId: string,
  input: NewContact,
  now: Date | string,
  limits: ContactLimits = NO_LIMITS,
): Promise<ContactView> {
  const email = normalizeAddress(input.email);
  if (!email) throw new ConflictError("invalid_email", "Not a valid email address.");
  await assertClientInOrganization(db, organizationId, input.clientId);
  const t = iso(now);
  const existing = await db
    .selectFrom("contacts")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("email", "=", email)
    .executeTakeFirst();
  if (existing && existing.deletedAt === null) {
    throw new ConflictError("duplicate_contact", `${email} is already a tracked contact.`, { contactId: existing.id });
  }
  await assertRoomFor(db, organizationId, 1, limits);
  if (existing) {
    await db
      .updateTable("contacts")
      .set({
        deletedAt: null,
        createdAt: t,
        updatedAt: t,
        name: input.name ?? null,
        clientId: input.clientId ?? null,
        trackedByUserId: input.trackedBy ?? null,
      })
      .where("organizationId", "=", organizationId)
      .where("id", "=", existing.id)
      .where("deletedAt", "is not", null)
      .execute();
    return (await getContactView(db, organizationId, existing.id))!;
  }
  const row: ContactRecord = {
    id: newId(),
    organizationId,
    clientId: input.clientId ?? null,
    email,
    name: input.name ?? null,
    createdAt: t,
    updatedAt: t,
    deletedAt: null,
    trackedByUserId: input.trackedBy ?? null,
  };
  try {
    await db.insertInto("contacts").values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError("duplicate_contact", `${email} is already a tracked contact.`);
    throw err;
  }
  return (await withClients(db, organizationId, [row]))[0];
}

/**
 * Change a contact's name or client. The address is the contact's identity (and rule 7 reads when
 * it became tracked), so a different address is a new contact: delete this one and add that one.
 */
export async function updateContact(
  db: Kysely<Database>,
  organizationId: string,
  contactId: string,
  patch: { name?: string | null; clientId?: string | null },
  now: Date | string,
): Promise<ContactView | null> {
  const current = await getContact(db, organizationId, contactId);
  if (!current) return null;
  await assertClientInOrganization(db, organizationId, patch.clientId);
  const set: Partial<ContactRecord> = { updatedAt: iso(now) };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.clientId !== undefined) set.clientId = patch.clientId;
  await db
    .updateTable("contacts")
    .set(set)
    .where("organizationId", "=", organizationId)
    .where("id", "=", contactId)
    .execute();
  return getContactView(db, organizationId, contactId);
}

/** Stop tracking a contact (soft delete). Returns false when there is no live contact with that id. */
export async function deleteContact(
  db: Kysely<Database>,
  organizationId: string,
  contactId: string,
  now: Date | string,
): Promise<boolean> {
  const res = await db
    .updateTable("contacts")
    .set({ deletedAt: iso(now), updatedAt: iso(now) })
    .where("organizationId", "=", organizationId)
    .where("id", "=", contactId)
    .where("deletedAt", "is", null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** A participant's contact as the status call shows it: who, since when, and of which client. */
export interface ParticipantContact extends Pick<ContactRecord, "id" | "email" | "name" | "createdAt"> {
  client: Pick<ClientRecord, "id" | "name"> | null;
}

/**
 * Live contacts among the given addresses (normalised here), with their clients — the status
 * endpoint's hot path: one indexed lookup for the message's participants, never the whole list, and
 * only the columns the call shows (each column fetched and mapped costs time on every call).
 * Compiled once per list length (see prepared.ts).
 */
const selectLiveContacts = prepared((db, organizationId: string, emails: readonly string[]) =>
  db
    .selectFrom("contacts")
    .leftJoin("clients", "clients.id", "contacts.clientId")
    .select([
      "contacts.id",
      "contacts.email",
      "contacts.name",
      "contacts.createdAt",
      "contacts.clientId",
      "clients.name as clientName",
    ])
    .where("contacts.organizationId", "=", organizationId)
    .where("contacts.email", "in", emails)
    .where("contacts.deletedAt", "is", null),
);

/** The same as a read among others (store/read-together.ts): one query per chunk of addresses. */
export function liveContactsRead(
  db: Kysely<Database>,
  organizationId: string,
  emails: readonly string[],
): Read<ParticipantContact[]> {
  const wanted = [...new Set(emails.map((e) => normalizeAddress(e)).filter((e): e is string => !!e))];
  return {
    queries: chunks(wanted).map((part) => selectLiveContacts.bind(db, organizationId, part)),
    answer: participantContactsOf,
  };
}

function participantContactsOf(results: unknown[][]): ParticipantContact[] {
  const out: ParticipantContact[] = [];
  for (const rows of results as Awaited<ReturnType<typeof selectLiveContacts>>[]) {
    for (const r of rows) {
      out.push({
        id: r.id,
        email: r.email,
        name: r.name,
        createdAt: r.createdAt,
        client: r.clientId && r.clientName != null ? { id: r.clientId, name: r.clientName } : null,
      });
    }
  }
  return out;
}

export function findLiveContactsByEmails(
  db: Kysely<Database>,
  organizationId: string,
  emails: readonly string[],
): Promise<ParticipantContact[]> {
  return readOne(db, liveContactsRead(db, organizationId, emails));
}

/** Every live contact's address and createdAt: what the sweep's capture rules read. */
export async function listLiveContactFacts(
  db: Kysely<Database>,
  organizationId: string,
): Promise<{ id: string; email: string; createdAt: string }[]> {
  return db
    .selectFrom("contacts")
    .select(["id", "email", "createdAt"])
    .where("organizationId", "=", organizationId)
    .where("deletedAt", "is", null)
    .execute();
}

export interface ImportRow {
  /** 1-based line number in the file (the header is line 1), as a spreadsheet shows it. */
  row: number;
  email: string;
  name: string | null;
  client: string | null;
}

export interface ImportRowError {
  row: number;
  field: "email" | "name" | "client" | "row";
  message: string;
}

export type ImportResult =
  | { ok: true; created: number; revived: number; clientsCreated: number; contacts: ContactView[] }
  | { ok: false; errors: ImportRowError[] };

/** How many contacts (config CONTACTS_PER_ORGANIZATION) and clients (CLIENTS_PER_ORGANIZATION) an organization may have. */
export interface ContactLimits {
  maxContacts: number;
  maxClients?: number;
}

const NO_LIMITS: ContactLimits = { maxContacts: Number.POSITIVE_INFINITY };

/** Rows written per transaction: short enough that other organizations' queries interleave. */
export const IMPORT_CHUNK_ROWS = 500;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function countLiveContacts(db: Kysely<Database>, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom("contacts")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .where("organizationId", "=", organizationId)
    .where("deletedAt", "is", null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** ConflictError("contact_quota_exceeded") when `adding` more live contacts would pass the limit. */
async function assertRoomFor(
  db: Kysely<Database>,
  organizationId: string,
  adding: number,
  limits: ContactLimits,
): Promise<void> {
  if (!Number.isFinite(limits.maxContacts)) return;
  const existing = await countLiveContacts(db, organizationId);
  if (existing + adding <= limits.maxContacts) return;
  throw new ConflictError(
    "contact_quota_exceeded",
    `Your organization can track at most ${limits.maxContacts} contacts; it tracks ${existing}` +
      (adding > 1 ? ` and this import would add ${adding}.` : ". Delete contacts you no longer need first."),
    { limit: limits.maxContacts, existing, adding },
  );
}

type ValidRow = ImportRow & { email: string };
type ImportPlan =
  { ok: true; valid: ValidRow[]; existing: Map<string, ContactRecord> } | { ok: false; errors: ImportRowError[] };

/** Every row checked before anything is written: addresses, duplicates in the file, already tracked. */
async function planImport(
  db: Kysely<Database>,
  organizationId: string,
  rows: readonly ImportRow[],
  knownErrors: readonly ImportRowError[],
): Promise<ImportPlan> {
  const errors: ImportRowError[] = [...knownErrors];
  const firstRowOf = new Map<string, number>();
  const valid: ValidRow[] = [];
  for (const r of rows) {
    const email = normalizeAddress(r.email);
    if (!email) {
      errors.push({
        row: r.row,
        field: "email",
        message: r.email.trim() ? `"${r.email.trim()}" is not a valid email address.` : "The email is missing.",
      });
      continue;
    }
    const seen = firstRowOf.get(email);
    if (seen !== undefined) {
      errors.push({
        row: r.row,
        field: "email",
        message: `${email} appears more than once in the file (first on row ${seen}).`,
      });
      continue;
    }
    firstRowOf.set(email, r.row);
    valid.push({ ...r, email });
  }
  const existing = new Map<string, ContactRecord>();
  for (const part of chunks(valid.map((v) => v.email))) {
    if (part.length === 0) continue;
    for (const c of await db
      .selectFrom("contacts")
      .selectAll()
      .where("organizationId", "=", organizationId)
      .where("email", "in", part)
      .execute()) {
      existing.set(c.email, c);
    }
    await yieldToEventLoop();
  }
  for (const v of valid) {
    const e = existing.get(v.email);
    if (e && e.deletedAt === null)
      errors.push({ row: v.row, field: "email", message: `${v.email} is already a tracked contact.` });
  }
  if (errors.length)
    return { ok: false, errors: errors.sort((a, b) => a.row - b.row || a.field.localeCompare(b.field)) };
  return { ok: true, valid, existing };
}

/** Clients the file names that the organization does not have yet. */
async function newClientCount(
  db: Kysely<Database>,
  organizationId: string,
  valid: readonly ValidRow[],
): Promise<number> {
  const keys = [
    ...new Set(
      valid.filter((v) => v.client && isVisibleClientName(v.client.trim())).map((v) => clientNameKey(v.client!)),
    ),
  ];
  let known = 0;
  for (const part of chunks(keys)) {
    if (part.length === 0) continue;
    known += (
      await db
        .selectFrom("clients")
        .select("id")
        .where("organizationId", "=", organizationId)
        .where("nameKey", "in", part)
        .execute()
    ).length;
  }
  return keys.length - known;
}

interface Written {
  created: number;
  revived: number;
  clientIds: Set<string>;
  ids: string[];
}

/** One chunk in one transaction. Idempotent against a concurrent add of the same address: that row is left to the winner. */
async function writeChunk(
  db: Kysely<Database>,
  organizationId: string,
  part: readonly ValidRow[],
  existing: Map<string, ContactRecord>,
  t: string,
  out: Written,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const names = part.map((v) => v.client ?? "");
    const keys = [...new Set(names.filter((n) => n.trim()).map((n) => clientNameKey(n)))];
    const before = new Set<string>();
    for (const k of chunks(keys)) {
      if (k.length)
        for (const c of await trx
          .selectFrom("clients")
          .select("id")
          .where("organizationId", "=", organizationId)
          .where("nameKey", "in", k)
          .execute())
          before.add(c.id);
    }
    const clients = await ensureClientsByName(trx, organizationId, names, t);
    for (const c of clients.values()) if (!before.has(c.id) && c.createdAt === t) out.clientIds.add(c.id);
    const clientIdOf = (v: ValidRow) => (v.client?.trim() ? (clients.get(clientNameKey(v.client))?.id ?? null) : null);
    const fresh = part.filter((v) => !existing.has(v.email));
    if (fresh.length) {
      const values = fresh.map((v) => ({
        id: newId(),
        organizationId,
        clientId: clientIdOf(v),
        email: v.email,
        name: v.name,
        createdAt: t,
        updatedAt: t,
        deletedAt: null,
      }));
      const inserted = await trx
        .insertInto("contacts")
        .values(values)
        .onConflict((oc) => oc.columns(["organizationId", "email"]).doNothing())
        .returning("id")
        .execute();
      out.created += inserted.length;
      out.ids.push(...inserted.map((r) => r.id));
    }
    for (const v of part) {
      const old = existing.get(v.email);
      if (!old) continue;
      const res = await trx
        .updateTable("contacts")
        .set({ deletedAt: null, createdAt: t, updatedAt: t, name: v.name, clientId: clientIdOf(v) })
        .where("organizationId", "=", organizationId)
        .where("id", "=", old.id)
        .where("deletedAt", "is not", null)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) > 0) {
        out.revived++;
        out.ids.push(old.id);
      }
    }
  });
}

/** After a failed chunk: what this import made tracked stops being tracked (as a user's delete would). */
async function withdraw(
  db: Kysely<Database>,
  organizationId: string,
  ids: readonly string[],
  t: string,
): Promise<void> {
  for (const part of chunks(ids)) {
    if (part.length === 0) continue;
    await db
      .updateTable("contacts")
      .set({ deletedAt: t, updatedAt: t })
      .where("organizationId", "=", organizationId)
      .where("id", "in", part)
      .where("createdAt", "=", t)
      .where("deletedAt", "is", null)
      .execute();
  }
}

/**
 * Import contacts. All rows are checked first: any bad row (invalid address, duplicate in the file,
 * already a live contact) is reported per row and nothing is stored; so is an import that would take the
 * organization past its contact quota. Then the rows are written IMPORT_CHUNK_ROWS at a time, one
 * transaction each, yielding to the event loop in between, so one organization's import never holds the
 * database (SQLite: the one connection) for long. Should a chunk fail, the contacts this import already
 * wrote are withdrawn again (soft-deleted) and the error is thrown; clients it created stay (unused). Only a
 * process dying mid-import leaves the chunks written so far. One import per organization at a time
 * (ConflictError("import_in_progress") otherwise, in every process).
 */
export async function importContacts(
  db: Kysely<Database>,
  organizationId: string,
  rows: readonly ImportRow[],
  now: Date | string,
  /** Row errors the caller already found (e.g. while parsing); reported together with these. */
  knownErrors: readonly ImportRowError[] = [],
  limits: ContactLimits = NO_LIMITS,
): Promise<ImportResult> {
  const t = iso(now);
  const leaseId = await acquireImportLease(db, organizationId, new Date(t));
  try {
    const plan = await planImport(db, organizationId, rows, knownErrors);
    if (!plan.ok) return plan;
    await assertRoomFor(db, organizationId, plan.valid.length, limits);
    if (limits.maxClients !== undefined)
      await assertRoomForClients(
        db,
        organizationId,
        await newClientCount(db, organizationId, plan.valid),
        limits.maxClients,
      );
    const written: Written = { created: 0, revived: 0, clientIds: new Set(), ids: [] };
    try {
      for (const part of chunks(plan.valid, IMPORT_CHUNK_ROWS)) {
        await writeChunk(db, organizationId, part, plan.existing, t, written);
        await yieldToEventLoop();
      }
    } catch (err) {
      await withdraw(db, organizationId, written.ids, t).catch(() => undefined);
      throw err;
    }
    const stored: ContactRecord[] = [];
    for (const part of chunks(written.ids)) {
      if (part.length)
        stored.push(
          ...(await db
            .selectFrom("contacts")
            .selectAll()
            .where("organizationId", "=", organizationId)
            .where("id", "in", part)
            .execute()),
        );
      await yieldToEventLoop();
    }
    stored.sort((a, b) => (a.email < b.email ? -1 : 1));
    const contacts = await withClients(db, organizationId, stored);
    return {
      ok: true,
      created: written.created,
      revived: written.revived,
      clientsCreated: written.clientIds.size,
      contacts,
    };
  } finally {
    await releaseImportLease(db, organizationId, leaseId);
  }
}

/** The client's contacts stay tracked, without a client (called in the transaction that deletes the client). */
export async function detachContactsFromClient(
  db: Kysely<Database>,
  organizationId: string,
  clientId: string,
): Promise<void> {
  await db
    .updateTable("contacts")
    .set({ clientId: null })
    .where("organizationId", "=", organizationId)
    .where("clientId", "=", clientId)
    .execute();
}

/** Erasing a person: the contact row itself (untracking only marks it deleted); rows deleted. */
export async function purgeContact(trx: Kysely<Database>, organizationId: string, contactId: string): Promise<number> {
  const res = await trx
    .deleteFrom("contacts")
    .where("organizationId", "=", organizationId)
    .where("id", "=", contactId)
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
