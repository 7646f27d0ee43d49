/**
 * Verifies the Bearer access tokens the add-in sends: Entra v2 tokens issued for this API.
 * Every rule is checked here, and any failure is one typed AuthError (the API answers 401):
 * - RS256 only (no "none", no HMAC — an HS256 token signed with a public key must not pass);
 * - signature against the JWKS of the token's own tenant (cached; jose refetches on an unknown kid);
 * - issuer = `${authorityHost}/${tid}/v2.0` for that same tenant;
 * - audience = the client id, or an `api://…/<clientId>` application ID URI;
 * - scp contains access_as_user (so an ID token or a Graph token never passes);
 * - exp / nbf with a small skew, against the injected clock.
 * The `roles` claim (Entra app roles assigned to the user on this API) is passed on as is: the
 * API decides what a role allows (server/api/roles.ts).
 */
import * as jose from "jose";
import type { Clock } from "../clock";
import { systemClock } from "../clock";

export interface Caller {
  organizationId: string; // tid
  oid: string;
  preferredUsername: string;
  name: string | null;
  readonly scopes: readonly string[];
  /** App role values from the token's `roles` claim; [] when absent. */
  readonly roles: readonly string[];
}

export class AuthError extends Error {
  constructor(
    message: string,
    /** "missing_token" when no Bearer token was sent at all, else "invalid_token". */
    readonly code: "missing_token" | "invalid_token" = "invalid_token",
  ) {
    super(message);
    this.name = "AuthError";
  }
}

export interface TokenVerifier {
  verify(authorizationHeader: string | undefined): Promise<Caller>;
}

export interface TokenVerifierOptions {
  authorityHost: string;
  clientId: string;
  fetch?: typeof globalThis.fetch;
  clock?: Clock;
  clockToleranceSec?: number;
  /**
   * ENTRA_TENANT. When it is a tenant id (a GUID), only that tenant's tokens are accepted — defence in
   * depth for a single-tenant app, which Entra should never issue tokens for to other tenants anyway.
   * "organizations"/"common" (multi-tenant) and domain names accept any tenant.
   */
  tenant?: string;
  /** jose's minimum time between JWKS refetches (ms); default 30 s. */
  jwksCooldownMs?: number;
}

