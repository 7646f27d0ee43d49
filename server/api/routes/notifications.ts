/**
 * Graph change notifications (server/notifications):
 * - POST /api/notifications — change notifications; POST /api/notifications/lifecycle — lifecycle events.
 * Both answer Graph's validation handshake (`?validationToken=…` → 200 text/plain, the decoded token)
 * and otherwise acknowledge with 202 once the items are verified and queued; the captures run later.
 * Not behind the API's token, nor the pane's CORS: Graph authenticates each item by its clientState.
 *
 * They are public, so a flood must stay cheap and must not slow anyone else: the body is capped
 * (413), items are shape-checked and those whose clientState is not shaped like ours are dropped before
 * any lookup (receiver.ts), and a client address whose POSTs keep verifying nothing is answered 429
 * before its body is read (DEFAULT_REJECTED_NOTIFICATIONS_LIMIT). Verified traffic is never limited
 * here; one subscription's burst is bounded in the receiver, where its excess becomes a sweep.
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { errorResponse } from "../errors";
import { PUBLIC, createRoute, err, file, mount } from "../operations";
import { DEFAULT_REJECTED_NOTIFICATIONS_LIMIT, FailedAuthLimit } from "../security";
import {
  MAX_NOTIFICATION_BODY_BYTES,
  parseChangeNotifications,
  parseLifecycleNotifications,
  type Parsed,
} from "../../notifications/payload";
import type { NotificationReceiver } from "../../notifications/receiver";

/** Graph's tokens are a few hundred characters; anything far longer is not Graph. */
const MAX_VALIDATION_TOKEN = 4096;

const notificationQuery = z.object({ validationToken: z.string().optional() });
const notificationsBody = z.object({ value: z.array(z.looseObject({})).max(1000) });

const responses = {
  "200": file("text/plain", "The validation handshake: the decoded validationToken"),
  "202": { description: "Accepted: verified items are queued; items that fail verification are dropped" },
  "400": err("BadRequest"),
  "404": err("NotFound"),
  "413": err("TooLarge"),
  "429": err("RateLimited"),
};

const changesOp = createRoute({
  method: "post",
  path: "/api/notifications",
  ...PUBLIC,
  operationId: "receiveChangeNotifications",
  tags: ["notifications"],
  summary: "Microsoft Graph change notifications (messages created or updated)",
  description:
    "Called by Microsoft Graph, not by clients. Each item must carry its subscription's clientState; items that do not are " +
    "dropped without any work. 404 when notifications are off in this deployment.",
  request: {
    query: notificationQuery,
    body: { required: false, content: { "application/json": { schema: notificationsBody } } },
  },
  responses,
});

const lifecycleOp = createRoute({
  method: "post",
  path: "/api/notifications/lifecycle",
  ...PUBLIC,
  operationId: "receiveLifecycleNotifications",
  tags: ["notifications"],
  summary: "Microsoft Graph lifecycle notifications (reauthorizationRequired, subscriptionRemoved, missed)",
  description:
    "Called by Microsoft Graph, not by clients. reauthorizationRequired renews the subscription, subscriptionRemoved " +
    "creates a new one, missed sweeps the mailbox.",
  request: {
    query: notificationQuery,
    body: { required: false, content: { "application/json": { schema: notificationsBody } } },
  },
  responses,
});

export const notificationOperations = [changesOp, lifecycleOp];

/** How many items verified, or null when the body is not a notification batch at all. */
type Receive = (r: NotificationReceiver, body: unknown) => Promise<number | null>;

function handler(deps: Pick<AppDeps, "notifications">, rejected: FailedAuthLimit, receive: Receive) {
  return async (c: Context<AppEnv>) => {
    c.header("Cache-Control", "no-store");
    const token = c.req.query("validationToken");
    if (token !== undefined) {
      if (!deps.notifications || token.length === 0 || token.length > MAX_VALIDATION_TOKEN)
        return errorResponse(c, 400, "invalid_request", "Not a validation request this server answers.");
      return c.body(token, 200, { "Content-Type": "text/plain; charset=utf-8" });
    }
    if (!deps.notifications)
      return errorResponse(c, 404, "not_found", "Change notifications are off in this deployment.");
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      rejected.failed(c);
      return errorResponse(c, 400, "invalid_json", "The request body is not valid JSON.");
    }
    const verified = await receive(deps.notifications, body);
    if (!verified) rejected.failed(c);
    if (verified === null)
      return errorResponse(c, 400, "invalid_request", 'Expected {"value": [...]} with at most 1000 items.');
    return c.body(null, 202);
  };
}

const accepted = async <T>(parsed: Parsed<T> | null, go: (p: Parsed<T>) => Promise<number>) =>
  parsed ? go(parsed) : null;

export function notificationRoutes(deps: Pick<AppDeps, "notifications" | "rateLimit">): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const rejected = new FailedAuthLimit(deps.rateLimit?.rejectedNotifications ?? DEFAULT_REJECTED_NOTIFICATIONS_LIMIT);
  const limit = bodyLimit({
    maxSize: MAX_NOTIFICATION_BODY_BYTES,
    onError: (c) => errorResponse(c, 413, "payload_too_large", "The request body is too large."),
  });
  // Before the body limit: a blocked address's body is never read.
  const guard: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (c.req.method === "POST" && c.req.query("validationToken") === undefined && rejected.blocked(c))
      return rejected.refuse(c);
    await next();
  };
  for (const path of ["/api/notifications", "/api/notifications/lifecycle"]) app.use(path, guard, limit);
  mount(
    app,
    changesOp,
    handler(deps, rejected, (r, body) =>
      accepted(parseChangeNotifications(body), (p) => r.receiveChanges(p.items, p.malformed)),
    ),
  );
  mount(
    app,
    lifecycleOp,
    handler(deps, rejected, (r, body) =>
      accepted(parseLifecycleNotifications(body), (p) => r.receiveLifecycle(p.items, p.malformed)),
    ),
  );
  return app;
}
