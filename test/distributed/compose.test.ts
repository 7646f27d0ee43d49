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
  },
);