export const REQUIRED_SCOPE = "access_as_user";
/** Tenant ids are GUIDs in Entra; the loose check only keeps junk out of the JWKS URL. */
const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9.-]{0,99}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Bound the per-tenant JWKS cache so tokens naming random tenants cannot grow it without limit. */
const MAX_TENANTS = 1000;
/** Verified tokens remembered (the pane reuses one token for up to an hour). */
const MAX_VERIFIED = 10_000;
/** How long a tenant whose keys Entra refused to serve (no such tenant) is refused without asking again. */
const UNKNOWN_TENANT_MS = 5 * 60_000;

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const authorityHost = options.authorityHost.replace(/\/+$/, "");
  const clock = options.clock ?? systemClock;
  const tolerance = options.clockToleranceSec ?? 60;
  const onlyTenant = options.tenant && GUID.test(options.tenant) ? options.tenant.toLowerCase() : null;
  const jwksByTenant = new Map<string, ReturnType<typeof jose.createRemoteJWKSet>>();
  // The RS256 check dominates the cost of an API call (status is on the pane's hot path), so a
  // token whose signature and claims passed is remembered until it expires. Only time-dependent
  // checks (exp/nbf) are re-run on a hit; the exact same token string cannot carry other claims.
  const verified = new Map<string, { caller: Caller; exp: number; nbf: number | null }>();
  // Multi-tenant, any GUID in an unsigned-looking token makes us fetch that tenant's keys. Entra answers
  // 400/404 for a tenant that does not exist; remembering that keeps forged tokens from turning each
  // request into an outbound one. (A network failure is not remembered: a real tenant must not be locked out.)
  const unknownTenants = new Map<string, number>();
  const baseFetch = options.fetch ?? globalThis.fetch;
  const keysFetch = (tid: string): jose.FetchImplementation =>
    (async (url: string, init: RequestInit) => {
      const res = await baseFetch(url, init);
      if (res.status === 400 || res.status === 404) {
        if (unknownTenants.size >= MAX_TENANTS) unknownTenants.delete(unknownTenants.keys().next().value!);
        unknownTenants.set(tid, clock.now().getTime() + UNKNOWN_TENANT_MS);
      }
      return res;
    }) as jose.FetchImplementation;

  function timeValid(entry: { exp: number; nbf: number | null }): boolean {
    const now = clock.now().getTime() / 1000;
    return now <= entry.exp + tolerance && (entry.nbf === null || now >= entry.nbf - tolerance);
  }

  function jwksFor(tid: string) {
    let jwks = jwksByTenant.get(tid);
    if (!jwks) {
      const jwksOptions: jose.RemoteJWKSetOptions = { cooldownDuration: options.jwksCooldownMs ?? 30_000, timeoutDuration: 5000 };
      jwksOptions[jose.customFetch] = keysFetch(tid);
      jwks = jose.createRemoteJWKSet(new URL(`${authorityHost}/${tid}/discovery/v2.0/keys`), jwksOptions);
      if (jwksByTenant.size >= MAX_TENANTS) jwksByTenant.delete(jwksByTenant.keys().next().value!);
      jwksByTenant.set(tid, jwks);
    }
    return jwks;
  }

  function audienceOk(aud: unknown): boolean {
    const list = Array.isArray(aud) ? aud : [aud];
    return list.some(
      (a) => typeof a === "string" && (a === options.clientId || (a.startsWith("api://") && a.endsWith(`/${options.clientId}`))),
    );
  }

  return {
    async verify(header) {
      if (!header) throw new AuthError("No access token was sent.", "missing_token");
      const m = /^Bearer\s+([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)\s*$/i.exec(header);
      if (!m) throw new AuthError("The Authorization header is not a Bearer token.");
      const token = m[1];
      const hit = verified.get(token);
      if (hit) {
        if (timeValid(hit)) return hit.caller;
        verified.delete(token);
      }

      let unverified: jose.JWTPayload;
      let header0: jose.ProtectedHeaderParameters;
      try {
        header0 = jose.decodeProtectedHeader(token);
        unverified = jose.decodeJwt(token);
      } catch {
        throw new AuthError("The access token is malformed.");
      }
      if (header0.alg !== "RS256") throw new AuthError("The access token must be signed with RS256.");
      const tid = unverified.tid;
      if (typeof tid !== "string" || !TENANT_ID.test(tid)) throw new AuthError("The access token has no valid tenant id.");
      if (onlyTenant && tid.toLowerCase() !== onlyTenant) throw new AuthError("The access token is for another tenant.");
      const unknownUntil = unknownTenants.get(tid);
      if (unknownUntil !== undefined) {
        if (unknownUntil > clock.now().getTime()) throw new AuthError("The access token's tenant is unknown to Microsoft Entra.");
        unknownTenants.delete(tid);
      }

      let payload: jose.JWTPayload;
      try {
        ({ payload } = await jose.jwtVerify(token, jwksFor(tid), {
          algorithms: ["RS256"],
          issuer: `${authorityHost}/${tid}/v2.0`,
          clockTolerance: tolerance,
          currentDate: clock.now(),
          requiredClaims: ["exp"],
        }));
      } catch (err) {
        throw new AuthError(describeJoseError(err));
      }
      if (payload.tid !== tid) throw new AuthError("The access token's tenant changed during verification.");
      if (!audienceOk(payload.aud)) throw new AuthError("The access token is not for this API (audience).");
      const scopes = typeof payload.scp === "string" ? payload.scp.split(" ").filter(Boolean) : [];
      if (!scopes.includes(REQUIRED_SCOPE)) throw new AuthError(`The access token lacks the ${REQUIRED_SCOPE} scope.`);
      const oid = payload.oid;
      if (typeof oid !== "string" || !oid) throw new AuthError("The access token has no object id (oid).");
      const preferred = [payload.preferred_username, payload.upn, payload.email].find((v): v is string => typeof v === "string" && v.length > 0);
      if (!preferred) throw new AuthError("The access token has no preferred_username.");
      // Frozen: one object serves every request with this token (the cache below), so no request may change
      // what the next one is allowed (a role pushed into `roles` would stay until the token expires).
      const caller: Caller = Object.freeze({
        organizationId: tid,
        oid,
        preferredUsername: preferred,
        name: typeof payload.name === "string" ? payload.name : null,
        scopes: Object.freeze(scopes),
        roles: Object.freeze(Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === "string") : []),
      });
      if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
      verified.set(token, { caller, exp: payload.exp!, nbf: typeof payload.nbf === "number" ? payload.nbf : null });
      return caller;
    },
  };
}

/** A short reason for logs and the error body; never the token itself. */
function describeJoseError(err: unknown): string {
  if (err instanceof jose.errors.JWTExpired) return "The access token has expired.";
  if (err instanceof jose.errors.JWTClaimValidationFailed) {
    if (err.claim === "iss") return "The access token was issued by another authority or tenant.";
    if (err.claim === "nbf") return "The access token is not valid yet.";
    return `The access token's ${err.claim} claim is invalid.`;
  }
  if (err instanceof jose.errors.JWKSNoMatchingKey) return "The access token is signed with an unknown key.";
  if (err instanceof jose.errors.JWSSignatureVerificationFailed) return "The access token's signature is invalid.";
  if (err instanceof jose.errors.JOSEAlgNotAllowed) return "The access token must be signed with RS256.";
  if (err instanceof jose.errors.JWKSTimeout || err instanceof jose.errors.JWKSInvalid) return "The signing keys could not be fetched.";
  return "The access token could not be verified.";
}
