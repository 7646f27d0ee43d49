/** Clients CRUD: /api/clients, /api/clients/{id}. */
import { Hono } from "hono";
import type { ClientView, Page } from "../../../shared/api/contract";
import {
  clientCreateSchema,
  clientUpdateSchema,
  clientViewSchema,
  emptyQuery,
  idParams,
  pageOf,
} from "../../../shared/api/schemas";
import { createClient, deleteClient, getClient, listClients, toClientView, updateClient } from "../../store/clients";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { notFound } from "../errors";
import { JSON_ERRORS, STANDARD, createRoute, err, json, jsonRequest, mountApi, pathParam } from "../operations";
import { jsonBody, query } from "../request";
import { DEFAULT_QUOTAS } from "../../config";

const tags = ["clients"];
const params = idParams("client");

const list = createRoute({
  method: "get",
  path: "/api/clients",
  operationId: "listClients",
  tags,
  summary: "All clients, by name, with live contact counts",
  request: { query: emptyQuery },
  responses: { "200": json(pageOf(clientViewSchema)), ...STANDARD },
});
const create = createRoute({
  method: "post",
  path: "/api/clients",
  operationId: "createClient",
  tags,
  summary: "Create a client",
  description:
    "Names are one per organization ignoring surrounding and repeated spaces, case (lower-cased in all of Unicode), compatibility " +
    'forms and invisible characters: "Acme" and " ACME " are one (409 duplicate_client), as the CSV import matches them. A name ' +
    "with nothing visible is 400 invalid_name.",
  request: { body: jsonRequest(clientCreateSchema) },
  responses: { "201": json(clientViewSchema, "Created"), ...STANDARD, ...JSON_ERRORS, "409": err("Conflict") },
});
const get = createRoute({
  method: "get",
  path: "/api/clients/{id}",
  operationId: "getClient",
  tags,
  summary: "One client",
  request: { params },
  responses: { "200": json(clientViewSchema), ...STANDARD, "404": err("NotFound") },
});
const update = createRoute({
  method: "patch",
  path: "/api/clients/{id}",
  operationId: "updateClient",
  tags,
  summary: "Rename a client",
  request: { params, body: jsonRequest(clientUpdateSchema) },
  responses: {
    "200": json(clientViewSchema),
    ...STANDARD,
    ...JSON_ERRORS,
    "404": err("NotFound"),
    "409": err("Conflict"),
  },
});
const remove = createRoute({
  method: "delete",
  path: "/api/clients/{id}",
  operationId: "deleteClient",
  tags,
  summary: "Delete a client; its contacts stay tracked, without a client",
  request: { params },
  responses: { "204": { description: "Deleted" }, ...STANDARD, "404": err("NotFound") },
});

export const clientOperations = [list, create, get, update, remove];

export function clientRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mountApi(app, list, async (c) => {
    query(c, emptyQuery);
    const body: Page<ClientView> = { items: await listClients(deps.db, c.get("orgId")), nextCursor: null };
    return c.json(body);
  });
  mountApi(app, create, async (c) => {
    const { name } = await jsonBody(c, clientCreateSchema);
    const row = await createClient(
      deps.db,
      c.get("orgId"),
      name,
      deps.clock.now(),
      (deps.config.quotas ?? DEFAULT_QUOTAS).clientsPerOrganization,
    );
    return c.json(toClientView(row, 0), 201);
  });
  mountApi(app, get, async (c) => {
    const row = await getClient(deps.db, c.get("orgId"), pathParam(c, "id"));
    if (!row) throw notFound("client");
    return c.json(toClientView(row));
  });
  mountApi(app, update, async (c) => {
    const { name } = await jsonBody(c, clientUpdateSchema);
    const row = await updateClient(deps.db, c.get("orgId"), pathParam(c, "id"), { name }, deps.clock.now());
    if (!row) throw notFound("client");
    return c.json(toClientView(row));
  });
  mountApi(app, remove, async (c) => {
    if (!(await deleteClient(deps.db, c.get("orgId"), pathParam(c, "id")))) throw notFound("client");
    return c.body(null, 204);
  });
  return app;
}
