/** Clients CRUD: /api/clients, /api/clients/:id. */
import { Hono } from "hono";
import type { ClientView, Page } from "../../../shared/api/contract";
import { createClient, deleteClient, getClient, listClients, toClientView, updateClient } from "../../store/clients";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { notFound } from "../errors";
import { jsonBody, query } from "../request";
import { clientCreateSchema, clientUpdateSchema, emptyQuery } from "../schemas";

export function clientRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/clients", async (c) => {
    query(c, emptyQuery);
    const body: Page<ClientView> = { items: await listClients(deps.db, c.get("orgId")), nextCursor: null };
    return c.json(body);
  });
  app.post("/clients", async (c) => {
    const { name } = await jsonBody(c, clientCreateSchema);
    const row = await createClient(deps.db, c.get("orgId"), name, deps.clock.now());
    return c.json(toClientView(row, 0), 201);
  });
  app.get("/clients/:id", async (c) => {
    const row = await getClient(deps.db, c.get("orgId"), c.req.param("id"));
    if (!row) throw notFound("client");
    return c.json(toClientView(row));
  });
  app.patch("/clients/:id", async (c) => {
    const { name } = await jsonBody(c, clientUpdateSchema);
    const row = await updateClient(deps.db, c.get("orgId"), c.req.param("id"), { name }, deps.clock.now());
    if (!row) throw notFound("client");
    return c.json(toClientView(row));
  });
  app.delete("/clients/:id", async (c) => {
    if (!(await deleteClient(deps.db, c.get("orgId"), c.req.param("id")))) throw notFound("client");
    return c.body(null, 204);
  });
  return app;
}
