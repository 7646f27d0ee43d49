/** GET /api/connections — every user's mailbox connection health, for administrators. */
import { Hono } from "hono";
import type { MailboxHealthPage } from "../../../shared/api/contract";
import { ADMIN_APP_ROLE } from "../../../shared/api/roles";
import { mailboxHealthPageSchema, mailboxHealthQuery } from "../../../shared/api/schemas";
import { countMailboxHealth, listMailboxHealth } from "../../store/mailbox-health";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { STANDARD, createRoute, err, json, mountApi } from "../operations";
import { query } from "../request";
import { requireAdmin } from "../roles";

const list = createRoute({
  method: "get",
  path: "/api/connections",
  operationId: "listMailboxHealth",
  tags: ["connection"],
  summary: "Administrators: every user's mailbox connection health, by email, with cursor pagination",
  description:
    `Needs the ${ADMIN_APP_ROLE} app role (403 forbidden otherwise). Lists the organization's users — those who have called the API ` +
    "at least once — with their connection's status, last sweep, last success and last error; `counts` covers the whole organization " +
    "whatever the filter and page.",
  request: { query: mailboxHealthQuery },
  responses: { "200": json(mailboxHealthPageSchema), ...STANDARD, "403": err("Forbidden") },
});

export const mailboxHealthOperations = [list];

export function mailboxHealthRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mountApi(app, list, async (c) => {
    requireAdmin(c, "Seeing everyone's mailbox connections");
    const q = query(c, mailboxHealthQuery);
    const orgId = c.get("orgId");
    const [page, counts] = await Promise.all([
      listMailboxHealth(deps.db, orgId, q),
      countMailboxHealth(deps.db, orgId),
    ]);
    const items = await Promise.all(
      page.items.map(async (view) => {
        // The sweep service's scheduler knows the next slot better than the stored column.
        const { status, lastSweepAt } = view.connection;
        if (status !== "active") return view;
        const next = await deps.sweeps.nextSweepAt(orgId, view.user.id, { status, lastSweepAt });
        return { ...view, connection: { ...view.connection, nextSweepAt: next && next.toISOString() } };
      }),
    );
    const body: MailboxHealthPage = { items, nextCursor: page.nextCursor, counts };
    return c.json(body);
  });
  return app;
}
