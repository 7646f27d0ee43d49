/**
 * The OAuth `state` of the connect flow: proof, at the unauthenticated /auth/callback, of which
 * signed-in add-in user started it.
 *
 * - Signed (HMAC-SHA256, key derived from the token encryption key): nobody can mint or edit one.
 * - Bound to the user: carries organization id and user id; the callback stores the grant for that
 *   user only, and only if the consenting account is that user (checked by the connection service).
 * - Expires in minutes (10): the token carries its expiry, and so does the row.
 * - Single use: the random nonce names a row in auth_states that is consumed atomically (usedAt);
 *   the row also holds the PKCE code verifier (encrypted), so a replayed or forged state has no
 *   verifier and no code can be redeemed with it.
 */
import crypto from "node:crypto";
import type { Kysely } from "kysely";
import type { Clock } from "../clock";
import type { Database } from "../db/schema";
import { forgetExpiredAuthStates, redeemAuthState, savePendingAuthState } from "../store/auth-states";
import type { TokenCipher } from "./token-crypto";

export const AUTH_STATE_TTL_MS = 10 * 60 * 1000;

export interface AuthStatePayload {
  nonce: string;
  organizationId: string;
  userId: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export type StateRejection =
  | "missing" // no state parameter
  | "invalid" // not one of ours: malformed or the signature does not match (tampered)
  | "expired" // older than the TTL
  | "used" // already redeemed once (replay)
  | "unknown"; // signed by us but no such pending request (e.g. the user was removed)

export type VerifiedState = { ok: true; payload: AuthStatePayload } | { ok: false; reason: StateRejection };

/** Pure part: sign and verify the state token. `v1.<payload b64url>.<hmac b64url>`. */
export function createStateSigner(key: Buffer) {
  const mac = (data: string) => crypto.createHmac("sha256", key).update(data).digest();
  return {
    sign(p: AuthStatePayload): string {
      const body = Buffer.from(
        JSON.stringify({ n: p.nonce, o: p.organizationId, u: p.userId, e: p.expiresAt }),
        "utf8",
      ).toString("base64url");
      return `v1.${body}.${mac(`v1.${body}`).toString("base64url")}`;
    },
    verify(token: string | undefined | null, now: Date): VerifiedState {
      if (!token) return { ok: false, reason: "missing" };
      const parts = token.split(".");
      if (parts.length !== 3 || parts[0] !== "v1") return { ok: false, reason: "invalid" };
      const given = Buffer.from(parts[2], "base64url");
      const expected = mac(`v1.${parts[1]}`);
      if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected))
        return { ok: false, reason: "invalid" };
      let raw: { n?: unknown; o?: unknown; u?: unknown; e?: unknown };
      try {
        raw = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
      } catch {
        return { ok: false, reason: "invalid" };
      }
      if (
        typeof raw.n !== "string" ||
        typeof raw.o !== "string" ||
        typeof raw.u !== "string" ||
        typeof raw.e !== "number"
      ) {
        return { ok: false, reason: "invalid" };
      }
      if (now.getTime() >= raw.e) return { ok: false, reason: "expired" };
      return { ok: true, payload: { nonce: raw.n, organizationId: raw.o, userId: raw.u, expiresAt: raw.e } };
    },
  };
}

export interface IssuedAuthState {
  state: string;
  nonce: string;
  codeChallenge: string;
}

export interface ConsumedAuthState extends AuthStatePayload {
  codeVerifier: string;
}

export type ConsumeResult = ({ ok: true } & ConsumedAuthState) | { ok: false; reason: StateRejection };

/** PKCE (RFC 7636) S256: 32 random bytes → 43-char verifier; challenge = base64url(sha256(verifier)). */
export function newPkcePair(): { verifier: string; challenge: string } {
  const verifier = crypto.randomBytes(32).toString("base64url");
  return { verifier, challenge: crypto.createHash("sha256").update(verifier).digest("base64url") };
}

const verifierContext = (nonce: string) => `auth_states.code_verifier:${nonce}`;

export function createAuthStateStore(deps: {
  db: Kysely<Database>;
  cipher: TokenCipher;
  clock: Clock;
  ttlMs?: number;
}) {
  const { db, cipher, clock } = deps;
  const ttl = deps.ttlMs ?? AUTH_STATE_TTL_MS;
  const signer = createStateSigner(cipher.deriveKey("auth-state/v1"));

  return {
    async issue(user: { organizationId: string; userId: string }): Promise<IssuedAuthState> {
      const now = clock.now();
      const nonce = crypto.randomBytes(24).toString("base64url");
      const pkce = newPkcePair();
      const expiresAt = now.getTime() + ttl;
      // Housekeeping: pending requests nobody finished are of no use a day later.
      await forgetExpiredAuthStates(db, new Date(now.getTime() - 24 * 3600_000));
      await savePendingAuthState(db, {
        id: nonce,
        organizationId: user.organizationId,
        userId: user.userId,
        codeVerifier: cipher.encrypt(pkce.verifier, verifierContext(nonce)),
        expiresAt: new Date(expiresAt).toISOString(),
        usedAt: null,
        createdAt: now.toISOString(),
      });
      const state = signer.sign({ nonce, organizationId: user.organizationId, userId: user.userId, expiresAt });
      return { state, nonce, codeChallenge: pkce.challenge };
    },

    /** Verify and redeem a state, once. Every later call with the same state answers "used". */
    async consume(token: string | undefined | null): Promise<ConsumeResult> {
      const now = clock.now();
      const verified = signer.verify(token, now);
      if (!verified.ok) return verified;
      const p = verified.payload;
      const { redeemed, row } = await redeemAuthState(db, p, now);
      if (!row) return { ok: false, reason: "unknown" };
      if (!redeemed) return { ok: false, reason: row.usedAt ? "used" : "expired" };
      return { ok: true, ...p, codeVerifier: cipher.decrypt(row.codeVerifier, verifierContext(p.nonce)) };
    },
  };
}

export type AuthStateStore = ReturnType<typeof createAuthStateStore>;
