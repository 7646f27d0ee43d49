/**
 * Retention (server/retention) on every available database: pruning deletes exactly what the policy
 * says — old plain exclusions, old removal records, superseded old sweeps, and engagements past their
 * organization's period — and nothing else; in statements of at most batchSize rows; twice is once.
 */
import { randomUUID } from "node:crypto";
import { databaseTargets, type TestDatabase } from "../db/databases";
import type { Db } from "../../server/db";
import { provisionUser } from "../../server/store/users";
import { ensureOrganization, setEngagementRetentionDays } from "../../server/store/organizations";
import { recordCaptureBatch, messageKey, getDecision, type CaptureItem } from "../../server/store/capture-decisions";
import { recordSweepOutcome, recordSweepStarted } from "../../server/store/sweeps";
import { pruneAll, type PruneOptions } from "../../server/retention/pruner";
import { DEFAULT_POLICY } from "../../server/retention/policy";

const NOW = new Date("2026-12-06T12:00:00.000Z");
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3600_000);
const daysAgo = (d: number) => hoursAgo(d * 24);
const A = "org-retention-a";
const B = "org-retention-b";
const policy = DEFAULT_POLICY(24); // exclusions 48 h, removal records 365 d, sweeps 30 d

const excluded = (id: string): CaptureItem => ({
  outcome: "excluded",
  messageKey: messageKey(id),
  reason: "no_tracked_contact",
});
const captured = (id: string, at: Date): CaptureItem => ({
  outcome: "captured",
  engagement: {
    internetMessageId: id,
    conversationId: null,
    subject: `Subject ${id}`,
    bodyText: "body",
    bodyPreview: "body",
    direction: "inbound",
    messageTime: at.toISOString(),
    sentAt: at.toISOString(),
    receivedAt: at.toISOString(),
    fromAddress: "client@client.example",
    participants: [{ address: "client@client.example", name: null, role: "from" }],
  },
  graphMessageId: `g-${id}`,
  webLink: null,
  contactIds: [],
});

