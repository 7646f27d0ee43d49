/**
 * Errors the data-access modules raise for conditions the caller must tell apart.
 * They carry a stable code; the API's error table says how each is answered.
 */
import { DomainError } from "../domain-error";

/** The write would break a rule of the data (a duplicate, an invalid value). */
export class ConflictError extends DomainError {
  override name = "ConflictError";
}

/** What the request names does not exist (in the caller's organization). */
export class NotFoundError extends DomainError {
  override name = "NotFoundError";
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** A page cursor that this server did not hand out (or no longer reads). */
export class InvalidCursorError extends DomainError {
  override name = "InvalidCursorError";
  constructor() {
    super("invalid_cursor", "The cursor is not valid.");
  }
}

/** True when a database error is a unique-constraint violation (SQLite or PostgreSQL). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  return e.code === "23505" || e.code === "SQLITE_CONSTRAINT_UNIQUE" || e.code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
