import { describeForUser, GraphRequestFailedError, MalformedGraphResponseError } from "../../server/sweep/errors";
import {
  parseListedMessage,
  parseMessageContent,
  participantsOf,
  syntheticMessageId,
  toMessageFacts,
} from "../../server/sweep/message-facts";

const good = () => ({
  "@odata.etag": 'W/"x"',
  id: "AAkALgImmutable=",
  internetMessageId: " <abc@acme.com> ",
  conversationId: "AAQk=",
  parentFolderId: "AAMkInbox=",
  from: { emailAddress: { name: "Alice", address: "Alice@ACME.com" } },
  toRecipients: [{ emailAddress: { name: "Dana", address: "dana@contoso.com" } }],
  ccRecipients: [
    { emailAddress: { name: "Alice again", address: "alice@acme.com" } },
    { emailAddress: { name: "Nobody" } },
  ],
  sentDateTime: "2026-11-26T09:00:00Z",
  receivedDateTime: "2026-11-26T09:00:05Z",
  isDraft: false,
  webLink: "https://outlook.office365.com/owa/?ItemID=x",
  singleValueExtendedProperties: [{ id: "String 0x1a", value: "IPM.Note.SMIME" }],
});

describe("parseListedMessage", () => {
  it("reads the fields the rules and the engagement need", () => {
    const m = parseListedMessage(good());
    expect(m.internetMessageId).toBe("<abc@acme.com>");
    expect(m.messageClass).toBe("IPM.Note.SMIME");
    expect(m.receivedDateTime).toBe("2026-11-26T09:00:05.000Z");
    const facts = toMessageFacts(m, []);
    expect(facts).toMatchObject({
      from: "Alice@ACME.com",
      to: ["dana@contoso.com"],
      cc: ["alice@acme.com", null],
      isDraft: false,
      folderPath: [],
    });
    // Participants are normalised and de-duplicated, bcc never appears.
    expect(participantsOf(m)).toEqual([
      { address: "alice@acme.com", name: "Alice", role: "from" },
      { address: "dana@contoso.com", name: "Dana", role: "to" },
    ]);
  });

  it("takes the event type and a missing message class as given", () => {
    const raw = { ...good(), "@odata.type": "#microsoft.graph.eventMessage" } as Record<string, unknown>;
    delete raw.singleValueExtendedProperties;
    const m = parseListedMessage(raw);
    expect(m.odataType).toBe("#microsoft.graph.eventMessage");
    expect(m.messageClass).toBeNull();
  });

  it("reads unset fields as null whether sent as null or left out", () => {
    const raw = good() as Record<string, unknown>;
    delete raw.sentDateTime;
    delete raw.from;
    delete raw.ccRecipients;
    const m = parseListedMessage(raw);
    expect([m.sentDateTime, m.from, m.cc]).toEqual([null, null, []]);
  });

  it("accepts nulls Graph uses for unset values, and keys a message without internetMessageId by its immutable id", () => {
    const m = parseListedMessage({
      ...good(),
      internetMessageId: null,
      from: null,
      sentDateTime: null,
      ccRecipients: null,
      webLink: null,
    });
    expect(m.internetMessageId).toBe(syntheticMessageId("AAkALgImmutable="));
    expect(m.from).toBeNull();
    expect(m.cc).toEqual([]);
  });

  it.each([
    ["a missing isDraft", (r: Record<string, unknown>) => delete r.isDraft],
    ["a missing receivedDateTime", (r: Record<string, unknown>) => delete r.receivedDateTime],
    ["a missing id", (r: Record<string, unknown>) => delete r.id],
    ["a number where a string belongs", (r: Record<string, unknown>) => (r.internetMessageId = 42)],
    ["recipients that are not a list", (r: Record<string, unknown>) => (r.toRecipients = "dana@contoso.com")],
    ["a bad date", (r: Record<string, unknown>) => (r.receivedDateTime = "yesterday")],
    ["a null receivedDateTime", (r: Record<string, unknown>) => (r.receivedDateTime = null)],
    ["isDraft as a string", (r: Record<string, unknown>) => (r.isDraft = "false")],
    ["extended properties that are not a list", (r: Record<string, unknown>) => (r.singleValueExtendedProperties = {})],
  ])("rejects %s as malformed", (_name, mutate) => {
    const raw = good() as Record<string, unknown>;
    mutate(raw);
    expect(() => parseListedMessage(raw)).toThrow(MalformedGraphResponseError);
  });

  it("rejects a non-object item", () => {
    expect(() => parseListedMessage("message")).toThrow(MalformedGraphResponseError);
  });
});

describe("parseMessageContent", () => {
  it("keeps the full body and previews the part new to this message", () => {
    const c = parseMessageContent({
      subject: "Renewal",
      bodyPreview: "Hi Dana, quoted…",
      body: { contentType: "text", content: "Hi Dana\r\n\r\n> quoted" },
      uniqueBody: { contentType: "text", content: "Hi   Dana\r\n" },
    });
    expect(c).toEqual({ subject: "Renewal", bodyText: "Hi Dana\r\n\r\n> quoted", bodyPreview: "Hi Dana" });
  });
  it("rejects a body that is not an item body", () => {
    expect(() => parseMessageContent({ body: "text" })).toThrow(MalformedGraphResponseError);
  });
});

describe("describeForUser (the sweep error users read)", () => {
  test("a database's own error text stays out of it", () => {
    const pg = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      name: "error",
      severity: "ERROR",
      code: "22021",
    });
    const sqlite = Object.assign(new Error("UNIQUE constraint failed: engagements.internet_message_id"), {
      name: "SqliteError",
      code: "SQLITE_CONSTRAINT_UNIQUE",
    });
    for (const err of [pg, sqlite]) {
      const text = describeForUser(err);
      expect(text).toBe("The sweep stopped on an internal database error; the next sweep will try again.");
    }
    expect(
      describeForUser(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })),
    ).toMatch(/database was not reachable/);
  });
  test("the sweep's own errors keep their message", () => {
    expect(describeForUser(new GraphRequestFailedError("Graph kept answering 503.", 503, null))).toContain(
      "Graph kept answering 503.",
    );
    expect(
      describeForUser(
        new MalformedGraphResponseError('Graph returned a malformed message: "subject" is not a string.'),
      ),
    ).toContain('"subject" is not a string');
  });
});
