/**
 * Why sending failed, in the API's terms (status, code, details). The mail module throws these;
 * the route turns them into the `{error:{code,message,details}}` body and, for retryable ones,
 * a Retry-After header.
 */
export class MailError extends Error {
  override readonly name = "MailError";
  constructor(
    readonly status: 400 | 404 | 409 | 413 | 422 | 429 | 502 | 503,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Seconds to wait before retrying (passed back from Graph's Retry-After when it gave one). */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}
