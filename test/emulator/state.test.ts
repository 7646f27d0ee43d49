/**
 * The emulator state's modules on their own (directory, grants, mailboxes, change tracking, faults,
 * traffic) and the EmulatorState facade that composes them; the HTTP suites beside this one drive
 * them through Graph and Entra.
 */
import { ManualClock } from "../../server/clock";
import { verifyJwt } from "../../emulator/jwt";
import { EmulatorState } from "../../emulator/state";
import { ChangeTracking } from "../../emulator/state/change-tracking";
import { Directory } from "../../emulator/state/directory";
import { Faults } from "../../emulator/state/faults";
import { Mailboxes } from "../../emulator/state/mailboxes";
import { Grants } from "../../emulator/state/tokens";
import { RequestCounter, Throttle } from "../../emulator/state/traffic";

const TENANT = "11111111-1111-4111-8111-111111111111";
const ADA = {
  tenantId: TENANT,
  id: "aaaaaaaa-0000-4000-8000-000000000001",
  displayName: "Ada Lovelace",
  mail: "ada@contoso.com",
  userPrincipalName: "ada@contoso.com",
};
const BEN = {
  tenantId: TENANT,
  id: "bbbbbbbb-0000-4000-8000-000000000002",
  displayName: "Ben Ng",
  mail: "ben@contoso.com",
  userPrincipalName: "ben@contoso.com",
  proxyAddresses: ["SMTP:ben@contoso.com", "smtp:b.ng@contoso.com"],
};

describe("Directory", () => {
  it("creates a user's unknown tenant and finds users by login and by any smtp address", () => {
    const d = new Directory();
    d.addUser(BEN);
    expect(d.tenants.get(TENANT)).toEqual({ id: TENANT, displayName: TENANT, domain: `${TENANT}.onmicrosoft.com` });
    expect(d.findTenant(TENANT.toUpperCase())?.id).toBe(TENANT);
    expect(d.findUserByLogin("BEN@contoso.com")?.id).toBe(BEN.id);
    expect(d.findUserByLogin("ben@contoso.com", "another-tenant")).toBeUndefined();
    expect(d.findUserByAddress("b.ng@contoso.com")?.id).toBe(BEN.id);
    expect(() => d.requireUser("nobody")).toThrow("Unknown user nobody");
  });

  it("replaces a user's app roles on one API only", () => {
    const d = new Directory();
    d.addUser({
      ...ADA,
      appRoleAssignments: [
        { resourceAppId: "api-1", value: "Admin" },
        { resourceAppId: "api-2", value: "Reader" },
      ],
    });
    d.setAppRoles(ADA.id, "api-1", ["Auditor"]);
    expect(d.getUser(ADA.id)!.appRoleAssignments).toEqual([
      { resourceAppId: "api-2", value: "Reader" },
      { resourceAppId: "api-1", value: "Auditor" },
    ]);
  });
});

describe("Grants", () => {
  it("a revocation covers refresh tokens and assertions issued before it, not those after", () => {
    const clock = new ManualClock("2026-01-01T00:00:00Z");
    const d = new Directory();
    d.addUser(ADA);
    const g = new Grants(d, clock);
    const before = g.refreshTokens.get(
      g.issueRefreshToken({ clientId: "c", userId: ADA.id, tenantId: TENANT, spa: false, scopes: [] }),
    )!;
    clock.advance(1000);
    g.revoke(ADA.id, 50173);
    const after = g.refreshTokens.get(
      g.issueRefreshToken({ clientId: "c", userId: ADA.id, tenantId: TENANT, spa: true, scopes: [] }),
    )!;
    expect(g.revokedRefresh(before)).toBe(50173);
    expect(g.revokedRefresh(after)).toBeNull();
    expect(after.expiresAt - after.issuedAt).toBe(24 * 3600_000);
    expect(g.revokedAssertion(ADA.id, clock.now().getTime())).toBe(50173);
    expect(g.revokedAssertion(ADA.id, clock.now().getTime() + 1)).toBeNull();
    g.restore(ADA.id);
    expect(g.revokedRefresh(before)).toBeNull();
  });
});

