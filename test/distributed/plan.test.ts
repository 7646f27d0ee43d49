/** The enqueuer's pure planning, per-slot job ids and the worker's deadline (no database). */
import { planSlotJobs, type MailboxDue } from "../../server/sweep-queue/enqueuer";
import { parseJobData, slotJobId } from "../../server/sweep-queue/queue";
import { deadlineMs } from "../../server/sweep-queue/worker";
import { slotAtOrBefore, sweepOffsetMs } from "../../server/sweep/scheduler";

const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
const mailboxes = (lastSweepAt: string | null): MailboxDue[] =>
  users.map((userId) => ({ organizationId: "org", userId, lastSweepAt }));
const NOW = new Date("2025-03-10T10:30:00.000Z");

describe("planSlotJobs", () => {
  test("every never-swept mailbox gets one job for its latest slot, keyed by (mailbox, slot)", () => {
    const plan = planSlotJobs(mailboxes(null), NOW, 60, new Set());
    expect(plan).toHaveLength(users.length);
    for (const p of plan) {
      const slot = slotAtOrBefore(NOW, sweepOffsetMs(p.data.userId, 60), 60);
      expect(p.data).toEqual({
        organizationId: "org",
        userId: p.data.userId,
        reason: "schedule",
        slot: slot.toISOString(),
      });
      expect(p.id).toBe(slotJobId(p.data.userId, slot));
      expect(slot.getTime()).toBeLessThanOrEqual(NOW.getTime());
      expect(NOW.getTime() - slot.getTime()).toBeLessThan(3600_000);
    }
    // Spread over the hour, not a herd at :00: the slots cover most of the hour's minutes.
    const minutes = new Set(plan.map((p) => new Date(p.data.slot!).getUTCMinutes()));
    expect(minutes.size).toBeGreaterThan(40);
  });

  test("a mailbox swept since its slot is not due; one swept before it is", () => {
    const plan = planSlotJobs(
      users.map((userId) => {
        const slot = slotAtOrBefore(NOW, sweepOffsetMs(userId, 60), 60).getTime();
        return {
          organizationId: "org",
          userId,
          lastSweepAt: new Date(userId.endsWith("7") ? slot + 1000 : slot - 1000).toISOString(),
        };
      }),
      NOW,
      60,
      new Set(),
    );
    expect(plan.map((p) => p.data.userId).sort()).toEqual(users.filter((u) => !u.endsWith("7")).sort());
  });

  test("mailboxes with a job pending are skipped (a second job would stall the stately queue)", () => {
    const plan = planSlotJobs(mailboxes(null), NOW, 60, new Set(["user-1", "user-2"]));
    expect(plan.map((p) => p.data.userId)).not.toContain("user-1");
    expect(plan).toHaveLength(users.length - 2);
  });

  test("ticks within one interval ask for the same job; the next interval for a new one", () => {
    const a = planSlotJobs(mailboxes(null), NOW, 60, new Set());
    const b = planSlotJobs(mailboxes(null), new Date(NOW.getTime() + 59_000), 60, new Set());
    const ids = (p: typeof a) => new Map(p.map((x) => [x.data.userId, x.id]));
    const [ia, ib] = [ids(a), ids(b)];
    // Only mailboxes whose slot falls in the 59 seconds between the ticks move on to a new slot.
    const moved = users.filter((u) => ia.get(u) !== ib.get(u));
    for (const u of moved) {
      const s = slotAtOrBefore(new Date(NOW.getTime() + 59_000), sweepOffsetMs(u, 60), 60).getTime();
      expect(s).toBeGreaterThan(NOW.getTime());
    }
    expect(moved.length).toBeLessThan(10);
    const next = planSlotJobs(mailboxes(null), new Date(NOW.getTime() + 3600_000), 60, new Set());
    for (const p of next) expect(p.id).not.toBe(ia.get(p.data.userId));
  });
});

describe("slotJobId", () => {
  test("a UUID, stable for (user, slot), different otherwise", () => {
    const t = new Date("2025-03-10T10:17:00.000Z");
    const id = slotJobId("u1", t);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(slotJobId("u1", new Date(t))).toBe(id);
    expect(slotJobId("u2", t)).not.toBe(id);
    expect(slotJobId("u1", new Date(t.getTime() + 3600_000))).not.toBe(id);
  });
});

describe("job data and deadlines", () => {
  test("parseJobData accepts only what the producers send", () => {
    expect(parseJobData({ organizationId: "o", userId: "u", reason: "connect", slot: null })).toEqual({
      organizationId: "o",
      userId: "u",
      reason: "connect",
      slot: null,
    });
    expect(parseJobData({ organizationId: "o", userId: "u", reason: "other" })).toBeNull();
    expect(parseJobData({ userId: "u", reason: "schedule" })).toBeNull();
    expect(parseJobData(null)).toBeNull();
  });

  test("a sweep is aborted before its job expires, with a margin of 10% (1 s to 60 s)", () => {
    expect(deadlineMs(900)).toBe(840_000);
    expect(deadlineMs(60)).toBe(54_000);
    expect(deadlineMs(8)).toBe(7000);
    for (const s of [5, 8, 60, 900, 3600]) expect(deadlineMs(s)).toBeLessThan(s * 1000);
  });
});
