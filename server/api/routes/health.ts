/** GET /healthz — unauthenticated liveness + database check for load balancers and the demo. */
import { Hono } from "hono";
import { sql } from "kysely";
import type { AppDeps } from "../deps";
import type { AppEnv } from "../context";
import { errorResponse } from "../errors";

export function healthRoutes(deps: Pick<AppDeps, "db" | "logger">): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/healthz", async (c) => {
    try {
      await sql`select 1`.execute(deps.db);
      return c.json({ status: "ok", database: "ok" });
    } catch (err) {
      deps.logger.warn({ err: { message: (err as Error).message } }, "health check: database unavailable");
      return errorResponse(c, 503, "database_unavailable", "The database is not reachable.");
    }
  });
  return app;
}
