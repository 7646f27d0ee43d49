/** @jest-environment jsdom */
/**
 * The pane as a CRM companion: a captured email opened from the status card and from a tracked person's
 * history, the history in pages, and what a teammate's sharing level leaves out said in words.
 */
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { EngagementMailbox, EngagementView, SharingLevel } from "../../shared/api/contract";
import { CONFIG, FakeBackend, installOutlook, meResponse, renderPane, setUpPaneTests, statusResponse } from "./helpers";

setUpPaneTests();

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}/i;

/** An engagement as the API answers it; teammates' mailboxes carry their display names. */
function engagement(n: number, over: Partial<EngagementView> = {}): EngagementView {
  return {
    id: `d3c8a4ce-cf3c-4a1e-9b7d-${String(n).padStart(12, "0")}`,
    internetMessageId: `<m${n}@initech.com>`,
    conversationId: null,
    subject: `Quarterly review ${n}`,
    bodyPreview: "Hi Alice",
    bodyText: `Hi Alice,\n\nThe numbers for quarter ${n} are attached.\n\nCarol`,
    truncated: false,
    direction: "inbound",
    messageTime: new Date(Date.UTC(2026, 2, 2, 9, 0) - n * 86_400_000).toISOString(),
    sentAt: null,
    receivedAt: null,
    from: "carol@initech.com",
    participants: [
      { address: "carol@initech.com", name: "Carol Vance", role: "from" },
      { address: "alice@contoso.com", name: "Alice Hart", role: "to" },
    ],
    contacts: [{ id: "c-carol", email: "carol@initech.com", name: "Carol Vance" }],
    clients: [{ id: "cl-initech", name: "Initech" }],
    mailboxes: [mailbox("me")],
    visibility: { level: "everything", because: "own_mailbox" },
    conflictsWith: [],
    capturedAt: "2026-03-02T09:00:05Z",
    ...over,
  };
}

/** A mailbox the engagement was found in: the reader's own, or a teammate's sharing at `sharing`. */
function mailbox(owner: "me" | { name: string; sharing: SharingLevel }): EngagementMailbox {
  return owner === "me"
    ? {
        userId: "u1",
        email: "alice@contoso.com",
        displayName: "Alice Hart",
        isCaller: true,
        sharing: "metadata",
        webLink: null,
      }
    : {
        userId: `u-${owner.name.split(" ")[0].toLowerCase()}`,
        email: `${owner.name.split(" ")[0].toLowerCase()}@contoso.com`,
        displayName: owner.name,
        isCaller: false,
        sharing: owner.sharing,
        webLink: null,
      };
}

/** What the server sends for a teammate's engagement at `level` (redacted as shared/sharing does). */
function teammates(n: number, name: string, level: SharingLevel, over: Partial<EngagementView> = {}): EngagementView {
  return engagement(n, {
    subject: level === "metadata" ? null : `Quarterly review ${n}`,
    bodyPreview: level === "everything" ? "Hi Alice" : null,
    bodyText: level === "everything" ? "Hi Alice" : null,
    mailboxes: [mailbox({ name, sharing: level })],
    visibility: { level, because: "shared" },
    ...over,
  });
}

function backend() {
  return new FakeBackend()
    .on("GET", "/api/me", { body: meResponse("active") })
    .on("POST", "/api/messages/status", { body: statusResponse("captured") });
}

