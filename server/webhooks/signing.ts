/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): secrets are `whsec_` + base64 of 32 random
 * bytes; webhook-signature is `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per secret that signs,
 * space-separated (during a rotation both the new and the old secret sign). Signing uses the
 * `standardwebhooks` package itself, the same code receivers verify with, so the two cannot drift apart
 * on encoding details (the secret's base64, the timestamp in seconds).
 */
import crypto from "node:crypto";
import { Webhook } from "standardwebhooks";

export const SECRET_PREFIX = "whsec_";

export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${crypto.randomBytes(32).toString("base64")}`;
}

export interface SignedHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** The three headers for one attempt; `secrets` in order (the current one first). */
export function signDelivery(secrets: readonly string[], id: string, at: Date, body: string): SignedHeaders {
  const signatures = secrets.map((s) => new Webhook(s).sign(id, at, body));
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": signatures.join(" "),
  };
}
