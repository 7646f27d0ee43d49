/** The pure part of POST /api/mail: recipients, limits, sanitising, the request hash, Retry-After, Graph bodies and queries. */
import {
  composeMail,
  MARKER_PROPERTY_ID,
  markerFilter,
  MAX_RECIPIENTS,
  replyBody,
  requestHash,
  sanitizeMailHtml,
  sendMailBody,
  sendMailSchema,
} from "../../server/mail/compose";
import { httpStatusOf } from "../../server/error-table";
import { MailError } from "../../server/mail/errors";
import { retryAfterSeconds, sentItemsQuery } from "../../server/mail/send";
import { parseFilter } from "../../emulator/odata";

const req = (over: Record<string, unknown> = {}) =>
  sendMailSchema.parse({ to: ["a@x.example"], subject: "s", body: { contentType: "text", content: "c" }, ...over });

/** The MailError thrown, with the HTTP status the error table answers it with. */
function mailError(fn: () => unknown): MailError & { status: number | undefined } {
  try {
    fn();
  } catch (e) {
    if (e instanceof MailError) return Object.assign(e, { status: httpStatusOf(e.code) });
    throw e;
  }
  throw new Error("no MailError thrown");
}

test("addresses are normalised like the capture rules and de-duplicated across to and cc", () => {
  const m = composeMail(
    req({
      to: ["Carol <Carol@Client.Example>", " carol@client.example "],
      cc: ["CAROL@client.example", "mailto:dan@client.example"],
    }),
  );
  expect(m.to).toEqual(["carol@client.example"]);
  expect(m.cc).toEqual(["dan@client.example"]);
});

test("every invalid address is listed, as given", () => {
  const e = mailError(() => composeMail(req({ to: ["ok@x.example", "nope", ""], cc: ["Only A Name", "a@b"] })));
  expect(e).toMatchObject({
    status: 422,
    code: "invalid_address",
    details: { invalid: ["nope", "", "Only A Name", "a@b"] },
  });
});

test(`at most ${MAX_RECIPIENTS} recipients, to and cc together`, () => {
  const list = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}${i}@x.example`);
  expect(composeMail(req({ to: list(25, "t"), cc: list(25, "c") })).to).toHaveLength(25);
  expect(mailError(() => composeMail(req({ to: list(25, "t"), cc: list(26, "c") })))).toMatchObject({
    status: 422,
    code: "too_many_recipients",
    details: { count: 51 },
  });
});

test("text is sent as given; HTML keeps formatting and safe links only", () => {
  expect(composeMail(req({ body: { contentType: "text", content: "<script>x</script>" } }))).toMatchObject({
    body: { content: "<script>x</script>" },
    sanitized: false,
  });
  const clean = "<p>Hi <strong>there</strong></p><ul><li>one</li></ul>";
  expect(composeMail(req({ body: { contentType: "html", content: clean } }))).toMatchObject({
    body: { content: clean },
    sanitized: false,
  });
  expect(sanitizeMailHtml('<a href="mailto:a@x.example">m</a><a href="http://x.example">h</a>')).toBe(
    '<a href="mailto:a@x.example">m</a><a href="http://x.example">h</a>',
  );
  for (const [dirty, kept] of [
    ['<a href="javascript:alert(1)">x</a>', "<a>x</a>"],
    ['<a href="data:text/html,hi">x</a>', "<a>x</a>"],
    ['<a href="//evil.example/">x</a>', "<a>x</a>"],
    ['<div onclick="x()" style="color:red">t</div>', "<div>t</div>"],
    ["<script>alert(1)</script>t", "t"],
    ["<style>body{}</style>t", "t"],
    ['<iframe src="https://x.example"></iframe><form><input></form><img src=x onerror=y>t', "t"],
  ]) {
    expect(sanitizeMailHtml(dirty)).toBe(kept);
    expect(composeMail(req({ body: { contentType: "html", content: dirty } })).sanitized).toBe(true);
  }
});

test("the request hash changes with any field and ignores nothing that is sent", () => {
  const base = requestHash(req());
  expect(requestHash(req())).toBe(base);
  for (const over of [
    { to: ["b@x.example"] },
    { cc: ["c@x.example"] },
    { subject: "t" },
    { body: { contentType: "html", content: "c" } },
    { body: { contentType: "text", content: "d" } },
    { replyTo: "e1" },
  ]) {
    expect(requestHash(req(over))).not.toBe(base);
  }
});

test("Retry-After in seconds or as an HTTP date", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  expect(retryAfterSeconds("7", now)).toBe(7);
  expect(retryAfterSeconds("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30);
  expect(retryAfterSeconds(null, now)).toBeNull();
  expect(retryAfterSeconds("soon", now)).toBeNull();
});

describe("Graph bodies and the Sent Items query", () => {
  const mail = composeMail(req({ to: ["Carol <carol@x.example>"], cc: ["bob@x.example"], subject: "" }));

  test("sendMail: the message with its marker as a named extended property, saved to Sent Items", () => {
    expect(sendMailBody(mail, "m-1")).toEqual({
      message: {
        subject: "",
        body: { contentType: "Text", content: "c" },
        toRecipients: [{ emailAddress: { address: "carol@x.example" } }],
        ccRecipients: [{ emailAddress: { address: "bob@x.example" } }],
        singleValueExtendedProperties: [{ id: MARKER_PROPERTY_ID, value: "m-1" }],
      },
      saveToSentItems: true,
    });
    expect(MARKER_PROPERTY_ID).toMatch(/^String \{[0-9a-f-]{36}\} Name \w+$/);
  });

  test("reply: recipients and body, no marker, no subject unless one is given", () => {
    const r = replyBody(mail) as { message: Record<string, unknown> };
    expect(Object.keys(r.message).sort()).toEqual(["body", "ccRecipients", "toRecipients"]);
    expect(
      (replyBody(composeMail(req({ subject: "New subject" }))) as { message: { subject: string } }).message.subject,
    ).toBe("New subject");
  });

  test("the marker filter quotes OData strings and parses as Graph's lambda", () => {
    expect(markerFilter("it's")).toBe(
      `singleValueExtendedProperties/Any(ep: ep/id eq '${MARKER_PROPERTY_ID}' and ep/value eq 'it''s')`,
    );
    expect(parseFilter(markerFilter("m-1"))).toMatchObject({
      type: "any",
      prop: "singleValueExtendedProperties",
      variable: "ep",
    });
  });

  test("the Sent Items query: encoded filter, the sweep's fields and message class", () => {
    const q = new URL(
      `https://graph.example${sentItemsQuery({ kind: "reply", conversationId: "AAQk+/=", since: "2026-11-20T08:55:00Z", to: [], cc: [] })}`,
    );
    expect(q.pathname).toBe("/me/mailFolders/sentitems/messages");
    expect(q.searchParams.get("$filter")).toBe("conversationId eq 'AAQk+/=' and sentDateTime ge 2026-11-20T08:55:00Z");
    expect(q.searchParams.get("$select")!.split(",")).toEqual(
      expect.arrayContaining([
        "id",
        "internetMessageId",
        "conversationId",
        "parentFolderId",
        "isDraft",
        "body",
        "uniqueBody",
      ]),
    );
    expect(q.searchParams.get("$expand")).toBe("singleValueExtendedProperties($filter=id eq 'String 0x001A')");
  });
});
