/**
 * The queues of distributed mode: pg-boss on the same PostgreSQL database as the product (its own
 * schema, `pgboss`). `mailbox-sweep`: one job = one sweep of one mailbox, whatever asked for it (the
 * hourly slot, a new connection, "sweep now"). `message-capture`: one job = "capture now" of one
 * message. Every process starts its queue with the settings from config.ts, and refuses to start when
 * a live process runs it with other ones (settings.ts).
 *
 * Why these settings (pg-boss 10.4.2):
 * - policy `stately`, singletonKey = user id: at most one queued (created), one waiting to retry and
 *   one active job per mailbox, enforced by a unique index, so two processes can never sweep the
 *   same mailbox through the queue at once and a backlog never piles up per mailbox.
 * - pg-boss's fetch turns the oldest eligible job active; if that job's key already has an active job
 *   the unique index rejects the whole fetch and every worker stalls until the active job ends
 *   (timgit/pg-boss#535/#536). So producers never add a job for a mailbox that still has one pending
 *   (`pendingUserIds`) — the index stays the guarantee, the check keeps the queue flowing.
 * - `expireInSeconds` bounds a job: when a worker dies mid-job, maintenance (every
 *   `maintenanceIntervalSeconds`) moves the expired active job to `retry` and another worker takes it.
 *   The worker aborts its own sweep shortly before that deadline, so a slow sweep never overlaps
 *   its retry.
 * - retries with exponential backoff (retryLimit 3, retryDelay 1 s doubling, jittered) for
 *   infrastructure failures; a sweep that failed for a mailbox reason completes its job (next hour retries).
 * - deterministic job ids per (mailbox, slot): every process may tick; the same slot is inserted once
 *   (pg-boss inserts with ON CONFLICT DO NOTHING). Completed jobs stay in the job table until archived
 *   (≥ 12 h, and at least two intervals), which is what makes the id a once-per-slot key.
 */
import { createHash } from "node:crypto";
import PgBoss from "pg-boss";
import type { SweepLogger } from "../sweep/engine";
import { refuseConflictingSettings, settingsTag } from "./settings";

export const SWEEP_QUEUE = "mailbox-sweep";
export const PGBOSS_SCHEMA = "pgboss";

/** "Capture now" of one message: its own queue, so a capture never waits behind a sweep of the mailbox. */
export const CAPTURE_QUEUE = "message-capture";
/**
 * Notification-triggered captures share the capture queue with "capture now"; nobody waits on them, so
 * a person's capture goes first (pg-boss fetches by priority, then age) however many are queued.
 */
export const CAPTURE_NOW_PRIORITY = 10;
/** A capture job running longer is given up (the person waiting has been answered by then). */
export const CAPTURE_JOB_EXPIRE_SECONDS = 60;

/** Deleting a mailbox's Graph subscription on disconnect (unsubscribe-job.ts): workers call Graph, not the API. */
export const UNSUBSCRIBE_QUEUE = "subscription-delete";
export const UNSUBSCRIBE_QUEUE_OPTIONS: PgBoss.Queue = {
  name: UNSUBSCRIBE_QUEUE,
  policy: "standard",
  retryLimit: 2,
  retryDelay: 1,
  expireInSeconds: 60,
};

/**
 * What one job asks for. `slot` is the scheduled time this job stands for (null for a connect or
 * manual sweep). `manual` is "sweep now" from the API.
 */
export interface SweepJobData {
  organizationId: string;
  userId: string;
  reason: "schedule" | "connect" | "manual";
  slot: string | null;
}

export interface CaptureJobData {
  organizationId: string;
  userId: string;
  restItemId: string;
}

/** A job of this mailbox that is queued, waiting to retry, or running. */
export interface PendingJob {
  id: string;
  state: "created" | "retry" | "active";
  reason: SweepJobData["reason"] | null;
  createdOn: Date;
  startedOn: Date | null;
  retryCount: number;
}

