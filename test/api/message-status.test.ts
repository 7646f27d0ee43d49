/**
 * POST /api/messages/status against the shared capture fixture: seeded with its contacts,
 * blocklist and user addresses, every case Office.js can describe (inbox / sent items, not a
 * draft) is predicted as the fixture expects; a stored decision wins over the prediction.
 */
import fixture from "../fixtures/capture-cases.json";
import { createHarness, testConfig, type Harness } from "./harness";
import { setUserAddresses } from "../../server/store/users";
import { createContact } from "../../server/store/contacts";
import { createClient } from "../../server/store/clients";
import { addBlockEntry } from "../../server/store/blocklist";
import { saveConnection, setConnectionStatus } from "../../server/store/mailbox-connections";
import { messageKey, recordCaptureBatch } from "../../server/store/capture-decisions";
import type { MessageStatusResponse } from "../../shared/api/contract";

interface FixtureMessage {
  folderPath: string[];
  messageClass: string;
  isDraft: boolean;
  from: string | null;
  to: string[];
  cc: string[];
  sentDateTime: string | null;
  receivedDateTime: string | null;
}

const NEXT_SWEEP = new Date("2026-11-26T13:00:00.000Z");
let t: Harness;
let orgId: string;
let userId: string;
let clientId: string;

beforeAll(async () => {
  t = await createHarness({ sweeps: { nextSweepAt: async () => NEXT_SWEEP } });
  t.clock.set(fixture.now);
  const me = await (await t.call("GET", "/api/me")).json();
  orgId = me.organization.id;
  userId = me.user.id;
  await setUserAddresses(t.h.db, orgId, userId, fixture.user.addresses, fixture.now);
  clientId = (await createClient(t.h.db, orgId, "Acme", fixture.now)).id;
  for (const c of fixture.contacts)
    await createContact(
      t.h.db,
      orgId,
      { email: c.email, clientId: c.email.endsWith("@acme.com") ? clientId : null },
      c.createdAt,
    );
  for (const b of fixture.blocklist)
    await addBlockEntry(t.h.db, orgId, { entry: b, scope: "organization", userId }, fixture.now);
  await saveConnection(t.h.db, orgId, userId, { homeAccountId: null, tokenCache: null }, fixture.user.connectedAt);
});
afterAll(() => t.close());

function request(m: FixtureMessage, internetMessageId: string) {
  return {
    internetMessageId,
    from: m.from === null ? null : { address: m.from, name: null },
    to: m.to,
    cc: m.cc.map((address) => ({ address, name: "Someone" })),
    subject: "ignored",
    sentDateTime: m.sentDateTime,
    receivedDateTime: m.receivedDateTime,
    itemClass: m.messageClass,
  };
}

async function status(body: unknown): Promise<MessageStatusResponse> {
  const res = await t.call("POST", "/api/messages/status", { body });
  expect(res.status).toBe(200);
  return res.json();
}

const visibleToOffice = fixture.cases
  .map((c, i) => ({ ...c, i, message: c.message as FixtureMessage }))
  .filter((c) => ["inbox", "sentitems"].includes(c.message.folderPath[0]) && !c.message.isDraft);

test("the fixture offers enough cases Office.js can describe", () => {
  expect(visibleToOffice.length).toBeGreaterThanOrEqual(20);
});

describe("prediction for each fixture case (not yet swept)", () => {
  for (const c of visibleToOffice) {
    test(c.name, async () => {
      const s = await status(request(c.message, `<case-${c.i}@fixture.example>`));
      const expected = c.expect as { outcome: "captured" | "excluded"; reason?: string };
      expect(s.decision.source).toBe("predicted");
      expect({ outcome: s.decision.outcome, reason: s.decision.reason ?? undefined }).toEqual({
        outcome: expected.outcome,
        reason: expected.reason,
      });
      if (expected.outcome === "captured") {
        expect(s.status).toBe("will_be_captured");
        expect(s.nextSweepAt).toBe(NEXT_SWEEP.toISOString());
      } else {
        expect(s.status).toBe("not_captured");
      }
      expect(s.decision.explanation.length).toBeGreaterThan(10);
      expect(s.connection).toBe("active");
    });
  }
});

