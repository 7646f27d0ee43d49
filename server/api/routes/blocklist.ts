/** Blocklist CRUD: organization-wide entries (administrators change them) and personal ones (addresses or @domains). */
import { Hono } from "hono";
import type { BlockEntryCreated, BlockEntryView, Page, RemovalPreview } from "../../../shared/api/contract";
import { normalizeBlockEntry } from "../../../shared/capture";
import { ADMIN_APP_ROLE } from "../../../shared/api/roles";
import {
  blockEntryCreateSchema,
  blockEntryCreatedSchema,
  blockEntryViewSchema,
  blockPreviewQuery,
  removalPreviewSchema,
  emptyQuery,
  errorBodySchema,
  idParams,
  pageOf,
} from "../../../shared/api/schemas";
import { addBlockEntry, deleteBlockEntry, getBlockEntry, listBlockEntries } from "../../store/blocklist";
import { engagementsInvolving, planRemoval, type RemovalReach } from "../../store/engagements";
import { removeEngagements } from "../../store/capture-decisions";
import { ConflictError } from "../../store/errors";
import type { Db } from "../../db";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { DEFAULT_QUOTAS } from "../../config";
import { notFound } from "../errors";
import { JSON_ERRORS, STANDARD, createRoute, err, json, jsonRequest, mountApi, pathParam } from "../operations";
import { jsonBody, query } from "../request";
import { actorOf, assertPerson, requireOrganizationActor } from "../roles";

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
  summary: "Block an address or @domain (subdomains match), optionally deleting what was already captured",
  description:
    `A personal entry (the default) applies to the caller's mailbox; an organization entry to everyone's and needs the ${ADMIN_APP_ROLE} app role. ` +
    "removeCaptured: true also deletes, in the same transaction, the engagements already captured with a participant the entry blocks — " +
    "for a personal entry only those found in the caller's mailbox and in no other mailbox, for an organization entry every one in the " +
    "organization. Deletion is real: the engagement, its links and content go; each capture decision keeps only the message hash and " +
    "becomes an exclusion (reason blocked) recording when and why (GET /api/blocklist/preview counts first).",
  request: { body: jsonRequest(blockEntryCreateSchema) },
  responses: {
    "201": json(blockEntryCreatedSchema, "Created"),
    ...STANDARD,
    ...JSON_ERRORS,
    "403": err("Forbidden"),
    "409": json(
      errorBodySchema,
      "duplicate_block_entry; blocklist_quota_exceeded (BLOCKLIST_ENTRIES_PER_ORGANIZATION, both scopes together)",
    ),
  },
});
const preview = createRoute({
  method: "get",
  path: "/api/blocklist/preview",
  operationId: "previewBlockRemoval",
  tags,
  summary: "How many captured engagements adding this entry with removeCaptured would delete",
  description:
    `Changes nothing. An organization scope needs the ${ADMIN_APP_ROLE} app role (403 forbidden). An entry that is neither an address ` +
    "nor @domain → 400 invalid_entry.",
  request: { query: blockPreviewQuery },
  responses: { "200": json(removalPreviewSchema), ...STANDARD, "403": err("Forbidden") },
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

export const blocklistOperations = [list, add, preview, remove];

/** A personal entry reaches the caller's own mailbox; an organization entry (administrators) the whole organization. */
const reachOf = (scope: "organization" | "personal", userId: string): RemovalReach =>
  scope === "organization" ? { kind: "organization" } : { kind: "mailbox", userId };

function entryOrThrow(raw: string): string {
  const entry = normalizeBlockEntry(raw);
  if (!entry) throw new ConflictError("invalid_entry", "A blocklist entry must be an email address or @domain.");
  return entry;
}

async function previewRemoval(db: Db, orgId: string, entry: string, reach: RemovalReach): Promise<RemovalPreview> {
  const plan = await planRemoval(db, orgId, await engagementsInvolving(db, orgId, entry), reach);
  return { engagements: plan.remove.length, keptShared: plan.keptShared, keptOtherContact: 0, reach: reach.kind };
}

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
    if (body.scope === "organization") requireOrganizationActor(c, "Adding to the organization's blocklist");
    else assertPerson(c, "A personal blocklist entry");
    const [orgId, userId, now] = [c.get("orgId"), c.get("userId"), deps.clock.now()];
    const created: BlockEntryCreated = await deps.db.transaction().execute(async (trx) => {
      const view = await addBlockEntry(
        trx,
        orgId,
        { entry: body.entry, scope: body.scope, userId },
        now,
        (deps.config.quotas ?? DEFAULT_QUOTAS).blocklistEntriesPerOrganization,
      );
      if (!body.removeCaptured) return { ...view, removedEngagements: 0 };
      const plan = await planRemoval(
        trx,
        orgId,
        await engagementsInvolving(trx, orgId, view.entry),
        reachOf(body.scope, userId),
      );
      const removed = await removeEngagements(
        trx,
        orgId,
        plan.remove,
        { reason: "blocked", removal: "blocklist_entry" },
        now,
      );
      return { ...view, removedEngagements: removed };
    });
    if (created.removedEngagements > 0) {
      deps.logger.info(
        { organizationId: orgId, actor: actorOf(c), removed: created.removedEngagements, scope: body.scope },
        "captured engagements removed with a blocklist entry",
      );
    }
    return c.json(created, 201);
  });
  mountApi(app, preview, async (c) => {
    const q = query(c, blockPreviewQuery);
    if (q.scope === "organization")
      requireOrganizationActor(c, "Removing engagements for the organization's blocklist");
    else assertPerson(c, "A personal blocklist entry");
    return c.json(
      await previewRemoval(deps.db, c.get("orgId"), entryOrThrow(q.entry), reachOf(q.scope, c.get("userId"))),
    );
  });
  mountApi(app, remove, async (c) => {
    const [orgId, userId, id] = [c.get("orgId"), c.get("userId"), pathParam(c, "id")];
    const entry = await getBlockEntry(deps.db, orgId, userId, id);
    if (!entry) throw notFound("blocklist entry");
    if (entry.scope === "organization")
      requireOrganizationActor(c, "Removing an entry from the organization's blocklist");
    if (!(await deleteBlockEntry(deps.db, orgId, userId, id, deps.clock.now()))) throw notFound("blocklist entry");
    return c.body(null, 204);
  });
  return app;
}
