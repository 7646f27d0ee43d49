/** Organizations: one per Entra tenant, id = tid. Created on the first authenticated call. */
import type { Kysely } from "kysely";
import type { Database, OrganizationTable } from "../db/schema";
import { iso } from "./util";

export type OrganizationRecord = OrganizationTable;

/** Create the organization for a tenant if it does not exist yet (idempotent, race-safe). */
export async function ensureOrganization(db: Kysely<Database>, organizationId: string, now: Date | string, name: string | null = null): Promise<void> {
  await db
    .insertInto("organizations")
    .values({ id: organizationId, name, createdAt: iso(now) })
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
}

export async function getOrganization(db: Kysely<Database>, organizationId: string): Promise<OrganizationRecord | null> {
  const row = await db.selectFrom("organizations").selectAll().where("id", "=", organizationId).executeTakeFirst();
  return row ?? null;
}

export async function setOrganizationName(db: Kysely<Database>, organizationId: string, name: string | null): Promise<void> {
  await db.updateTable("organizations").set({ name }).where("id", "=", organizationId).execute();
}

/** When the capture rules' inputs changed organization-wide (rule-inputs.ts says which changes count). */
export async function recordRulesChanged(db: Kysely<Database>, organizationId: string, now: Date | string): Promise<void> {
  await db.updateTable("organizations").set({ rulesChangedAt: iso(now) }).where("id", "=", organizationId).execute();
}
