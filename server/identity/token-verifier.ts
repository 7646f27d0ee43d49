/**
 * Verifies the Bearer access tokens the add-in sends: Entra v2 tokens issued for this API.
 * Every rule is checked here, and any failure is one typed AuthError (the API answers 401):
 * - RS256 only (no "none", no HMAC — an HS256 token signed with a public key must not pass);
 * - `tid` is a GUID (and the configured tenant, when ENTRA_TENANT is one);
 * - signature against the authority's signing keys, found through its OpenID metadata: the
 *   tenant-independent key set for a multi-tenant app, the tenant's own for a single-tenant one;
 * - issuer = the metadata's `issuer` with `{tenantid}` replaced by the token's `tid` (and the key's
 *   own `issuer`, when it publishes one, must agree);
 * - audience = the client id, or the application ID URI (`api://<clientId>` unless configured);
 * - a user token: scp contains access_as_user (so an ID token or a Graph token never passes), oid and
 *   preferred_username; an application token (client credentials: `idtyp: "app"` and no scp): oid (the
 *   calling app's service principal) and azp (its client id). Which app roles let an application do what
 *   is the API's decision (server/api/app-access.ts);
 * - exp / nbf with a small skew, against the injected clock.
 * The `roles` claim (Entra app roles assigned to the user on this API) is passed on as is: the
 * API decides what a role allows (server/api/roles.ts).
 *
 * Cost before authentication is bounded: whatever tenant a token names, the verifier only ever asks the
 * authority for two documents (the metadata once, the key set once plus one refetch per cooldown), one
 * request at a time.
 */
import * as jose from "jose";
import type { Clock } from "../clock";
import { systemClock } from "../clock";
import {
  AuthorityFetchError,
  SigningKeys,
  createOpenIdMetadata,
  issuerFor,
  type OpenIdMetadata,
  type SigningKey,
} from "./openid-metadata";