describe("Mailboxes", () => {
  function setup() {
    const clock = new ManualClock("2026-01-01T12:00:00Z");
    const d = new Directory();
    d.addUser(ADA);
    d.addUser(BEN);
    const m = new Mailboxes(d, clock);
    m.createDefaultFolders(ADA.id);
    m.createDefaultFolders(BEN.id);
    return { clock, m };
  }

  it("creates the default folder tree once", () => {
    const { m } = setup();
    const count = m.foldersOf(ADA.id).length;
    m.createDefaultFolders(ADA.id);
    expect(m.foldersOf(ADA.id)).toHaveLength(count);
    expect(m.findFolder(ADA.id, "inbox")?.displayName).toBe("Inbox");
    expect(m.findFolder(ADA.id, "Team Chat")?.wellKnownName).toBeNull();
  });

  it("a move changes the regular id and keeps the immutable one", () => {
    const { m } = setup();
    const msg = m.addMessage(ADA.id, { subject: "hello", receivedDateTime: "-1h" });
    const { id, immutableId } = msg;
    m.moveMessage(ADA.id, id, "archive");
    expect(m.findMessage(ADA.id, id)).toBeUndefined();
    expect(m.findMessage(ADA.id, immutableId)).toBe(msg);
    expect(m.findMessage(BEN.id, immutableId)).toBeUndefined();
    m.deleteMessage(ADA.id, immutableId);
    expect(m.getMessages(ADA.id)).toEqual([]);
  });

  it("mail added later looks new even when its receivedDateTime is backdated; the seed dataset does not", () => {
    const { clock, m } = setup();
    const late = m.addMessage(ADA.id, { subject: "late", receivedDateTime: "-3h" });
    const seed = m.addMessage(ADA.id, { subject: "seed", receivedDateTime: "-3h" }, { preexisting: true });
    expect(late.lastModifiedDateTime).toEqual(clock.now());
    expect(seed.lastModifiedDateTime).toEqual(seed.receivedDateTime);
  });

  it("delivers to Sent Items and to each emulated recipient's Inbox once", () => {
    const { m } = setup();
    const sent = m.deliver(ADA.id, {
      subject: "hi",
      to: ["ben@contoso.com"],
      cc: ["b.ng@contoso.com", "outside@example.com"],
    });
    expect(m.findFolder(ADA.id, "sentitems")!.id).toBe(sent!.folderId);
    const received = m.getMessages(BEN.id);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      subject: "hi",
      internetMessageId: sent!.internetMessageId,
      folderId: m.findFolder(BEN.id, "inbox")!.id,
    });
    expect(m.deliver(ADA.id, { subject: "no copy", to: ["ben@contoso.com"] }, false)).toBeNull();
    expect(m.getMessages(ADA.id)).toHaveLength(1);
  });
});

describe("ChangeTracking", () => {
  const base = {
    kind: "delta" as const,
    userId: ADA.id,
    folderId: "f1",
    options: { select: null, expand: null, filter: null, top: null, changeType: null },
    snapshot: new Map(),
  };

  it("numbers generations per folder, quotes them for unknown tokens, and expires states", () => {
    const clock = new ManualClock("2026-01-01T00:00:00Z");
    const c = new ChangeTracking(clock, 60_000);
    const first = c.issue(base);
    const second = c.issue(base);
    c.issue({ ...base, folderId: "f2" });
    expect([first.generation, second.generation]).toEqual([1, 2]);
    expect(c.find(first.token)).toBe(first);
    expect(c.generationInfo(first.token, ADA.id, "f1")).toEqual({ generation: 1, highest: 2, live: [2, 1] });
    expect(c.generationInfo("not-ours", ADA.id, "f1").generation).toBe(0);
    clock.advance(60_000);
    expect(c.find(first.token)).toBeUndefined();
    expect(c.generationInfo(second.token, ADA.id, "f1").live).toEqual([]);
  });

  it("invalidates every state of one mailbox", () => {
    const c = new ChangeTracking(new ManualClock(), 60_000);
    const a = c.issue(base);
    const b = c.issue({ ...base, userId: BEN.id });
    expect(c.invalidate(ADA.id)).toBe(1);
    expect(c.find(a.token)).toBeUndefined();
    expect(c.find(b.token)).toBe(b);
  });
});

