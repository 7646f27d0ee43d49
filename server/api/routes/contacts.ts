/**
 * Contacts: list (search, client filter, cursor pages), create, update, delete (soft), and CSV
 * import (checked all-or-nothing, per-row errors; written in chunks; one per organization at a time).
 */
import { Hono } from "hono";
import { parse } from "csv-parse";
import type { ContactDeleted, ContactImportResponse, RemovalPreview } from "../../../shared/api/contract";
import {
  createContact,
  deleteContact,
  getContactView,
  importContacts,
  listContacts,
  updateContact,
  type ImportRow,
  type ImportRowError,
} from "../../store/contacts";
import { engagementsOfContact, planRemoval, type RemovalReach } from "../../store/engagements";
import { removeEngagements } from "../../store/capture-decisions";
import type { AppContext } from "../context";
import {
  assertNotInternal,
  callerInternalDomains,
  internalAddressMessage,
  internalDomainOf,
} from "../internal-address";
import { actorOf, actsForOrganization } from "../roles";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { DEFAULT_QUOTAS } from "../../config";
import { ApiError, notFound } from "../errors";
import { isVisibleClientName } from "../../../shared/clients/name-key";
import { JSON_ERRORS, STANDARD, createRoute, err, json, jsonRequest, mountApi, pathParam } from "../operations";
import { jsonBody, query } from "../request";
import {
  contactCreateSchema,
  contactCsvSchema,
  contactDeleteQuery,
  contactDeletedSchema,
  contactImportResponseSchema,
  contactListQuery,
  contactUpdateSchema,
  contactViewSchema,
  emptyQuery,
  errorBodySchema,
  idParams,
  importErrorSchema,
  pageOf,
  removalPreviewSchema,
} from "../../../shared/api/schemas";

export const MAX_IMPORT_ROWS = 10_000;
const COLUMNS = ["email", "name", "client"] as const;

const tags = ["contacts"];
const params = idParams("contact");
const csv = { schema: contactCsvSchema };