for (const target of databaseTargets()) {
  const d = target.available ? describe : describe.skip;
  d(`retention on ${target.name}${target.available ? "" : " (skipped: set TEST_DATABASE_URL to run it)"}`, () => {
    let h: TestDatabase;
    let db: Db;
    const user: Record<string, string> = {};
    const run = (o: Partial<PruneOptions> = {}) =>
      pruneAll(db, { policy, batchSize: 1000, batchPauseMs: 0, now: NOW, sleep: async () => {}, ...o });
    const record = (org: string, items: CaptureItem[], at: Date) =>
      db.transaction().execute((trx) => recordCaptureBatch(trx, org, user[org], null, items, at));
    const sweep = async (org: string, startedAt: Date, status: "running" | "succeeded" | "failed") => {
      const id = randomUUID();
      await recordSweepStarted(db, {
        id,
        organizationId: org,
        userId: user[org],
        trigger: "schedule",
        windowStart: startedAt,
        windowEnd: startedAt,
        startedAt,
        listing: "full",
      });
      if (status !== "running")
        await recordSweepOutcome(db, id, {
          finishedAt: startedAt,
          listed: 0,
          captured: 0,
          newlyCaptured: 0,
          excluded: 0,
          excludedByReason: {},
          graphRequests: 0,
          retries: 0,
          error: status === "failed" ? "x" : null,
        });
      return id;
    };
    const count = async (table: "captureDecisions" | "sweeps" | "engagements", org: string) =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as("n"))
            .where("organizationId", "=", org)
            .executeTakeFirstOrThrow()
        ).n,
      );

    beforeEach(async () => {
      h = await target.open();
      db = h.db;
      for (const org of [A, B]) {
        await ensureOrganization(db, org, daysAgo(400));
        user[org] = (
          await provisionUser(
            db,
            { organizationId: org, oid: `oid-${org}`, email: `u@${org}.example`, displayName: null },
            daysAgo(400),
          )
        ).id;
      }
    });
    afterEach(() => h?.close());

    test("old plain exclusions go; recent ones, captured decisions and another organization's stay", async () => {
      for (const org of [A, B]) {
        await record(org, [excluded(`<old-${org}@x>`), captured(`<cap-${org}@x>`, daysAgo(10))], daysAgo(10));
        await record(org, [excluded(`<edge-${org}@x>`)], hoursAgo(47));
      }
      const counts = await run();
      expect(counts.excludedDecisions).toBe(2); // one per organization: both are past 48 h
      for (const org of [A, B]) {
        expect(await getDecision(db, org, user[org], messageKey(`<old-${org}@x>`))).toBeNull();
        expect(await getDecision(db, org, user[org], messageKey(`<edge-${org}@x>`))).toMatchObject({
          outcome: "excluded",
        });
        expect(await getDecision(db, org, user[org], messageKey(`<cap-${org}@x>`))).toMatchObject({
          outcome: "captured",
        });
        expect(await count("engagements", org)).toBe(1);
      }
      expect((await run()).excludedDecisions).toBe(0); // idempotent
    });

    test("old sweeps go, never a running one nor a mailbox's latest or latest success", async () => {
      const oldOk = await sweep(A, daysAgo(60), "succeeded");
      const oldFailed = await sweep(A, daysAgo(50), "failed");
      const lastOk = await sweep(A, daysAgo(40), "succeeded"); // the latest success: kept though old
      const stuck = await sweep(A, daysAgo(39), "running");
      const latest = await sweep(A, daysAgo(35), "failed"); // the latest: kept though old
      const recent = await sweep(A, daysAgo(1), "failed");
      const onlyB = await sweep(B, daysAgo(90), "succeeded");
      const bNewer = await sweep(B, daysAgo(80), "failed");
      // A captured decision recorded by a sweep that goes stays, without its sweep.
      await db
        .transaction()
        .execute((trx) =>
          recordCaptureBatch(trx, A, user[A], oldOk, [captured("<by-old-sweep@x>", daysAgo(60))], daysAgo(60)),
        );
      const counts = await run();
      expect(await getDecision(db, A, user[A], messageKey("<by-old-sweep@x>"))).toMatchObject({
        outcome: "captured",
        sweepId: null,
      });
      const left = (await db.selectFrom("sweeps").select("id").execute()).map((r) => r.id).sort();
      // `latest` is no longer the latest once `recent` exists; lastOk stays as the latest success.
      expect(left).toEqual([lastOk, stuck, recent, onlyB, bNewer].sort());
      expect(left).not.toEqual(expect.arrayContaining([oldOk, oldFailed, latest]));
      expect(counts.sweeps).toBe(3);
    });

    test("the organization's retention deletes its old engagements as a removal, only there", async () => {
      await setEngagementRetentionDays(db, A, 30);
      for (const org of [A, B]) {
        await record(org, [captured(`<old-${org}@x>`, daysAgo(31))], daysAgo(31));
        await record(org, [captured(`<new-${org}@x>`, daysAgo(29))], daysAgo(29));
      }
      const counts = await run();
      expect(counts.engagements).toBe(1);
      expect(await count("engagements", A)).toBe(1);
      expect(await count("engagements", B)).toBe(2);
      const removed = await getDecision(db, A, user[A], messageKey(`<old-${A}@x>`));
      expect(removed).toMatchObject({
        outcome: "excluded",
        engagementId: null,
        removed: { at: NOW.toISOString(), why: "retention" },
      });
      const rows = await db.selectFrom("engagements").select("subject").where("organizationId", "=", A).execute();
      expect(rows.map((r) => r.subject)).toEqual([`Subject <new-${A}@x>`]);
      // The removal record is not a plain exclusion: it outlives the 48 h horizon (a year, by removed_at).
      expect((await run({ now: new Date(NOW.getTime() + 10 * 24 * 3600_000) })).removalRecords).toBe(0);
      expect((await run({ now: new Date(NOW.getTime() + 366 * 24 * 3600_000) })).removalRecords).toBe(1);
      expect(await getDecision(db, A, user[A], messageKey(`<old-${A}@x>`))).toBeNull();
    });

    test("every statement deletes at most batchSize rows", async () => {
      const items = Array.from({ length: 25 }, (_, i) => excluded(`<m${i}@x>`));
      await record(A, items, daysAgo(5));
      const seen: number[] = [];
      const counts = await run({
        batchSize: 10,
        batchPauseMs: 1,
        sleep: async () => void seen.push(await count("captureDecisions", A)),
      });
      expect(counts.excludedDecisions).toBe(25);
      // Counted in each pause: 10, 10 then 5 of A's exclusions; then one statement per other step (A: removal
      // records, sweeps, rule changes; B: exclusions, removal records, sweeps, rule changes).
      expect(seen.slice(0, 3)).toEqual([15, 5, 0]);
      expect(counts.statements).toBe(3 + 3 + 4);
      expect(await count("captureDecisions", A)).toBe(0);
    });
  });
}