test("people: who is the user, who is blocked, who is a contact of which client", async () => {
  const s = await status({
    internetMessageId: "<people@fixture.example>",
    from: "Alice@Acme.com",
    to: [{ address: "dana.kim@contoso.com", name: "Dana" }, "x@sub.noisy.example"],
    cc: ["alice@acme.com", "Display Name Only"],
  });
  expect(s.people.map((p) => [p.address, p.role, p.isUser, p.blocked, p.contact?.client?.name ?? null])).toEqual([
    ["alice@acme.com", "from", false, false, "Acme"],
    ["dana.kim@contoso.com", "to", true, false, null],
    ["x@sub.noisy.example", "to", false, true, null],
  ]);
  expect(s.decision).toMatchObject({ reason: "blocked", action: { kind: "unblock", entry: "@noisy.example" } });
});

test("no tracked contact: the action offers to track a participant", async () => {
  const s = await status({
    internetMessageId: "<track@fixture.example>",
    from: "new.person@prospect.example",
    to: ["dana@contoso.com"],
    cc: [],
    receivedDateTime: fixture.now,
  });
  expect(s.decision).toMatchObject({
    reason: "no_tracked_contact",
    action: { kind: "track_contact", address: "new.person@prospect.example" },
  });
});

test("a stored decision wins over the prediction", async () => {
  const m = visibleToOffice.find((c) => c.name === "inbound from a contact to the user")!.message;
  // Stored capture, with its engagement.
  const alice = (
    await t.h.db.selectFrom("contacts").select("id").where("email", "=", "alice@acme.com").executeTakeFirstOrThrow()
  ).id;
  await recordCaptureBatch(
    t.h.db,
    orgId,
    userId,
    null,
    [
      {
        outcome: "captured",
        engagement: {
          internetMessageId: "<stored-captured@fixture.example>",
          conversationId: null,
          subject: "Renewal",
          bodyText: "…",
          bodyPreview: "…",
          direction: "inbound",
          messageTime: m.receivedDateTime!,
          sentAt: m.sentDateTime,
          receivedAt: m.receivedDateTime,
          fromAddress: m.from,
          participants: [{ address: "alice@acme.com", name: null, role: "from" }],
        },
        graphMessageId: "g-1",
        webLink: "https://outlook.example/g-1",
        contactIds: [alice],
      },
      // Predicted captured, but the sweep found it in Junk Email.
      {
        outcome: "excluded",
        messageKey: messageKey("<stored-junk@fixture.example>"),
        reason: "excluded_folder",
        detail: { folder: "junkemail" },
      },
    ],
    fixture.now,
  );
  const captured = await status(request(m, "<stored-captured@fixture.example>"));
  expect(captured).toMatchObject({
    status: "captured",
    decision: { source: "stored", outcome: "captured", decidedAt: new Date(fixture.now).toISOString() },
  });
  expect(captured.engagement).toMatchObject({
    subject: "Renewal",
    clients: [{ id: clientId, name: "Acme" }],
    mailboxes: [{ userId, webLink: "https://outlook.example/g-1" }],
  });

  const junk = await status(request(m, " <stored-junk@fixture.example> "));
  expect(junk).toMatchObject({
    status: "not_captured",
    decision: { source: "stored", outcome: "excluded", reason: "excluded_folder" },
  });
  expect(junk.decision.explanation).toContain("Junk Email");
});

test("an exclusion the user has since undone is answered as a prediction while the message is in the sweep window", async () => {
  const msg = {
    internetMessageId: "<undone@fixture.example>",
    from: "late.add@prospect.example",
    to: ["dana@contoso.com"],
    cc: [],
    receivedDateTime: "2026-11-26T11:00:00Z",
  };
  await recordCaptureBatch(
    t.h.db,
    orgId,
    userId,
    null,
    [{ outcome: "excluded", messageKey: messageKey(msg.internetMessageId), reason: "no_tracked_contact" }],
    fixture.now,
  );
  expect((await status(msg)).decision).toMatchObject({
    source: "stored",
    reason: "no_tracked_contact",
    action: { kind: "track_contact" },
  });
  await createContact(t.h.db, orgId, { email: "late.add@prospect.example" }, fixture.now);
  expect(await status(msg)).toMatchObject({
    status: "will_be_captured",
    decision: { source: "predicted", outcome: "captured" },
  });
});

