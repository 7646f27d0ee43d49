/** Errors the sweep raises. Each one fails the sweep with a message; none crashes the process. */
import { isDatabaseUnavailable } from "../db/availability";
import { DomainError } from "../domain-error";
import { sweepShowsMessage } from "../error-table";

/** Graph answered something we cannot trust (missing fields, wrong types, a foreign nextLink). */
export class MalformedGraphResponseError extends DomainError {
  override readonly name = "MalformedGraphResponseError";
  constructor(message: string) {
    super("graph_malformed", message);
  }
}

/** The sweep was stopped (the scheduler is shutting down). */
export class SweepAbortedError extends DomainError {
  override readonly name = "SweepAbortedError";
  constructor(message = "The sweep was stopped before it finished (server shutting down).") {
    super("sweep_aborted", message);
  }
}

/** Graph kept refusing a request after the retry bound. */
export class GraphRequestFailedError extends DomainError {
  override readonly name = "GraphRequestFailedError";
  constructor(
    message: string,
    readonly status: number | null,
    /** Graph's own error code, when it gave one. */
    readonly graphCode: string | null,
  ) {
    super("graph_request_failed", message);
  }
}

/** Another sweep of this mailbox is running (here or in another process). */
export class SweepInProgressError extends DomainError {
  override readonly name = "SweepInProgressError";
  constructor(readonly sweepId: string) {
    super("sweep_in_progress", "A sweep of this mailbox is already running.");
  }
}

/** A short, content-free description of any error for the sweep record and the connection's lastError. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const e = err as Error & { statusCode?: number; code?: string };
    const status =
      typeof e.statusCode === "number" && e.statusCode > 0
        ? ` (HTTP ${e.statusCode}${e.code ? ` ${e.code}` : ""})`
        : "";
    const text = `${e.name === "Error" ? "" : `${e.name}: `}${e.message || e.code || "unknown error"}${status}`;
    return text.slice(0, 500);
  }
  return String(err).slice(0, 500);
}

/**
 * The sweep's error as users read it (the sweep record, the connection's lastError, shown in the pane,
 * the API and administrators' mailbox health): only errors whose text was written for people are shown
 * as they are. A database's own text (SQL, encodings, constraint names) and any other exception (a
 * library's or a bug's TypeError) are internal: a fixed sentence replaces them, and the detail goes to
 * the log (the engine logs describeError).
 */
export function describeForUser(err: unknown): string {
  if (isDatabaseUnavailable(err)) return "The database was not reachable; the next sweep will try again.";
  const e = err as { name?: unknown; severity?: unknown; code?: unknown } | null;
  const fromDatabase =
    !!e &&
    typeof e === "object" &&
    (e.name === "SqliteError" || (typeof e.severity === "string" && typeof e.code === "string"));
  if (fromDatabase) return "The sweep stopped on an internal database error; the next sweep will try again.";
  // By shape, not instanceof: a timeout's DOMException comes from another realm than Error.
  const { name, message, statusCode } = (err ?? {}) as { name?: unknown; message?: unknown; statusCode?: unknown };
  // This product's own errors whose words were written for people (the error table says which).
  if (err instanceof DomainError && sweepShowsMessage(err.code)) return describeError(err);
  // The Graph SDK's GraphError (named plain "Error"): an HTTP answer from Microsoft 365 carries its status.
  if (typeof statusCode === "number" && statusCode > 0) return describeError(err);
  // No answer at all: the SDK wraps a transport failure with status -1; a timeout aborts the fetch.
  const noAnswer =
    name === "TimeoutError" ||
    name === "AbortError" ||
    (typeof message === "string" && /fetch failed|ECONN|ETIMEDOUT|socket/i.test(message));
  if (statusCode === -1 || noAnswer) {
    return "Microsoft 365 could not be reached (network or timeout); the next sweep will try again.";
  }
  return "The sweep stopped on an unexpected error; the next sweep will try again.";
}
