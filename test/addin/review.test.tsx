/** @jest-environment jsdom */
// The pane after the UX review of the demo: portals, the blocklist's scope, sign-in failures, long
// addresses, focus, the "Not checked yet" badge, the header, plain error texts, Connect's outcome,
// Enter in the track form.
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { SweepView } from "../../shared/api/contract";
import { formatWhen } from "../../addin/state/format";
import {
  blockedStatus,
  CONFIG,
  FakeBackend,
  focusDialog,
  PEOPLE,
  installOutlook,
  meResponse,
  renderPane,
  statusResponse,
  stubAuth,
  trackedContact,
  setUpPaneTests,
} from "./helpers";

setUpPaneTests();

function backendWith(status = statusResponse("captured"), me = meResponse("active")) {
  return new FakeBackend().on("GET", "/api/me", { body: me }).on("POST", "/api/messages/status", { body: status });
}

const CLIENTS = [{ id: "cl-g", name: "Globex", createdAt: "2026-01-01T00:00:00Z" }];

describe("portals", () => {
  test("no portal layer (dialog, listbox) is a full-height sheet: the provider's own classes are copied to every portal", async () => {
    installOutlook();
    renderPane(backendWith(statusResponse("not_captured")).on("GET", "/api/clients", { body: CLIENTS }));
    const people = within(await screen.findByRole("list", { name: "People on this message" }));
    fireEvent.click(people.getByRole("button", { name: "Track bob@globex.com" }));
    const dialog = await focusDialog();
    fireEvent.click(dialog.getByRole("combobox", { name: /Client/ }));
    await screen.findByRole("option", { name: "Globex" });
    const portals = [...document.querySelectorAll<HTMLElement>("[data-portal-node]")];
    expect(portals.length).toBeGreaterThanOrEqual(2);
    for (const p of portals) expect(getComputedStyle(p).minHeight).not.toBe("100vh");
  });
});

