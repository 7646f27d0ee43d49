/**
 * The sweep's promises under real conditions, end to end (emulator + Graph SDK + connect service):
 * shared threads, contacts tracked late, interrupted listings, throttling, outages, revoked grants.
 */
import type { EmulatorState } from "../../emulator";
import { DANA, LEE, startSweepHarness, type SweepHarness } from "./harness";

jest.setTimeout(60_000);

const T0 = "2026-11-20T09:00:00.000Z";
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const H = 3600_000;

let s: SweepHarness;
afterEach(async () => {
  await s?.close();
});

/** n messages from a tracked contact and m from strangers, spread over the given span before `now`. */
function seed(
  st: EmulatorState,
  userId: string,
  to: string,
  n: number,
  m: number,
  now: number,
  spanMs: number,
): string[] {
  const captured: string[] = [];
  for (let i = 0; i < n + m; i++) {
    const tracked = i < n;
    const imid = `<seed-${i}-${userId.slice(0, 4)}@scenario.test>`;
    const t = new Date(now - Math.round(((i + 1) / (n + m + 1)) * spanMs)).toISOString();
    st.addMessage(userId, {
      from: tracked ? "alice@acme.com" : `stranger${i}@example.net`,
      to: [to],
      subject: `S${i}`,
      body: `B${i}`,
      sentDateTime: t,
      receivedDateTime: t,
      internetMessageId: imid,
    });
    if (tracked) captured.push(imid);
  }
  return captured.sort();
}

async function sweep(userId: string) {
  return (await s.sweeps.sweepNow(s.orgId, userId, "manual")).done;
}

test("two teammates on one thread → one engagement, two mailbox links, one body fetch", async () => {
  s = await startSweepHarness();
  s.setTime(T0);
  const dana = await s.connect(DANA);
  const lee = await s.connect(LEE);
  await s.addContact("alice@acme.com", "2026-01-01T00:00:00Z");
  const st = s.h.emulator.state;
  s.advance(H);
  const common = {
    from: "Alice <alice@acme.com>",
    to: ["dana@contoso.com", "lee@contoso.com"],
    subject: "Renewal",
    body: "Shall we renew?",
    sentDateTime: at(30 * 60_000),
    receivedDateTime: at(30 * 60_000 + 2000),
    internetMessageId: "<thread-1@acme.com>",
  };
  const inDana = st.addMessage(DANA.id, common);
  const inLee = st.addMessage(LEE.id, common);

  expect((await sweep(dana)).captured).toBe(1);
  st.resetCounts();
  const leeSweep = await sweep(lee);
  expect(leeSweep.captured).toBe(1);

  const engagements = await s.h.db.selectFrom("engagements").selectAll().execute();
  expect(engagements).toHaveLength(1);
  expect(engagements[0].bodyText).toBe("Shall we renew?");
  const links = await s.h.db
    .selectFrom("engagementMailboxes")
    .select(["userId", "graphMessageId"])
    .orderBy("userId")
    .execute();
  expect(links).toEqual(
    [
      { userId: dana, graphMessageId: inDana.immutableId },
      { userId: lee, graphMessageId: inLee.immutableId },
    ].sort((a, b) => (a.userId < b.userId ? -1 : 1)),
  );
  // Lee's sweep found the engagement already stored: its only $batch was the folder resolution (12 names), no body.
  expect(st.requestCounts(LEE.id).byKind.batchItems).toBe(12);
  expect((await s.decisionOf(lee, "<thread-1@acme.com>"))?.outcome).toBe("captured");
});

test("a contact added 20 hours after a message → captured by the next sweep", async () => {
  s = await startSweepHarness();
  s.setTime(T0);
  const dana = await s.connect(DANA);
  const st = s.h.emulator.state;
  s.advance(H);
  st.addMessage(DANA.id, {
    from: "newcomer@globex.com",
    to: ["dana@contoso.com"],
    subject: "Intro",
    body: "Hello",
    receivedDateTime: at(H),
    sentDateTime: at(H - 1000),
    internetMessageId: "<intro@globex.com>",
  });
  s.advance(H);
  const first = await sweep(dana);
  expect(first.excludedByReason).toEqual({ no_tracked_contact: 1 });
  expect((await s.decisionOf(dana, "<intro@globex.com>"))?.reason).toBe("no_tracked_contact");

  s.setTime(at(21 * H)); // 20 hours after the message
  await s.addContact("newcomer@globex.com", s.h.clock.now());
  s.advance(H);
  const next = await sweep(dana);
  expect(next.status).toBe("succeeded");
  expect(next.captured).toBe(1);
  expect(await s.engagementIds()).toEqual(["<intro@globex.com>"]);
  expect((await s.decisionOf(dana, "<intro@globex.com>"))?.outcome).toBe("captured");
});

