/** POST /api/messages/status — the open message's capture status for the pane. */
import { Hono } from "hono";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { messageStatus } from "../message-status";
import { jsonBody } from "../request";
import { messageStatusSchema } from "../schemas";

export function messageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/messages/status", async (c) => {
    const body = await jsonBody(c, messageStatusSchema);
    return c.json(await messageStatus(deps, c.get("orgId"), c.get("userId"), body));
  });
  return app;
}
