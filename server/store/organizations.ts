/** Organizations: one per Entra tenant, id = tid. Created on the first authenticated call. */
import type { Kysely } from "kysely";
import type { OrganizationSharing } from "../../shared/api/contract";
import type { Database, OrganizationTable } from "../db/schema";
import { iso, parseJson } from "./util";

export type OrganizationRecord = OrganizationTable;

/** Create the organization for a tenant if it does not exist yet (idempotent, race-safe). */
export async function ensureOrganization(
  db: Kysely<Database>,
  organizationId: string,
  now: Date | string,
  name: string | null = null,
): Promise<void> {
  await db
    .insertInto("organizations")
    .values({ id: organizationId, name, createdAt: iso(now) })
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
}

export async function getOrganization(
  db: Kysely<Database>,
  organizationId: string,
): Promise<OrganizationRecord | null> {
  const row = await db.selectFrom("organizations").selectAll().where("id", "=", organizationId).executeTakeFirst();
  return row ?? null;
}

export async function setOrganizationName(
  db: Kysely<Database>,
  organizationId: string,
  name: string | null,
): Promise<void> {
  await db.updateTable("organizations").set({ name }).where("id", "=", organizationId).execute();
}

/** When the capture rules' inputs changed organization-wide (rule-inputs.ts says which changes count). */
export async function recordRulesChanged(
  db: Kysely<Database>,
  organizationId: string,
  now: Date | string,
): Promise<void> {
  await db
    .updateTable("organizations")
    .set({ rulesChangedAt: iso(now) })
    .where("id", "=", organizationId)
    .execute();
}

/** Store the organization's verified domains (Graph GET /organization), normalised and de-duplicated. */
export async function setInternalDomains(
  db: Kysely<Database>,
  organizationId: string,
  domains: readonly string[],
  now: Date | string,
): Promise<void> {
  const list = normalizeDomains(domains);
  await db
    .updateTable("organizations")
    .set({ internalDomains: JSON.stringify(list), internalDomainsAt: iso(now) })
    .where("id", "=", organizationId)
    .execute();
}

/** Lower-cased domain names, without a leading "@", duplicates or anything that is not a domain. */
export function normalizeDomains(domains: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of domains) {
    const d = raw.trim().toLowerCase().replace(/^@/, "");
    if (/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(d)) out.add(d);
  }
  return [...out].sort();
}

/**
 * The organization's internal domains: its verified domains when a mailbox connection has read them, else
 * the domain of the given fallback address (the signed-in user's own), so a colleague is refused even
 * before anyone connects.
 */
export async function internalDomainsOf(
  db: Kysely<Database>,
  organizationId: string,
  fallbackAddress: string | null,
): Promise<string[]> {
  const row = await db
    .selectFrom("organizations")
    .select("internalDomains")
    .where("id", "=", organizationId)
    .executeTakeFirst();
  const known = parseJson<string[]>(row?.internalDomains ?? null, []);
  if (known.length) return known;
  const at = fallbackAddress?.lastIndexOf("@") ?? -1;
  return at > 0 ? normalizeDomains([fallbackAddress!.slice(at + 1)]) : [];
}

/** When the verified domains were last read (null: never). */
export async function internalDomainsReadAt(db: Kysely<Database>, organizationId: string): Promise<string | null> {
  const row = await db
    .selectFrom("organizations")
    .select("internalDomainsAt")
    .where("id", "=", organizationId)
    .executeTakeFirst();
  return row?.internalDomainsAt ?? null;
}

/** The organization's engagement retention in days; null = kept forever. */
export async function engagementRetentionDays(db: Kysely<Database>, organizationId: string): Promise<number | null> {
  const row = await db
    .selectFrom("organizations")
    .select("engagementRetentionDays")
    .where("id", "=", organizationId)
    .executeTakeFirst();
  return row?.engagementRetentionDays == null ? null : Number(row.engagementRetentionDays);
}

/** Set how long the organization keeps engagements (null = forever). */
export async function setEngagementRetentionDays(
  db: Kysely<Database>,
  organizationId: string,
  days: number | null,
): Promise<void> {
  await db
    .updateTable("organizations")
    .set({ engagementRetentionDays: days })
    .where("id", "=", organizationId)
    .execute();
}

/** Every organization with its engagement retention: what the pruner walks. */
export async function listOrganizationRetention(
  db: Kysely<Database>,
): Promise<{ id: string; engagementDays: number | null }[]> {
  const rows = await db.selectFrom("organizations").select(["id", "engagementRetentionDays"]).orderBy("id").execute();
  return rows.map((r) => ({
    id: r.id,
    engagementDays: r.engagementRetentionDays == null ? null : Number(r.engagementRetentionDays),
  }));
}

/** The organization's sharing settings (store/sharing.ts reads them). */
export async function setOrganizationSharing(
  db: Kysely<Database>,
  organizationId: string,
  settings: OrganizationSharing,
): Promise<void> {
  await db
    .updateTable("organizations")
    .set({
      sharingDefaultLevel: settings.defaultLevel,
      sharingUsersMayChange: settings.usersMayChange ? 1 : 0,
      sharingIntegrationLevel: settings.integrationLevel,
    })
    .where("id", "=", organizationId)
    .execute();
}
