/**
 * The status call's lookup about the caller, in one statement: their addresses, their mailbox
 * connection's state, and their stored decision for the open message (users ⟕ mailbox_connections ⟕
 * capture_decisions, every join on the caller's organization and id). As three statements each
 * costs its own statement run, row mapping and result hand-over on every status call; the unique
 * (organization, user, message key) index answers the decision's join as it answers the lookup alone.
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";
import { decisionFromColumns, type DecisionColumns, type DecisionView } from "./capture-decisions";
import {
  userAndConnectionFromColumns,
  type ConnectionState,
  type UserAddresses,
  type UserAndConnectionColumns,
} from "./mailbox-connections";
import { prepared } from "./prepared";
import { readOne, type Read } from "./read-together";

/** Compiled once (hot path: every status call; see prepared.ts). */
const selectCallerState = prepared((db, organizationId: string, userId: string, key: string) =>
  db
    .selectFrom("users")
    .leftJoin("mailboxConnections as mc", (j) =>
      j.onRef("mc.userId", "=", "users.id").onRef("mc.organizationId", "=", "users.organizationId"),
    )
    .leftJoin("captureDecisions as cd", (j) =>
      j
        .onRef("cd.userId", "=", "users.id")
        .onRef("cd.organizationId", "=", "users.organizationId")
        .on("cd.messageKey", "=", key),
    )
    .select([
      "users.email",
      "users.addresses",
      "mc.status as connStatus",
      "mc.connectedAt as connConnectedAt",
      "mc.lastSweepAt as connLastSweepAt",
      "mc.nextSweepAt as connNextSweepAt",
      "cd.outcome as decOutcome",
      "cd.reason as decReason",
      "cd.detail as decDetail",
      "cd.engagementId as decEngagementId",
      "cd.sweepId as decSweepId",
      "cd.decidedAt as decDecidedAt",
      "cd.removedAt as decRemovedAt",
      "cd.removal as decRemoval",
    ])
    .where("users.organizationId", "=", organizationId)
    .where("users.id", "=", userId),
);

export interface CallerState {
  /** null when the user does not exist in the organization (then so are the others). */
  user: UserAddresses | null;
  connection: ConnectionState | null;
  decision: DecisionView | null;
}

type Row = UserAndConnectionColumns & {
  [K in keyof DecisionColumns as `dec${Capitalize<K>}`]-?: DecisionColumns[K] | null;
};

function callerStateOf([rows]: unknown[][]): CallerState {
  const row = (rows as Row[])[0];
  if (!row) return { user: null, connection: null, decision: null };
  const { user, connection } = userAndConnectionFromColumns(row);
  // outcome is NOT NULL in the table: null here means the left join found no decision.
  const decision =
    row.decOutcome == null
      ? null
      : decisionFromColumns({
          outcome: row.decOutcome,
          reason: row.decReason,
          detail: row.decDetail,
          engagementId: row.decEngagementId,
          sweepId: row.decSweepId,
          decidedAt: row.decDecidedAt as string,
          removedAt: row.decRemovedAt,
          removal: row.decRemoval,
        });
  return { user, connection, decision };
}

/** As a read among others (store/read-together.ts). `key` is messageKey(internetMessageId). */
export function callerStateRead(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  key: string,
): Read<CallerState> {
  return { queries: [selectCallerState.bind(db, organizationId, userId, key)], answer: callerStateOf };
}

export function getCallerState(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  key: string,
): Promise<CallerState> {
  return readOne(db, callerStateRead(db, organizationId, userId, key));
}
