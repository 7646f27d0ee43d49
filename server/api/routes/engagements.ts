/** Engagements (read): GET /api/engagements (filters, cursor pages, newest first), GET /api/engagements/:id. */
import { Hono } from "hono";
import { getEngagementView, listEngagements } from "../../store/engagements";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { notFound } from "../errors";
import { query } from "../request";
import { engagementListQuery } from "../schemas";

export function engagementRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/engagements", async (c) => {
    const q = query(c, engagementListQuery);
    return c.json(await listEngagements(deps.db, c.get("orgId"), q));
  });
  app.get("/engagements/:id", async (c) => {
    const view = await getEngagementView(deps.db, c.get("orgId"), c.req.param("id"));
    if (!view) throw notFound("engagement");
    return c.json(view);
  });
  return app;
}