describe("unblock", () => {
  test("an organization-wide entry: no Unblock button, the pane says to ask an administrator, nothing is deleted", async () => {
    installOutlook();
    const backend = backendWith(blockedStatus())
      .on("GET", "/api/blocklist", {
        body: {
          items: [{ id: "b-org", entry: "@noisy.example", scope: "organization", createdAt: "2026-01-01T00:00:00Z" }],
          nextCursor: null,
        },
      })
      .on("DELETE", "/api/blocklist/b-org", { status: 204 });
    renderPane(backend);
    const card = within(await screen.findByRole("region", { name: /^Not captured/ }));
    expect(
      await card.findByText("“@noisy.example” is on your organization's blocklist; ask an administrator to remove it."),
    ).toBeTruthy();
    expect(card.queryByRole("button", { name: /Unblock/ })).toBeNull();
    expect(backend.callsTo("DELETE", "/api/blocklist/b-org")).toHaveLength(0);
  });

  test("a personal entry: Unblock deletes that entry (and not an organization entry for the same domain)", async () => {
    installOutlook();
    const org = { id: "b-org", entry: "@noisy.example", scope: "organization", createdAt: "2026-01-01T00:00:00Z" };
    let mine: object | null = {
      id: "b-mine",
      entry: "@Noisy.example",
      scope: "personal",
      createdAt: "2026-01-02T00:00:00Z",
    };
    // As the server answers: the organization's entry still blocks the message after the personal one is gone.
    const backend = new FakeBackend()
      .on("GET", "/api/me", { body: meResponse("active") })
      .on("POST", "/api/messages/status", { body: blockedStatus() })
      .on("GET", "/api/blocklist", () => ({ body: mine ? [org, mine] : [org] }))
      .on("DELETE", "/api/blocklist/b-mine", () => ((mine = null), { status: 204 }));
    renderPane(backend);
    expect(await screen.findByText(/ask an administrator to remove the organization's entry\./)).toBeTruthy();
    fireEvent.click(await screen.findByRole("button", { name: "Remove from my blocklist (@noisy.example)" }));
    await waitFor(() => expect(backend.callsTo("DELETE", "/api/blocklist/b-mine")).toHaveLength(1));
    expect(backend.callsTo("DELETE", "/api/blocklist/b-org")).toHaveLength(0);
    // Still not captured, and now the card says why: only the organization's entry is left.
    expect(
      await screen.findByText(
        "“@noisy.example” is on your organization's blocklist; ask an administrator to remove it.",
      ),
    ).toBeTruthy();
    expect(screen.getByRole("heading", { name: /^Not captured/ })).toBeTruthy();
  });
});

describe("sign-in", () => {
  /** What MSAL rejects with: errorCode plus a message that links to aka.ms. */
  const msalError = (errorCode: string) =>
    Object.assign(new Error(`${errorCode}: See https://aka.ms/msal.js.errors#${errorCode} for details`), {
      name: "BrowserAuthError",
      errorCode,
      subError: "",
    });

  test.each([
    ["timed_out", "The sign-in window was closed or didn't finish in time. Try again."],
    ["user_cancelled", "Sign-in was cancelled."],
    ["popup_window_error", "The sign-in window was blocked or closed. Allow pop-ups for this pane and try again."],
    ["interaction_in_progress", "Another sign-in is still open. Finish it or close its window, then try again."],
    [
      "access_denied",
      "Sign-in was refused or Engagement Capture isn't approved for your organization yet. Try again, or ask an administrator to approve it.",
    ],
    ["no_network_connectivity", "Microsoft sign-in can't be reached. Check your connection and try again."],
  ])("MSAL %s: a plain sentence, the code for support, no MSAL text or URL, one button", async (code, sentence) => {
    installOutlook();
    const auth = stubAuth({ signedIn: false });
    auth.signIn.mockRejectedValueOnce(msalError(code));
    renderPane(backendWith(), CONFIG, auth);
    fireEvent.click(await screen.findByRole("button", { name: "Sign in" }));
    expect(await screen.findByText(sentence)).toBeTruthy();
    expect(screen.getByText(`Error code: ${code}`)).toBeTruthy();
    expect(document.body.textContent).not.toMatch(/aka\.ms|See https/);
    expect(screen.getAllByRole("button").map((b) => b.textContent)).toEqual(["Sign in"]);
  });

  test("while the sign-in window is open Sign in stays available; pressing it again replaces the waiting attempt", async () => {
    installOutlook();
    const auth = stubAuth({ signedIn: false });
    let failFirst: (e: unknown) => void = () => {};
    auth.signIn.mockImplementationOnce(() => new Promise<void>((_, reject) => (failFirst = reject)));
    const backend = backendWith();
    renderPane(backend, CONFIG, auth);
    const signIn = await screen.findByRole("button", { name: "Sign in" });
    fireEvent.click(signIn);
    expect(await screen.findByText(/Finish in the Microsoft window/)).toBeTruthy();
    expect((signIn as HTMLButtonElement).disabled).toBe(false);
    // The user closed the window and presses Sign in again (after the double-click guard's second).
    const now = Date.now();
    const clock = jest.spyOn(Date, "now").mockReturnValue(now + 5000);
    fireEvent.click(signIn);
    clock.mockRestore();
    expect(await screen.findByRole("heading", { name: "Captured" })).toBeTruthy();
    expect(auth.signIn).toHaveBeenCalledTimes(2);
    // MSAL then ends the replaced attempt: that changes nothing on screen.
    await act(async () =>
      failFirst(Object.assign(new Error("cancelled"), { errorCode: "interaction_in_progress_cancelled" })),
    );
    expect(screen.queryByRole("button", { name: "Sign in" })).toBeNull();
    expect(screen.getByRole("heading", { name: "Captured" })).toBeTruthy();
  });

  test("after Sign in the button is gone: focus moves to the status heading", async () => {
    installOutlook();
    const auth = stubAuth({ signedIn: false });
    renderPane(backendWith(), CONFIG, auth);
    const signIn = await screen.findByRole("button", { name: "Sign in" });
    act(() => signIn.focus());
    fireEvent.click(signIn);
    const heading = await screen.findByRole("heading", { name: "Captured" });
    await waitFor(() => expect(document.activeElement).toBe(heading));
  });

  test("a 401 from any call (here the status) leads back to Sign in, and signing in recovers", async () => {
    installOutlook();
    let expired = true;
    const backend = new FakeBackend()
      .on("GET", "/api/me", { body: meResponse("active") })
      .on("POST", "/api/messages/status", () =>
        expired
          ? {
              status: 401,
              body: { error: { code: "invalid_token", message: "The access token is invalid or expired." } },
            }
          : { body: statusResponse("captured") },
      );
    const auth = stubAuth();
    auth.signIn.mockImplementation(async () => {
      expired = false;
    });
    renderPane(backend, CONFIG, auth);
    fireEvent.click(await screen.findByRole("button", { name: "Sign in" }));
    expect(screen.queryByText("The access token is invalid or expired.")).toBeNull();
    expect(await screen.findByRole("heading", { name: "Captured" })).toBeTruthy();
    expect(screen.getByLabelText("Mailbox: Connected")).toBeTruthy();
  });
});

describe("header badge", () => {
  test("sign-in needed: Signed out, not Checking… forever", async () => {
    installOutlook();
    renderPane(backendWith(), CONFIG, stubAuth({ signedIn: false }));
    await screen.findByRole("button", { name: "Sign in" });
    expect(screen.getByLabelText("Mailbox: Signed out").textContent).toBe("Signed out");
    expect(screen.queryByText("Checking…")).toBeNull();
  });

  test("GET /api/me failed: Unavailable", async () => {
    installOutlook();
    const backend = new FakeBackend().on("GET", "/api/me", {
      status: 503,
      body: { error: { code: "unavailable", message: "The database is restarting." } },
    });
    renderPane(backend);
    await screen.findByRole("alert");
    expect(screen.getByLabelText("Mailbox: Unavailable").textContent).toBe("Unavailable");
  });
});

describe("error texts", () => {
  test("an HTML error page (502 from a proxy): a sentence, not 'The server answered 502.', and the code for support", async () => {
    installOutlook();
    const backend = new FakeBackend().on("GET", "/api/me", { body: meResponse("active") });
    const fetch = backend.fetch;
    backend.fetch = (async (input: RequestInfo | URL, init?: RequestInit) =>
      String(input).endsWith("/api/messages/status")
        ? { status: 502, ok: false, text: async () => "<html><h1>502 Bad Gateway</h1></html>" }
        : fetch(input, init)) as typeof fetch;
    renderPane(backend);
    const alert = await screen.findByRole("alert");
    expect(
      within(alert).getByText(/Engagement Capture's server can't be reached right now\. Try again in a moment\./),
    ).toBeTruthy();
    expect(within(alert).getByText("Error code: http_502")).toBeTruthy();
    expect(alert.textContent).not.toMatch(/answered 502|Bad Gateway/);
  });
});

describe("long addresses", () => {
  const longAddress = "priya.shah.customer-success.lead@very-long-subsidiary-name.initech-holdings.example";

  test("the card's Track button says the name; the full address is in its accessible name and tooltip", async () => {
    installOutlook();
    renderPane(
      backendWith(
        statusResponse("not_captured", {
          people: [
            { address: longAddress, name: "Priya Shah", role: "from", isUser: false, blocked: false, contact: null },
            PEOPLE[1],
          ],
          decision: {
            ...statusResponse("not_captured").decision,
            action: { kind: "track_contact", address: longAddress, label: `Track ${longAddress}` },
          },
        }),
      ),
    );
    const card = within(await screen.findByRole("region", { name: /^Not captured/ }));
    const button = card.getByRole("button", { name: `Track Priya Shah (${longAddress})` });
    expect(button.textContent).toBe("Track Priya Shah");
    expect(button.getAttribute("title")).toBe(longAddress);
  });

  test("People: the address is one line with its full text as a title, and shown once when there is no display name", async () => {
    installOutlook();
    renderPane(
      backendWith(
        statusResponse("captured", {
          people: [
            { address: longAddress, name: "Priya Shah", role: "from", isUser: false, blocked: false, contact: null },
            { address: "noname@globex.com", name: null, role: "cc", isUser: false, blocked: false, contact: null },
          ],
        }),
      ),
    );
    const items = within(await screen.findByRole("list", { name: "People on this message" })).getAllByRole("listitem");
    const address = within(items[0]).getByText(longAddress);
    expect(address.getAttribute("title")).toBe(longAddress);
    expect(within(items[1]).getAllByText("noname@globex.com")).toHaveLength(1);
  });
});

describe("focus", () => {
  async function openTrackFromPeople(backend: FakeBackend) {
    renderPane(backend);
    const people = within(await screen.findByRole("list", { name: "People on this message" }));
    const opener = people.getByRole("button", { name: "Track bob@globex.com" });
    act(() => opener.focus());
    fireEvent.click(opener);
    return { opener, dialog: await focusDialog() };
  }

  test("Cancel in the track dialog: focus returns to the Track button that opened it", async () => {
    installOutlook();
    const { opener, dialog } = await openTrackFromPeople(
      backendWith(statusResponse("not_captured")).on("GET", "/api/clients", { body: CLIENTS }),
    );
    fireEvent.click(dialog.getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByRole("dialog", { hidden: true })).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(opener));
  });

  test("Esc in the track dialog: focus returns to the Track button", async () => {
    installOutlook();
    const { opener } = await openTrackFromPeople(
      backendWith(statusResponse("not_captured")).on("GET", "/api/clients", { body: CLIENTS }),
    );
    fireEvent.keyDown(document.activeElement!, { key: "Escape" });
    await waitFor(() => expect(screen.queryByRole("dialog", { hidden: true })).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(opener));
  });

  test("Track contact: the Track button is gone afterwards, so focus goes to the status heading", async () => {
    installOutlook();
    let tracked = false;
    const backend = new FakeBackend()
      .on("GET", "/api/me", { body: meResponse("active") })
      .on("POST", "/api/messages/status", () => ({
        body: tracked ? statusResponse("will_be_captured") : statusResponse("not_captured"),
      }))
      .on("GET", "/api/clients", { body: CLIENTS })
      .on(
        "POST",
        "/api/contacts",
        () => (
          (tracked = true),
          { status: 201, body: trackedContact("bob@globex.com", { id: "cl-g", name: "Globex" }) }
        ),
      );
    const { dialog } = await openTrackFromPeople(backend);
    await waitFor(() => expect(backend.callsTo("GET", "/api/clients")).toHaveLength(1));
    fireEvent.input(dialog.getByRole("combobox", { name: /Client/ }), { target: { value: "Globex" } });
    fireEvent.click(dialog.getByRole("button", { name: "Track contact" }));
    const heading = await screen.findByRole("heading", { name: "Will be captured" });
    await waitFor(() => expect(document.activeElement).toBe(heading));
  });

  test("Capture now: the button goes away, focus stays in the card on its heading", async () => {
    installOutlook();
    renderPane(
      backendWith(statusResponse("will_be_captured")).on("POST", "/api/messages/capture", {
        body: statusResponse("captured"),
      }),
    );
    const button = await screen.findByRole("button", { name: "Capture now" });
    act(() => button.focus());
    fireEvent.click(button);
    const heading = await screen.findByRole("heading", { name: "Captured" });
    await waitFor(() => expect(document.activeElement).toBe(heading));
  });
});

describe("Not checked yet", () => {
  // Whether a coming sweep will read the message is the server's answer (its sweep window and the
  // reason; test/api/message-status.test.ts): the pane shows it, in sentence case, in the heading.
  const predicted = (kind: "not_captured" | "will_be_captured", awaitsSweep: boolean) =>
    statusResponse(kind, {
      decision: {
        source: "predicted",
        outcome: kind === "not_captured" ? "excluded" : "captured",
        reason: kind === "not_captured" ? "no_tracked_contact" : null,
        explanation: "Server sentence.",
        action: null,
        decidedAt: null,
        sweepId: null,
      },
      awaitsSweep,
    });

  test("the server says a coming sweep will read it: the badge, beside the heading (not in its name)", async () => {
    installOutlook();
    renderPane(backendWith(predicted("not_captured", true)));
    const heading = await screen.findByRole("heading", { level: 2, name: "Not captured" });
    expect(heading.textContent).toBe("Not captured");
    expect(within(screen.getByRole("region", { name: "Not captured" })).getByText("Not checked yet")).toBeTruthy();
  });

  test("the server says no sweep will: no badge", async () => {
    installOutlook();
    renderPane(backendWith(predicted("not_captured", false)));
    const heading = await screen.findByRole("heading", { level: 2, name: /^Not captured/ });
    expect(heading.textContent).toBe("Not captured");
  });

  test("never beside Will be captured, which already says the sweep is to come", async () => {
    installOutlook();
    renderPane(backendWith(predicted("will_be_captured", true)));
    const heading = await screen.findByRole("heading", { level: 2, name: /^Will be captured/ });
    expect(heading.textContent).toBe("Will be captured");
  });
});

describe("Connect's outcome", () => {
  test("Connected: says the mailbox is being checked, then that capture is up to date (no count that includes earlier captures)", async () => {
    const outlook = installOutlook();
    let connected = false;
    let sweep: SweepView | null = null;
    const backend = backendWith(statusResponse("will_be_captured"))
      .on("GET", "/api/me", () => ({ body: meResponse(connected ? "active" : "not_connected") }))
      .on("POST", "/api/connection", {
        body: { authorizeUrl: "https://login.example.test/organizations/oauth2/v2.0/authorize?state=s1" },
      })
      .on("GET", "/api/sweeps", () => ({ body: { items: sweep ? [sweep] : [], nextCursor: null } }));
    renderPane(backend);
    fireEvent.click(await screen.findByRole("button", { name: "Connect Microsoft 365" }));
    await waitFor(() => expect(outlook.dialogs).toHaveLength(1));

    connected = true;
    const startedAt = new Date().toISOString();
    sweep = {
      id: "sw-1",
      trigger: "connect",
      status: "running",
      windowStart: startedAt,
      windowEnd: startedAt,
      startedAt,
      finishedAt: null,
      listed: 0,
      captured: 0,
      newlyCaptured: 0,
      excluded: 0,
      excludedByReason: {},
      graphRequests: 0,
      retries: 0,
      error: null,
    };
    act(() =>
      outlook.dialogs[0].handlers.dialogMessageReceived({
        message: JSON.stringify({ type: "connect-result", status: "connected", code: null, message: "Connected." }),
      }),
    );
    expect(await screen.findByText(/Checking your mailbox/)).toBeTruthy();
    await waitFor(() =>
      expect(screen.getByTestId("announcer").textContent).toMatch(/^Connected\. Checking your mailbox/),
    );

    // A reconnect: the sweep read 12 messages captured before and added none, so no count is given.
    sweep = { ...sweep, status: "succeeded", finishedAt: startedAt, listed: 15, captured: 12, newlyCaptured: 0 };
    const upToDate = "Capture is up to date. From now on, new email with tracked contacts is captured automatically.";
    expect(await screen.findByText(upToDate, {}, { timeout: 8000 })).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId("announcer").textContent).toBe(`Connected. ${upToDate}`));
  });

  test("the consent failed: the callback page's sentence", async () => {
    const outlook = installOutlook();
    const backend = backendWith(statusResponse("not_captured"), meResponse("not_connected")).on(
      "POST",
      "/api/connection",
      { body: { authorizeUrl: "https://login.example.test/x" } },
    );
    renderPane(backend);
    fireEvent.click(await screen.findByRole("button", { name: "Connect Microsoft 365" }));
    await waitFor(() => expect(outlook.dialogs).toHaveLength(1));
    act(() =>
      outlook.dialogs[0].handlers.dialogMessageReceived({
        message: JSON.stringify({
          type: "connect-result",
          status: "failed",
          code: "consent_declined",
          message: "You declined the permissions, so the mailbox is not connected.",
        }),
      }),
    );
    expect(await screen.findByText("You declined the permissions, so the mailbox is not connected.")).toBeTruthy();
  });
});

