/**
 * At most one contact import per organization at a time, in every process: the import holds the
 * organization's lease row (the primary key refuses a second one). A lease whose process died is taken
 * over once it has expired; a finished import deletes its own lease, never another's.
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";
import { ConflictError, isUniqueViolation } from "./errors";
import { iso, newId } from "./util";

/** Longer than any import takes (10,000 rows: seconds), short enough that a crashed import does not block for long. */
export const IMPORT_LEASE_MS = 10 * 60_000;

const inProgress = () =>
  new ConflictError(
    "import_in_progress",
    "Another contact import for your organization is still running; try again when it has finished.",
  );

/** Take the organization's import lease, or throw ConflictError("import_in_progress"). Returns the lease id. */
export async function acquireImportLease(db: Kysely<Database>, organizationId: string, now: Date): Promise<string> {
  const leaseId = newId();
  const row = {
    organizationId,
    leaseId,
    startedAt: iso(now),
    expiresAt: iso(new Date(now.getTime() + IMPORT_LEASE_MS)),
  };
  try {
    await db.insertInto("contactImportLeases").values(row).execute();
    return leaseId;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  // Held: take it over only when expired, and only if no one else took it over first.
  const res = await db
    .updateTable("contactImportLeases")
    .set({ leaseId, startedAt: row.startedAt, expiresAt: row.expiresAt })
    .where("organizationId", "=", organizationId)
    .where("expiresAt", "<", row.startedAt)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw inProgress();
  return leaseId;
}

export async function releaseImportLease(db: Kysely<Database>, organizationId: string, leaseId: string): Promise<void> {
  await db
    .deleteFrom("contactImportLeases")
    .where("organizationId", "=", organizationId)
    .where("leaseId", "=", leaseId)
    .execute();
}
