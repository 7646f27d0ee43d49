/**
 * Mail send against the emulator through the real Graph SDK, with the product's Graph scopes only
 * (User.Read Mail.Read Mail.Send): send as the user → in Sent Items and captured at once as one
 * engagement; the next sweep changes nothing; idempotency keys never send twice (also across a crash
 * between send and store, and when the send's answer is lost); every error answer.
 */
import type { EngagementView } from "../../shared/api/contract";
import { MARKER_PROPERTY_ID, requestHash, sendMailSchema } from "../../server/mail/compose";
import type { SendMailResponse } from "../../server/mail/send";
import { CONNECT_SCOPES, GRAPH_SCOPES } from "../../server/identity/msal-client";
import { ADA, BOB, dataset, startConnect } from "../connect/harness";
import { startMailHarness, type MailHarness } from "./harness";

jest.setTimeout(60_000);

const T0 = "2026-11-20T09:00:00.000Z";
const CAROL = "carol@client.example";
const adaUser = dataset.users!.find((u) => u.id === ADA.id)!;

let s: MailHarness;
let ada: string;
let carolId: string;

beforeAll(async () => {
  s = await startMailHarness();
  s.setTime(T0);
  ada = await s.connect(adaUser);
  carolId = await s.addContact(CAROL, "2026-01-01T00:00:00Z");
});
afterAll(async () => {
  await s?.close();
});

const st = () => s.h.emulator.state;
const sends = () => {
  const c = st().requestCounts(ADA.id).byKind;
  return { createDraft: c.createDraft, send: c.send, sendMail: c.sendMail, reply: c.reply };
};
const markerOf = (m: { singleValueExtendedProperties: { id: string; value: string }[] }) =>
  m.singleValueExtendedProperties.find((p) => p.id === MARKER_PROPERTY_ID)?.value ?? null;
const sentItems = () => {
  const folder = st().findFolder(ADA.id, "sentitems")!;
  return st()
    .getMessages(ADA.id)
    .filter((m) => m.folderId === folder.id);
};
const drafts = () => {
  const folder = st().findFolder(ADA.id, "drafts")!;
  return st()
    .getMessages(ADA.id)
    .filter((m) => m.folderId === folder.id);
};
async function snapshot() {
  const db = s.h.db;
  return {
    engagements: await db.selectFrom("engagements").selectAll().orderBy("id").execute(),
    contacts: await db
      .selectFrom("engagementContacts")
      .selectAll()
      .orderBy("engagementId")
      .orderBy("contactId")
      .execute(),
    mailboxes: await db
      .selectFrom("engagementMailboxes")
      .selectAll()
      .orderBy("engagementId")
      .orderBy("userId")
      .execute(),
    decisions: await db.selectFrom("captureDecisions").selectAll().orderBy("messageKey").execute(),
  };
}
const mailTo = (to: string[], subject: string, content = "Hello", extra: Record<string, unknown> = {}) => ({
  to,
  subject,
  body: { contentType: "text", content },
  ...extra,
});

