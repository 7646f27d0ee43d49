/** @jest-environment jsdom */
// Administrators (the Capture.Admin app role, MeResponse.user.isAdmin): unblocking an organization-wide
// entry for everyone, and every user's mailbox health (GET /api/connections). Everyone else keeps
// the pane as it was: no organization Unblock, no Mailboxes view, no call to the admin routes.
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { ConnectionStatus, ConnectionView, MailboxHealthPage, MailboxHealthView } from "../../shared/api/contract";
import { formatWhen } from "../../addin/state/format";
import {
  blockedStatus,
  FakeBackend,
  installOutlook,
  meResponse,
  renderPane,
  setUpPaneTests,
  statusResponse,
  type Call,
} from "./helpers";

setUpPaneTests();

const ADMIN = meResponse("active", {}, { isAdmin: true });
const MEMBER = meResponse("active", {}, { isAdmin: false });

const ORG_ENTRY = {
  id: "b-org",
  entry: "@noisy.example",
  scope: "organization",
  createdAt: "2026-01-01T00:00:00Z",
} as const;
const MY_ENTRY = {
  id: "b-mine",
  entry: "@noisy.example",
  scope: "personal",
  createdAt: "2026-01-02T00:00:00Z",
} as const;

const FORBIDDEN = {
  status: 403,
  body: {
    error: {
      code: "forbidden",
      message:
        "Removing an entry from the organization's blocklist needs the Capture.Admin role; ask an administrator of your organization.",
    },
  },
};

/**
 * A message blocked while any of `entries` is on the blocklist, as the server decides: DELETE answers
 * `onDelete` (for the organization's entry) and removes the entry when it is a 204.
 */
function blockedBackend(
  me = ADMIN,
  entries: readonly { id: string }[] = [ORG_ENTRY],
  onDelete: { status: number; body?: unknown } = { status: 204 },
) {
  let listed = [...entries];
  const remove = (id: string) => (listed = listed.filter((e) => e.id !== id));
  const backend = new FakeBackend()
    .on("GET", "/api/me", { body: me })
    .on("POST", "/api/messages/status", () => ({
      body: listed.length ? blockedStatus() : statusResponse("will_be_captured"),
    }))
    .on("GET", "/api/blocklist", () => ({ body: { items: listed, nextCursor: null } }))
    .on("DELETE", `/api/blocklist/${ORG_ENTRY.id}`, () => {
      if (onDelete.status === 204) remove(ORG_ENTRY.id);
      return onDelete;
    })
    .on("DELETE", `/api/blocklist/${MY_ENTRY.id}`, () => (remove(MY_ENTRY.id), { status: 204 }));
  return backend;
}

async function statusCard() {
  return within(await screen.findByRole("region", { name: /^Not captured/ }));
}

