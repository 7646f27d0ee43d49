/** Clients: the organization's customer accounts. Names are unique per organization, ignoring case (clientNameKey). */
import type { Kysely } from "kysely";
import type { ClientView } from "../../shared/api/contract";
import type { ClientTable, Database } from "../db/schema";
import { ConflictError, isUniqueViolation } from "./errors";
import { detachContactsFromClient } from "./contacts";
import { chunks, iso, newId } from "./util";
import { clientNameKey, isVisibleClientName } from "../../shared/clients/name-key";

export { clientNameKey };

function assertVisible(name: string): void {
  if (!isVisibleClientName(name))
    throw new ConflictError("invalid_name", "A client name needs at least one visible character.");
}

/**
 * Clients without a key of their own: look-alikes migration 0005 found (the oldest kept the key). They
 * still name their client, so matching by key must look at them too; rare, so reading them all is cheap.
 */
function keylessClients(db: Kysely<Database>, organizationId: string): Promise<ClientRecord[]> {
  return db
    .selectFrom("clients")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("nameKey", "is", null)
    .execute();
}

async function keylessLookAlike(
  db: Kysely<Database>,
  organizationId: string,
  key: string,
  exceptId: string | null,
): Promise<ClientRecord | null> {
  return (
    (await keylessClients(db, organizationId)).find((c) => c.id !== exceptId && clientNameKey(c.name) === key) ?? null
  );
}

export type ClientRecord = ClientTable;

export function toClientView(row: Pick<ClientRecord, "id" | "name" | "createdAt">, contactCount?: number): ClientView {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.createdAt,
    ...(contactCount !== undefined ? { contactCount } : {}),
  };
}

/** All clients of the organization by name, with the number of live contacts of each. */
export async function listClients(db: Kysely<Database>, organizationId: string): Promise<ClientView[]> {
  const rows = await db
    .selectFrom("clients")
    // The organization in the join too: it lets the planner use contacts(organization_id, client_id)
    // instead of scanning every organization's contacts for each client.
    .leftJoin("contacts", (j) =>
      j
        .onRef("contacts.organizationId", "=", "clients.organizationId")
        .onRef("contacts.clientId", "=", "clients.id")
        .on("contacts.deletedAt", "is", null),
    )
    .select(["clients.id", "clients.organizationId", "clients.name", "clients.createdAt", "clients.updatedAt"])
    .select((eb) => eb.fn.count<string | number>("contacts.id").as("contactCount"))
    .where("clients.organizationId", "=", organizationId)
    .groupBy(["clients.id", "clients.organizationId", "clients.name", "clients.createdAt", "clients.updatedAt"])
    .orderBy("clients.name")
    .execute();
  return rows.map((r) => toClientView(r, Number(r.contactCount)));
}

export async function getClient(
  db: Kysely<Database>,
  organizationId: string,
  clientId: string,
): Promise<ClientRecord | null> {
  const row = await db
    .selectFrom("clients")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("id", "=", clientId)
    .executeTakeFirst();
  return row ?? null;
}

export async function getClientsByIds(
  db: Kysely<Database>,
  organizationId: string,
  ids: readonly string[],
): Promise<ClientRecord[]> {
  const out: ClientRecord[] = [];
  for (const part of chunks([...new Set(ids)])) {
    if (part.length === 0) continue;
    out.push(
      ...(await db
        .selectFrom("clients")
        .selectAll()
        .where("organizationId", "=", organizationId)
        .where("id", "in", part)
        .execute()),
    );
  }
  return out;
}