describe("send → Sent Items → one engagement, at once", () => {
  let first: SendMailResponse;
  const body = mailTo([`Carol <${CAROL}>`], "Renewal next week", "Shall we talk about the renewal?", {
    cc: ["bob@contoso.com"],
  });

  test("201: sent with sendMail (no draft), found in Sent Items by its marker, captured and linked", async () => {
    const before = sends();
    const res = await s.send(ADA.id, body, { "Idempotency-Key": "renewal-1" });
    expect(res.status).toBe(201);
    first = (await res.json()) as SendMailResponse;
    expect(first).toMatchObject({
      sent: true,
      captured: true,
      decision: { outcome: "captured", reason: null },
      bodySanitized: false,
      replyTo: null,
    });
    expect(first.decision.explanation).toContain(CAROL);
    expect(sends()).toEqual({ ...before, sendMail: before.sendMail + 1 });

    const inSent = sentItems().filter((m) => m.internetMessageId === first.internetMessageId);
    expect(inSent).toHaveLength(1);
    expect(inSent[0]).toMatchObject({ isDraft: false, subject: "Renewal next week" });
    expect(inSent[0].toRecipients.map((r) => r.emailAddress.address)).toEqual([CAROL]);
    expect(inSent[0].ccRecipients.map((r) => r.emailAddress.address)).toEqual(["bob@contoso.com"]);
    expect(drafts()).toHaveLength(0);
    expect(markerOf(inSent[0])).toMatch(/^[0-9a-f-]{36}$/);
    // Delivered: Bob (an emulated user) got it with the same internetMessageId.
    expect(
      st()
        .getMessages(BOB.id)
        .some((m) => m.internetMessageId === first.internetMessageId),
    ).toBe(true);

    const e = first.engagement as EngagementView;
    expect(e).toMatchObject({
      internetMessageId: first.internetMessageId,
      direction: "outbound",
      subject: "Renewal next week",
      from: "ada.lovelace@contoso.com",
    });
    expect(e.contacts.map((c) => c.id)).toEqual([carolId]);
    expect(e.participants.map((p) => [p.address, p.role])).toEqual([
      ["ada.lovelace@contoso.com", "from"],
      [CAROL, "to"],
      ["bob@contoso.com", "cc"],
    ]);

    const db = s.h.db;
    const engagements = await db
      .selectFrom("engagements")
      .selectAll()
      .where("internetMessageId", "=", first.internetMessageId)
      .execute();
    expect(engagements).toHaveLength(1);
    expect(engagements[0].bodyText).toBe("Shall we talk about the renewal?");
    const links = await db.selectFrom("engagementMailboxes").selectAll().where("engagementId", "=", e.id).execute();
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({ userId: ada, graphMessageId: inSent[0].immutableId });
    expect(links[0].webLink).toContain(encodeURIComponent(inSent[0].immutableId));
    expect(await s.decisionOf(ada, first.internetMessageId)).toMatchObject({ outcome: "captured", reason: null });
  });

  test("the same Idempotency-Key and body: the first answer again (200, replayed), nothing sent", async () => {
    const before = sends();
    const sentBefore = sentItems().length;
    const res = await s.send(ADA.id, body, { "Idempotency-Key": "renewal-1" });
    expect(res.status).toBe(200);
    expect(res.headers.get("idempotency-replayed")).toBe("true");
    expect(await res.json()).toEqual(first);
    expect(sends()).toEqual(before);
    expect(sentItems()).toHaveLength(sentBefore);
  });

  test("the same key with a different body: 422 idempotency_key_reused, nothing sent", async () => {
    const before = sends();
    const res = await s.send(ADA.id, { ...body, subject: "Something else" }, { "Idempotency-Key": "renewal-1" });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("idempotency_key_reused");
    expect(sends()).toEqual(before);
  });

  test("the key's row: this organization and user, done, with the marker the sent message carries", async () => {
    const row = await s.h.db.selectFrom("idempotencyKeys").selectAll().where("key", "=", "renewal-1").execute();
    expect(row).toHaveLength(1);
    expect(row[0]).toMatchObject({ organizationId: s.orgId, userId: ada, status: "done", sendStartedAt: T0 });
    expect(row[0].sendMarker).toBe(markerOf(sentItems().find((m) => m.internetMessageId === first.internetMessageId)!));
    // Each send has its own marker.
    const markers = sentItems().map(markerOf).filter(Boolean);
    expect(new Set(markers).size).toBe(markers.length);
  });

  test("to no tracked contact: sent, not captured, and the answer says why", async () => {
    const res = await s.send(ADA.id, mailTo(["someone@elsewhere.example"], "Hi there"));
    expect(res.status).toBe(201);
    const out = (await res.json()) as SendMailResponse;
    expect(out).toMatchObject({
      sent: true,
      captured: false,
      engagement: null,
      decision: {
        outcome: "excluded",
        reason: "no_tracked_contact",
        action: { kind: "track_contact", address: "someone@elsewhere.example" },
      },
    });
    expect(out.decision.explanation).toMatch(/tracked contact/);
    expect(sentItems().filter((m) => m.internetMessageId === out.internetMessageId)).toHaveLength(1);
    expect(await s.decisionOf(ada, out.internetMessageId)).toMatchObject({
      outcome: "excluded",
      reason: "no_tracked_contact",
    });
    expect(
      await s.h.db
        .selectFrom("engagements")
        .select("id")
        .where("internetMessageId", "=", out.internetMessageId)
        .execute(),
    ).toHaveLength(0);
  });

  test("HTML is sanitised before sending: no script, handler, style or javascript: link", async () => {
    const html =
      '<p style="color:red" onclick="steal()">Hello <b>Carol</b>, see <a href="https://example.com/deck" onmouseover="x()">the deck</a>' +
      ' or <a href="javascript:alert(1)">this</a>.</p><script>alert(document.cookie)</script><style>p{}</style><img src="x" onerror="y()">';
    const res = await s.send(ADA.id, { to: [CAROL], subject: "Deck", body: { contentType: "html", content: html } });
    expect(res.status).toBe(201);
    const out = (await res.json()) as SendMailResponse;
    expect(out.bodySanitized).toBe(true);
    const sent = sentItems().find((m) => m.internetMessageId === out.internetMessageId)!;
    expect(sent.body.contentType).toBe("html");
    expect(sent.body.content).toContain("<b>Carol</b>");
    expect(sent.body.content).toContain('<a href="https://example.com/deck">the deck</a>');
    for (const bad of [
      "<script",
      "alert",
      "onclick",
      "onmouseover",
      "onerror",
      "javascript:",
      "<style",
      "style=",
      "<img",
    ]) {
      expect(sent.body.content).not.toContain(bad);
    }
  });

  test("two concurrent requests with one key: one sends, the other is told it is in progress", async () => {
    const before = sends();
    const body2 = mailTo([CAROL], "Concurrent", "Only once, please.");
    const [a, b] = await Promise.all([
      s.send(ADA.id, body2, { "Idempotency-Key": "twice-at-once" }),
      s.send(ADA.id, body2, { "Idempotency-Key": "twice-at-once" }),
    ]);
    // Normally the second arrives while the first holds the key (409); had the first already finished, it would be a replay (200).
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual(statuses[0] === 200 ? [200, 201] : [201, 409]);
    const other = a.status === 201 ? b : a;
    if (other.status === 409)
      expect(((await other.json()) as { error: { code: string } }).error.code).toBe("request_in_progress");
    expect(sends().sendMail).toBe(before.sendMail + 1);
    expect(sentItems().filter((m) => m.subject === "Concurrent")).toHaveLength(1);
    // Once done, the repeat is a replay.
    const again = await s.send(ADA.id, body2, { "Idempotency-Key": "twice-at-once" });
    expect(again.status).toBe(200);
  });

  test("the next sweep over the window adds nothing and changes no decision", async () => {
    s.advance(5 * 60_000); // the sweep's window ends before "now"; the sent messages are in it
    const before = await snapshot();
    expect(before.engagements.length).toBeGreaterThanOrEqual(2);
    const sweep = await (await s.sweeps.sweepNow(s.orgId, ada, "manual")).done;
    expect(sweep.status).toBe("succeeded");
    expect(sweep.listed).toBe(sentItems().length); // it did see every sent message
    expect(await snapshot()).toEqual(before);
  });
});

