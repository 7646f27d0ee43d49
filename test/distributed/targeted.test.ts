/**
 * Targeted re-reads in distributed mode: two REAL worker processes on PostgreSQL. A contact tracked
 * through the API after every mailbox was swept makes the next scheduled sweep of each mailbox list
 * what changed plus one search for that address (listing "targeted") — not the whole window — and every
 * message of the past day involving the new contact is captured, in every mailbox, exactly once.
 */
import { SWEEP_QUEUE } from "../../server/sweep-queue/queue";
import { createEnqueuer } from "../../server/sweep-queue/enqueuer";
import { createLogger } from "../../server/logger";
import type { DatasetAddress, DatasetMessage } from "../../emulator/dataset";
import {
  spawnWorker,
  startDistributedHarness,
  TENANT,
  until,
  type DistributedHarness,
  type WorkerProcess,
} from "./harness";

const PG = process.env.TEST_DATABASE_URL;
const MAILBOXES = 4;
const HOUR = 3600_000;
const suite = PG ? describe : describe.skip;

const addressOf = (a: DatasetAddress | undefined): string =>
  (typeof a === "string" ? a : (a?.address ?? "")).toLowerCase();
const participantsOf = (m: DatasetMessage): string[] =>
  [m.from, ...(m.to ?? []), ...(m.cc ?? [])].map(addressOf).filter(Boolean);

suite(
  PG
    ? "distributed mode: a contact tracked after the sweeps is found by a targeted re-read on the workers"
    : "distributed mode: targeted re-read (skipped: TEST_DATABASE_URL is not set)",
  () => {
    jest.setTimeout(180_000);
    let h: DistributedHarness;
    const workers: WorkerProcess[] = [];

    beforeAll(async () => {
      h = await startDistributedHarness(PG!, {
        mailboxes: MAILBOXES,
        messagesPerDay: 40,
        queue: { expireInSeconds: 30, maintenanceIntervalSeconds: 1 },
      });
    });

    afterAll(async () => {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
      await Promise.race([
        Promise.all(workers.map((w) => w.exited)),
        new Promise((r) => setTimeout(r, 10_000).unref()),
      ]);
      await h?.close();
    });

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
    const capturedBy = async () => {
      const rows = await h.services.db
        .selectFrom("captureDecisions")
        .select(["userId", "outcome"])
        .where("organizationId", "=", TENANT)
        .execute();
      const out = new Map<string, number>();
      for (const r of rows) if (r.outcome === "captured") out.set(r.userId, (out.get(r.userId) ?? 0) + 1);
      return out;
    };

    test("the next scheduled sweep of each mailbox searches for the new contact and captures its mail", async () => {
      await h.connectAll();
      const env = { ...h.env, WORKER_CONCURRENCY: "2", ENQUEUER_TICK_SECONDS: "0" };
      for (const name of ["worker-A", "worker-B"]) workers.push(spawnWorker(name, env));
      await Promise.all(workers.map((w) => w.waitFor((l) => l.msg === "sweep worker started")));
      await until("the connect sweeps", jobStates, allJobsDone, 60_000);

      // The outside correspondent (not tracked, not a user) with mail in the most mailboxes.
      const tracked = new Set(h.trackedContacts.map((a) => a.toLowerCase()));
      const users = new Set(h.users.map((u) => u.mail.toLowerCase()));
      const mailboxesOf = new Map<string, Set<string>>();
      for (const m of h.messages)
        for (const a of participantsOf(m))
          if (!tracked.has(a) && !users.has(a)) mailboxesOf.set(a, (mailboxesOf.get(a) ?? new Set()).add(m.userId));
      const [newContact, itsMailboxes] = [...mailboxesOf.entries()].sort((x, y) => y[1].size - x[1].size)[0];
      expect(itsMailboxes.size).toBeGreaterThan(1);
      // What the new contact adds, per mailbox: its messages that no tracked contact captured already.
      const added = new Map<string, number>();
      for (const m of h.messages) {
        const p = participantsOf(m);
        if (p.includes(newContact) && !p.some((a) => tracked.has(a)))
          added.set(m.userId, (added.get(m.userId) ?? 0) + 1);
      }
      expect([...added.values()].reduce((n, x) => n + x, 0)).toBeGreaterThan(0);

      const before = await capturedBy();
      const requestsBefore = new Map(h.users.map((u) => [u.id, h.emulator.state.requestCounts(u.id).total]));
      const [first] = h.users;
      const res = await h.app.request("/api/contacts", {
        method: "POST",
        headers: { ...h.auth(first.id), "content-type": "application/json" },
        body: JSON.stringify({ email: newContact }),
      });
      expect(res.status).toBe(201);

      const enqueuer = createEnqueuer({
        db: h.services.db,
        queue: h.queue,
        clock: h.services.clock,
        logger: createLogger("silent"),
        intervalMinutes: 60,
      });
      expect(await enqueuer.tick(new Date(Date.now() + HOUR))).toMatchObject({ enqueued: MAILBOXES });
      await until("the scheduled sweeps", jobStates, allJobsDone, 90_000);

      const after = await capturedBy();
      for (const u of h.users) {
        const userId = h.userIds.get(u.id)!;
        const [latest] = await h.services.db
          .selectFrom("sweeps")
          .select(["status", "trigger", "listing"])
          .where("organizationId", "=", TENANT)
          .where("userId", "=", userId)
          .orderBy("startedAt", "desc")
          .limit(1)
          .execute();
        const requests = h.emulator.state.requestCounts(u.id).total - requestsBefore.get(u.id)!;
        expect({
          mailbox: u.mail,
          ...latest,
          newlyCaptured: (after.get(userId) ?? 0) - (before.get(userId) ?? 0),
        }).toEqual({
          mailbox: u.mail,
          status: "succeeded",
          trigger: "worker",
          listing: "targeted",
          newlyCaptured: added.get(u.id) ?? 0,
        });
        // One listing of what changed and one search: the whole window is not read again.
        expect({ mailbox: u.mail, requests }).toEqual({ mailbox: u.mail, requests: 2 });
      }
    });
  },
);