describe("organization-wide blocklist entry", () => {
  test("an administrator gets Unblock for everyone; confirming deletes the organization entry and the status is read again", async () => {
    installOutlook();
    const backend = blockedBackend();
    renderPane(backend);
    const card = await statusCard();
    const ask = await card.findByRole("button", { name: "Unblock for everyone (@noisy.example)" });
    expect(ask.textContent).toBe("Unblock for everyone");
    expect(card.queryByText(/ask an administrator to remove it/)).toBeNull();

    // Capture changes for the whole organization: one more, deliberate click, and nothing is deleted before it.
    fireEvent.click(ask);
    const question = card.getByRole("group", {
      name: /^Remove “@noisy\.example” from your organization's blocklist\?/,
    });
    expect(question.textContent).toMatch(/can then be captured in everyone's mailbox, not only yours/);
    await waitFor(() => expect(document.activeElement).toBe(within(question).getByRole("button", { name: "Cancel" })));
    expect(backend.callsTo("DELETE", "/api/blocklist/b-org")).toHaveLength(0);

    fireEvent.click(within(question).getByRole("button", { name: "Yes, unblock for everyone" }));
    const heading = await screen.findByRole("heading", { name: "Will be captured" });
    expect(backend.callsTo("DELETE", "/api/blocklist/b-org")).toHaveLength(1);
    await waitFor(() => expect(document.activeElement).toBe(heading));
    await waitFor(() =>
      expect(screen.getByTestId("announcer").textContent).toBe(
        "Unblocked @noisy.example for everyone in your organization.",
      ),
    );
  });

  test("Cancel (or Esc) takes the question back, deletes nothing, and returns focus to Unblock for everyone", async () => {
    installOutlook();
    const backend = blockedBackend();
    renderPane(backend);
    const card = await statusCard();
    fireEvent.click(await card.findByRole("button", { name: "Unblock for everyone (@noisy.example)" }));
    fireEvent.click(card.getByRole("button", { name: "Cancel" }));
    const ask = card.getByRole("button", { name: "Unblock for everyone (@noisy.example)" });
    await waitFor(() => expect(document.activeElement).toBe(ask));

    fireEvent.click(ask);
    const cancel = card.getByRole("button", { name: "Cancel" });
    await waitFor(() => expect(document.activeElement).toBe(cancel));
    fireEvent.keyDown(cancel, { key: "Escape" });
    expect(card.queryByRole("group")).toBeNull();
    await waitFor(() =>
      expect(document.activeElement).toBe(card.getByRole("button", { name: "Unblock for everyone (@noisy.example)" })),
    );
    expect(backend.callsTo("DELETE", "/api/blocklist/b-org")).toHaveLength(0);
  });

  test("someone without the role: no Unblock for the organization entry, the pane says to ask an administrator", async () => {
    installOutlook();
    const backend = blockedBackend(MEMBER);
    renderPane(backend);
    const card = await statusCard();
    expect(
      await card.findByText("“@noisy.example” is on your organization's blocklist; ask an administrator to remove it."),
    ).toBeTruthy();
    expect(card.queryByRole("button", { name: /Unblock/ })).toBeNull();
    expect(backend.callsTo("DELETE", "/api/blocklist/b-org")).toHaveLength(0);
  });

  test("a server that does not say isAdmin yet counts as no role", async () => {
    installOutlook();
    const { isAdmin: _, ...user } = ADMIN.user;
    renderPane(blockedBackend({ ...ADMIN, user } as typeof ADMIN));
    const card = await statusCard();
    expect(await card.findByText(/ask an administrator to remove it\.$/)).toBeTruthy();
    expect(card.queryByRole("button", { name: /Unblock/ })).toBeNull();
  });

  test("the role was removed since (403): a plain sentence, no Retry, no button left to press, focus on the status heading", async () => {
    installOutlook();
    const backend = blockedBackend(ADMIN, [ORG_ENTRY], FORBIDDEN);
    renderPane(backend);
    const card = await statusCard();
    fireEvent.click(await card.findByRole("button", { name: "Unblock for everyone (@noisy.example)" }));
    fireEvent.click(card.getByRole("button", { name: "Yes, unblock for everyone" }));
    const alert = await card.findByRole("alert");
    expect(alert.textContent).toMatch(
      /Your account no longer has the administrator role, so it can't change your organization's blocklist\. Ask an administrator to remove “@noisy\.example”\./,
    );
    expect(within(alert).queryByRole("button")).toBeNull();
    expect(card.queryByRole("button", { name: /Unblock/ })).toBeNull();
    expect(backend.callsTo("DELETE", "/api/blocklist/b-org")).toHaveLength(1);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("heading", { name: /^Not captured/ })));
  });

  test("any other failure: the error with Retry, and Retry deletes again", async () => {
    installOutlook();
    const outage = { status: 503, body: { error: { code: "unavailable", message: "The database is restarting." } } };
    const backend = blockedBackend(ADMIN, [ORG_ENTRY], outage);
    renderPane(backend);
    const card = await statusCard();
    fireEvent.click(await card.findByRole("button", { name: "Unblock for everyone (@noisy.example)" }));
    fireEvent.click(card.getByRole("button", { name: "Yes, unblock for everyone" }));
    const alert = await card.findByRole("alert");
    expect(within(alert).getByText(/The database is restarting\./)).toBeTruthy();
    outage.status = 204;
    fireEvent.click(within(alert).getByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("heading", { name: "Will be captured" })).toBeTruthy();
    expect(backend.callsTo("DELETE", "/api/blocklist/b-org")).toHaveLength(2);
  });

  test("an administrator with a personal entry for the same domain: the personal Unblock comes first, it changes nobody else's capture", async () => {
    installOutlook();
    const backend = blockedBackend(ADMIN, [ORG_ENTRY, MY_ENTRY]);
    renderPane(backend);
    const card = await statusCard();
    // Removing the personal entry alone leaves the message blocked by the organization's: the card says so first.
    expect(
      await card.findByText(
        /on your organization's blocklist too: removing it from your own list alone won't capture this message\./,
      ),
    ).toBeTruthy();
    expect(card.queryByRole("button", { name: /for everyone/ })).toBeNull();
    fireEvent.click(await card.findByRole("button", { name: "Remove from my blocklist (@noisy.example)" }));
    await waitFor(() => expect(backend.callsTo("DELETE", "/api/blocklist/b-mine")).toHaveLength(1));
    expect(backend.callsTo("DELETE", "/api/blocklist/b-org")).toHaveLength(0);
    // Still blocked by the organization's entry: now the administrator is offered that one, for everyone.
    expect(await screen.findByRole("button", { name: "Unblock for everyone (@noisy.example)" })).toBeTruthy();
    expect(screen.getByRole("heading", { name: /^Not captured/ })).toBeTruthy();
  });
});

