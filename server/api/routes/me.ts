/** GET /api/me — who am I, my organization, my mailbox connection and its sweep times. */
import { Hono } from "hono";
import type { MeResponse } from "../../../shared/api/contract";
import { getConnection, toConnectionView } from "../../store/mailbox-connections";
import { getOrganization, internalDomainsOf } from "../../store/organizations";
import { getUser } from "../../store/users";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { ApiError } from "../errors";
import { isAdmin } from "../roles";
import { meResponseSchema } from "../../../shared/api/schemas";
import { STANDARD, createRoute, json, mountApi } from "../operations";

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

export const meOperations = [me];

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
  return app;
}
