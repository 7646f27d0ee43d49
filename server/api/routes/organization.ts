/**
 * Administrators' settings of the organization: GET and PUT /api/organization/retention (how long engagements
 * are kept) and /api/organization/sharing (what teammates and applications see of engagements); POST
 * /api/organization/erasures (erase a person).
 */
import { Hono } from "hono";
import { ADMIN_APP_ROLE } from "../../../shared/api/roles";
import {
  erasureRequestSchema,
  erasureResultSchema,
  organizationSharingSchema,
  retentionSettingsSchema,
} from "../../../shared/api/schemas";
import { erasePerson } from "../../erasure/erase-person";
import { engagementRetentionDays, setEngagementRetentionDays } from "../../store/organizations";
import { setOrganizationSharing } from "../../store/organizations";
import { getOrganizationSharing } from "../../store/sharing";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { JSON_ERRORS, STANDARD, createRoute, err, json, jsonRequest, mountApi } from "../operations";
import { jsonBody } from "../request";
import { requireAdmin } from "../roles";

const ADMIN_ONLY = `Needs the ${ADMIN_APP_ROLE} app role (403 forbidden otherwise).`;

const read = createRoute({
  method: "get",
  path: "/api/organization/retention",
  operationId: "getRetention",
  tags: ["organization"],
  summary: "Administrators: how long the organization keeps engagements",
  description: ADMIN_ONLY,
  responses: { "200": json(retentionSettingsSchema), ...STANDARD, "403": err("Forbidden") },
});

const update = createRoute({
  method: "put",
  path: "/api/organization/retention",
  operationId: "setRetention",
  tags: ["organization"],
  summary: "Administrators: set how long the organization keeps engagements (null: forever)",
  description:
    `${ADMIN_ONLY} Pruning applies it off the request path, in small batches: engagements whose message is older are deleted ` +
    "like a removal. Never sooner than the sweep window plus a margin, so a deleted message is not captured again.",
  request: { body: jsonRequest(retentionSettingsSchema) },
  responses: { "200": json(retentionSettingsSchema), ...STANDARD, ...JSON_ERRORS, "403": err("Forbidden") },
});

const readSharing = createRoute({
  method: "get",
  path: "/api/organization/sharing",
  operationId: "getOrganizationSharing",
  tags: ["organization"],
  summary: "Administrators: what teammates and applications see of engagements",
  description: ADMIN_ONLY,
  responses: { "200": json(organizationSharingSchema), ...STANDARD, "403": err("Forbidden") },
});

const updateSharing = createRoute({
  method: "put",
  path: "/api/organization/sharing",
  operationId: "setOrganizationSharing",
  tags: ["organization"],
  summary: "Administrators: set the default sharing level, whether users may change theirs, and the integration level",
  description:
    `${ADMIN_ONLY} Applies to the next answer of every operation: mailboxes whose owner chose no level (and every mailbox ` +
    "when usersMayChange is false) share at defaultLevel; applications see integrationLevel.",
  request: { body: jsonRequest(organizationSharingSchema) },
  responses: { "200": json(organizationSharingSchema), ...STANDARD, ...JSON_ERRORS, "403": err("Forbidden") },
});

// Erasing a person. People only: an application token is refused (user_only, roles.ts APP_OPERATIONS), since
// an erasure is an administrator's decision about personal data, made and recorded in a person's name.
const erase = createRoute({
  method: "post",
  path: "/api/organization/erasures",
  operationId: "erasePerson",
  tags: ["organization"],
  summary: "Administrators: erase everything stored about an email address",
  description:
    `${ADMIN_ONLY} Deletes the contact, its links and blocklist entries for the address, and the engagements the scope ` +
    "names (a 'deleted' change in the feed each); rewrites every other stored mention of the address. Recorded with a " +
    "salted hash of the address, never the address. 422 erasure_of_member for a member's own address. Idempotent: " +
    "asking again finds nothing left (and records another erasure with zero counts).",
  request: { body: jsonRequest(erasureRequestSchema) },
  responses: {
    "200": json(erasureResultSchema),
    ...STANDARD,
    ...JSON_ERRORS,
    "403": err("Forbidden"),
    "422": err("A member's address"),
  },
});

export const organizationOperations = [read, update, readSharing, updateSharing, erase];

export function organizationRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mountApi(app, read, async (c) => {
    requireAdmin(c, "Seeing the organization's retention");
    return c.json({ engagementDays: await engagementRetentionDays(deps.db, c.get("orgId")) });
  });
  mountApi(app, update, async (c) => {
    requireAdmin(c, "Changing the organization's retention");
    const body = await jsonBody(c, retentionSettingsSchema);
    await setEngagementRetentionDays(deps.db, c.get("orgId"), body.engagementDays);
    return c.json({ engagementDays: body.engagementDays });
  });
  mountApi(app, readSharing, async (c) => {
    requireAdmin(c, "Seeing the organization's sharing settings");
    return c.json(await getOrganizationSharing(deps.db, c.get("orgId")));
  });
  mountApi(app, updateSharing, async (c) => {
    requireAdmin(c, "Changing the organization's sharing settings");
    const body = await jsonBody(c, organizationSharingSchema);
    await setOrganizationSharing(deps.db, c.get("orgId"), body);
    return c.json(await getOrganizationSharing(deps.db, c.get("orgId")));
  });
  mountErasure(app, deps);
  return app;
}

function mountErasure(app: Hono<AppEnv>, deps: AppDeps): void {
  mountApi(app, erase, async (c) => {
    requireAdmin(c, "Erasing a person");
    const body = await jsonBody(c, erasureRequestSchema);
    const now = deps.clock.now();
    const result = await erasePerson(deps.db, {
      organizationId: c.get("orgId"),
      address: body.address,
      scope: body.scope,
      erasedByUserId: c.get("userId"),
      now,
    });
    deps.logger.info({ organizationId: c.get("orgId"), userId: c.get("userId"), ...result.counts }, "person erased");
    return c.json({ id: result.id, scope: body.scope, erasedAt: now.toISOString(), counts: result.counts }, 200);
  });
}
