/** GET /api/connections — every user's mailbox connection health, for administrators. */
import { Hono } from "hono";
import type { MailboxHealthPage } from "../../../shared/api/contract";
import { countMailboxHealth, listMailboxHealth } from "../../store/mailbox-health";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { query } from "../request";
import { requireAdmin } from "../roles";
import { mailboxHealthQuery } from "../schemas";

export function mailboxHealthRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/connections", async (c) => {
    requireAdmin(c, "Seeing everyone's mailbox connections");
    const q = query(c, mailboxHealthQuery);
    const orgId = c.get("orgId");
    const [page, counts] = await Promise.all([listMailboxHealth(deps.db, orgId, q), countMailboxHealth(deps.db, orgId)]);
    const items = await Promise.all(
      page.items.map(async (view) => {
        // When sweeps run in this process, its scheduler knows the next slot better than the stored column.
        const { status, lastSweepAt } = view.connection;
        if (!deps.sweeps || status !== "active") return view;
        const next = await deps.sweeps.nextSweepAt(orgId, view.user.id, { status, lastSweepAt });
        return { ...view, connection: { ...view.connection, nextSweepAt: next && next.toISOString() } };
      }),
    );
    const body: MailboxHealthPage = { items, nextCursor: page.nextCursor, counts };
    return c.json(body);
  });
  return app;
}
