/** Reading and validating requests: JSON bodies and query strings through zod schemas. */
import type { Context } from "hono";
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
  if (value === undefined) throw new ApiError(400, "invalid_json", "The request body is empty; a JSON object is expected.");
  return schema.parse(value);
}

export function query<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return schema.parse(c.req.query());
}
