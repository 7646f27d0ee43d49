/**
 * Test kit for the pane: an Outlook built with office-addin-mock (host "outlook"), a fake backend
 * behind a fake fetch (no network), and a stub token provider in place of MSAL.
 */
import { configure, render } from "@testing-library/react";
import { OfficeMockObject } from "office-addin-mock";
import type { ContactView, MeResponse, MessageStatusResponse, PersonView } from "../../shared/api/contract";
import { createApiClient } from "../../addin/api/client";
import { createManageClient } from "../../addin/api/manage";
import { InteractionRequiredError, type TokenProvider } from "../../addin/auth/types";
import type { AddinConfig } from "../../addin/config";
import { App } from "../../addin/components/App";

export interface SampleItem {
  itemId: string;
  internetMessageId: string;
  subject: string;
  from: { emailAddress: string; displayName: string };
  to: { emailAddress: string; displayName: string }[];
  cc: { emailAddress: string; displayName: string }[];
  dateTimeCreated: Date;
  itemClass: string;
  itemType: string;
}

export function sampleItem(n = 1, over: Partial<SampleItem> = {}): SampleItem {
  return {
    itemId: `AAMkAD=EWS/id+${n}`,
    internetMessageId: `<msg-${n}@globex.com>`,
    subject: `Renewal question ${n}`,
    from: { emailAddress: "bob@globex.com", displayName: "Bob Stone" },
    to: [{ emailAddress: "alice@contoso.com", displayName: "Alice Hart" }],
    cc: [{ emailAddress: "carol@initech.com", displayName: "Carol Vance" }],
    dateTimeCreated: new Date("2026-03-02T10:15:00Z"),
    itemClass: "IPM.Note",
    itemType: "message",
    ...over,
  };
}

export interface OutlookOptions {
  item?: SampleItem | null;
  hostName?: string;
  sets?: Record<string, boolean>;
  bodyBackgroundColor?: string;
}

export interface FakeOutlook {
  office: any;
  /** Select another item (or none) and fire ItemChanged like a pinned pane sees it. */
  selectItem(item: SampleItem | null): void;
  itemChangedHandlers: (() => void)[];
  dialogs: { url: string; options: unknown; handlers: Record<string, (arg: any) => void>; closed: boolean }[];
}

export function installOutlook(opts: OutlookOptions = {}): FakeOutlook {
  const itemChangedHandlers: (() => void)[] = [];
  const dialogs: FakeOutlook["dialogs"] = [];
  const ok = (cb?: (r: unknown) => void, value?: unknown) => cb?.({ status: "succeeded", value });
  const seed = {
    host: "outlook",
    context: {
      mailbox: {
        diagnostics: { hostName: opts.hostName ?? "OutlookWebApp" },
        userProfile: { emailAddress: "alice@contoso.com", displayName: "Alice Hart" },
        item: { itemType: "message" }, // replaced below: a null can't be seeded (populate() calls Object.keys)
        convertToRestId: (id: string, v: string) => `rest(${v}):${id}`,
        addHandlerAsync: (type: string, handler: () => void, cb?: (r: unknown) => void) => {
          if (type === "olkItemSelectedChanged") itemChangedHandlers.push(handler);
          ok(cb);
        },
        removeHandlerAsync: (_type: string, cb?: (r: unknown) => void) => ok(cb),
      },
      requirements: { isSetSupported: (name: string) => !!opts.sets?.[name] },
      officeTheme: { bodyBackgroundColor: opts.bodyBackgroundColor ?? "#ffffff" },
      ui: {
        displayDialogAsync: (url: string, options: unknown, cb: (r: unknown) => void) => {
          const d = { url, options, handlers: {} as Record<string, (arg: any) => void>, closed: false };
          dialogs.push(d);
          ok(cb, {
            addEventHandler: (type: string, h: (arg: any) => void) => (d.handlers[type] = h),
            close: () => (d.closed = true),
          });
        },
      },
    },
    MailboxEnums: { ItemType: { Message: "message", Appointment: "appointment" }, RestVersion: { v2_0: "v2.0" } },
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    EventType: {
      ItemChanged: "olkItemSelectedChanged",
      DialogMessageReceived: "dialogMessageReceived",
      DialogEventReceived: "dialogEventReceived",
    },
  };
  const office = new OfficeMockObject(seed) as any;
  office.context.mailbox.item = opts.item === undefined ? sampleItem() : opts.item;
  (globalThis as any).Office = office;
  return {
    office,
    itemChangedHandlers,
    dialogs,
    selectItem(item) {
      office.context.mailbox.item = item;
      itemChangedHandlers.forEach((h) => h());
    },
  };
}

