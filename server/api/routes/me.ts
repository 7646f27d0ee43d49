/**
 * GET /api/me — who am I, my organization, my mailbox connection and its sweep times; GET and PUT
 * /api/me/sharing — what teammates see of the engagements captured from my mailbox.
 */
import { Hono } from "hono";
import type { MeResponse } from "../../../shared/api/contract";
import { getConnection, toConnectionView } from "../../store/mailbox-connections";
import { getOrganization, internalDomainsOf } from "../../store/organizations";
import { getUser } from "../../store/users";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { ApiError } from "../errors";
import { isAdmin } from "../roles";
import { meResponseSchema, mySharingSchema, mySharingUpdateSchema } from "../../../shared/api/schemas";
import { DomainError } from "../../domain-error";
import { getUserSharing } from "../../store/sharing";
import { setUserSharing } from "../../store/users";
import { JSON_ERRORS, STANDARD, createRoute, err, json, jsonRequest, mountApi } from "../operations";
import { jsonBody } from "../request";

const me = createRoute({
  method: "get",
  path: "/api/me",
  operationId: "getMe",
  tags: ["me"],
  summary: "The caller, their organization and mailbox connection",
  description:
    "The first authenticated call provisions the organization (tid) and the user (tid, oid). organization.internalDomains: " +
    "the organization's verified domains (read from Microsoft Graph at connect and daily), or the caller's own domain before any connection.",
  responses: { "200": json(meResponseSchema), ...STANDARD },
});

const readSharing = createRoute({
  method: "get",
  path: "/api/me/sharing",
  operationId: "getMySharing",
  tags: ["me"],
  summary: "What teammates see of the engagements captured from your mailbox",
  description:
    "You always see everything of your own engagements. Teammates see an engagement at the most generous level among the " +
    "mailboxes it was found in.",
  responses: { "200": json(mySharingSchema), ...STANDARD },
});

const updateSharing = createRoute({
  method: "put",
  path: "/api/me/sharing",
  operationId: "setMySharing",
  tags: ["me"],
  summary: "Choose what teammates see of the engagements captured from your mailbox",
  description:
    "Applies to the next answer teammates get, for every engagement already captured too. 403 sharing_locked when the " +
    "organization's administrators set every mailbox's level.",
  request: { body: jsonRequest(mySharingUpdateSchema) },
  responses: { "200": json(mySharingSchema), ...STANDARD, ...JSON_ERRORS, "403": err("Forbidden") },
});

export const meOperations = [me, readSharing, updateSharing];

export function meRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mountApi(app, me, async (c) => {
    const orgId = c.get("orgId");
    const userId = c.get("userId");
    const [user, org, connection] = await Promise.all([
      getUser(deps.db, orgId, userId),
      getOrganization(deps.db, orgId),
      getConnection(deps.db, orgId, userId),
    ]);
    if (!user || !org) throw new ApiError(500, "internal_error", "The caller's account could not be loaded.");
    const next = connection?.status === "active" ? await deps.sweeps.nextSweepAt(orgId, userId) : null;
    const internalDomains = await internalDomainsOf(deps.db, orgId, user.email);
    const body: MeResponse = {
      user: {
        id: user.id,
        email: user.email,
        displayName: user.displayName,
        addresses: user.addresses,
        isAdmin: isAdmin(c),
      },
      organization: { id: org.id, name: org.name, internalDomains },
      connection: toConnectionView(connection, next),
    };
    return c.json(body);
  });
  mountApi(app, readSharing, async (c) => c.json(await getUserSharing(deps.db, c.get("orgId"), c.get("userId"))));
  mountApi(app, updateSharing, async (c) => {
    const body = await jsonBody(c, mySharingUpdateSchema);
    const orgId = c.get("orgId");
    const userId = c.get("userId");
    const current = await getUserSharing(deps.db, orgId, userId);
    if (!current.usersMayChange) {
      throw new DomainError(
        "sharing_locked",
        "Your organization's administrators set what every mailbox shares; ask one of them to change it.",
      );
    }
    await setUserSharing(deps.db, orgId, userId, body.level);
    return c.json(await getUserSharing(deps.db, orgId, userId));
  });
  return app;
}