describe("Faults", () => {
  const req = { area: "graph" as const, path: "/me/messages", method: "GET", userId: ADA.id };

  it("matches by area, path, method and user; `after` lets requests pass, `count` retires the rule", () => {
    const f = new Faults();
    f.inject({ status: 503, after: 1, count: 2, match: { path: "/MESSAGES", method: "get", userId: ADA.id } });
    expect(f.take({ ...req, area: "identity" })).toBeNull();
    expect(f.take({ ...req, userId: BEN.id })).toBeNull();
    expect(f.take(req)).toBeNull();
    expect(f.take(req)?.status).toBe(503);
    expect(f.take(req)?.status).toBe(503);
    expect(f.take(req)).toBeNull();
  });

  it("batch items only meet status faults that allow them; removed and cleared rules stop firing", () => {
    const f = new Faults();
    const drop = f.inject({ kind: "drop", match: { path: /messages$/ } });
    expect(f.take({ ...req, batchItem: true })).toBeNull();
    f.remove(drop);
    f.inject({ status: 429, match: { area: "any", batchItems: false } });
    expect(f.take({ ...req, batchItem: true })).toBeNull();
    expect(f.take({ ...req, area: "identity" })?.status).toBe(429);
    f.clear();
    expect(f.take(req)).toBeNull();
  });
});

describe("traffic", () => {
  it("counts requests per mailbox ($batch items apart) and response bytes", () => {
    const c = new RequestCounter();
    c.count(ADA.id, "batch");
    c.count(ADA.id, "batchItems");
    c.count(null, "token");
    c.addResponseBytes(ADA.id, 120);
    const counts = c.countsOf(ADA.id);
    expect(counts).toMatchObject({ total: 1, responseBytes: 120 });
    expect(counts.byKind).toMatchObject({ batch: 1, batchItems: 1, token: 0 });
    c.reset();
    expect(c.countsOf(ADA.id).total).toBe(0);
  });

  it("throttles per app and mailbox: concurrency, then the request budget until the window ends", () => {
    const clock = new ManualClock("2026-01-01T00:00:00Z");
    const t = new Throttle(clock, { maxConcurrentPerMailbox: 1, requestBudget: { requests: 2, windowMs: 10_000 } });
    expect(t.admit("app", ADA.id)).toBeNull();
    expect(t.admit("app", ADA.id)).toEqual({ reason: "MailboxConcurrency", retryAfter: 1 });
    expect(t.admit("other-app", ADA.id)).toBeNull();
    t.release("app", ADA.id);
    expect(t.admit("app", ADA.id)).toBeNull();
    t.release("app", ADA.id);
    clock.advance(2_500);
    expect(t.admit("app", ADA.id)).toEqual({ reason: "RequestRate", retryAfter: 8 });
    clock.advance(7_500);
    expect(t.admit("app", ADA.id)).toBeNull();
  });
});

describe("EmulatorState facade", () => {
  it("passes its settings through to the modules that use them", () => {
    const clock = new ManualClock("2026-01-01T00:00:00Z");
    const st = new EmulatorState(clock, { syncStateLifetimeMs: 5_000, maxConcurrentPerMailbox: 2 });
    st.url = "https://localhost:1234";
    st.accessTokenLifetimeSeconds = 600;
    st.loadDataset({
      users: [ADA],
      folders: [{ userId: ADA.id, key: "clients", displayName: "Clients", parent: "inbox" }],
      messages: [{ userId: ADA.id, folder: "clients", subject: "x" }],
    });
    expect(st.issuerV2(TENANT)).toBe(`https://localhost:1234/${TENANT}/v2.0`);
    expect(st.syncStateLifetimeMs).toBe(5_000);
    st.setSyncStateLifetime(9_000);
    expect(st.changes.lifetimeMs).toBe(9_000);
    expect(st.maxConcurrentPerMailbox).toBe(2);
    expect(st.getMessages(ADA.id)[0].folderId).toBe(st.findFolder(ADA.id, "clients")!.id);
    const claims = verifyJwt(
      st.signingKey,
      st.mintAccessToken({ userId: ADA.id, clientId: "api", audience: "api://api", scopes: ["access_as_user"] }),
    )!;
    expect(claims).toMatchObject({ aud: "api", iss: `https://localhost:1234/${TENANT}/v2.0`, ver: "2.0" });
    expect((claims.exp as number) - (claims.iat as number)).toBe(600);
    expect(() => st.invalidateSyncStates("nobody")).toThrow("Unknown user nobody");
  });
});
