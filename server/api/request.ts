/** Reading and validating requests: JSON bodies and query strings through zod schemas. */
import type { Context, MiddlewareHandler } from "hono";
import type { z } from "zod";
import { ApiError } from "./errors";

/**
 * Parse a JSON body and validate it. Malformed JSON → 400 invalid_json; a body that is not JSON
 * by its Content-Type → 415; schema failures → 400 invalid_request (via the central handler).
 */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const type = c.req.header("content-type");
  if (type && !/^application\/([a-z0-9.+-]*\+)?json\b/i.test(type.trim())) {
    throw new ApiError(415, "unsupported_media_type", "Send the body as application/json.");
  }
  const raw = await c.req.text();
  let value: unknown;
  try {
    value = raw.trim() === "" ? undefined : JSON.parse(raw);
  } catch {
    throw new ApiError(400, "invalid_json", "The request body is not valid JSON.");
  }
  if (value === undefined)
    throw new ApiError(400, "invalid_json", "The request body is empty; a JSON object is expected.");
  // One walk for both: nesting deeper than MAX_JSON_DEPTH (400, whatever the body says) and U+0000.
  if (containsNul(value)) throw nulError();
  return schema.parse(value);
}

export function query<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return schema.parse(c.req.query());
}

/**
 * U+0000 is refused wherever a client sends text (body, path, query): PostgreSQL text cannot hold it,
 * so it would be a 500 there and stored as is on SQLite. One clear 400 on both.
 */
export const nulError = (): ApiError =>
  new ApiError(400, "invalid_request", "Text must not contain the NUL character (U+0000).");

/**
 * How deep a request's JSON may nest. No request of this API nests beyond a few levels; JSON.parse
 * itself takes any depth, so the scans below must not recurse per level (100,000 levels of `[` would
 * overflow the stack and answer 500).
 */
export const MAX_JSON_DEPTH = 64;

export const tooDeepError = (): ApiError =>
  new ApiError(400, "invalid_request", `The request body nests deeper than ${MAX_JSON_DEPTH} levels.`);

/** True when any string or key holds U+0000. Iterative; throws tooDeepError beyond MAX_JSON_DEPTH. */
export function containsNul(root: unknown): boolean {
  const stack: { v: unknown; depth: number }[] = [{ v: root, depth: 0 }];
  while (stack.length) {
    const { v, depth } = stack.pop()!;
    if (typeof v === "string") {
      if (v.includes("\u0000")) return true;
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (depth >= MAX_JSON_DEPTH) throw tooDeepError();
    if (Array.isArray(v)) {
      for (const x of v) stack.push({ v: x, depth: depth + 1 });
      continue;
    }
    for (const [k, x] of Object.entries(v)) {
      if (k.includes("\u0000")) return true;
      stack.push({ v: x, depth: depth + 1 });
    }
  }
  return false;
}

/** Middleware: a NUL in the path or the query string (only ever sent percent-encoded) is a 400. */
export const refuseNulInUrl: MiddlewareHandler = async (c, next) => {
  if (/%00/i.test(c.req.url)) throw nulError();
  await next();
};