// ---------- mailbox health ----------

function connection(status: ConnectionStatus, over: Partial<ConnectionView> = {}): ConnectionView {
  const connected = status !== "not_connected";
  return {
    status,
    reason: null,
    connectedAt: connected ? "2026-02-01T08:00:00Z" : null,
    lastSweepAt: connected ? "2026-03-02T09:00:00Z" : null,
    lastSuccessAt: connected ? "2026-03-02T09:00:00Z" : null,
    nextSweepAt: status === "active" ? "2026-03-02T10:00:00Z" : null,
    lastError: null,
    ...over,
  };
}

function mailbox(
  name: string,
  displayName: string | null,
  status: ConnectionStatus,
  over: Partial<ConnectionView> = {},
): MailboxHealthView {
  return { user: { id: `u-${name}`, email: `${name}@contoso.com`, displayName }, connection: connection(status, over) };
}

const COUNTS: Record<ConnectionStatus, number> = { active: 12, reauth_required: 2, not_connected: 1, disconnected: 0 };
// What the server really stores (server/mailbox-connection/outcomes.ts reauthReason; lastError is describeError's "Name: message"):
// written to the mailbox's owner, and repeated in lastError behind the error's class name.
const BOB_REASON =
  "Your Microsoft 365 sign-in was revoked (for example after a password change or reset) — reconnect to resume capture. Choose Reconnect in the Outlook pane; capture resumes and fills the gap.";
const ALICE = mailbox("alice", "Alice Hart", "active");
const BOB = mailbox("bob", "Bob Stone", "reauth_required", {
  reason: BOB_REASON,
  lastSuccessAt: "2026-02-27T16:00:00Z",
  lastSweepAt: "2026-03-02T09:00:00Z",
  lastError: `ReauthRequiredError: ${BOB_REASON}`,
});
const CAROL = mailbox("carol", null, "not_connected");
const DAVE = mailbox("dave", "Dave Ng", "active");
const ERIN = mailbox("erin", "Erin Cole", "reauth_required", { reason: "The mailbox's grant was revoked." });

/** GET /api/connections by its query: all (two pages, cursor "c2") or only reauth_required (one page). */
function healthRoute(call: Call): { status?: number; body: MailboxHealthPage } {
  const q = new URL(call.path, "https://localhost:3000").searchParams;
  if (q.get("status") === "reauth_required") return { body: { items: [BOB, ERIN], nextCursor: null, counts: COUNTS } };
  if (q.get("cursor") === "c2") return { body: { items: [DAVE], nextCursor: null, counts: COUNTS } };
  return { body: { items: [ALICE, BOB, CAROL], nextCursor: "c2", counts: COUNTS } };
}

function healthBackend(me = ADMIN) {
  return new FakeBackend()
    .on("GET", "/api/me", { body: me })
    .on("POST", "/api/messages/status", { body: statusResponse("captured") })
    .on("GET", "/api/connections", healthRoute);
}

async function openMailboxes() {
  fireEvent.click(await screen.findByRole("tab", { name: "Mailboxes" }));
  return within(await screen.findByRole("region", { name: "Mailbox health" }));
}

const queries = (backend: FakeBackend) =>
  backend.callsTo("GET", "/api/connections").map((c) => Object.fromEntries(new URL(c.path, "https://x").searchParams));

