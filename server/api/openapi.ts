/**
 * The OpenAPI 3.1 description of the HTTP API, served unauthenticated at /api/openapi.json.
 * Written by hand as a typed object: every route of the product is listed. Tests check that every
 * route the app registers appears here (test/api/api.test.ts for the bare app, test/fuzz for the fully
 * wired server) and fuzz every operation against its schemas.
 */
import { REASON_CODES } from "../../shared/capture";
import { MAX_MAIL_REQUEST_BYTES, MAX_RECIPIENTS, MAX_SUBJECT } from "../mail/compose";
import { MAX_CSV_BODY, MAX_JSON_BODY, MAX_PAGE } from "./schemas";
import { ADMIN_APP_ROLE } from "../../shared/api/contract";
import { ADDIN_OPENAPI_PATHS } from "./routes/addin";
import { DEFAULT_RATE_LIMIT } from "./security";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = { [k: string]: Json };

interface Operation {
  summary: string;
  description?: string;
  operationId: string;
  tags: string[];
  security?: Record<string, string[]>[];
  parameters?: Schema[];
  requestBody?: Schema;
  responses: Record<string, Schema>;
}
type PathItem = Partial<Record<"get" | "post" | "patch" | "put" | "delete", Operation>>;

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  security: Record<string, string[]>[];
  tags: { name: string; description: string }[];
  paths: Record<string, PathItem>;
  components: { securitySchemes: Record<string, Schema>; schemas: Record<string, Schema>; responses: Record<string, Schema> };
}

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema, description = "OK"): Schema => ({ description, content: { "application/json": { schema } } });
const err = (name: string): Schema => ({ $ref: `#/components/responses/${name}` });
const body = (schema: Schema): Schema => ({ required: true, content: { "application/json": { schema } } });
const page = (item: string): Schema => ({
  type: "object",
  required: ["items", "nextCursor"],
  properties: { items: { type: "array", items: ref(item) }, nextCursor: { type: ["string", "null"], description: "Pass as `cursor` for the next page; null on the last page." } },
});
const idParam = (what: string): Schema => ({ name: "id", in: "path", required: true, schema: { type: "string" }, description: `The ${what}'s id.` });
const q = (name: string, schema: Schema, description: string): Schema => ({ name, in: "query", required: false, schema, description });
const nullable = (type: string): Json => [type, "null"];
const str = { type: "string" } as const;
const dateTime = { type: "string", format: "date-time" } as const;
/**
 * What any signed-in call can answer besides its own results: a malformed request, no or a bad token,
 * the per-user rate limit, an unreachable database. An operation with a 503 of its own describes
 * both (NotAvailable).
 */
const standard = { "400": err("BadRequest"), "401": err("Unauthorized"), "429": err("RateLimited"), "503": err("Unavailable") };
/** Operations with a JSON body also answer 413 (over the size limit) and 415 (not application/json). */
const jsonErrors = { "413": err("TooLarge"), "415": err("UnsupportedMediaType") };
const cursorParams = [
  q("cursor", str, "Opaque cursor from the previous page's nextCursor."),
  q("limit", { type: "integer", minimum: 1, maximum: MAX_PAGE, default: 50 }, `Page size, at most ${MAX_PAGE}.`),
];
const publicOp = { security: [] as Record<string, string[]>[] };

