/**
 * A revoked grant is noticed by the first sweep after it, not when the access token expires: Graph's
 * claims challenge (continuous access evaluation) or a plain 401 → one refresh → refused → reauth_required
 * at once; a 401 that a forced refresh fixes → the sweep carries on.
 */
import { decodeJwt } from "jose";
import { DANA, startSweepHarness, type SweepHarness } from "./harness";

jest.setTimeout(60_000);

const T0 = "2026-11-20T09:00:00.000Z";
const MIN = 60_000;

let s: SweepHarness;
afterEach(async () => {
  await s?.close();
});

async function sweep(userId: string) {
  return (await s.sweeps.sweepNow(s.orgId, userId, "manual")).done;
}

async function connection(userId: string) {
  return s.h.db.selectFrom("mailboxConnections").selectAll().where("userId", "=", userId).executeTakeFirstOrThrow();
}

/** Connect Dana, with one tracked message in her mailbox, and a first sweep (the access token is cached). */
async function connectedDana(): Promise<string> {
  s = await startSweepHarness();
  s.setTime(T0);
  const dana = await s.connect(DANA);
  await s.addContact("alice@acme.com", "2026-01-01T00:00:00Z");
  const t = new Date(Date.parse(T0) + MIN).toISOString();
  s.h.emulator.state.addMessage(DANA.id, {
    from: "alice@acme.com",
    to: ["dana@contoso.com"],
    subject: "Hi",
    body: "Hello",
    sentDateTime: t,
    receivedDateTime: t,
    internetMessageId: "<hi@acme.com>",
  });
  s.advance(5 * MIN);
  expect((await sweep(dana)).status).toBe("succeeded");
  return dana;
}

test("the product opts in to continuous access evaluation: its Graph tokens are CAE tokens (xms_cc CP1)", async () => {
  s = await startSweepHarness();
  s.setTime(T0);
  const dana = await s.connect(DANA);
  const token = await s.h.service.getGraphAccessToken(s.orgId, dana);
  expect(decodeJwt(token).xms_cc).toEqual(["CP1"]);
});

test("with CAE: a revocation → Graph's claims challenge → the refresh with its claims is refused → reauth_required on the next sweep", async () => {
  const dana = await connectedDana();
  s.h.emulator.state.revokeGrant(DANA.id, 50173);
  s.advance(10 * MIN); // the cached access token is valid for hours yet
  const failed = await sweep(dana);
  expect(failed.status).toBe("failed");
  expect(failed.error).toMatch(/^ReauthRequiredError/);
  expect(failed.graphRequests).toBe(1); // the challenged request, and no other
  const conn = await connection(dana);
  expect(conn.status).toBe("reauth_required");
  expect(conn.statusReason).toMatch(/reconnect/i);
  // The pane's status call says so: the mailbox needs reconnecting.
  const res = await s.app.request("/api/sweeps", {
    method: "POST",
    headers: { authorization: `Bearer ${s.apiToken(DANA.id)}` },
  });
  expect(res.status).toBe(409);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("reauth_required");
});

test("without CAE: a plain 401 → one forced refresh → refused → reauth_required at once", async () => {
  const dana = await connectedDana();
  s.h.emulator.state.revokeGrant(DANA.id, 700082);
  s.h.emulator.state.tokens.cae.restore(DANA.id); // Graph does not know of it: only the refresh is refused
  s.h.emulator.state.injectFault({
    kind: "status",
    status: 401,
    retryAfterSeconds: null,
    count: 1,
    match: { userId: DANA.id, batchItems: false },
  });
  s.advance(10 * MIN);
  const failed = await sweep(dana);
  expect(failed.status).toBe("failed");
  expect(failed.error).toMatch(/^ReauthRequiredError/);
  expect((await connection(dana)).status).toBe("reauth_required");
});

test("a transient 401 that a forced refresh fixes → the request is retried, the sweep succeeds and the connection stays active", async () => {
  const dana = await connectedDana();
  const before = await s.h.service.getGraphAccessToken(s.orgId, dana);
  s.h.emulator.state.injectFault({
    kind: "status",
    status: 401,
    retryAfterSeconds: null,
    count: 1,
    match: { userId: DANA.id, batchItems: false },
  });
  s.advance(10 * MIN);
  const ok = await sweep(dana);
  expect(ok.status).toBe("succeeded");
  expect(ok.error).toBeNull();
  const conn = await connection(dana);
  expect(conn.status).toBe("active");
  expect(conn.lastError).toBeNull();
  // The forced refresh replaced the cached token.
  expect(await s.h.service.getGraphAccessToken(s.orgId, dana)).not.toBe(before);
});

test("a 401 that persists after a granted refresh fails the sweep as a Graph error, not as a revoked grant", async () => {
  const dana = await connectedDana();
  s.h.emulator.state.injectFault({
    kind: "status",
    status: 401,
    retryAfterSeconds: null,
    count: 2,
    match: { userId: DANA.id, batchItems: false },
  });
  s.advance(10 * MIN);
  const failed = await sweep(dana);
  expect(failed.status).toBe("failed");
  expect(failed.error).not.toMatch(/ReauthRequired/);
  expect((await connection(dana)).status).toBe("active");
});

test("capture now with a grant revoked since the last sweep → 409 reauth_required (not a 500), the connection flipped", async () => {
  const dana = await connectedDana();
  const message = s.h.emulator.state.addMessage(DANA.id, {
    from: "alice@acme.com",
    to: ["dana@contoso.com"],
    subject: "Now",
    body: "Now",
    internetMessageId: "<now@acme.com>",
  });
  s.h.emulator.state.revokeGrant(DANA.id, 50173);
  s.advance(2 * 60 * MIN); // the harness's access tokens live an hour: the refresh is refused
  const res = await s.app.request("/api/messages/capture", {
    method: "POST",
    headers: { authorization: `Bearer ${s.apiToken(DANA.id)}`, "content-type": "application/json" },
    body: JSON.stringify({ restItemId: message.immutableId }),
  });
  expect(res.status).toBe(409);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("reauth_required");
  expect((await connection(dana)).status).toBe("reauth_required");
});