/** A job's state and output as a waiting API process reads them. */
export interface JobStatus {
  state: "created" | "retry" | "active" | "completed" | "cancelled" | "failed";
  output: Record<string, unknown> | null;
}

export interface QueueSettings {
  /** A job active longer than this is taken back and retried (default 900 s = 15 min). */
  expireInSeconds: number;
  retryLimit: number;
  /** First retry delay in seconds; doubled per attempt with jitter (retryBackoff). */
  retryDelaySeconds: number;
  /** How often expired jobs are taken back (default 60 s; tests use 1). */
  maintenanceIntervalSeconds: number;
  /** Completed jobs are archived after this; must exceed the sweep interval (once-per-slot ids). */
  archiveCompletedAfterSeconds: number;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  expireInSeconds: 15 * 60,
  retryLimit: 3,
  retryDelaySeconds: 1,
  maintenanceIntervalSeconds: 60,
  archiveCompletedAfterSeconds: 12 * 3600,
};

export interface EnqueueRequest {
  data: SweepJobData;
  /** Deterministic id (slot jobs); random when absent. */
  id?: string;
  startAfter?: Date;
}

export interface SweepQueue {
  readonly boss: PgBoss;
  readonly settings: QueueSettings;
  /** Insert jobs; returns how many were new (an id or mailbox already queued is skipped, not an error). */
  enqueue(requests: readonly EnqueueRequest[]): Promise<{ enqueued: string[]; skipped: number }>;
  /** Users with a job that is queued, waiting to retry or running. */
  pendingUserIds(userIds?: readonly string[]): Promise<Set<string>>;
  /** This mailbox's sweep jobs that are queued, waiting to retry or running (at most one of each). */
  pendingJobsOf(userId: string): Promise<PendingJob[]>;
  /** Queue a "capture now" job; returns its id. */
  enqueueCapture(data: CaptureJobData): Promise<string>;
  /**
   * Queue a capture for a change notification under a deterministic id: the same change notified twice
   * is one job (null when the id is already in the queue).
   */
  enqueueNotifiedCapture(data: CaptureJobData, id: string): Promise<string | null>;
  /** A job's state and output (null when it no longer exists). */
  jobStatus(queue: typeof SWEEP_QUEUE | typeof CAPTURE_QUEUE, id: string): Promise<JobStatus | null>;
  stop(opts?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
}

/** A stable UUID for (user, slot): the same slot enqueued by any number of processes is one job. */
export function slotJobId(userId: string, slot: Date): string {
  const h = createHash("sha256").update(`${SWEEP_QUEUE}\0${userId}\0${slot.toISOString()}`, "utf8").digest();
  // Shape it as a version-5-style UUID (pg-boss stores ids as uuid).
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function parseJobData(data: unknown): SweepJobData | null {
  const d = data as Partial<SweepJobData> | null;
  if (!d || typeof d !== "object") return null;
  if (typeof d.organizationId !== "string" || typeof d.userId !== "string") return null;
  if (d.reason !== "schedule" && d.reason !== "connect" && d.reason !== "manual") return null;
  return {
    organizationId: d.organizationId,
    userId: d.userId,
    reason: d.reason,
    slot: typeof d.slot === "string" ? d.slot : null,
  };
}

export function parseCaptureJobData(data: unknown): CaptureJobData | null {
  const d = data as Partial<CaptureJobData> | null;
  if (!d || typeof d !== "object") return null;
  if (typeof d.organizationId !== "string" || typeof d.userId !== "string" || typeof d.restItemId !== "string")
    return null;
  return { organizationId: d.organizationId, userId: d.userId, restItemId: d.restItemId };
}

export interface StartQueueOptions {
  connectionString: string;
  logger: SweepLogger;
  settings?: Partial<QueueSettings>;
  /** Run pg-boss maintenance (expiring dead workers' jobs) in this process (default true). */
  supervise?: boolean;
  /** Pool size of pg-boss's own connections (default 4). */
  maxConnections?: number;
  /** Sweep interval in minutes: completed jobs are kept at least two intervals (default 60). */
  intervalMinutes?: number;
}

/** A started pg-boss whose settings agree with every live process's (settings.ts), or an error. */
async function openBoss(opts: StartQueueOptions, s: QueueSettings): Promise<PgBoss> {
  const archive = Math.max(s.archiveCompletedAfterSeconds, 2 * 60 * (opts.intervalMinutes ?? 60));
  const boss = new PgBoss({
    connectionString: opts.connectionString,
    schema: PGBOSS_SCHEMA,
    // Carries this process's settings, so a process starting with other ones sees the conflict (settings.ts).
    application_name: settingsTag(s),
    max: opts.maxConnections ?? 4,
    supervise: opts.supervise ?? true,
    // No pg-boss cron: the enqueuer ticks itself (every process, deterministic ids).
    schedule: false,
    maintenanceIntervalSeconds: s.maintenanceIntervalSeconds,
    archiveCompletedAfterSeconds: archive,
    archiveFailedAfterSeconds: archive,
  });
  // pg-boss reports background errors (maintenance, a lost connection) as events; unhandled they would crash.
  boss.on("error", (err) => opts.logger.warn({ err: err.message }, "queue background error"));
  await boss.start();
  try {
    await refuseConflictingSettings(boss, s);
  } catch (err) {
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    throw err;
  }
  return boss;
}

/**
 * PostgreSQL's "deadlock detected" and "could not serialize access": transient by definition (the
 * server aborted one side so the other could finish), so the statement is worth running again.
 * Creating a queue is DDL (pg-boss attaches a partition to its job table): on a fresh database it can
 * deadlock with another process already fetching jobs, and a process must not die of that at start.
 */
const TRANSIENT_PG_CODES = new Set(["40P01", "40001"]);

export async function retryTransient<T>(fn: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (attempt >= attempts || typeof code !== "string" || !TRANSIENT_PG_CODES.has(code)) throw err;
      // Jittered backoff (≈ 50 ms, 100 ms, …) so the two sides do not collide again in step.
      await new Promise((r) => setTimeout(r, 25 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
}

/** Create a queue, or bring an existing queue's options up to date (createQueue keeps old ones). */
export async function ensureQueue(boss: PgBoss, options: PgBoss.Queue): Promise<void> {
  await retryTransient(async () => {
    await boss.createQueue(options.name, options);
    await boss.updateQueue(options.name, options);
  });
}

/** Create the queues, or bring their settings up to date. */
async function ensureQueues(boss: PgBoss, s: QueueSettings): Promise<void> {
  await ensureQueue(boss, {
    name: SWEEP_QUEUE,
    policy: "stately",
    retryLimit: s.retryLimit,
    retryDelay: s.retryDelaySeconds,
    retryBackoff: true,
    expireInSeconds: s.expireInSeconds,
  });
  // Captures: any number per mailbox at once (deciding one message is idempotent), never retried —
  // the person who asked has been answered by the time a retry could run.
  await ensureQueue(boss, {
    name: CAPTURE_QUEUE,
    policy: "standard",
    retryLimit: 0,
    expireInSeconds: CAPTURE_JOB_EXPIRE_SECONDS,
  });
  await ensureQueue(boss, UNSUBSCRIBE_QUEUE_OPTIONS);
}

async function enqueueSweeps(
  boss: PgBoss,
  s: QueueSettings,
  requests: Parameters<SweepQueue["enqueue"]>[0],
): Promise<{ enqueued: string[]; skipped: number }> {
  const enqueued: string[] = [];
  let skipped = 0;
  // One statement per job: pg-boss's single insert reports whether the row was new.
  const CONCURRENCY = 8;
  for (let i = 0; i < requests.length; i += CONCURRENCY) {
    const ids = await Promise.all(
      requests.slice(i, i + CONCURRENCY).map((r) =>
        boss.send(
          SWEEP_QUEUE,
          { ...r.data },
          {
            ...(r.id ? { id: r.id } : {}),
            singletonKey: r.data.userId,
            ...(r.startAfter ? { startAfter: r.startAfter } : {}),
            expireInSeconds: s.expireInSeconds,
            retryLimit: s.retryLimit,
            retryDelay: s.retryDelaySeconds,
            retryBackoff: true,
          },
        ),
      ),
    );
    for (const id of ids) {
      if (id) enqueued.push(id);
      else skipped++;
    }
  }
  return { enqueued, skipped };
}

type BossDb = ReturnType<PgBoss["getDb"]>;

async function pendingUserIds(db: BossDb, userIds?: readonly string[]): Promise<Set<string>> {
  // state < completed = created, retry, active (pg-boss's job_state enum is ordered).
  const { rows } = userIds
    ? await db.executeSql(
        `SELECT DISTINCT singleton_key AS key FROM ${PGBOSS_SCHEMA}.job WHERE name = $1 AND state < 'completed' AND singleton_key = ANY($2::text[])`,
        [SWEEP_QUEUE, [...userIds]],
      )
    : await db.executeSql(
        `SELECT DISTINCT singleton_key AS key FROM ${PGBOSS_SCHEMA}.job WHERE name = $1 AND state < 'completed'`,
        [SWEEP_QUEUE],
      );
  return new Set(rows.map((r: { key: string | null }) => r.key).filter((k): k is string => !!k));
}

async function pendingJobsOf(db: BossDb, userId: string): Promise<PendingJob[]> {
  const { rows } = await db.executeSql(
    `SELECT id, state, data->>'reason' AS reason, created_on, started_on, retry_count FROM ${PGBOSS_SCHEMA}.job
     WHERE name = $1 AND state < 'completed' AND singleton_key = $2 ORDER BY created_on`,
    [SWEEP_QUEUE, userId],
  );
  return (
    rows as {
      id: string;
      state: PendingJob["state"];
      reason: string | null;
      created_on: Date;
      started_on: Date | null;
      retry_count: number;
    }[]
  ).map((r) => ({
    id: r.id,
    state: r.state,
    reason: r.reason === "schedule" || r.reason === "connect" || r.reason === "manual" ? r.reason : null,
    createdOn: new Date(r.created_on),
    startedOn: r.started_on ? new Date(r.started_on) : null,
    retryCount: Number(r.retry_count),
  }));
}

export async function startSweepQueue(opts: StartQueueOptions): Promise<SweepQueue> {
  const s: QueueSettings = { ...DEFAULT_QUEUE_SETTINGS, ...opts.settings };
  const boss = await openBoss(opts, s);
  await ensureQueues(boss, s);
  const db = boss.getDb();
  let stopped = false;

  return {
    boss,
    settings: s,
    enqueue: (requests) => enqueueSweeps(boss, s, requests),
    pendingUserIds: (userIds) => pendingUserIds(db, userIds),
    pendingJobsOf: (userId) => pendingJobsOf(db, userId),
    async enqueueCapture(data) {
      const id = await boss.send(
        CAPTURE_QUEUE,
        { ...data },
        { retryLimit: 0, expireInSeconds: CAPTURE_JOB_EXPIRE_SECONDS, priority: CAPTURE_NOW_PRIORITY },
      );
      if (!id) throw new Error("the capture job was not queued");
      return id;
    },
    async enqueueNotifiedCapture(data, id) {
      return boss.send(CAPTURE_QUEUE, { ...data }, { id, retryLimit: 0, expireInSeconds: CAPTURE_JOB_EXPIRE_SECONDS });
    },
    async jobStatus(name, id) {
      const job = await boss.getJobById<unknown>(name, id, { includeArchive: true });
      if (!job) return null;
      const output = job.output && typeof job.output === "object" ? (job.output as Record<string, unknown>) : null;
      return { state: job.state, output };
    },
    async stop(o = {}) {
      if (stopped) return;
      stopped = true;
      await boss.stop({ graceful: o.graceful ?? true, timeout: o.timeoutMs ?? 10_000, wait: true });
    },
  };
}
