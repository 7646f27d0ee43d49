/** @jest-environment jsdom */
/**
 * The sentences a person reads on the Not captured card, from the shared capture rules themselves:
 * no message classes, no sentence said twice, and the badge agrees with the text under it.
 */
import { screen, within } from "@testing-library/react";
import {
  decideCapture,
  indexContacts,
  type CaptureContext,
  type FolderFacts,
  type MessageFacts,
} from "../../shared/capture";
import { REASON_TEXTS } from "../../shared/capture/reasons";
import {
  CONFIG,
  FakeBackend,
  installOutlook,
  meResponse,
  renderPane,
  setUpPaneTests,
  statusResponse,
  stubAuth,
} from "./helpers";

setUpPaneTests();

const ctx: CaptureContext = {
  userAddresses: ["alice@contoso.com"],
  connectedAt: "2026-03-01T08:00:00Z",
  contacts: indexContacts([{ email: "bob@globex.com", createdAt: "2026-02-01T00:00:00Z" }]),
  blocklist: [],
  now: "2026-03-02T12:00:00Z",
};
const folder = (wellKnownName: string, displayName: string): FolderFacts[] => [
  { wellKnownName, displayName, containerClass: "IPF.Note" },
];
const message = (over: Partial<MessageFacts>): MessageFacts => ({
  messageClass: "IPM.Note",
  folderPath: folder("inbox", "Inbox"),
  isDraft: false,
  from: "bob@globex.com",
  to: ["alice@contoso.com"],
  cc: [],
  bcc: [],
  sentDateTime: "2026-03-02T10:00:00Z",
  receivedDateTime: "2026-03-02T10:00:05Z",
  ...over,
});

/** The card for the rules' own decision on `m`, as the status answer carries it. */
async function cardFor(m: MessageFacts) {
  const d = decideCapture(m, ctx);
  if (d.outcome !== "excluded") throw new Error("expected an exclusion");
  installOutlook();
  const status = statusResponse("not_captured", {
    decision: {
      source: "predicted",
      outcome: "excluded",
      reason: d.reason,
      explanation: d.explanation,
      action: d.action,
      decidedAt: null,
      sweepId: null,
    },
  });
  renderPane(
    new FakeBackend()
      .on("GET", "/api/me", { body: meResponse("active") })
      .on("POST", "/api/messages/status", { body: status }),
  );
  await screen.findByRole("heading", { name: "Not captured" });
  const region = screen.getByRole("region", { name: "Not captured" });
  return { region, card: within(region), reason: d.reason };
}

/** The card's sentences, split at full stops and semicolons, trimmed and lower-cased. */
function sentences(text: string): string[] {
  return text
    .split(/[.;:]\s+|[.;]$/)
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 12);
}

test("a meeting request is called a meeting request, not by its message class", async () => {
  const { region } = await cardFor(message({ messageClass: "IPM.Schedule.Meeting.Request" }));
  expect(region.textContent).toContain("This is a meeting request, not an email; only email is captured.");
  expect(region.textContent).not.toMatch(/IPM\./);
});

test("mail in Junk Email: said once, with what to do, and no list of folders repeating it", async () => {
  const { region, card } = await cardFor(message({ folderPath: folder("junkemail", "Junk Email") }));
  expect(card.getByTestId("status-explanation").textContent).toBe(
    "Mail in Junk Email is not captured. To capture this message, move it to another folder, such as Inbox.",
  );
  expect(region.textContent?.match(/Junk Email/g)).toHaveLength(1);
  const said = sentences(region.textContent ?? "");
  expect(new Set(said).size).toBe(said.length);
});

test("a draft in Drafts: the badge and the sentence under it say the same (Drafts is a folder that isn't captured)", async () => {
  const { card, reason } = await cardFor(
    message({
      folderPath: folder("drafts", "Drafts"),
      isDraft: true,
      from: "alice@contoso.com",
      to: ["bob@globex.com"],
    }),
  );
  expect(card.getByText(REASON_TEXTS[reason].title).textContent).toBe("In a folder that isn't captured");
  expect(card.getByTestId("status-explanation").textContent).toBe(
    "Mail in Drafts is not captured; this draft will be captured once it is sent.",
  );
  // The general list of folders, wherever it is shown (docs), names Drafts too.
  expect(REASON_TEXTS.excluded_folder.remedy).toContain("Drafts");
});

test("a draft elsewhere: the sentence says what happened, the remedy what to do, without repeating it", async () => {
  const { region, card } = await cardFor(message({ isDraft: true, from: "alice@contoso.com", to: ["bob@globex.com"] }));
  expect(card.getByText("Draft")).toBeTruthy();
  expect(card.getByTestId("status-explanation").textContent).toBe("This is a draft, and drafts are not captured.");
  expect(card.getByText("Send it; sent mail is captured.")).toBeTruthy();
  const said = sentences(region.textContent ?? "");
  expect(new Set(said).size).toBe(said.length);
});

test("Bcc only: one sentence about the To and Cc lines, one about Bcc", async () => {
  const { region } = await cardFor(message({ to: ["someone@globex.com"], bcc: ["alice@contoso.com"] }));
  expect(region.textContent).toContain("You are not the sender or a To or Cc recipient of this message.");
  expect(region.textContent?.match(/Bcc/g)).toHaveLength(1);
});

test("signed out: the box says Sign in once, on its button", async () => {
  installOutlook();
  renderPane(
    new FakeBackend().on("GET", "/api/me", { body: meResponse("active") }),
    CONFIG,
    stubAuth({ signedIn: false }),
  );
  const button = await screen.findByRole("button", { name: "Sign in" });
  const box = button.closest(".fui-MessageBar");
  expect(box).not.toBeNull();
  expect(box!.textContent?.match(/sign in/gi)).toHaveLength(1);
  expect(box!.textContent).toContain("Not signed in");
  expect(box!.textContent).toContain("Use your work account to see whether this email is captured.");
});

test("Connect says what Mail.Read and Mail.Send are used for, where consent is asked", async () => {
  installOutlook();
  renderPane(
    new FakeBackend()
      .on("GET", "/api/me", { body: meResponse("not_connected") })
      .on("POST", "/api/messages/status", { body: statusResponse("will_be_captured") }),
  );
  const connect = await screen.findByRole("button", { name: "Connect Microsoft 365" });
  const box = connect.closest(".fui-MessageBar");
  expect(box?.textContent).toContain(
    "Microsoft will ask to let Engagement Capture read your mail (Mail.Read), to find email with tracked contacts, and send mail as you (Mail.Send), used only when you send an email from the CRM.",
  );
});
