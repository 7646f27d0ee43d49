/**
 * A forged email carrying a real message's Message-ID, end to end through the sweep (emulator +
 * Graph + store phase): swept before or after the real one, it never becomes or changes the real
 * engagement; the real recipient's status answers from their own copy.
 */
import { DANA, LEE, startSweepHarness, type SweepHarness } from "./harness";

jest.setTimeout(60_000);

const T0 = "2026-11-20T09:00:00.000Z";
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const H = 3600_000;
const IMID = "<invoice-42@acme.com>";

let s: SweepHarness;
afterEach(async () => {
  await s?.close();
});

async function sweep(userId: string) {
  return (await s.sweeps.sweepNow(s.orgId, userId, "manual")).done;
}

/** Dana gets the real invoice; Lee a forgery with its Message-ID (another client's contact on it). */
async function setUp() {
  s = await startSweepHarness();
  s.setTime(T0);
  const dana = await s.connect(DANA);
  const lee = await s.connect(LEE);
  await s.addContact("alice@acme.com", "2026-01-01T00:00:00Z");
  await s.addContact("bob@globex.com", "2026-01-01T00:00:00Z");
  s.advance(H);
  const st = s.h.emulator.state;
  st.addMessage(DANA.id, {
    from: "Alice <alice@acme.com>",
    to: ["dana@contoso.com"],
    subject: "Invoice 42",
    body: "Invoice 42 is attached.",
    sentDateTime: at(30 * 60_000),
    receivedDateTime: at(30 * 60_000 + 2000),
    internetMessageId: IMID,
  });
  st.addMessage(LEE.id, {
    from: "Alice <alice@acme.com>",
    to: ["lee@contoso.com"],
    cc: ["bob@globex.com"],
    subject: "Invoice 42 — new bank details",
    body: "Pay invoice 42 to IBAN XX00 EVIL.",
    sentDateTime: at(20 * 60_000),
    receivedDateTime: at(20 * 60_000 + 2000),
    internetMessageId: IMID,
  });
  return { dana, lee };
}

async function engagementsOf() {
  const rows = await s.h.db
    .selectFrom("engagements")
    .select(["id", "subject", "bodyText"])
    .where("organizationId", "=", s.orgId)
    .execute();
  const contacts = await s.h.db
    .selectFrom("engagementContacts as ec")
    .innerJoin("contacts as c", "c.id", "ec.contactId")
    .select(["ec.engagementId", "c.email"])
    .execute();
  const mailboxes = await s.h.db.selectFrom("engagementMailboxes").select(["engagementId", "userId"]).execute();
  return rows.map((r) => ({
    ...r,
    contacts: contacts
      .filter((c) => c.engagementId === r.id)
      .map((c) => c.email)
      .sort(),
    mailboxes: mailboxes.filter((m) => m.engagementId === r.id).map((m) => m.userId),
  }));
}

async function engagementIdOfDecision(userId: string) {
  const d = await s.h.db
    .selectFrom("captureDecisions")
    .select("engagementId")
    .where("userId", "=", userId)
    .executeTakeFirst();
  return d?.engagementId ?? null;
}

for (const order of ["forged first", "forged after"] as const) {
  test(`a forged copy swept ${order === "forged first" ? "BEFORE" : "AFTER"} the real one → a separate engagement; the real one keeps its content and contacts`, async () => {
    const { dana, lee } = await setUp();
    if (order === "forged first") await sweep(lee);
    expect((await sweep(dana)).captured).toBe(1);
    if (order === "forged after") await sweep(lee);

    const all = await engagementsOf();
    expect(all).toHaveLength(2);
    const real = all.find((e) => e.mailboxes.includes(dana))!;
    const forged = all.find((e) => e.mailboxes.includes(lee))!;
    expect(real).toMatchObject({
      subject: "Invoice 42",
      bodyText: "Invoice 42 is attached.",
      contacts: ["alice@acme.com"],
      mailboxes: [dana],
    });
    expect(forged).toMatchObject({
      subject: "Invoice 42 — new bank details",
      contacts: ["alice@acme.com", "bob@globex.com"],
      mailboxes: [lee],
    });
    expect(await engagementIdOfDecision(dana)).toBe(real.id);
    expect(await engagementIdOfDecision(lee)).toBe(forged.id);

    // Each recipient's pane answers from their own copy.
    for (const [who, expected] of [
      [DANA, real.id],
      [LEE, forged.id],
    ] as const) {
      const status = await s.app.request("/api/messages/status", {
        method: "POST",
        headers: { authorization: `Bearer ${s.apiToken(who.id)}`, "content-type": "application/json" },
        body: JSON.stringify({ internetMessageId: IMID, from: "alice@acme.com", to: [who.mail] }),
      });
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({ status: "captured", engagement: { id: expected } });
    }

    // The API shows both, each naming the other.
    const res = await s.app.request(`/api/engagements/${real.id}`, {
      headers: { authorization: `Bearer ${s.apiToken(DANA.id)}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: real.id,
      internetMessageId: IMID,
      conflictsWith: [forged.id],
      truncated: false,
    });
  });
}

test("the same message in two mailboxes (sender's time stamped 40 s apart) is still one engagement, body fetched once", async () => {
  s = await startSweepHarness();
  s.setTime(T0);
  const dana = await s.connect(DANA);
  const lee = await s.connect(LEE);
  await s.addContact("alice@acme.com", "2026-01-01T00:00:00Z");
  s.advance(H);
  const st = s.h.emulator.state;
  const common = {
    from: "alice@acme.com",
    to: ["dana@contoso.com", "lee@contoso.com"],
    subject: "Renewal",
    body: "Shall we renew?",
    receivedDateTime: at(30 * 60_000 + 2000),
    internetMessageId: "<renew@acme.com>",
  };
  st.addMessage(DANA.id, { ...common, sentDateTime: at(30 * 60_000) });
  st.addMessage(LEE.id, { ...common, sentDateTime: at(30 * 60_000 + 40_000) });
  await sweep(dana);
  st.resetCounts();
  await sweep(lee);
  const all = await engagementsOf();
  expect(all).toHaveLength(1);
  expect(all[0].mailboxes.sort()).toEqual([dana, lee].sort());
  // Lee's sweep found the agreeing engagement: its only $batch was the folder resolution, no body.
  expect(st.requestCounts(LEE.id).byKind.batchItems).toBe(12);
});