describe("track form keyboard", () => {
  test("Enter in the Client field with its list closed submits the form", async () => {
    installOutlook();
    const backend = backendWith(statusResponse("not_captured"))
      .on("GET", "/api/clients", { body: CLIENTS })
      .on("POST", "/api/contacts", {
        status: 201,
        body: trackedContact("bob@globex.com", { id: "cl-g", name: "Globex" }),
      });
    renderPane(backend);
    fireEvent.click(
      within(await screen.findByRole("list", { name: "People on this message" })).getByRole("button", {
        name: "Track bob@globex.com",
      }),
    );
    const dialog = await focusDialog();
    await waitFor(() => expect(backend.callsTo("GET", "/api/clients")).toHaveLength(1));
    const combo = dialog.getByRole("combobox", { name: /Client/ });
    fireEvent.input(combo, { target: { value: "Globex" } });
    expect(combo.getAttribute("aria-expanded")).toBe("false");
    fireEvent.keyDown(combo, { key: "Enter" });
    await waitFor(() => expect(backend.callsTo("POST", "/api/contacts")).toHaveLength(1));
    expect(backend.callsTo("POST", "/api/contacts")[0].body).toMatchObject({
      email: "bob@globex.com",
      clientId: "cl-g",
    });
  });

  test("with the list open, Enter picks the option (and does not submit); the chevron is not a tab stop", async () => {
    installOutlook();
    const backend = backendWith(statusResponse("not_captured")).on("GET", "/api/clients", { body: CLIENTS });
    renderPane(backend);
    fireEvent.click(
      within(await screen.findByRole("list", { name: "People on this message" })).getByRole("button", {
        name: "Track bob@globex.com",
      }),
    );
    const dialog = await focusDialog();
    await waitFor(() => expect(backend.callsTo("GET", "/api/clients")).toHaveLength(1));
    const combo = dialog.getByRole("combobox", { name: /Client/ }) as HTMLInputElement;
    fireEvent.keyDown(combo, { key: "ArrowDown" });
    await waitFor(() => expect(combo.getAttribute("aria-expanded")).toBe("true"));
    fireEvent.keyDown(combo, { key: "ArrowDown" });
    fireEvent.keyDown(combo, { key: "Enter" });
    await waitFor(() => expect(combo.value).toBe("Globex"));
    expect(backend.callsTo("POST", "/api/contacts")).toHaveLength(0);
    const chevron = combo.parentElement!.querySelector<HTMLElement>("[role=button]")!;
    expect(chevron.tabIndex).toBe(-1);
  });
});

describe("polish", () => {
  test("times in the locale's usual form, not a padded two-digit hour with AM/PM", () => {
    const now = new Date(2026, 2, 2, 12, 0);
    const nine = new Date(2026, 2, 2, 9, 16).toISOString();
    expect(formatWhen(nine, now)).toBe(
      `today at ${new Date(nine).toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" })}`,
    );
    expect(formatWhen(nine, now)).not.toMatch(/\b0\d:\d\d\s?[AP]M/);
  });

  test("the contacts search's clear button is named for what it does", async () => {
    installOutlook();
    renderPane(backendWith().on("GET", "/api/contacts", { body: { items: [], nextCursor: null } }));
    fireEvent.click(await screen.findByRole("tab", { name: "Contacts" }));
    await screen.findByRole("searchbox", { name: "Search contacts" });
    expect(screen.getByRole("button", { name: "Clear search", hidden: true })).toBeTruthy();
  });
});
