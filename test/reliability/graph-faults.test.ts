/**
 * Fault suite (in process, against the emulator): Graph failing at random across a
 * 100-mailbox sweep, a revoked grant among several users, the clock jumping (sweeps missed for three
 * hours; a sweep overrunning the hour) and malformed Graph answers in several mailboxes. Every scenario
 * ends with the database holding exactly what the capture rules predict for the seeded mail.
 */
import type { FaultRule } from "../../emulator";
import { expectExact, generateFleet, merge, recordResult, restrict } from "./fleet";
import { startReliabilityHarness, TENANT, type ReliabilityHarness } from "./harness";

const H = 3600_000;
jest.setTimeout(60_000);
let r: ReliabilityHarness | null = null;
afterEach(async () => {
  await r?.close();
  r = null;
});

/** Count the faults the emulator actually fires, by kind. */
function countFaults(r: ReliabilityHarness): Record<string, number> {
  const st = r.h.emulator.state;
  const fired: Record<string, number> = {};
  const take = st.takeFault.bind(st);
  st.takeFault = (req) => {
    const f = take(req);
    if (f) {
      const k =
        f.kind === "drop" ? "connection reset" : f.kind === "stall" ? `stall ${f.stallMs} ms` : `HTTP ${f.status}`;
      fired[k] = (fired[k] ?? 0) + 1;
    }
    return f;
  };
  return fired;
}

test("10% of Graph calls fail at random across a 100-mailbox sweep → every mailbox succeeds, exactly the expected engagements", async () => {
  const timeoutMs = 2000;
  // A short client timeout, so a stall (the emulator holds the request 3× as long) costs seconds, not minutes.
  r = await startReliabilityHarness({ graph: { timeoutMs, backoffSeconds: 0.2 } });
  const fleet = generateFleet({ tenantId: TENANT, mailboxes: 100, messagesPerDay: 12, seed: 21 });
  await r.addFleet(fleet);
  const oids = fleet.users.map((u) => u.id);
  await r.connectAll(oids);

  const st = r.h.emulator.state;
  const fired = countFaults(r);
  let seen = 0;
  const take = st.takeFault.bind(st);
  st.takeFault = (req) => {
    if (req.area === "graph") seen++;
    return take(req);
  };
  // Five kinds at 2.6% each of the calls still unhit when the rule is checked. $batch items (counted as
  // calls) can only get the status faults, so overall ≈ 10% of Graph calls fail.
  const rate = 0.026;
  const rules: FaultRule[] = [
    { status: 429, retryAfterSeconds: 1, rate },
    { status: 503, retryAfterSeconds: 1, rate },
    { status: 504, retryAfterSeconds: null, rate },
    { kind: "drop", rate },
    { kind: "stall", stallMs: 3 * timeoutMs, rate },
  ];
  for (const rule of rules) st.injectFault(rule);

  const t0 = performance.now();
  await r.tickAndWait();
  const first = await r.latestSweeps();
  const failedFirst = [...first.values()].filter((s) => s.status !== "succeeded");
  // Those that exhausted their retries are swept again at their next slot.
  let ticks = 1;
  for (; ticks < 4 && [...(await r.latestSweeps()).values()].some((s) => s.status !== "succeeded"); ticks++) {
    r.advance(H);
    await r.tickAndWait();
  }
  st.clearFaults();
  const seconds = (performance.now() - t0) / 1000;

  const latest = await r.latestSweeps();
  expect(latest.size).toBe(100);
  expect([...latest.values()].filter((s) => s.status !== "succeeded")).toEqual([]);
  const totalFaults = Object.values(fired).reduce((a, b) => a + b, 0);
  // Every kind of fault really happened, at about the rate asked for.
  for (const k of ["HTTP 429", "HTTP 503", "HTTP 504", "connection reset", `stall ${3 * timeoutMs} ms`])
    expect(fired[k]).toBeGreaterThan(0);
  expect(totalFaults / seen).toBeGreaterThan(0.05);
  expect(totalFaults / seen).toBeLessThan(0.15);
  const retries = [...latest.values()].reduce((n, s) => n + s.retries, 0);
  expect(retries).toBeGreaterThan(0);

  const report = await expectExact(r.h.db, TENANT, r.oidOf, r.expected());
  expect(report.expectedEngagements).toBeGreaterThan(100);
  recordResult("graph-faults-100", {
    mailboxes: 100,
    graphCalls: seen,
    faultsInjected: totalFaults,
    faultsByKind: fired,
    failedAfterFirstTick: failedFirst.length,
    ticks,
    retriesOnSweepRecords: retries,
    seconds: Math.round(seconds),
    ...report,
  });
  // Let the emulator's last stalled handlers (abandoned by the client) run out before it closes.
  await new Promise((res) => setTimeout(res, 3 * timeoutMs));
}, 300_000);

