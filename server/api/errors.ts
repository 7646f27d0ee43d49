/**
 * One error shape for every non-2xx answer: `{ "error": { "code", "message", "details"? } }`.
 * Never a stack trace: unexpected errors are logged and answered as a plain 500.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError } from "zod";
import type { ApiErrorBody } from "../../shared/api/contract";
import { isDatabaseUnavailable } from "../db/availability";
import { AuthError } from "../identity/token-verifier";
import type { Logger } from "../logger";
import { DomainError } from "../domain-error";
import { errorRule } from "../error-table";

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function errorBody(code: string, message: string, details?: unknown): ApiErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  details?: unknown,
): Response {
  return c.json(errorBody(code, message, details), status);
}

export const notFound = (what = "resource"): ApiError => new ApiError(404, "not_found", `No such ${what}.`);

/** zod issues as `[{ path, message }]` — enough to point at the field, without echoing input. */
export function zodDetails(err: ZodError): { path: string; message: string }[] {
  return err.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
}

/** The WWW-Authenticate value for a 401 (RFC 6750 §3). */
export function wwwAuthenticate(err: AuthError): string {
  if (err.code === "missing_token") return 'Bearer realm="engagement-capture"';
  const description = err.message.replace(/["\\]/g, "");
  return `Bearer realm="engagement-capture", error="invalid_token", error_description="${description}"`;
}

/** Node's error for a request whose connection closed before its body was complete. */
function isClientAbort(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return !!e && e.code === "ECONNRESET" && e.message === "aborted";
}

/** A domain error answered as the error table says; null for a code the table gives no status (an unexpected error here). */
function domainErrorResponse(c: Context, err: DomainError): Response | null {
  const rule = errorRule(err.code);
  if (!rule?.status) return null;
  const retryAfter = err.retryAfterSeconds ?? rule.retryAfterSeconds ?? null;
  if (retryAfter !== null) c.header("Retry-After", String(retryAfter));
  return errorResponse(c, rule.status, err.code, err.message, err.details);
}

export function createErrorHandler(logger: Logger): ErrorHandler {
  return (err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err.status, err.code, err.message, err.details);
    if (err instanceof AuthError) {
      c.header("WWW-Authenticate", wwwAuthenticate(err));
      return errorResponse(c, 401, err.code === "missing_token" ? "unauthorized" : "invalid_token", err.message);
    }
    if (err instanceof ZodError)
      return errorResponse(c, 400, "invalid_request", "The request is not valid.", zodDetails(err));
    if (err instanceof DomainError) {
      const answer = domainErrorResponse(c, err);
      if (answer) return answer;
    }
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      if (status === 413) return errorResponse(c, 413, "payload_too_large", "The request body is too large.");
      return errorResponse(
        c,
        status,
        status === 400 ? "bad_request" : `http_${status}`,
        err.message || "The request failed.",
      );
    }
    // The client hung up while its body was being read: Node's "aborted" error carries ECONNRESET, which
    // must not pass for a lost database socket (a false "database unavailable" alert anyone could cause).
    // No one is left to read the answer; it is logged as the client error it is.
    if (isClientAbort(err))
      return errorResponse(c, 400, "request_aborted", "The request was aborted before its body arrived.");
    if (isDatabaseUnavailable(err)) {
      // The pool reconnects by itself when the database is back: tell the client to come back shortly.
      logger.warn(
        {
          err: { name: (err as Error)?.name, message: (err as Error)?.message },
          path: c.req.path,
          method: c.req.method,
        },
        "database unavailable",
      );
      c.header("Retry-After", "5");
      return errorResponse(
        c,
        503,
        "database_unavailable",
        "The database is not reachable right now; try again in a few seconds.",
      );
    }
    logger.error(
      {
        err: { name: (err as Error)?.name, message: (err as Error)?.message, stack: (err as Error)?.stack },
        path: c.req.path,
        method: c.req.method,
      },
      "unhandled error",
    );
    return errorResponse(c, 500, "internal_error", "Something went wrong on the server.");
  };
}

export const notFoundHandler: NotFoundHandler = (c) =>
  errorResponse(c, 404, "not_found", `No route for ${c.req.method} ${c.req.path}.`);