export async function countClients(db: Kysely<Database>, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom("clients")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .where("organizationId", "=", organizationId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** ConflictError("client_quota_exceeded") when `adding` more clients would pass `maxClients` (the client list is read whole). */
export async function assertRoomForClients(
  db: Kysely<Database>,
  organizationId: string,
  adding: number,
  maxClients: number,
): Promise<void> {
  if (adding === 0 || !Number.isFinite(maxClients)) return;
  const existing = await countClients(db, organizationId);
  if (existing + adding <= maxClients) return;
  throw new ConflictError(
    "client_quota_exceeded",
    `Your organization can have at most ${maxClients} clients; it has ${existing}` +
      (adding > 1 ? ` and this would add ${adding}.` : "."),
    { limit: maxClients, existing, adding },
  );
}

export async function createClient(
  db: Kysely<Database>,
  organizationId: string,
  name: string,
  now: Date | string,
  maxClients: number = Number.POSITIVE_INFINITY,
): Promise<ClientRecord> {
  assertVisible(name);
  const row: ClientRecord = {
    id: newId(),
    organizationId,
    name: name.trim(),
    nameKey: clientNameKey(name),
    createdAt: iso(now),
    updatedAt: iso(now),
  };
  if (await keylessLookAlike(db, organizationId, row.nameKey!, null))
    throw new ConflictError("duplicate_client", `A client named "${row.name}" already exists.`);
  await assertRoomForClients(db, organizationId, 1, maxClients);
  // The unique index on (organization, nameKey) decides, also between two concurrent creates.
  try {
    await db.insertInto("clients").values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ConflictError("duplicate_client", `A client named "${row.name}" already exists.`);
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
    assertVisible(patch.name);
    set.name = patch.name.trim();
    set.nameKey = clientNameKey(patch.name);
    if (await keylessLookAlike(db, organizationId, set.nameKey, clientId))
      throw new ConflictError("duplicate_client", `A client named "${set.name}" already exists.`);
  }
  try {
    const res = await db
      .updateTable("clients")
      .set(set)
      .where("organizationId", "=", organizationId)
      .where("id", "=", clientId)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return null;
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ConflictError("duplicate_client", `A client named "${set.name}" already exists.`);
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
    await detachContactsFromClient(trx, organizationId, clientId);
    const res = await trx
      .deleteFrom("clients")
      .where("organizationId", "=", organizationId)
      .where("id", "=", clientId)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  });
}

/**
 * Resolve client names to ids, creating the missing ones (CSV import). Names match by clientNameKey,
 * so "Acme" and " acme " are one client. Returns a map keyed by clientNameKey. Safe against a concurrent
 * create of the same name: the insert does nothing on a conflict (a failed statement would abort the
 * import's PostgreSQL transaction) and the client that won is used.
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
    if (isVisibleClientName(t) && !wanted.has(clientNameKey(t))) wanted.set(clientNameKey(t), t);
  }
  const out = new Map<string, ClientRecord>();
  for (const part of chunks([...wanted.keys()])) {
    if (part.length === 0) continue;
    for (const c of await db
      .selectFrom("clients")
      .selectAll()
      .where("organizationId", "=", organizationId)
      .where("nameKey", "in", part)
      .execute()) {
      out.set(c.nameKey!, c);
    }
  }
  if (out.size < wanted.size) {
    for (const c of await keylessClients(db, organizationId)) {
      const key = clientNameKey(c.name);
      if (wanted.has(key) && !out.has(key)) out.set(key, c);
    }
  }
  for (const [key, name] of wanted) {
    if (out.has(key)) continue;
    const row: ClientRecord = {
      id: newId(),
      organizationId,
      name,
      nameKey: key,
      createdAt: iso(now),
      updatedAt: iso(now),
    };
    const res = await db
      .insertInto("clients")
      .values(row)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0) > 0) {
      out.set(key, row);
      continue;
    }
    const winner = await db
      .selectFrom("clients")
      .selectAll()
      .where("organizationId", "=", organizationId)
      .where((eb) => eb.or([eb("nameKey", "=", key), eb("name", "=", name)]))
      .executeTakeFirst();
    if (!winner)
      throw new ConflictError(
        "duplicate_client",
        `A client named "${name}" was being created at the same time; try again.`,
      );
    out.set(key, winner);
  }
  return out;
}
