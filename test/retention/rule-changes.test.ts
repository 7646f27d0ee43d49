/**
 * Retention of rule_changes (server/retention/rule-changes.ts), on every available database: a change goes
 * once every mailbox it concerns has a success that began after it (none running from before it), or
 * once it is past the horizon (window + 24 h); nothing sooner, and another organization's stay.
 */
import { randomUUID } from "node:crypto";
import { databaseTargets, type TestDatabase } from "../db/databases";
import type { Db } from "../../server/db";
import { provisionUser } from "../../server/store/users";
import { ensureOrganization } from "../../server/store/organizations";
import { recordConnectionSweep, saveConnection } from "../../server/store/mailbox-connections";
import { recordRuleChanges } from "../../server/store/rule-changes";
import { recordSweepStarted } from "../../server/store/sweeps";
import { pruneAll } from "../../server/retention/pruner";
import { DEFAULT_POLICY } from "../../server/retention/policy";
import { planListing, RULES_MARGIN_MS } from "../../server/sweep/listing-plan";
import { computeWindow } from "../../server/sweep/window";

const NOW = new Date("2026-12-06T12:00:00.000Z");
const WINDOW_HOURS = 24;
const policy = DEFAULT_POLICY(WINDOW_HOURS); // rule changes: at most 48 h
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const hoursAgo = (h: number) => ago(h * 3600_000);
const A = "org-rules-a";
const B = "org-rules-b";

for (const target of databaseTargets()) {
  const d = target.available ? describe : describe.skip;
  d(`rule change retention on ${target.name}${target.available ? "" : " (skipped: set TEST_DATABASE_URL)"}`, () => {
    let h: TestDatabase;
    let db: Db;
    const users: Record<string, string> = {};
    const run = () => pruneAll(db, { policy, batchSize: 1000, batchPauseMs: 0, now: NOW, sleep: async () => {} });
    const left = async () =>
      (await db.selectFrom("ruleChanges").select("address").orderBy("address").execute()).map((r) => r.address);
    const change = (org: string, user: string | null, address: string, at: Date) =>
      recordRuleChanges(db, org, user === null ? null : users[user], "block_removed", [address], at);
    const succeeded = (org: string, user: string, windowEnd: Date) =>
      recordConnectionSweep(db, org, users[user], { finishedAt: windowEnd, windowEnd, error: null });

    beforeEach(async () => {
      h = await target.open();
      db = h.db;
      for (const [org, user] of [
        [A, "a1"],
        [A, "a2"],
        [B, "b1"],
      ]) {
        await ensureOrganization(db, org, hoursAgo(1000));
        users[user] = (
          await provisionUser(
            db,
            { organizationId: org, oid: `oid-${user}`, email: `${user}@${org}.example`, displayName: null },
            hoursAgo(1000),
          )
        ).id;
        await saveConnection(db, org, users[user], { homeAccountId: null, tokenCache: null }, hoursAgo(1000));
      }
    });
    afterEach(() => h?.close());

    test("a change goes once every mailbox it concerns has a success that began after it, not sooner", async () => {
      await change(A, null, "org-wide@a.example", hoursAgo(2));
      await change(A, "a2", "a2-only@a.example", hoursAgo(2));
      await change(A, "a1", "in-margin@a.example", ago(3600_000 + RULES_MARGIN_MS / 2));
      await change(B, null, "org-wide@b.example", hoursAgo(2));
      await succeeded(A, "a1", hoursAgo(1));
      await succeeded(A, "a2", hoursAgo(3));
      // b1 never swept successfully: its first sweep may have begun before the change.
      expect((await run()).ruleChanges).toBe(0);
      expect(await left()).toEqual([
        "a2-only@a.example",
        "in-margin@a.example",
        "org-wide@a.example",
        "org-wide@b.example",
      ]);

      await succeeded(A, "a2", hoursAgo(1));
      expect((await run()).ruleChanges).toBe(2);
      // Within the margin of a1's last success the sweep still reads it (listing-plan.ts).
      expect(await left()).toEqual(["in-margin@a.example", "org-wide@b.example"]);
      expect((await run()).ruleChanges).toBe(0); // idempotent
    });

    test("a sweep running from before the change holds it, though the last success is later", async () => {
      await change(A, "a1", "held@a.example", hoursAgo(2));
      await succeeded(A, "a1", hoursAgo(1));
      await recordSweepStarted(db, {
        id: randomUUID(),
        organizationId: A,
        userId: users.a1,
        trigger: "schedule",
        windowStart: hoursAgo(30),
        windowEnd: hoursAgo(3),
        startedAt: hoursAgo(3),
        listing: "full",
      });
      expect((await run()).ruleChanges).toBe(0);
      expect(await left()).toEqual(["held@a.example"]);
    });

    test("past the horizon a change goes whatever the mailboxes did; another organization's young one stays", async () => {
      // a2 and b1 never swept successfully (a disconnected mailbox looks the same): rule 1 never applies.
      await change(A, null, "old@a.example", hoursAgo(48.1));
      await change(A, "a2", "old-a2@a.example", hoursAgo(100));
      await change(A, null, "young@a.example", hoursAgo(47.9));
      await change(B, null, "young@b.example", hoursAgo(47.9));
      const counts = await run();
      expect(counts.ruleChanges).toBe(2);
      expect(await left()).toEqual(["young@a.example", "young@b.example"]);
    });
  });
}

/**
 * Why the horizon is safe, checked against the planner and the window themselves: when a mailbox would
 * still read a change older than the window + margin (its last success began before it), the sweep's
 * changes listing already reaches the start of its window, so the change's searches could add nothing.
 */
test("past the horizon, a sweep that would read the change lists its whole window anyway", () => {
  const overlapMinutes = 15;
  for (const lastBeforeChangeMinutes of [-1, 0, 5, 60, 24 * 60]) {
    for (const sweepAfterPruneMinutes of [0, 1, 90]) {
      const changedAt = new Date(NOW.getTime() - policy.ruleChangeHours * 3600_000 - 1);
      const last = new Date(changedAt.getTime() - lastBeforeChangeMinutes * 60_000);
      const now = new Date(NOW.getTime() + sweepAfterPruneMinutes * 60_000);
      const input = { now, windowHours: WINDOW_HOURS, overlapMinutes, lastSuccessWindowEnd: last };
      const window = computeWindow({ ...input, connectedAt: hoursAgo(1000) });
      const withChange = planListing({
        lastSuccessWindowEnd: last,
        rulesChangedAt: null,
        ruleChanges: [{ address: "x@client.example", at: changedAt }],
        overlapMinutes,
        now,
      });
      const without = planListing({
        lastSuccessWindowEnd: last,
        rulesChangedAt: null,
        ruleChanges: [],
        overlapMinutes,
        now,
      });
      expect(withChange.kind).toBe("targeted");
      expect(without.kind).toBe("changes");
      if (without.kind !== "changes") throw new Error("unreachable");
      expect(without.since.getTime()).toBeLessThanOrEqual(window.start.getTime());
    }
  }
});
