/** @jest-environment jsdom */
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { REASON_CODES, REASON_TEXTS, type CaptureAction, type ReasonCode } from "../../shared/capture/reasons";
import {
  CONFIG,
  FakeBackend,
  focusDialog,
  PEOPLE,
  installOutlook,
  meResponse,
  renderPane,
  sampleItem,
  statusResponse,
  stubAuth,
  trackedContact,
  setUpPaneTests,
} from "./helpers";

// Two shared cores: give Fluent's first renders more than the default 1 s.
setUpPaneTests();

const statusHeading = () =>
  screen.findByRole("heading", { level: 2, name: /^(Captured|Will be captured|Not captured|Select a message)/ });

function backendWith(status = statusResponse("captured"), me = meResponse("active")) {
  return new FakeBackend().on("GET", "/api/me", { body: me }).on("POST", "/api/messages/status", { body: status });
}

describe("connection", () => {
  test("not connected: Connect opens the authorize URL in an Office dialog through the same-origin trampoline, then refreshes", async () => {
    const outlook = installOutlook();
    let connected = false;
    const backend = backendWith(statusResponse("will_be_captured", { connection: "not_connected" }))
      .on("GET", "/api/me", () => ({ body: meResponse(connected ? "active" : "not_connected") }))
      .on("POST", "/api/connection", {
        body: { authorizeUrl: "https://login.example.test/organizations/oauth2/v2.0/authorize?state=s1" },
      });
    renderPane(backend);

    expect(await screen.findByText("Not connected")).toBeTruthy();
    fireEvent.click(await screen.findByRole("button", { name: "Connect Microsoft 365" }));
    await waitFor(() => expect(outlook.dialogs).toHaveLength(1));
    const dialog = outlook.dialogs[0];
    expect(backend.callsTo("POST", "/api/connection")).toHaveLength(1);
    const url = new URL(dialog.url);
    expect(url.pathname).toBe("/dialog.html");
    expect(url.searchParams.get("action")).toBe("connect");
    expect(url.searchParams.get("url")).toBe("https://login.example.test/organizations/oauth2/v2.0/authorize?state=s1");
    expect(dialog.options).toMatchObject({ height: 60, width: 30 });

    connected = true;
    act(() => dialog.handlers.dialogMessageReceived({ message: JSON.stringify({ status: "connected" }) }));
    expect(await screen.findByText("Connected")).toBeTruthy();
    expect(dialog.closed).toBe(true);
    expect(backend.callsTo("GET", "/api/me").length).toBeGreaterThanOrEqual(2);
    expect(screen.getByRole("button", { name: "Disconnect" })).toBeTruthy();
  });

  test("closing the dialog without finishing still refreshes the connection", async () => {
    const outlook = installOutlook();
    const backend = backendWith(statusResponse("not_captured"), meResponse("not_connected")).on(
      "POST",
      "/api/connection",
      {
        body: { authorizeUrl: "https://login.example.test/x" },
      },
    );
    renderPane(backend);
    fireEvent.click(await screen.findByRole("button", { name: "Connect Microsoft 365" }));
    await waitFor(() => expect(outlook.dialogs).toHaveLength(1));
    const before = backend.callsTo("GET", "/api/me").length;
    act(() => outlook.dialogs[0].handlers.dialogEventReceived({ error: 12006 }));
    await waitFor(() => expect(backend.callsTo("GET", "/api/me").length).toBe(before + 1));
  });

  test("reauth required: says why and offers Reconnect", async () => {
    installOutlook();
    const backend = backendWith(
      statusResponse("will_be_captured", { connection: "reauth_required" }),
      meResponse("reauth_required", { reason: "The mailbox grant was revoked on 2 March." }),
    );
    renderPane(backend);
    // In the banner and as the message bar's title.
    expect(await screen.findAllByText("Reconnect needed")).toHaveLength(2);
    expect(screen.getByText(/The mailbox grant was revoked on 2 March\./)).toBeTruthy();
    expect(screen.getByRole("button", { name: "Reconnect" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Connect Microsoft 365" })).toBeNull();
  });

  test("Disconnect asks first (it deletes the grant), then calls DELETE /api/connection and refreshes", async () => {
    installOutlook();
    let active = true;
    const backend = backendWith()
      .on("GET", "/api/me", () => ({ body: meResponse(active ? "active" : "disconnected") }))
      .on("DELETE", "/api/connection", () => ((active = false), { status: 204 }));
    renderPane(backend);
    fireEvent.click(await screen.findByRole("button", { name: "Disconnect" }));
    // One click only asks; Cancel is the safe choice and takes focus.
    const question = await screen.findByRole("group", { name: /Disconnect your mailbox\?/ });
    expect(backend.callsTo("DELETE", "/api/connection")).toHaveLength(0);
    await waitFor(() => expect(document.activeElement).toBe(within(question).getByRole("button", { name: "Cancel" })));
    fireEvent.click(within(question).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("button", { name: "Disconnect" })));
    expect(backend.callsTo("DELETE", "/api/connection")).toHaveLength(0);

    // Escape cancels too, as in the Unblock for everyone confirmation.
    fireEvent.click(screen.getByRole("button", { name: "Disconnect" }));
    const again = await screen.findByRole("group", { name: /Disconnect your mailbox\?/ });
    await waitFor(() => expect(document.activeElement).toBe(within(again).getByRole("button", { name: "Cancel" })));
    fireEvent.keyDown(within(again).getByRole("button", { name: "Cancel" }), { key: "Escape" });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("button", { name: "Disconnect" })));
    expect(screen.queryByRole("group", { name: /Disconnect your mailbox\?/ })).toBeNull();

    fireEvent.click(screen.getByRole("button", { name: "Disconnect" }));
    fireEvent.click(await screen.findByRole("button", { name: "Yes, disconnect" }));
    const connect = await screen.findByRole("button", { name: "Connect Microsoft 365" });
    expect(backend.callsTo("DELETE", "/api/connection")).toHaveLength(1);
    // The button pressed went away: focus is on the one that replaced it, not lost to <body>.
    await waitFor(() => expect(document.activeElement).toBe(connect));
  });

  test("sign-in required: Sign in runs the interactive flow, then loads", async () => {
    installOutlook();
    const auth = stubAuth({ signedIn: false });
    const backend = backendWith();
    renderPane(backend, CONFIG, auth);
    fireEvent.click(await screen.findByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("heading", { name: "Captured" })).toBeTruthy();
    expect(auth.signIn).toHaveBeenCalledTimes(1);
    expect(backend.calls.every((c) => c.auth === "Bearer test-token")).toBe(true);
  });
});

