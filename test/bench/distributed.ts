/**
 * Item 3 — distributed mode: 1 vs 2 vs 4 worker processes (`tsx server/cli/worker.ts`, what
 * `npm run worker` runs) on PostgreSQL, same workload per run: 200 mailboxes [quick: 10], one scheduled
 * sweep each, the emulator at 50 ms per Graph call, an hour's new mail delivered before each tick.
 *
 * Built on test/distributed/harness.ts: a fresh database, the API side in this process, every mailbox
 * connected through the real connect flow (which enqueues the first sweeps; the first worker set runs
 * them before anything is timed). Per run: start N workers (default concurrency, own schedule tick off),
 * wait until each says it started, then one enqueuer tick for "an hour later" and time until the last
 * job completed. Exactly once: per tick, every mailbox has exactly one succeeded `worker` sweep and one
 * completed job for that slot.
 */
import { SWEEP_QUEUE } from "../../server/sweep-queue/queue";
import { createEnqueuer } from "../../server/sweep-queue/enqueuer";
import { createLogger } from "../../server/logger";
import { generateMailbox } from "../../emulator/generator";
import { spawnWorker, startDistributedHarness, TENANT, until, type WorkerProcess } from "../distributed/harness";
import { log, productDefaults, round } from "./common";

const LATENCY_MS = 50;
const MESSAGES_PER_DAY = 50;
const HOUR = 3600_000;

export interface DistributedRun {
  workers: number;
  elapsedMs: number;
  mailboxesPerMinute: number;
  speedup: number;
  sweeps: number;
  exactlyOnce: boolean;
  /** Mailboxes whose count of succeeded sweeps in this tick was not 1 (must be 0). */
  notExactlyOnce: number;
  jobsPerSlotNotOne: number;
}

export type DistributedResult =
  | { skipped: true; reason: string }
  | {
      skipped: false;
      mailboxes: number;
      latencyMs: number;
      workerConcurrency: number;
      runs: DistributedRun[];
      connectSeconds: number;
    };

export async function runDistributed(opts: { quick: boolean; databaseUrl: string | null }): Promise<DistributedResult> {
  if (!opts.databaseUrl)
    return {
      skipped: true,
      reason:
        "no PostgreSQL: set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to an admin URL, e.g. postgres://postgres@127.0.0.1:55452/postgres",
    };
  const mailboxes = opts.quick ? 10 : 200;
  const counts = opts.quick ? [1, 2] : [1, 2, 4];
  const h = await startDistributedHarness(opts.databaseUrl, { mailboxes, messagesPerDay: MESSAGES_PER_DAY, seed: 31 });
  let workers: WorkerProcess[] = [];
  const concurrency = productDefaults().concurrency;
  const env = { ...h.env, LOG_LEVEL: "info", WORKER_CONCURRENCY: String(concurrency), ENQUEUER_TICK_SECONDS: "0" };
  const db = h.queue.boss.getDb();
  const jobStates = async () => {
    const { rows } = await db.executeSql(
      `SELECT state, count(*)::int AS n FROM pgboss.job WHERE name = $1 GROUP BY state`,
      [SWEEP_QUEUE],
    );
    return Object.fromEntries(rows.map((r: { state: string; n: number }) => [r.state, r.n])) as Record<string, number>;
  };
  const allDone = (s: Record<string, number>) => !s.created && !s.retry && !s.active;
  const stopWorkers = async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGTERM");
    await Promise.all(workers.map((w) => w.exited));
    workers = [];
  };
  try {
    log(`distributed: connecting ${mailboxes} mailboxes through the connect flow`);
    const t0 = performance.now();
    await h.connectAll(10);
    const connectSeconds = round((performance.now() - t0) / 1000, 1);
    h.emulator.state.setLatency(LATENCY_MS);
    const enqueuer = createEnqueuer({
      db: h.services.db,
      queue: h.queue,
      clock: h.services.clock,
      logger: createLogger("silent"),
      intervalMinutes: 60,
    });
    const runs: DistributedRun[] = [];
    let base = Date.now();
    for (const [i, n] of counts.entries()) {
      workers = Array.from({ length: n }, (_, k) => spawnWorker(`bench-${n}-${k + 1}`, env));
      await Promise.all(workers.map((w) => w.waitFor((l) => l.msg === "sweep worker started", 60_000)));
      if (i === 0) {
        log("distributed: first sweeps (connect jobs), not timed");
        await until("the connect sweeps", jobStates, allDone, 300_000, 200);
        // The hour is counted from when the last connect sweep ended: a mailbox whose slot fell between
        // `base` and the end of its (late) connect sweep would otherwise not be due at the tick.
        base = Date.now();
      }
      // An hour's new mail, then the tick for the next hour.
      const fresh = generateMailbox({
        tenantId: TENANT,
        users: mailboxes,
        messagesPerDay: MESSAGES_PER_DAY,
        days: 1 / 24,
        seed: 40 + i,
        folderMix: { inbox: 1 },
        kindMix: { note: 1, smime: 0, meeting: 0, teams: 0, rss: 0 },
      });
      for (const m of fresh.dataset.messages ?? []) {
        const { userId, ...input } = m;
        h.emulator.state.addMessage(userId, input);
      }
      base += HOUR;
      const tickAt = new Date(base);
      const startedIso = new Date().toISOString();
      log(`distributed: ${n} worker(s), tick`);
      const t = performance.now();
      const tick = await enqueuer.tick(tickAt);
      if (tick.enqueued !== mailboxes) throw new Error(`tick enqueued ${tick.enqueued} of ${mailboxes}`);
      await until(`the tick's jobs (${n} workers)`, jobStates, allDone, 300_000, 50);
      const elapsedMs = performance.now() - t;
      await stopWorkers();

      const sweeps = await h.services.db
        .selectFrom("sweeps")
        .select(["userId", "status"])
        .where("organizationId", "=", TENANT)
        .where("trigger", "=", "worker")
        .where("startedAt", ">=", startedIso)
        .execute();
      const per = new Map<string, number>([...h.userIds.values()].map((u) => [u, 0]));
      for (const s of sweeps) if (s.status === "succeeded") per.set(s.userId, (per.get(s.userId) ?? 0) + 1);
      const notExactlyOnce = [...per.values()].filter((x) => x !== 1).length;
      const { rows } = await db.executeSql(
        `SELECT singleton_key, count(*)::int AS n FROM pgboss.job WHERE name = $1 AND data->>'slot' IS NOT NULL AND state = 'completed' AND created_on >= $2::timestamptz GROUP BY singleton_key`,
        [SWEEP_QUEUE, startedIso],
      );
      const jobsPerSlotNotOne = mailboxes - (rows as { n: number }[]).filter((r) => r.n === 1).length;
      runs.push({
        workers: n,
        elapsedMs: Math.round(elapsedMs),
        mailboxesPerMinute: Math.round((mailboxes / elapsedMs) * 60_000),
        speedup: 1,
        sweeps: sweeps.length,
        exactlyOnce: notExactlyOnce === 0 && jobsPerSlotNotOne === 0 && sweeps.length === mailboxes,
        notExactlyOnce,
        jobsPerSlotNotOne,
      });
    }
    for (const r of runs) r.speedup = round(runs[0].elapsedMs / r.elapsedMs, 2);
    return { skipped: false, mailboxes, latencyMs: LATENCY_MS, workerConcurrency: concurrency, runs, connectSeconds };
  } finally {
    for (const w of workers) w.child.kill("SIGKILL");
    await h.close();
  }
}
