/** Sweeps: one row per sweep of one mailbox, from start (running) to its outcome; every write to the table is here. */
import { sql, type Kysely } from "kysely";
import type { SweepView } from "../../shared/api/contract";
import type { ReasonCode } from "../../shared/capture";
import type { Database, SweepTable } from "../db/schema";
import { iso, parseJson } from "./util";

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
    newlyCaptured: row.newlyCaptured === null ? null : Number(row.newlyCaptured),
    excluded: Number(row.excluded),
    excludedByReason: parseJson<Partial<Record<ReasonCode, number>>>(row.excludedByReason, {}),
    graphRequests: Number(row.graphRequests),
    retries: Number(row.retries),
    error: row.error,
  };
}

/** Newest first. */
export async function listSweeps(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  limit = 20,
): Promise<SweepView[]> {
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

export async function getSweep(
  db: Kysely<Database>,
  organizationId: string,
  sweepId: string,
): Promise<SweepView | null> {
  const row = await db
    .selectFrom("sweeps")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("id", "=", sweepId)
    .executeTakeFirst();
  return row ? toSweepView(row) : null;
}

/** The user's most recent successful sweep, or null. */
export function lastSuccessfulSweep(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
): Promise<SweepView | null> {
  return newestSweepWithStatus(db, organizationId, userId, "succeeded");
}

/** The mailbox's newest sweep in this status (one query shape for "last success" and "still running"). */
async function newestSweepWithStatus(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  status: "succeeded" | "running",
): Promise<SweepView | null> {
  const row = await db
    .selectFrom("sweeps")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .where("status", "=", status)
    .orderBy("startedAt", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? toSweepView(row) : null;
}

export const INTERRUPTED_ERROR = "Interrupted: the process running this sweep stopped.";

/** The sweeps of this mailbox still marked running, oldest or newest in any order. */
export async function runningSweepsOf(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
): Promise<{ id: string; startedAt: string }[]> {
  return db
    .selectFrom("sweeps")
    .select(["id", "startedAt"])
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .where("status", "=", "running")
    .execute();
}

/** The newest sweep of this mailbox still running, or null. */
export function latestRunningSweep(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
): Promise<SweepView | null> {
  return newestSweepWithStatus(db, organizationId, userId, "running");
}

/** Close these running sweeps as interrupted: the process that ran them is gone. */
export async function failInterruptedSweeps(
  db: Kysely<Database>,
  organizationId: string,
  sweepIds: string[],
  now: Date | string,
): Promise<void> {
  if (!sweepIds.length) return;
  await db
    .updateTable("sweeps")
    .set({ status: "failed", finishedAt: iso(now), error: INTERRUPTED_ERROR })
    .where("organizationId", "=", organizationId)
    .where("id", "in", sweepIds)
    .execute();
}

/**
 * Embedded mode, when the server starts: close the sweeps a previous server process left `running`
 * (it was killed, or the machine lost power). Only one server runs against an embedded database, so a
 * running row it started (any trigger but the CLI's, which is a process of its own) has no owner any
 * more. Returns how many were closed.
 */
export async function closeInterruptedSweeps(db: Kysely<Database>, now: Date): Promise<number> {
  const rows = await db
    .updateTable("sweeps")
    .set({ status: "failed", finishedAt: now.toISOString(), error: INTERRUPTED_ERROR })
    .where("status", "=", "running")
    .where("trigger", "!=", "cli")
    .where("startedAt", "<=", now.toISOString())
    .executeTakeFirst();
  return Number(rows.numUpdatedRows);
}

export interface SweepStart {
  id: string;
  organizationId: string;
  userId: string;
  trigger: SweepRecord["trigger"];
  windowStart: Date;
  windowEnd: Date;
  startedAt: Date;
  listing: SweepRecord["listing"];
}

/** The row of a sweep that starts now (status running, no counts yet). */
export async function recordSweepStarted(db: Kysely<Database>, s: SweepStart): Promise<SweepView> {
  await db
    .insertInto("sweeps")
    .values({
      id: s.id,
      organizationId: s.organizationId,
      userId: s.userId,
      trigger: s.trigger,
      status: "running",
      windowStart: s.windowStart.toISOString(),
      windowEnd: s.windowEnd.toISOString(),
      startedAt: s.startedAt.toISOString(),
      finishedAt: null,
      listed: 0,
      captured: 0,
      newlyCaptured: 0,
      excluded: 0,
      excludedByReason: "{}",
      graphRequests: 0,
      retries: 0,
      error: null,
      listing: s.listing,
    })
    .execute();
  return sweepById(db, s.id);
}

export interface SweepOutcome {
  finishedAt: Date;
  listed: number;
  captured: number;
  /** Of `captured`, those this mailbox had not captured before. */
  newlyCaptured: number;
  excluded: number;
  excludedByReason: Partial<Record<ReasonCode, number>>;
  graphRequests: number;
  retries: number;
  /** What users read about the failure; null when the sweep succeeded. */
  error: string | null;
}

/** A sweep's end: succeeded (no error) or failed, with its counts. */
export async function recordSweepOutcome(db: Kysely<Database>, sweepId: string, o: SweepOutcome): Promise<void> {
  await db
    .updateTable("sweeps")
    .set({
      status: o.error !== null ? "failed" : "succeeded",
      finishedAt: o.finishedAt.toISOString(),
      listed: o.listed,
      captured: o.captured,
      newlyCaptured: o.newlyCaptured,
      excluded: o.excluded,
      excludedByReason: JSON.stringify(o.excludedByReason),
      graphRequests: o.graphRequests,
      retries: o.retries,
      error: o.error,
    })
    .where("id", "=", sweepId)
    .execute();
}

export async function sweepById(db: Kysely<Database>, sweepId: string): Promise<SweepView> {
  return toSweepView(await db.selectFrom("sweeps").selectAll().where("id", "=", sweepId).executeTakeFirstOrThrow());
}

/**
 * Distributed mode: close this mailbox's running sweeps (but the CLI's, a process outside the queue)
 * as interrupted. Called by whoever knows that no live process sweeps the mailbox through the queue:
 * the worker holding its one active job, or an API process that sees no active job. Returns their ids.
 */
export async function closeOrphanedSweeps(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  now: Date,
): Promise<string[]> {
  const rows = await db
    .updateTable("sweeps")
    .set({ status: "failed", finishedAt: now.toISOString(), error: INTERRUPTED_ERROR })
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .where("status", "=", "running")
    .where("trigger", "!=", "cli")
    .returning("id")
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Retention: delete up to `limit` of the organization's finished sweeps started before `before`. A sweep
 * is kept while it is running, the latest of its mailbox, or the latest success of its mailbox (mailbox
 * health, the pane and the incremental listing read those): it goes only once a newer sweep exists, and
 * — if it succeeded — a newer success. Decisions it recorded keep their rows (their sweep id becomes null).
 */
export async function pruneSweeps(
  db: Kysely<Database>,
  organizationId: string,
  before: string,
  limit: number,
): Promise<number> {
  const res = await db
    .deleteFrom("sweeps")
    .where("id", "in", (qb) =>
      qb
        .selectFrom("sweeps as s")
        .select("s.id")
        .where("s.organizationId", "=", organizationId)
        .where("s.startedAt", "<", before)
        .where("s.status", "<>", "running")
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom("sweeps as n")
              .select(sql<number>`1`.as("one"))
              .whereRef("n.organizationId", "=", "s.organizationId")
              .whereRef("n.userId", "=", "s.userId")
              .whereRef("n.startedAt", ">", "s.startedAt"),
          ),
        )
        .where(({ or, eb, exists, selectFrom }) =>
          or([
            eb("s.status", "<>", "succeeded"),
            exists(
              selectFrom("sweeps as n")
                .select(sql<number>`1`.as("one"))
                .whereRef("n.organizationId", "=", "s.organizationId")
                .whereRef("n.userId", "=", "s.userId")
                .where("n.status", "=", "succeeded")
                .whereRef("n.startedAt", ">", "s.startedAt"),
            ),
          ]),
        )
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** The organization's running sweeps' window ends: what each would make lastSuccessWindowEnd on success. */
export async function runningSweepWindowEnds(
  db: Kysely<Database>,
  organizationId: string,
): Promise<{ userId: string; windowEnd: string }[]> {
  return db
    .selectFrom("sweeps")
    .select(["userId", "windowEnd"])
    .where("organizationId", "=", organizationId)
    .where("status", "=", "running")
    .execute();
}
