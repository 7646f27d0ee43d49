/**
 * `npm run worker`: a sweep worker for distributed mode (PostgreSQL). Run as many as needed, on one
 * machine or many, beside the API processes (`npm start` with the same DATABASE_URL).
 * Each worker also ticks the hourly schedule (enqueueing is idempotent across processes).
 * Its settings (WORKER_*, SWEEP_JOB_EXPIRE_SECONDS, QUEUE_MAINTENANCE_SECONDS, ENQUEUER_TICK_SECONDS)
 * are read with the server's, in server/config.ts.
 */
import fs from "node:fs";
import { loadConfig } from "../config";
import { createEnqueuer } from "../sweep-queue/enqueuer";
import { startWorker } from "./compose";

const say = (line: string) => process.stdout.write(`${line}\n`);

/**
 * Node honours NODE_EXTRA_CA_CERTS itself; the file is also handed to the outbound fetch explicitly so
 * a private CA (or a test emulator's) works the same for every client library.
 */
function readExtraCa(file: string | null): string | null {
  return file && fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
}

async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    for (const p of loaded.problems) console.error(`config: ${p}`);
    process.exit(1);
  }
  const config = loaded.config;
  if (config.databaseKind !== "postgres") {
    console.error(
      "worker: DATABASE_URL is not PostgreSQL. Embedded mode (SQLite) sweeps inside `npm start` and needs no workers.",
    );
    process.exit(1);
  }

  const concurrency = config.worker.concurrency;
  const worker = await startWorker({ config, extraCaPem: readExtraCa(config.extraCaCertsFile), concurrency });
  const tickSeconds = config.worker.enqueuerTickSeconds;
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
      (tickSeconds > 0
        ? `schedule tick every ${tickSeconds} s (each mailbox once per ${config.sweep.intervalMinutes} min at its own minute)`
        : "schedule tick off"),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`worker ${worker.id}: ${signal}: finishing sweeps in flight, then stopping`);
    void (async () => {
      try {
        await enqueuer.stop();
        await worker.stop({ timeoutMs: config.worker.stopTimeoutSeconds * 1000 });
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
