/**
 * Edges of the capture rules beyond the shared fixture: address forms, message classes,
 * folder ancestry, times, blocklist forms, and the actions and sentences users read.
 */
import {
  blockingEntry,
  decideCapture,
  excludedFolderOf,
  indexContacts,
  isEmail,
  normalizeAddress,
  normalizeAddresses,
  normalizeBlockEntry,
  type CaptureContext,
  type FolderFacts,
  type MessageFacts,
} from "../../shared/capture";

const NOW = "2026-11-26T12:00:00Z";
const ctx = (over: Partial<CaptureContext> = {}): CaptureContext => ({
  userAddresses: ["dana@contoso.com"],
  connectedAt: "2026-11-25T08:00:00Z",
  contacts: indexContacts([{ email: "alice@acme.com", createdAt: "2026-10-01T00:00:00Z" }]),
  blocklist: [],
  now: NOW,
  ...over,
});
const inbox: FolderFacts[] = [{ wellKnownName: "inbox", displayName: "Inbox", containerClass: "IPF.Note" }];
const msg = (over: Partial<MessageFacts> = {}): MessageFacts => ({
  messageClass: "IPM.Note",
  folderPath: inbox,
  isDraft: false,
  from: "alice@acme.com",
  to: ["dana@contoso.com"],
  cc: [],
  bcc: [],
  sentDateTime: "2026-11-26T09:00:00Z",
  receivedDateTime: "2026-11-26T09:00:05Z",
  ...over,
});

describe("address normalisation", () => {
  test.each([
    ["  Alice@ACME.com ", "alice@acme.com"],
    ["Alice Example <Alice@Acme.com>", "alice@acme.com"],
    ["mailto:bob@globex.com", "bob@globex.com"],
    ["Alice Example", null],
    ["", null],
    ["   ", null],
    ["no-at-sign.example.com", null],
    ["two@@example.com", null],
  ])("%j → %j", (raw, expected) => expect(normalizeAddress(raw)).toBe(expected));
  test("null and undefined have no address", () => {
    expect(normalizeAddress(null)).toBeNull();
    expect(normalizeAddress(undefined)).toBeNull();
  });
  test("lists drop duplicates and unusable entries, keeping order", () => {
    expect(normalizeAddresses(["B@x.com", null, "a@x.com", "b@X.COM", "Display Only"])).toEqual(["b@x.com", "a@x.com"]);
  });
});

describe("message classes", () => {
  test.each([
    ["IPM.Note", true],
    ["ipm.note", true],
    ["IPM.Note.SMIME.MultipartSigned", true],
    ["IPM.Notes", false],
    ["IPM.NoteX", false],
    ["IPM.Schedule.Meeting.Request", false],
    ["IPM.Post.RSS", false],
    ["IPM.SkypeTeams.Message", false],
    ["REPORT.IPM.Note.NDR", false],
    ["IPM.Appointment", false],
    ["IPM.Task", false],
    ["IPM.StickyNote", false],
    ["IPM.Contact", false],
    ["IPM.Activity", false],
  ])("%s is email: %s", (cls, expected) => expect(isEmail(cls)).toBe(expected));
  test("an eventMessage is calendar traffic even without a class", () => {
    expect(isEmail(null, "#microsoft.graph.eventMessage")).toBe(false);
    expect(decideCapture(msg({ messageClass: null, odataType: "#microsoft.graph.eventMessage" }), ctx()).reason).toBe(
      "not_an_email",
    );
  });
  test("an unknown class on a plain message is taken as a note", () => {
    expect(decideCapture(msg({ messageClass: null }), ctx()).outcome).toBe("captured");
  });
});

describe("folders", () => {
  test("a subfolder of an excluded folder is excluded, named after the excluded ancestor", () => {
    const path: FolderFacts[] = [
      { wellKnownName: "junkemail", displayName: "Junk Email", containerClass: null },
      { wellKnownName: null, displayName: "Old", containerClass: null },
    ];
    expect(excludedFolderOf(path)).toBe("junkemail");
    const d = decideCapture(msg({ folderPath: path }), ctx());
    expect(d).toMatchObject({ outcome: "excluded", reason: "excluded_folder", detail: { folder: "junkemail" } });
    expect(d.explanation).toContain("Junk Email");
  });
  test("a draft in Drafts is told to send it, not to move it (the folder rule still gives the reason)", () => {
    const d = decideCapture(
      msg({ folderPath: [{ wellKnownName: "drafts", displayName: "Drafts", containerClass: null }], isDraft: true }),
      ctx(),
    );
    expect(d).toMatchObject({ outcome: "excluded", reason: "excluded_folder", detail: { folder: "drafts" } });
    expect(d.explanation).toBe("Mail in Drafts is not captured; this draft will be captured once it is sent.");
  });
  test("RSS Feeds is recognised by container class whatever its display name", () => {
    const path: FolderFacts[] = [
      { wellKnownName: null, displayName: "Flux RSS", containerClass: "IPF.Note.OutlookHomepage" },
    ];
    expect(decideCapture(msg({ folderPath: path }), ctx()).reason).toBe("excluded_folder");
  });
  test("an unknown folder (pane prediction) skips the folder rule", () => {
    expect(decideCapture(msg({ folderPath: null }), ctx()).outcome).toBe("captured");
  });
  test("a user folder that merely shares a well-known folder's display name is not excluded", () => {
    const path: FolderFacts[] = [{ wellKnownName: null, displayName: "junkemail", containerClass: "IPF.Note" }];
    expect(decideCapture(msg({ folderPath: path }), ctx()).outcome).toBe("captured");
  });
});

