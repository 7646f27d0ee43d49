/**
 * Webhook endpoints (Standard Webhooks): administrators, and applications with the write role, register
 * HTTPS endpoints for engagement events, see the secret once, rotate it with an overlap, read each
 * endpoint's delivery log, replay deliveries and enable an endpoint that was disabled for failing.
 */
import { Hono } from "hono";
import {
  errorBodySchema,
  idParams,
  pageOf,
  webhookDeliveriesQuery,
  webhookDeliverySchema,
  webhookEndpointCreateSchema,
  webhookEndpointCreatedSchema,
  webhookEndpointUpdateSchema,
  webhookEndpointViewSchema,
  webhookReplaySchema,
  webhookReplayedSchema,
  webhookRotateSchema,
  webhookRotatedSchema,
  emptyQuery,
  WEBHOOK_EVENT_TYPES,
  webhookPayloadSchema,
} from "../../../shared/api/schemas";
import { z } from "zod";
import { DEFAULT_WEBHOOKS } from "../../config";
import { createTokenCipher, resolveEncryptionKey } from "../../identity/token-crypto";
import { createWebhookAdmin, type WebhookAdmin } from "../../webhooks/endpoints";
import type { AppContext, AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { JSON_ERRORS, STANDARD, createRoute, err, json, jsonRequest, mountApi, pathParam } from "../operations";
import { jsonBody, query } from "../request";
import { actorOf, requireOrganizationActor } from "../roles";
import { ADMIN_APP_ROLE, APP_WRITE_ROLE } from "../../../shared/api/roles";

const tags = ["webhooks"];
const params = idParams("webhook endpoint");
const WHO = `Administrators (the ${ADMIN_APP_ROLE} app role) and applications with ${APP_WRITE_ROLE}; anyone else 403 forbidden.`;
const ADMIN_ONLY = { ...STANDARD, "403": err("Forbidden") };

const create = createRoute({
  method: "post",
  path: "/api/webhooks",
  operationId: "createWebhookEndpoint",
  tags,
  summary: "Register an endpoint; the answer holds its signing secret, shown only this once",
  description:
    `${WHO} The URL must be https:// at a public address (not private, loopback, link-local, CGNAT, multicast; checked again ` +
    "after DNS resolution at every send, and redirects are not followed) → 422 invalid_webhook_url. The endpoint receives the " +
    "changes from now on (the feed has the earlier ones). Deliveries follow Standard Webhooks: webhook-id, webhook-timestamp, " +
    "webhook-signature (v1,<base64 HMAC-SHA256 of id.timestamp.body>); the body is a WebhookPayload.",
  request: { body: jsonRequest(webhookEndpointCreateSchema) },
  responses: {
    "201": json(webhookEndpointCreatedSchema, "Created"),
    ...ADMIN_ONLY,
    ...JSON_ERRORS,
    "409": json(errorBodySchema, "webhook_quota_exceeded"),
    "422": json(errorBodySchema, "invalid_webhook_url"),
  },
});
const list = createRoute({
  method: "get",
  path: "/api/webhooks",
  operationId: "listWebhookEndpoints",
  tags,
  summary: "The organization's webhook endpoints (never their secrets)",
  description: WHO,
  request: { query: emptyQuery },
  responses: { "200": json(pageOf(webhookEndpointViewSchema)), ...ADMIN_ONLY },
});
const get = createRoute({
  method: "get",
  path: "/api/webhooks/{id}",
  operationId: "getWebhookEndpoint",
  tags,
  summary: "One endpoint: status, and why it was disabled",
  description: WHO,
  request: { params },
  responses: { "200": json(webhookEndpointViewSchema), ...ADMIN_ONLY, "404": err("NotFound") },
});
const update = createRoute({
  method: "patch",
  path: "/api/webhooks/{id}",
  operationId: "updateWebhookEndpoint",
  tags,
  summary: "Change an endpoint's URL, description or event types",
  description: WHO,
  request: { params, body: jsonRequest(webhookEndpointUpdateSchema) },
  responses: {
    "200": json(webhookEndpointViewSchema),
    ...ADMIN_ONLY,
    ...JSON_ERRORS,
    "404": err("NotFound"),
    "422": json(errorBodySchema, "invalid_webhook_url"),
  },
});
const remove = createRoute({
  method: "delete",
  path: "/api/webhooks/{id}",
  operationId: "deleteWebhookEndpoint",
  tags,
  summary: "Delete an endpoint and its delivery log",
  description: WHO,
  request: { params },
  responses: { "204": { description: "Deleted" }, ...ADMIN_ONLY, "404": err("NotFound") },
});
const rotate = createRoute({
  method: "post",
  path: "/api/webhooks/{id}/rotate-secret",
  operationId: "rotateWebhookSecret",
  tags,
  summary: "A new signing secret (shown once); the old one keeps signing beside it for overlapHours",
  description: `${WHO} During the overlap webhook-signature carries two signatures, space-separated; a receiver holding either secret verifies.`,
  request: { params, body: jsonRequest(webhookRotateSchema) },
  responses: { "200": json(webhookRotatedSchema), ...ADMIN_ONLY, ...JSON_ERRORS, "404": err("NotFound") },
});
const enable = createRoute({
  method: "post",
  path: "/api/webhooks/{id}/enable",
  operationId: "enableWebhookEndpoint",
  tags,
  summary: "Resume an endpoint disabled for failing: its pending deliveries are due now, missed changes follow",
  description: WHO,
  request: { params, query: emptyQuery },
  responses: { "200": json(webhookEndpointViewSchema), ...ADMIN_ONLY, "404": err("NotFound") },
});
const deliveries = createRoute({
  method: "get",
  path: "/api/webhooks/{id}/deliveries",
  operationId: "listWebhookDeliveries",
  tags,
  summary: "The endpoint's delivery log, newest change first: status, attempts, last error, next attempt",
  description: WHO,
  request: { params, query: webhookDeliveriesQuery },
  responses: { "200": json(pageOf(webhookDeliverySchema)), ...ADMIN_ONLY, "404": err("NotFound") },
});
const replay = createRoute({
  method: "post",
  path: "/api/webhooks/{id}/replay",
  operationId: "replayWebhookDeliveries",
  tags,
  summary: "Send one delivery again ({deliveryId}) or every one since a time ({since}), with the same webhook-id",
  description: `${WHO} Replayed deliveries start their attempts over.`,
  request: { params, body: jsonRequest(webhookReplaySchema) },
  responses: { "200": json(webhookReplayedSchema), ...ADMIN_ONLY, ...JSON_ERRORS, "404": err("NotFound") },
});

export const webhookOperations = [create, list, get, update, remove, rotate, enable, deliveries, replay];

const SIGNED_HEADERS = z.object({
  "webhook-id": z
    .string()
    .meta({ description: "The delivery's id: the same on every retry and replay; deduplicate by it." }),
  "webhook-timestamp": z.string().meta({ description: "Seconds since the epoch when this attempt was signed." }),
  "webhook-signature": z.string().meta({
    description:
      "v1,<base64 HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${body}` keyed with the secret after whsec_, base64-decoded>; " +
      "during a rotation two, space-separated (new and old secret).",
  }),
});

/** The pushes a registered endpoint receives: the OpenAPI 3.1 `webhooks` section (api-document.ts). */
export const webhookEvents = WEBHOOK_EVENT_TYPES.map((type) =>
  createRoute({
    method: "post",
    path: type,
    operationId: `webhook_${type.replace(".", "_")}`,
    tags,
    summary: `${type}: ${type.endsWith("deleted") ? "an engagement was deleted (engagement null)" : type.endsWith("created") ? "an engagement was captured" : "another mailbox or contact was linked"}`,
    request: { headers: SIGNED_HEADERS, body: jsonRequest(webhookPayloadSchema) },
    responses: {
      "2XX": {
        description:
          "Received. Anything else (3xx included, never followed) is retried with backoff for about 28 hours.",
      },
    },
  }),
);

/** The service the routes use: the one wired by the entry point, else one over the same key (tests). */
function adminOf(deps: AppDeps): () => WebhookAdmin {
  let own: WebhookAdmin | null = null;
  return () =>
    deps.webhooks ??
    (own ??= createWebhookAdmin({
      db: deps.db,
      clock: deps.clock,
      cipher: createTokenCipher(resolveEncryptionKey(deps.config, deps.logger)),
      allowHosts: deps.config.webhooks?.allowHosts ?? [],
      maxEndpoints: (deps.config.webhooks ?? DEFAULT_WEBHOOKS).maxEndpoints,
    }));
}

const guard = (c: AppContext) => requireOrganizationActor(c, "Managing webhooks");

export function webhookRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const admin = adminOf(deps);
  mountApi(app, create, async (c) => {
    guard(c);
    const body = await jsonBody(c, webhookEndpointCreateSchema);
    return c.json(await admin().create(c.get("orgId"), body, actorOf(c)), 201);
  });
  mountApi(app, list, async (c) => {
    guard(c);
    query(c, emptyQuery);
    return c.json({ items: await admin().list(c.get("orgId")), nextCursor: null });
  });
  mountApi(app, get, async (c) => {
    guard(c);
    return c.json(await admin().get(c.get("orgId"), pathParam(c, "id")));
  });
  mountApi(app, update, async (c) => {
    guard(c);
    const body = await jsonBody(c, webhookEndpointUpdateSchema);
    return c.json(await admin().update(c.get("orgId"), pathParam(c, "id"), body));
  });
  mountApi(app, remove, async (c) => {
    guard(c);
    await admin().remove(c.get("orgId"), pathParam(c, "id"));
    return c.body(null, 204);
  });
  mountApi(app, rotate, async (c) => {
    guard(c);
    const body = await jsonBody(c, webhookRotateSchema);
    return c.json(await admin().rotate(c.get("orgId"), pathParam(c, "id"), body.overlapHours));
  });
  mountApi(app, enable, async (c) => {
    guard(c);
    query(c, emptyQuery);
    return c.json(await admin().enable(c.get("orgId"), pathParam(c, "id")));
  });
  mountApi(app, deliveries, async (c) => {
    guard(c);
    const q = query(c, webhookDeliveriesQuery);
    return c.json(await admin().deliveries(c.get("orgId"), pathParam(c, "id"), q));
  });
  mountApi(app, replay, async (c) => {
    guard(c);
    const body = await jsonBody(c, webhookReplaySchema);
    return c.json({ replayed: await admin().replay(c.get("orgId"), pathParam(c, "id"), body) });
  });
  return app;
}