export interface Caller {
  /** "app" for an application's own token (client credentials): no user, the whole tenant. */
  kind: "user" | "app";
  organizationId: string; // tid
  /** The user's object id; for an application, its service principal's. */
  oid: string;
  /** For an application: its client id (azp); for a user the pane's client id when the token names it, else null. */
  appId: string | null;
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

/**
 * The token could not be checked because the authority's metadata or keys could not be fetched: still a
 * 401 for the caller (nothing was verified), but not the caller's failure (server/api/auth.ts).
 */
export class AuthorityUnavailableError extends AuthError {
  constructor() {
    super("The authority's signing keys could not be fetched.");
  }
}

export interface TokenVerifier {
  verify(authorizationHeader: string | undefined): Promise<Caller>;
  /**
   * The caller of a token already verified and still within its lifetime, else null. No signature check
   * and no outbound request: lets the API keep serving signed-in users at an address that is refused
   * new verifications (server/api/auth.ts).
   */
  known?(authorizationHeader: string | undefined): Caller | null;
}

export interface TokenVerifierOptions {
  authorityHost: string;
  clientId: string;
  /** The API's application ID URI, the other accepted audience; default `api://<clientId>`. */
  appIdUri?: string;
  fetch?: typeof globalThis.fetch;
  clock?: Clock;
  clockToleranceSec?: number;
  /**
   * ENTRA_TENANT. When it is a tenant id (a GUID), only that tenant's tokens are accepted — defence in
   * depth for a single-tenant app, which Entra should never issue tokens for to other tenants anyway.
   * "organizations"/"common" (multi-tenant) and domain names accept any tenant.
   */
  tenant?: string;
  /** Minimum time between two requests for the key set (and between metadata retries), ms; default 30 s. */
  jwksCooldownMs?: number;
  /** Monotonic ms for the cooldowns (default performance.now); injectable for tests. */
  nowMs?: () => number;
}

export const REQUIRED_SCOPE = "access_as_user";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Verified tokens remembered (the pane reuses one token for up to an hour). */
const MAX_VERIFIED = 10_000;
/** Entra advises refreshing signing keys about once a day. */
const KEYS_MAX_AGE_MS = 24 * 3600_000;
const BEARER = /^Bearer\s+([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)\s*$/i;

interface Verified {
  caller: Caller;
  exp: number;
  nbf: number | null;
}

/**
 * The RS256 check dominates the cost of an API call (status is on the pane's hot path), so a token whose
 * signature and claims passed is remembered until it expires. Only time-dependent checks (exp/nbf) are
 * re-run on a hit; the exact same token string cannot carry other claims.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, Verified>();

  constructor(
    private readonly clock: Clock,
    private readonly toleranceSec: number,
  ) {}

  get(token: string): Caller | null {
    const hit = this.entries.get(token);
    if (!hit) return null;
    const now = this.clock.now().getTime() / 1000;
    if (now <= hit.exp + this.toleranceSec && (hit.nbf === null || now >= hit.nbf - this.toleranceSec))
      return hit.caller;
    this.entries.delete(token);
    return null;
  }

  set(token: string, entry: Verified): void {
    if (this.entries.size >= MAX_VERIFIED) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, entry);
  }
}

/**
 * The metadata of the configured tenant when it is a tenant id; otherwise the tenant-independent
 * "organizations" metadata, whose issuer carries `{tenantid}` and whose keys sign every tenant's tokens.
 */
export function metadataUrlFor(authorityHost: string, tenant: string | undefined): string {
  const segment = tenant && GUID.test(tenant) ? tenant.toLowerCase() : "organizations";
  return `${authorityHost.replace(/\/+$/, "")}/${segment}/v2.0/.well-known/openid-configuration`;
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const clock = options.clock ?? systemClock;
  const tolerance = options.clockToleranceSec ?? 60;
  const onlyTenant = options.tenant && GUID.test(options.tenant) ? options.tenant.toLowerCase() : null;
  const audiences = new Set([options.clientId, options.appIdUri ?? `api://${options.clientId}`]);
  const authority = {
    fetch: options.fetch ?? globalThis.fetch,
    cooldownMs: options.jwksCooldownMs ?? 30_000,
    nowMs: options.nowMs ?? (() => performance.now()),
  };
  const metadata = createOpenIdMetadata(metadataUrlFor(options.authorityHost, options.tenant), authority);
  let keys: SigningKeys | null = null;
  const verified = new VerifiedTokens(clock, tolerance);

  async function signingKey(kid: string | undefined, meta: OpenIdMetadata): Promise<SigningKey> {
    if (!keys || keys.url !== meta.jwksUri) {
      keys = new SigningKeys(meta.jwksUri, {
        ...authority,
        maxAgeMs: KEYS_MAX_AGE_MS,
        importKey: (jwk) => jose.importJWK(jwk as jose.JWK, "RS256"),
      });
    }
    const key = kid ? await keys.find(kid) : null;
    if (!key) throw new AuthError("The access token is signed with an unknown key.");
    return key;
  }

  async function verifyToken(token: string): Promise<Verified> {
    const { tid, kid } = preflight(token, onlyTenant);
    let payload: jose.JWTPayload;
    try {
      const meta = await metadata.get();
      const issuer = issuerFor(meta.issuer, tid);
      const key = await signingKey(kid, meta);
      ({ payload } = await jose.jwtVerify(token, key.key, {
        algorithms: ["RS256"],
        issuer,
        clockTolerance: tolerance,
        currentDate: clock.now(),
        requiredClaims: ["exp"],
      }));
      if (key.issuer !== null && issuerFor(key.issuer, tid) !== issuer) {
        throw new AuthError(
          "The access token was issued by another authority or tenant (its signing key is not theirs).",
        );
      }
    } catch (err) {
      if (err instanceof AuthError) throw err;
      if (err instanceof AuthorityFetchError) throw new AuthorityUnavailableError();
      throw new AuthError(describeJoseError(err));
    }
    if (payload.tid !== tid) throw new AuthError("The access token's tenant changed during verification.");
    const list = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!list.some((a) => typeof a === "string" && audiences.has(a)))
      throw new AuthError("The access token is not for this API (audience).");
    return {
      caller: callerOf(payload, tid),
      exp: payload.exp!,
      nbf: typeof payload.nbf === "number" ? payload.nbf : null,
    };
  }

  return {
    known(header) {
      const m = header ? BEARER.exec(header) : null;
      return m ? verified.get(m[1]) : null;
    },
    async verify(header) {
      if (!header) throw new AuthError("No access token was sent.", "missing_token");
      const m = BEARER.exec(header);
      if (!m) throw new AuthError("The Authorization header is not a Bearer token.");
      const token = m[1];
      const hit = verified.get(token);
      if (hit) return hit;
      const entry = await verifyToken(token);
      verified.set(token, entry);
      return entry.caller;
    },
  };
}

/** The checks that need no key: refused here, a token costs no outbound request at all. */
function preflight(token: string, onlyTenant: string | null): { tid: string; kid: string | undefined } {
  let header: jose.ProtectedHeaderParameters;
  let unverified: jose.JWTPayload;
  try {
    header = jose.decodeProtectedHeader(token);
    unverified = jose.decodeJwt(token);
  } catch {
    throw new AuthError("The access token is malformed.");
  }
  if (header.alg !== "RS256") throw new AuthError("The access token must be signed with RS256.");
  const tid = unverified.tid;
  if (typeof tid !== "string" || !GUID.test(tid)) throw new AuthError("The access token has no valid tenant id.");
  if (onlyTenant && tid.toLowerCase() !== onlyTenant) throw new AuthError("The access token is for another tenant.");
  return { tid, kid: typeof header.kid === "string" ? header.kid : undefined };
}

function callerOf(payload: jose.JWTPayload, tid: string): Caller {
  if (payload.idtyp === "app" && payload.scp === undefined) return appCallerOf(payload, tid);
  const scopes = typeof payload.scp === "string" ? payload.scp.split(" ").filter(Boolean) : [];
  if (!scopes.includes(REQUIRED_SCOPE)) throw new AuthError(`The access token lacks the ${REQUIRED_SCOPE} scope.`);
  const oid = payload.oid;
  if (typeof oid !== "string" || !oid) throw new AuthError("The access token has no object id (oid).");
  const preferred = [payload.preferred_username, payload.upn, payload.email].find(
    (v): v is string => typeof v === "string" && v.length > 0,
  );
  if (!preferred) throw new AuthError("The access token has no preferred_username.");
  // Frozen: one object serves every request with this token (the cache above), so no request may change
  // what the next one is allowed (a role pushed into `roles` would stay until the token expires).
  return Object.freeze({
    kind: "user",
    organizationId: tid,
    oid,
    appId: typeof payload.azp === "string" ? payload.azp : null,
    preferredUsername: preferred,
    name: typeof payload.name === "string" ? payload.name : null,
    scopes: Object.freeze(scopes),
    roles: rolesOf(payload),
  });
}

/**
 * An application's own token: it acts for no user, so it has no scp, no preferred_username, and its oid
 * (= sub) is the calling app's service principal in the tenant. The app's roles are checked per operation.
 */
function appCallerOf(payload: jose.JWTPayload, tid: string): Caller {
  const oid = payload.oid;
  if (typeof oid !== "string" || !oid) throw new AuthError("The application token has no object id (oid).");
  const azp = typeof payload.azp === "string" && payload.azp ? payload.azp : payload.appid;
  if (typeof azp !== "string" || !azp) throw new AuthError("The application token names no client (azp).");
  return Object.freeze({
    kind: "app",
    organizationId: tid,
    oid,
    appId: azp,
    preferredUsername: azp,
    name: null,
    scopes: Object.freeze([]),
    roles: rolesOf(payload),
  });
}

function rolesOf(payload: jose.JWTPayload): readonly string[] {
  return Object.freeze(
    Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === "string") : [],
  );
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
  if (err instanceof jose.errors.JWKSTimeout || err instanceof jose.errors.JWKSInvalid)
    return "The signing keys could not be fetched.";
  return "The access token could not be verified.";
}
