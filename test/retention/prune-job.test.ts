/**
 * Distributed mode's prune job (server/sweep-queue/prune-job.ts) on PostgreSQL: two processes tick
 * the same interval and one job is queued; a worker runs it and the policy is applied.
 */
import { ManualClock } from "../../server/clock";
import { createLogger } from "../../server/logger";
import { startSweepQueue, type SweepQueue } from "../../server/sweep-queue/queue";
import { PRUNE_QUEUE, registerPruneJob, type PruneJob } from "../../server/sweep-queue/prune-job";
import { ensureOrganization } from "../../server/store/organizations";
import { provisionUser } from "../../server/store/users";
import { getDecision, messageKey, recordCaptureBatch } from "../../server/store/capture-decisions";
import { openPostgresTestDatabase, type TestDatabase } from "../db/databases";

const PG = process.env.TEST_DATABASE_URL;
const suite = PG ? describe : describe.skip;
const silent = createLogger("silent");
const NOW = new Date("2026-12-06T12:30:00.000Z");

suite(PG ? "retention prune job on PostgreSQL" : "retention prune job (skipped: TEST_DATABASE_URL is not set)", () => {
  jest.setTimeout(60_000);
  let h: TestDatabase;
  const queues: SweepQueue[] = [];
  const jobs: PruneJob[] = [];
  afterAll(async () => {
    for (const j of jobs) await j.stop();
    for (const q of queues) await q.stop({ graceful: false });
    await h?.close();
  });

  test("two processes tick one interval: one job, run once, exclusions past the horizon gone", async () => {
    h = await openPostgresTestDatabase(PG!);
    const clock = new ManualClock(NOW);
    await ensureOrganization(h.db, "org-job", NOW);
    const user = await provisionUser(
      h.db,
      { organizationId: "org-job", oid: "oid-job", email: "u@job.example", displayName: null },
      NOW,
    );
    const old = new Date(NOW.getTime() - 72 * 3600_000);
    await h.db
      .transaction()
      .execute((trx) =>
        recordCaptureBatch(
          trx,
          "org-job",
          user.id,
          null,
          [{ outcome: "excluded", messageKey: messageKey("<old@x>"), reason: "draft" }],
          old,
        ),
      );
    for (let i = 0; i < 2; i++) {
      const q = await startSweepQueue({
        connectionString: h.url,
        logger: silent,
        settings: { maintenanceIntervalSeconds: 1 },
      });
      queues.push(q);
      jobs.push(
        await registerPruneJob(
          q,
          { db: h.db, clock, logger: silent, windowHours: 24 },
          { pollingIntervalSeconds: 0.5 },
        ),
      );
    }
    const ids = [await jobs[0].tick(), await jobs[1].tick()];
    expect(ids.filter(Boolean)).toHaveLength(1);
    const deadline = Date.now() + 20_000;
    let state = "";
    while (Date.now() < deadline) {
      const { rows } = await queues[0].boss
        .getDb()
        .executeSql(`SELECT state FROM pgboss.job WHERE name = $1`, [PRUNE_QUEUE]);
      state = rows.map((r: { state: string }) => r.state).join(",");
      if (state === "completed") break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(state).toBe("completed");
    expect(await getDecision(h.db, "org-job", user.id, messageKey("<old@x>"))).toBeNull();
  });
});
