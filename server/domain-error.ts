/**
 * An error the product raises on purpose: a stable code (what clients and the error table key on) and
 * a message. It never says how it is answered over HTTP: server/error-table.ts maps codes to
 * statuses and says whose messages users may read.
 */
export class DomainError extends Error {
  override name = "DomainError";
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Seconds a client should wait before trying again, when the cause says (e.g. throttling). */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}