test("a grant revoked at the emulator → that connection is reauth_required, every other mailbox keeps sweeping", async () => {
  r = await startReliabilityHarness();
  const fleet = generateFleet({
    tenantId: TENANT,
    mailboxes: 6,
    messagesPerDay: 10,
    seed: 31,
    userIdPrefix: "6e0c0000",
  });
  await r.addFleet(fleet);
  const oids = fleet.users.map((u) => u.id);
  await r.connectAll(oids);
  await r.tickAndWait();
  expect([...(await r.latestSweeps()).values()].every((s) => s.status === "succeeded")).toBe(true);

  const beforeRevocation = r.expected();
  const revoked = oids[2];
  r.h.emulator.state.revokeGrant(revoked, 50173);
  r.advance(2 * H); // the access tokens from connect have expired: every sweep must redeem its refresh token
  const later = generateFleet({
    tenantId: TENANT,
    mailboxes: 6,
    messagesPerDay: 5,
    seed: 32,
    userIdPrefix: "6e0c0000",
  });
  // New mail for everyone, including the revoked user (it must not be captured until they reconnect).
  for (const m of later.messages) {
    const { userId, ...input } = m;
    r.h.emulator.state.addMessage(userId, { ...input, receivedDateTime: "-60s", sentDateTime: "-60s" });
  }
  await r.tickAndWait();

  const latest = await r.latestSweeps();
  const conns = await r.h.db.selectFrom("mailboxConnections").select(["userId", "status", "statusReason"]).execute();
  const statusOf = new Map(conns.map((c) => [r!.oidOf.get(c.userId)!, c.status]));
  expect(statusOf.get(revoked)).toBe("reauth_required");
  expect(latest.get(revoked)?.status).toBe("failed");
  expect(latest.get(revoked)?.error).toMatch(/^ReauthRequiredError/);
  for (const oid of oids.filter((o) => o !== revoked)) {
    expect(statusOf.get(oid)).toBe("active");
    expect(latest.get(oid)?.status).toBe("succeeded");
  }
  // The others' new mail is in; the revoked mailbox holds what its first sweep decided, and nothing newer.
  const others = oids.filter((o) => o !== revoked);
  const want = merge(restrict(r.expected(), others), restrict(beforeRevocation, [revoked]));
  await expectExact(r.h.db, TENANT, r.oidOf, want);

  // The next hour: the revoked mailbox is no longer swept at all; the others sweep on.
  r.advance(H);
  const before = (
    await r.h.db.selectFrom("sweeps").select("id").where("userId", "=", r.userIds.get(revoked)!).execute()
  ).length;
  await r.tickAndWait();
  expect(
    (await r.h.db.selectFrom("sweeps").select("id").where("userId", "=", r.userIds.get(revoked)!).execute()).length,
  ).toBe(before);
  const third = await r.latestSweeps();
  for (const oid of others) expect(third.get(oid)?.status).toBe("succeeded");
  recordResult("revoked-grant", { mailboxes: oids.length, revoked: 1, othersSucceeded: others.length });
});

test("malformed Graph answers in three mailboxes → those sweeps fail with the error recorded, the rest succeed; fixed, the next tick is exact", async () => {
  r = await startReliabilityHarness();
  const fleet = generateFleet({
    tenantId: TENANT,
    mailboxes: 8,
    messagesPerDay: 10,
    seed: 41,
    userIdPrefix: "7e0c0000",
  });
  await r.addFleet(fleet);
  const oids = fleet.users.map((u) => u.id);
  await r.connectAll(oids);
  const st = r.h.emulator.state;
  const tracked = new Set(fleet.trackedContacts);
  const capturedOne = (oid: string) =>
    st
      .getMessages(oid)
      .find((m) => [m.from, ...m.toRecipients].some((a) => tracked.has(a?.emailAddress.address ?? "")))!;
  const [a, b, c] = oids;
  type Loose = Record<string, unknown>;
  const wrongType = st.getMessages(a)[0] as unknown as Loose;
  const wrongList = st.getMessages(b)[1] as unknown as Loose;
  const badBody = capturedOne(c) as unknown as Loose;
  const saved = { isDraft: wrongType.isDraft, toRecipients: wrongList.toRecipients, subject: badBody.subject };
  wrongType.isDraft = "perhaps"; // wrong type in the listing
  wrongList.toRecipients = "nobody"; // a list that is not a list
  badBody.subject = 42; // wrong type in a captured message's $batch body answer

  await r.tickAndWait();
  const first = await r.latestSweeps();
  expect(first.get(a)).toMatchObject({
    status: "failed",
    error: expect.stringMatching(/MalformedGraphResponseError.*isDraft/),
  });
  expect(first.get(b)).toMatchObject({
    status: "failed",
    error: expect.stringMatching(/MalformedGraphResponseError.*toRecipients/),
  });
  expect(first.get(c)).toMatchObject({
    status: "failed",
    error: expect.stringMatching(/MalformedGraphResponseError.*subject/),
  });
  for (const oid of oids.slice(3)) expect(first.get(oid)?.status).toBe("succeeded");
  const conn = await r.h.db
    .selectFrom("mailboxConnections")
    .select(["status", "lastError"])
    .where("userId", "=", r.userIds.get(a)!)
    .executeTakeFirstOrThrow();
  expect(conn).toEqual({ status: "active", lastError: first.get(a)!.error });

  Object.assign(wrongType, { isDraft: saved.isDraft });
  Object.assign(wrongList, { toRecipients: saved.toRecipients });
  Object.assign(badBody, { subject: saved.subject });
  r.advance(H);
  await r.tickAndWait();
  for (const s of (await r.latestSweeps()).values()) expect(s.status).toBe("succeeded");
  await expectExact(r.h.db, TENANT, r.oidOf, r.expected());
  recordResult("malformed-graph", { mailboxes: oids.length, malformedMailboxes: 3 });
});
