/**
 * The redaction every engagement answer goes through (shared/sharing): what each viewer sees at each
 * level, the owner and most-generous rules, and the words the pane and server share.
 */
import type { SharingLevel } from "../../shared/api/contract";
import {
  connectSharingNote,
  redactEngagementView,
  sharesSentence,
  type SharingLevels,
  type UnredactedView,
} from "../../shared/sharing";

const view = (owners: string[]): UnredactedView => ({
  id: "e1",
  internetMessageId: "<m@x>",
  conversationId: null,
  subject: "Secret subject",
  bodyPreview: "Secret preview",
  bodyText: "Secret body",
  truncated: true,
  direction: "inbound",
  messageTime: "2026-01-01T00:00:00.000Z",
  sentAt: null,
  receivedAt: null,
  from: "a@x.example",
  participants: [{ address: "a@x.example", name: "A", role: "from" }],
  contacts: [],
  clients: [],
  mailboxes: owners.map((userId) => ({ userId, email: `${userId}@contoso.com`, displayName: null, webLink: null })),
  conflictsWith: [],
  capturedAt: "2026-01-01T00:00:00.000Z",
});

const levels = (byUser: Record<string, SharingLevel>, integration: SharingLevel = "everything"): SharingLevels => ({
  byUser: new Map(Object.entries(byUser)),
  integration,
});

const shown = (v: ReturnType<typeof redactEngagementView>) => ({
  subject: v.subject,
  bodyPreview: v.bodyPreview,
  bodyText: v.bodyText,
  truncated: v.truncated,
});

describe("redactEngagementView", () => {
  const dana = { kind: "user", userId: "dana" } as const;

  it.each([
    ["metadata", { subject: null, bodyPreview: null, bodyText: null, truncated: false }],
    ["subject", { subject: "Secret subject", bodyPreview: null, bodyText: null, truncated: false }],
    [
      "everything",
      { subject: "Secret subject", bodyPreview: "Secret preview", bodyText: "Secret body", truncated: true },
    ],
  ] as const)("a teammate at %s", (level, expected) => {
    const v = redactEngagementView(view(["lee"]), dana, levels({ lee: level }));
    expect(shown(v)).toEqual(expected);
    expect(v.visibility).toEqual({ level, because: "shared" });
    expect(v.participants).toHaveLength(1);
  });

  it("the owner sees everything, whatever their own level", () => {
    const v = redactEngagementView(view(["lee", "dana"]), dana, levels({ lee: "metadata", dana: "metadata" }));
    expect(v.visibility).toEqual({ level: "everything", because: "own_mailbox" });
    expect(v.mailboxes.map((m) => m.isCaller)).toEqual([false, true]);
  });

  it("the most generous level among the mailboxes; an unknown owner or none counts as metadata", () => {
    expect(
      redactEngagementView(view(["lee", "sam"]), dana, levels({ lee: "metadata", sam: "subject" })).visibility,
    ).toEqual({ level: "subject", because: "shared" });
    expect(redactEngagementView(view(["ghost"]), dana, levels({})).subject).toBeNull();
    expect(redactEngagementView(view([]), dana, levels({})).visibility.level).toBe("metadata");
  });

  it("an application sees the integration level, not the mailboxes'", () => {
    const app = { kind: "app" } as const;
    expect(redactEngagementView(view(["lee"]), app, levels({ lee: "everything" }, "metadata")).subject).toBeNull();
    expect(redactEngagementView(view(["lee"]), app, levels({ lee: "metadata" }, "everything")).visibility).toEqual({
      level: "everything",
      because: "integration",
    });
  });

  it("a list view (no bodyText) gets none added", () => {
    const { bodyText: _omit, ...list } = view(["lee"]);
    expect("bodyText" in redactEngagementView(list, dana, levels({ lee: "metadata" }))).toBe(false);
  });
});

describe("sharing words", () => {
  it("say what is shared in a person's terms", () => {
    expect(sharesSentence("Dana", "metadata")).toBe("Dana shares only who and when.");
    expect(sharesSentence("Dana", "everything")).toBe("Dana shares everything, including the message text.");
    expect(connectSharingNote("subject", true)).toMatch(/who, when and the subject.*change this.*Mail\.Send/);
    expect(connectSharingNote("metadata", false)).toMatch(/administrator has set/);
  });
});