describe("participants", () => {
  test("empty recipients and no sender: the user is not a participant", () => {
    expect(decideCapture(msg({ from: null, to: [], cc: [] }), ctx()).reason).toBe("user_not_participant");
  });
  test("display-name-only recipients are ignored, not crashed on", () => {
    const d = decideCapture(msg({ to: ["Dana Kim", "dana@contoso.com"], cc: ["Undisclosed recipients"] }), ctx());
    expect(d.outcome).toBe("captured");
    expect(d.participants).toEqual(["alice@acme.com", "dana@contoso.com"]);
  });
  test("duplicate addresses count once", () => {
    const d = decideCapture(msg({ to: ["dana@contoso.com", "DANA@contoso.com"], cc: ["alice@acme.com"] }), ctx());
    expect(d.participants).toEqual(["alice@acme.com", "dana@contoso.com"]);
    expect(d.matchedContacts).toEqual(["alice@acme.com"]);
  });
  test("every qualifying contact is matched", () => {
    const contacts = indexContacts([
      { email: "alice@acme.com", createdAt: "2026-10-01T00:00:00Z" },
      { email: "Bob@Globex.com", createdAt: "2026-10-01T00:00:00Z" },
    ]);
    const d = decideCapture(msg({ cc: ["bob@globex.com"] }), ctx({ contacts }));
    expect(d.matchedContacts.sort()).toEqual(["alice@acme.com", "bob@globex.com"]);
  });
  test("a contact who qualifies is enough even when another was tracked too late", () => {
    const contacts = indexContacts([
      { email: "alice@acme.com", createdAt: "2026-10-01T00:00:00Z" },
      { email: "late@globex.com", createdAt: "2026-11-30T00:00:00Z" },
    ]);
    const d = decideCapture(msg({ cc: ["late@globex.com"] }), ctx({ contacts }));
    expect(d).toMatchObject({ outcome: "captured", matchedContacts: ["alice@acme.com"] });
  });
  test("the user's own address is never treated as a contact", () => {
    const contacts = indexContacts([{ email: "dana@contoso.com", createdAt: "2026-01-01T00:00:00Z" }]);
    expect(decideCapture(msg({ from: "stranger@example.net" }), ctx({ contacts })).reason).toBe("no_tracked_contact");
  });
});

describe("times", () => {
  test("outbound mail with no sentDateTime falls back to receivedDateTime", () => {
    const d = decideCapture(msg({ from: "dana@contoso.com", to: ["alice@acme.com"], sentDateTime: null }), ctx());
    expect(d).toMatchObject({ outcome: "captured", direction: "outbound", messageTime: "2026-11-26T09:00:05.000Z" });
  });
  test("a message with no times at all is judged at now", () => {
    const d = decideCapture(msg({ sentDateTime: null, receivedDateTime: null }), ctx());
    expect(d.messageTime).toBe("2026-11-26T12:00:00.000Z");
    expect(d.outcome).toBe("captured");
  });
  test("an unparseable time is treated as missing", () => {
    const d = decideCapture(msg({ receivedDateTime: "not a date" }), ctx());
    expect(d.messageTime).toBe("2026-11-26T09:00:00.000Z");
  });
  test("exactly 24 hours before connecting is inside the window", () => {
    const t = "2026-11-24T08:00:00.000Z";
    expect(decideCapture(msg({ sentDateTime: t, receivedDateTime: t }), ctx()).outcome).toBe("captured");
  });
  test("a contact created exactly 24 hours after the message qualifies", () => {
    const contacts = indexContacts([{ email: "alice@acme.com", createdAt: "2026-11-27T09:00:05Z" }]);
    expect(decideCapture(msg(), ctx({ contacts })).outcome).toBe("captured");
    const later = indexContacts([{ email: "alice@acme.com", createdAt: "2026-11-27T09:00:06Z" }]);
    expect(decideCapture(msg(), ctx({ contacts: later })).reason).toBe("contact_tracked_too_late");
  });
  test("not connected skips the window rule", () => {
    const t = "2020-01-01T00:00:00Z";
    expect(decideCapture(msg({ sentDateTime: t, receivedDateTime: t }), ctx({ connectedAt: null })).reason).toBe(
      "contact_tracked_too_late",
    );
  });
});