describe("status of the open message", () => {
  test("sends the message identity and participants read from Office", async () => {
    installOutlook({ item: sampleItem(3) });
    const backend = backendWith();
    renderPane(backend);
    await statusHeading();
    const body = backend.callsTo("POST", "/api/messages/status")[0].body;
    expect(body).toEqual({
      internetMessageId: "<msg-3@globex.com>",
      restItemId: "rest(v2.0):AAMkAD=EWS/id+3",
      subject: "Renewal question 3",
      from: { address: "bob@globex.com", name: "Bob Stone" },
      to: [{ address: "alice@contoso.com", name: "Alice Hart" }],
      cc: [{ address: "carol@initech.com", name: "Carol Vance" }],
      sentDateTime: "2026-03-02T10:15:00.000Z",
      receivedDateTime: "2026-03-02T10:15:00.000Z",
      itemClass: "IPM.Note",
    });
  });

  test("captured: when, linked clients and contacts, link to the engagement", async () => {
    installOutlook();
    renderPane(backendWith(statusResponse("captured")));
    const heading = await screen.findByRole("heading", { name: "Captured" });
    const card = within(screen.getByRole("region", { name: "Captured" }));
    expect(heading).toBeTruthy();
    expect(card.getByText(/^Captured .+ at .+\.$/)).toBeTruthy();
    expect(card.queryByText(/sweep/)).toBeNull();
    expect(card.getByText("Clients: Initech")).toBeTruthy();
    expect(card.getByText("Contacts: Carol Vance <carol@initech.com>")).toBeTruthy();
    expect(card.getByRole("link", { name: "Open in the CRM" }).getAttribute("href")).toBe(
      "https://crm.example.test/engagements/eng-7",
    );
    expect(card.queryByRole("button", { name: "Capture now" })).toBeNull();
  });

  test("captured without a CRM link configured: no link, and no identifier anywhere in the card", async () => {
    installOutlook();
    const engagementId = "d3c8a4ce-cf3c-4a1e-9b7d-2fe1eb54aa01";
    const sweepId = "2fe1eb54-0a6c-4f52-b0f3-8c1d2e3f4a5b";
    const base = statusResponse("captured");
    renderPane(
      backendWith({
        ...base,
        decision: { ...base.decision, sweepId },
        engagement: base.engagement && { ...base.engagement, id: engagementId },
      }),
      { ...CONFIG, crmEngagementUrl: null },
    );
    const region = await screen.findByRole("region", { name: "Captured" });
    const card = within(region);
    expect(card.queryByRole("link")).toBeNull();
    expect(card.getByText("Clients: Initech")).toBeTruthy();
    const text = region.textContent ?? "";
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}/i);
    expect(text).not.toMatch(/sweep [0-9a-f]{8}/i);
    expect(text).not.toMatch(/2fe1eb54|d3c8a4ce|eng-7|Engagement /);
  });

  test("will be captured: next sweep and who is tracked; Capture now turns it to Captured", async () => {
    installOutlook();
    const backend = backendWith(statusResponse("will_be_captured")).on("POST", "/api/messages/capture", {
      body: statusResponse("captured"),
    });
    renderPane(backend);
    await screen.findByRole("heading", { name: "Will be captured" });
    expect(
      screen.getByText(/At the next check of your mailbox, .*because carol@initech\.com is tracked\./),
    ).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Capture now" }));
    expect(await screen.findByRole("heading", { name: "Captured" })).toBeTruthy();
    expect(backend.callsTo("POST", "/api/messages/capture")[0].body).toEqual({
      restItemId: "rest(v2.0):AAMkAD=EWS/id+1",
      internetMessageId: "<msg-1@globex.com>",
    });
    await waitFor(() => expect(screen.getByTestId("announcer").textContent).toBe("Captured."));
  });

  test("Capture now failing shows the server's message and Retry repeats it", async () => {
    installOutlook();
    let attempts = 0;
    const backend = backendWith(statusResponse("will_be_captured")).on("POST", "/api/messages/capture", () =>
      ++attempts === 1
        ? {
            status: 503,
            body: { error: { code: "graph_unavailable", message: "Microsoft Graph is busy; try again in a minute." } },
          }
        : { body: statusResponse("captured") },
    );
    renderPane(backend);
    fireEvent.click(await screen.findByRole("button", { name: "Capture now" }));
    expect(await screen.findByText("Microsoft Graph is busy; try again in a minute.")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("heading", { name: "Captured" })).toBeTruthy();
    expect(attempts).toBe(2);
  });

  const ACTIONS: Partial<Record<ReasonCode, CaptureAction>> = {
    no_tracked_contact: { kind: "track_contact", address: "bob@globex.com", label: "Track bob@globex.com" },
    blocked: { kind: "unblock", entry: "@globex.com", label: "Unblock @globex.com" },
  };

  // The button's visible label: the person's name when the message gives one (addresses overflow the card).
  const LABELS: Partial<Record<ReasonCode, string>> = {
    no_tracked_contact: "Track Bob Stone",
    blocked: "Unblock @globex.com",
  };

  test.each(REASON_CODES.map((r) => [r]))(
    "not captured (%s): the API's sentence, and the fix when there is one",
    async (reason) => {
      installOutlook();
      const explanation = `Server sentence for ${reason}.`;
      const action = ACTIONS[reason] ?? null;
      renderPane(
        backendWith(
          statusResponse("not_captured", {
            decision: {
              source: "stored",
              outcome: "excluded",
              reason,
              explanation,
              action,
              decidedAt: "2026-03-02T09:00:00Z",
              sweepId: "s1",
            },
          }),
        ).on("GET", "/api/blocklist", {
          body: {
            items: [{ id: "b-1", entry: "@globex.com", scope: "personal", createdAt: "2026-01-01T00:00:00Z" }],
            nextCursor: null,
          },
        }),
      );
      await screen.findByRole("heading", { name: "Not captured" });
      const card = within(screen.getByRole("region", { name: "Not captured" }));
      expect(card.getByTestId("status-explanation").textContent).toBe(explanation);
      expect(card.getByText(REASON_TEXTS[reason].title)).toBeTruthy();
      if (action) {
        const button = await card.findByRole("button");
        expect(button.textContent).toBe(LABELS[reason]);
        expect(card.getAllByRole("button")).toHaveLength(1);
      } else {
        const buttons = card.queryAllByRole("button");
        expect(buttons).toHaveLength(0);
        // The folder sentence says what to do itself; an item that isn't email or mail from before the window has nothing more to say.
        const saysItself = ["excluded_folder", "not_an_email", "before_connection"].includes(reason);
        expect(card.queryByText(REASON_TEXTS[reason].remedy)).toBe(
          saysItself ? null : card.getByText(REASON_TEXTS[reason].remedy),
        );
      }
    },
  );

  test("not captured, no tracked contact and nobody to suggest (colleagues only): no button, the general remedy", async () => {
    installOutlook();
    const explanation =
      "Everyone else on this message is at your own organization (contoso.com), so there is no tracked contact.";
    renderPane(
      backendWith(
        statusResponse("not_captured", {
          decision: {
            source: "predicted",
            outcome: "excluded",
            reason: "no_tracked_contact",
            explanation,
            action: null,
            decidedAt: null,
            sweepId: null,
          },
        }),
      ),
    );
    // A prediction a coming sweep may still change carries a "Not checked yet" badge in its heading.
    await screen.findByRole("heading", { name: /^Not captured/ });
    const card = within(screen.getByRole("region", { name: /^Not captured/ }));
    expect(card.getByTestId("status-explanation").textContent).toBe(explanation);
    expect(card.queryAllByRole("button")).toHaveLength(0);
    expect(
      card.getByText("Mail is captured only when a tracked contact is its sender or a To or Cc recipient."),
    ).toBeTruthy();
  });

  test("not captured → Unblock finds the entry, deletes it and reads the status again", async () => {
    installOutlook();
    let blocked = true;
    const backend = new FakeBackend()
      .on("GET", "/api/me", { body: meResponse("active") })
      .on("POST", "/api/messages/status", () => ({
        body: blocked
          ? statusResponse("not_captured", {
              decision: {
                source: "predicted",
                outcome: "excluded",
                reason: "blocked",
                explanation: "Not captured: @globex.com is blocked.",
                action: { kind: "unblock", entry: "@globex.com", label: "Unblock @globex.com" },
                decidedAt: null,
                sweepId: null,
              },
            })
          : statusResponse("will_be_captured"),
      }))
      .on("GET", "/api/blocklist", {
        body: [{ id: "b-9", entry: "@GLOBEX.com", scope: "personal", createdAt: "2026-01-01T00:00:00Z" }],
      })
      .on("DELETE", "/api/blocklist/b-9", () => ((blocked = false), { status: 204 }));
    renderPane(backend);
    fireEvent.click(await screen.findByRole("button", { name: "Unblock @globex.com" }));
    expect(await screen.findByRole("heading", { name: "Will be captured" })).toBeTruthy();
    expect(backend.callsTo("DELETE", "/api/blocklist/b-9")).toHaveLength(1);
  });

  test("API error shows the server's message with Retry, and Retry recovers", async () => {
    installOutlook();
    let fail = true;
    const backend = new FakeBackend()
      .on("GET", "/api/me", { body: meResponse("active") })
      .on("POST", "/api/messages/status", () =>
        fail
          ? { status: 500, body: { error: { code: "internal", message: "The database is restarting." } } }
          : { body: statusResponse("captured") },
      );
    renderPane(backend);
    const alert = await screen.findByRole("alert");
    expect(within(alert).getByText("The database is restarting.")).toBeTruthy();
    fail = false;
    fireEvent.click(within(alert).getByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("heading", { name: "Captured" })).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  test("the backend unreachable: /api/me fails with a network error and Retry is offered", async () => {
    installOutlook();
    const backend = new FakeBackend();
    const failing = jest.fn(async () => {
      throw new TypeError("Failed to fetch");
    });
    backend.fetch = failing as unknown as typeof backend.fetch;
    renderPane(backend);
    const alert = await screen.findByRole("alert");
    expect(
      within(alert).getByText(/Engagement Capture's server can't be reached\. Check your connection and try again\./),
    ).toBeTruthy();
    expect(within(alert).getByText("Error code: network_error")).toBeTruthy();
    expect(within(alert).queryByText(/Failed to fetch/)).toBeNull();
    expect(within(alert).getByRole("button", { name: "Retry" })).toBeTruthy();
  });

  test("no item selected: asks to select a message and asks the API nothing about it", async () => {
    installOutlook({ item: null });
    const backend = backendWith();
    renderPane(backend);
    expect(await screen.findByRole("heading", { name: "Select a message" })).toBeTruthy();
    await waitFor(() => expect(backend.callsTo("GET", "/api/me")).toHaveLength(1));
    expect(backend.callsTo("POST", "/api/messages/status")).toHaveLength(0);
  });

  test("ItemChanged (pinned pane) switches to the newly selected message, and to none", async () => {
    const outlook = installOutlook({ item: sampleItem(1) });
    const backend = new FakeBackend()
      .on("GET", "/api/me", { body: meResponse("active") })
      .on("POST", "/api/messages/status", (c) => ({
        body:
          c.body.internetMessageId === "<msg-1@globex.com>"
            ? statusResponse("captured")
            : statusResponse("not_captured"),
      }));
    renderPane(backend);
    await screen.findByRole("heading", { name: "Captured" });
    await waitFor(() => expect(outlook.itemChangedHandlers).toHaveLength(1));

    act(() => outlook.selectItem(sampleItem(2)));
    expect(await screen.findByRole("heading", { name: "Not captured" })).toBeTruthy();
    expect(screen.getByText("Renewal question 2")).toBeTruthy();
    expect(backend.callsTo("POST", "/api/messages/status").map((c) => c.body.internetMessageId)).toEqual([
      "<msg-1@globex.com>",
      "<msg-2@globex.com>",
    ]);

    act(() => outlook.selectItem(null));
    expect(await screen.findByRole("heading", { name: "Select a message" })).toBeTruthy();
  });
});

