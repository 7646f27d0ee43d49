/** Engagements (read): GET /api/engagements (filters, cursor pages, newest first), GET /api/engagements/{id}. */
import { Hono } from "hono";
import { engagementListQuery, engagementViewSchema, idParams, pageOf } from "../../../shared/api/schemas";
import { getEngagementView, listEngagements } from "../../store/engagements";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { notFound } from "../errors";
import { STANDARD, createRoute, err, json, mountApi, pathParam } from "../operations";
import { query } from "../request";

const tags = ["engagements"];

const list = createRoute({
  method: "get",
  path: "/api/engagements",
  operationId: "listEngagements",
  tags,
  summary: "Captured emails, newest first, with cursor pagination",
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

export const engagementOperations = [list, get];

export function engagementRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mountApi(app, list, async (c) => {
    const q = query(c, engagementListQuery);
    return c.json(await listEngagements(deps.db, c.get("orgId"), q));
  });
  mountApi(app, get, async (c) => {
    const view = await getEngagementView(deps.db, c.get("orgId"), pathParam(c, "id"));
    if (!view) throw notFound("engagement");
    return c.json(view);
  });
  return app;
}
