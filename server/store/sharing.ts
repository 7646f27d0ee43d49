/**
 * Sharing levels, read: the organization's settings (default level, whether users may choose theirs, what
 * applications see) and each user's own choice for their mailbox, and the level each mailbox shares at.
 * Written by their tables' modules (organizations.ts setOrganizationSharing, users.ts setUserSharing). The
 * redaction itself is shared/sharing (redactEngagementView); loadSharingLevels gives it what it needs.
 */
import type { Kysely } from "kysely";
import type { MySharing, OrganizationSharing, SharingLevel } from "../../shared/api/contract";
import { isSharingLevel, type SharingLevels } from "../../shared/sharing";
import type { Database } from "../db/schema";
import { chunks } from "./util";

const level = (value: unknown, fallback: SharingLevel): SharingLevel => (isSharingLevel(value) ? value : fallback);

export async function getOrganizationSharing(
  db: Kysely<Database>,
  organizationId: string,
): Promise<OrganizationSharing> {
  const row = await db
    .selectFrom("organizations")
    .select(["sharingDefaultLevel", "sharingUsersMayChange", "sharingIntegrationLevel"])
    .where("id", "=", organizationId)
    .executeTakeFirst();
  return {
    defaultLevel: level(row?.sharingDefaultLevel, "metadata"),
    usersMayChange: row ? Number(row.sharingUsersMayChange) !== 0 : true,
    integrationLevel: level(row?.sharingIntegrationLevel, "metadata"),
  };
}

/** The level a mailbox shares at: the owner's choice when the organization allows one, else the default. */
function effectiveLevel(org: OrganizationSharing, chosen: SharingLevel | null): SharingLevel {
  return org.usersMayChange && chosen ? chosen : org.defaultLevel;
}

export async function getUserSharing(db: Kysely<Database>, organizationId: string, userId: string): Promise<MySharing> {
  const [org, row] = await Promise.all([
    getOrganizationSharing(db, organizationId),
    db
      .selectFrom("users")
      .select("sharingLevel")
      .where("organizationId", "=", organizationId)
      .where("id", "=", userId)
      .executeTakeFirst(),
  ]);
  const chosen = isSharingLevel(row?.sharingLevel) ? row.sharingLevel : null;
  return {
    level: effectiveLevel(org, chosen),
    chosen,
    organizationDefault: org.defaultLevel,
    usersMayChange: org.usersMayChange,
  };
}

/** What redactEngagementView needs, from the organization's settings and the mailbox owners' own choices. */
export function sharingLevelsOf(
  org: OrganizationSharing,
  owners: Iterable<{ id: string; sharingLevel?: string | null }>,
): SharingLevels {
  const byUser = new Map<string, SharingLevel>();
  for (const o of owners) byUser.set(o.id, effectiveLevel(org, isSharingLevel(o.sharingLevel) ? o.sharingLevel : null));
  return { byUser, integration: org.integrationLevel };
}

/** What redactEngagementView needs for engagements found in these users' mailboxes (e.g. a webhook's payload). */
export async function loadSharingLevels(
  db: Kysely<Database>,
  organizationId: string,
  userIds: Iterable<string>,
): Promise<SharingLevels> {
  const [org, ...parts] = await Promise.all([
    getOrganizationSharing(db, organizationId),
    ...chunks([...new Set(userIds)]).map((part) =>
      db
        .selectFrom("users")
        .select(["id", "sharingLevel"])
        .where("organizationId", "=", organizationId)
        .where("id", "in", part)
        .execute(),
    ),
  ]);
  return sharingLevelsOf(org, parts.flat());
}