test("a sweep interrupted mid-listing (dropped connections beyond the retry bound) and rerun → no duplicates, nothing missing", async () => {
  s = await startSweepHarness({ listPageSize: 10 });
  s.setTime(T0);
  const dana = await s.connect(DANA);
  await s.addContact("alice@acme.com", "2026-01-01T00:00:00Z");
  const st = s.h.emulator.state;
  s.advance(2 * H);
  const expected = seed(
    st,
    DANA.id,
    "dana@contoso.com",
    45,
    15,
    Date.parse(s.h.clock.now().toISOString()),
    90 * 60_000,
  );

  // Pages 1 and 2 arrive, then page 3 is dropped on every attempt (1 + 3 retries).
  st.injectFault({ kind: "drop", match: { path: "/me/messages", method: "GET", userId: DANA.id }, after: 2, count: 4 });
  const broken = await sweep(dana);
  expect(broken.status).toBe("failed");
  expect(broken.error).toBeTruthy();
  expect(broken.listed).toBe(20);
  expect(broken.retries).toBeGreaterThanOrEqual(3);
  const partial = await s.engagementIds();
  expect(partial.length).toBeGreaterThan(0);
  expect(partial.length).toBeLessThan(expected.length);
  const conn = await s.h.db
    .selectFrom("mailboxConnections")
    .selectAll()
    .where("userId", "=", dana)
    .executeTakeFirstOrThrow();
  expect(conn.lastSuccessWindowEnd).toBeNull();
  expect(conn.lastError).toBe(broken.error);

  s.advance(5 * 60_000);
  const rerun = await sweep(dana);
  expect(rerun.status).toBe("succeeded");
  expect(rerun.listed).toBe(60);
  expect(await s.engagementIds()).toEqual(expected);
  expect(await s.h.db.selectFrom("engagementMailboxes").select("engagementId").execute()).toHaveLength(45);
  expect(
    await s.h.db.selectFrom("captureDecisions").select("messageKey").where("userId", "=", dana).execute(),
  ).toHaveLength(60);
  const after = await s.h.db
    .selectFrom("mailboxConnections")
    .selectAll()
    .where("userId", "=", dana)
    .executeTakeFirstOrThrow();
  expect(after.lastError).toBeNull();
  expect(after.lastSuccessWindowEnd).toBe(rerun.windowEnd);
});

test("20% of Graph answers are 429/503 with Retry-After → all expected engagements, retries on the sweep record", async () => {
  // A retry bound that 20% failures cannot plausibly exhaust (0.2^7 per request).
  s = await startSweepHarness({ listPageSize: 10, graph: { maxRetries: 6 } });
  s.setTime(T0);
  const dana = await s.connect(DANA);
  await s.addContact("alice@acme.com", "2026-01-01T00:00:00Z");
  const st = s.h.emulator.state;
  s.advance(2 * H);
  const expected = seed(
    st,
    DANA.id,
    "dana@contoso.com",
    50,
    10,
    Date.parse(s.h.clock.now().toISOString()),
    90 * 60_000,
  );
  // ≈14% 429 (Retry-After 0) then ≈6% 503 (Retry-After 0.5 s) of the rest: 20% of requests and $batch items.
  st.injectFault({ status: 429, rate: 0.14, retryAfterSeconds: 0, match: { userId: DANA.id } });
  st.injectFault({ status: 503, rate: 0.07, retryAfterSeconds: 0.5, match: { userId: DANA.id } });

  const result = await sweep(dana);
  st.clearFaults();
  expect(result.error).toBeNull();
  expect(result.status).toBe("succeeded");
  expect(await s.engagementIds()).toEqual(expected);
  expect(result.retries).toBeGreaterThan(0);
  // Retries count retried requests and retried $batch items (several items can be retried in one call),
  // so they are not bounded by the request count; but every failed attempt was an extra request on top
  // of the fault-free minimum: 5 list pages of 10 plus at least one $batch for the bodies.
  const faultFreeMinimum = Math.ceil(50 / 10) + 1;
  expect(result.graphRequests).toBeGreaterThan(faultFreeMinimum);
});

