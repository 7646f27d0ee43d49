/**
 * What POST /api/mail relies on in the emulated Graph, with a token holding exactly the product's
 * Graph scopes (User.Read Mail.Read Mail.Send): sendMail with a marker extended property, finding the
 * sent copy in Sent Items by `singleValueExtendedProperties/any(…)`, reply (Mail.Send) — and that
 * drafts (POST /me/messages, createReply) still need Mail.ReadWrite.
 */
import { SAMPLE_CLIENT_ID, SAMPLE_USERS } from "../../emulator/sample-data";
import { evaluate, parseFilter } from "../../emulator/odata";
import { startTestEmulator, type TestEmulator } from "./helpers";

const { ada, ben } = SAMPLE_USERS;
const MARKER_ID = "String {6f1c3e2a-9b47-4d1e-8a55-2c0f7b9d4e31} Name EngagementCaptureId";

describe("sending with Mail.Send and Mail.Read only", () => {
  let t: TestEmulator;
  let token: string;
  beforeAll(async () => {
    t = await startTestEmulator();
    token = t.emulator.state.mintAccessToken({
      userId: ada,
      clientId: SAMPLE_CLIENT_ID,
      audience: "https://graph.microsoft.com",
      scopes: ["User.Read", "Mail.Read", "Mail.Send"],
    });
  });
  afterAll(() => t.close());

  async function g(path: string, o: { method?: string; body?: unknown; tok?: string } = {}) {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${o.tok ?? token}`,
      Prefer: 'IdType="ImmutableId"',
    };
    if (o.body !== undefined) headers["Content-Type"] = "application/json";
    const res = await t.outbound.fetch(`${t.emulator.url}/v1.0${path}`, {
      method: o.method ?? "GET",
      headers,
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  }
  const sentItems = () => {
    const folder = t.emulator.state.findFolder(ada, "sentitems")!;
    return t.emulator.state.getMessages(ada).filter((m) => m.folderId === folder.id);
  };
  const marker = (value: string) =>
    `$filter=${encodeURIComponent(`singleValueExtendedProperties/Any(ep: ep/id eq '${MARKER_ID}' and ep/value eq '${value}')`)}`;

  it("drafts need Mail.ReadWrite: POST /me/messages and createReply answer 403", async () => {
    const draft = await g("/me/messages", {
      method: "POST",
      body: { subject: "x", toRecipients: [{ emailAddress: { address: "ben@contoso.com" } }] },
    });
    expect(draft.status).toBe(403);
    expect(draft.json.error.code).toBe("ErrorAccessDenied");
    const original = t.emulator.state.addMessage(ada, {
      from: "ben@contoso.com",
      to: ["ada@contoso.com"],
      subject: "Hello",
    });
    const createReply = await g(`/me/messages/${encodeURIComponent(original.immutableId)}/createReply`, {
      method: "POST",
      body: {},
    });
    expect(createReply.status).toBe(403);
  });

  it("sendMail keeps the marker on the Sent Items copy only; the marker filter finds exactly that copy", async () => {
    const body = (value: string, subject: string) => ({
      message: {
        subject,
        body: { contentType: "Text", content: "Hi" },
        toRecipients: [{ emailAddress: { address: "ben@contoso.com" } }],
        singleValueExtendedProperties: [{ id: MARKER_ID, value }],
      },
      saveToSentItems: true,
    });
    expect((await g("/me/sendMail", { method: "POST", body: body("m-1", "First") })).status).toBe(202);
    expect((await g("/me/sendMail", { method: "POST", body: body("m-2", "Second") })).status).toBe(202);

    const expand = `$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=id eq 'String 0x001A' or id eq '${MARKER_ID}')`)}`;
    const found = await g(`/me/mailFolders/sentitems/messages?${marker("m-2")}&$select=subject,isDraft&${expand}`);
    expect(found.status).toBe(200);
    expect(found.json.value).toHaveLength(1);
    expect(found.json.value[0]).toMatchObject({ subject: "Second", isDraft: false });
    // The expanded properties: the message class and the marker (Exchange's own id spelling for the tag).
    expect(found.json.value[0].singleValueExtendedProperties).toEqual([
      { id: "String 0x1a", value: "IPM.Note" },
      { id: MARKER_ID, value: "m-2" },
    ]);
    // Ids compare case-insensitively, as Exchange's do.
    expect(
      (await g(`/me/mailFolders/sentitems/messages?${marker("m-1").replace("6f1c3e2a", "6F1C3E2A")}`)).json.value.map(
        (m: { subject: string }) => m.subject,
      ),
    ).toEqual(["First"]);
    expect((await g(`/me/mailFolders/sentitems/messages?${marker("no-such")}`)).json.value).toEqual([]);
    // The recipient's copy does not carry the sender's extended property.
    const bens = t.emulator.state.getMessages(ben).filter((m) => m.subject === "Second");
    expect(bens).toHaveLength(1);
    expect(bens[0].singleValueExtendedProperties).toEqual([]);
  });

  it("a malformed extended property is a 400, nothing sent", async () => {
    const before = sentItems().length;
    const r = await g("/me/sendMail", {
      method: "POST",
      body: {
        message: {
          subject: "x",
          toRecipients: [{ emailAddress: { address: "ben@contoso.com" } }],
          singleValueExtendedProperties: [{ id: MARKER_ID, value: 5 }],
        },
      },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("ErrorInvalidExtendedProperty");
    expect(sentItems()).toHaveLength(before);
  });

  it("reply needs only Mail.Send: sent at once in the original's conversation, nothing in Drafts, 202 without an id", async () => {
    const original = t.emulator.state.addMessage(ada, {
      from: "ben@contoso.com",
      to: ["ada@contoso.com"],
      subject: "Invoices",
      internetMessageId: "<inv@contoso.com>",
    });
    const drafts = t.emulator.state.findFolder(ada, "drafts")!;
    const draftCount = () => t.emulator.state.getMessages(ada).filter((m) => m.folderId === drafts.id).length;
    const draftsBefore = draftCount();
    const r = await g(`/me/messages/${encodeURIComponent(original.immutableId)}/reply`, {
      method: "POST",
      body: {
        message: {
          toRecipients: [{ emailAddress: { address: "ben@contoso.com" } }],
          body: { contentType: "Text", content: "Resent." },
        },
      },
    });
    expect(r.status).toBe(202);
    expect(r.json).toBeNull();
    const sent = sentItems().filter((m) => m.conversationId === original.conversationId);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      subject: "RE: Invoices",
      isDraft: false,
      body: { contentType: "text", content: "Resent." },
    });
    expect(sent[0].internetMessageHeaders).toEqual(
      expect.arrayContaining([{ name: "In-Reply-To", value: "<inv@contoso.com>" }]),
    );
    expect(draftCount()).toBe(draftsBefore);
    expect(t.emulator.state.requestCounts(ada).byKind.reply).toBe(1);
    // Found again by conversation and time, as the product does for replies.
    const filter = encodeURIComponent(
      `conversationId eq '${original.conversationId}' and sentDateTime ge ${new Date(t.emulator.state.now().getTime() - 60_000).toISOString()}`,
    );
    expect((await g(`/me/mailFolders/sentitems/messages?$filter=${filter}`)).json.value).toHaveLength(1);
  });

  it("reply: comment and body together are a 400; without Mail.Send a 403", async () => {
    const original = t.emulator.state.addMessage(ada, {
      from: "ben@contoso.com",
      to: ["ada@contoso.com"],
      subject: "Both",
    });
    const path = `/me/messages/${encodeURIComponent(original.immutableId)}/reply`;
    const both = await g(path, {
      method: "POST",
      body: { comment: "a", message: { body: { contentType: "Text", content: "b" } } },
    });
    expect(both.status).toBe(400);
    const readOnly = t.emulator.state.mintAccessToken({
      userId: ada,
      clientId: SAMPLE_CLIENT_ID,
      audience: "https://graph.microsoft.com",
      scopes: ["Mail.Read"],
    });
    expect((await g(path, { method: "POST", body: { comment: "x" }, tok: readOnly })).status).toBe(403);
  });
});

describe("OData any lambda", () => {
  const item = {
    props: [
      { id: "A", value: "1" },
      { id: "B", value: "2" },
    ],
    subject: "s",
  };
  test.each([
    ["props/any(p: p/id eq 'B' and p/value eq '2')", true],
    ["props/Any(p: p/id eq 'B' and p/value eq '1')", false],
    ["subject eq 's' and props/any(x: x/value eq '1')", true],
    ["not props/any(x: x/id eq 'C')", true],
    ["missing/any(x: x/id eq 'A')", false],
  ])("%s → %s", (filter, expected) => {
    expect(evaluate(parseFilter(filter), item)).toBe(expected);
  });
  it("rejects a lambda without its variable", () => {
    expect(() => parseFilter("props/any(p/id eq 'A')")).toThrow(/lambda/);
  });
});