test("an undone exclusion while the mailbox needs reconnecting: not the stale reason, but 'reconnect to have it captured'", async () => {
  const msg = {
    internetMessageId: "<undone-reauth@fixture.example>",
    from: "later.still@prospect.example",
    to: ["dana@contoso.com"],
    cc: [],
    receivedDateTime: "2026-11-26T11:00:00Z",
  };
  await recordCaptureBatch(
    t.h.db,
    orgId,
    userId,
    null,
    [{ outcome: "excluded", messageKey: messageKey(msg.internetMessageId), reason: "no_tracked_contact" }],
    fixture.now,
  );
  await createContact(t.h.db, orgId, { email: "later.still@prospect.example" }, fixture.now);
  await setConnectionStatus(t.h.db, orgId, userId, "reauth_required", "The grant was revoked.", fixture.now);
  try {
    const s = await status(msg);
    expect(s).toMatchObject({
      status: "not_captured",
      connection: "reauth_required",
      decision: { source: "predicted", outcome: "captured", reason: null },
    });
    expect(s.decision.explanation).toMatch(/reconnect your mailbox to have it captured/);
  } finally {
    await setConnectionStatus(t.h.db, orgId, userId, "active", null, fixture.now);
  }
});

test("a stored exclusion that today's rules would not repeat says what happened, not the remedy the pane shows beside it", async () => {
  // Swept as a draft; Office.js now describes a sent message with no tracked contact.
  const msg = {
    internetMessageId: "<was-draft@fixture.example>",
    from: "dana@contoso.com",
    to: ["nobody@prospect.example"],
    cc: [],
    sentDateTime: "2026-11-26T11:00:00Z",
  };
  await recordCaptureBatch(
    t.h.db,
    orgId,
    userId,
    null,
    [{ outcome: "excluded", messageKey: messageKey(msg.internetMessageId), reason: "draft" }],
    fixture.now,
  );
  const s = await status(msg);
  expect(s.decision).toMatchObject({
    source: "stored",
    reason: "draft",
    explanation: "It was a draft when it was swept.",
    action: null,
  });
  const { REASON_TEXTS } = await import("../../shared/capture");
  expect(s.decision.explanation).not.toContain(REASON_TEXTS.draft.remedy);
});

test("without an active connection a capturable message is not captured, and says to reconnect", async () => {
  await setConnectionStatus(t.h.db, orgId, userId, "reauth_required", "The grant was revoked.", fixture.now);
  try {
    const m = visibleToOffice.find((c) => c.name === "inbound from a contact to the user")!.message;
    const s = await status(request(m, "<reauth@fixture.example>"));
    expect(s).toMatchObject({
      status: "not_captured",
      connection: "reauth_required",
      nextSweepAt: null,
      decision: { source: "predicted", outcome: "captured" },
    });
    expect(s.decision.explanation).toMatch(/reconnect/i);
    const me = await (await t.call("GET", "/api/me")).json();
    expect(me.connection).toMatchObject({
      status: "reauth_required",
      reason: "The grant was revoked.",
      nextSweepAt: null,
    });
  } finally {
    await setConnectionStatus(t.h.db, orgId, userId, "active", null, fixture.now);
  }
  const me = await (await t.call("GET", "/api/me")).json();
  expect(me.connection).toMatchObject({
    status: "active",
    connectedAt: new Date(fixture.user.connectedAt).toISOString(),
    nextSweepAt: NEXT_SWEEP.toISOString(),
  });
  expect(me.user.addresses).toEqual(fixture.user.addresses);
});

test("nothing of an unswept message is stored by asking for its status", async () => {
  const before = await t.h.db
    .selectFrom("captureDecisions")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  await status({
    internetMessageId: "<no-trace@fixture.example>",
    from: "alice@acme.com",
    to: ["dana@contoso.com"],
    cc: [],
    subject: "secret subject",
  });
  const after = await t.h.db
    .selectFrom("captureDecisions")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  expect(Number(after.n)).toBe(Number(before.n));
  expect(
    (await t.h.db.selectFrom("engagements").selectAll().where("subject", "=", "secret subject").execute()).length,
  ).toBe(0);
});

