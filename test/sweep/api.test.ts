/** The sweep routes through the real app, plus the guards and failure modes around a sweep. */
import { DANA, startSweepHarness, type SweepHarness } from "./harness";

jest.setTimeout(60_000);

const T0 = "2026-11-20T09:00:00.000Z";
let s: SweepHarness;
let dana: string;

beforeAll(async () => {
  s = await startSweepHarness();
  s.setTime(T0);
});
afterAll(async () => {
  await s?.close();
});

const call = (path: string, init: { method?: string; body?: unknown } = {}) =>
  s.app.request(path, {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${s.apiToken(DANA.id)}`,
      ...(init.body ? { "content-type": "application/json" } : {}),
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });

test("before connecting: POST /api/sweeps answers 409 not_connected", async () => {
  s.h.emulator.state.addUser(DANA);
  const res = await call("/api/sweeps", { method: "POST" });
  expect(res.status).toBe(409);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_connected");
});

test("POST /api/sweeps answers 202 with the running sweep; GET /api/sweeps lists it finished", async () => {
  dana = await s.connect(DANA);
  await s.addContact("alice@acme.com", "2026-01-01T00:00:00Z");
  s.h.emulator.state.addMessage(DANA.id, {
    from: "alice@acme.com",
    to: ["dana@contoso.com"],
    subject: "Secret subject",
    body: "x",
    receivedDateTime: "-30m",
    internetMessageId: "<api-1@acme.com>",
  });
  s.advance(60_000);
  const res = await call("/api/sweeps", { method: "POST" });
  expect(res.status).toBe(202);
  const started = (await res.json()) as { id: string; status: string; trigger: string };
  expect(started).toMatchObject({ status: "running", trigger: "manual" });
  await s.sweeps.scheduler.idle();
  const list = (await (await call("/api/sweeps?limit=5")).json()) as {
    items: { id: string; status: string; captured: number; graphRequests: number }[];
    nextCursor: null;
  };
  expect(list.items[0]).toMatchObject({ id: started.id, status: "succeeded", captured: 1 });
  expect(list.items[0].graphRequests).toBeGreaterThan(0);
  expect(list.nextCursor).toBeNull();
});

test("POST /api/sweeps?wait=true answers 200 with the finished sweep", async () => {
  s.advance(60_000);
  const res = await call("/api/sweeps?wait=true", { method: "POST" });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { status: string }).status).toBe("succeeded");
});

test("the sweep's log line has counts and ids, never addresses, subjects or tokens", () => {
  const lines = s.h.logLines.filter((l) => l.includes('"sweep finished"'));
  expect(lines.length).toBeGreaterThan(0);
  const entry = JSON.parse(lines[0]) as Record<string, unknown>;
  expect(entry).toMatchObject({ userId: dana, listed: 1, captured: 1, excluded: 0 });
  for (const k of ["windowStart", "windowEnd", "graphRequests", "retries", "durationMs", "excludedByReason"])
    expect(entry).toHaveProperty(k);
  const all = lines.join("\n");
  expect(all).not.toMatch(/@|Secret subject|eyJ|Bearer/);
});

test("POST /api/messages/capture decides and stores one message now, answering like the status endpoint", async () => {
  const st = s.h.emulator.state;
  const rec = st.addMessage(DANA.id, {
    from: { name: "Alice Ng", address: "alice@acme.com" },
    to: ["dana@contoso.com"],
    subject: "Just now",
    body: "Fresh",
    receivedDateTime: "now",
    internetMessageId: "<api-2@acme.com>",
  });
  const res = await call("/api/messages/capture", {
    method: "POST",
    body: { restItemId: rec.id, internetMessageId: "<api-2@acme.com>" },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as {
    status: string;
    decision: { source: string };
    engagement: { internetMessageId: string; mailboxes: { userId: string }[] };
    people: { address: string; name: string | null }[];
  };
  expect(body.status).toBe("captured");
  // The people keep the display names Graph gives (the pane shows them after Capture now).
  expect(body.people.find((p) => p.address === "alice@acme.com")?.name).toBe("Alice Ng");
  expect(body.decision.source).toBe("stored");
  expect(body.engagement.internetMessageId).toBe("<api-2@acme.com>");
  expect(body.engagement.mailboxes.map((m) => m.userId)).toEqual([dana]);
  const stored = await s.h.db
    .selectFrom("engagementMailboxes")
    .innerJoin("engagements as e", "e.id", "engagementMailboxes.engagementId")
    .select(["graphMessageId", "e.bodyText"])
    .where("e.internetMessageId", "=", "<api-2@acme.com>")
    .executeTakeFirstOrThrow();
  expect(stored).toEqual({ graphMessageId: rec.immutableId, bodyText: "Fresh" });

  const junk = st.addMessage(DANA.id, {
    folder: "junkemail",
    from: "alice@acme.com",
    to: ["dana@contoso.com"],
    receivedDateTime: "now",
    internetMessageId: "<api-3@acme.com>",
  });
  const excluded = (await (
    await call("/api/messages/capture", { method: "POST", body: { restItemId: junk.id } })
  ).json()) as { status: string; decision: { reason: string } };
  expect(excluded).toMatchObject({ status: "not_captured", decision: { reason: "excluded_folder" } });

  const missing = await call("/api/messages/capture", { method: "POST", body: { restItemId: "AAMkAGI2TG93AAA=" } });
  expect(missing.status).toBe(404);
  expect((await call("/api/messages/capture", { method: "POST", body: {} })).status).toBe(400);
});

test("GET /api/me shows the next sweep at this mailbox's own minute of the hour", async () => {
  const me = (await (await call("/api/me")).json()) as { connection: { nextSweepAt: string } };
  const next = Date.parse(me.connection.nextSweepAt);
  expect(next).toBeGreaterThan(s.h.clock.now().getTime());
  expect(next - s.h.clock.now().getTime()).toBeLessThanOrEqual(3600_000);
  const { sweepOffsetMs } = await import("../../server/sweep/scheduler");
  expect(next % 3600_000).toBe(sweepOffsetMs(dana, 60));
});

test("a sweep running in another process blocks a second one; a stale one is closed as interrupted", async () => {
  const now = s.h.clock.now();
  const base = {
    organizationId: s.orgId,
    userId: dana,
    trigger: "worker" as const,
    status: "running" as const,
    windowStart: T0,
    windowEnd: T0,
    finishedAt: null,
    listed: 0,
    captured: 0,
    excluded: 0,
    excludedByReason: "{}",
    graphRequests: 0,
    retries: 0,
    error: null,
  };
  await s.h.db
    .insertInto("sweeps")
    .values({ ...base, id: "other-process", startedAt: new Date(now.getTime() - 5 * 60_000).toISOString() })
    .execute();
  const busy = await s.sweeps.sweepNow(s.orgId, dana, "manual");
  expect(busy.alreadyRunning).toBe(true);
  expect(busy.sweep.id).toBe("other-process");

  await s.h.db
    .updateTable("sweeps")
    .set({ startedAt: new Date(now.getTime() - 2 * 3600_000).toISOString() })
    .where("id", "=", "other-process")
    .execute();
  const fresh = await s.sweeps.sweepNow(s.orgId, dana, "manual");
  expect(fresh.alreadyRunning).toBe(false);
  expect((await fresh.done).status).toBe("succeeded");
  const stale = await s.h.db
    .selectFrom("sweeps")
    .selectAll()
    .where("id", "=", "other-process")
    .executeTakeFirstOrThrow();
  expect(stale.status).toBe("failed");
  expect(stale.error).toMatch(/Interrupted/);
});

test("POST /api/sweeps?wait=true waits for a sweep another process runs, and answers it finished", async () => {
  const now = s.h.clock.now();
  const row = {
    organizationId: s.orgId,
    userId: dana,
    trigger: "cli" as const,
    status: "running" as const,
    windowStart: T0,
    windowEnd: T0,
    finishedAt: null,
    listed: 0,
    captured: 0,
    excluded: 0,
    excludedByReason: "{}",
    graphRequests: 0,
    retries: 0,
    error: null,
  };
  await s.h.db
    .insertInto("sweeps")
    .values({ ...row, id: "cli-process", startedAt: new Date(now.getTime() - 60_000).toISOString() })
    .execute();
  const waiting = call("/api/sweeps?wait=true", { method: "POST" });
  await new Promise((r) => setTimeout(r, 400));
  await s.h.db
    .updateTable("sweeps")
    .set({ status: "succeeded", finishedAt: now.toISOString() })
    .where("id", "=", "cli-process")
    .execute();
  const res = await waiting;
  expect(res.status).toBe(200);
  expect((await res.json()) as { id: string; status: string }).toMatchObject({
    id: "cli-process",
    status: "succeeded",
  });
});

test("a malformed Graph answer fails the sweep with an error; the next good answer succeeds", async () => {
  const rec = s.h.emulator.state.addMessage(DANA.id, {
    from: "alice@acme.com",
    to: ["dana@contoso.com"],
    receivedDateTime: "now",
    internetMessageId: "<bad@acme.com>",
  });
  (rec as unknown as { isDraft: unknown }).isDraft = "perhaps";
  s.advance(60_000);
  const bad = await (await s.sweeps.sweepNow(s.orgId, dana, "manual")).done;
  expect(bad.status).toBe("failed");
  expect(bad.error).toMatch(/MalformedGraphResponseError.*isDraft/);
  const conn = await s.h.db
    .selectFrom("mailboxConnections")
    .selectAll()
    .where("userId", "=", dana)
    .executeTakeFirstOrThrow();
  expect(conn.lastError).toBe(bad.error);
  rec.isDraft = false;
  s.advance(60_000);
  expect((await (await s.sweeps.sweepNow(s.orgId, dana, "manual")).done).status).toBe("succeeded");
});
