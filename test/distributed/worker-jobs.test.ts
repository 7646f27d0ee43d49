/**
 * The queue's guarantees and how a worker ends each kind of job, in-process on PostgreSQL:
 * connect enqueues the first sweep; at most one pending job per mailbox; ticks from several
 * processes enqueue a slot once; a mailbox already being swept defers its job (retried, then swept);
 * a disconnected mailbox completes its job without work; stop() drains and closes.
 */
import { createEnqueuer } from "../../server/sweep-queue/enqueuer";
import { enqueueConnectSweep } from "../../server/sweep-queue/enqueuer";
import { startSweepQueue, SWEEP_QUEUE, type SweepQueue } from "../../server/sweep-queue/queue";
import { startWorker, type RunningWorker } from "../../server/cli/compose";
import { createLogger } from "../../server/logger";
import { disconnectConnection } from "../../server/store/mailbox-connections";
import { newId } from "../../server/store/util";
import { INTERRUPTED_ERROR } from "../../server/store/sweeps";
import { startDistributedHarness, TENANT, until, type DistributedHarness } from "./harness";

const PG = process.env.TEST_DATABASE_URL;
const suite = PG ? describe : describe.skip;
const silent = createLogger("silent");

suite(
  PG
    ? "distributed mode: queue and worker job outcomes on PostgreSQL"
    : "distributed mode: queue and worker job outcomes (skipped: TEST_DATABASE_URL is not set)",
  () => {
    jest.setTimeout(90_000);
    let h: DistributedHarness;
    let worker: RunningWorker | null = null;
    let second: SweepQueue | null = null;

    beforeAll(async () => {
      h = await startDistributedHarness(PG!, {
        mailboxes: 3,
        messagesPerDay: 6,
        queue: { expireInSeconds: 20, maintenanceIntervalSeconds: 1 },
      });
    });
    afterAll(async () => {
      await worker?.stop({ timeoutMs: 2000 });
      await second?.stop({ graceful: false });
      await h?.close();
    });

    const jobs = async () =>
      (
        await h.queue.boss
          .getDb()
          .executeSql(
            `SELECT id, state, data, output, retry_count FROM pgboss.job WHERE name = $1 ORDER BY created_on`,
            [SWEEP_QUEUE],
          )
      ).rows as {
        id: string;
        state: string;
        data: { userId: string; reason: string };
        output: Record<string, unknown> | null;
        retry_count: number;
      }[];
    const settled = (rows: { state: string }[]) => rows.every((r) => r.state === "completed" || r.state === "failed");

    test("connecting enqueues the first sweep; a mailbox never has two jobs pending", async () => {
      await h.connectAll();
      const queued = await until("connect jobs", jobs, (r) => r.length === 3, 10_000);
      expect(queued.map((r) => [r.state, r.data.reason])).toEqual([
        ["created", "connect"],
        ["created", "connect"],
        ["created", "connect"],
      ]);
      const userId = [...h.userIds.values()][0];
      // Another connect (or any producer) while one is pending adds nothing…
      expect(await enqueueConnectSweep(h.queue, TENANT, userId)).toBeNull();
      // …and the stately index refuses a second queued job even when a producer skips the check.
      expect(
        await h.queue.enqueue([{ data: { organizationId: TENANT, userId, reason: "schedule", slot: null } }]),
      ).toEqual({ enqueued: [], skipped: 1 });
      // Nothing was swept by the API side (no embedded scheduler, no in-process first sweep).
      expect(await h.services.db.selectFrom("sweeps").selectAll().execute()).toHaveLength(0);
    });

    test("a worker sweeps the queued jobs (trigger connect) and completes them", async () => {
      worker = await startWorker({
        config: h.config,
        extraCaPem: h.emulator.caPem,
        concurrency: 2,
        logger: silent,
        workerId: "in-process",
        queue: { expireInSeconds: 20, maintenanceIntervalSeconds: 1 },
        pollIntervalMs: 200,
      });
      const done = await until(
        "connect sweeps",
        jobs,
        (r) => r.length === 3 && r.every((j) => j.state === "completed"),
        30_000,
      );
      for (const j of done) expect(j.output).toMatchObject({ status: "succeeded", worker: "in-process" });
      const sweeps = await h.services.db.selectFrom("sweeps").select(["trigger", "status"]).execute();
      expect(sweeps).toEqual([
        { trigger: "connect", status: "succeeded" },
        { trigger: "connect", status: "succeeded" },
        { trigger: "connect", status: "succeeded" },
      ]);
    });

    test("ticks from two processes at the same time enqueue each mailbox once", async () => {
      second = await startSweepQueue({
        connectionString: h.database.url,
        logger: silent,
        settings: { expireInSeconds: 20 },
      });
      const at = new Date(Date.now() + 3600_000);
      const e1 = createEnqueuer({
        db: h.services.db,
        queue: h.queue,
        clock: h.services.clock,
        logger: silent,
        intervalMinutes: 60,
      });
      const e2 = createEnqueuer({
        db: h.services.db,
        queue: second,
        clock: h.services.clock,
        logger: silent,
        intervalMinutes: 60,
      });
      const [r1, r2] = await Promise.all([e1.tick(at), e2.tick(at)]);
      expect(r1.enqueued + r2.enqueued).toBe(3);
      await until("the tick's sweeps", jobs, (r) => r.length === 6 && settled(r), 30_000);
      // The same slot again: already done, nothing new.
      expect((await e1.tick(at)).enqueued).toBe(0);
      const worker = await h.services.db
        .selectFrom("sweeps")
        .select("userId")
        .where("trigger", "=", "worker")
        .where("status", "=", "succeeded")
        .execute();
      expect(worker.map((s) => s.userId).sort()).toEqual([...h.userIds.values()].sort());
    });

    test("a mailbox already being swept defers its job; the retry sweeps once the other sweep ends", async () => {
      const [userId] = [...h.userIds.values()];
      // `npm run sweep` sweeping this mailbox right now: a process outside the queue, so the worker holding
      // the job cannot know it is dead and waits for it.
      const otherId = newId();
      const now = new Date().toISOString();
      await h.services.db
        .insertInto("sweeps")
        .values({
          id: otherId,
          organizationId: TENANT,
          userId,
          trigger: "cli",
          status: "running",
          windowStart: now,
          windowEnd: now,
          startedAt: now,
          finishedAt: null,
          listed: 0,
          captured: 0,
          excluded: 0,
          excludedByReason: "{}",
          graphRequests: 0,
          retries: 0,
          error: null,
        })
        .execute();
      const jobId = await enqueueConnectSweep(h.queue, TENANT, userId);
      expect(jobId).not.toBeNull();
      const deferred = await until(
        "the deferral",
        async () => (await jobs()).find((j) => j.id === jobId)!,
        (j) => j.state === "retry",
        15_000,
      );
      expect(deferred.output).toMatchObject({ deferred: "in_progress", runningSweepId: otherId });
      await h.services.db
        .updateTable("sweeps")
        .set({ status: "succeeded", finishedAt: new Date().toISOString() })
        .where("id", "=", otherId)
        .execute();
      // The finished sweep started before the job was enqueued, so the retry still sweeps.
      const done = await until(
        "the retry",
        async () => (await jobs()).find((j) => j.id === jobId)!,
        (j) => j.state === "completed",
        20_000,
      );
      expect(done.retry_count).toBeGreaterThanOrEqual(1);
      expect(done.output).toMatchObject({ status: "succeeded" });
      expect(done.output!.sweepId).not.toBe(otherId);
    });

    test("a sweep left running by a dead worker is closed as interrupted by the worker holding the next job, at once", async () => {
      const [userId] = [...h.userIds.values()];
      const deadId = newId();
      const now = new Date().toISOString();
      await h.services.db
        .insertInto("sweeps")
        .values({
          id: deadId,
          organizationId: TENANT,
          userId,
          trigger: "worker",
          status: "running",
          windowStart: now,
          windowEnd: now,
          startedAt: now,
          finishedAt: null,
          listed: 0,
          captured: 0,
          excluded: 0,
          excludedByReason: "{}",
          graphRequests: 0,
          retries: 0,
          error: null,
        })
        .execute();
      const jobId = await enqueueConnectSweep(h.queue, TENANT, userId);
      const done = await until(
        "the job",
        async () => (await jobs()).find((j) => j.id === jobId)!,
        (j) => j.state === "completed",
        15_000,
      );
      // Not deferred until the row is older than the job deadline (20 s here): swept on the first attempt.
      expect(done).toMatchObject({ retry_count: 0, output: { status: "succeeded" } });
      const dead = await h.services.db
        .selectFrom("sweeps")
        .select(["status", "error"])
        .where("id", "=", deadId)
        .executeTakeFirstOrThrow();
      expect(dead).toEqual({ status: "failed", error: INTERRUPTED_ERROR });
    });

    test("a disconnected mailbox's job completes without a sweep", async () => {
      const userId = [...h.userIds.values()][1];
      await disconnectConnection(h.services.db, TENANT, userId, new Date());
      const before = (await h.services.db.selectFrom("sweeps").select("id").where("userId", "=", userId).execute())
        .length;
      const jobId = await enqueueConnectSweep(h.queue, TENANT, userId);
      const done = await until(
        "the job",
        async () => (await jobs()).find((j) => j.id === jobId)!,
        (j) => j.state === "completed",
        15_000,
      );
      expect(done.output).toMatchObject({ skipped: "not_connected" });
      expect(
        (await h.services.db.selectFrom("sweeps").select("id").where("userId", "=", userId).execute()).length,
      ).toBe(before);
    });

    test("stop() stops fetching and closes; jobs enqueued afterwards stay queued", async () => {
      const w = worker!;
      worker = null;
      await w.stop({ timeoutMs: 5000 });
      expect(w.stats().inFlight).toBe(0);
      const userId = [...h.userIds.values()][2];
      const jobId = await enqueueConnectSweep(h.queue, TENANT, userId);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await jobs()).find((j) => j.id === jobId)!.state).toBe("created");
    });
  },
);
