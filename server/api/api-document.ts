/**
 * The OpenAPI 3.1 description of the HTTP API, served unauthenticated at /api/openapi.json, generated
 * from the operations the route modules declare (operations.ts). The description is also the list of
 * routes the 405 answer and the fuzz suite work from.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { ADMIN_APP_ROLE } from "../../shared/api/roles";
import { MAX_CSV_BODY, MAX_JSON_BODY } from "../../shared/api/schemas";
import { PUBLIC, createRoute, json, type Operation } from "./operations";
import { addinOperations } from "./routes/addin";
import { blocklistOperations } from "./routes/blocklist";
import { clientOperations } from "./routes/clients";
import { connectionOperations } from "./routes/connection";
import { contactOperations } from "./routes/contacts";
import { engagementOperations } from "./routes/engagements";
import { healthOperations } from "./routes/health";
import { mailOperations } from "./routes/mail";
import { mailboxHealthOperations } from "./routes/mailbox-health";
import { organizationOperations } from "./routes/organization";
import { meOperations } from "./routes/me";
import { messageOperations } from "./routes/messages";
import { notificationOperations } from "./routes/notifications";
import { sweepOperations } from "./routes/sweeps";
import { webhookEvents, webhookOperations } from "./routes/webhooks";
import { APP_OPERATIONS, APP_ROLES_FOR } from "./roles";
import { DEFAULT_RATE_LIMIT } from "./security";

export const openApiOperation = createRoute({
  method: "get",
  path: "/api/openapi.json",
  ...PUBLIC,
  operationId: "openapi",
  tags: ["system"],
  summary: "This OpenAPI description",
  responses: { "200": json(z.looseObject({})) },
});

/** Every operation of the product, in the order the description lists them. */
export const OPERATIONS: Operation[] = [
  ...addinOperations,
  ...healthOperations,
  openApiOperation,
  ...meOperations,
  ...clientOperations,
  ...contactOperations,
  ...engagementOperations,
  ...messageOperations,
  ...sweepOperations,
  ...blocklistOperations,
  ...connectionOperations,
  ...mailboxHealthOperations,
  ...organizationOperations,
  ...mailOperations,
  ...webhookOperations,
  ...notificationOperations,
];

const INFO = {
  title: "Engagement Capture API",
  version: "0.1.0",
  description:
    "The backend of the Engagement Capture Outlook add-in: clients, contacts, captured engagements, the open message's capture status, " +
    "the blocklist, the mailbox connection and sweeps. Every /api route except this document needs an Entra v2 access token for the " +
    "API's own scope (api://<client-id>/access_as_user), or, on the operations whose security lists `application`, an application's own " +
    "token (client credentials) with one of the listed app roles (any other operation answers an application 403 user_only); every query is scoped to the token's organization (tid). " +
    `Errors always have the body {"error":{"code","message","details"?}}. JSON bodies are limited to ${MAX_JSON_BODY / 1024} KB ` +
    `(the CSV import to ${MAX_CSV_BODY / 1024 / 1024} MB); unknown fields are rejected. A signed-in call to an /api path below with a method ` +
    "it does not list answers 405 method_not_allowed with an Allow header (HEAD is allowed wherever GET is).",
};

const TAGS = [
  { name: "system", description: "Health and this description." },
  { name: "me", description: "The signed-in user." },
  { name: "clients", description: "The organization's customer accounts." },
  { name: "contacts", description: "Tracked people; mail with them is captured." },
  { name: "engagements", description: "Captured emails." },
  { name: "messages", description: "The open message in Outlook." },
  { name: "blocklist", description: "Addresses and domains never captured." },
  { name: "connection", description: "The delegated Microsoft 365 mailbox grant, and (administrators) every user's." },
  { name: "sweeps", description: "Passes over the mailbox." },
  { name: "mail", description: "Sending mail as the user." },
  { name: "organization", description: "The organization's settings (administrators): retention." },
  { name: "webhooks", description: "Signed pushes of engagement changes (Standard Webhooks) to a CRM's endpoint." },
  { name: "addin", description: "The Outlook task pane's files, manifest and configuration." },
];

