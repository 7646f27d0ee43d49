/**
 * A subscription's clientState: a random secret Graph echoes in every notification, the receiver's only
 * proof that a notification comes from Graph for this subscription. Only its SHA-256 is stored.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** 32 random bytes, base64url: 43 characters, under Graph's 128. */
export const newClientState = (): string => randomBytes(32).toString("base64url");

export const hashClientState = (clientState: string): string =>
  createHash("sha256").update(clientState, "utf8").digest("hex");

/** Whether `received` has the shape of a clientState we issue: anything else is refused with no lookup. */
export const isOurClientStateShape = (received: unknown): received is string =>
  typeof received === "string" && /^[A-Za-z0-9_-]{43}$/.test(received);

/** Constant-time comparison of a received clientState with the stored hash. */
export function clientStateMatches(storedHash: string, received: unknown): boolean {
  if (typeof received !== "string" || received.length === 0 || received.length > 128) return false;
  const a = Buffer.from(hashClientState(received), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}
