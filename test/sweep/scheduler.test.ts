/** The embedded scheduler against a real (SQLite) database with a stand-in sweep, driven by tick(now). */
import type { SweepView } from "../../shared/api/contract";
import { ManualClock } from "../../server/clock";
import { saveConnection } from "../../server/store/mailbox-connections";
import { provisionUser } from "../../server/store/users";
import { SweepInProgressError, type SweepRunOptions, type SweepTarget } from "../../server/sweep/engine";
import { SweepScheduler, sweepOffsetMs, type Timers } from "../../server/sweep/scheduler";
import { openSqliteTestDatabase, type TestDatabase } from "../db/databases";

const ORG = "11111111-2222-4333-8444-555555555555";
const silent = { info: () => {}, warn: () => {}, error: () => {} };

interface Call {
  target: SweepTarget;
  opts: SweepRunOptions;
  finish(): void;
}

let t: TestDatabase;
let userIds: string[];
beforeEach(async () => {
  t = await openSqliteTestDatabase();
  userIds = [];
  for (let i = 0; i < 3; i++) {
    const u = await provisionUser(
      t.db,
      { organizationId: ORG, oid: `oid-${i}`, email: `u${i}@contoso.com`, displayName: null },
      "2026-11-20T00:00:00Z",
    );
    await saveConnection(t.db, ORG, u.id, { homeAccountId: "h", tokenCache: "c" }, "2026-11-20T00:00:00Z");
    userIds.push(u.id);
  }
});
afterEach(async () => {
  await t.close();
});

function stand(clock: ManualClock, concurrency: number, timers?: Timers) {
  const calls: Call[] = [];
  const scheduler = new SweepScheduler({
    db: t.db,
    clock,
    logger: silent,
    intervalMinutes: 60,
    concurrency,
    timers,
    run: (target, opts) =>
      new Promise<SweepView>((resolve) => {
        const view = { id: `s${calls.length}`, status: "running" } as SweepView;
        opts.onStarted?.(view);
        const finish = async () => {
          // What the engine does at the end of every sweep.
          await t.db
            .updateTable("mailboxConnections")
            .set({ lastSweepAt: clock.now().toISOString() })
            .where("userId", "=", target.userId)
            .execute();
          resolve({ ...view, status: "succeeded" });
        };
        opts.signal?.addEventListener("abort", () => void finish());
        calls.push({ target, opts, finish: () => void finish() });
      }),
  });
  return { scheduler, calls };
}

const flush = () => new Promise((r) => setTimeout(r, 20));

test("due mailboxes run at most `concurrency` at a time, never twice at once, the rest as slots free", async () => {
  const clock = new ManualClock("2026-11-20T10:00:00Z");
  const { scheduler, calls } = stand(clock, 2);
  await scheduler.tick();
  expect(calls).toHaveLength(2);
  await scheduler.tick(); // nothing new: two are running, the third waits in the queue
  expect(calls).toHaveLength(2);
  expect(() => scheduler.sweepNow({ ...calls[0].target, trigger: "manual" })).toThrow(SweepInProgressError);
  calls[0].finish();
  await flush();
  expect(calls).toHaveLength(3);
  expect(new Set(calls.map((c) => c.target.userId)).size).toBe(3);
  calls[1].finish();
  calls[2].finish();
  await scheduler.idle();
  // All swept after their latest slot: nothing is due until each one's next slot.
  await scheduler.tick();
  expect(calls).toHaveLength(3);
});

test("each mailbox comes due again at its own offset within the next interval", async () => {
  const clock = new ManualClock("2026-11-20T10:00:00Z");
  const { scheduler, calls } = stand(clock, 5);
  await scheduler.tick();
  calls.forEach((c) => c.finish());
  await scheduler.idle();
  const order = [...userIds].sort((a, b) => sweepOffsetMs(a, 60) - sweepOffsetMs(b, 60));
  const slotOf = (id: string) =>
    new Date(
      Date.parse("2026-11-20T10:00:00Z") - (Date.parse("2026-11-20T10:00:00Z") % 3600_000) + sweepOffsetMs(id, 60),
    );
  const nextSlot = (id: string) => {
    const slot = slotOf(id);
    return slot.getTime() <= Date.parse("2026-11-20T10:00:00Z") ? slot.getTime() + 3600_000 : slot.getTime();
  };
  let seen = 3;
  for (const id of order) {
    // At its slot exactly (random ids can put two slots within a second of each other); a mailbox
    // whose offset is the same to the millisecond comes due with it.
    clock.set(new Date(nextSlot(id)));
    await scheduler.tick();
    const dueNow = order.filter((other) => nextSlot(other) === nextSlot(id));
    if (dueNow[0] !== id) continue; // swept together with the first of its slot
    expect(
      calls
        .slice(seen)
        .map((c) => c.target.userId)
        .sort(),
    ).toEqual([...dueNow].sort());
    for (const c of calls.slice(seen)) c.finish();
    await scheduler.idle();
    seen = calls.length;
  }
});

test("the timer drives tick; stop clears it, aborts sweeps in flight and waits for them", async () => {
  const clock = new ManualClock("2026-11-20T10:00:00Z");
  let fire: (() => void) | null = null;
  const timers: Timers = { setInterval: (f) => ((fire = f), 1), clearInterval: () => (fire = null) };
  const { scheduler, calls } = stand(clock, 1, timers);
  scheduler.start();
  await flush();
  expect(calls).toHaveLength(1);
  fire!();
  await flush();
  expect(calls).toHaveLength(1); // concurrency 1
  await scheduler.stop({ abort: true });
  expect(fire).toBeNull();
  expect(calls[0].opts.signal?.aborted).toBe(true);
  await scheduler.tick();
  expect(calls).toHaveLength(1); // stopped: no new sweeps
});