test("a three-hour outage → the next sweep's window reaches back to the last success", async () => {
  s = await startSweepHarness({ windowHours: 1 });
  s.setTime(T0);
  const dana = await s.connect(DANA);
  await s.addContact("alice@acme.com", "2026-01-01T00:00:00Z");
  const st = s.h.emulator.state;
  s.advance(H);
  const ok = await sweep(dana);
  expect(ok.status).toBe("succeeded");
  const lastSuccess = ok.windowEnd;

  // During the outage a message arrives, 3.5 hours before the sweep that finally succeeds.
  st.addMessage(DANA.id, {
    from: "alice@acme.com",
    to: ["dana@contoso.com"],
    subject: "During the outage",
    body: "x",
    receivedDateTime: at(H + 30 * 60_000),
    sentDateTime: at(H + 30 * 60_000),
    internetMessageId: "<outage@acme.com>",
  });
  const outage = st.injectFault({ status: 503, retryAfterSeconds: 0, match: { userId: DANA.id } });
  for (let i = 0; i < 3; i++) {
    s.advance(H);
    const failed = await sweep(dana);
    expect(failed.status).toBe("failed");
    expect(failed.windowStart).toBe(new Date(Date.parse(lastSuccess) - 15 * 60_000).toISOString());
  }
  st.removeFault(outage);
  s.advance(H);
  const back = await sweep(dana);
  expect(back.status).toBe("succeeded");
  // With a 1-hour window, only the last success (minus the 15-minute overlap) brings the outage's mail in.
  expect(back.windowStart).toBe(new Date(Date.parse(lastSuccess) - 15 * 60_000).toISOString());
  expect(Date.parse(back.windowEnd) - Date.parse(back.windowStart)).toBeGreaterThan(4 * H);
  expect(await s.engagementIds()).toEqual(["<outage@acme.com>"]);
});

test("a revoked grant → the sweep fails with reauth_required and the API answers 409", async () => {
  s = await startSweepHarness();
  s.setTime(T0);
  const dana = await s.connect(DANA);
  s.h.emulator.state.revokeGrant(DANA.id, 700082);
  s.advance(2 * H); // the access token from connect has expired: MSAL must use the (revoked) refresh token
  const failed = await sweep(dana);
  expect(failed.status).toBe("failed");
  expect(failed.error).toMatch(/^ReauthRequiredError/);
  expect(failed.graphRequests).toBe(0);
  const conn = await s.h.db
    .selectFrom("mailboxConnections")
    .selectAll()
    .where("userId", "=", dana)
    .executeTakeFirstOrThrow();
  expect(conn.status).toBe("reauth_required");
  const res = await s.app.request("/api/sweeps", {
    method: "POST",
    headers: { authorization: `Bearer ${s.apiToken(DANA.id)}` },
  });
  expect(res.status).toBe(409);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("reauth_required");
});

test("U+0000 in a subject, a display name and a body (anyone can send it) → captured without it; the sweep succeeds", async () => {
  s = await startSweepHarness();
  s.setTime(T0);
  const dana = await s.connect(DANA);
  await s.addContact("alice@acme.com", "2026-01-01T00:00:00Z");
  const st = s.h.emulator.state;
  s.advance(H);
  st.addMessage(DANA.id, {
    from: { name: "Ali\u0000ce", address: "alice@acme.com" },
    to: ["dana@contoso.com"],
    subject: "Bad\u0000subject",
    body: "line\u0000one",
    receivedDateTime: at(H - 60_000),
    internetMessageId: "<nul@acme.com>",
  });
  st.addMessage(DANA.id, {
    from: "alice@acme.com",
    to: ["dana@contoso.com"],
    subject: "Fine",
    body: "ok",
    receivedDateTime: at(H - 30_000),
    internetMessageId: "<fine@acme.com>",
  });
  s.advance(60_000);
  const run = await sweep(dana);
  expect(run.status).toBe("succeeded");
  expect(run.captured).toBe(2);
  const row = await s.h.db
    .selectFrom("engagements")
    .select(["subject", "bodyText", "participants"])
    .where("internetMessageId", "=", "<nul@acme.com>")
    .executeTakeFirstOrThrow();
  expect(row.subject).toBe("Badsubject");
  expect(row.bodyText).toBe("lineone");
  expect(JSON.stringify(row.participants)).not.toContain("\\u0000");
});
