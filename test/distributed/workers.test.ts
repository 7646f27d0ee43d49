/**
 * Two REAL worker processes (`tsx server/cli/worker.ts`, what `npm run worker`
 * runs) on the CI PostgreSQL against the emulator. 50 mailboxes connected through the real connect
 * flow (each connect enqueues the first sweep), two schedule ticks driven by the test, every mailbox
 * swept exactly once per tick, no duplicate engagements; worker A is SIGKILLed mid-run and its jobs
 * are finished by worker B.
 */
import { sql } from "kysely";
import { SWEEP_QUEUE } from "../../server/sweep-queue/queue";
import { createEnqueuer } from "../../server/sweep-queue/enqueuer";
import { createLogger } from "../../server/logger";
import {
  spawnWorker,
  startDistributedHarness,
  TENANT,
  until,
  type DistributedHarness,
  type WorkerProcess,
} from "./harness";

const PG = process.env.TEST_DATABASE_URL;
const MAILBOXES = 50;
const HOUR = 3600_000;

const suite = PG ? describe : describe.skip;

suite(
  PG
    ? "distributed mode: two worker processes on PostgreSQL"
    : "distributed mode: two worker processes (skipped: TEST_DATABASE_URL is not set)",
  () => {
    jest.setTimeout(180_000);
    let h: DistributedHarness;
    let a: WorkerProcess | null = null;
    let b: WorkerProcess | null = null;

    beforeAll(async () => {
      h = await startDistributedHarness(PG!, {
        mailboxes: MAILBOXES,
        messagesPerDay: 12,
        queue: { expireInSeconds: 8, maintenanceIntervalSeconds: 1 },
      });
    });

    afterAll(async () => {
      for (const w of [a, b])
        if (w && w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all([a?.exited, b?.exited]), new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      await h?.close();
    });

    const sweepCounts = async () => {
      const rows = await h.services.db
        .selectFrom("sweeps")
        .select(["userId", "trigger", "status", "error"])
        .where("organizationId", "=", TENANT)
        .execute();
      return rows;
    };
    const jobStates = async () => {
      const { rows } = await h.queue.boss
        .getDb()
        .executeSql(`SELECT state, count(*)::int AS n FROM pgboss.job WHERE name = $1 GROUP BY state`, [SWEEP_QUEUE]);
      return Object.fromEntries(rows.map((r: { state: string; n: number }) => [r.state, r.n])) as Record<
        string,
        number
      >;
    };
    const allJobsDone = (s: Record<string, number>) => !s.created && !s.retry && !s.active;

    test("50 mailboxes, connect sweep + two ticks, a killed worker: every mailbox swept exactly once per tick", async () => {
      // ---- connect: each connection enqueues its first sweep (API processes sweep nothing themselves)
      await h.connectAll();
      const connectJobs = await until(
        "the connect jobs",
        async () =>
          (await h.queue.boss.getDb().executeSql(`SELECT data FROM pgboss.job WHERE name = $1`, [SWEEP_QUEUE]))
            .rows as { data: { reason: string; userId: string } }[],
        (rows) => rows.length >= MAILBOXES,
        20_000,
      );
      expect(connectJobs.every((r) => r.data.reason === "connect")).toBe(true);
      expect(new Set(connectJobs.map((r) => r.data.userId)).size).toBe(MAILBOXES);
      expect(await sweepCounts()).toHaveLength(0);

      // Sweeps slow enough to catch one mid-flight.
      h.emulator.state.setLatency(150);
      const workerEnv = {
        ...h.env,
        WORKER_CONCURRENCY: "4",
        SWEEP_JOB_EXPIRE_SECONDS: "8",
        QUEUE_MAINTENANCE_SECONDS: "1",
        ENQUEUER_TICK_SECONDS: "0",
      };
      a = spawnWorker("worker-A", workerEnv);
      b = spawnWorker("worker-B", workerEnv);
      await Promise.all([
        a.waitFor((l) => l.msg === "sweep worker started"),
        b.waitFor((l) => l.msg === "sweep worker started"),
      ]);

      await until("the connect sweeps", jobStates, allJobsDone, 60_000);
      const afterConnect = await sweepCounts();
      expect(afterConnect.filter((s) => s.status === "succeeded" && s.trigger === "connect")).toHaveLength(MAILBOXES);

      // ---- tick 1 (the test drives the schedule; the tick decides from the time it is given)
      const enqueuer = createEnqueuer({
        db: h.services.db,
        queue: h.queue,
        clock: h.services.clock,
        logger: createLogger("silent"),
        intervalMinutes: 60,
      });
      const base = Date.now() + HOUR;
      let aStarted = 0;
      a.onLog((l) => {
        if (l.msg !== "sweep job started" || l.reason !== "schedule") return;
        // Kill A right after it starts its 4th scheduled job: that job (at least) is in flight.
        if (++aStarted === 4) a!.child.kill("SIGKILL");
      });
      const t1 = await enqueuer.tick(new Date(base));
      expect(t1).toMatchObject({ active: MAILBOXES, enqueued: MAILBOXES });
      // A second tick at the same time (another process ticking) adds nothing.
      expect((await enqueuer.tick(new Date(base))).enqueued).toBe(0);

      const exitA = await a.exited;
      // On a surprise (A ended by itself), show what A said, so the cause is in the CI log.
      if (exitA.signal !== "SIGKILL")
        throw new Error(
          `worker-A ended with ${JSON.stringify(exitA)} after ${aStarted} scheduled jobs started; output:\n` +
            [...a.lines, ...a.logs.slice(-30).map((l) => JSON.stringify(l))].join("\n"),
        );
      // The jobs A started and never reported finished (its output is complete once the process closed).
      const finishedByA = new Set(a.logs.filter((l) => l.msg === "sweep job completed").map((l) => l.jobId as string));
      const killedJobs = a.logs
        .filter((l) => l.msg === "sweep job started" && l.reason === "schedule" && !finishedByA.has(l.jobId as string))
        .map((l) => l.jobId as string);
      expect(killedJobs.length).toBeGreaterThan(0);
      await until("tick 1's jobs, including the killed worker's", jobStates, allJobsDone, 90_000);

      // ---- tick 2, an hour later
      const t2 = await enqueuer.tick(new Date(base + HOUR));
      expect(t2).toMatchObject({ active: MAILBOXES, enqueued: MAILBOXES });
      await until("tick 2's jobs", jobStates, allJobsDone, 90_000);

      // ---- every mailbox: one connect sweep and exactly one worker sweep per tick
      const sweeps = await sweepCounts();
      const userIds = [...h.userIds.values()];
      for (const userId of userIds) {
        const mine = sweeps.filter((s) => s.userId === userId && s.status === "succeeded");
        expect({
          userId,
          connect: mine.filter((s) => s.trigger === "connect").length,
          worker: mine.filter((s) => s.trigger === "worker").length,
        }).toEqual({ userId, connect: 1, worker: 2 });
      }
      // The only failed sweeps are the ones the killed worker left behind, closed by the engine's guard.
      const failed = sweeps.filter((s) => s.status !== "succeeded");
      expect(failed.length).toBeLessThanOrEqual(killedJobs.length);
      for (const f of failed) expect(f.error).toMatch(/Interrupted/);

      // ---- the killed worker's jobs were finished by worker B
      const completedByB = new Set(b.logs.filter((l) => l.msg === "sweep job completed").map((l) => l.jobId as string));
      const handedOver = killedJobs.filter((id) => completedByB.has(id));
      expect(handedOver.length).toBe(killedJobs.length);
      const { rows: retried } = await h.queue.boss
        .getDb()
        .executeSql(`SELECT id, retry_count, state, output FROM pgboss.job WHERE name = $1 AND id = ANY($2::uuid[])`, [
          SWEEP_QUEUE,
          handedOver,
        ]);
      for (const r of retried as { retry_count: number; state: string; output: { worker: string } }[]) {
        expect(r).toMatchObject({ state: "completed", output: { worker: "worker-B" } });
        expect(r.retry_count).toBeGreaterThanOrEqual(1);
      }

      // ---- queue: one job per mailbox per slot, all completed
      const { rows: perSlot } = await h.queue.boss
        .getDb()
        .executeSql(
          `SELECT singleton_key, count(*)::int AS n, count(DISTINCT data->>'slot')::int AS slots FROM pgboss.job WHERE name = $1 AND data->>'reason' = 'schedule' GROUP BY singleton_key`,
          [SWEEP_QUEUE],
        );
      expect(perSlot).toHaveLength(MAILBOXES);
      for (const r of perSlot as { n: number; slots: number }[]) expect(r).toMatchObject({ n: 2, slots: 2 });
      expect(await jobStates()).toEqual({ completed: MAILBOXES * 3 });

      // ---- Graph traffic: one listing per sweep (plus one per sweep the kill interrupted after listing)
      const interruptedBy = new Map<string, number>();
      for (const f of failed) interruptedBy.set(f.userId, (interruptedBy.get(f.userId) ?? 0) + 1);
      for (const [oid, userId] of h.userIds) {
        const lists = h.emulator.state.requestCounts(oid).byKind.list;
        const extra = interruptedBy.get(userId) ?? 0;
        expect(lists).toBeGreaterThanOrEqual(3);
        expect(lists).toBeLessThanOrEqual(3 + extra);
      }

      // ---- engagements: exactly the expected captures, none twice
      const expected = h.expectedCaptured();
      const total = [...expected.values()].reduce((n, x) => n + x, 0);
      expect(total).toBeGreaterThan(MAILBOXES);
      const engagements = await h.services.db
        .selectFrom("engagements")
        .select(sql<number>`count(*)`.as("n"))
        .select(sql<number>`count(distinct internet_message_id)`.as("distinct"))
        .where("organizationId", "=", TENANT)
        .executeTakeFirstOrThrow();
      expect({ n: Number(engagements.n), distinct: Number(engagements.distinct) }).toEqual({
        n: total,
        distinct: total,
      });
      const decisions = await h.services.db
        .selectFrom("captureDecisions")
        .select([
          "userId",
          sql<number>`count(*)`.as("n"),
          sql<number>`sum(case when outcome = 'captured' then 1 else 0 end)`.as("captured"),
        ])
        .where("organizationId", "=", TENANT)
        .groupBy("userId")
        .execute();
      const byUser = new Map(decisions.map((d) => [d.userId, d]));
      for (const [oid, userId] of h.userIds) {
        const d = byUser.get(userId);
        expect({ oid, captured: Number(d?.captured ?? 0), decided: Number(d?.n ?? 0) }).toEqual({
          oid,
          captured: expected.get(oid),
          decided: h.messages.filter((m) => m.userId === oid).length,
        });
      }

      // ---- graceful stop on SIGTERM
      b.child.kill("SIGTERM");
      expect((await b.exited).code).toBe(0);
      expect(b.lines.join("\n")).toMatch(/stopped \(\d+ jobs completed/);
    });
  },
);
