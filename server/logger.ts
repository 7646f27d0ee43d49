/**
 * Structured logs (pino). Credentials never reach a log line: authorization headers, cookies,
 * tokens, token caches, secrets and keys are redacted wherever they appear in a logged object.
 */
import pino, { type Logger } from "pino";

export type { Logger };

/** Keys whose values are credentials, in the product's camelCase and in OAuth's wire names. */
const SECRET_KEYS = [
  "authorization",
  "cookie",
  "token",
  "accessToken",
  "refreshToken",
  "idToken",
  "tokenCache",
  "clientSecret",
  "secret",
  "password",
  "codeVerifier",
  "tokenEncryptionKey",
  // OAuth wire names (token endpoint bodies and responses use snake_case).
  "access_token",
  "refresh_token",
  "id_token",
  "client_secret",
  "client_assertion",
  "code_verifier",
];

/**
 * Paths redacted in every log record (pino's fast-redact syntax; `*` = any key at that depth): each
 * secret key at the top level and one or two levels down, and headers nested in an HTTP client's
 * error (err.request.headers).
 */
export const REDACT_PATHS = [
  "res.headers['set-cookie']",
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
  "*.headers.authorization",
  "*.headers.cookie",
  "*.*.headers.authorization",
  "*.*.headers.cookie",
];

export function createLogger(level: string = "info", destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: "engagement-capture" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
  };
  return destination ? pino(options, destination) : pino(options);
}
