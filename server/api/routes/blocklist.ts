/** Blocklist CRUD: organization-wide entries (administrators change them) and personal ones (addresses or @domains). */
import { Hono } from "hono";
import type { BlockEntryView, Page } from "../../../shared/api/contract";
import { addBlockEntry, deleteBlockEntry, getBlockEntry, listBlockEntries } from "../../store/blocklist";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { notFound } from "../errors";
import { jsonBody, query } from "../request";
import { requireAdmin } from "../roles";
import { blockEntryCreateSchema, emptyQuery } from "../schemas";

export function blocklistRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/blocklist", async (c) => {
    query(c, emptyQuery);
    const body: Page<BlockEntryView> = { items: await listBlockEntries(deps.db, c.get("orgId"), c.get("userId")), nextCursor: null };
    return c.json(body);
  });
  app.post("/blocklist", async (c) => {
    const body = await jsonBody(c, blockEntryCreateSchema);
    // The organization's list applies to every mailbox; a personal entry only to the caller's.
    if (body.scope === "organization") requireAdmin(c, "Adding to the organization's blocklist");
    const view = await addBlockEntry(deps.db, c.get("orgId"), { entry: body.entry, scope: body.scope, userId: c.get("userId") }, deps.clock.now());
    return c.json(view, 201);
  });
  app.delete("/blocklist/:id", async (c) => {
    const [orgId, userId, id] = [c.get("orgId"), c.get("userId"), c.req.param("id")];
    const entry = await getBlockEntry(deps.db, orgId, userId, id);
    if (!entry) throw notFound("blocklist entry");
    if (entry.scope === "organization") requireAdmin(c, "Removing an entry from the organization's blocklist");
    if (!(await deleteBlockEntry(deps.db, orgId, userId, id, deps.clock.now()))) throw notFound("blocklist entry");
    return c.body(null, 204);
  });
  return app;
}
