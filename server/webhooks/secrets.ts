/**
 * Webhook secrets at rest: sealed with the token encryption key (AES-256-GCM, server/identity/token-crypto),
 * bound to the endpoint's id so a sealed secret copied onto another endpoint's row does not open.
 */
import type { TokenCipher } from "../identity/token-crypto";
import type { WebhookEndpointRecord } from "../store/webhook-endpoints";

const context = (endpointId: string) => `webhook-secret\n${endpointId}`;

export const sealSecret = (cipher: TokenCipher, endpointId: string, secret: string): string =>
  cipher.encrypt(secret, context(endpointId));

/** The secrets that sign now: the current one, and the previous one until its expiry. */
export function signingSecrets(
  cipher: TokenCipher,
  endpoint: Pick<WebhookEndpointRecord, "id" | "secret" | "previousSecret" | "previousSecretExpiresAt">,
  now: Date,
): string[] {
  const out = [cipher.decrypt(endpoint.secret, context(endpoint.id))];
  if (
    endpoint.previousSecret &&
    endpoint.previousSecretExpiresAt &&
    endpoint.previousSecretExpiresAt > now.toISOString()
  )
    out.push(cipher.decrypt(endpoint.previousSecret, context(endpoint.id)));
  return out;
}