describe("the captured email", () => {
  test("opens from the status card: subject, when, people, whose mailbox, the text; Esc goes back to the button", async () => {
    installOutlook();
    const b = backend().on("GET", "/api/engagements/eng-7", {
      body: engagement(1, { id: "eng-7" }),
    });
    renderPane(b);
    const open = await screen.findByRole("button", { name: "Open the captured email" });
    open.focus();
    fireEvent.click(open);
    const heading = await screen.findByRole("heading", { level: 2, name: "Quarterly review 1" });
    await waitFor(() => expect(document.activeElement).toBe(heading));
    const view = within(heading.closest("section")!);
    expect(view.getByText(/^Received /)).toBeTruthy();
    expect(view.getByText("Carol Vance <carol@initech.com>")).toBeTruthy();
    expect(view.getByText("Alice Hart <alice@contoso.com>")).toBeTruthy();
    expect(view.getByText("Initech")).toBeTruthy();
    expect(view.getByText("your mailbox")).toBeTruthy();
    expect(view.getByLabelText("Text of the email").textContent).toContain("The numbers for quarter 1 are attached.");
    expect(view.getByRole("link", { name: "Open in the CRM" }).getAttribute("href")).toBe(
      "https://crm.example.test/engagements/eng-7",
    );
    // The status card is out of sight while the email is open.
    expect(screen.queryByRole("heading", { name: "Captured" })).toBeNull();

    fireEvent.keyDown(heading, { key: "Escape" });
    const again = await screen.findByRole("button", { name: "Open the captured email" });
    await waitFor(() => expect(document.activeElement).toBe(again));
    expect(screen.queryByRole("heading", { name: "Quarterly review 1" })).toBeNull();
  });

  test("a teammate's email at 'who and when': no subject, no text, a sentence naming the teammate, no identifiers", async () => {
    installOutlook();
    const hidden = teammates(2, "Dana Reyes", "metadata", { id: "eng-7" });
    renderPane(backend().on("GET", "/api/engagements/eng-7", { body: hidden }));
    fireEvent.click(await screen.findByRole("button", { name: "Open the captured email" }));
    const heading = await screen.findByRole("heading", { level: 2, name: "Subject not shared" });
    const section = heading.closest("section")!;
    expect(within(section).getByText("Dana Reyes shares only who and when.")).toBeTruthy();
    expect(within(section).getByText("Dana Reyes's mailbox")).toBeTruthy();
    expect(within(section).queryByLabelText("Text of the email")).toBeNull();
    expect(section.textContent).not.toMatch(UUID);
    expect(section.textContent).not.toContain("u-dana");
  });

  test("'subject' level: the subject, and a sentence in place of the text", async () => {
    installOutlook();
    const e = teammates(3, "Sam Lee", "subject", { id: "eng-7" });
    renderPane(backend().on("GET", "/api/engagements/eng-7", { body: e }));
    fireEvent.click(await screen.findByRole("button", { name: "Open the captured email" }));
    await screen.findByRole("heading", { level: 2, name: "Quarterly review 3" });
    expect(screen.getByText("Sam Lee shares only who, when and the subject.")).toBeTruthy();
    expect(screen.queryByLabelText("Text of the email")).toBeNull();
  });

  test("an error says so with Retry, which loads it again; Back is still there", async () => {
    installOutlook();
    let fail = true;
    const b = backend().on("GET", "/api/engagements/eng-7", () =>
      fail
        ? { status: 503, body: { error: { code: "unavailable", message: "The server is busy. Try again." } } }
        : { body: engagement(4, { id: "eng-7" }) },
    );
    renderPane(b);
    fireEvent.click(await screen.findByRole("button", { name: "Open the captured email" }));
    const alert = await screen.findByRole("alert");
    expect(within(alert).getByText("Couldn't open this email")).toBeTruthy();
    expect(screen.getByRole("button", { name: /Back to the message/ })).toBeTruthy();
    fail = false;
    fireEvent.click(within(alert).getByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("heading", { level: 2, name: "Quarterly review 4" })).toBeTruthy();
  });

  test("without a CRM link configured: no link", async () => {
    installOutlook();
    renderPane(backend().on("GET", "/api/engagements/eng-7", { body: engagement(5, { id: "eng-7" }) }), {
      ...CONFIG,
      crmEngagementUrl: null,
    });
    fireEvent.click(await screen.findByRole("button", { name: "Open the captured email" }));
    await screen.findByRole("heading", { level: 2, name: "Quarterly review 5" });
    expect(screen.queryByRole("link", { name: /CRM/ })).toBeNull();
  });
});

