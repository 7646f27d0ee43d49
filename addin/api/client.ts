/**
 * Typed client for the backend's HTTP API. Bearer token from the auth module; errors parsed from the
 * `{ error: { code, message } }` body into ApiError so the pane can show the server's own words.
 * Request and response types come from the contract's zod schemas through shared/api/contract.ts,
 * imported as types only, so no validator code reaches the pane's bundle.
 */
import type {
  ApiErrorBody,
  BlockEntryView,
  CaptureNowRequest,
  ClientView,
  ContactCreateRequest,
  ContactView,
  EngagementView,
  MailboxHealthPage,
  MailboxHealthQuery,
  MeResponse,
  MessageStatusRequest,
  MessageStatusResponse,
  MySharing,
  OrganizationSharing,
  Page,
  SharingLevel,
  StartConnectionResponse,
  SweepView,
} from "../../shared/api/contract";
import { isInteractionRequired } from "../auth/types";

export type { MailboxHealthQuery };

/** Whose engagements a history page lists: one tracked contact's, or one client's. */
export type HistoryScope = { contactId: string } | { clientId: string };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface TokenSource {
  /** A bearer token for the API scope; forceRefresh after a 401. */
  getToken(options?: { forceRefresh?: boolean }): Promise<string>;
}

export interface ApiClientOptions {
  /** "" for the pane's own origin, else the API's origin (no trailing slash). */
  baseUrl: string;
  auth: TokenSource;
  fetch?: typeof fetch;
}

export interface ApiClient {
  me(): Promise<MeResponse>;
  messageStatus(req: MessageStatusRequest): Promise<MessageStatusResponse>;
  captureNow(req: CaptureNowRequest): Promise<MessageStatusResponse>;
  listClients(): Promise<ClientView[]>;
  createClient(name: string): Promise<ClientView>;
  createContact(req: ContactCreateRequest): Promise<ContactView>;
  searchContacts(q: string, limit?: number): Promise<Page<ContactView>>;
  connect(): Promise<StartConnectionResponse>;
  disconnect(): Promise<void>;
  /** My latest sweeps, newest first (the pane follows the first sweep after Connect). */
  recentSweeps(limit?: number): Promise<SweepView[]>;
  listBlocklist(): Promise<BlockEntryView[]>;
  deleteBlockEntry(id: string): Promise<void>;
  /** Administrators only (403 forbidden otherwise): every user's mailbox connection, by email, and the organization's counts. */
  mailboxHealth(query?: MailboxHealthQuery): Promise<MailboxHealthPage>;
  /** One engagement with its text body, as much of it as the caller may see. */
  getEngagement(id: string): Promise<EngagementView>;
  /** A contact's or a client's engagements, newest first, one page at a time. */
  history(scope: HistoryScope, cursor?: string | null, limit?: number): Promise<Page<EngagementView>>;
  /** What teammates see of my mailbox's engagements, and whether I may change it. */
  mySharing(): Promise<MySharing>;
  /** My own level; null follows the organization's default. 403 sharing_locked when administrators set it. */
  setMySharing(level: SharingLevel | null): Promise<MySharing>;
  /** Administrators only (403 otherwise). */
  organizationSharing(): Promise<OrganizationSharing>;
  setOrganizationSharing(settings: OrganizationSharing): Promise<OrganizationSharing>;
}

/**
 * For an error answer without the API's JSON body (a proxy's HTML error page, a gateway timeout): a
 * sentence instead of "The server answered 502."; the status stays in the error's code.
 */
function statusSentence(status: number): string {
  if (status === 502 || status === 503 || status === 504)
    return "Engagement Capture's server can't be reached right now. Try again in a moment.";
  if (status >= 500) return "Engagement Capture's server ran into a problem. Try again in a moment.";
  if (status === 403) return "You don't have access to this in Engagement Capture.";
  if (status === 404)
    return "Engagement Capture's server doesn't know this request. The pane may be newer or older than the server.";
  return "Engagement Capture's server didn't accept this request. Try again.";
}

/** The user must sign in (again): no silent token, or the API keeps refusing the token. */
export function isSignInRequired(e: unknown): boolean {
  if (e instanceof ApiError) return e.status === 401;
  return isInteractionRequired(e);
}

/**
 * The same client, telling onSignInRequired whenever a call fails because the user must sign in, so
 * a 401 from any call (not only GET /api/me) brings the pane back to its Sign in state.
 */
export function watchSignIn(api: ApiClient, onSignInRequired: () => void): ApiClient {
  const watched: Record<string, unknown> = {};
  for (const [name, call] of Object.entries(api) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    watched[name] = (...args: unknown[]) =>
      call(...args).catch((e: unknown) => {
        if (isSignInRequired(e)) onSignInRequired();
        throw e;
      });
  }
  return watched as unknown as ApiClient;
}

