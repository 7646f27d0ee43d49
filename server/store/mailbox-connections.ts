/**
 * Mailbox connections: the delegated Graph grant held for one user (one row per user).
 * Every write to mailbox_connections goes through this module: (re)connect, status changes, the
 * sealed token cache, the cached folder map and the sweep bookkeeping columns.
 */
import type { Kysely } from "kysely";
import type { ConnectionView } from "../../shared/api/contract";
import type { ConnectionStatusColumn, Database, MailboxConnectionTable } from "../db/schema";
import { prepared } from "./prepared";
import type { UserRecord } from "./users";
import { iso, newId, parseJson } from "./util";

export type MailboxConnectionRecord = MailboxConnectionTable;

/** Compiled once (hot path: every status call; see prepared.ts). */
const selectConnection = prepared((db, organizationId: string, userId: string) =>
  db
    .selectFrom("mailboxConnections")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId),
);

export async function getConnection(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
): Promise<MailboxConnectionRecord | null> {
  const [row] = await selectConnection(db, organizationId, userId);
  return row ?? null;
}

/** The connection's state, without the token cache and folder cache (which can be several KB). */
export type ConnectionState = Pick<MailboxConnectionRecord, "status" | "connectedAt" | "lastSweepAt" | "nextSweepAt">;

/** The user's addresses (the primary one and the aliases) as the status call reads them. */
export type UserAddresses = Pick<UserRecord, "email" | "addresses">;

/**
 * The user's addresses and their connection's state as the status call selects them (store/caller-state.ts):
 * only the columns it reads, never the connection row's large columns (token cache, folder cache).
 */
export interface UserAndConnectionColumns {
  email: string;
  /** JSON, as stored. */
  addresses: string;
  connStatus: ConnectionStatusColumn | null;
  connConnectedAt: MailboxConnectionTable["connectedAt"];
  connLastSweepAt: MailboxConnectionTable["lastSweepAt"];
  connNextSweepAt: MailboxConnectionTable["nextSweepAt"];
}

export function userAndConnectionFromColumns(row: UserAndConnectionColumns | null): {
  user: UserAddresses | null;
  connection: ConnectionState | null;
} {
  if (!row) return { user: null, connection: null };
  return {
    user: { email: row.email, addresses: parseJson<string[]>(row.addresses, []) },
    // status is NOT NULL in the table: null here means the left join found no connection row.
    connection:
      row.connStatus == null
        ? null
        : {
            status: row.connStatus,
            connectedAt: row.connConnectedAt,
            lastSweepAt: row.connLastSweepAt,
            nextSweepAt: row.connNextSweepAt,
          },
  };
}

/** The columns a ConnectionView is made of (never the token cache). */
export type ConnectionViewColumns = Pick<
  MailboxConnectionRecord,
  "status" | "statusReason" | "connectedAt" | "lastSweepAt" | "lastSuccessAt" | "lastError" | "nextSweepAt"
>;

/** What the pane shows. `nextSweepAt` comes from the sweep service when present, else the stored one. */
export function toConnectionView(
  row: ConnectionViewColumns | null,
  nextSweepAt?: Date | string | null,
): ConnectionView {
  if (!row) {
    return {
      status: "not_connected",
      reason: null,
      connectedAt: null,
      lastSweepAt: null,
      lastSuccessAt: null,
      nextSweepAt: null,
      lastError: null,
    };
  }
  const next = nextSweepAt === undefined ? row.nextSweepAt : nextSweepAt === null ? null : iso(nextSweepAt);
  return {
    status: row.status,
    reason: row.status === "reauth_required" ? row.statusReason : null,
    connectedAt: row.connectedAt,
    lastSweepAt: row.lastSweepAt,
    lastSuccessAt: row.lastSuccessAt,
    nextSweepAt: row.status === "active" ? next : null,
    lastError: row.lastError,
  };
}

/**
 * Record a (re)connection: status active, the consenting account and the encrypted token cache.
 * Reconnecting keeps connectedAt and the sweep bookkeeping, so the next sweep fills the gap
 * from the last success.
 */
export async function saveConnection(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  input: { homeAccountId: string | null; tokenCache: string | null },
  now: Date | string,
): Promise<MailboxConnectionRecord> {
  const t = iso(now);
  await db
    .insertInto("mailboxConnections")
    .values({
      id: newId(),
      organizationId,
      userId,
      status: "active",
      statusReason: null,
      homeAccountId: input.homeAccountId,
      tokenCache: input.tokenCache,
      connectedAt: t,
      lastSweepAt: null,
      lastSuccessAt: null,
      lastSuccessWindowEnd: null,
      lastError: null,
      nextSweepAt: null,
      folderCache: null,
      folderCacheAt: null,
      updatedAt: t,
    })
    .onConflict((oc) =>
      oc.column("userId").doUpdateSet((eb) => ({
        status: "active",
        statusReason: null,
        homeAccountId: input.homeAccountId,
        tokenCache: input.tokenCache,
        // A connection that was disconnected starts a new capture window; a reauth keeps its own.
        connectedAt: eb
          .case()
          .when("mailboxConnections.connectedAt", "is", null)
          .then(t)
          .when("mailboxConnections.status", "=", "disconnected")
          .then(t)
          .else(eb.ref("mailboxConnections.connectedAt"))
          .end(),
        lastError: null,
        updatedAt: t,
      })),
    )
    .execute();
  return (await getConnection(db, organizationId, userId))!;
}

