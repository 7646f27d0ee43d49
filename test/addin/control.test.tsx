/** @jest-environment jsdom */
// Issue 21, the pane: what decides capture can be reviewed and changed from Outlook. Contacts (edit,
// move between clients, untrack, rename a client, a client's contacts), Track that says what it
// reaches and is never offered for colleagues, the blocklist (personal for everyone, organization-wide
// for administrators) and Block on a person. The fake backend answers as the server's routes do.
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import type {
  BlockEntryView,
  ClientView,
  ContactView,
  MessageStatusResponse,
  PersonView,
} from "../../shared/api/contract";
import { isRoleAddress } from "../../shared/capture/role-address";
import { ownDomainsOf, isColleague } from "../../addin/state/people";
import {
  FakeBackend,
  PEOPLE,
  focusDialog,
  installOutlook,
  meResponse,
  renderPane,
  sampleItem,
  setUpPaneTests,
  statusResponse,
  type Call,
} from "./helpers";

setUpPaneTests();

const MEMBER = meResponse("active");
const ADMIN = meResponse("active", {}, { isAdmin: true });
const at = "2026-03-02T10:20:00Z";

const err = (status: number, code: string, message: string, details?: unknown) => ({
  status,
  body: { error: details === undefined ? { code, message } : { code, message, details } },
});
const NOT_FOUND_CONTACT = err(404, "not_found", "No such contact.");
const FORBIDDEN_ORG_ADD = err(
  403,
  "forbidden",
  "Adding to the organization's blocklist needs the Capture.Admin role; ask an administrator of your organization.",
);
const FORBIDDEN_ORG_DELETE = err(
  403,
  "forbidden",
  "Removing an entry from the organization's blocklist needs the Capture.Admin role; ask an administrator of your organization.",
);

/** An in-memory organization: clients, contacts, blocklist, with the routes' answers and error cases. */
function orgBackend(me = MEMBER, status: MessageStatusResponse = statusResponse("captured")) {
  const clients: ClientView[] = [
    { id: "cl-globex", name: "Globex", createdAt: at },
    { id: "cl-initech", name: "Initech", createdAt: at },
  ];
  const contacts: ContactView[] = [
    {
      id: "c-bob",
      email: "bob@globex.com",
      name: "Bob Stone",
      clientId: "cl-globex",
      client: { id: "cl-globex", name: "Globex" },
      createdAt: at,
      trackedBy: { id: "u-dana", email: "dana@contoso.com", displayName: "Dana Kim" },
    },
    {
      id: "c-carol",
      email: "carol@initech.com",
      name: "Carol Vance",
      clientId: "cl-initech",
      client: { id: "cl-initech", name: "Initech" },
      createdAt: at,
      trackedBy: null,
    },
  ];
  const blocklist: BlockEntryView[] = [{ id: "b-org", entry: "@noisy.example", scope: "organization", createdAt: at }];
  // Engagements already captured, by contact id or blocklist entry: what previews count and removal deletes.
  // One of each is also in a colleague's mailbox (kept for a member's personal reach), one of a contact's
  // has another tracked contact on it (always kept).
  const captured: Record<string, number> = { "c-bob": 4, "@spam.example": 3, "bob@globex.com": 2 };
  const reach = me.user.isAdmin ? "organization" : "mailbox";
  const contactPreview = (id: string) => {
    const n = captured[id] ?? 0;
    const keptShared = reach === "mailbox" && n > 1 ? 1 : 0;
    const keptOtherContact = n > 0 ? 1 : 0;
    return { engagements: n - keptShared - keptOtherContact, keptShared, keptOtherContact, reach };
  };
  const blockPreview = (entry: string, scope: string) => {
    const n = captured[entry] ?? 0;
    const keptShared = scope === "personal" && n > 1 ? 1 : 0;
    return {
      engagements: n - keptShared,
      keptShared,
      keptOtherContact: 0,
      reach: scope === "organization" ? "organization" : "mailbox",
    };
  };
  const withCount = (c: ClientView) => ({ ...c, contactCount: contacts.filter((x) => x.clientId === c.id).length });
  let n = 0;
  const backend = new FakeBackend()
    .on("GET", "/api/me", { body: me })
    .on("POST", "/api/messages/status", { body: status })
    .on("GET", "/api/clients", () => ({ body: { items: clients.map(withCount), nextCursor: null } }))
    .on("POST", "/api/clients", (c: Call) => {
      if (clients.some((x) => x.name.toLowerCase() === c.body.name.trim().toLowerCase()))
        return err(409, "duplicate_client", `A client named "${c.body.name}" already exists.`);
      const created = { id: `cl-${++n}`, name: c.body.name.trim(), createdAt: at };
      clients.push(created);
      return { status: 201, body: withCount(created) };
    })
    .on("GET", "/api/contacts", (c: Call) => {
      const p = new URL(c.path, "https://x").searchParams;
      const q = (p.get("q") ?? "").toLowerCase();
      const clientId = p.get("clientId");
      const items = contacts.filter(
        (x) =>
          (!clientId || x.clientId === clientId) &&
          (!q || `${x.email} ${x.name} ${x.client?.name}`.toLowerCase().includes(q)),
      );
      return { body: { items, nextCursor: null } };
    })
    .on("GET", "/api/blocklist", () => ({ body: { items: blocklist, nextCursor: null } }))
    .on("GET", "/api/blocklist/preview", (c: Call) => {
      const p = new URL(c.path, "https://x").searchParams;
      const scope = p.get("scope") ?? "personal";
      if (scope === "organization" && !me.user.isAdmin) return FORBIDDEN_ORG_ADD;
      return { body: blockPreview(p.get("entry") ?? "", scope) };
    })
    .on("POST", "/api/blocklist", (c: Call) => {
      if (c.body.scope === "organization" && !me.user.isAdmin) return FORBIDDEN_ORG_ADD;
      if (!/^(@[a-z0-9.-]+\.[a-z]+|[^@\s]+@[^@\s]+\.[a-z]+)$/.test(c.body.entry))
        return err(400, "invalid_entry", "A blocklist entry must be an email address or @domain.");
      if (blocklist.some((b) => b.entry === c.body.entry && b.scope === c.body.scope))
        return err(409, "duplicate_block_entry", `${c.body.entry} is already on the ${c.body.scope} blocklist.`);
      const entry: BlockEntryView = { id: `b-${++n}`, entry: c.body.entry, scope: c.body.scope, createdAt: at };
      blocklist.push(entry);
      const removedEngagements = c.body.removeCaptured ? blockPreview(c.body.entry, c.body.scope).engagements : 0;
      if (removedEngagements) captured[c.body.entry] -= removedEngagements;
      return { status: 201, body: { ...entry, removedEngagements } };
    });
  for (const id of ["c-bob", "c-carol", "c-gone"]) {
    backend.on("PATCH", `/api/contacts/${id}`, (c: Call) => {
      const contact = contacts.find((x) => x.id === id);
      if (!contact) return NOT_FOUND_CONTACT;
      if (typeof c.body.name === "string" && c.body.name.length > 200) {
        return err(400, "invalid_request", "The request is not valid.", [
          { path: "name", message: "The name is longer than 200 characters." },
        ]);
      }
      const client = c.body.clientId ? clients.find((x) => x.id === c.body.clientId) : null;
      if (c.body.clientId && !client) return err(404, "client_not_found", "No such client.");
      if (c.body.name !== undefined) contact.name = c.body.name;
      if (c.body.clientId !== undefined) {
        contact.clientId = client?.id ?? null;
        contact.client = client ? { id: client.id, name: client.name } : null;
      }
      return { body: contact };
    });
    backend.on("DELETE", `/api/contacts/${id}`, (c: Call) => {
      const i = contacts.findIndex((x) => x.id === id);
      if (i < 0) return NOT_FOUND_CONTACT;
      contacts.splice(i, 1);
      if (!c.path.endsWith("?removeCaptured=true")) return { status: 204 };
      const removedEngagements = contactPreview(id).engagements;
      captured[id] = 0;
      return { body: { removedEngagements } };
    });
    backend.on("GET", `/api/contacts/${id}/removal-preview`, () =>
      contacts.some((x) => x.id === id) ? { body: contactPreview(id) } : NOT_FOUND_CONTACT,
    );
  }
  for (const id of ["cl-globex", "cl-initech"]) {
    backend.on("PATCH", `/api/clients/${id}`, (c: Call) => {
      const client = clients.find((x) => x.id === id);
      if (!client) return err(404, "not_found", "No such client.");
      if (clients.some((x) => x.id !== id && x.name.toLowerCase() === c.body.name.toLowerCase()))
        return err(409, "duplicate_client", `A client named "${c.body.name}" already exists.`);
      client.name = c.body.name;
      for (const x of contacts) if (x.clientId === id) x.client = { id, name: c.body.name };
      return { body: withCount(client) };
    });
  }
  backend.on("DELETE", "/api/blocklist/b-org", () => {
    if (!me.user.isAdmin) return FORBIDDEN_ORG_DELETE;
    blocklist.splice(
      blocklist.findIndex((b) => b.id === "b-org"),
      1,
    );
    return { status: 204 };
  });
  const deleteAny = (id: string) =>
    backend.on("DELETE", `/api/blocklist/${id}`, () => {
      const i = blocklist.findIndex((b) => b.id === id);
      if (i < 0) return err(404, "not_found", "No such blocklist entry.");
      blocklist.splice(i, 1);
      return { status: 204 };
    });
  for (let i = 1; i < 10; i++) deleteAny(`b-${i}`);
  return { backend, clients, contacts, blocklist, captured };
}

