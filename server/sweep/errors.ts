/** Errors the sweep raises. Each one fails the sweep with a message; none crashes the process. */
import { isDatabaseUnavailable } from "../db/availability";

/** Graph answered something we cannot trust (missing fields, wrong types, a foreign nextLink). */
export class MalformedGraphResponseError extends Error {
  override readonly name = "MalformedGraphResponseError";
}

/** The sweep was stopped (the scheduler is shutting down). */
export class SweepAbortedError extends Error {
  override readonly name = "SweepAbortedError";
  constructor(message = "The sweep was stopped before it finished (server shutting down).") {
    super(message);
  }
}

/** Graph kept refusing a request after the retry bound. */
export class GraphRequestFailedError extends Error {
  override readonly name = "GraphRequestFailedError";
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null,
  ) {
    super(message);
  }
}

/** A short, content-free description of any error for the sweep record and the connection's lastError. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const e = err as Error & { statusCode?: number; code?: string };
    const status = typeof e.statusCode === "number" && e.statusCode > 0 ? ` (HTTP ${e.statusCode}${e.code ? ` ${e.code}` : ""})` : "";
    const text = `${e.name === "Error" ? "" : `${e.name}: `}${e.message || e.code || "unknown error"}${status}`;
    return text.slice(0, 500);
  }
  return String(err).slice(0, 500);
}

/**
 * The sweep's error as users read it (the sweep record, the connection's lastError, shown in the pane
 * and the API): a database's own error text (SQL, encodings, constraint names) is internal, so it is
 * replaced by a fixed sentence; the detail goes to the log (describeError).
 */
export function describeForUser(err: unknown): string {
  if (isDatabaseUnavailable(err)) return "The database was not reachable; the next sweep will try again.";
  const e = err as { name?: unknown; severity?: unknown; code?: unknown } | null;
  const fromDatabase = !!e && typeof e === "object" && (e.name === "SqliteError" || (typeof e.severity === "string" && typeof e.code === "string"));
  if (fromDatabase) return "The sweep stopped on an internal database error; the next sweep will try again.";
  return describeError(err);
}
