/** Blocklist CRUD: organization-wide entries (administrators change them) and personal ones (addresses or @domains). */
import { Hono } from "hono";
import type { BlockEntryView, Page } from "../../../shared/api/contract";
import { ADMIN_APP_ROLE } from "../../../shared/api/roles";
import {
  blockEntryCreateSchema,
  blockEntryViewSchema,
  emptyQuery,
  errorBodySchema,
  idParams,
  pageOf,
} from "../../../shared/api/schemas";
import { addBlockEntry, deleteBlockEntry, getBlockEntry, listBlockEntries } from "../../store/blocklist";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { DEFAULT_QUOTAS } from "../../config";
import { notFound } from "../errors";
import { JSON_ERRORS, STANDARD, createRoute, err, json, jsonRequest, mountApi, pathParam } from "../operations";
import { jsonBody, query } from "../request";
import { requireAdmin } from "../roles";

const tags = ["blocklist"];

const list = createRoute({
  method: "get",
  path: "/api/blocklist",
  operationId: "listBlocklist",
  tags,
  summary: "Organization-wide entries and the caller's personal ones",
  request: { query: emptyQuery },
  responses: { "200": json(pageOf(blockEntryViewSchema)), ...STANDARD },
});
const add = createRoute({
  method: "post",
  path: "/api/blocklist",
  operationId: "addBlockEntry",
  tags,
  summary: "Block an address or @domain (subdomains match)",
  description: `A personal entry (the default) applies to the caller's mailbox; an organization entry to everyone's and needs the ${ADMIN_APP_ROLE} app role.`,
  request: { body: jsonRequest(blockEntryCreateSchema) },
  responses: {
    "201": json(blockEntryViewSchema, "Created"),
    ...STANDARD,
    ...JSON_ERRORS,
    "403": err("Forbidden"),
    "409": json(
      errorBodySchema,
      "duplicate_block_entry; blocklist_quota_exceeded (BLOCKLIST_ENTRIES_PER_ORGANIZATION, both scopes together)",
    ),
  },
});
const remove = createRoute({
  method: "delete",
  path: "/api/blocklist/{id}",
  operationId: "deleteBlockEntry",
  tags,
  summary: "Remove one of the caller's personal entries, or (administrators) an organization entry",
  description: `Removing an organization entry needs the ${ADMIN_APP_ROLE} app role (403 forbidden otherwise). Another user's personal entry answers 404.`,
  request: { params: idParams("blocklist entry") },
  responses: { "204": { description: "Deleted" }, ...STANDARD, "403": err("Forbidden"), "404": err("NotFound") },
});

export const blocklistOperations = [list, add, remove];

export function blocklistRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mountApi(app, list, async (c) => {
    query(c, emptyQuery);
    const body: Page<BlockEntryView> = {
      items: await listBlockEntries(deps.db, c.get("orgId"), c.get("userId")),
      nextCursor: null,
    };
    return c.json(body);
  });
  mountApi(app, add, async (c) => {
    const body = await jsonBody(c, blockEntryCreateSchema);
    // The organization's list applies to every mailbox; a personal entry only to the caller's.
    if (body.scope === "organization") requireAdmin(c, "Adding to the organization's blocklist");
    const view = await addBlockEntry(
      deps.db,
      c.get("orgId"),
      { entry: body.entry, scope: body.scope, userId: c.get("userId") },
      deps.clock.now(),
      (deps.config.quotas ?? DEFAULT_QUOTAS).blocklistEntriesPerOrganization,
    );
    return c.json(view, 201);
  });
  mountApi(app, remove, async (c) => {
    const [orgId, userId, id] = [c.get("orgId"), c.get("userId"), pathParam(c, "id")];
    const entry = await getBlockEntry(deps.db, orgId, userId, id);
    if (!entry) throw notFound("blocklist entry");
    if (entry.scope === "organization") requireAdmin(c, "Removing an entry from the organization's blocklist");
    if (!(await deleteBlockEntry(deps.db, orgId, userId, id, deps.clock.now()))) throw notFound("blocklist entry");
    return c.body(null, 204);
  });
  return app;
}