const announced = () => screen.getByTestId("announcer").textContent;

async function openTab(name: string) {
  fireEvent.click(await screen.findByRole("tab", { name }));
}

async function contactItem(email: string) {
  const list = await screen.findByRole("list", { name: "Contacts" });
  return within(await within(list).findByRole("listitem", { name: new RegExp(email.replace(/\./g, "\\.")) }));
}

describe("shared: role addresses and colleagues", () => {
  test.each([
    "all@globex.com",
    "All-Staff@contoso.com",
    "team.emea@globex.com",
    "noreply@globex.com",
    "no-reply@globex.com",
    "info+web@x.io",
    "sales@x.io",
    "support@x.io",
  ])("%s is a role address", (a) => expect(isRoleAddress(a)).toBe(true));
  test.each(["bob@globex.com", "allison@globex.com", "teamlead.jo@x.io", "salesforce-admin-jo@x.io", "not-an-address"])(
    "%s is a person's",
    (a) => expect(isRoleAddress(a)).toBe(false),
  );
  test("own domains come from the user's addresses; colleagues are at one of them", () => {
    const me = meResponse(
      "active",
      {},
      { email: "Alice@Contoso.com", addresses: ["alice@contoso.com", "alice@fabrikam.com"] },
    );
    expect(ownDomainsOf(me)).toEqual(["contoso.com", "fabrikam.com"]);
    expect(isColleague("Lee@contoso.com", ownDomainsOf(me))).toBe(true);
    expect(isColleague("bob@globex.com", ownDomainsOf(me))).toBe(false);
  });
  test("the organization's domains from the server win over the user's own; a subdomain is a colleague too", () => {
    const me = meResponse("active");
    me.organization.internalDomains = ["Contoso.com", "contoso.onmicrosoft.com", "globex.com"];
    const domains = ownDomainsOf(me);
    expect(domains).toEqual(["contoso.com", "contoso.onmicrosoft.com", "globex.com"]);
    expect(isColleague("bob@globex.com", domains)).toBe(true);
    expect(isColleague("lee@eu.contoso.com", domains)).toBe(true);
    expect(isColleague("x@notcontoso.com", domains)).toBe(false);
    me.organization.internalDomains = [];
    expect(ownDomainsOf(me)).toEqual(["contoso.com"]);
  });
});

