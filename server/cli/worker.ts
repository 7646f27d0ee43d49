/**
 * `npm run worker`: a sweep worker for distributed mode (PostgreSQL). Run as many as needed, on one
 * machine or many, beside the API processes (`npm start` with the same DATABASE_URL).
 * Each worker also ticks the hourly schedule (enqueueing is idempotent across processes).
 *
 * Settings (besides the server's, see server/config.ts):
 *   WORKER_CONCURRENCY        sweeps at once in this worker (default SWEEP_CONCURRENCY)
 *   WORKER_ID                 name in logs and job outputs (default host:pid)
 *   SWEEP_JOB_EXPIRE_SECONDS  a job running longer is taken back and retried (default 900)
 *   QUEUE_MAINTENANCE_SECONDS how often expired jobs are taken back (default 60)
 *   ENQUEUER_TICK_SECONDS     schedule tick period (default 60; 0 = this worker does not tick)
 *   WORKER_STOP_TIMEOUT_SECONDS on SIGTERM/SIGINT, how long in-flight sweeps may finish (default 30)
 */
import fs from "node:fs";
import { z } from "zod";
import { loadConfig } from "../config";
import { createEnqueuer } from "../sweep-queue/enqueuer";
import { startWorker } from "../sweep-queue/worker";

const say = (line: string) => process.stdout.write(`${line}\n`);

const intIn = (name: string, min: number, max: number) =>
  z.coerce
    .number({ message: `${name} must be a number` })
    .int({ message: `${name} must be a whole number` })
    .min(min, { message: `${name} must be at least ${min}` })
    .max(max, { message: `${name} must be at most ${max}` })
    .optional();

const workerEnv = z.object({
  WORKER_CONCURRENCY: intIn("WORKER_CONCURRENCY", 1, 256),
  WORKER_ID: z.string().min(1).max(100).optional(),
  SWEEP_JOB_EXPIRE_SECONDS: intIn("SWEEP_JOB_EXPIRE_SECONDS", 5, 24 * 3600 - 1),
  QUEUE_MAINTENANCE_SECONDS: intIn("QUEUE_MAINTENANCE_SECONDS", 1, 3600),
  ENQUEUER_TICK_SECONDS: intIn("ENQUEUER_TICK_SECONDS", 0, 3600),
  WORKER_STOP_TIMEOUT_SECONDS: intIn("WORKER_STOP_TIMEOUT_SECONDS", 1, 3600),
});

async function main(): Promise<void> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== ""));
  const loaded = loadConfig(env);
  const extra = workerEnv.safeParse(env);
  const problems = [...(loaded.ok ? [] : loaded.problems), ...(extra.success ? [] : extra.error.issues.map((i) => i.message))];
  if (!loaded.ok || !extra.success || problems.length) {
    for (const p of problems) console.error(`config: ${p}`);
    process.exit(1);
  }
  const config = loaded.config;
  const w = extra.data;
  if (config.databaseKind !== "postgres") {
    console.error("worker: DATABASE_URL is not PostgreSQL. Embedded mode (SQLite) sweeps inside `npm start` and needs no workers.");
    process.exit(1);
  }

  // NODE_EXTRA_CA_CERTS is honoured by Node itself; it is also handed to the outbound fetch explicitly
  // so a private CA (or a test emulator's) works the same for every client library.
  const caFile = process.env.NODE_EXTRA_CA_CERTS;
  const extraCaPem = caFile && fs.existsSync(caFile) ? fs.readFileSync(caFile, "utf8") : null;
  const concurrency = w.WORKER_CONCURRENCY ?? config.sweep.concurrency;
  const worker = await startWorker({
    config,
    extraCaPem,
    concurrency,
    workerId: w.WORKER_ID,
    queue: {
      ...(w.SWEEP_JOB_EXPIRE_SECONDS ? { expireInSeconds: w.SWEEP_JOB_EXPIRE_SECONDS } : {}),
      ...(w.QUEUE_MAINTENANCE_SECONDS ? { maintenanceIntervalSeconds: w.QUEUE_MAINTENANCE_SECONDS } : {}),
    },
  });
  const tickSeconds = w.ENQUEUER_TICK_SECONDS ?? 60;
  const enqueuer = createEnqueuer({
    db: worker.services.db,
    queue: worker.queue,
    clock: worker.services.clock,
    logger: worker.services.logger,
    intervalMinutes: config.sweep.intervalMinutes,
    tickSeconds: tickSeconds || 60,
  });
  if (tickSeconds > 0) enqueuer.start();

  say(
    `worker ${worker.id}: sweeping mailboxes from the queue, ${concurrency} at a time; ` +
      (tickSeconds > 0 ? `schedule tick every ${tickSeconds} s (each mailbox once per ${config.sweep.intervalMinutes} min at its own minute)` : "schedule tick off"),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`worker ${worker.id}: ${signal}: finishing sweeps in flight, then stopping`);
    void (async () => {
      try {
        await enqueuer.stop();
        await worker.stop({ timeoutMs: (w.WORKER_STOP_TIMEOUT_SECONDS ?? 30) * 1000 });
        const s = worker.stats();
        say(`worker ${worker.id}: stopped (${s.completed} jobs completed, ${s.failed} handed back)`);
        process.exit(0);
      } catch (err) {
        console.error(`worker ${worker.id}: stop failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      }
    })();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  console.error(`worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
