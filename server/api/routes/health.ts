/** GET /healthz — unauthenticated liveness + database check for load balancers and the demo. */
import { Hono } from "hono";
import { sql } from "kysely";
import type { AppDeps } from "../deps";
import type { AppEnv } from "../context";
import { errorResponse } from "../errors";
import { z } from "zod";
import { errorBodySchema } from "../../../shared/api/schemas";
import { PUBLIC, createRoute, json, mount } from "../operations";

const health = createRoute({
  method: "get",
  path: "/healthz",
  ...PUBLIC,
  operationId: "health",
  tags: ["system"],
  summary: "Liveness and database check",
  responses: {
    "200": json(z.object({ status: z.literal("ok"), database: z.literal("ok") })),
    "503": json(errorBodySchema, "The database is not reachable (code database_unavailable)."),
  },
});

export const healthOperations = [health];

export function healthRoutes(deps: Pick<AppDeps, "db" | "logger">): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mount(app, health, async (c) => {
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
