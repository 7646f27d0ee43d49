/**
 * Building blocks of the HTTP contract's schemas: limits, field types, pages, the error body and the
 * connection state every resource refers to. Request bodies are strict objects — unknown fields are
 * rejected, so a typo in a field name is an error instead of a silently ignored value.
 * `.meta({ id })` names a schema in the OpenAPI document's components; `description` and `example`
 * are carried into it.
 */
import { z } from "zod";
import { REASON_CODES } from "../../capture/reasons";

export const MAX_JSON_BODY = 256 * 1024;
export const MAX_CSV_BODY = 2 * 1024 * 1024;
export const MAX_PAGE = 200;

export const id = z.string().min(1).max(100);
export const text = (max: number) => z.string().max(max);
/** An ISO 8601 date-time with a zone (Office.js and Graph both send these). */
export const isoDateTime = z.iso.datetime({ offset: true });
/** The same, normalised to UTC "Z" form — stored times are compared as text. */
export const isoUtc = isoDateTime.transform((v) => new Date(v).toISOString());
/** A time the server answers (always ISO 8601, UTC). */
export const dateTime = z.string().meta({ format: "date-time", example: "2026-11-26T12:00:00.000Z" });
export const nullableDateTime = z.string().nullable().meta({ format: "date-time" });

export const limitQuery = z.coerce
  .number()
  .int()
  .min(1)
  .max(MAX_PAGE)
  .default(50)
  .meta({ description: `Page size, at most ${MAX_PAGE}.` });
export const cursorQuery = text(1000).meta({ description: "Opaque cursor from the previous page's nextCursor." });

export const emptyQuery = z.strictObject({});

/** A query flag: "true" or "false" (absent = false). */
export const flagQuery = z
  .enum(["true", "false"])
  .optional()
  .transform((v) => v === "true");

/** The path parameter `{id}` of a resource. */
export const idParams = (what: string) =>
  z.object({ id: z.string().meta({ param: { name: "id", in: "path" }, description: `The ${what}'s id.` }) });

/** Every non-2xx answer has this body. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: "invalid_request" }),
      message: z.string().meta({ example: "The request is not valid." }),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: "Error" });

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: "Pass as `cursor` for the next page; null on the last page." }),
  });

export const CONNECTION_STATUSES = ["not_connected", "active", "reauth_required", "disconnected"] as const;
export const connectionStatusSchema = z.enum(CONNECTION_STATUSES);

export const connectionViewSchema = z
  .object({
    status: connectionStatusSchema,
    reason: z
      .string()
      .nullable()
      .meta({ description: "Why reconnecting is needed, in words, when status is reauth_required." }),
    connectedAt: nullableDateTime,
    lastSweepAt: nullableDateTime,
    lastSuccessAt: nullableDateTime,
    nextSweepAt: nullableDateTime,
    lastError: z.string().nullable(),
  })
  .meta({ id: "ConnectionView" });

export const reasonCodeSchema = z.enum(REASON_CODES).meta({ id: "ReasonCode" });

export const captureActionSchema = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("track_contact"), address: z.string(), label: z.string() }),
    z.object({ kind: z.literal("unblock"), entry: z.string(), label: z.string() }),
  ])
  .meta({ id: "CaptureAction" });

/**
 * `schema` or null. For a schema named in components, `.nullable()` would be described wrongly (the null
 * folded into the named schema, or an allOf no null satisfies); a union says it as anyOf [ref, null].
 */
export const orNull = <T extends z.ZodType>(schema: T) => z.union([schema, z.null()]);