test("a message selected while the pane was still registering for ItemChanged is followed", async () => {
  const outlook = installOutlook({ item: null });
  let finishRegistration: (() => void) | null = null;
  // Outlook answers addHandlerAsync later; a selection before that fires no event this pane hears.
  outlook.office.context.mailbox.addHandlerAsync = (type: string, handler: () => void, cb?: (r: unknown) => void) => {
    finishRegistration = () => {
      if (type === "olkItemSelectedChanged") outlook.itemChangedHandlers.push(handler);
      cb?.({ status: "succeeded" });
    };
  };
  const backend = backendWith(statusResponse("captured"));
  renderPane(backend);
  expect(await screen.findByRole("heading", { name: "Select a message" })).toBeTruthy();
  await waitFor(() => expect(finishRegistration).not.toBeNull());
  act(() => outlook.selectItem(sampleItem(1)));
  expect(outlook.itemChangedHandlers).toHaveLength(0);
  act(() => finishRegistration!());
  expect(await screen.findByRole("heading", { name: "Captured" })).toBeTruthy();
  expect(backend.callsTo("POST", "/api/messages/status").map((c) => c.body.internetMessageId)).toEqual([
    "<msg-1@globex.com>",
  ]);
});

describe("people and tracking", () => {
  test("lists from/to/cc with tracked state and client; Track only for untracked others", async () => {
    installOutlook();
    renderPane(backendWith(statusResponse("not_captured")));
    const list = within(await screen.findByRole("list", { name: "People on this message" }));
    const items = list.getAllByRole("listitem");
    expect(items.map((i) => i.getAttribute("aria-label"))).toEqual([
      "Bob Stone, From, Not tracked",
      "Alice Hart, To, You",
      "Carol Vance, Cc, Tracked",
    ]);
    expect(within(items[2]).getByText("Initech")).toBeTruthy();
    expect(list.getAllByRole("button").map((b) => b.getAttribute("aria-label"))).toEqual([
      "Track bob@globex.com",
      "Block bob@globex.com",
      "History with Carol Vance",
      "Block carol@initech.com",
    ]);
  });

  test("track flow with an existing client: pick it, POST the contact, status is read again", async () => {
    installOutlook();
    let tracked = false;
    const initech = { id: "cl-initech", name: "Initech" };
    const globex = { id: "cl-globex", name: "Globex" };
    const backend = new FakeBackend()
      .on("GET", "/api/me", { body: meResponse("active") })
      .on("POST", "/api/messages/status", () => ({
        body: tracked
          ? statusResponse("will_be_captured", {
              people: PEOPLE.map((p) =>
                p.address === "bob@globex.com"
                  ? {
                      ...p,
                      contact: { id: "c-bob", name: "Bob Stone", client: globex, createdAt: "2026-03-02T10:20:00Z" },
                    }
                  : p,
              ),
            })
          : statusResponse("not_captured"),
      }))
      .on("GET", "/api/clients", {
        body: [
          { ...initech, createdAt: "2026-01-01T00:00:00Z" },
          { ...globex, createdAt: "2026-01-01T00:00:00Z" },
        ],
      })
      .on(
        "POST",
        "/api/contacts",
        () => ((tracked = true), { status: 201, body: trackedContact("bob@globex.com", globex, "Bob Stone") }),
      );
    renderPane(backend);

    // The fix on the Not captured card opens the same flow as the People list's Track.
    const card = within(await screen.findByRole("region", { name: "Not captured" }));
    fireEvent.click(card.getByRole("button", { name: "Track Bob Stone (bob@globex.com)" }));
    const dialog = await focusDialog();
    expect(dialog.getByRole("heading", { name: "Track bob@globex.com" })).toBeTruthy();
    expect((dialog.getByRole("textbox", { name: "Name" }) as HTMLInputElement).value).toBe("Bob Stone");

    const combo = dialog.getByRole("combobox", { name: /Client/ });
    await waitFor(() => expect(backend.callsTo("GET", "/api/clients")).toHaveLength(1));
    fireEvent.click(combo);
    fireEvent.click(await screen.findByRole("option", { name: "Globex" }));
    fireEvent.click(dialog.getByRole("button", { name: "Track contact" }));
    await waitFor(() => expect(backend.callsTo("POST", "/api/contacts")).toHaveLength(1));

    expect(await screen.findByRole("heading", { name: "Will be captured" })).toBeTruthy();
    expect(backend.callsTo("POST", "/api/contacts")[0].body).toEqual({
      email: "bob@globex.com",
      clientId: "cl-globex",
      name: "Bob Stone",
    });
    expect(backend.callsTo("POST", "/api/clients")).toHaveLength(0);
    expect(backend.callsTo("POST", "/api/messages/status")).toHaveLength(2);
    expect(screen.queryByRole("dialog")).toBeNull();
    const bob = within(screen.getByRole("list", { name: "People on this message" })).getAllByRole("listitem")[0];
    expect(bob.getAttribute("aria-label")).toBe("Bob Stone, From, Tracked");
    await waitFor(() =>
      expect(screen.getByTestId("announcer").textContent).toBe("Tracking bob@globex.com for Globex."),
    );
  });

  test("track flow creating a new client: POST /api/clients, then the contact with its id", async () => {
    installOutlook();
    const created = { id: "cl-new", name: "Globex Europe", createdAt: "2026-03-02T10:19:00Z" };
    const backend = backendWith(statusResponse("not_captured"))
      .on("GET", "/api/clients", {
        body: { items: [{ id: "cl-initech", name: "Initech", createdAt: "2026-01-01T00:00:00Z" }], nextCursor: null },
      })
      .on("POST", "/api/clients", { status: 201, body: created })
      .on("POST", "/api/contacts", { status: 201, body: trackedContact("bob@globex.com", created) });
    renderPane(backend);
    const people = within(await screen.findByRole("list", { name: "People on this message" }));
    fireEvent.click(people.getByRole("button", { name: "Track bob@globex.com" }));
    const dialog = await focusDialog();
    await waitFor(() => expect(backend.callsTo("GET", "/api/clients")).toHaveLength(1));
    const combo = dialog.getByRole("combobox", { name: /Client/ });
    fireEvent.input(combo, { target: { value: "Globex Europe" } });
    expect(dialog.getByText("A new client “Globex Europe” will be created.")).toBeTruthy();
    fireEvent.change(dialog.getByRole("textbox", { name: "Name" }), { target: { value: "  " } });
    fireEvent.click(dialog.getByRole("button", { name: "Track contact" }));
    await waitFor(() => expect(backend.callsTo("POST", "/api/contacts")).toHaveLength(1));
    expect(backend.callsTo("POST", "/api/clients")[0].body).toEqual({ name: "Globex Europe" });
    expect(backend.callsTo("POST", "/api/contacts")[0].body).toEqual({ email: "bob@globex.com", clientId: "cl-new" });
    await waitFor(() => expect(backend.callsTo("POST", "/api/messages/status")).toHaveLength(2));
  });

  test("a duplicate contact (409) keeps the dialog open with the server's message", async () => {
    installOutlook();
    const backend = backendWith(statusResponse("not_captured"))
      .on("GET", "/api/clients", { body: [{ id: "cl-g", name: "Globex", createdAt: "2026-01-01T00:00:00Z" }] })
      .on("POST", "/api/contacts", {
        status: 409,
        body: { error: { code: "conflict", message: "bob@globex.com is already a contact." } },
      });
    renderPane(backend);
    const people = within(await screen.findByRole("list", { name: "People on this message" }));
    fireEvent.click(people.getByRole("button", { name: "Track bob@globex.com" }));
    const dialog = await focusDialog();
    await waitFor(() => expect(backend.callsTo("GET", "/api/clients")).toHaveLength(1));
    fireEvent.input(dialog.getByRole("combobox", { name: /Client/ }), { target: { value: "globex" } });
    // A typed name matching an existing client uses it instead of creating a duplicate.
    expect(dialog.queryByText(/will be created/)).toBeNull();
    fireEvent.click(dialog.getByRole("button", { name: "Track contact" }));
    expect(await dialog.findByText("bob@globex.com is already a contact.")).toBeTruthy();
    expect(backend.callsTo("POST", "/api/contacts")[0].body.clientId).toBe("cl-g");
    expect(backend.callsTo("POST", "/api/clients")).toHaveLength(0);
  });

  test("a typed name is matched as the database matches names (NFKC, any case): full-width “ＧＬＯＢＥＸ” is the existing Globex", async () => {
    installOutlook();
    const backend = backendWith(statusResponse("not_captured"))
      .on("GET", "/api/clients", { body: [{ id: "cl-g", name: "Globex", createdAt: "2026-01-01T00:00:00Z" }] })
      .on("POST", "/api/contacts", {
        status: 201,
        body: {
          id: "c-1",
          email: "bob@globex.com",
          name: null,
          clientId: "cl-g",
          client: { id: "cl-g", name: "Globex" },
          createdAt: "2026-01-01T00:00:00Z",
        },
      });
    renderPane(backend);
    const people = within(await screen.findByRole("list", { name: "People on this message" }));
    fireEvent.click(people.getByRole("button", { name: "Track bob@globex.com" }));
    const dialog = await focusDialog();
    await waitFor(() => expect(backend.callsTo("GET", "/api/clients")).toHaveLength(1));
    fireEvent.input(dialog.getByRole("combobox", { name: /Client/ }), { target: { value: " ＧＬＯＢＥＸ " } });
    expect(dialog.queryByText(/will be created/)).toBeNull();
    fireEvent.click(dialog.getByRole("button", { name: "Track contact" }));
    await waitFor(() => expect(backend.callsTo("POST", "/api/contacts")).toHaveLength(1));
    expect(backend.callsTo("POST", "/api/contacts")[0].body.clientId).toBe("cl-g");
    expect(backend.callsTo("POST", "/api/clients")).toHaveLength(0);
  });
});

