/**
 * Every case of the capture fixture, as messages in an emulated mailbox, swept end to end through the
 * real Graph SDK and the real connect service → exactly the expected engagements, and each excluded
 * message with its expected reason in capture_decisions.
 */
import { fixture, fixtureCases } from "../fixtures/capture-fixture";
import { WELL_KNOWN_FOLDERS } from "../../shared/capture";
import type { MessageRecord } from "../../emulator";
import { DANA, startSweepHarness, type SweepHarness } from "./harness";

jest.setTimeout(60_000);

const cases = fixtureCases;
const imidOf = (i: number) => `<fixture-case-${i}@capture.test>`;

/** The fixture's folder path → the emulator folder (well-known name, or a user folder made below). */
function folderRef(path: string[]): string {
  const key = path.join("/");
  const userFolders: Record<string, string> = {
    "inbox/Acme": "inbox-acme",
    "inbox/Clients/Acme": "clients-acme",
    "RSS Feeds/Acme blog": "acme-blog",
    "conversationhistory/Team Chat": "teamchat",
  };
  if (userFolders[key]) return userFolders[key];
  if (path.length === 1 && (WELL_KNOWN_FOLDERS as readonly string[]).includes(path[0])) return path[0];
  throw new Error(`No emulator folder for ${key}`);
}

let s: SweepHarness;
let userId: string;
const records = new Map<number, MessageRecord>();
// The case before the connection's 24-hour backfill lies outside every window, so no sweep lists it.
const outsideWindow = new Set(
  cases
    .map((c, i) => [c, i] as const)
    .filter(([c]) => c.expect.reason === "before_connection")
    .map(([, i]) => i),
);

beforeAll(async () => {
  s = await startSweepHarness();
  const st = s.h.emulator.state;
  s.setTime(fixture.user.connectedAt);
  userId = await s.connect(DANA);
  for (const c of fixture.contacts) await s.addContact(c.email, c.createdAt);
  for (const b of fixture.blocklist) await s.block(b);

  st.addFolder(DANA.id, { key: "inbox-acme", displayName: "Acme", parent: "inbox" });
  st.addFolder(DANA.id, { key: "clients", displayName: "Clients", parent: "inbox" });
  st.addFolder(DANA.id, { key: "clients-acme", displayName: "Acme", parent: "clients" });
  st.addFolder(DANA.id, {
    key: "acme-blog",
    displayName: "Acme blog",
    parent: "rssfeeds",
    containerClass: "IPF.Note.OutlookHomepage",
  });
  cases.forEach((c, i) => {
    const m = c.message;
    const meeting = /^IPM\.Schedule\.Meeting\./i.test(m.messageClass);
    const rec = st.addMessage(DANA.id, {
      folder: folderRef(m.folderPath),
      subject: `Case ${i}: ${c.name}`,
      body: `Body of case ${i}`,
      messageClass: m.messageClass,
      ...(meeting ? { meetingMessageType: "meetingRequest" as const } : {}),
      isDraft: m.isDraft,
      ...(m.from ? { from: m.from } : {}),
      to: m.to,
      cc: m.cc,
      bcc: m.bcc,
      ...(m.sentDateTime ? { sentDateTime: m.sentDateTime } : {}),
      ...(m.receivedDateTime ? { receivedDateTime: m.receivedDateTime } : {}),
      internetMessageId: imidOf(i),
    });
    if (!m.from) {
      rec.from = null;
      rec.sender = null;
    }
    records.set(i, rec);
  });
  s.setTime(fixture.now);
});

afterAll(async () => {
  await s?.close();
});

