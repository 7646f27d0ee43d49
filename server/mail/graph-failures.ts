/** Graph's refusals and failures while sending, as the mail errors the client can act on. */
import { MailError } from "./errors";

interface GraphFailure {
  statusCode?: number;
  code?: string | null;
  headers?: Headers;
}

/** Seconds from a Retry-After header (seconds or an HTTP date); null when absent or unreadable. */
export function retryAfterSeconds(value: string | null | undefined, now: Date): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

export function statusOf(err: unknown): number | null {
  const s = (err as GraphFailure | null)?.statusCode;
  return typeof s === "number" && s > 0 ? s : null;
}

/**
 * Did Graph refuse the send without acting on it? 429 (throttled) and 503 are answered before the
 * request is processed, and a 4xx is a refusal; anything else (504, another 5xx, a timeout or a dropped
 * connection: no status) may have come after Exchange accepted the message.
 */
export function refusedUnsent(err: unknown): boolean {
  const status = statusOf(err);
  return status !== null && status < 500 ? true : status === 503;
}

/** Graph refused or failed: a MailError the client can act on. */
export function graphError(err: unknown, now: Date, step: string): MailError {
  const status = statusOf(err);
  const code = (err as GraphFailure | null)?.code ?? null;
  if (status === null || status === 429 || status >= 500) {
    const retryAfter = retryAfterSeconds((err as GraphFailure | null)?.headers?.get?.("retry-after"), now);
    return new MailError(
      "graph_unavailable",
      status === 429
        ? "Microsoft 365 is throttling this mailbox; try again shortly."
        : "Microsoft 365 did not answer; try again shortly.",
      { retryable: true, step, graphStatus: status, graphCode: code, retryAfterSeconds: retryAfter },
      retryAfter ?? (status === 429 ? 30 : 5),
    );
  }
  if (status === 401 || status === 403) {
    // The grant lacks a permission sending needs (Mail.Send; Mail.Read to find the sent copy): reconnecting asks for it.
    return new MailError(
      "reauth_required",
      "Your mailbox connection does not allow sending mail; reconnect your mailbox.",
      {
        step,
        graphStatus: status,
        graphCode: code,
      },
    );
  }
  return new MailError("graph_rejected", `Microsoft 365 refused the message (${code ?? `HTTP ${status}`}).`, {
    step,
    graphStatus: status,
    graphCode: code,
  });
}

export function sendStateUnknown(): MailError {
  return new MailError(
    "send_state_unknown",
    "Whether the message of the first attempt with this Idempotency-Key was sent cannot be told: it is not in your Sent Items. " +
      "Check Sent Items; to send it (again), use a new Idempotency-Key.",
  );
}