describe("contacts view", () => {
  test("searches tracked contacts as the user types", async () => {
    installOutlook();
    const backend = backendWith().on("GET", "/api/contacts", (c) => {
      const q = new URL(c.path, "https://x").searchParams.get("q") ?? "";
      const all = [
        trackedContact("carol@initech.com", { id: "cl-i", name: "Initech" }, "Carol Vance"),
        trackedContact("dan@globex.com", { id: "cl-g", name: "Globex" }),
      ];
      return { body: { items: all.filter((x) => x.email.includes(q)), nextCursor: null } };
    });
    renderPane(backend);
    fireEvent.click(await screen.findByRole("tab", { name: "Contacts" }));
    const list = await screen.findByRole("list", { name: "Contacts" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(2);
    fireEvent.change(screen.getByRole("searchbox", { name: "Search contacts" }), { target: { value: "globex" } });
    await waitFor(() =>
      expect(within(screen.getByRole("list", { name: "Contacts" })).getAllByRole("listitem")).toHaveLength(1),
    );
    // Dan has no name: his address once, then his client.
    const dan = within(screen.getByRole("list", { name: "Contacts" })).getByRole("listitem");
    expect(within(dan).getAllByText(/dan@globex\.com/)).toHaveLength(1);
    expect(within(dan).getByText("Client: Globex")).toBeTruthy();
    expect(backend.callsTo("GET", "/api/contacts").map((c) => c.path)).toContain("/api/contacts?q=globex&limit=25");
  });
});