describe("mailbox health", () => {
  test("without the role there is no Mailboxes view, and the pane never asks for everyone's connections", async () => {
    installOutlook();
    const backend = healthBackend(MEMBER);
    renderPane(backend);
    await screen.findByRole("heading", { name: "Captured" });
    expect(screen.getAllByRole("tab").map((t) => t.getAttribute("value"))).toEqual([
      "message",
      "contacts",
      "blocklist",
    ]);
    expect(screen.queryByRole("tab", { name: "Mailboxes" })).toBeNull();
    expect(backend.callsTo("GET", "/api/connections")).toHaveLength(0);
  });

  test("an administrator: the organization's counts, and each mailbox with its state, last successful sweep, reason and error", async () => {
    installOutlook();
    const backend = healthBackend();
    renderPane(backend);
    const view = await openMailboxes();
    expect(await view.findByText("12 connected · 2 need reconnecting · 1 never connected")).toBeTruthy();
    expect(queries(backend)).toEqual([{ limit: "50" }]);

    const items = within(view.getByRole("list", { name: "Mailboxes" })).getAllByRole("listitem");
    expect(items).toHaveLength(3);
    const [alice, bob, carol] = items.map((i) => within(i));
    expect(alice.getByText("Alice Hart")).toBeTruthy();
    expect(alice.getByText("alice@contoso.com")).toBeTruthy();
    expect(alice.getByText("Connected")).toBeTruthy();
    expect(alice.getByText(`Last successful check ${formatWhen("2026-03-02T09:00:00Z")}`)).toBeTruthy();

    expect(bob.getByText("Reconnect needed")).toBeTruthy();
    expect(bob.getByText(`Last successful check ${formatWhen("2026-02-27T16:00:00Z")}`)).toBeTruthy();
    // Said to the administrator about Bob, once: not the owner's "Your … sign-in", not again as "Last error: ReauthRequiredError: …".
    expect(
      bob.getByText(
        "Microsoft no longer accepts this mailbox's sign-in, so its capture is paused. Bob Stone needs to choose Reconnect in the Engagement Capture pane.",
      ),
    ).toBeTruthy();
    expect(bob.queryByText(/Your Microsoft 365 sign-in/)).toBeNull();
    expect(bob.queryByText(/ReauthRequiredError/)).toBeNull();

    // No display name: the address once, as the name.
    expect(carol.getAllByText("carol@contoso.com")).toHaveLength(1);
    // The summary's word ("never connected"), and no sweep line for a mailbox that was never connected.
    expect(carol.getByText("Never connected")).toBeTruthy();
    expect(carol.queryByText("No successful check yet")).toBeNull();
    expect(view.getByText("Showing 3 of 15.")).toBeTruthy();
  });

  test("the filter asks again with ?status=reauth_required, shows only those, says so, and turning it off shows everyone again", async () => {
    installOutlook();
    const backend = healthBackend();
    renderPane(backend);
    const view = await openMailboxes();
    await view.findByRole("list", { name: "Mailboxes" });
    fireEvent.click(view.getByRole("switch", { name: "Only mailboxes that need reconnecting" }));
    await waitFor(() => expect(queries(backend).at(-1)).toEqual({ status: "reauth_required", limit: "50" }));
    await waitFor(() =>
      expect(within(view.getByRole("list", { name: "Mailboxes" })).getAllByRole("listitem")).toHaveLength(2),
    );
    const names = within(view.getByRole("list", { name: "Mailboxes" }))
      .getAllByRole("listitem")
      .map((i) => i.querySelector("span")?.textContent);
    expect(names).toEqual(["Bob Stone", "Erin Cole"]);
    // The counts are the organization's, whatever the filter.
    expect(view.getByText("12 connected · 2 need reconnecting · 1 never connected")).toBeTruthy();
    expect(view.getByText("Showing 2 of 2.")).toBeTruthy();
    expect(view.queryByRole("button", { name: "Load more" })).toBeNull();
    await waitFor(() => expect(screen.getByTestId("announcer").textContent).toBe("2 mailboxes need reconnecting."));

    fireEvent.click(view.getByRole("switch", { name: "Only mailboxes that need reconnecting" }));
    await waitFor(() =>
      expect(within(view.getByRole("list", { name: "Mailboxes" })).getAllByRole("listitem")).toHaveLength(3),
    );
    expect(queries(backend).at(-1)).toEqual({ limit: "50" });
  });

  test("no mailbox needs reconnecting: says so", async () => {
    installOutlook();
    const backend = healthBackend().on("GET", "/api/connections", (call) =>
      new URL(call.path, "https://x").searchParams.get("status")
        ? { body: { items: [], nextCursor: null, counts: { ...COUNTS, reauth_required: 0 } } }
        : healthRoute(call),
    );
    renderPane(backend);
    const view = await openMailboxes();
    await view.findByRole("list", { name: "Mailboxes" });
    fireEvent.click(view.getByRole("switch", { name: "Only mailboxes that need reconnecting" }));
    expect(await view.findByText("No mailbox needs reconnecting.")).toBeTruthy();
    expect(view.getByText("12 connected · 0 need reconnecting · 1 never connected")).toBeTruthy();
    expect(view.queryByRole("list", { name: "Mailboxes" })).toBeNull();
  });

  test("Load more asks for the next page by its cursor, appends it, moves focus to the first new mailbox and goes on the last page", async () => {
    installOutlook();
    const backend = healthBackend();
    renderPane(backend);
    const view = await openMailboxes();
    const more = await view.findByRole("button", { name: "Load more" });
    fireEvent.click(more);
    await waitFor(() =>
      expect(within(view.getByRole("list", { name: "Mailboxes" })).getAllByRole("listitem")).toHaveLength(4),
    );
    expect(queries(backend).at(-1)).toEqual({ cursor: "c2", limit: "50" });
    const items = within(view.getByRole("list", { name: "Mailboxes" })).getAllByRole("listitem");
    expect(items.map((i) => i.querySelector("span")?.textContent)).toEqual([
      "Alice Hart",
      "Bob Stone",
      "carol@contoso.com",
      "Dave Ng",
    ]);
    expect(view.queryByRole("button", { name: "Load more" })).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(items[3]));
    expect(view.getByText("Showing 4 of 15.")).toBeTruthy();
  });

  test("Load more failing: the error with Retry under the list (which stays), Retry appends the page", async () => {
    installOutlook();
    let down = true;
    const backend = healthBackend().on("GET", "/api/connections", (call) =>
      down && call.path.includes("cursor=")
        ? { status: 503, body: { error: { code: "unavailable", message: "The database is restarting." } } }
        : healthRoute(call),
    );
    renderPane(backend);
    const view = await openMailboxes();
    fireEvent.click(await view.findByRole("button", { name: "Load more" }));
    const alert = await view.findByRole("alert");
    expect(within(alert).getByText("Couldn't load more mailboxes")).toBeTruthy();
    expect(within(view.getByRole("list", { name: "Mailboxes" })).getAllByRole("listitem")).toHaveLength(3);
    down = false;
    fireEvent.click(within(alert).getByRole("button", { name: "Retry" }));
    await waitFor(() =>
      expect(within(view.getByRole("list", { name: "Mailboxes" })).getAllByRole("listitem")).toHaveLength(4),
    );
    expect(view.queryByRole("alert")).toBeNull();
  });

  test("the first page fails: the server's sentence with Retry, and Retry loads the list", async () => {
    installOutlook();
    let down = true;
    const backend = healthBackend().on("GET", "/api/connections", (call) =>
      down
        ? { status: 503, body: { error: { code: "unavailable", message: "The database is restarting." } } }
        : healthRoute(call),
    );
    renderPane(backend);
    const view = await openMailboxes();
    const alert = await view.findByRole("alert");
    expect(within(alert).getByText("Couldn't load mailbox health")).toBeTruthy();
    expect(within(alert).getByText(/The database is restarting\./)).toBeTruthy();
    down = false;
    fireEvent.click(within(alert).getByRole("button", { name: "Retry" }));
    expect(await view.findByText("12 connected · 2 need reconnecting · 1 never connected")).toBeTruthy();
    expect(within(view.getByRole("list", { name: "Mailboxes" })).getAllByRole("listitem")).toHaveLength(3);
    expect(view.queryByRole("alert")).toBeNull();
    expect(backend.callsTo("GET", "/api/connections")).toHaveLength(2);
  });

  test("the role was removed since (403): a plain sentence and no Retry", async () => {
    installOutlook();
    const backend = healthBackend().on("GET", "/api/connections", {
      status: 403,
      body: {
        error: {
          code: "forbidden",
          message:
            "Seeing everyone's mailbox connections needs the Capture.Admin role; ask an administrator of your organization.",
        },
      },
    });
    renderPane(backend);
    const view = await openMailboxes();
    const alert = await view.findByRole("alert");
    expect(alert.textContent).toMatch(
      /Your account no longer has the administrator role, so it can't see everyone's mailboxes\./,
    );
    expect(within(alert).queryByRole("button")).toBeNull();
  });

  test("while the first page loads: a labelled skeleton", async () => {
    installOutlook();
    let answer: (r: { body: MailboxHealthPage }) => void = () => {};
    const backend = healthBackend().on("GET", "/api/connections", () => new Promise((resolve) => (answer = resolve)));
    renderPane(backend);
    const view = await openMailboxes();
    expect(await view.findByLabelText("Loading mailbox health")).toBeTruthy();
    await act(async () => answer({ body: { items: [ALICE], nextCursor: null, counts: COUNTS } }));
    expect(await view.findByText("Alice Hart")).toBeTruthy();
    expect(view.queryByLabelText("Loading mailbox health")).toBeNull();
  });
});
