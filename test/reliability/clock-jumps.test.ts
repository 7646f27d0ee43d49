/**
 * Fault suite: the clock jumps. Sweeps missed for three hours (the process was down, or the
 * host slept): the next sweep's window reaches back to the last success and the mail of the gap is
 * captured, once. A sweep overrunning the hour: no second sweep of that mailbox starts while it runs,
 * and its next slot runs after it ends. The scheduler is driven by `tick` at the manual clock's time.
 */
import { expectExact, generateFleet, recordResult } from "./fleet";
import { startReliabilityHarness, TENANT, type ReliabilityHarness } from "./harness";

jest.setTimeout(60_000);
const H = 3600_000;
const MIN = 60_000;
let r: ReliabilityHarness | null = null;
afterEach(async () => {
  await r?.close();
  r = null;
});

const sweepsOf = async (r: ReliabilityHarness, oid: string) =>
  r.h.db
    .selectFrom("sweeps")
    .selectAll()
    .where("userId", "=", r.userIds.get(oid)!)
    .orderBy("startedAt", "asc")
    .execute();

test("sweeps missed for three hours → one sweep per mailbox whose window reaches back to the last success; the gap's mail captured once", async () => {
  // A one-hour window, so only reaching back to the last success can bring the gap's mail in
  // (with the default 24 hours the window alone would cover a three-hour gap).
  r = await startReliabilityHarness({ windowHours: 1 });
  const fleet = generateFleet({
    tenantId: TENANT,
    mailboxes: 5,
    messagesPerDay: 10,
    seed: 51,
    userIdPrefix: "8e0c0000",
  });
  await r.addFleet(fleet);
  const oids = fleet.users.map((u) => u.id);
  await r.connectAll(oids);
  await r.tickAndWait();
  const lastSuccess = new Map<string, string>();
  for (const oid of oids) {
    const [s] = await sweepsOf(r, oid);
    expect(s.status).toBe("succeeded");
    lastSuccess.set(oid, s.windowEnd);
  }

  // Three hours without a tick; mail arrives throughout the gap.
  const gap = generateFleet({ tenantId: TENANT, mailboxes: 5, messagesPerDay: 24, seed: 52, userIdPrefix: "8e0c0000" });
  const perUser = new Map<string, number>();
  for (const m of gap.messages) {
    const { userId, ...input } = m;
    const n = perUser.get(userId) ?? 0;
    perUser.set(userId, n + 1);
    // Spread over the gap: the k-th message of a mailbox arrives k × 9 minutes after the last sweep.
    const at = new Date(r.h.clock.now().getTime() + (n + 1) * 9 * MIN).toISOString();
    r.h.emulator.state.addMessage(userId, { ...input, receivedDateTime: at, sentDateTime: at });
  }
  r.advance(3 * H + 20 * MIN);
  await r.tickAndWait();

  for (const oid of oids) {
    const rows = await sweepsOf(r, oid);
    // One catch-up sweep, not one per missed slot.
    expect(rows).toHaveLength(2);
    const back = rows[1];
    expect(back.status).toBe("succeeded");
    expect(back.windowStart).toBe(new Date(Date.parse(lastSuccess.get(oid)!) - 15 * MIN).toISOString());
    expect(Date.parse(back.windowEnd) - Date.parse(back.windowStart)).toBeGreaterThan(3 * H);
    expect(Number(back.listed)).toBeGreaterThanOrEqual(perUser.get(oid) ?? 0);
  }
  const report = await expectExact(r.h.db, TENANT, r.oidOf, r.expected());
  recordResult("clock-missed-3h", { mailboxes: 5, gapMessages: gap.messages.length, ...report });
});

test("a sweep overrunning the hour → no second sweep of that mailbox while it runs; its next slot runs after it ends", async () => {
  // The stall lasts as long as the test holds it, within the client timeout: the sweep is slow, not failing.
  r = await startReliabilityHarness({ graph: { timeoutMs: 40_000 } });
  const fleet = generateFleet({
    tenantId: TENANT,
    mailboxes: 3,
    messagesPerDay: 10,
    seed: 61,
    userIdPrefix: "9e0c0000",
  });
  await r.addFleet(fleet);
  const oids = fleet.users.map((u) => u.id);
  await r.connectAll(oids);
  const [slow] = oids;
  const st = r.h.emulator.state;
  // Its listing stalls until the test lets it go, so the two ticks (which sweep the other mailboxes) and
  // the API call below happen while it runs however slow the machine is (a 20 s stall in real time once
  // ran out under a loaded CI run before the API call).
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  st.injectFault({
    kind: "stall",
    stallUntil: released,
    count: 1,
    match: { userId: slow, path: "/me/messages", method: "GET" },
  });

  const firstTick = r.sweeps.scheduler.tick(r.h.clock.now());
  await firstTick;
  // Wait until the slow mailbox's sweep is the only one left running.
  const deadline = Date.now() + 10_000;
  while (
    (await r.h.db.selectFrom("sweeps").select("id").where("status", "=", "running").execute()).length !== 1 ||
    !r.sweeps.scheduler.isSweeping(TENANT, r.userIds.get(slow)!)
  ) {
    if (Date.now() > deadline) throw new Error("the slow sweep did not stay running alone");
    await new Promise((res) => setTimeout(res, 50));
  }
  const [running] = await sweepsOf(r, slow);
  expect(running.status).toBe("running");

  // The hour passes (and then some) while it runs: ticks and a user's "sweep now" start nothing new.
  r.advance(H + 5 * MIN);
  await r.sweeps.scheduler.tick(r.h.clock.now());
  r.advance(5 * MIN);
  await r.sweeps.scheduler.tick(r.h.clock.now());
  const now = await r.app.request("/api/sweeps", {
    method: "POST",
    headers: { authorization: `Bearer ${r.apiToken(slow)}` },
  });
  expect(now.status).toBe(202);
  expect(((await now.json()) as { id: string }).id).toBe(running.id);
  expect((await sweepsOf(r, slow)).filter((s) => s.status === "running")).toHaveLength(1);
  expect(await sweepsOf(r, slow)).toHaveLength(1);

  release();
  await r.sweeps.scheduler.idle();
  const ended = await sweepsOf(r, slow);
  expect(ended).toHaveLength(1);
  expect(ended[0].status).toBe("succeeded");
  // It ended after its slot had passed: the same tick time does not start it again…
  await r.tickAndWait();
  expect(await sweepsOf(r, slow)).toHaveLength(1);
  // …its next slot does.
  r.advance(H);
  await r.tickAndWait();
  const after = await sweepsOf(r, slow);
  expect(after).toHaveLength(2);
  expect(after[1].status).toBe("succeeded");
  expect(Date.parse(after[1].startedAt)).toBeGreaterThan(Date.parse(ended[0].finishedAt!));
  await expectExact(r.h.db, TENANT, r.oidOf, r.expected());
  recordResult("clock-overrun", { mailboxes: 3, overrunMinutes: 70, concurrentSweepsOfSlowMailbox: 1 });
});