export const openApiDocument: OpenApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "Engagement Capture API",
    version: "0.1.0",
    description:
      "The backend of the Engagement Capture Outlook add-in: clients, contacts, captured engagements, the open message's capture status, " +
      "the blocklist, the mailbox connection and sweeps. Every /api route except this document needs an Entra v2 access token for the " +
      "API's own scope (api://<client-id>/access_as_user); every query is scoped to the token's organization (tid). " +
      `Errors always have the body {"error":{"code","message","details"?}}. JSON bodies are limited to ${MAX_JSON_BODY / 1024} KB ` +
      `(the CSV import to ${MAX_CSV_BODY / 1024 / 1024} MB); unknown fields are rejected. A signed-in call to an /api path below with a method ` +
      "it does not list answers 405 method_not_allowed with an Allow header (HEAD is allowed wherever GET is).",
  },
  servers: [{ url: "/" }],
  security: [{ bearer: [] }],
  tags: [
    { name: "system", description: "Health and this description." },
    { name: "me", description: "The signed-in user." },
    { name: "clients", description: "The organization's customer accounts." },
    { name: "contacts", description: "Tracked people; mail with them is captured." },
    { name: "engagements", description: "Captured emails." },
    { name: "messages", description: "The open message in Outlook." },
    { name: "blocklist", description: "Addresses and domains never captured." },
    { name: "connection", description: "The delegated Microsoft 365 mailbox grant, and (administrators) every user's." },
    { name: "sweeps", description: "Passes over the mailbox." },
    { name: "mail", description: "Sending mail as the user." },
    { name: "addin", description: "The Outlook task pane's files, manifest and configuration." },
  ],
  paths: {
    ...ADDIN_OPENAPI_PATHS,
    "/healthz": {
      get: {
        ...publicOp,
        operationId: "health",
        tags: ["system"],
        summary: "Liveness and database check",
        responses: {
          "200": json({ type: "object", properties: { status: { const: "ok" }, database: { const: "ok" } } }),
          "503": json(ref("Error"), "The database is not reachable (code database_unavailable)."),
        },
      },
    },
    "/api/openapi.json": {
      get: { ...publicOp, operationId: "openapi", tags: ["system"], summary: "This OpenAPI description", responses: { "200": json({ type: "object" }) } },
    },
    "/api/me": {
      get: {
        operationId: "getMe",
        tags: ["me"],
        summary: "The caller, their organization and mailbox connection",
        description: "The first authenticated call provisions the organization (tid) and the user (tid, oid).",
        responses: { "200": json(ref("MeResponse")), ...standard },
      },
    },
    "/api/clients": {
      get: { operationId: "listClients", tags: ["clients"], summary: "All clients, by name, with live contact counts", responses: { "200": json(page("Client")), ...standard } },
      post: {
        operationId: "createClient",
        tags: ["clients"],
        summary: "Create a client",
        description:
          "Names are one per organization ignoring surrounding and repeated spaces, case (lower-cased in all of Unicode), compatibility " +
          "forms and invisible characters: \"Acme\" and \" ACME \" are one (409 duplicate_client), as the CSV import matches them. A name " +
          "with nothing visible is 400 invalid_name.",
        requestBody: body(ref("ClientInput")),
        responses: { "201": json(ref("Client"), "Created"), ...standard, ...jsonErrors, "409": err("Conflict") },
      },
    },
    "/api/clients/{id}": {
      get: { operationId: "getClient", tags: ["clients"], summary: "One client", parameters: [idParam("client")], responses: { "200": json(ref("Client")), ...standard, "404": err("NotFound") } },
      patch: {
        operationId: "updateClient",
        tags: ["clients"],
        summary: "Rename a client",
        parameters: [idParam("client")],
        requestBody: body(ref("ClientInput")),
        responses: { "200": json(ref("Client")), ...standard, ...jsonErrors, "404": err("NotFound"), "409": err("Conflict") },
      },
      delete: {
        operationId: "deleteClient",
        tags: ["clients"],
        summary: "Delete a client; its contacts stay tracked, without a client",
        parameters: [idParam("client")],
        responses: { "204": { description: "Deleted" }, ...standard, "404": err("NotFound") },
      },
    },
    "/api/contacts": {
      get: {
        operationId: "listContacts",
        tags: ["contacts"],
        summary: "Live contacts, ordered by email, with cursor pagination",
        parameters: [q("q", str, "Case-insensitive substring of the email or name."), q("clientId", str, "Only this client's contacts."), ...cursorParams],
        responses: { "200": json(page("Contact")), ...standard },
      },
      post: {
        operationId: "createContact",
        tags: ["contacts"],
        summary: "Track a contact",
        description: "The address is normalised (trimmed, lower-cased). Re-adding a deleted contact revives it with a new createdAt (the contact_tracked_too_late rule counts from then).",
        requestBody: body(ref("ContactInput")),
        responses: { "201": json(ref("Contact"), "Created"), ...standard, ...jsonErrors, "404": err("NotFound"), "409": json(ref("Error"), "duplicate_contact: the address is already tracked") },
      },
    },
    "/api/contacts/import": {
      post: {
        operationId: "importContacts",
        tags: ["contacts"],
        summary: "Import contacts from CSV, all or nothing",
        description:
          "Body: text/csv (application/csv and text/plain are accepted too) with the header `email,name,client` (name and client " +
          "optional columns). An unreadable file, a wrong header, no rows or too many → 400 invalid_csv. Missing clients are created by name " +
          "(case-insensitive). Any bad row (invalid address, duplicate within the file, already a live contact, over-long field) " +
          "→ 422 invalid_rows with details.errors = [{row, field, message}] (row = line number, header = 1) and nothing is stored.",
        requestBody: { required: true, content: { "text/csv": { schema: { type: "string" } }, "application/csv": { schema: { type: "string" } }, "text/plain": { schema: { type: "string" } } } },
        responses: {
          "201": json(ref("ContactImportResponse"), "Imported"),
          ...standard,
          "413": err("TooLarge"),
          "415": err("UnsupportedMediaType"),
          "422": json(ref("ImportError"), "Row errors; nothing stored"),
        },
      },
    },
    "/api/contacts/{id}": {
      get: { operationId: "getContact", tags: ["contacts"], summary: "One live contact", parameters: [idParam("contact")], responses: { "200": json(ref("Contact")), ...standard, "404": err("NotFound") } },
      patch: {
        operationId: "updateContact",
        tags: ["contacts"],
        summary: "Change a contact's name or client (the address is its identity: delete and re-add to change it)",
        parameters: [idParam("contact")],
        requestBody: body(ref("ContactUpdate")),
        responses: { "200": json(ref("Contact")), ...standard, ...jsonErrors, "404": err("NotFound") },
      },
      delete: {
        operationId: "deleteContact",
        tags: ["contacts"],
        summary: "Stop tracking a contact (soft delete; captured engagements stay)",
        parameters: [idParam("contact")],
        responses: { "204": { description: "Deleted" }, ...standard, "404": err("NotFound") },
      },
    },
    "/api/engagements": {
      get: {
        operationId: "listEngagements",
        tags: ["engagements"],
        summary: "Captured emails, newest first, with cursor pagination",
        parameters: [
          q("contactId", str, "Only engagements linked to this contact."),
          q("clientId", str, "Only engagements with a contact of this client."),
          q("from", dateTime, "messageTime at or after (ISO 8601)."),
          q("to", dateTime, "messageTime before (ISO 8601)."),
          ...cursorParams,
        ],
        responses: { "200": json(page("Engagement")), ...standard },
      },
    },
    "/api/engagements/{id}": {
      get: {
        operationId: "getEngagement",
        tags: ["engagements"],
        summary: "One engagement, with its body text",
        parameters: [idParam("engagement")],
        responses: { "200": json(ref("Engagement")), ...standard, "404": err("NotFound") },
      },
    },
    "/api/messages/status": {
      post: {
        operationId: "messageStatus",
        tags: ["messages"],
        summary: "Capture status of the open message",
        description:
          "The stored capture decision for this user's mailbox (by SHA-256 of the internetMessageId), or a prediction by the shared " +
          "capture rules with the time of the next sweep. An exclusion the user has since undone (tracked the contact, removed the " +
          "block) while the message is still inside the sweep window is answered as a prediction.",
        requestBody: body(ref("MessageStatusRequest")),
        responses: { "200": json(ref("MessageStatusResponse")), ...standard, ...jsonErrors },
      },
    },
    "/api/messages/capture": {
      post: {
        operationId: "captureNow",
        tags: ["messages"],
        summary: "Capture now: fetch this one message by its REST/immutable id, decide, store",
        description:
          "Answers the message's status after deciding, describing the message Graph returned for restItemId. 404 when the mailbox has no " +
          "such message; 409 not_connected or reauth_required when the mailbox cannot be read; 503 not_available when sweeping is not running here.",
        requestBody: body({
          type: "object",
          additionalProperties: false,
          required: ["restItemId"],
          properties: {
            restItemId: { type: "string", minLength: 1, maxLength: 2000, description: "The item's REST id (Office.js convertToRestId) or immutable id." },
            internetMessageId: { type: "string", minLength: 1, maxLength: 2000, description: "Optional, what Office.js knows; not needed to find the message." },
          },
        }),
        responses: { "200": json(ref("MessageStatusResponse")), ...standard, ...jsonErrors, "404": err("NotFound"), "409": err("Conflict"), "503": err("NotAvailable") },
      },
    },
    "/api/blocklist": {
      get: { operationId: "listBlocklist", tags: ["blocklist"], summary: "Organization-wide entries and the caller's personal ones", responses: { "200": json(page("BlockEntry")), ...standard } },
      post: {
        operationId: "addBlockEntry",
        tags: ["blocklist"],
        summary: "Block an address or @domain (subdomains match)",
        description: `A personal entry (the default) applies to the caller's mailbox; an organization entry to everyone's and needs the ${ADMIN_APP_ROLE} app role.`,
        requestBody: body(ref("BlockEntryInput")),
        responses: { "201": json(ref("BlockEntry"), "Created"), ...standard, ...jsonErrors, "403": err("Forbidden"), "409": json(ref("Error"), "duplicate_block_entry") },
      },
    },
    "/api/blocklist/{id}": {
      delete: {
        operationId: "deleteBlockEntry",
        tags: ["blocklist"],
        summary: "Remove one of the caller's personal entries, or (administrators) an organization entry",
        description: `Removing an organization entry needs the ${ADMIN_APP_ROLE} app role (403 forbidden otherwise). Another user's personal entry answers 404.`,
        parameters: [idParam("blocklist entry")],
        responses: { "204": { description: "Deleted" }, ...standard, "403": err("Forbidden"), "404": err("NotFound") },
      },
    },
    "/api/connection": {
      post: {
        operationId: "startConnection",
        tags: ["connection"],
        summary: "Start connecting the caller's mailbox: an authorize URL to open in the Office dialog",
        description:
          "Authorization code flow with PKCE; the `state` is signed, single-use, expires in minutes and is bound to the caller. " +
          "Scopes: openid profile email offline_access User.Read Mail.Read Mail.Send — the product's fixed delegated set (no Mail.ReadWrite).",
        responses: {
          "200": json({ type: "object", required: ["authorizeUrl"], properties: { authorizeUrl: { type: "string", format: "uri" } } }),
          ...standard,
          "503": {
            description:
              "identity_unavailable (Microsoft Entra could not be reached to prepare the sign-in; Retry-After), not_available (connecting is " +
              "not set up on this server), or database_unavailable.",
            headers: { "Retry-After": { schema: { type: "integer" } } },
            content: { "application/json": { schema: ref("Error") } },
          },
        },
      },
      delete: {
        operationId: "disconnect",
        tags: ["connection"],
        summary: "Disconnect: delete the stored tokens at once (engagements stay)",
        responses: { "204": { description: "Disconnected" }, ...standard, "503": err("NotAvailable") },
      },
    },
    "/api/connections": {
      get: {
        operationId: "listMailboxHealth",
        tags: ["connection"],
        summary: "Administrators: every user's mailbox connection health, by email, with cursor pagination",
        description:
          `Needs the ${ADMIN_APP_ROLE} app role (403 forbidden otherwise). Lists the organization's users — those who have called the API ` +
          "at least once — with their connection's status, last sweep, last success and last error; `counts` covers the whole organization " +
          "whatever the filter and page.",
        parameters: [q("status", { enum: ["not_connected", "active", "reauth_required", "disconnected"] }, "Only users whose connection has this status."), ...cursorParams],
        responses: {
          "200": json({
            type: "object",
            required: ["items", "nextCursor", "counts"],
            properties: {
              ...(page("MailboxHealth").properties as Record<string, Json>),
              counts: {
                type: "object",
                description: "Users by connection status, for the whole organization.",
                properties: Object.fromEntries(["not_connected", "active", "reauth_required", "disconnected"].map((k) => [k, { type: "integer" }])),
              },
            },
          }),
          ...standard,
          "403": err("Forbidden"),
        },
      },
    },
    "/auth/callback": {
      get: {
        ...publicOp,
        operationId: "authCallback",
        tags: ["connection"],
        summary: "OAuth redirect target: exchanges the code, stores the connection, answers a page for the Office dialog",
        description:
          "Rejects replayed, expired or foreign state and a different consenting account with a clear page; stores nothing then. " +
          "Rate-limited per client address (429 in the error shape, Retry-After).",
        parameters: [q("code", str, "Authorization code."), q("state", str, "Signed single-use state."), q("error", str, "Error from the authority."), q("error_description", str, "Its description.")],
        responses: {
          "200": { description: "HTML page that reports the result to the Office dialog", content: { "text/html": { schema: { type: "string" } } } },
          "400": { description: "HTML page explaining the rejection", content: { "text/html": { schema: { type: "string" } } } },
          "429": err("RateLimited"),
          "502": { description: "HTML page: Microsoft Entra could not be reached to redeem the code; nothing stored, try connecting again", content: { "text/html": { schema: { type: "string" } } } },
          "503": json(ref("Error"), "not_available (connecting is not set up on this server) or database_unavailable"),
        },
      },
    },
    "/auth/callback.js": {
      get: {
        ...publicOp,
        operationId: "authCallbackScript",
        tags: ["connection"],
        summary: "The callback page's script (a file of its own so the page's CSP allows no inline script)",
        responses: { "200": { description: "JavaScript", content: { "application/javascript": { schema: { type: "string" } } } } },
      },
    },
    "/api/sweeps": {
      get: {
        operationId: "listSweeps",
        tags: ["sweeps"],
        summary: "The caller's recent sweeps with counts and errors, newest first",
        description: "The most recent `limit` sweeps in one page (nextCursor is always null).",
        parameters: [q("limit", { type: "integer", minimum: 1, maximum: 100, default: 20 }, "How many sweeps, at most 100.")],
        responses: { "200": json(page("Sweep")), ...standard, "503": err("NotAvailable") },
      },
      post: {
        operationId: "sweepNow",
        tags: ["sweeps"],
        summary: "Sweep the caller's mailbox now",
        description:
          "Answers at once with the sweep as it starts (status running), or with the sweep already running for this mailbox, which is " +
          "never started twice. With `wait=true` the answer waits for the sweep to end. 409 not_connected or reauth_required when the " +
          "mailbox cannot be read.",
        parameters: [q("wait", { enum: ["true", "false", "1", "0"] }, "true (or 1): answer 200 with the finished sweep instead of 202 at its start.")],
        responses: {
          "202": json(ref("Sweep"), "Accepted: the sweep as it starts, or the one already running"),
          "200": json(ref("Sweep"), "With wait=true: the finished sweep"),
          ...standard,
          "409": err("Conflict"),
          "503": err("NotAvailable"),
        },
      },
    },
    "/api/mail": {
      post: {
        operationId: "sendMail",
        tags: ["mail"],
        summary: "Send mail as the caller; the sent message is captured at once by the capture rules",
        description:
          "Needs an active mailbox connection; uses only Mail.Send (to send) and Mail.Read (to find the sent copy), no drafts. " +
          "The message is sent with Graph sendMail carrying a private marker (an extended property that stays in the caller's mailbox), " +
          "or, with `replyTo`, as a reply to that engagement's message in the caller's mailbox (same conversation). The sent copy is then " +
          "found in Sent Items (by its marker; a reply by its conversation, send time and recipients) and decided by the same capture rules " +
          "as the hourly sweep — so a message to no tracked contact is sent but not " +
          "captured and `decision` says why, and the later sweep finds the same internetMessageId and changes nothing. " +
          `At most ${MAX_RECIPIENTS} recipients (to and cc together); addresses are checked like the capture rules compare them. ` +
          "HTML bodies are sanitised before sending: only basic formatting, lists, tables and links (http, https, mailto) remain; scripts, " +
          "styles, event handlers, images, forms and frames are removed (`bodySanitized` says whether anything was). " +
          `The request body is limited to ${MAX_MAIL_REQUEST_BYTES / 1024 / 1024} MB. ` +
          "Idempotency: send an `Idempotency-Key` (recommended). The same key with the same body answers the first response again " +
          "(200, `Idempotency-Replayed: true`) and sends nothing. The send attempt is recorded with the key before the message goes to " +
          "Microsoft 365, so a retry after a failure or a lost answer never sends again: it looks for the first attempt's message in Sent " +
          "Items and answers 201 with it, or 409 `send_state_unknown` when it is not there. Keys are kept 24 hours per user. Without a key, " +
          "a client retry after a lost answer can send the message again.",
        parameters: [
          {
            name: "Idempotency-Key",
            in: "header",
            required: false,
            schema: { type: "string", minLength: 1, maxLength: 200, pattern: "^[!-~]+$" },
            description: "Any unique string (e.g. a UUID) per message to send; reuse it only to retry the same request.",
          },
        ],
        requestBody: body(ref("SendMailRequest")),
        responses: {
          "201": json(ref("SendMailResponse"), "Sent (captured or not: see captured and decision)"),
          "200": {
            description: "A repeat of an earlier request with the same Idempotency-Key and body: its answer again; nothing was sent.",
            headers: { "Idempotency-Replayed": { schema: { const: "true" } } },
            content: { "application/json": { schema: ref("SendMailResponse") } },
          },
          "400": json(ref("Error"), "invalid_json, invalid_request (unknown or malformed fields; details [{path, message}]), invalid_idempotency_key"),
          "401": err("Unauthorized"),
          "429": err("RateLimited"),
          "404": json(ref("Error"), "not_found: replyTo names no engagement of this organization"),
          "409": json(
            ref("Error"),
            "not_connected; reauth_required (the grant is gone or lacks a permission: reconnect); request_in_progress (the same Idempotency-Key " +
              "is being processed; Retry-After); send_state_unknown (a send with this key was attempted — its answer was lost, or Microsoft 365 " +
              "answered 504 — and the message is not in Sent Items, so whether it went out cannot be told: check Sent Items, and send with a new key; " +
              "the key keeps looking on each retry)",
          ),
          "413": err("TooLarge"),
          "415": err("UnsupportedMediaType"),
          "422": json(
            ref("Error"),
            "invalid_address (details.invalid lists them), too_many_recipients (details.max, details.count), idempotency_key_reused " +
              "(same key, different body), reply_not_in_mailbox (the engagement to reply to is not in the caller's mailbox)",
          ),
          "502": json(ref("Error"), "graph_rejected: Microsoft 365 refused the message (details.graphCode)"),
          "503": {
            description:
              "graph_unavailable (Microsoft 365 throttled (429) or was unavailable (503) after bounded retries: nothing was sent and nothing stored; " +
              "with details.step find_sent, looking for an earlier attempt's message in Sent Items failed: retry with the same key, it never sends again; " +
              "details.retryable = true, details.graphStatus), token_unavailable, not_available (sending is not enabled on this server), or " +
              "database_unavailable.",
            headers: { "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait, passed on from Microsoft Graph when it said." } },
            content: { "application/json": { schema: ref("Error") } },
          },
        },
      },
    },
  },
  components: {
    securitySchemes: {
      bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "Entra v2 access token for api://<client-id>/access_as_user." },
    },
    responses: {
      BadRequest: json(
        ref("Error"),
        "invalid_json, invalid_request (details: [{path, message}]), invalid_cursor; invalid_email (contacts), invalid_entry (blocklist), " +
          "invalid_csv (contact import)",
      ),
      Unauthorized: {
        description: "unauthorized (no access token was sent) or invalid_token (it was refused; the message says which rule)",
        headers: {
          "WWW-Authenticate": {
            schema: { type: "string" },
            description: 'Bearer realm="engagement-capture" without a token; with a refused one Bearer realm="engagement-capture", error="invalid_token", error_description="…"',
          },
        },
        content: { "application/json": { schema: ref("Error") } },
      },
      NotFound: json(ref("Error"), "Not found (or another organization's)"),
      Forbidden: json(ref("Error"), `forbidden: only holders of the ${ADMIN_APP_ROLE} app role may do this`),
      Conflict: json(ref("Error"), "Conflict"),
      TooLarge: json(ref("Error"), "payload_too_large"),
      UnsupportedMediaType: json(ref("Error"), "unsupported_media_type"),
      NotAvailable: json(ref("Error"), "not_available: the feature's service does not run on this server; or database_unavailable (Retry-After)"),
      RateLimited: {
        description: `rate_limited: more than ${DEFAULT_RATE_LIMIT.perSecond} requests/s (bursts of ${DEFAULT_RATE_LIMIT.burst}) by this user; details.retryAfterSeconds`,
        headers: { "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait." } },
        content: { "application/json": { schema: ref("Error") } },
      },
      Unavailable: {
        description: "database_unavailable: the database is not reachable right now",
        headers: { "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait (5)." } },
        content: { "application/json": { schema: ref("Error") } },
      },
    },
    schemas: {
      Error: {
        type: "object",
        required: ["error"],
        properties: { error: { type: "object", required: ["code", "message"], properties: { code: str, message: str, details: {} } } },
      },
      ImportError: {
        type: "object",
        properties: {
          error: {
            type: "object",
            properties: {
              code: { const: "invalid_rows" },
              message: str,
              details: { type: "object", properties: { errors: { type: "array", items: ref("ImportRowError") } } },
            },
          },
        },
      },
      ImportRowError: {
        type: "object",
        required: ["row", "field", "message"],
        properties: { row: { type: "integer" }, field: { enum: ["email", "name", "client", "row"] }, message: str },
      },
      ReasonCode: { enum: [...REASON_CODES] },
      ConnectionView: {
        type: "object",
        properties: {
          status: { enum: ["not_connected", "active", "reauth_required", "disconnected"] },
          reason: { type: nullable("string") },
          connectedAt: { type: nullable("string"), format: "date-time" },
          lastSweepAt: { type: nullable("string"), format: "date-time" },
          lastSuccessAt: { type: nullable("string"), format: "date-time" },
          nextSweepAt: { type: nullable("string"), format: "date-time" },
          lastError: { type: nullable("string") },
        },
      },
      MeResponse: {
        type: "object",
        properties: {
          user: {
            type: "object",
            properties: {
              id: str,
              email: str,
              displayName: { type: nullable("string") },
              addresses: { type: "array", items: str },
              isAdmin: { type: "boolean", description: `The token carries the ${ADMIN_APP_ROLE} app role.` },
            },
          },
          organization: { type: "object", properties: { id: str, name: { type: nullable("string") } } },
          connection: ref("ConnectionView"),
        },
      },
      MailboxHealth: {
        type: "object",
        properties: {
          user: { type: "object", properties: { id: str, email: str, displayName: { type: nullable("string") } } },
          connection: ref("ConnectionView"),
        },
      },
      ClientInput: { type: "object", additionalProperties: false, required: ["name"], properties: { name: { type: "string", minLength: 1, maxLength: 200 } } },
      Client: { type: "object", properties: { id: str, name: str, createdAt: dateTime, contactCount: { type: "integer" } } },
      ContactInput: {
        type: "object",
        additionalProperties: false,
        required: ["email"],
        properties: { email: { type: "string", maxLength: 320 }, name: { type: nullable("string"), maxLength: 200 }, clientId: { type: nullable("string") } },
      },
      ContactUpdate: {
        type: "object",
        additionalProperties: false,
        properties: { name: { type: nullable("string"), maxLength: 200 }, clientId: { type: nullable("string") } },
      },
      Contact: {
        type: "object",
        properties: {
          id: str,
          email: str,
          name: { type: nullable("string") },
          clientId: { type: nullable("string") },
          client: { oneOf: [{ type: "null" }, { type: "object", properties: { id: str, name: str } }] },
          createdAt: dateTime,
        },
      },
      ContactImportResponse: {
        type: "object",
        properties: { created: { type: "integer" }, revived: { type: "integer" }, clientsCreated: { type: "integer" }, contacts: { type: "array", items: ref("Contact") } },
      },
      Participant: { type: "object", properties: { address: str, name: { type: nullable("string") }, role: { enum: ["from", "to", "cc"] } } },
      Engagement: {
        type: "object",
        properties: {
          id: str,
          internetMessageId: str,
          conversationId: { type: nullable("string") },
          subject: { type: nullable("string") },
          bodyPreview: { type: nullable("string") },
          bodyText: { type: nullable("string"), description: "Only on GET /api/engagements/{id}." },
          direction: { enum: ["inbound", "outbound"] },
          messageTime: dateTime,
          sentAt: { type: nullable("string"), format: "date-time" },
          receivedAt: { type: nullable("string"), format: "date-time" },
          from: { type: nullable("string") },
          participants: { type: "array", items: ref("Participant") },
          contacts: { type: "array", items: { type: "object", properties: { id: str, email: str, name: { type: nullable("string") } } } },
          clients: { type: "array", items: { type: "object", properties: { id: str, name: str } } },
          mailboxes: { type: "array", items: { type: "object", properties: { userId: str, webLink: { type: nullable("string") } } } },
          capturedAt: dateTime,
        },
      },
      Address: {
        oneOf: [
          { type: "string", maxLength: 500 },
          { type: "object", additionalProperties: false, required: ["address"], properties: { address: { type: "string", maxLength: 500 }, name: { type: nullable("string") } } },
        ],
      },
      MessageStatusRequest: {
        type: "object",
        additionalProperties: false,
        required: ["internetMessageId"],
        properties: {
          internetMessageId: { type: "string", minLength: 1, maxLength: 2000 },
          from: { oneOf: [ref("Address"), { type: "null" }] },
          to: { type: "array", items: ref("Address"), default: [] },
          cc: { type: "array", items: ref("Address"), default: [] },
          subject: { type: nullable("string"), description: "Accepted and ignored: nothing of an uncaptured message is stored." },
          sentDateTime: { type: nullable("string"), format: "date-time" },
          receivedDateTime: { type: nullable("string"), format: "date-time" },
          itemClass: { type: nullable("string"), description: "Outlook message class, e.g. IPM.Note; default IPM.Note." },
          restItemId: { type: nullable("string") },
        },
      },
      CaptureAction: {
        oneOf: [
          { type: "object", properties: { kind: { const: "track_contact" }, address: str, label: str } },
          { type: "object", properties: { kind: { const: "unblock" }, entry: str, label: str } },
        ],
      },
      Person: {
        type: "object",
        properties: {
          address: str,
          name: { type: nullable("string") },
          role: { enum: ["from", "to", "cc"] },
          isUser: { type: "boolean" },
          blocked: { type: "boolean" },
          contact: {
            oneOf: [
              { type: "null" },
              { type: "object", properties: { id: str, name: { type: nullable("string") }, createdAt: dateTime, client: { oneOf: [{ type: "null" }, { type: "object", properties: { id: str, name: str } }] } } },
            ],
          },
        },
      },
      MessageStatusResponse: {
        type: "object",
        properties: {
          status: { enum: ["captured", "will_be_captured", "not_captured"] },
          decision: {
            type: "object",
            properties: {
              source: { enum: ["stored", "predicted"] },
              outcome: { enum: ["captured", "excluded"] },
              reason: { oneOf: [ref("ReasonCode"), { type: "null" }] },
              explanation: str,
              action: { oneOf: [ref("CaptureAction"), { type: "null" }] },
              decidedAt: { type: nullable("string"), format: "date-time" },
              sweepId: { type: nullable("string") },
            },
          },
          engagement: { oneOf: [ref("Engagement"), { type: "null" }] },
          people: { type: "array", items: ref("Person") },
          nextSweepAt: { type: nullable("string"), format: "date-time" },
          connection: { enum: ["not_connected", "active", "reauth_required", "disconnected"] },
          awaitsSweep: {
            type: "boolean",
            description:
              "A coming sweep will read this message and may decide it: a prediction (a capture, or an exclusion the user can undo) about " +
              "mail inside the window the next sweep reads (SWEEP_WINDOW_HOURS before nextSweepAt, or before now when not connected).",
          },
        },
      },
      BlockEntryInput: {
        type: "object",
        additionalProperties: false,
        required: ["entry"],
        properties: { entry: { type: "string", maxLength: 320, description: "An address or @domain." }, scope: { enum: ["organization", "personal"], default: "personal" } },
      },
      BlockEntry: { type: "object", properties: { id: str, entry: str, scope: { enum: ["organization", "personal"] }, createdAt: dateTime } },
      Sweep: {
        type: "object",
        properties: {
          id: str,
          trigger: { enum: ["schedule", "manual", "connect", "cli", "worker"] },
          status: { enum: ["running", "succeeded", "failed"] },
          windowStart: dateTime,
          windowEnd: dateTime,
          startedAt: dateTime,
          finishedAt: { type: nullable("string"), format: "date-time" },
          listed: { type: "integer" },
          captured: { type: "integer" },
          excluded: { type: "integer" },
          excludedByReason: { type: "object", additionalProperties: { type: "integer" } },
          graphRequests: { type: "integer" },
          retries: { type: "integer" },
          error: { type: nullable("string") },
        },
      },
      SendMailRequest: {
        type: "object",
        additionalProperties: false,
        required: ["to", "subject", "body"],
        properties: {
          to: { type: "array", items: { type: "string", maxLength: 500 }, minItems: 1, description: `To and cc together: at most ${MAX_RECIPIENTS}.` },
          cc: { type: "array", items: { type: "string", maxLength: 500 }, default: [] },
          subject: { type: "string", maxLength: MAX_SUBJECT },
          body: {
            type: "object",
            additionalProperties: false,
            required: ["contentType", "content"],
            properties: { contentType: { enum: ["text", "html"] }, content: { type: "string", description: "HTML is sanitised before sending (see the operation)." } },
          },
          replyTo: { type: "string", description: "Engagement id: send as a reply to that message (it must be in the caller's mailbox), in the same conversation." },
        },
      },
      SendMailResponse: {
        type: "object",
        required: ["sent", "internetMessageId", "captured", "decision", "engagement", "bodySanitized", "replyTo"],
        properties: {
          sent: { const: true },
          internetMessageId: { type: "string", description: "The sent message's RFC 2822 id; empty while decision.outcome is pending (Graph answers a send without it)." },
          captured: { type: "boolean" },
          decision: {
            type: "object",
            properties: {
              outcome: { enum: ["captured", "excluded", "pending"], description: "pending: Microsoft 365 had not filed the sent copy yet; the next sweep decides." },
              reason: { oneOf: [ref("ReasonCode"), { type: "null" }] },
              explanation: str,
              action: { oneOf: [ref("CaptureAction"), { type: "null" }] },
            },
          },
          engagement: { oneOf: [ref("Engagement"), { type: "null" }] },
          bodySanitized: { type: "boolean", description: "True when sanitising removed something from the HTML body." },
          replyTo: { type: nullable("string") },
        },
      },
    },
  },
};