const list = createRoute({
  method: "get",
  path: "/api/contacts",
  operationId: "listContacts",
  tags,
  summary: "Live contacts, ordered by email, with cursor pagination",
  request: { query: contactListQuery },
  responses: { "200": json(pageOf(contactViewSchema)), ...STANDARD },
});
const create = createRoute({
  method: "post",
  path: "/api/contacts",
  operationId: "createContact",
  tags,
  summary: "Track a contact",
  description:
    "The address is normalised (trimmed, lower-cased). Re-adding a deleted contact revives it with a new createdAt " +
    "(the contact_tracked_too_late rule counts from then). A tracked contact is tracked for everyone in the organization, and " +
    "mail with it from the 24 hours before is captured too. An address at one of the organization's own domains (or a subdomain; " +
    "GET /api/me organization.internalDomains) is a colleague → 422 internal_address.",
  request: { body: jsonRequest(contactCreateSchema) },
  responses: {
    "201": json(contactViewSchema, "Created"),
    ...STANDARD,
    ...JSON_ERRORS,
    "404": err("NotFound"),
    "422": json(errorBodySchema, "internal_address: the address is at one of the organization's own domains"),
    "409": json(
      errorBodySchema,
      "duplicate_contact: the address is already tracked; contact_quota_exceeded: the organization tracks as many contacts as it may",
    ),
  },
});
const importCsv = createRoute({
  method: "post",
  path: "/api/contacts/import",
  operationId: "importContacts",
  tags,
  summary: "Import contacts from CSV, all or nothing",
  description:
    "Body: text/csv (application/csv and text/plain are accepted too) with the header `email,name,client` (name and client " +
    "optional columns). An unreadable file, a wrong header, no rows or too many → 400 invalid_csv. Missing clients are created by name " +
    "(case-insensitive). Any bad row (invalid address, an address at one of the organization's own domains, duplicate within the file, " +
    "already a live contact, over-long field) " +
    "→ 422 invalid_rows with details.errors = [{row, field, message}] (row = line number, header = 1) and nothing is stored. " +
    "Past the organization's contact quota (CONTACTS_PER_ORGANIZATION, counting live contacts plus the file's) → 409 contact_quota_exceeded, " +
    "nothing stored; so is one naming more new clients than CLIENTS_PER_ORGANIZATION leaves room for (409 client_quota_exceeded). One import per organization at a time: another one running → 409 import_in_progress. The rows are written in " +
    "chunks after every row was checked; a failure while writing withdraws the contacts already written.",
  request: { body: { required: true, content: { "text/csv": csv, "application/csv": csv, "text/plain": csv } } },
  responses: {
    "201": json(contactImportResponseSchema, "Imported"),
    ...STANDARD,
    ...JSON_ERRORS,
    "409": json(errorBodySchema, "import_in_progress or contact_quota_exceeded; nothing stored"),
    "422": json(importErrorSchema, "Row errors; nothing stored"),
  },
});
const get = createRoute({
  method: "get",
  path: "/api/contacts/{id}",
  operationId: "getContact",
  tags,
  summary: "One live contact",
  request: { params },
  responses: { "200": json(contactViewSchema), ...STANDARD, "404": err("NotFound") },
});
const update = createRoute({
  method: "patch",
  path: "/api/contacts/{id}",
  operationId: "updateContact",
  tags,
  summary: "Change a contact's name or client (the address is its identity: delete and re-add to change it)",
  request: { params, body: jsonRequest(contactUpdateSchema) },
  responses: { "200": json(contactViewSchema), ...STANDARD, ...JSON_ERRORS, "404": err("NotFound") },
});
const remove = createRoute({
  method: "delete",
  path: "/api/contacts/{id}",
  operationId: "deleteContact",
  tags,
  summary: "Stop tracking a contact (soft delete; captured engagements stay unless removeCaptured=true)",
  description:
    "Mail with the address is no longer captured, for everyone in the organization. removeCaptured=true also deletes, in the same " +
    "transaction, the engagements captured with this contact that no other tracked contact is on: an administrator's call every such " +
    "engagement of the organization, a member's only those found in their own mailbox and in no other. Deletion is real (engagement, " +
    "links, content); each capture decision keeps only the message hash and becomes an exclusion (no_tracked_contact) recording when " +
    "and why. GET /api/contacts/{id}/removal-preview counts first.",
  request: { params, query: contactDeleteQuery },
  responses: {
    "200": json(contactDeletedSchema, "Deleted, with removeCaptured=true"),
    "204": { description: "Deleted" },
    ...STANDARD,
    "404": err("NotFound"),
  },
});
const removalPreview = createRoute({
  method: "get",
  path: "/api/contacts/{id}/removal-preview",
  operationId: "previewContactRemoval",
  tags,
  summary: "How many captured engagements untracking this contact with removeCaptured=true would delete",
  request: { params, query: emptyQuery },
  responses: { "200": json(removalPreviewSchema), ...STANDARD, "404": err("NotFound") },
});

export const contactOperations = [list, create, importCsv, get, update, remove, removalPreview];

/** Untracking reaches the organization's engagements for administrators, the caller's own mailbox for members. */
const reachOf = (c: AppContext): RemovalReach =>
  actsForOrganization(c) ? { kind: "organization" } : { kind: "mailbox", userId: c.get("userId") };

