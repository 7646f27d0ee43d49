/** POST /api/messages/status — the open message's capture status for the pane. */
import { Hono } from "hono";
import { messageStatusResponseSchema, messageStatusSchema } from "../../../shared/api/schemas";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { messageStatus } from "../message-status";
import { JSON_ERRORS, STANDARD, createRoute, json, jsonRequest, mountApi } from "../operations";
import { jsonBody } from "../request";

const status = createRoute({
  method: "post",
  path: "/api/messages/status",
  operationId: "messageStatus",
  tags: ["messages"],
  summary: "Capture status of the open message",
  description:
    "The stored capture decision for this user's mailbox (by SHA-256 of the internetMessageId), or a prediction by the shared " +
    "capture rules with the time of the next sweep. An exclusion the user has since undone (tracked the contact, removed the " +
    "block) while the message is still inside the sweep window is answered as a prediction.",
  request: { body: jsonRequest(messageStatusSchema) },
  responses: { "200": json(messageStatusResponseSchema), ...STANDARD, ...JSON_ERRORS },
});

export const messageOperations = [status];

export function messageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mountApi(app, status, async (c) => {
    const body = await jsonBody(c, messageStatusSchema);
    return c.json(await messageStatus(deps, c.get("orgId"), c.get("userId"), body));
  });
  return app;
}