const ERROR_REF = { $ref: "#/components/schemas/Error" };
const errorResponse = (
  description: string,
  headers?: Record<string, { schema: { type: "integer" | "string" }; description: string }>,
) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { "application/json": { schema: ERROR_REF } },
});

/** The error answers operations share by reference ("#/components/responses/…"). */
const SHARED_RESPONSES = {
  BadRequest: errorResponse(
    "invalid_json, invalid_request (details: [{path, message}]), invalid_cursor; invalid_email (contacts), invalid_entry (blocklist), " +
      "invalid_csv (contact import)",
  ),
  Unauthorized: errorResponse(
    "unauthorized (no access token was sent) or invalid_token (it was refused; the message says which rule)",
    {
      "WWW-Authenticate": {
        schema: { type: "string" },
        description:
          'Bearer realm="engagement-capture" without a token; with a refused one Bearer realm="engagement-capture", error="invalid_token", error_description="…"',
      },
    },
  ),
  NotFound: errorResponse("Not found (or another organization's)"),
  Forbidden: errorResponse(
    `forbidden: the caller lacks the role this needs (a person: the ${ADMIN_APP_ROLE} app role; an application: an app role the ` +
      "operation's `application` security lists); user_only: an application's token on an operation only people may call",
  ),
  Conflict: errorResponse("Conflict"),
  TooLarge: errorResponse("payload_too_large"),
  UnsupportedMediaType: errorResponse("unsupported_media_type"),
  RateLimited: errorResponse(
    `rate_limited: more than ${DEFAULT_RATE_LIMIT.perSecond} requests/s (bursts of ${DEFAULT_RATE_LIMIT.burst}) by this user; details.retryAfterSeconds`,
    { "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait." } },
  ),
  Unavailable: errorResponse("database_unavailable: the database is not reachable right now", {
    "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait (5)." },
  }),
};

function generate() {
  const generator = new OpenAPIHono();
  const registry = generator.openAPIRegistry;
  registry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "Entra v2 access token for api://<client-id>/access_as_user.",
  });
  registry.registerComponent("securitySchemes", "application", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "An application's own Entra v2 token (client credentials, no user: idtyp app, roles). Accepted only by the operations that list " +
      "this scheme, with one of the app roles listed; any other operation answers 403 user_only, a missing role 403 forbidden.",
  });
  for (const [name, response] of Object.entries(SHARED_RESPONSES))
    registry.registerComponent("responses", name, response);
  for (const op of OPERATIONS) registry.registerPath(withAppSecurity(op));
  for (const event of webhookEvents) registry.registerWebhook(event);
  return generator.getOpenAPI31Document({
    openapi: "3.1.0",
    info: INFO,
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    tags: TAGS,
  });
}

/** Operations open to applications accept either token; the application's needs one of the listed roles. */
function withAppSecurity(op: Operation): Operation {
  const access =
    op.operationId && Object.hasOwn(APP_OPERATIONS, op.operationId) ? APP_OPERATIONS[op.operationId] : null;
  if (!access) return op;
  return {
    ...op,
    security: [{ bearer: [] }, { application: [...APP_ROLES_FOR[access]] }],
    responses: { ...op.responses, "403": op.responses["403"] ?? { $ref: "#/components/responses/Forbidden" } },
  };
}

type Generated = ReturnType<typeof generate>;
type Components = NonNullable<Generated["components"]>;
/** The generated document, with the parts this one always has. */
export type OpenApiDocument = Generated & {
  paths: NonNullable<Generated["paths"]>;
  components: Components & {
    schemas: NonNullable<Components["schemas"]>;
    responses: NonNullable<Components["responses"]>;
  };
};

function complete(doc: Generated): OpenApiDocument {
  const { paths, components } = doc;
  if (!paths || !components?.schemas?.Error || !components.responses)
    throw new Error("the generated OpenAPI description lacks paths or components");
  return { ...doc, paths, components: { ...components, schemas: components.schemas, responses: components.responses } };
}

/** Built once: the operations are module constants. */
export const openApiDocument: OpenApiDocument = complete(generate());
