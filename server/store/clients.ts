/** Clients: the organization's customer accounts. Names are unique per organization. */
import type { Kysely } from "kysely";
import type { ClientView } from "../../shared/api/contract";
import type { ClientTable, Database } from "../db/schema";
import { ConflictError, isUniqueViolation } from "./errors";
import { chunks, iso, newId } from "./util";

export type ClientRecord = ClientTable;

export function toClientView(row: ClientRecord, contactCount?: number): ClientView {
  return { id: row.id, name: row.name, createdAt: row.createdAt, ...(contactCount !== undefined ? { contactCount } : {}) };
}

/** All clients of the organization by name, with the number of live contacts of each. */
export async function listClients(db: Kysely<Database>, organizationId: string): Promise<ClientView[]> {
  const rows = await db
    .selectFrom("clients")
    // The organization in the join too: it lets the planner use contacts(organization_id, client_id)
    // instead of scanning every organization's contacts for each client.
    .leftJoin("contacts", (j) =>
      j.onRef("contacts.organizationId", "=", "clients.organizationId").onRef("contacts.clientId", "=", "clients.id").on("contacts.deletedAt", "is", null),
    )
    .select(["clients.id", "clients.organizationId", "clients.name", "clients.createdAt", "clients.updatedAt"])
    .select((eb) => eb.fn.count<string | number>("contacts.id").as("contactCount"))
    .where("clients.organizationId", "=", organizationId)
    .groupBy(["clients.id", "clients.organizationId", "clients.name", "clients.createdAt", "clients.updatedAt"])
    .orderBy("clients.name")
    .execute();
  return rows.map((r) => toClientView(r, Number(r.contactCount)));
}

export async function getClient(db: Kysely<Database>, organizationId: string, clientId: string): Promise<ClientRecord | null> {
  const row = await db.selectFrom("clients").selectAll().where("organizationId", "=", organizationId).where("id", "=", clientId).executeTakeFirst();
  return row ?? null;
}

export async function getClientsByIds(db: Kysely<Database>, organizationId: string, ids: readonly string[]): Promise<ClientRecord[]> {
  const out: ClientRecord[] = [];
  for (const part of chunks([...new Set(ids)])) {
    if (part.length === 0) continue;
    out.push(...(await db.selectFrom("clients").selectAll().where("organizationId", "=", organizationId).where("id", "in", part).execute()));
  }
  return out;
}

/**
 * Client names are one per organization ignoring case, as the CSV import matches them ("Acme" and
 * "ACME" are one client). The unique index is on the exact name, so the case-blind check is made
 * here. (SQLite's lower() folds ASCII only; PostgreSQL's folds all of Unicode.)
 */
async function assertNameFree(db: Kysely<Database>, organizationId: string, name: string, exceptId: string | null): Promise<void> {
  let q = db
    .selectFrom("clients")
    .select("id")
    .where("organizationId", "=", organizationId)
    .where((eb) => eb(eb.fn("lower", ["name"]), "=", name.toLowerCase()));
  if (exceptId) q = q.where("id", "!=", exceptId);
  if (await q.executeTakeFirst()) throw new ConflictError("duplicate_client", `A client named "${name}" already exists.`);
}

export async function createClient(db: Kysely<Database>, organizationId: string, name: string, now: Date | string): Promise<ClientRecord> {
  const row: ClientRecord = { id: newId(), organizationId, name: name.trim(), createdAt: iso(now), updatedAt: iso(now) };
  await assertNameFree(db, organizationId, row.name, null);
  try {
    await db.insertInto("clients").values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError("duplicate_client", `A client named "${row.name}" already exists.`);
    throw err;
  }
  return row;
}

export async function updateClient(
  db: Kysely<Database>,
  organizationId: string,
  clientId: string,
  patch: { name?: string },
  now: Date | string,
): Promise<ClientRecord | null> {
  const set: Partial<ClientRecord> = { updatedAt: iso(now) };
  if (patch.name !== undefined) {
    set.name = patch.name.trim();
    await assertNameFree(db, organizationId, set.name, clientId);
  }
  try {
    const res = await db.updateTable("clients").set(set).where("organizationId", "=", organizationId).where("id", "=", clientId).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return null;
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError("duplicate_client", `A client named "${set.name}" already exists.`);
    throw err;
  }
  return getClient(db, organizationId, clientId);
}

/**
 * Delete a client. Its contacts stay tracked, without a client (a contact is tracked while it
 * exists; removing an account must not silently stop capture).
 */
export async function deleteClient(db: Kysely<Database>, organizationId: string, clientId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.updateTable("contacts").set({ clientId: null }).where("organizationId", "=", organizationId).where("clientId", "=", clientId).execute();
    const res = await trx.deleteFrom("clients").where("organizationId", "=", organizationId).where("id", "=", clientId).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  });
}

/**
 * Resolve client names to ids, creating the missing ones (CSV import). Matching ignores case and
 * surrounding spaces, so "Acme" and " acme " are one client. Returns a map keyed by lower-cased name.
 */
export async function ensureClientsByName(
  db: Kysely<Database>,
  organizationId: string,
  names: readonly string[],
  now: Date | string,
): Promise<Map<string, ClientRecord>> {
  const wanted = new Map<string, string>();
  for (const n of names) {
    const t = n.trim();
    if (t && !wanted.has(t.toLowerCase())) wanted.set(t.toLowerCase(), t);
  }
  const out = new Map<string, ClientRecord>();
  if (wanted.size === 0) return out;
  const all = await db.selectFrom("clients").selectAll().where("organizationId", "=", organizationId).execute();
  for (const c of all) {
    const k = c.name.trim().toLowerCase();
    if (wanted.has(k) && !out.has(k)) out.set(k, c);
  }
  for (const [k, name] of wanted) {
    if (out.has(k)) continue;
    const row: ClientRecord = { id: newId(), organizationId, name, createdAt: iso(now), updatedAt: iso(now) };
    await db.insertInto("clients").values(row).execute();
    out.set(k, row);
  }
  return out;
}
