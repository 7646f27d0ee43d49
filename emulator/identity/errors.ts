/**
 * Entra's error bodies: the AADSTS shape of the token endpoint, and the invalid_grant answers of a
 * revoked, expired or unconsented grant.
 */
import crypto from "node:crypto";
import type { AppRecord, RevocationCode } from "../state";

/** Entra's AADSTS error body (token endpoint). */
export function aadErrorBody(
  error: string,
  code: number,
  message: string,
  extra: Record<string, unknown> = {},
  now = new Date(),
): Record<string, unknown> {
  const traceId = crypto.randomUUID();
  const correlationId = crypto.randomUUID();
  const ts = now
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  return {
    error,
    error_description: `AADSTS${code}: ${message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${ts}`,
    error_codes: [code],
    timestamp: ts,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    ...extra,
  };
}

export function revocationError(
  code: RevocationCode,
  app: AppRecord,
  issuedAt: Date,
  now: Date,
): Record<string, unknown> {
  const d = (x: Date) => x.toISOString().replace(/\.\d+Z$/, "Z");
  switch (code) {
    case 700082:
      return aadErrorBody(
        "invalid_grant",
        700082,
        `The refresh token has expired due to inactivity. The token was issued on ${d(issuedAt)} and was inactive for 90.00:00:00.`,
        { suberror: "bad_token" },
        now,
      );
    case 50173:
      return aadErrorBody(
        "invalid_grant",
        50173,
        `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${d(issuedAt)}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${d(now)}'.`,
        { suberror: "bad_token" },
        now,
      );
    case 65001:
      return aadErrorBody(
        "invalid_grant",
        65001,
        `The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.displayName}'. Send an interactive authorization request for this user and resource.`,
        { suberror: "consent_required" },
        now,
      );
  }
}