describe("history", () => {
  const page = (from: number, count: number, nextCursor: string | null) => ({
    items: Array.from({ length: count }, (_, i) => engagement(from + i)),
    nextCursor,
  });

  test("a tracked person's history, newest first, in pages: Show more appends and focuses the first new email", async () => {
    installOutlook();
    const b = backend().on("GET", "/api/engagements", (call) => {
      const q = new URL(call.path, "https://x").searchParams;
      if (q.get("contactId") !== "c-carol") return { status: 400, body: { error: { code: "bad", message: "bad" } } };
      return q.get("cursor") === "p2" ? { body: page(11, 3, null) } : { body: page(1, 10, "p2") };
    });
    renderPane(b);
    fireEvent.click(await screen.findByRole("button", { name: "History with Carol Vance" }));
    const heading = await screen.findByRole("heading", { level: 2, name: "History with Carol Vance" });
    await waitFor(() => expect(document.activeElement).toBe(heading));
    const list = await screen.findByRole("list", { name: "Emails with Carol Vance, newest first" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(10);
    expect(within(list).getAllByRole("button")[0].textContent).toBe("Quarterly review 1");
    expect(within(list).getAllByText(/^Received .+ · your mailbox$/)).toHaveLength(10);

    fireEvent.click(screen.getByRole("button", { name: "Show more" }));
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(13));
    await waitFor(() => expect(document.activeElement?.textContent).toBe("Quarterly review 11"));
    expect(screen.queryByRole("button", { name: "Show more" })).toBeNull();
    const asked = b.callsTo("GET", "/api/engagements").map((c) => c.path);
    expect(asked).toEqual([
      "/api/engagements?contactId=c-carol&limit=10",
      "/api/engagements?contactId=c-carol&cursor=p2&limit=10",
    ]);
  });

  test("the client's history is one press away; an email opens and Back returns to the same place in the list", async () => {
    installOutlook();
    const b = backend()
      .on("GET", "/api/engagements", (call) =>
        call.path.includes("clientId=cl-initech") ? { body: page(20, 2, null) } : { body: page(1, 1, null) },
      )
      .on("GET", "/api/engagements/d3c8a4ce-cf3c-4a1e-9b7d-000000000021", { body: engagement(21) });
    renderPane(b);
    const opener = await screen.findByRole("button", { name: "History with Carol Vance" });
    opener.focus();
    fireEvent.click(opener);
    await screen.findByText("Quarterly review 1");
    fireEvent.click(screen.getByRole("button", { name: "All of Initech" }));
    await screen.findByRole("heading", { level: 2, name: "History with Initech" });
    const link = await screen.findByRole("button", { name: "Quarterly review 21" });
    link.focus();
    fireEvent.click(link);
    const heading = await screen.findByRole("heading", { level: 2, name: "Quarterly review 21" });
    fireEvent.click(within(heading.closest("section")!).getByRole("button", { name: /Back to the history/ }));
    await waitFor(() =>
      expect(document.activeElement).toBe(screen.getByRole("button", { name: "Quarterly review 21" })),
    );
    // The list was kept: no second request for it.
    expect(b.callsTo("GET", "/api/engagements").filter((c) => c.path.includes("clientId"))).toHaveLength(1);
    fireEvent.keyDown(screen.getByRole("heading", { name: "History with Initech" }), { key: "Escape" });
    await waitFor(() =>
      expect(document.activeElement).toBe(screen.getByRole("button", { name: "History with Carol Vance" })),
    );
  });

  test("no history yet; a hidden subject reads 'Subject not shared'", async () => {
    installOutlook();
    renderPane(backend().on("GET", "/api/engagements", { body: { items: [], nextCursor: null } }));
    fireEvent.click(await screen.findByRole("button", { name: "History with Carol Vance" }));
    expect(await screen.findByText("No history yet.")).toBeTruthy();

    document.body.innerHTML = "";
    installOutlook();
    const hidden = teammates(1, "Dana Reyes", "metadata");
    renderPane(backend().on("GET", "/api/engagements", { body: { items: [hidden], nextCursor: null } }));
    fireEvent.click(await screen.findByRole("button", { name: "History with Carol Vance" }));
    expect(await screen.findByRole("button", { name: "Subject not shared" })).toBeTruthy();
    expect(screen.getByText(/· Dana Reyes's mailbox$/)).toBeTruthy();
  });

  test("an error with Retry", async () => {
    installOutlook();
    let fail = true;
    renderPane(
      backend().on("GET", "/api/engagements", () =>
        fail
          ? { status: 500, body: { error: { code: "internal", message: "Something broke." } } }
          : { body: page(1, 1, null) },
      ),
    );
    fireEvent.click(await screen.findByRole("button", { name: "History with Carol Vance" }));
    const alert = await screen.findByRole("alert");
    expect(within(alert).getByText("Couldn't load the history")).toBeTruthy();
    fail = false;
    fireEvent.click(within(alert).getByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("button", { name: "Quarterly review 1" })).toBeTruthy();
  });
});