describe("reply to an engagement", () => {
  test("reply (Mail.Send, no draft) in the original's conversation; found by conversation and recipients; captured with the contact", async () => {
    // Carol writes to Ada; the sweep captures it (an engagement with Ada's mailbox link).
    s.advance(60_000);
    const original = st().addMessage(ADA.id, {
      from: { name: "Carol", address: CAROL },
      to: ["ada@contoso.com"],
      subject: "Question about invoices",
      body: "Can you resend March?",
      internetMessageId: "<q-invoices@client.example>",
    });
    s.advance(60_000);
    await (
      await s.sweeps.sweepNow(s.orgId, ada, "manual")
    ).done;
    const engagementId = (
      await s.h.db
        .selectFrom("engagements")
        .select("id")
        .where("internetMessageId", "=", original.internetMessageId)
        .executeTakeFirstOrThrow()
    ).id;

    const before = sends();
    const res = await s.send(
      ADA.id,
      { to: [CAROL], subject: "", body: { contentType: "text", content: "Attached again." }, replyTo: engagementId },
      { "Idempotency-Key": "reply-1" },
    );
    expect(res.status).toBe(201);
    const out = (await res.json()) as SendMailResponse;
    expect(out).toMatchObject({ captured: true, replyTo: engagementId });
    expect(sends()).toEqual({ ...before, reply: before.reply + 1 });
    expect(drafts()).toHaveLength(0);
    const reply = sentItems().find((m) => m.internetMessageId === out.internetMessageId)!;
    expect(reply.subject).toBe("RE: Question about invoices");
    expect(reply.conversationId).toBe(original.conversationId);
    expect(reply.internetMessageHeaders).toEqual(
      expect.arrayContaining([{ name: "In-Reply-To", value: original.internetMessageId }]),
    );
    expect(out.engagement).toMatchObject({
      conversationId: original.conversationId,
      subject: "RE: Question about invoices",
      direction: "outbound",
    });
    expect(out.internetMessageId).not.toBe(original.internetMessageId);
    // Stored as the sweep stores it: the sent copy's immutable id in Ada's mailbox.
    const link = await s.h.db
      .selectFrom("engagementMailboxes")
      .selectAll()
      .where("engagementId", "=", out.engagement!.id)
      .executeTakeFirstOrThrow();
    expect(link.graphMessageId).toBe(reply.immutableId);
  });

  test("an engagement not in the caller's mailbox cannot be replied to; an unknown one is 404", async () => {
    const bobMsg = st().addMessage(BOB.id, {
      from: CAROL,
      to: ["bob@contoso.com"],
      subject: "Only Bob",
      internetMessageId: "<only-bob@client.example>",
    });
    const [row] = await s.h.db
      .insertInto("engagements")
      .values({
        id: "eng-only-bob",
        organizationId: s.orgId,
        internetMessageId: bobMsg.internetMessageId,
        conversationId: null,
        subject: "Only Bob",
        bodyText: null,
        bodyPreview: null,
        direction: "inbound",
        messageTime: T0,
        sentAt: T0,
        receivedAt: T0,
        fromAddress: CAROL,
        participants: "[]",
        createdAt: T0,
      })
      .returning("id")
      .execute();
    const before = sends();
    const notMine = await s.send(ADA.id, mailTo([CAROL], "Re", "x", { replyTo: row.id }));
    expect(notMine.status).toBe(422);
    expect(((await notMine.json()) as { error: { code: string } }).error.code).toBe("reply_not_in_mailbox");
    const unknown = await s.send(ADA.id, mailTo([CAROL], "Re", "x", { replyTo: "no-such-engagement" }));
    expect(unknown.status).toBe(404);
    expect(sends()).toEqual(before);
  });
});

