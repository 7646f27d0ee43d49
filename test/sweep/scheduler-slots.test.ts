import { isDue, slotAfter, slotAtOrBefore, sweepOffsetMs } from "../../server/sweep/scheduler";

describe("per-mailbox offsets", () => {
  it("are stable for a user and inside the interval", () => {
    expect(sweepOffsetMs("user-1", 60)).toBe(sweepOffsetMs("user-1", 60));
    for (let i = 0; i < 200; i++) {
      const o = sweepOffsetMs(`user-${i}`, 60);
      expect(o).toBeGreaterThanOrEqual(0);
      expect(o).toBeLessThan(3600_000);
    }
  });

  it("spread mailboxes over the hour (no thundering herd)", () => {
    const minutes = new Set<number>();
    for (let i = 0; i < 300; i++)
      minutes.add(Math.floor(sweepOffsetMs(`00000000-0000-0000-0000-${String(i).padStart(12, "0")}`, 60) / 60_000));
    // 300 mailboxes over 60 minutes: nearly every minute is used.
    expect(minutes.size).toBeGreaterThan(50);
  });

  it("slots fall at the offset each interval", () => {
    const offset = 17 * 60_000;
    const now = new Date("2026-11-26T12:05:00Z");
    expect(slotAtOrBefore(now, offset, 60).toISOString()).toBe("2026-11-26T11:17:00.000Z");
    expect(slotAfter(now, offset, 60).toISOString()).toBe("2026-11-26T12:17:00.000Z");
    expect(slotAtOrBefore(new Date("2026-11-26T12:17:00Z"), offset, 60).toISOString()).toBe("2026-11-26T12:17:00.000Z");
  });

  it("a mailbox is due when nothing ran since its latest slot", () => {
    const offset = 17 * 60_000;
    const now = new Date("2026-11-26T12:20:00Z");
    expect(isDue(null, now, offset, 60)).toBe(true);
    expect(isDue("2026-11-26T12:10:00Z", now, offset, 60)).toBe(true);
    expect(isDue("2026-11-26T12:18:00Z", now, offset, 60)).toBe(false);
  });
});