export function uninstallOutlook() {
  delete (globalThis as any).Office;
}

// ---------- fake backend ----------

export interface Call {
  method: string;
  path: string;
  body: any;
  auth: string | null;
}
type Handler = (call: Call) => { status?: number; body?: unknown } | Promise<{ status?: number; body?: unknown }>;

export class FakeBackend {
  calls: Call[] = [];
  private routes = new Map<string, Handler>();

  on(method: string, path: string, handler: Handler | { status?: number; body?: unknown }): this {
    this.routes.set(`${method} ${path}`, typeof handler === "function" ? handler : () => handler);
    return this;
  }

  callsTo(method: string, path: string): Call[] {
    return this.calls.filter((c) => c.method === method && (c.path === path || c.path.split("?")[0] === path));
  }

  fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input), "https://localhost:3000");
    const method = (init?.method ?? "GET").toUpperCase();
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const call: Call = {
      method,
      path: url.pathname + url.search,
      body: typeof init?.body === "string" ? JSON.parse(init.body) : undefined,
      auth: headers.Authorization ?? null,
    };
    this.calls.push(call);
    const handler = this.routes.get(`${method} ${call.path}`) ?? this.routes.get(`${method} ${url.pathname}`);
    const r = handler
      ? await handler(call)
      : { status: 404, body: { error: { code: "not_found", message: `No route ${method} ${url.pathname}` } } };
    const status = r.status ?? 200;
    const text = r.body === undefined ? "" : JSON.stringify(r.body);
    // jsdom has no fetch Response; the client only needs these members.
    return { status, ok: status >= 200 && status < 300, text: async () => text } as unknown as Response;
  };
}

// ---------- fixtures ----------

export const CONFIG: AddinConfig = {
  clientId: "11111111-2222-3333-4444-555555555555",
  authority: "https://login.example.test/organizations",
  apiScope: "api://11111111-2222-3333-4444-555555555555/access_as_user",
  apiBaseUrl: "",
  mode: "demo",
  crmEngagementUrl: "https://crm.example.test/engagements/{id}",
};

/** GET /api/me for Alice; `user` e.g. { isAdmin: true } for an administrator (the Capture.Admin app role). */
export function meResponse(
  status: MeResponse["connection"]["status"],
  over: Partial<MeResponse["connection"]> = {},
  user: Partial<MeResponse["user"]> = {},
): MeResponse {
  return {
    user: {
      id: "u1",
      email: "alice@contoso.com",
      displayName: "Alice Hart",
      addresses: ["alice@contoso.com"],
      isAdmin: false,
      ...user,
    },
    organization: { id: "o1", name: "Contoso" },
    connection: {
      status,
      reason: null,
      connectedAt: status === "active" ? "2026-03-01T08:00:00Z" : null,
      lastSweepAt: status === "active" ? "2026-03-02T09:00:00Z" : null,
      lastSuccessAt: status === "active" ? "2026-03-02T09:00:00Z" : null,
      nextSweepAt: status === "active" ? "2026-03-02T10:00:00Z" : null,
      lastError: null,
      ...over,
    },
  };
}

export const PEOPLE: PersonView[] = [
  { address: "bob@globex.com", name: "Bob Stone", role: "from", isUser: false, blocked: false, contact: null },
  { address: "alice@contoso.com", name: "Alice Hart", role: "to", isUser: true, blocked: false, contact: null },
  {
    address: "carol@initech.com",
    name: "Carol Vance",
    role: "cc",
    isUser: false,
    blocked: false,
    contact: {
      id: "c-carol",
      name: "Carol Vance",
      client: { id: "cl-initech", name: "Initech" },
      createdAt: "2026-02-01T00:00:00Z",
    },
  },
];

