/**
 * Contacts: list (search, client filter, cursor pages), create, update, delete (soft), and CSV
 * import (all-or-nothing, per-row errors).
 */
import { Hono } from "hono";
import { parse } from "csv-parse/sync";
import type { ContactImportResponse } from "../../../shared/api/contract";
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
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { ApiError, notFound } from "../errors";
import { isVisibleClientName } from "../../../shared/clients/name-key";
import { jsonBody, query } from "../request";
import { contactCreateSchema, contactListQuery, contactUpdateSchema, emptyQuery } from "../schemas";

export const MAX_IMPORT_ROWS = 10_000;
const COLUMNS = ["email", "name", "client"] as const;

export function contactRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/contacts", async (c) => {
    const q = query(c, contactListQuery);
    return c.json(await listContacts(deps.db, c.get("orgId"), q));
  });

  app.post("/contacts", async (c) => {
    const body = await jsonBody(c, contactCreateSchema);
    const view = await createContact(deps.db, c.get("orgId"), body, deps.clock.now());
    return c.json(view, 201);
  });

  app.post("/contacts/import", async (c) => {
    query(c, emptyQuery);
    const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (!["text/csv", "application/csv", "text/plain"].includes(type)) {
      throw new ApiError(415, "unsupported_media_type", "Send the contacts as text/csv with the header email,name,client.");
    }
    const { rows, errors } = parseContactsCsv(await c.req.text());
    const result = await importContacts(deps.db, c.get("orgId"), rows, deps.clock.now(), errors);
    if (!result.ok) {
      throw new ApiError(422, "invalid_rows", `${result.errors.length} row(s) cannot be imported; nothing was stored.`, { errors: result.errors });
    }
    const body: ContactImportResponse = {
      created: result.created,
      revived: result.revived,
      clientsCreated: result.clientsCreated,
      contacts: result.contacts,
    };
    return c.json(body, 201);
  });

  app.get("/contacts/:id", async (c) => {
    const view = await getContactView(deps.db, c.get("orgId"), c.req.param("id"));
    if (!view) throw notFound("contact");
    return c.json(view);
  });

  app.patch("/contacts/:id", async (c) => {
    const body = await jsonBody(c, contactUpdateSchema);
    const view = await updateContact(deps.db, c.get("orgId"), c.req.param("id"), body, deps.clock.now());
    if (!view) throw notFound("contact");
    return c.json(view);
  });

  app.delete("/contacts/:id", async (c) => {
    if (!(await deleteContact(deps.db, c.get("orgId"), c.req.param("id"), deps.clock.now()))) throw notFound("contact");
    return c.body(null, 204);
  });

  return app;
}

/**
 * Parse the CSV into import rows. Structural problems (no header, unknown columns, broken quoting)
 * are a 400; per-row field problems (too long) are collected as 422 row errors.
 */
export function parseContactsCsv(text: string): { rows: ImportRow[]; errors: ImportRowError[] } {
  if (text.includes("\u0000")) throw new ApiError(400, "invalid_csv", "The CSV contains a NUL character (U+0000); save it as plain UTF-8 text.");
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text.replace(/^\uFEFF/, ""), {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: false,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    // csv-parse's message quotes the offending text; say where instead, never echoing the file.
    const line = (err as { lines?: unknown }).lines;
    throw new ApiError(400, "invalid_csv", `The CSV cannot be read${typeof line === "number" ? ` (line ${line})` : ""}: check its quoting and delimiters.`);
  }
  if (records.length === 0) throw new ApiError(400, "invalid_csv", "The CSV is empty; expected the header email,name,client.");
  const header = records[0].record.map((h) => h.trim().toLowerCase());
  const unknown = header.filter((h) => !(COLUMNS as readonly string[]).includes(h));
  if (!header.includes("email") || unknown.length || new Set(header).size !== header.length) {
    throw new ApiError(400, "invalid_csv", "The first line must be the header email,name,client (name and client optional).");
  }
  const data = records.slice(1);
  if (data.length === 0) throw new ApiError(400, "invalid_csv", "The CSV has a header but no contacts.");
  if (data.length > MAX_IMPORT_ROWS) throw new ApiError(400, "invalid_csv", `At most ${MAX_IMPORT_ROWS} contacts per import.`);
  const col = (name: string) => header.indexOf(name);
  const errors: ImportRowError[] = [];
  const rows: ImportRow[] = [];
  for (const { record, info } of data) {
    const row = info.lines;
    if (record.length > header.length) {
      errors.push({ row, field: "row", message: `The row has ${record.length} values; the header has ${header.length}.` });
      continue;
    }
    const get = (name: string) => (col(name) >= 0 ? (record[col(name)] ?? "").trim() : "");
    const name = get("name");
    const client = get("client");
    // Characters as the JSON API counts them (code points), so one name is valid or not on both paths.
    if ([...name].length > 200) errors.push({ row, field: "name", message: "The name is longer than 200 characters." });
    if ([...client].length > 200) errors.push({ row, field: "client", message: "The client name is longer than 200 characters." });
    else if (client && !isVisibleClientName(client)) errors.push({ row, field: "client", message: "The client name has no visible characters." });
    rows.push({ row, email: get("email"), name: name || null, client: client || null });
  }
  return { rows, errors };
}