describe("contacts view", () => {
  test("each contact shows its client and when it was tracked; a client's contacts are one choice away", async () => {
    installOutlook();
    const { backend } = orgBackend();
    renderPane(backend);
    await openTab("Contacts");
    const bob = await contactItem("bob@globex.com");
    expect(bob.getByText("Client: Globex")).toBeTruthy();
    expect(bob.getByText(/^Tracked by Dana Kim, /)).toBeTruthy();
    // Without a recorded tracker (an imported contact): only when.
    expect((await contactItem("carol@initech.com")).getByText(/^Tracked (?!by)/)).toBeTruthy();

    fireEvent.click(screen.getByRole("combobox", { name: "Client" }));
    fireEvent.click(await screen.findByRole("option", { name: "Initech (1)" }));
    await waitFor(() =>
      expect(backend.callsTo("GET", "/api/contacts").map((c) => c.path)).toContain(
        "/api/contacts?clientId=cl-initech&limit=25",
      ),
    );
    await waitFor(() =>
      expect(within(screen.getByRole("list", { name: "Contacts" })).getAllByRole("listitem")).toHaveLength(1),
    );
    expect(screen.getByRole("listitem", { name: /carol@initech\.com/ })).toBeTruthy();
  });

  test("Load more reads the next page with the cursor; a failure is said in plain words", async () => {
    installOutlook();
    const { backend } = orgBackend();
    const dan = { id: "c-dan", email: "dan@globex.com", name: null, clientId: null, client: null, createdAt: at };
    let failMore = false;
    backend.on("GET", "/api/contacts", (c: Call) => {
      const cursor = new URL(c.path, "https://x").searchParams.get("cursor");
      if (!cursor) return { body: { items: [], nextCursor: "p2" } };
      if (failMore) return err(400, "invalid_cursor", "The cursor is not valid; start again from the first page.");
      return { body: { items: [dan], nextCursor: null } };
    });
    renderPane(backend);
    await openTab("Contacts");
    fireEvent.click(await screen.findByRole("button", { name: "Load more" }));
    expect(await screen.findByRole("listitem", { name: "dan@globex.com" })).toBeTruthy();
    expect(screen.getByText("No client")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();
    expect(backend.callsTo("GET", "/api/contacts").map((c) => c.path)).toContain("/api/contacts?cursor=p2&limit=25");

    failMore = true;
    fireEvent.change(screen.getByRole("searchbox", { name: "Search contacts" }), { target: { value: "x" } });
    fireEvent.click(await screen.findByRole("button", { name: "Load more" }));
    expect(
      await screen.findByText("Couldn't load more contacts. The cursor is not valid; start again from the first page."),
    ).toBeTruthy();
  });

  test("edit a contact's name: PATCH name, the list shows it, focus back on Edit, announced", async () => {
    installOutlook();
    const { backend } = orgBackend();
    renderPane(backend);
    await openTab("Contacts");
    const bob = await contactItem("bob@globex.com");
    fireEvent.click(bob.getByRole("button", { name: "Edit bob@globex.com" }));
    const form = within(screen.getByRole("form", { name: "Edit bob@globex.com" }));
    await waitFor(() => expect(document.activeElement).toBe(form.getByRole("textbox", { name: "Name" })));
    fireEvent.change(form.getByRole("textbox", { name: "Name" }), { target: { value: "Robert Stone" } });
    await waitFor(() => expect(backend.callsTo("GET", "/api/clients").length).toBeGreaterThan(1));
    fireEvent.click(form.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(backend.callsTo("PATCH", "/api/contacts/c-bob")).toHaveLength(1));
    expect(backend.callsTo("PATCH", "/api/contacts/c-bob")[0].body).toEqual({
      name: "Robert Stone",
      clientId: "cl-globex",
    });
    expect(await screen.findByText("Robert Stone")).toBeTruthy();
    await waitFor(() =>
      expect(document.activeElement).toBe(screen.getByRole("button", { name: "Edit bob@globex.com" })),
    );
    await waitFor(() => expect(announced()).toBe("Saved bob@globex.com, client Globex."));
  });

  test("move a contact to another client, and to a new client created by name", async () => {
    installOutlook();
    const { backend } = orgBackend();
    renderPane(backend);
    await openTab("Contacts");
    let bob = await contactItem("bob@globex.com");
    fireEvent.click(bob.getByRole("button", { name: "Edit bob@globex.com" }));
    let form = within(screen.getByRole("form", { name: "Edit bob@globex.com" }));
    await waitFor(() => expect(backend.callsTo("GET", "/api/clients").length).toBeGreaterThan(1));
    fireEvent.input(form.getByRole("combobox", { name: /Client/ }), { target: { value: "initech" } });
    fireEvent.click(form.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(backend.callsTo("PATCH", "/api/contacts/c-bob")).toHaveLength(1));
    expect(backend.callsTo("PATCH", "/api/contacts/c-bob")[0].body.clientId).toBe("cl-initech");
    bob = await contactItem("bob@globex.com");
    await waitFor(() => expect(bob.getByText("Client: Initech")).toBeTruthy());

    fireEvent.click(bob.getByRole("button", { name: "Edit bob@globex.com" }));
    form = within(screen.getByRole("form", { name: "Edit bob@globex.com" }));
    fireEvent.input(form.getByRole("combobox", { name: /Client/ }), { target: { value: "Globex Europe" } });
    expect(form.getByText("A new client “Globex Europe” will be created.")).toBeTruthy();
    fireEvent.click(form.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(backend.callsTo("PATCH", "/api/contacts/c-bob")).toHaveLength(2));
    expect(backend.callsTo("POST", "/api/clients")[0].body).toEqual({ name: "Globex Europe" });
    await waitFor(async () =>
      expect((await contactItem("bob@globex.com")).getByText("Client: Globex Europe")).toBeTruthy(),
    );
  });

  test("Escape and Cancel leave the edit form without saving; focus returns to Edit", async () => {
    installOutlook();
    const { backend } = orgBackend();
    renderPane(backend);
    await openTab("Contacts");
    const bob = await contactItem("bob@globex.com");
    fireEvent.click(bob.getByRole("button", { name: "Edit bob@globex.com" }));
    const name = within(screen.getByRole("form", { name: "Edit bob@globex.com" })).getByRole("textbox", {
      name: "Name",
    });
    fireEvent.keyDown(name, { key: "Escape" });
    await waitFor(() => expect(screen.queryByRole("form", { name: "Edit bob@globex.com" })).toBeNull());
    await waitFor(() =>
      expect(document.activeElement).toBe(screen.getByRole("button", { name: "Edit bob@globex.com" })),
    );
    expect(backend.callsTo("PATCH", "/api/contacts/c-bob")).toHaveLength(0);
  });

  test("a validation error (400) shows which field and why; the form stays", async () => {
    installOutlook();
    const { backend } = orgBackend();
    renderPane(backend);
    await openTab("Contacts");
    fireEvent.click((await contactItem("bob@globex.com")).getByRole("button", { name: "Edit bob@globex.com" }));
    const form = within(screen.getByRole("form", { name: "Edit bob@globex.com" }));
    await waitFor(() => expect(backend.callsTo("GET", "/api/clients").length).toBeGreaterThan(1));
    fireEvent.change(form.getByRole("textbox", { name: "Name" }), { target: { value: "x".repeat(201) } });
    fireEvent.click(form.getByRole("button", { name: "Save" }));
    expect(
      await form.findByText(/The request is not valid\. name: The name is longer than 200 characters\./),
    ).toBeTruthy();
    expect(form.getByText("Couldn't save")).toBeTruthy();
  });

  test("untrack asks first, says engagements stay, then DELETEs and the contact leaves the list", async () => {
    installOutlook();
    const { backend } = orgBackend();
    renderPane(backend);
    await openTab("Contacts");
    const bob = await contactItem("bob@globex.com");
    fireEvent.click(bob.getByRole("button", { name: "Untrack bob@globex.com" }));
    const question = bob.getByRole("group", { name: /^Stop tracking bob@globex\.com\?/ });
    expect(question.textContent).toMatch(
      /for anyone in your organization\. Engagements already captured with them stay unless you remove them below\./,
    );
    // The preview's count (2 of 4: one also in a colleague's mailbox, one with another contact), unchecked.
    const remove = await within(question).findByRole("checkbox", {
      name: "Also remove the 2 engagements already captured with bob@globex.com",
    });
    expect((remove as HTMLInputElement).checked).toBe(false);
    expect(question.textContent).toMatch(/Only engagements captured from your mailbox alone are removed/);
    expect(question.textContent).toMatch(/1 engagement captured from someone else's mailbox too stays\./);
    expect(question.textContent).toMatch(/1 engagement with another tracked contact stays\./);
    await waitFor(() => expect(document.activeElement).toBe(within(question).getByRole("button", { name: "Cancel" })));
    expect(backend.callsTo("DELETE", "/api/contacts/c-bob")).toHaveLength(0);
    fireEvent.click(within(question).getByRole("button", { name: "Yes, untrack" }));
    await waitFor(() => expect(backend.callsTo("DELETE", "/api/contacts/c-bob")).toHaveLength(1));
    await waitFor(() => expect(screen.queryByRole("listitem", { name: /bob@globex\.com/ })).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("heading", { name: "Tracked contacts" })));
    expect(backend.callsTo("DELETE", "/api/contacts/c-bob")[0].path).toBe("/api/contacts/c-bob");
    await waitFor(() =>
      expect(announced()).toBe("Stopped tracking bob@globex.com. Engagements already captured stay."),
    );
  });

  test("untrack with removal: an administrator sees the organization's count, removes them, and hears how many", async () => {
    installOutlook();
    const { backend, captured } = orgBackend(ADMIN);
    renderPane(backend);
    await openTab("Contacts");
    const bob = await contactItem("bob@globex.com");
    fireEvent.click(bob.getByRole("button", { name: "Untrack bob@globex.com" }));
    const question = bob.getByRole("group", { name: /^Stop tracking bob@globex\.com\?/ });
    const remove = await within(question).findByRole("checkbox", {
      name: "Also remove the 3 engagements already captured with bob@globex.com",
    });
    expect(question.textContent).toMatch(/As an administrator, you remove them for your whole organization/);
    expect(question.textContent).toMatch(/only a record that they were removed is kept/);
    fireEvent.click(remove);
    fireEvent.click(within(question).getByRole("button", { name: "Yes, untrack" }));
    await waitFor(() => expect(backend.callsTo("DELETE", "/api/contacts/c-bob")).toHaveLength(1));
    expect(backend.callsTo("DELETE", "/api/contacts/c-bob")[0].path).toBe("/api/contacts/c-bob?removeCaptured=true");
    expect(captured["c-bob"]).toBe(0);
    await waitFor(() =>
      expect(announced()).toBe("Stopped tracking bob@globex.com. Removed 3 engagements already captured."),
    );
  });

  test("nothing captured with a contact: no removal offered, only said", async () => {
    installOutlook();
    const { backend } = orgBackend(MEMBER);
    renderPane(backend);
    await openTab("Contacts");
    const carol = await contactItem("carol@initech.com");
    fireEvent.click(carol.getByRole("button", { name: "Untrack carol@initech.com" }));
    expect(await carol.findByText("No engagements have been captured with carol@initech.com.")).toBeTruthy();
    expect(carol.queryByRole("checkbox")).toBeNull();
  });

  test("Escape cancels untrack", async () => {
    installOutlook();
    const { backend } = orgBackend();
    renderPane(backend);
    await openTab("Contacts");
    const bob = await contactItem("bob@globex.com");
    fireEvent.click(bob.getByRole("button", { name: "Untrack bob@globex.com" }));
    const cancel = within(bob.getByRole("group")).getByRole("button", { name: "Cancel" });
    fireEvent.keyDown(cancel, { key: "Escape" });
    await waitFor(() =>
      expect(document.activeElement).toBe(screen.getByRole("button", { name: "Edit bob@globex.com" })),
    );
    expect(backend.callsTo("DELETE", "/api/contacts/c-bob")).toHaveLength(0);
  });

  test("a contact someone else untracked (404) is explained and the list is read again", async () => {
    installOutlook();
    const { backend, contacts } = orgBackend();
    renderPane(backend);
    await openTab("Contacts");
    const bob = await contactItem("bob@globex.com");
    contacts.splice(0, 1); // gone on the server since the list was read
    fireEvent.click(bob.getByRole("button", { name: "Untrack bob@globex.com" }));
    fireEvent.click(bob.getByRole("button", { name: "Yes, untrack" }));
    expect(
      await screen.findByText(/bob@globex\.com is no longer a tracked contact\. Someone else may have changed it/),
    ).toBeTruthy();
    await waitFor(() => expect(screen.queryByRole("listitem", { name: /bob@globex\.com/ })).toBeNull());
  });

  test("rename a client: PATCH, its contacts show the new name; a duplicate name (409) shows the server's sentence", async () => {
    installOutlook();
    const { backend } = orgBackend();
    renderPane(backend);
    await openTab("Contacts");
    await contactItem("bob@globex.com");
    fireEvent.click(screen.getByRole("combobox", { name: "Client" }));
    fireEvent.click(await screen.findByRole("option", { name: "Globex (1)" }));
    fireEvent.click(await screen.findByRole("button", { name: "Rename client Globex" }));
    const form = within(screen.getByRole("form", { name: "Rename client Globex" }));
    const input = form.getByRole("textbox", { name: /New client name/ });
    await waitFor(() => expect(document.activeElement).toBe(input));

    fireEvent.change(input, { target: { value: "  " } });
    fireEvent.click(form.getByRole("button", { name: "Save name" }));
    expect(form.getByText("Enter a name.")).toBeTruthy();
    expect(backend.callsTo("PATCH", "/api/clients/cl-globex")).toHaveLength(0);

    fireEvent.change(input, { target: { value: "Initech" } });
    fireEvent.click(form.getByRole("button", { name: "Save name" }));
    expect(await form.findByText('A client named "Initech" already exists.')).toBeTruthy();

    fireEvent.change(input, { target: { value: "Globex Corporation" } });
    fireEvent.click(form.getByRole("button", { name: "Save name" }));
    await waitFor(() => expect(screen.queryByRole("form", { name: /Rename client/ })).toBeNull());
    expect(backend.callsTo("PATCH", "/api/clients/cl-globex").at(-1)!.body).toEqual({ name: "Globex Corporation" });
    await waitFor(async () =>
      expect((await contactItem("bob@globex.com")).getByText("Client: Globex Corporation")).toBeTruthy(),
    );
    await waitFor(() =>
      expect(document.activeElement).toBe(screen.getByRole("button", { name: "Rename client Globex Corporation" })),
    );
    await waitFor(() => expect(announced()).toBe("Renamed Globex to Globex Corporation."));
  });
});

describe("Track, honestly", () => {
  const withPeople = (people: PersonView[]) => statusResponse("not_captured", { people });

  test("the dialog says tracking is for everyone in the organization and reaches the past 24 hours", async () => {
    installOutlook();
    const { backend } = orgBackend(MEMBER, statusResponse("not_captured"));
    renderPane(backend);
    fireEvent.click(await screen.findByRole("button", { name: "Track bob@globex.com" }));
    const dialog = await focusDialog();
    expect(dialog.getByText(/will be tracked for everyone in your organization/).textContent).toMatch(
      /from now on and from the past 24 hours/,
    );
    expect(dialog.queryByText("This looks like a shared address")).toBeNull();
    expect(dialog.getByRole("button", { name: "Track contact" })).toBeTruthy();
  });

  test("a colleague (the user's own domain) is never offered Track", async () => {
    installOutlook();
    const lee: PersonView = {
      address: "lee@contoso.com",
      name: "Lee Park",
      role: "cc",
      isUser: false,
      blocked: false,
      contact: null,
    };
    const { backend } = orgBackend(MEMBER, withPeople([...PEOPLE, lee]));
    renderPane(backend);
    const people = within(await screen.findByRole("list", { name: "People on this message" }));
    const item = people.getByRole("listitem", { name: "Lee Park, Cc, Colleague" });
    expect(within(item).queryByRole("button", { name: /^Track/ })).toBeNull();
    expect(within(item).queryByRole("button", { name: /^Block/ })).toBeNull();
    expect(people.getByRole("button", { name: "Track bob@globex.com" })).toBeTruthy();
  });

  test("a role address is warned about before it is tracked", async () => {
    installOutlook();
    const all: PersonView = {
      address: "all@globex.com",
      name: null,
      role: "to",
      isUser: false,
      blocked: false,
      contact: null,
    };
    const { backend } = orgBackend(MEMBER, withPeople([all]));
    backend.on("POST", "/api/contacts", {
      status: 201,
      body: {
        id: "c-all",
        email: "all@globex.com",
        name: null,
        clientId: "cl-globex",
        client: { id: "cl-globex", name: "Globex" },
        createdAt: at,
      },
    });
    renderPane(backend);
    fireEvent.click(await screen.findByRole("button", { name: "Track all@globex.com" }));
    const dialog = await focusDialog();
    expect(dialog.getByText("This looks like a shared address")).toBeTruthy();
    expect(dialog.getByText(/belong to a team or a system rather than one person/)).toBeTruthy();
    await waitFor(() => expect(backend.callsTo("GET", "/api/clients")).toHaveLength(1));
    fireEvent.input(dialog.getByRole("combobox", { name: /Client/ }), { target: { value: "Globex" } });
    fireEvent.click(dialog.getByRole("button", { name: "Track anyway" }));
    await waitFor(() => expect(backend.callsTo("POST", "/api/contacts")).toHaveLength(1));
  });

  test("the server's refusal (an internal address, once the API checks) is shown in its words", async () => {
    installOutlook();
    const { backend } = orgBackend(MEMBER, statusResponse("not_captured"));
    backend.on(
      "POST",
      "/api/contacts",
      err(422, "internal_address", "bob@globex.com is in your organization's own domains and can't be tracked."),
    );
    renderPane(backend);
    fireEvent.click(await screen.findByRole("button", { name: "Track bob@globex.com" }));
    const dialog = await focusDialog();
    await waitFor(() => expect(backend.callsTo("GET", "/api/clients")).toHaveLength(1));
    fireEvent.input(dialog.getByRole("combobox", { name: /Client/ }), { target: { value: "Globex" } });
    fireEvent.click(dialog.getByRole("button", { name: "Track contact" }));
    expect(
      await dialog.findByText("bob@globex.com is in your organization's own domains and can't be tracked."),
    ).toBeTruthy();
  });
});

describe("blocklist view", () => {
  test("a member adds and removes a personal entry; the organization's entries are read-only", async () => {
    installOutlook();
    const { backend } = orgBackend(MEMBER);
    renderPane(backend);
    await openTab("Blocklist");
    const org = within(await screen.findByRole("region", { name: "Your organization's blocklist" }));
    expect(org.getByText("@noisy.example")).toBeTruthy();
    expect(org.getByText(/Only an administrator can change them/)).toBeTruthy();
    expect(org.queryByRole("button")).toBeNull();
    expect(screen.queryByRole("radiogroup")).toBeNull();

    const input = screen.getByRole("textbox", { name: /Block an address or domain/ });
    fireEvent.change(input, { target: { value: "@Spam.Example" } });
    fireEvent.click(screen.getByRole("button", { name: "Block" }));
    // Asked first, with the count of what could be removed (unchecked): nothing is sent yet.
    const ask = await screen.findByRole("group", {
      name: /^Block @spam\.example\? .*Others in your organization are not affected\./,
    });
    const remove = await within(ask).findByRole("checkbox", {
      name: "Also remove the 2 engagements already captured with @spam.example",
    });
    expect((remove as HTMLInputElement).checked).toBe(false);
    expect(ask.textContent).toMatch(/1 engagement captured from someone else's mailbox too stays\./);
    expect(backend.callsTo("GET", "/api/blocklist/preview")[0].path).toBe(
      "/api/blocklist/preview?entry=%40spam.example&scope=personal",
    );
    expect(backend.callsTo("POST", "/api/blocklist")).toHaveLength(0);
    fireEvent.click(within(ask).getByRole("button", { name: "Yes, block" }));
    await waitFor(() => expect(backend.callsTo("POST", "/api/blocklist")).toHaveLength(1));
    expect(backend.callsTo("POST", "/api/blocklist")[0].body).toEqual({
      entry: "@spam.example",
      scope: "personal",
      removeCaptured: false,
    });
    const mine = within(screen.getByRole("region", { name: "Your blocklist" }));
    expect(await mine.findByText("@spam.example")).toBeTruthy();
    await waitFor(() => expect(announced()).toBe("Blocked @spam.example in your mailbox."));
    expect((input as HTMLInputElement).value).toBe("");

    fireEvent.click(mine.getByRole("button", { name: "Remove @spam.example" }));
    const question = mine.getByRole("group", { name: /^Remove @spam\.example from your blocklist\?/ });
    fireEvent.click(within(question).getByRole("button", { name: "Yes, remove" }));
    await waitFor(() => expect(mine.queryByText("@spam.example")).toBeNull());
    expect(backend.callsTo("DELETE", "/api/blocklist/b-1")).toHaveLength(1);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("heading", { name: "Your blocklist" })));
  });

  test("a member blocks with removal: only their mailbox's engagements, and the count is announced", async () => {
    installOutlook();
    const { backend, captured } = orgBackend(MEMBER);
    renderPane(backend);
    await openTab("Blocklist");
    fireEvent.change(await screen.findByRole("textbox", { name: /Block an address or domain/ }), {
      target: { value: "@spam.example" },
    });
    fireEvent.click(screen.getByRole("button", { name: "Block" }));
    fireEvent.click(
      await screen.findByRole("checkbox", {
        name: "Also remove the 2 engagements already captured with @spam.example",
      }),
    );
    fireEvent.click(screen.getByRole("button", { name: "Yes, block" }));
    await waitFor(() => expect(backend.callsTo("POST", "/api/blocklist")).toHaveLength(1));
    expect(backend.callsTo("POST", "/api/blocklist")[0].body).toEqual({
      entry: "@spam.example",
      scope: "personal",
      removeCaptured: true,
    });
    expect(captured["@spam.example"]).toBe(1);
    await waitFor(() =>
      expect(announced()).toBe("Blocked @spam.example in your mailbox. Removed 2 engagements already captured."),
    );
  });

  test("an entry that is neither an address nor an @domain is refused before any call; the server's 400 and 409 in its words", async () => {
    installOutlook();
    const { backend } = orgBackend(MEMBER);
    renderPane(backend);
    await openTab("Blocklist");
    const input = await screen.findByRole("textbox", { name: /Block an address or domain/ });
    fireEvent.change(input, { target: { value: "spam example" } });
    fireEvent.click(screen.getByRole("button", { name: "Block" }));
    expect(screen.getByText("Enter an email address or a domain starting with @.")).toBeTruthy();
    expect(backend.callsTo("POST", "/api/blocklist")).toHaveLength(0);

    fireEvent.change(input, { target: { value: "deals@noisy.example" } });
    fireEvent.click(screen.getByRole("button", { name: "Block" }));
    fireEvent.click(await screen.findByRole("button", { name: "Yes, block" }));
    await waitFor(() => expect(backend.callsTo("POST", "/api/blocklist")).toHaveLength(1));
    fireEvent.change(input, { target: { value: "deals@noisy.example" } });
    fireEvent.click(await screen.findByRole("button", { name: "Block" }));
    fireEvent.click(await screen.findByRole("button", { name: "Yes, block" }));
    expect(await screen.findByText("deals@noisy.example is already on the personal blocklist.")).toBeTruthy();
    expect(screen.getByText("Couldn't add to the blocklist")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));

    backend.on(
      "POST",
      "/api/blocklist",
      err(400, "invalid_entry", "A blocklist entry must be an email address or @domain."),
    );
    fireEvent.change(input, { target: { value: "x@y.example" } });
    fireEvent.click(screen.getByRole("button", { name: "Block" }));
    fireEvent.click(await screen.findByRole("button", { name: "Yes, block" }));
    expect(await screen.findByText("A blocklist entry must be an email address or @domain.")).toBeTruthy();
  });

  test("an administrator chooses the organization's list, and may remove its entries", async () => {
    installOutlook();
    const { backend } = orgBackend(ADMIN);
    renderPane(backend);
    await openTab("Blocklist");
    const input = await screen.findByRole("textbox", { name: /Block an address or domain/ });
    fireEvent.click(screen.getByRole("radio", { name: "Everyone in the organization" }));
    fireEvent.change(input, { target: { value: "@spam.example" } });
    fireEvent.click(screen.getByRole("button", { name: "Block for everyone" }));
    const ask = await screen.findByRole("group", { name: /^Block @spam\.example for everyone\?/ });
    // The organization's reach: every mailbox's engagements, none kept as shared.
    fireEvent.click(
      await within(ask).findByRole("checkbox", {
        name: "Also remove the 3 engagements already captured with @spam.example",
      }),
    );
    expect(ask.textContent).toMatch(/As an administrator, you remove them for your whole organization/);
    fireEvent.click(within(ask).getByRole("button", { name: "Yes, block for everyone" }));
    await waitFor(() => expect(backend.callsTo("POST", "/api/blocklist")).toHaveLength(1));
    expect(backend.callsTo("POST", "/api/blocklist")[0].body).toEqual({
      entry: "@spam.example",
      scope: "organization",
      removeCaptured: true,
    });
    const org = within(screen.getByRole("region", { name: "Your organization's blocklist" }));
    expect(await org.findByText("@spam.example")).toBeTruthy();
    await waitFor(() =>
      expect(announced()).toBe(
        "Blocked @spam.example for everyone in your organization. Removed 3 engagements already captured.",
      ),
    );

    fireEvent.click(org.getByRole("button", { name: "Remove @noisy.example" }));
    const question = org.getByRole("group", { name: /^Remove @noisy\.example from your organization's blocklist\?/ });
    expect(question.textContent).toMatch(/captured in everyone's mailbox/);
    fireEvent.click(within(question).getByRole("button", { name: "Yes, remove" }));
    await waitFor(() => expect(org.queryByText("@noisy.example")).toBeNull());
  });

  test("403 when the administrator role was removed since: said plainly, without Retry", async () => {
    installOutlook();
    const { backend } = orgBackend(ADMIN);
    backend.on("DELETE", "/api/blocklist/b-org", FORBIDDEN_ORG_DELETE);
    backend.on("POST", "/api/blocklist", FORBIDDEN_ORG_ADD);
    backend.on("GET", "/api/blocklist/preview", FORBIDDEN_ORG_ADD);
    renderPane(backend);
    await openTab("Blocklist");
    const org = within(await screen.findByRole("region", { name: "Your organization's blocklist" }));
    fireEvent.click(org.getByRole("button", { name: "Remove @noisy.example" }));
    fireEvent.click(org.getByRole("button", { name: "Yes, remove" }));
    expect(await org.findByText(/no longer has the administrator role/)).toBeTruthy();
    expect(org.queryByRole("button", { name: "Retry" })).toBeNull();

    fireEvent.click(screen.getByRole("radio", { name: "Everyone in the organization" }));
    fireEvent.change(screen.getByRole("textbox", { name: /Block an address or domain/ }), {
      target: { value: "@spam.example" },
    });
    fireEvent.click(screen.getByRole("button", { name: "Block for everyone" }));
    // The preview's 403: no removal offered, and the question still stands.
    await waitFor(() => expect(backend.callsTo("GET", "/api/blocklist/preview")).toHaveLength(1));
    fireEvent.click(await screen.findByRole("button", { name: "Yes, block for everyone" }));
    expect(screen.queryByRole("checkbox")).toBeNull();
    expect(
      await screen.findByText(/Adding to the organization's blocklist needs the Capture\.Admin role/),
    ).toBeTruthy();
  });

  test("the list can't load: an error with Retry", async () => {
    installOutlook();
    const { backend } = orgBackend(MEMBER);
    backend.on(
      "GET",
      "/api/blocklist",
      err(503, "database_unavailable", "The database is not reachable right now. Try again in a moment."),
    );
    renderPane(backend);
    await openTab("Blocklist");
    expect(await screen.findByText("Couldn't load the blocklist")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Retry" })).toBeTruthy();
  });
});

describe("Block on a person", () => {
  test("personal by default: asks, POSTs the address, reads the status again", async () => {
    installOutlook();
    const { backend } = orgBackend(MEMBER, statusResponse("not_captured"));
    renderPane(backend);
    const people = within(await screen.findByRole("list", { name: "People on this message" }));
    fireEvent.click(people.getByRole("button", { name: "Block bob@globex.com" }));
    expect(screen.queryByRole("radio")).toBeNull();
    const question = await screen.findByRole("group", {
      name: /^Block bob@globex\.com\? .*Others in your organization are not affected\./,
    });
    await waitFor(() => expect(document.activeElement).toBe(within(question).getByRole("button", { name: "Cancel" })));
    expect(
      await within(question).findByRole("checkbox", {
        name: "Also remove the 1 engagement already captured with bob@globex.com",
      }),
    ).toBeTruthy();
    fireEvent.click(within(question).getByRole("button", { name: "Yes, block" }));
    await waitFor(() => expect(backend.callsTo("POST", "/api/blocklist")).toHaveLength(1));
    expect(backend.callsTo("POST", "/api/blocklist")[0].body).toEqual({
      entry: "bob@globex.com",
      scope: "personal",
      removeCaptured: false,
    });
    await waitFor(() => expect(backend.callsTo("POST", "/api/messages/status")).toHaveLength(2));
    await waitFor(() => expect(announced()).toBe("Blocked bob@globex.com in your mailbox."));
  });

  test("an administrator may choose the whole organization; Cancel returns focus to Block", async () => {
    installOutlook();
    const { backend } = orgBackend(ADMIN, statusResponse("not_captured"));
    renderPane(backend);
    const people = within(await screen.findByRole("list", { name: "People on this message" }));
    fireEvent.click(people.getByRole("button", { name: "Block bob@globex.com" }));
    fireEvent.click(await screen.findByRole("button", { name: "Cancel" }));
    await waitFor(() =>
      expect(document.activeElement).toBe(people.getByRole("button", { name: "Block bob@globex.com" })),
    );

    fireEvent.click(people.getByRole("button", { name: "Block bob@globex.com" }));
    fireEvent.click(await screen.findByRole("radio", { name: "Everyone in the organization" }));
    expect(screen.getByRole("group", { name: /^Block bob@globex\.com for everyone\?/ })).toBeTruthy();
    // The organization's preview: both engagements, with removal chosen.
    fireEvent.click(
      await screen.findByRole("checkbox", {
        name: "Also remove the 2 engagements already captured with bob@globex.com",
      }),
    );
    fireEvent.click(screen.getByRole("button", { name: "Yes, block for everyone" }));
    await waitFor(() => expect(backend.callsTo("POST", "/api/blocklist")).toHaveLength(1));
    expect(backend.callsTo("POST", "/api/blocklist")[0].body).toEqual({
      entry: "bob@globex.com",
      scope: "organization",
      removeCaptured: true,
    });
    await waitFor(() =>
      expect(announced()).toBe(
        "Blocked bob@globex.com for everyone in your organization. Removed 2 engagements already captured.",
      ),
    );
  });

  test("a failure stays beside the question with Retry", async () => {
    installOutlook();
    const { backend } = orgBackend(MEMBER, statusResponse("not_captured"));
    backend.on(
      "POST",
      "/api/blocklist",
      err(409, "duplicate_block_entry", "bob@globex.com is already on the personal blocklist."),
    );
    renderPane(backend);
    const people = within(await screen.findByRole("list", { name: "People on this message" }));
    fireEvent.click(people.getByRole("button", { name: "Block bob@globex.com" }));
    fireEvent.click(await screen.findByRole("button", { name: "Yes, block" }));
    expect(await screen.findByText("bob@globex.com is already on the personal blocklist.")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Retry" })).toBeTruthy();
  });
});

describe("captured, then blocked", () => {
  test("the status card explains a captured message whose participant is blocked now", async () => {
    installOutlook({ item: sampleItem(1) });
    const people = PEOPLE.map((p) => (p.address === "bob@globex.com" ? { ...p, blocked: true } : p));
    const explanation =
      "This email was captured before bob@globex.com was added to your blocklist (bob@globex.com); this engagement stays until it is removed.";
    const { backend } = orgBackend(
      MEMBER,
      statusResponse("captured", {
        people,
        capturedButBlocked: { address: "bob@globex.com", entry: "bob@globex.com", scope: "personal", explanation },
      }),
    );
    renderPane(backend);
    const card = within(await screen.findByRole("region", { name: "Captured" }));
    expect(card.getByText("Captured before the block")).toBeTruthy();
    // The server's words, as it sends them.
    expect(card.getByTestId("captured-but-blocked").textContent).toBe(explanation);
    expect(screen.getByRole("listitem", { name: "Bob Stone, From, Blocked" })).toBeTruthy();
  });

  test("a tracked contact who is blocked too: the People list says both", async () => {
    installOutlook();
    const people = PEOPLE.map((p) => (p.address === "carol@initech.com" ? { ...p, blocked: true } : p));
    const { backend } = orgBackend(MEMBER, statusResponse("captured", { people }));
    renderPane(backend);
    expect(await screen.findByRole("listitem", { name: "Carol Vance, Cc, Tracked, blocked" })).toBeTruthy();
  });

  test("nothing blocked: no such note", async () => {
    installOutlook();
    const { backend } = orgBackend(MEMBER, statusResponse("captured"));
    renderPane(backend);
    const card = within(await screen.findByRole("region", { name: "Captured" }));
    expect(card.queryByText("Captured before the block")).toBeNull();
  });

  test("the server decides: a blocked participant without capturedButBlocked gets no note from the pane", async () => {
    installOutlook();
    const people = PEOPLE.map((p) => (p.address === "bob@globex.com" ? { ...p, blocked: true } : p));
    const { backend } = orgBackend(MEMBER, statusResponse("captured", { people, capturedButBlocked: null }));
    renderPane(backend);
    const card = within(await screen.findByRole("region", { name: "Captured" }));
    expect(card.queryByText("Captured before the block")).toBeNull();
  });

  test("a removed message: not captured, a Removed badge, and the server's explanation", async () => {
    installOutlook();
    const base = statusResponse("not_captured");
    const explanation =
      "It was captured, then its engagement was removed when a participant was added to the blocklist.";
    const status: MessageStatusResponse = {
      ...base,
      decision: {
        ...base.decision,
        source: "stored",
        outcome: "excluded",
        reason: "blocked",
        explanation,
        action: null,
        removed: { at: "2026-03-02T10:30:00Z", why: "blocklist_entry" },
      },
      engagement: null,
    };
    const { backend } = orgBackend(MEMBER, status);
    renderPane(backend);
    const card = within(await screen.findByRole("region", { name: "Not captured" }));
    expect(card.getByText(/^Removed /)).toBeTruthy();
    expect(card.getByTestId("status-explanation").textContent).toBe(explanation);
  });
});

describe("colleagues from the organization's domains", () => {
  test("an address at one of GET /api/me's internalDomains is offered neither Track nor Block", async () => {
    installOutlook();
    const me = meResponse("active");
    me.organization.internalDomains = ["contoso.com", "globex.com"];
    const { backend } = orgBackend(me, statusResponse("not_captured"));
    renderPane(backend);
    const people = within(await screen.findByRole("list", { name: "People on this message" }));
    await waitFor(() => expect(people.queryByRole("button", { name: "Track bob@globex.com" })).toBeNull());
    expect(people.queryByRole("button", { name: "Block bob@globex.com" })).toBeNull();
  });
});
