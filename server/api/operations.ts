/**
 * Declaring an operation once: `createRoute` holds its method, path, zod request and response schemas
 * and words; the app mounts the handler from the same declaration (`mount`) and /api/openapi.json is
 * generated from the declarations (api-document.ts). Handlers validate with the declared schemas
 * through request.ts, which keeps the API's own error answers (415 before reading, invalid_json,
 * U+0000, details [{path, message}]).
 */
import type { Context, Env, Handler, Hono } from "hono";
import type { RouteConfig } from "@hono/zod-openapi";
import type { z } from "zod";

export { createRoute } from "@hono/zod-openapi";
export type Operation = RouteConfig;

type Responses = RouteConfig["responses"];

/** A reference to one of the shared error responses (components.responses in api-document.ts). */
export const err = (name: string) => ({ $ref: `#/components/responses/${name}` });

export const json = (schema: z.ZodType, description = "OK") => ({
  description,
  content: { "application/json": { schema } },
});

/** A response whose body is not JSON (an HTML page, a file). */
export const file = (type: string, description = "OK") => ({
  description,
  content: { [type]: { schema: { type: "string" as const } } },
});

export const jsonRequest = (schema: z.ZodType) => ({ required: true, content: { "application/json": { schema } } });

/**
 * What any signed-in call can answer besides its own results: a malformed request, no or a bad token,
 * the per-user rate limit, an unreachable database.
 */
export const STANDARD: Responses = {
  "400": err("BadRequest"),
  "401": err("Unauthorized"),
  "429": err("RateLimited"),
  "503": err("Unavailable"),
};
/** Operations with a JSON body also answer 413 (over the size limit) and 415 (not application/json). */
export const JSON_ERRORS: Responses = { "413": err("TooLarge"), "415": err("UnsupportedMediaType") };
/** Operations outside the API's token. */
export const PUBLIC = { security: [] as Record<string, string[]>[] };

/**
 * Mount a handler for a declared operation on a Hono app that is itself mounted at `base` ("/api" for
 * the authenticated routes): "{id}" in the declared path is Hono's ":id".
 */
export function mount<E extends Env>(app: Hono<E>, op: Operation, handler: Handler<E>, base = ""): void {
  if (!op.path.startsWith(base)) throw new Error(`${op.path} is not under ${base}`);
  const path = op.path.slice(base.length).replace(/\{(\w+)\}/g, ":$1");
  app.on(op.method.toUpperCase(), path, handler);
}

/** The same for the authenticated /api routes. */
export const mountApi = <E extends Env>(app: Hono<E>, op: Operation, handler: Handler<E>): void =>
  mount(app, op, handler, "/api");

/** A path parameter of a mounted operation (always present: the route matched it). */
export function pathParam(c: Context, name: string): string {
  const value = c.req.param(name);
  if (value === undefined) throw new Error(`no path parameter ${name}`);
  return value;
}