/** Change the status (e.g. active → reauth_required with the reason words the pane shows). */
export async function setConnectionStatus(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  status: ConnectionStatusColumn,
  reason: string | null,
  now: Date | string,
): Promise<boolean> {
  const res = await db
    .updateTable("mailboxConnections")
    .set({ status, statusReason: reason, updatedAt: iso(now) })
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Disconnect: the tokens are deleted at once; engagements stay (they belong to the organization). */
export async function disconnectConnection(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  now: Date | string,
): Promise<boolean> {
  const res = await db
    .updateTable("mailboxConnections")
    .set({
      status: "disconnected",
      statusReason: null,
      tokenCache: null,
      homeAccountId: null,
      nextSweepAt: null,
      folderCache: null,
      folderCacheAt: null,
      updatedAt: iso(now),
    })
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Every active connection (the scheduler's population). Not organization-scoped on purpose: it is the system's own loop. */
export async function listActiveConnections(db: Kysely<Database>): Promise<MailboxConnectionRecord[]> {
  return db.selectFrom("mailboxConnections").selectAll().where("status", "=", "active").orderBy("id").execute();
}

/**
 * Flip an active connection to reauth_required, with the words the pane shows. A disconnected
 * connection is never brought back to anything.
 */
export async function markReconnectNeeded(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  reason: string,
  now: Date | string,
): Promise<void> {
  await db
    .updateTable("mailboxConnections")
    .set({ status: "reauth_required", statusReason: reason, updatedAt: iso(now) })
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .where("status", "=", "active")
    .execute();
}

/** The sealed token cache of the connection, or null. */
export async function loadTokenCache(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom("mailboxConnections")
    .select(["tokenCache"])
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .executeTakeFirst();
  return row?.tokenCache ?? null;
}

/**
 * Replace the sealed token cache after MSAL refreshed it. Only a live connection that holds a cache
 * takes it: a disconnect that happened meanwhile deleted the tokens, and they must stay deleted.
 */
export async function saveTokenCache(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  sealed: string,
  now: Date | string,
): Promise<void> {
  await db
    .updateTable("mailboxConnections")
    .set({ tokenCache: sealed, updatedAt: iso(now) })
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .where("status", "!=", "disconnected")
    .where("tokenCache", "is not", null)
    .execute();
}

/** The cached folder map (serialized) and when it was cached. */
export async function loadFolderCache(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
): Promise<Pick<MailboxConnectionRecord, "folderCache" | "folderCacheAt"> | null> {
  const row = await db
    .selectFrom("mailboxConnections")
    .select(["folderCache", "folderCacheAt"])
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .executeTakeFirst();
  return row ?? null;
}

export async function cacheFolders(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  serialized: string,
  now: Date | string,
): Promise<void> {
  await db
    .updateTable("mailboxConnections")
    .set({ folderCache: serialized, folderCacheAt: iso(now) })
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .execute();
}

/**
 * The connection's sweep bookkeeping after a sweep. A success moves lastSuccessWindowEnd to the end of
 * the window it covered; a failure leaves it, so the next window reaches back over the gap.
 */
export async function recordConnectionSweep(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  outcome: { finishedAt: Date; windowEnd: Date; error: string | null },
): Promise<void> {
  const finished = outcome.finishedAt.toISOString();
  await db
    .updateTable("mailboxConnections")
    .set(
      outcome.error !== null
        ? { lastSweepAt: finished, lastError: outcome.error, updatedAt: finished }
        : {
            lastSweepAt: finished,
            lastSuccessAt: finished,
            lastSuccessWindowEnd: outcome.windowEnd.toISOString(),
            lastError: null,
            updatedAt: finished,
          },
    )
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .execute();
}

/** Each mailbox's lastSuccessWindowEnd in the organization (null: never swept successfully). */
export async function lastSuccessWindowEnds(
  db: Kysely<Database>,
  organizationId: string,
): Promise<{ userId: string; lastSuccessWindowEnd: string | null }[]> {
  return db
    .selectFrom("mailboxConnections")
    .select(["userId", "lastSuccessWindowEnd"])
    .where("organizationId", "=", organizationId)
    .execute();
}