describe("never sent twice: a crash between send and store, a lost answer, an ambiguous failure", () => {
  const body = mailTo([CAROL], "After the crash", "Sent before the process died.");
  const hashOf = (b: unknown) => requestHash(sendMailSchema.parse(b));

  /** What a process leaves behind when it dies after recording its send attempt: the key in progress with the marker, lease expired. */
  async function crashedKey(key: string, b: unknown, marker: string) {
    await s.h.db
      .insertInto("idempotencyKeys")
      .values({
        organizationId: s.orgId,
        userId: ada,
        key,
        requestHash: hashOf(b),
        response: null,
        status: "in_progress",
        createdAt: s.h.clock.now().toISOString(),
        sendMarker: marker,
        sendStartedAt: s.h.clock.now().toISOString(),
        lockedUntil: new Date(s.h.clock.now().getTime() - 1000).toISOString(),
      })
      .execute();
  }
  const keyRow = (key: string) =>
    s.h.db.selectFrom("idempotencyKeys").selectAll().where("key", "=", key).executeTakeFirst();

  test("marker stored, message sent, answer lost in the crash: the retry finds it by its marker, captures it and does not send", async () => {
    await crashedKey("crash-sent", body, "marker-crash-sent");
    // Exchange did send it: the Sent Items copy carries the marker.
    const sent = st().deliver(
      ADA.id,
      {
        to: [CAROL],
        subject: body.subject,
        body: body.body.content,
        bodyContentType: "text",
        singleValueExtendedProperties: [{ id: MARKER_PROPERTY_ID, value: "marker-crash-sent" }],
      },
      true,
    )!;
    const before = sends();
    const res = await s.send(ADA.id, body, { "Idempotency-Key": "crash-sent" });
    expect(res.status).toBe(201);
    const out = (await res.json()) as SendMailResponse;
    expect(out).toMatchObject({
      internetMessageId: sent.internetMessageId,
      captured: true,
      decision: { outcome: "captured" },
    });
    expect(sends()).toEqual(before);
    expect(sentItems().filter((m) => m.subject === body.subject)).toHaveLength(1);
    expect((await keyRow("crash-sent"))!.status).toBe("done");
    // And the repeat is a replay of that answer.
    const again = await s.send(ADA.id, body, { "Idempotency-Key": "crash-sent" });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(out);
    expect(sends()).toEqual(before);
  });

  test("marker stored, nothing in Sent Items: 409 send_state_unknown, nothing sent, the key kept; found later → 201 without sending", async () => {
    const b = mailTo([CAROL], "Unknown state", "Did it go?");
    await crashedKey("crash-unknown", b, "marker-crash-unknown");
    const before = sends();
    const res = await s.send(ADA.id, b, { "Idempotency-Key": "crash-unknown" });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("send_state_unknown");
    expect(sends()).toEqual(before);
    expect(await keyRow("crash-unknown")).toMatchObject({
      status: "in_progress",
      sendMarker: "marker-crash-unknown",
      lockedUntil: null,
    });
    // Asking again does not send either.
    expect((await s.send(ADA.id, b, { "Idempotency-Key": "crash-unknown" })).status).toBe(409);
    expect(sends()).toEqual(before);
    // Exchange filed it late after all: the next retry finds and captures it.
    const late = st().deliver(
      ADA.id,
      {
        to: [CAROL],
        subject: b.subject,
        body: b.body.content,
        bodyContentType: "text",
        singleValueExtendedProperties: [{ id: MARKER_PROPERTY_ID, value: "marker-crash-unknown" }],
      },
      true,
    )!;
    const found = await s.send(ADA.id, b, { "Idempotency-Key": "crash-unknown" });
    expect(found.status).toBe(201);
    expect(((await found.json()) as SendMailResponse).internetMessageId).toBe(late.internetMessageId);
    expect(sends()).toEqual(before);
  });

  test("a reply's send attempt stored, the reply sent: the retry finds it by conversation, time and recipients, and does not send", async () => {
    const original = st().addMessage(ADA.id, {
      from: { name: "Carol", address: CAROL },
      to: ["ada@contoso.com"],
      subject: "Crash reply",
      internetMessageId: "<crash-reply@client.example>",
    });
    s.advance(60_000);
    await (
      await s.sweeps.sweepNow(s.orgId, ada, "manual")
    ).done;
    const engagementId = (
      await s.h.db
        .selectFrom("engagements")
        .select("id")
        .where("internetMessageId", "=", original.internetMessageId)
        .executeTakeFirstOrThrow()
    ).id;
    const b = {
      to: [CAROL],
      subject: "",
      body: { contentType: "text", content: "Replying before the crash." },
      replyTo: engagementId,
    };
    await crashedKey("crash-reply", b, "marker-crash-reply");
    // Another reply in the conversation to someone else is not taken for ours.
    st().deliver(
      ADA.id,
      {
        to: ["someone@elsewhere.example"],
        subject: "RE: Crash reply",
        body: "Not this one",
        bodyContentType: "text",
        conversationId: original.conversationId,
      },
      true,
    );
    const ours = st().deliver(
      ADA.id,
      {
        to: [CAROL],
        subject: "RE: Crash reply",
        body: b.body.content,
        bodyContentType: "text",
        conversationId: original.conversationId,
      },
      true,
    )!;
    const before = sends();
    const res = await s.send(ADA.id, b, { "Idempotency-Key": "crash-reply" });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      internetMessageId: ours.internetMessageId,
      captured: true,
      replyTo: engagementId,
    });
    expect(sends()).toEqual(before);
  });

  test("the send reached Exchange but its answer was lost: no replay; found by its marker; 201, captured, sent once", async () => {
    const realFetch = globalThis.fetch;
    let dropped = 0;
    const spy = jest.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const res = await realFetch(input, init);
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      if (/\/sendMail$/i.test(url)) {
        dropped++;
        throw new TypeError("fetch failed"); // the connection dropped after Graph accepted it
      }
      return res;
    });
    try {
      const b = mailTo([CAROL], "Lost answer", "Did it arrive?");
      const before = sends();
      const res = await s.send(ADA.id, b, { "Idempotency-Key": "lost-answer" });
      expect(res.status).toBe(201);
      const out = (await res.json()) as SendMailResponse;
      expect(out).toMatchObject({ captured: true });
      expect(dropped).toBe(1);
      expect(sends()).toEqual({ ...before, sendMail: before.sendMail + 1 });
      expect(sentItems().filter((m) => m.subject === "Lost answer")).toHaveLength(1);
      expect(sentItems().find((m) => m.subject === "Lost answer")!.internetMessageId).toBe(out.internetMessageId);
    } finally {
      spy.mockRestore();
    }
  });

  test("Graph 504 on the send: not replayed (it may have been sent); not in Sent Items → 409 send_state_unknown, and the key never sends", async () => {
    const fault = st().injectFault({ status: 504, match: { path: /\/sendMail$/, method: "POST", userId: ADA.id } });
    try {
      const b = mailTo([CAROL], "Gateway timeout");
      const before = sends();
      const res = await s.send(ADA.id, b, { "Idempotency-Key": "gateway-504" });
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("send_state_unknown");
      expect(sends()).toEqual({ ...before, sendMail: before.sendMail + 1 });
      st().removeFault(fault);
      expect((await s.send(ADA.id, b, { "Idempotency-Key": "gateway-504" })).status).toBe(409);
      expect(sends()).toEqual({ ...before, sendMail: before.sendMail + 1 });
      // A new key sends it.
      expect((await s.send(ADA.id, b, { "Idempotency-Key": "gateway-504-new" })).status).toBe(201);
    } finally {
      st().removeFault(fault);
    }
  });

  test("a key still held by a live request: 409 request_in_progress, nothing sent", async () => {
    await s.h.db
      .insertInto("idempotencyKeys")
      .values({
        organizationId: s.orgId,
        userId: ada,
        key: "busy",
        requestHash: hashOf(body),
        response: null,
        status: "in_progress",
        createdAt: s.h.clock.now().toISOString(),
        sendMarker: null,
        sendStartedAt: null,
        lockedUntil: new Date(s.h.clock.now().getTime() + 60_000).toISOString(),
      })
      .execute();
    const before = sends();
    const res = await s.send(ADA.id, body, { "Idempotency-Key": "busy" });
    expect(res.status).toBe(409);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("request_in_progress");
    expect(sends()).toEqual(before);
  });

  test("a key whose holder died before sending (no attempt recorded): the retry sends, once", async () => {
    const b = mailTo([CAROL], "Died before sending");
    await s.h.db
      .insertInto("idempotencyKeys")
      .values({
        organizationId: s.orgId,
        userId: ada,
        key: "died-early",
        requestHash: hashOf(b),
        response: null,
        status: "in_progress",
        createdAt: s.h.clock.now().toISOString(),
        sendMarker: null,
        sendStartedAt: null,
        lockedUntil: new Date(s.h.clock.now().getTime() - 1000).toISOString(),
      })
      .execute();
    const before = sends();
    const res = await s.send(ADA.id, b, { "Idempotency-Key": "died-early" });
    expect(res.status).toBe(201);
    expect(sends()).toEqual({ ...before, sendMail: before.sendMail + 1 });
    expect(sentItems().filter((m) => m.subject === "Died before sending")).toHaveLength(1);
  });
});