export function contactRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const quotas = deps.config.quotas ?? DEFAULT_QUOTAS;
  const limits = { maxContacts: quotas.contactsPerOrganization, maxClients: quotas.clientsPerOrganization };

  mountApi(app, list, async (c) => {
    const q = query(c, contactListQuery);
    return c.json(await listContacts(deps.db, c.get("orgId"), q));
  });

  mountApi(app, create, async (c) => {
    const body = await jsonBody(c, contactCreateSchema);
    assertNotInternal(body.email, await callerInternalDomains(deps.db, c.get("orgId"), c.get("userId")));
    const view = await createContact(
      deps.db,
      c.get("orgId"),
      { ...body, trackedBy: actorOf(c) },
      deps.clock.now(),
      limits,
    );
    return c.json(view, 201);
  });

  mountApi(app, importCsv, (c) => importCsvContacts(deps, limits, c));

  mountApi(app, get, async (c) => {
    const view = await getContactView(deps.db, c.get("orgId"), pathParam(c, "id"));
    if (!view) throw notFound("contact");
    return c.json(view);
  });

  mountApi(app, update, async (c) => {
    const body = await jsonBody(c, contactUpdateSchema);
    const view = await updateContact(deps.db, c.get("orgId"), pathParam(c, "id"), body, deps.clock.now());
    if (!view) throw notFound("contact");
    return c.json(view);
  });

  mountApi(app, remove, (c) => untrack(deps, c));

  mountApi(app, removalPreview, async (c) => {
    query(c, emptyQuery);
    const [orgId, id] = [c.get("orgId"), pathParam(c, "id")];
    if (!(await getContactView(deps.db, orgId, id))) throw notFound("contact");
    const { only, shared } = await engagementsOfContact(deps.db, orgId, id);
    const reach = reachOf(c);
    const plan = await planRemoval(deps.db, orgId, only, reach, shared);
    const body: RemovalPreview = {
      engagements: plan.remove.length,
      keptShared: plan.keptShared,
      keptOtherContact: shared,
      reach: reach.kind,
    };
    return c.json(body);
  });

  return app;
}

type ImportLimits = { maxContacts: number; maxClients: number };

/** POST /api/contacts/import: every row checked (colleagues refused), then imported all or nothing. */
async function importCsvContacts(deps: AppDeps, limits: ImportLimits, c: AppContext): Promise<Response> {
  query(c, emptyQuery);
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (!["text/csv", "application/csv", "text/plain"].includes(type)) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      "Send the contacts as text/csv with the header email,name,client.",
    );
  }
  const { rows, errors } = await parseContactsCsv(await c.req.text());
  errors.push(...internalRowErrors(rows, await callerInternalDomains(deps.db, c.get("orgId"), c.get("userId"))));
  const result = await importContacts(deps.db, c.get("orgId"), rows, deps.clock.now(), errors, limits);
  if (!result.ok) {
    throw new ApiError(422, "invalid_rows", `${result.errors.length} row(s) cannot be imported; nothing was stored.`, {
      errors: result.errors,
    });
  }
  const body: ContactImportResponse = {
    created: result.created,
    revived: result.revived,
    clientsCreated: result.clientsCreated,
    contacts: result.contacts,
  };
  return c.json(body, 201);
}

/** DELETE /api/contacts/{id}: untrack; with removeCaptured, also delete what was captured with that contact alone. */
async function untrack(deps: AppDeps, c: AppContext): Promise<Response> {
  const { removeCaptured } = query(c, contactDeleteQuery);
  const [orgId, id, now] = [c.get("orgId"), pathParam(c, "id"), deps.clock.now()];
  if (!removeCaptured) {
    if (!(await deleteContact(deps.db, orgId, id, now))) throw notFound("contact");
    return c.body(null, 204);
  }
  const reach = reachOf(c);
  const body: ContactDeleted = await deps.db.transaction().execute(async (trx) => {
    const { only } = await engagementsOfContact(trx, orgId, id);
    if (!(await deleteContact(trx, orgId, id, now))) throw notFound("contact");
    const plan = await planRemoval(trx, orgId, only, reach);
    const removed = await removeEngagements(
      trx,
      orgId,
      plan.remove,
      { reason: "no_tracked_contact", removal: "untracked_contact" },
      now,
    );
    return { removedEngagements: removed };
  });
  if (body.removedEngagements > 0) {
    deps.logger.info(
      { organizationId: orgId, actor: actorOf(c), removed: body.removedEngagements, reach: reach.kind },
      "captured engagements removed with an untracked contact",
    );
  }
  return c.json(body, 200);
}

/** Rows whose address is at one of the organization's own domains: colleagues are never imported as contacts. */
function internalRowErrors(rows: readonly ImportRow[], domains: readonly string[]): ImportRowError[] {
  const out: ImportRowError[] = [];
  for (const r of rows) {
    const domain = internalDomainOf(r.email, domains);
    if (domain) out.push({ row: r.row, field: "email", message: internalAddressMessage(r.email, domain) });
  }
  return out;
}

