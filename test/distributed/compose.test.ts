/**
 * The composition in distributed mode: an API process (createServices without a queue of its own) makes
 * its queue from config.queue, so a new connection's first sweep gets the same job deadline as the
 * workers' jobs, not pg-boss's or the queue module's default.
 */
import { createServices, type Services } from "../../server/cli/compose";
import { loadConfig } from "../../server/config";
import { createLogger } from "../../server/logger";
import { enqueueConnectSweep } from "../../server/sweep-queue/enqueuer";
import { PGBOSS_SCHEMA, SWEEP_QUEUE } from "../../server/sweep-queue/queue";
import { openPostgresTestDatabase, type TestDatabase } from "../db/databases";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { QueueSettingsConflictError } from "../../server/sweep-queue/settings";
import { spawnWorker, type WorkerProcess } from "./harness";

const PG = process.env.TEST_DATABASE_URL;
const suite = PG ? describe : describe.skip;

suite(
  PG
    ? "composition: the API process's sweep queue"
    : "composition: the API process's sweep queue (skipped: TEST_DATABASE_URL is not set)",
  () => {
    jest.setTimeout(60_000);
    let database: TestDatabase;
    let services: Services | null = null;

    beforeAll(async () => {
      database = await openPostgresTestDatabase(PG!);
    });
    afterAll(async () => {
      await services?.close();
      await database.close();
    });

    test("connect sweeps are enqueued with SWEEP_JOB_EXPIRE_SECONDS and QUEUE_MAINTENANCE_SECONDS from config", async () => {
      const loaded = loadConfig({
        DATABASE_URL: database.url,
        SWEEP_JOB_EXPIRE_SECONDS: "77",
        QUEUE_MAINTENANCE_SECONDS: "3",
      });
      if (!loaded.ok) throw new Error(loaded.problems.join("; "));
      services = await createServices({ config: loaded.config, logger: createLogger("silent") });
      const queue = services.queue!;
      expect(queue.settings).toMatchObject({ expireInSeconds: 77, maintenanceIntervalSeconds: 3 });

      const jobId = await enqueueConnectSweep(queue, "org-1", "user-1");
      expect(jobId).not.toBeNull();
      const { rows } = await queue.boss
        .getDb()
        .executeSql(
          `SELECT extract(epoch FROM expire_in)::int AS seconds FROM ${PGBOSS_SCHEMA}.job WHERE name = $1 AND id = $2`,
          [SWEEP_QUEUE, jobId],
        );
      expect(rows).toEqual([{ seconds: 77 }]);
    });

    test("an API process and a worker with different queue settings: the one starting second refuses, naming the setting", async () => {
      await services?.close();
      services = null;
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-settings-"));
      const env = (expire: string) => ({
        DATABASE_URL: database.url,
        DATA_DIR: dataDir,
        SWEEP_JOB_EXPIRE_SECONDS: expire,
        QUEUE_MAINTENANCE_SECONDS: "1",
        ENQUEUER_TICK_SECONDS: "0",
        LOG_LEVEL: "info",
      });
      const workers: WorkerProcess[] = [];
      try {
        // The API process runs with SWEEP_JOB_EXPIRE_SECONDS=30.
        const api = loadConfig(env("30"));
        if (!api.ok) throw new Error(api.problems.join("; "));
        services = await createServices({ config: api.config, logger: createLogger("silent") });

        // A worker started with 45 refuses to start: its jobs would get another deadline.
        const odd = spawnWorker("odd", env("45"));
        workers.push(odd);
        expect((await odd.exited).code).toBe(1);
        expect(odd.lines.join("\n")).toMatch(/SWEEP_JOB_EXPIRE_SECONDS is 45 here but 30 in a process already running/);

        // A worker with the same settings starts.
        const same = spawnWorker("same", env("30"));
        workers.push(same);
        await same.waitFor((l) => l.msg === "sweep worker started", 30_000);

        // And an API process started now with other settings than that live worker refuses too.
        await services.close();
        services = null;
        const other = loadConfig(env("60"));
        if (!other.ok) throw new Error(other.problems.join("; "));
        await expect(createServices({ config: other.config, logger: createLogger("silent") })).rejects.toThrow(
          QueueSettingsConflictError,
        );

        // Once every process has stopped, new settings are taken.
        same.child.kill("SIGTERM");
        expect((await same.exited).code).toBe(0);
        services = await createServices({ config: other.config, logger: createLogger("silent") });
        expect(services.queue!.settings.expireInSeconds).toBe(60);
      } finally {
        for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  },
);
