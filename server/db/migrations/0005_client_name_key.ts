/**
 * Client names are one per organization ignoring case (and Unicode compatibility forms), as the CSV
 * import matches them. Until now that was checked by a query before the insert, which two concurrent
 * creates could both pass, and SQLite's lower() folds ASCII only. clients.name_key holds the folded name
 * (store/clients.ts clientNameKey) under a unique index, so the database decides.
 * Existing rows get their key here; where an organization already has names that fold alike (possible
 * before the check existed), the oldest keeps the key and the others keep NULL — unique indexes allow
 * many NULLs on both databases — so no data is changed or lost, and renaming such a client gives it a key.
 */
import type { Kysely } from "kysely";
import { clientNameKey } from "../../../shared/clients/name-key";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("clients").addColumn("name_key", "text").execute();
  // Data queries in camelCase: the connection's CamelCasePlugin maps them to the snake_case columns.
  const rows = (await db
    .selectFrom("clients")
    .select(["id", "organizationId", "name"])
    .orderBy("organizationId")
    .orderBy("createdAt")
    .orderBy("id")
    .execute()) as {
    id: string;
    organizationId: string;
    name: string;
  }[];
  const taken = new Set<string>();
  for (const r of rows) {
    const key = clientNameKey(r.name);
    const scoped = `${r.organizationId}\n${key}`;
    if (taken.has(scoped)) continue;
    taken.add(scoped);
    await db.updateTable("clients").set({ nameKey: key }).where("id", "=", r.id).execute();
  }
  await db.schema
    .createIndex("clients_org_name_key_uq")
    .unique()
    .on("clients")
    .columns(["organization_id", "name_key"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("clients_org_name_key_uq").execute();
  await db.schema.alterTable("clients").dropColumn("name_key").execute();
}