type CsvRecord = { record: string[]; info: { lines: number } };

/** Text fed to the parser per turn of the event loop: a 10,000-row file takes a few hundred ms to parse. */
const CSV_SLICE_CHARS = 32 * 1024;

/** The CSV's records, parsed a slice at a time with a yield to the event loop after each slice. */
async function readCsv(text: string): Promise<CsvRecord[]> {
  const parser = parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: false });
  const records: CsvRecord[] = [];
  const done = new Promise<void>((resolve, reject) => {
    parser.on("readable", () => {
      let r: unknown;
      while ((r = parser.read()) !== null) records.push(r as CsvRecord);
    });
    parser.once("end", resolve);
    parser.once("error", reject);
  });
  done.catch(() => undefined); // awaited below; an error while still writing must not be unhandled meanwhile
  let failed = false;
  parser.once("error", () => (failed = true));
  for (let i = 0; i < text.length && !failed;) {
    let end = Math.min(text.length, i + CSV_SLICE_CHARS);
    // Never split a surrogate pair: each slice is encoded to UTF-8 on its own.
    if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1])) end--;
    parser.write(text.slice(i, end));
    i = end;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (!failed) parser.end();
  await done;
  return records;
}

/**
 * Parse the CSV into import rows. Structural problems (no header, unknown columns, broken quoting)
 * are a 400; per-row field problems (too long) are collected as 422 row errors.
 */
export async function parseContactsCsv(text: string): Promise<{ rows: ImportRow[]; errors: ImportRowError[] }> {
  if (text.includes("\u0000"))
    throw new ApiError(400, "invalid_csv", "The CSV contains a NUL character (U+0000); save it as plain UTF-8 text.");
  let records: CsvRecord[];
  try {
    records = await readCsv(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    // csv-parse's message quotes the offending text; say where instead, never echoing the file.
    const line = (err as { lines?: unknown }).lines;
    throw new ApiError(
      400,
      "invalid_csv",
      `The CSV cannot be read${typeof line === "number" ? ` (line ${line})` : ""}: check its quoting and delimiters.`,
    );
  }
  if (records.length === 0)
    throw new ApiError(400, "invalid_csv", "The CSV is empty; expected the header email,name,client.");
  const header = records[0].record.map((h) => h.trim().toLowerCase());
  const unknown = header.filter((h) => !(COLUMNS as readonly string[]).includes(h));
  if (!header.includes("email") || unknown.length || new Set(header).size !== header.length) {
    throw new ApiError(
      400,
      "invalid_csv",
      "The first line must be the header email,name,client (name and client optional).",
    );
  }
  const data = records.slice(1);
  if (data.length === 0) throw new ApiError(400, "invalid_csv", "The CSV has a header but no contacts.");
  if (data.length > MAX_IMPORT_ROWS)
    throw new ApiError(400, "invalid_csv", `At most ${MAX_IMPORT_ROWS} contacts per import.`);
  const col = (name: string) => header.indexOf(name);
  const errors: ImportRowError[] = [];
  const rows: ImportRow[] = [];
  for (const { record, info } of data) {
    const row = info.lines;
    if (record.length > header.length) {
      errors.push({
        row,
        field: "row",
        message: `The row has ${record.length} values; the header has ${header.length}.`,
      });
      continue;
    }
    const get = (name: string) => (col(name) >= 0 ? (record[col(name)] ?? "").trim() : "");
    const name = get("name");
    const client = get("client");
    // Characters as the JSON API counts them (code points), so one name is valid or not on both paths.
    if ([...name].length > 200) errors.push({ row, field: "name", message: "The name is longer than 200 characters." });
    if ([...client].length > 200)
      errors.push({ row, field: "client", message: "The client name is longer than 200 characters." });
    else if (client && !isVisibleClientName(client))
      errors.push({ row, field: "client", message: "The client name has no visible characters." });
    rows.push({ row, email: get("email"), name: name || null, client: client || null });
  }
  return { rows, errors };
}