export function statusResponse(
  kind: MessageStatusResponse["status"],
  over: Partial<MessageStatusResponse> = {},
): MessageStatusResponse {
  const base: MessageStatusResponse = {
    status: kind,
    decision: {
      source: kind === "will_be_captured" ? "predicted" : "stored",
      outcome: kind === "not_captured" ? "excluded" : "captured",
      reason: kind === "not_captured" ? "no_tracked_contact" : null,
      explanation:
        kind === "not_captured"
          ? "Not captured: no one on this message is a tracked contact."
          : "Captured because carol@initech.com is on it.",
      action:
        kind === "not_captured"
          ? { kind: "track_contact", address: "bob@globex.com", label: "Track bob@globex.com" }
          : null,
      decidedAt: kind === "captured" ? "2026-03-02T09:00:05Z" : null,
      sweepId: kind === "captured" ? "sweep-42" : null,
    },
    engagement:
      kind === "captured"
        ? {
            id: "eng-7",
            internetMessageId: "<msg-1@globex.com>",
            conversationId: null,
            subject: "Renewal question 1",
            bodyPreview: "Hi Alice",
            truncated: false,
            direction: "inbound",
            messageTime: "2026-03-02T08:15:00Z",
            sentAt: null,
            receivedAt: "2026-03-02T08:15:00Z",
            from: "bob@globex.com",
            participants: [],
            contacts: [{ id: "c-carol", email: "carol@initech.com", name: "Carol Vance" }],
            clients: [{ id: "cl-initech", name: "Initech" }],
            conflictsWith: [],
            mailboxes: [
              {
                userId: "u1",
                email: "alice@contoso.com",
                displayName: "Alice",
                isCaller: true,
                sharing: "metadata",
                webLink: null,
              },
            ],
            visibility: { level: "everything", because: "own_mailbox" },
            capturedAt: "2026-03-02T09:00:05Z",
          }
        : null,
    // A prediction a coming sweep may change; stored answers and most fixtures: false.
    awaitsSweep: false,
    people: PEOPLE,
    nextSweepAt: "2026-03-02T10:00:00Z",
    connection: "active",
  };
  return { ...base, ...over };
}

/** A stored "blocked" exclusion whose remedy is to remove `entry` from the blocklist. */
export function blockedStatus(entry = "@noisy.example"): MessageStatusResponse {
  return statusResponse("not_captured", {
    decision: {
      source: "stored",
      outcome: "excluded",
      reason: "blocked",
      explanation: `deals@mail.noisy.example is on the blocklist (${entry}), so this message is not captured.`,
      action: { kind: "unblock", entry, label: `Unblock ${entry}` },
      decidedAt: "2026-03-02T09:00:00Z",
      sweepId: "s1",
    },
  });
}

export function trackedContact(
  email: string,
  client: { id: string; name: string },
  name: string | null = null,
): ContactView {
  return { id: `c-${email}`, email, name, clientId: client.id, client, createdAt: "2026-03-02T10:20:00Z" };
}

// ---------- auth + render ----------

export function stubAuth(
  opts: { signedIn?: boolean } = {},
): TokenProvider & { signIn: jest.Mock; getToken: jest.Mock } {
  let signedIn = opts.signedIn ?? true;
  return {
    strategy: "browser",
    getToken: jest.fn(async () => {
      if (!signedIn) throw new InteractionRequiredError();
      return "test-token";
    }),
    signIn: jest.fn(async () => {
      signedIn = true;
    }),
  };
}

export function renderPane(backend: FakeBackend, config: AddinConfig = CONFIG, auth = stubAuth()) {
  const api = createApiClient({ baseUrl: "", auth, fetch: backend.fetch });
  const manage = createManageClient({ baseUrl: "", auth, fetch: backend.fetch });
  const utils = render(<App services={{ api, manage, auth, config }} theme="light" />);
  return { ...utils, auth, api, manage };
}

/**
 * The open Fluent dialog, focused. A browser moves focus into a modal dialog on open; jsdom has no
 * layout, so tabster finds nothing "visible" to focus and its modalizer keeps the surface
 * aria-hidden. Focusing its first field does what the browser would, then we wait for tabster's
 * (250 ms, debounced) aria-hidden update so role queries see the dialog as a screen reader would.
 */
export async function focusDialog() {
  const { screen, waitFor, within, act } = await import("@testing-library/react");
  const surface = await screen.findByRole("dialog", { hidden: true });
  act(() => (surface.querySelector("input, button") as HTMLElement | null)?.focus());
  await waitFor(() => expect(surface.getAttribute("aria-hidden")).toBeNull());
  return within(await screen.findByRole("dialog"));
}

/**
 * The settings every pane suite shares: two shared cores need more than Testing Library's default
 * 1 s for Fluent's first renders, and each test leaves no Outlook and no DOM behind. Fluent's portals
 * (dialogs, listboxes) can outlive the test's root by an animation frame; React's useId restarts per
 * root, so a leftover label would then name the next test's fields.
 */
export function setUpPaneTests(): void {
  configure({ asyncUtilTimeout: 5000 });
  jest.setTimeout(20000);
  afterEach(() => {
    uninstallOutlook();
    document.body.innerHTML = "";
  });
}