describe("awaitsSweep: will a coming sweep read this message and may decide it (the pane's 'Not checked yet')", () => {
  // The next sweep (13:00) reads the 24 hours before it: from 2026-11-25T13:00Z. Connected 2026-11-25T08:00Z,
  // so the capture window starts 2026-11-24T08:00Z.
  const msg = (id: string, from: string, receivedDateTime: string) => ({
    internetMessageId: `<${id}@fixture.example>`,
    from,
    to: ["dana@contoso.com"],
    cc: [],
    receivedDateTime,
  });

  test("a prediction inside the next sweep's window: a capture, or an exclusion the user can undo", async () => {
    expect(await status(msg("await-capture", "alice@acme.com", "2026-11-26T11:00:00Z"))).toMatchObject({
      status: "will_be_captured",
      awaitsSweep: true,
    });
    expect(await status(msg("await-untracked", "nobody@prospect.example", "2026-11-26T11:00:00Z"))).toMatchObject({
      decision: { source: "predicted", reason: "no_tracked_contact" },
      awaitsSweep: true,
    });
    expect(await status(msg("await-blocked", "deals@noisy.example", "2026-11-26T11:00:00Z"))).toMatchObject({
      decision: { reason: "blocked" },
      awaitsSweep: true,
    });
  });

  test("not for mail older than the next sweep reads, nor for an exclusion no sweep changes, nor for a stored answer", async () => {
    expect(await status(msg("too-old-for-sweep", "nobody@prospect.example", "2026-11-25T10:00:00Z"))).toMatchObject({
      decision: { source: "predicted", reason: "no_tracked_contact" },
      awaitsSweep: false,
    });
    expect(await status(msg("before-window", "alice@acme.com", "2026-11-24T07:00:00Z"))).toMatchObject({
      decision: { reason: "before_connection" },
      awaitsSweep: false,
    });
    const stored = msg("stored-await", "nobody@prospect.example", "2026-11-26T11:00:00Z");
    await recordCaptureBatch(
      t.h.db,
      orgId,
      userId,
      null,
      [{ outcome: "excluded", messageKey: messageKey(stored.internetMessageId), reason: "no_tracked_contact" }],
      fixture.now,
    );
    expect(await status(stored)).toMatchObject({ decision: { source: "stored" }, awaitsSweep: false });
  });

  test("not connected: connecting sweeps the window before now", async () => {
    const other = {
      oid: "oid-never-connected",
      token: await t.token({ oid: "oid-never-connected", preferred_username: "lee@contoso.com" }),
    };
    const res = await t.call("POST", "/api/messages/status", {
      ...other,
      body: { ...msg("unconnected", "alice@acme.com", "2026-11-26T11:00:00Z"), to: ["lee@contoso.com"] },
    });
    expect(await res.json()).toMatchObject({ connection: "not_connected", nextSweepAt: null, awaitsSweep: true });
  });

  test("follows SWEEP_WINDOW_HOURS: with 48 hours, the older message is still ahead of a sweep", async () => {
    const base = testConfig();
    const wide = await createHarness({
      config: { ...base, sweep: { ...base.sweep, windowHours: 48 } },
      sweeps: { nextSweepAt: async () => NEXT_SWEEP },
    });
    try {
      wide.clock.set(fixture.now);
      const me = await (await wide.call("GET", "/api/me")).json();
      await saveConnection(
        wide.h.db,
        me.organization.id,
        me.user.id,
        { homeAccountId: null, tokenCache: null },
        fixture.user.connectedAt,
      );
      const res = await wide.call("POST", "/api/messages/status", {
        body: msg("too-old-for-24h", "nobody@prospect.example", "2026-11-25T10:00:00Z"),
      });
      expect(await res.json()).toMatchObject({ decision: { reason: "no_tracked_contact" }, awaitsSweep: true });
    } finally {
      await wide.close();
    }
  });
});
