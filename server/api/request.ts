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
  // JSON can carry U+0000 only as the escape \u0000: look closer only when that text is there.
  if (raw.includes("\\u0000") && containsNul(value)) throw nulError();
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

export function containsNul(v: unknown): boolean {
  if (typeof v === "string") return v.includes("\u0000");
  if (Array.isArray(v)) return v.some(containsNul);
  if (v !== null && typeof v === "object")
    return Object.entries(v).some(([k, x]) => k.includes("\u0000") || containsNul(x));
  return false;
}

/** Middleware: a NUL in the path or the query string (only ever sent percent-encoded) is a 400. */
export const refuseNulInUrl: MiddlewareHandler = async (c, next) => {
  if (/%00/i.test(c.req.url)) throw nulError();
  await next();
};