/** Lists come back either bare or as a Page; accept both so the pane doesn't break on either shape. */
function items<T>(body: T[] | Page<T> | { items: T[] }): T[] {
  return Array.isArray(body) ? body : body.items;
}

/** How an error answer is put into words: the server's own sentence, or a sentence for its status. */
export interface ErrorWords {
  message(err: ApiErrorBody["error"]): string;
  status(status: number): string;
}

/**
 * One authenticated JSON exchange with the API: a 401 is retried once with a fresh token, errors become
 * ApiError in the pane's words. Every client of the pane's (this one, manage.ts) sends through it.
 */
export function createRequester(
  opts: ApiClientOptions,
  words: ErrorWords = { message: (err) => err.message, status: statusSentence },
): <T>(method: string, path: string, body?: unknown) => Promise<T> {
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  return async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const send = async (forceRefresh: boolean) => {
      const token = await opts.auth.getToken({ forceRefresh });
      const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      return doFetch(`${opts.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    };
    let res: Response;
    try {
      res = await send(false);
      // A cached token can be revoked or rejected after a key roll: one retry with a fresh token.
      if (res.status === 401) res = await send(true);
    } catch (e) {
      if (e instanceof ApiError) throw e;
      if (isInteractionRequired(e)) throw e;
      throw new ApiError(
        0,
        "network_error",
        "Engagement Capture's server can't be reached. Check your connection and try again.",
      );
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok) {
      const err = (parsed as ApiErrorBody | undefined)?.error;
      // Still 401 with a fresh token: the sign-in itself no longer holds (the pane offers Sign in again).
      if (res.status === 401)
        throw new ApiError(401, err?.code ?? "unauthorized", "Your sign-in has expired. Sign in again to continue.");
      throw new ApiError(
        res.status,
        err?.code ?? `http_${res.status}`,
        err ? words.message(err) : words.status(res.status),
      );
    }
    return parsed as T;
  };
}

export function createApiClient(opts: ApiClientOptions): ApiClient {
  const call = createRequester(opts);

  return {
    me: () => call<MeResponse>("GET", "/api/me"),
    messageStatus: (req) => call<MessageStatusResponse>("POST", "/api/messages/status", req),
    captureNow: (req) => call<MessageStatusResponse>("POST", "/api/messages/capture", req),
    listClients: async () => items(await call<ClientView[] | Page<ClientView>>("GET", "/api/clients")),
    createClient: (name) => call<ClientView>("POST", "/api/clients", { name }),
    createContact: (req) => call<ContactView>("POST", "/api/contacts", req),
    searchContacts: (q, limit = 25) =>
      call<Page<ContactView>>("GET", `/api/contacts?q=${encodeURIComponent(q)}&limit=${limit}`),
    connect: () => call<StartConnectionResponse>("POST", "/api/connection"),
    disconnect: () => call<void>("DELETE", "/api/connection"),
    recentSweeps: async (limit = 1) => items(await call<Page<SweepView>>("GET", `/api/sweeps?limit=${limit}`)),
    listBlocklist: async () => items(await call<BlockEntryView[] | Page<BlockEntryView>>("GET", "/api/blocklist")),
    deleteBlockEntry: (id) => call<void>("DELETE", `/api/blocklist/${encodeURIComponent(id)}`),
    mailboxHealth: ({ status, cursor, limit = 50 } = {}) => {
      const q = new URLSearchParams();
      if (status) q.set("status", status);
      if (cursor) q.set("cursor", cursor);
      q.set("limit", String(limit));
      return call<MailboxHealthPage>("GET", `/api/connections?${q}`);
    },
    getEngagement: (id) => call<EngagementView>("GET", `/api/engagements/${encodeURIComponent(id)}`),
    history: (scope, cursor, limit = 10) => {
      const q = new URLSearchParams();
      if ("contactId" in scope) q.set("contactId", scope.contactId);
      else q.set("clientId", scope.clientId);
      if (cursor) q.set("cursor", cursor);
      q.set("limit", String(limit));
      return call<Page<EngagementView>>("GET", `/api/engagements?${q}`);
    },
    mySharing: () => call<MySharing>("GET", "/api/me/sharing"),
    setMySharing: (level) => call<MySharing>("PUT", "/api/me/sharing", { level }),
    organizationSharing: () => call<OrganizationSharing>("GET", "/api/organization/sharing"),
    setOrganizationSharing: (settings) => call<OrganizationSharing>("PUT", "/api/organization/sharing", settings),
  };
}
