/**
 * Retention settings (RETENTION_* in server/config.ts), the pure policy's cut-offs, and the embedded
 * timer's one-pass-at-a-time guard.
 */
import { loadConfig } from "../../server/config";
import { cutoffs, DEFAULT_POLICY, engagementCutoff } from "../../server/retention/policy";
import { startRetentionTimer } from "../../server/retention/runner";
import { ManualClock } from "../../server/clock";
import { createLogger } from "../../server/logger";
import { openSqliteTestDatabase } from "../db/databases";

const NOW = new Date("2026-12-06T12:00:00.000Z");

test("defaults: exclusions the sweep window + 24 h, removal records a year, sweeps 30 days, 1,000-row batches", () => {
  const r = loadConfig({ SWEEP_WINDOW_HOURS: "36" });
  if (!r.ok) throw new Error(r.problems.join("; "));
  expect(r.config.retention).toEqual({
    excludedDecisionHours: 60,
    removalRecordDays: 365,
    sweepDays: 30,
    batchSize: 1000,
    batchPauseMs: 50,
    intervalMinutes: 60,
  });
});

test("each setting is validated and named; exclusions must outlive the sweep window", () => {
  const problems = (env: Record<string, string>) => {
    const r = loadConfig(env);
    return r.ok ? [] : r.problems;
  };
  expect(problems({ RETENTION_SWEEP_DAYS: "0" })).toEqual(["RETENTION_SWEEP_DAYS must be at least 1"]);
  expect(problems({ RETENTION_BATCH_SIZE: "1e3" })[0]).toMatch(/^RETENTION_BATCH_SIZE/);
  expect(problems({ RETENTION_EXCLUDED_DECISION_HOURS: "24" })).toEqual([
    "RETENTION_EXCLUDED_DECISION_HOURS must be more than SWEEP_WINDOW_HOURS (24)",
  ]);
  expect(problems({ RETENTION_EXCLUDED_DECISION_HOURS: "25", RETENTION_INTERVAL_MINUTES: "0" })).toEqual([]);
});

test("cut-offs; an organization's engagement period is never shorter than the exclusions' horizon", () => {
  const p = DEFAULT_POLICY(24);
  expect(cutoffs(p, NOW)).toEqual({
    excludedDecidedBefore: "2026-12-04T12:00:00.000Z",
    removalRecordsBefore: "2025-12-06T12:00:00.000Z",
    sweepsStartedBefore: "2026-11-06T12:00:00.000Z",
    ruleChangesBefore: "2026-12-04T12:00:00.000Z",
  });
  expect(engagementCutoff(p, null, NOW)).toBeNull();
  expect(engagementCutoff(p, 30, NOW)).toBe("2026-11-06T12:00:00.000Z");
  expect(engagementCutoff(p, 1, NOW)).toBe("2026-12-04T12:00:00.000Z"); // 48 h, not 24
});

test("the embedded timer runs one pass at a time and stops cleanly", async () => {
  const h = await openSqliteTestDatabase();
  try {
    const timer = startRetentionTimer({
      db: h.db,
      clock: new ManualClock(NOW),
      logger: createLogger("silent"),
      windowHours: 24,
    });
    const [first, second] = await Promise.all([timer.runOnce(), timer.runOnce()]);
    expect(first).toMatchObject({ organizations: 0, statements: 0 });
    expect(second).toBeNull();
    await timer.stop();
    expect(await timer.runOnce()).toBeNull();
  } finally {
    await h.close();
  }
});
