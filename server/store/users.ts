/**
 * Users: a person of an organization, identified by (tid, oid). Provisioned on the first
 * authenticated call; their own addresses (mail, UPN, proxy SMTP) feed capture rule 5.
 */
import type { Kysely } from "kysely";
import { normalizeAddress, normalizeAddresses } from "../../shared/capture";
import type { SharingLevel } from "../../shared/api/contract";
import type { Database, UserTable } from "../db/schema";
import { ensureOrganization } from "./organizations";
import { markRulesChanged } from "./rule-inputs";
import { iso, newId, parseJson } from "./util";

export interface UserRecord extends Omit<UserTable, "addresses"> {
  addresses: string[];
}

function toRecord(row: UserTable): UserRecord {
  return { ...row, addresses: parseJson<string[]>(row.addresses, []) };
}

export interface ProvisionInput {
  organizationId: string; // tid
  oid: string;
  /** preferred_username from the token: the first known address and the user's email until Graph says otherwise. */
  email: string;
  displayName: string | null;
}

/**
 * Find or create the organization and user for a verified caller. Idempotent under concurrency:
 * both inserts are ON CONFLICT DO NOTHING, then the row is read back.
 */
export async function provisionUser(
  db: Kysely<Database>,
  input: ProvisionInput,
  now: Date | string,
): Promise<UserRecord> {
  const existing = await getUserByOid(db, input.organizationId, input.oid);
  if (existing) return existing;
  await ensureOrganization(db, input.organizationId, now);
  const first = normalizeAddress(input.email);
  await db
    .insertInto("users")
    .values({
      id: newId(),
      organizationId: input.organizationId,
      oid: input.oid,
      email: first ?? input.email.trim(),
      displayName: input.displayName,
      addresses: JSON.stringify(first ? [first] : []),
      addressesRefreshedAt: null,
      createdAt: iso(now),
    })
    .onConflict((oc) => oc.columns(["organizationId", "oid"]).doNothing())
    .execute();
  const user = await getUserByOid(db, input.organizationId, input.oid);
  if (!user) throw new Error("user provisioning failed");
  return user;
}

export async function getUserByOid(
  db: Kysely<Database>,
  organizationId: string,
  oid: string,
): Promise<UserRecord | null> {
  const row = await db
    .selectFrom("users")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("oid", "=", oid)
    .executeTakeFirst();
  return row ? toRecord(row) : null;
}

export async function getUser(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
): Promise<UserRecord | null> {
  const row = await db
    .selectFrom("users")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("id", "=", userId)
    .executeTakeFirst();
  return row ? toRecord(row) : null;
}

export async function findUserByEmail(
  db: Kysely<Database>,
  organizationId: string,
  email: string,
): Promise<UserRecord | null> {
  const e = normalizeAddress(email) ?? email.trim().toLowerCase();
  const row = await db
    .selectFrom("users")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("email", "=", e)
    .executeTakeFirst();
  return row ? toRecord(row) : null;
}

/**
 * Operator tooling only (the `sweep --user <email>` CLI has no caller token, hence no organization):
 * every user whose primary address is this one, across organizations.
 */
export async function findUsersByEmailAcrossOrganizations(db: Kysely<Database>, email: string): Promise<UserRecord[]> {
  const e = normalizeAddress(email) ?? email.trim().toLowerCase();
  const rows = await db.selectFrom("users").selectAll().where("email", "=", e).execute();
  return rows.map(toRecord);
}

/**
 * Replace the user's addresses with what Graph /me reported (mail, UPN, proxy SMTP addresses).
 * The primary email becomes `primary` when given.
 */
export async function setUserAddresses(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  addresses: readonly string[],
  now: Date | string,
  primary?: string | null,
  displayName?: string | null,
): Promise<void> {
  const list = normalizeAddresses(addresses);
  const p = primary ? normalizeAddress(primary) : null;
  const before = await db
    .selectFrom("users")
    .select(["addresses", "email"])
    .where("organizationId", "=", organizationId)
    .where("id", "=", userId)
    .executeTakeFirst();
  // A new alias can make mail already seen "to or from the user": sweeps must re-read their window once.
  const key = (a: string[]) => normalizeAddresses(a).sort().join(" ");
  const same =
    before && key([...parseJson<string[]>(before.addresses, []), before.email]) === key([...list, p ?? before.email]);
  if (before && !same) await markRulesChanged(db, organizationId, now);
  await db
    .updateTable("users")
    .set({
      addresses: JSON.stringify(list),
      addressesRefreshedAt: iso(now),
      ...(p ? { email: p } : {}),
      ...(displayName !== undefined ? { displayName } : {}),
    })
    .where("organizationId", "=", organizationId)
    .where("id", "=", userId)
    .execute();
}

/** Store the user's own level (null: follow the default). The caller checks the organization allows it. */
export async function setUserSharing(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  chosen: SharingLevel | null,
): Promise<void> {
  await db
    .updateTable("users")
    .set({ sharingLevel: chosen })
    .where("organizationId", "=", organizationId)
    .where("id", "=", userId)
    .execute();
}
