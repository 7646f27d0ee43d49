/**
 * Engagements (read): GET /api/engagements (filters, cursor pages, newest first), GET /api/engagements/{id},
 * and the changes feed GET /api/engagements/changes (oldest first, resumable). Open to applications too
 * (server/api/roles.ts).
 */
import { Hono } from "hono";
import {
  engagementChangePageSchema,
  engagementChangesQuery,
  engagementListQuery,
  engagementViewSchema,
  idParams,
  pageOf,
} from "../../../shared/api/schemas";
import { listEngagementChanges } from "../../store/engagement-changes";
import { getEngagementView, listEngagements } from "../../store/engagements";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { notFound } from "../errors";
import { STANDARD, createRoute, err, json, mountApi, pathParam } from "../operations";
import { query } from "../request";
import { viewerOf } from "../viewer";

const tags = ["engagements"];

const list = createRoute({
  method: "get",
  path: "/api/engagements",
  operationId: "listEngagements",
  tags,
  summary:
    "Captured emails, newest first, with cursor pagination (a contact's or client's history with contactId or clientId)",
  description:
    "Each engagement is shown as the caller may see it (visibility): everything of the caller's own mailbox, else the most " +
    "generous sharing level among the mailboxes it was found in; applications see the organization's integration level.",
  request: { query: engagementListQuery },
  responses: { "200": json(pageOf(engagementViewSchema)), ...STANDARD },
});
const get = createRoute({
  method: "get",
  path: "/api/engagements/{id}",
  operationId: "getEngagement",
  tags,
  summary: "One engagement, with its body text",
  request: { params: idParams("engagement") },
  responses: { "200": json(engagementViewSchema), ...STANDARD, "404": err("NotFound") },
});

const changes = createRoute({
  method: "get",
  path: "/api/engagements/changes",
  operationId: "listEngagementChanges",
  tags,
  summary: "Every creation, update and deletion of the organization's engagements, oldest first, resumable",
  description:
    'The organization\'s changes feed. Without a cursor it starts at the beginning: a "created" change for every engagement that exists, ' +
    "then everything since. Changes are numbered without gaps in the order their transactions committed, so a consumer that stores the " +
    "last cursor it processed and resumes from it misses nothing; delivery is at least once (process a change idempotently by " +
    "engagementId and type). The cursor never expires while the change it names is kept.",
  request: { query: engagementChangesQuery },
  responses: { "200": json(engagementChangePageSchema), ...STANDARD },
});

export const engagementOperations = [list, changes, get];

export function engagementRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mountApi(app, list, async (c) => {
    const q = query(c, engagementListQuery);
    return c.json(await listEngagements(deps.db, c.get("orgId"), viewerOf(c), q));
  });
  mountApi(app, changes, async (c) => {
    const q = query(c, engagementChangesQuery);
    return c.json(await listEngagementChanges(deps.db, c.get("orgId"), viewerOf(c), q));
  });
  mountApi(app, get, async (c) => {
    const view = await getEngagementView(deps.db, c.get("orgId"), viewerOf(c), pathParam(c, "id"));
    if (!view) throw notFound("engagement");
    return c.json(view);
  });
  return app;
}
