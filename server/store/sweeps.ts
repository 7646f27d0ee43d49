/** Sweeps (read side): a user's recent sweeps with their counts. The sweep engine (issue 6) writes them. */
import type { Kysely } from "kysely";
import type { SweepView } from "../../shared/api/contract";
import type { ReasonCode } from "../../shared/capture";
import type { Database, SweepTable } from "../db/schema";
import { parseJson } from "./util";

export type SweepRecord = SweepTable;

export function toSweepView(row: SweepRecord): SweepView {
  return {
    id: row.id,
    trigger: row.trigger,
    status: row.status,
    windowStart: row.windowStart,
    windowEnd: row.windowEnd,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    listed: Number(row.listed),
    captured: Number(row.captured),
    excluded: Number(row.excluded),
    excludedByReason: parseJson<Partial<Record<ReasonCode, number>>>(row.excludedByReason, {}),
    graphRequests: Number(row.graphRequests),
    retries: Number(row.retries),
    error: row.error,
  };
}

/** Newest first. */
export async function listSweeps(db: Kysely<Database>, organizationId: string, userId: string, limit = 20): Promise<SweepView[]> {
  const rows = await db
    .selectFrom("sweeps")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .orderBy("startedAt", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map(toSweepView);
}

export async function getSweep(db: Kysely<Database>, organizationId: string, sweepId: string): Promise<SweepView | null> {
  const row = await db.selectFrom("sweeps").selectAll().where("organizationId", "=", organizationId).where("id", "=", sweepId).executeTakeFirst();
  return row ? toSweepView(row) : null;
}

/** The user's most recent successful sweep, or null. */
export async function lastSuccessfulSweep(db: Kysely<Database>, organizationId: string, userId: string): Promise<SweepView | null> {
  const row = await db
    .selectFrom("sweeps")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .where("status", "=", "succeeded")
    .orderBy("startedAt", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? toSweepView(row) : null;
}