describe("a mailbox holding every fixture case", () => {
  let first: Awaited<ReturnType<SweepHarness["sweeps"]["sweepNow"]>> extends { done: Promise<infer V> } ? V : never;

  beforeAll(async () => {
    const started = await s.sweeps.sweepNow(s.orgId, userId, "manual");
    expect(started.sweep.status).toBe("running");
    first = await started.done;
  });

  it("succeeds and counts what it saw", () => {
    expect(first.error).toBeNull();
    expect(first.status).toBe("succeeded");
    expect(first.windowStart).toBe(new Date(Date.parse(fixture.user.connectedAt) - 24 * 3600_000).toISOString());
    expect(first.listed).toBe(cases.length - outsideWindow.size);
    const expectedCaptured = cases.filter((c, i) => c.expect.outcome === "captured" && !outsideWindow.has(i)).length;
    expect(first.captured).toBe(expectedCaptured);
    expect(first.excluded).toBe(first.listed - expectedCaptured);
    const byReason: Record<string, number> = {};
    cases.forEach((c, i) => {
      if (c.expect.reason && !outsideWindow.has(i)) byReason[c.expect.reason] = (byReason[c.expect.reason] ?? 0) + 1;
    });
    expect(first.excludedByReason).toEqual(byReason);
  });

  it("stores exactly the expected engagements", async () => {
    const expected = cases
      .map((c, i) => [c, i] as const)
      .filter(([c]) => c.expect.outcome === "captured")
      .map(([, i]) => imidOf(i))
      .sort();
    expect(await s.engagementIds()).toEqual(expected);
  });

  for (const [i, c] of cases.entries()) {
    test(`case ${i}: ${c.name} → ${c.expect.reason ?? c.expect.outcome}`, async () => {
      const d = await s.decisionOf(userId, imidOf(i));
      if (outsideWindow.has(i)) {
        expect(d).toBeNull();
        return;
      }
      expect(d).not.toBeNull();
      expect({ outcome: d!.outcome, reason: d!.reason ?? undefined }).toEqual({
        outcome: c.expect.outcome,
        reason: c.expect.reason,
      });
      if (c.expect.reason === "excluded_folder") expect(JSON.parse(d!.detail!).folder).toBe(c.message.folderPath[0]);
    });
  }

  it("an engagement carries the text body, the contact link and this mailbox's immutable id and webLink", async () => {
    const i = cases.findIndex((c) => c.name === "inbound from a contact to the user");
    const e = await s.h.db
      .selectFrom("engagements")
      .selectAll()
      .where("internetMessageId", "=", imidOf(i))
      .executeTakeFirstOrThrow();
    expect(e.bodyText).toBe(`Body of case ${i}`); // text, not the HTML the emulator stores
    expect(e.subject).toBe(`Case ${i}: ${cases[i].name}`);
    expect(e.direction).toBe("inbound");
    const links = await s.h.db
      .selectFrom("engagementContacts as ec")
      .innerJoin("contacts as c", "c.id", "ec.contactId")
      .select("c.email")
      .where("ec.engagementId", "=", e.id)
      .execute();
    expect(links.map((l) => l.email)).toEqual(["alice@acme.com"]);
    const mb = await s.h.db.selectFrom("engagementMailboxes").selectAll().where("engagementId", "=", e.id).execute();
    expect(mb).toHaveLength(1);
    expect(mb[0].graphMessageId).toBe(records.get(i)!.immutableId);
    expect(mb[0].webLink).toContain(encodeURIComponent(records.get(i)!.immutableId));
  });

  it("excluded mail leaves no subject or participants behind", async () => {
    const rows = await s.h.db
      .selectFrom("captureDecisions")
      .selectAll()
      .where("userId", "=", userId)
      .where("outcome", "=", "excluded")
      .execute();
    const text = JSON.stringify(rows);
    expect(text).not.toMatch(/@|Case \d/);
  });

  it("a second sweep changes nothing, costs one list call and no folder or body requests", async () => {
    const before = await s.h.db
      .selectFrom("captureDecisions")
      .selectAll()
      .where("userId", "=", userId)
      .orderBy("messageKey")
      .execute();
    const engagements = await s.engagementIds();
    s.h.emulator.state.resetCounts();
    s.advance(3600_000);
    const again = await (await s.sweeps.sweepNow(s.orgId, userId, "schedule")).done;
    expect(again.status).toBe("succeeded");
    expect(await s.engagementIds()).toEqual(engagements);
    const after = await s.h.db
      .selectFrom("captureDecisions")
      .selectAll()
      .where("userId", "=", userId)
      .orderBy("messageKey")
      .execute();
    expect(after).toEqual(before);
    const counts = s.h.emulator.state.requestCounts(DANA.id);
    expect(counts.byKind.list).toBe(1);
    expect(counts.byKind.batch).toBe(0);
    expect(counts.byKind.folders).toBe(0);
    // Everything else the emulator counted is Entra (the hour-old access token was refreshed), not Graph.
    expect(counts.total - counts.byKind.token - counts.byKind.authorize).toBe(1);
    expect(again.graphRequests).toBe(1);
  });

  it("Capture now decides a message no window lists (before the connection's backfill)", async () => {
    const [i] = [...outsideWindow];
    const out = await s.sweeps.captureMessage(s.orgId, userId, records.get(i)!.id);
    expect(out.decision.reason).toBe("before_connection");
    expect((await s.decisionOf(userId, imidOf(i)))?.reason).toBe("before_connection");
  });
});