describe("blocklist", () => {
  test.each([
    ["@noisy.example", "hr@noisy.example", "@noisy.example"],
    ["@noisy.example", "x@deep.mail.noisy.example", "@noisy.example"],
    ["@noisy.example", "x@notnoisy.example", null],
    ["Boss@Acme.com", "boss@acme.com", "boss@acme.com"],
    [" @ACME.com ", "alice@acme.com", "@acme.com"],
  ])("entry %j vs %j → %j", (entry, address, expected) => expect(blockingEntry(address, [entry])).toBe(expected));
  test("invalid entries are ignored", () => {
    expect(normalizeBlockEntry("@")).toBeNull();
    expect(normalizeBlockEntry("@localhost")).toBeNull();
    expect(normalizeBlockEntry("not an address")).toBeNull();
    expect(blockingEntry("a@b.com", ["@", "garbage"])).toBeNull();
  });
  test("a blocked user-side address blocks too, and the action offers to unblock", () => {
    const d = decideCapture(msg(), ctx({ blocklist: ["@acme.com"] }));
    expect(d).toMatchObject({ reason: "blocked", action: { kind: "unblock", entry: "@acme.com" } });
  });
  test("blocked is decided before no_tracked_contact", () => {
    expect(decideCapture(msg({ from: "x@noisy.example" }), ctx({ blocklist: ["@noisy.example"] })).reason).toBe(
      "blocked",
    );
  });
});

describe("order of the rules and what users read", () => {
  test("not_an_email wins over excluded_folder, draft and everything after", () => {
    const d = decideCapture(
      msg({
        messageClass: "IPM.Post.RSS",
        isDraft: true,
        folderPath: [{ wellKnownName: "junkemail", displayName: "Junk", containerClass: null }],
        from: null,
        to: [],
      }),
      ctx(),
    );
    expect(d.reason).toBe("not_an_email");
  });
  test("before_connection is decided before user_not_participant", () => {
    const t = "2026-11-01T00:00:00Z";
    expect(decideCapture(msg({ to: ["someone@else.com"], sentDateTime: t, receivedDateTime: t }), ctx()).reason).toBe(
      "before_connection",
    );
  });
  test("no tracked contact offers to track the first other participant", () => {
    const d = decideCapture(msg({ from: "bob@globex.com", cc: ["carol@initech.com"] }), ctx());
    expect(d).toMatchObject({
      reason: "no_tracked_contact",
      action: { kind: "track_contact", address: "bob@globex.com", label: "Track bob@globex.com" },
    });
    expect(d.explanation).toContain("bob@globex.com");
  });
  test("no tracked contact suggests an outside participant, not a colleague at the user's own domain", () => {
    const d = decideCapture(msg({ from: "lee@contoso.com", to: ["dana@contoso.com", "ann@globex.com"] }), ctx());
    expect(d).toMatchObject({
      reason: "no_tracked_contact",
      action: { kind: "track_contact", address: "ann@globex.com" },
    });
  });
  test("no tracked contact among colleagues only: no one-click suggestion, and the explanation says why", () => {
    const d = decideCapture(msg({ from: "lee@contoso.com", to: ["dana@contoso.com"] }), ctx());
    expect(d).toMatchObject({ outcome: "excluded", reason: "no_tracked_contact", action: null });
    expect(d.explanation).toBe(
      "Everyone else on this message is at your own organization (contoso.com), so there is no tracked contact.",
    );
  });
  test("a tracked colleague still makes the message captured (tracking is the user's choice)", () => {
    const contacts = indexContacts([{ email: "lee@contoso.com", createdAt: "2026-11-01T00:00:00Z" }]);
    expect(decideCapture(msg({ from: "lee@contoso.com", to: ["dana@contoso.com"] }), ctx({ contacts })).outcome).toBe(
      "captured",
    );
  });
  test("too late names the contact and offers no action", () => {
    const contacts = indexContacts([{ email: "alice@acme.com", createdAt: "2026-11-28T00:00:00Z" }]);
    const d = decideCapture(msg(), ctx({ contacts }));
    expect(d).toMatchObject({
      reason: "contact_tracked_too_late",
      action: null,
      detail: { addresses: ["alice@acme.com"] },
    });
    expect(d.explanation).toContain("alice@acme.com");
  });
  test("indexContacts keeps the earliest createdAt of duplicates", () => {
    const m = indexContacts([
      { email: "A@x.com", createdAt: "2026-11-02T00:00:00Z" },
      { email: "a@x.com", createdAt: "2026-11-01T00:00:00Z" },
      { email: "not an address", createdAt: "2026-11-01T00:00:00Z" },
    ]);
    expect([...m.keys()]).toEqual(["a@x.com"]);
    expect(m.get("a@x.com")!.createdAt).toBe("2026-11-01T00:00:00Z");
  });
});
