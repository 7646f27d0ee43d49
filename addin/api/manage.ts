/**
 * The calls that change what is captured: edit and untrack contacts, rename clients, list a client's
 * contacts, add to the blocklist. Sent through api/client.ts's createRequester (bearer token, one retry with
 * a fresh token after a 401, errors as ApiError), with validation errors naming their fields; typed from the contract.
 */
import type {
  ApiErrorBody,
  BlockEntryCreated,
  BlockEntryView,
  ClientView,
  ContactDeleted,
  ContactView,
  Page,
  RemovalPreview,
} from "../../shared/api/contract";
import { createRequester, type ApiClientOptions } from "./client";

export interface ContactQuery {
  q?: string;
  clientId?: string;
  cursor?: string;
  limit?: number;
}

export interface ManageClient {
  /** GET /api/contacts: search and/or one client's contacts, in pages. */
  listContacts(query?: ContactQuery): Promise<Page<ContactView>>;
  /** PATCH /api/contacts/:id: a new name (null clears it) and/or another client. */
  updateContact(id: string, change: { name?: string | null; clientId?: string | null }): Promise<ContactView>;
  /**
   * DELETE /api/contacts/:id: untrack. Engagements already captured stay unless removeCaptured; resolves to
   * how many were removed (0 without removal).
   */
  deleteContact(id: string, opts?: { removeCaptured?: boolean }): Promise<number>;
  /** GET /api/contacts/:id/removal-preview: what untracking with removal would delete, and what stays. */
  previewContactRemoval(id: string): Promise<RemovalPreview>;
  /** PATCH /api/clients/:id. 409 duplicate_client when another client has that name. */
  renameClient(id: string, name: string): Promise<ClientView>;
  /** POST /api/blocklist: an address or @domain; organization entries need the administrator role (403). */
  addBlockEntry(req: {
    entry: string;
    scope: BlockEntryView["scope"];
    removeCaptured?: boolean;
  }): Promise<BlockEntryCreated>;
  /** GET /api/blocklist/preview: what adding the entry with removal would delete (403 for a member asking about organization). */
  previewBlock(entry: string, scope: BlockEntryView["scope"]): Promise<RemovalPreview>;
}

/** An error answer without the API's JSON body (a proxy's page): a sentence, never the raw text. */
function statusSentence(status: number): string {
  if (status >= 500)
    return "Engagement Capture's server ran into a problem or can't be reached right now. Try again in a moment.";
  if (status === 403) return "You don't have access to this in Engagement Capture.";
  if (status === 404) return "This is no longer there. It may have been changed or removed by someone else.";
  return "Engagement Capture's server didn't accept this request. Try again.";
}

/** A validation error's own sentence is generic ("The request is not valid."): say which field and why. */
function withDetails(err: ApiErrorBody["error"]): string {
  const details = Array.isArray(err.details) ? (err.details as { path?: unknown; message?: unknown }[]) : [];
  const said = details
    .filter((d) => typeof d?.message === "string")
    .map((d) => (typeof d.path === "string" && d.path ? `${d.path}: ${String(d.message)}` : String(d.message)));
  return said.length ? `${err.message} ${said.join(" ")}` : err.message;
}

export function createManageClient(opts: ApiClientOptions): ManageClient {
  const call = createRequester(opts, { message: withDetails, status: statusSentence });

  const id = (v: string) => encodeURIComponent(v);
  return {
    listContacts: ({ q, clientId, cursor, limit = 25 } = {}) => {
      const p = new URLSearchParams();
      if (q) p.set("q", q);
      if (clientId) p.set("clientId", clientId);
      if (cursor) p.set("cursor", cursor);
      p.set("limit", String(limit));
      return call<Page<ContactView>>("GET", `/api/contacts?${p}`);
    },
    updateContact: (contactId, change) => call<ContactView>("PATCH", `/api/contacts/${id(contactId)}`, change),
    deleteContact: async (contactId, { removeCaptured = false } = {}) => {
      if (!removeCaptured) {
        await call<void>("DELETE", `/api/contacts/${id(contactId)}`);
        return 0;
      }
      const res = await call<ContactDeleted | undefined>(
        "DELETE",
        `/api/contacts/${id(contactId)}?removeCaptured=true`,
      );
      return res?.removedEngagements ?? 0;
    },
    previewContactRemoval: (contactId) => call<RemovalPreview>("GET", `/api/contacts/${id(contactId)}/removal-preview`),
    renameClient: (clientId, name) => call<ClientView>("PATCH", `/api/clients/${id(clientId)}`, { name }),
    addBlockEntry: (req) => call<BlockEntryCreated>("POST", "/api/blocklist", req),
    previewBlock: (entry, scope) =>
      call<RemovalPreview>("GET", `/api/blocklist/preview?${new URLSearchParams({ entry, scope })}`),
  };
}
