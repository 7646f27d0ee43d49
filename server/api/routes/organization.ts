/**
 * Administrators' settings of the organization: GET and PUT /api/organization/retention (how long engagements
 * are kept) and /api/organization/sharing (what teammates and applications see of engagements).
 */
import { Hono } from "hono";
import { ADMIN_APP_ROLE } from "../../../shared/api/roles";
import { organizationSharingSchema, retentionSettingsSchema } from "../../../shared/api/schemas";
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

export const organizationOperations = [read, update, readSharing, updateSharing];

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
  return app;
}