describe("the product's delegated scopes are enough (no Mail.ReadWrite)", () => {
  const claims = (jwt: string) =>
    JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8")) as { scp?: string; aud?: string };

  test("requested at connect: exactly openid profile email offline_access User.Read Mail.Read Mail.Send", async () => {
    expect([...GRAPH_SCOPES].sort()).toEqual(["Mail.Read", "Mail.Send", "User.Read"]);
    const expected = ["Mail.Read", "Mail.Send", "User.Read", "email", "offline_access", "openid", "profile"];
    expect([...CONNECT_SCOPES].sort()).toEqual(expected);
    const url = await startConnect(s.h, ADA.id);
    expect(url.searchParams.get("scope")!.split(" ").sort()).toEqual(expected);
  });

  test("granted: the Graph token every send above used holds exactly User.Read Mail.Read Mail.Send (+ openid profile email), and cannot make a draft", async () => {
    const token = await s.h.service.getGraphAccessToken(s.orgId, ada);
    const c = claims(token);
    expect(c.aud).toBe("https://graph.microsoft.com");
    expect(String(c.scp).split(" ").sort()).toEqual([
      "Mail.Read",
      "Mail.Send",
      "User.Read",
      "email",
      "openid",
      "profile",
    ]);
    // No send above made a draft or sent one…
    expect(sends().createDraft).toBe(0);
    expect(sends().send).toBe(0);
    // …and with this token it could not have: a draft (Mail.ReadWrite) is refused.
    const res = await s.h.outbound.fetch(`${s.h.emulator.url}/v1.0/me/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ subject: "draft", toRecipients: [{ emailAddress: { address: CAROL } }] }),
    });
    expect(res.status).toBe(403);
  });
});

describe("errors", () => {
  const code = async (res: Response) =>
    ((await res.json()) as { error: { code: string; details?: Record<string, unknown> } }).error;

  test("invalid addresses: 422 invalid_address listing them; nothing sent", async () => {
    const before = sends();
    const res = await s.send(ADA.id, mailTo([CAROL, "not-an-address", "Bob Baker"], "x", "y", { cc: ["a@b"] }));
    expect(res.status).toBe(422);
    const e = await code(res);
    expect(e.code).toBe("invalid_address");
    expect(e.details).toEqual({ invalid: ["not-an-address", "Bob Baker", "a@b"] });
    expect(sends()).toEqual(before);
  });

  test("too many recipients: 422 too_many_recipients", async () => {
    const to = Array.from({ length: 40 }, (_, i) => `p${i}@client.example`);
    const cc = Array.from({ length: 11 }, (_, i) => `c${i}@client.example`);
    const res = await s.send(ADA.id, mailTo(to, "x", "y", { cc }));
    expect(res.status).toBe(422);
    const e = await code(res);
    expect(e).toMatchObject({ code: "too_many_recipients", details: { max: 50, count: 51 } });
    const ok = await s.send(ADA.id, mailTo(to, "Fifty", "y", { cc: cc.slice(1) }));
    expect(ok.status).toBe(201);
  });

  test("oversized body: 413 payload_too_large; nothing sent", async () => {
    const before = sends();
    const res = await s.send(ADA.id, mailTo([CAROL], "Big", "x".repeat(1024 * 1024 + 10)));
    expect(res.status).toBe(413);
    expect((await code(res)).code).toBe("payload_too_large");
    // Larger than the other routes' 256 KB, within 1 MB: accepted.
    const mid = await s.send(ADA.id, mailTo([CAROL], "Longish", "x".repeat(300 * 1024)));
    expect(mid.status).toBe(201);
    expect(sends().sendMail).toBe(before.sendMail + 1);
  });

  test("unknown or malformed fields: 400 invalid_request; bad Idempotency-Key: 400", async () => {
    const before = sends();
    const bcc = await s.send(ADA.id, { ...mailTo([CAROL], "x"), bcc: ["secret@client.example"] });
    expect(bcc.status).toBe(400);
    expect((await code(bcc)).code).toBe("invalid_request");
    const longSubject = await s.send(ADA.id, mailTo([CAROL], "s".repeat(256)));
    expect(longSubject.status).toBe(400);
    const noTo = await s.send(ADA.id, { to: [], subject: "x", body: { contentType: "text", content: "y" } });
    expect(noTo.status).toBe(400);
    const badType = await s.send(ADA.id, { to: [CAROL], subject: "x", body: { contentType: "rtf", content: "y" } });
    expect(badType.status).toBe(400);
    const badKey = await s.send(ADA.id, mailTo([CAROL], "x"), { "Idempotency-Key": "has spaces in it" });
    expect(badKey.status).toBe(400);
    expect((await code(badKey)).code).toBe("invalid_idempotency_key");
    expect(sends()).toEqual(before);
  });

  test.each([
    [429, 2],
    [503, 1],
  ])(
    "Graph %i on the send (after the client's retry): 503 graph_unavailable, retryable, Retry-After passed on, nothing sent or stored",
    async (status, retryAfter) => {
      const fault = st().injectFault({
        status,
        retryAfterSeconds: retryAfter,
        match: { path: /\/sendMail$/, method: "POST", userId: ADA.id },
      });
      const before = sends();
      const snap = await snapshot();
      const sentBefore = sentItems().length;
      const key = `throttled-${status}`;
      const body = mailTo([CAROL], `Throttled ${status}`);
      const res = await s.send(ADA.id, body, { "Idempotency-Key": key });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe(String(retryAfter));
      const e = await code(res);
      expect(e).toMatchObject({
        code: "graph_unavailable",
        details: { retryable: true, graphStatus: status, step: "send" },
      });
      expect(st().requestCounts(ADA.id).byKind.sendMail).toBe(before.sendMail + 2); // the first try and one retry (Graph did not act on either)
      expect(sentItems()).toHaveLength(sentBefore);
      expect(sends().createDraft).toBe(before.createDraft);
      expect(await snapshot()).toEqual(snap);
      expect(await s.h.db.selectFrom("idempotencyKeys").select("key").where("key", "=", key).execute()).toHaveLength(0);

      // Graph is back: the same key sends it, once.
      st().removeFault(fault);
      const retry = await s.send(ADA.id, body, { "Idempotency-Key": key });
      expect(retry.status).toBe(201);
      expect(sentItems().filter((m) => m.subject === `Throttled ${status}`)).toHaveLength(1);
    },
  );

  test("not connected: 409 not_connected", async () => {
    await s.h.userIdOf(BOB.id);
    const res = await s.send(BOB.id, mailTo([CAROL], "x"));
    expect(res.status).toBe(409);
    expect((await code(res)).code).toBe("not_connected");
    expect(st().requestCounts(BOB.id).byKind.sendMail).toBe(0);
  });

  test("grant revoked at Entra: 409 reauth_required, nothing sent, the connection needs reconnecting", async () => {
    st().revokeGrant(ADA.id, 50173);
    s.advance(2 * 3600_000); // past the cached access token's lifetime: the refresh is refused
    const before = sends();
    const res = await s.send(ADA.id, mailTo([CAROL], "After revoke"), { "Idempotency-Key": "after-revoke" });
    expect(res.status).toBe(409);
    expect((await code(res)).code).toBe("reauth_required");
    expect(sends()).toEqual(before);
    const conn = await s.h.db
      .selectFrom("mailboxConnections")
      .select("status")
      .where("userId", "=", ada)
      .executeTakeFirstOrThrow();
    expect(conn.status).toBe("reauth_required");
    // And it stays a 409 without asking Entra again.
    const again = await s.send(ADA.id, mailTo([CAROL], "After revoke"), { "Idempotency-Key": "after-revoke" });
    expect(again.status).toBe(409);
  });
});
