/**
 * Structured logs (pino). Credentials never reach a log line: authorization headers, cookies,
 * tokens, token caches, secrets and keys are redacted wherever they appear in a logged object.
 */
import pino, { type Logger } from "pino";

export type { Logger };

/** Paths redacted in every log record (pino's fast-redact syntax; `*` = any key at that depth). */
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "res.headers['set-cookie']",
  "headers.authorization",
  "headers.cookie",
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
  "*.authorization",
  "*.token",
  "*.accessToken",
  "*.refreshToken",
  "*.idToken",
  "*.tokenCache",
  "*.clientSecret",
  "*.secret",
  "*.password",
  "*.codeVerifier",
  "*.tokenEncryptionKey",
  "*.*.accessToken",
  "*.*.refreshToken",
  "*.*.clientSecret",
  "*.*.tokenCache",
  // Headers one and two levels down (an HTTP client's error carrying its request: err.request.headers).
  "*.headers.authorization",
  "*.headers.cookie",
  "*.*.headers.authorization",
  "*.*.authorization",
  "*.*.token",
  "*.*.idToken",
  "*.*.secret",
  "*.*.password",
  // OAuth wire names (token endpoint bodies and responses use snake_case).
  "access_token",
  "refresh_token",
  "id_token",
  "client_secret",
  "client_assertion",
  "code_verifier",
  "*.access_token",
  "*.refresh_token",
  "*.id_token",
  "*.client_secret",
  "*.client_assertion",
  "*.code_verifier",
  "*.*.access_token",
  "*.*.refresh_token",
  "*.*.id_token",
  "*.*.client_secret",
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
