/**
 * What Entra issues and remembers: the signing key, authorization codes, refresh tokens (with the
 * revocations that cover them), and the access and id tokens it mints, in Entra's v1 (Graph) and v2
 * (custom API) shapes.
 */
import crypto from "node:crypto";
import type { Clock } from "../../server/clock";
import { ContinuousAccess } from "./cae";
import { type JwtPayload, type SigningKey, b64url, createSigningKey, signJwt } from "../jwt";
import type { Directory, UserRecord } from "./directory";

export const GRAPH_RESOURCE = "https://graph.microsoft.com";
export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

export type RevocationCode = 700082 | 50173 | 65001;

export interface AuthCodeGrant {
  clientId: string;
  userId: string;
  tenantId: string;
  redirectUri: string;
  spa: boolean;
  scopes: string[];
  codeChallenge: string;
  codeChallengeMethod: string;
  nonce?: string;
  expiresAt: number;
  redeemed: boolean;
}

export interface RefreshGrant {
  clientId: string;
  userId: string;
  tenantId: string;
  spa: boolean;
  /** Scopes the user consented to through this chain of tokens. */
  scopes: string[];
  issuedAt: number;
  /** Issue order: a revocation covers every refresh token issued before it (Entra's TokensValidFrom). */
  serial: number;
  /** SPA refresh tokens have a fixed 24 h lifetime; others expire after 90 days unused. */
  expiresAt: number;
}

/** A revoked grant: the AADSTS code, and what it covers (refresh tokens up to `upToSerial`, assertions issued up to `at`). */
export interface Revocation {
  code: RevocationCode;
  upToSerial: number;
  at: number;
}

export interface MintOptions {
  userId: string;
  clientId: string;
  /** "https://graph.microsoft.com" (Graph token) or the API's audience (client id or "api://…"). */
  audience: string;
  scopes: string[];
  expiresInSeconds?: number;
  /** Claims to add or replace (tests of the API's checks: wrong tid, iss, exp …). */
  overrides?: JwtPayload;
  /** The client declared the `cp1` capability: the token is CAE-enabled (`xms_cc`), and long-lived for Graph. */
  cae?: boolean;
}

export function isGraphAudience(aud: string): boolean {
  const a = aud.replace(/\/+$/, "").toLowerCase();
  return a === GRAPH_RESOURCE || a === GRAPH_APP_ID;
}

/** Pairwise subject: stable per user and app, different across apps (as Entra's sub). */
export function pairwiseSub(userId: string, clientId: string): string {
  return b64url(crypto.createHash("sha256").update(`${userId}|${clientId}`).digest()).slice(0, 43);
}

export class Grants {
  readonly authCodes = new Map<string, AuthCodeGrant>();
  readonly refreshTokens = new Map<string, RefreshGrant>();
  readonly revocations = new Map<string, Revocation>();
  private refreshSerial = 0;

  constructor(
    private readonly directory: Directory,
    private readonly clock: Clock,
  ) {}

  /**
   * Make the user's refresh tokens (and new OBO exchanges) fail with the given AADSTS code.
   * Access tokens already issued keep working until they expire — Entra access tokens cannot be revoked either.
   */
  revoke(userId: string, aadsts: RevocationCode): void {
    this.directory.requireUser(userId);
    this.revocations.set(userId, { code: aadsts, upToSerial: this.refreshSerial, at: this.clock.now().getTime() });
  }

  /**
   * The code a refresh token fails with, or null. Only tokens issued before the revocation fail: a later
   * sign-in — any app's, the pane's too — gets new tokens that work, and the old ones stay revoked (as in
   * Entra, where a new sign-in does not revive refresh tokens from before TokensValidFrom).
   */
  revokedRefresh(g: Pick<RefreshGrant, "userId" | "serial">): RevocationCode | null {
    const r = this.revocations.get(g.userId);
    return r && g.serial <= r.upToSerial ? r.code : null;
  }

  /** The same for an assertion (OBO) issued at `issuedAtMs`. */
  revokedAssertion(userId: string, issuedAtMs: number): RevocationCode | null {
    const r = this.revocations.get(userId);
    return r && issuedAtMs <= r.at ? r.code : null;
  }

  restore(userId: string): void {
    this.revocations.delete(userId);
  }

  issueRefreshToken(g: Omit<RefreshGrant, "issuedAt" | "expiresAt" | "serial">): string {
    const now = this.clock.now().getTime();
    // Opaque like Entra's ("0.A…" / "1.A…"): nothing in it can be parsed by clients.
    const token = `1.AQ${crypto.randomBytes(48).toString("base64url")}`;
    this.refreshTokens.set(token, {
      ...g,
      issuedAt: now,
      serial: ++this.refreshSerial,
      expiresAt: now + (g.spa ? 24 * 3600_000 : 90 * 24 * 3600_000),
    });
    return token;
  }
}

export class TokenMinter {
  readonly signingKey: SigningKey = createSigningKey();
  readonly cae = new ContinuousAccess();
  /** Base URL once listening ("https://localhost:port"); v2 issuers derive from it. */
  url = "https://localhost";
  /** Lifetime of issued access tokens in seconds (Entra: 60–90 min). */
  accessTokenLifetimeSeconds = 3599;
  /**
   * Origin that v2 issuers name when it differs from the sign-in host (Azure China signs in at one host
   * and issues from another); null = the emulator's own URL.
   */
  issuerOrigin: string | null = null;

  constructor(
    private readonly directory: Directory,
    private readonly clock: Clock,
  ) {}

  issuerV2(tenantId: string): string {
    return `${this.issuerOrigin ?? this.url}/${tenantId}/v2.0`;
  }

  /** Lifetime in seconds of an access token for this audience, CAE-capable client or not. */
  lifetimeOf(audience: string, cae: boolean): number {
    return cae && isGraphAudience(audience) ? this.cae.lifetimeSeconds : this.accessTokenLifetimeSeconds;
  }

  /** A signed access token exactly as the token endpoint issues it. */
  mintAccessToken(o: MintOptions): string {
    const user = this.directory.requireUser(o.userId);
    const nowS = this.nowSeconds();
    const uti = b64url(crypto.randomBytes(16));
    const common: JwtPayload = {
      iat: nowS,
      nbf: nowS,
      exp: nowS + (o.expiresInSeconds ?? this.lifetimeOf(o.audience, !!o.cae)),
      name: user.displayName,
      oid: user.id,
      tid: user.tenantId,
      uti,
      rh: "0.AAAA",
    };
    if (o.cae) {
      common.xms_cc = ["CP1"];
      this.cae.issue(uti);
    }
    const payload = isGraphAudience(o.audience) ? this.graphClaims(user, o, common) : this.apiClaims(user, o, common);
    return signJwt(this.signingKey, { ...payload, ...(o.overrides ?? {}) });
  }

  /** Graph tokens are v1-format and opaque to clients; only Graph validates them. */
  private graphClaims(user: UserRecord, o: MintOptions, common: JwtPayload): JwtPayload {
    const app = this.directory.apps.get(o.clientId);
    return {
      aud: GRAPH_RESOURCE,
      iss: `https://sts.windows.net/${user.tenantId}/`,
      ...common,
      acr: "1",
      amr: ["pwd"],
      app_displayname: app?.displayName ?? "app",
      appid: o.clientId,
      appidacr: app?.clientSecret ? "1" : "0",
      idtyp: "user",
      scp: o.scopes.join(" "),
      sub: pairwiseSub(user.id, GRAPH_APP_ID),
      unique_name: user.userPrincipalName,
      upn: user.userPrincipalName,
      ver: "1.0",
    };
  }

  /** v2 token for the API; Entra names the user's app roles on it (never on Graph: delegated Graph tokens have no roles). */
  private apiClaims(user: UserRecord, o: MintOptions, common: JwtPayload): JwtPayload {
    const app = this.directory.apps.get(o.clientId);
    const aud = o.audience.startsWith("api://") ? o.audience.slice("api://".length) : o.audience;
    const roles = user.appRoleAssignments
      .filter((a) => a.resourceAppId === aud || aud.endsWith(`/${a.resourceAppId}`))
      .map((a) => a.value);
    return {
      aud,
      iss: this.issuerV2(user.tenantId),
      ...common,
      azp: o.clientId,
      azpacr: app?.clientSecret ? "1" : "0",
      preferred_username: user.userPrincipalName,
      scp: o.scopes.join(" "),
      sub: pairwiseSub(user.id, o.audience),
      ver: "2.0",
      ...(roles.length ? { roles } : {}),
    };
  }

  /**
   * App-only token (client credentials): Graph's v1 shape, or a v2 token for an API app — aud = the API's
   * client id, azp = the caller, oid = sub = the caller's service principal, `roles` = its app roles, no `scp`.
   */
  mintAppToken(o: {
    clientId: string;
    tenantId: string;
    audience: string;
    roles: string[];
    servicePrincipalId?: string;
  }): string {
    const nowS = this.nowSeconds();
    const graph = isGraphAudience(o.audience);
    const spOid = crypto.createHash("md5").update(`sp|${o.clientId}|${o.tenantId}`).digest("hex");
    const oid =
      o.servicePrincipalId ??
      `${spOid.slice(0, 8)}-${spOid.slice(8, 12)}-${spOid.slice(12, 16)}-${spOid.slice(16, 20)}-${spOid.slice(20, 32)}`;
    const exp = nowS + this.accessTokenLifetimeSeconds;
    const uti = b64url(crypto.randomBytes(16));
    const payload: JwtPayload = graph
      ? {
          aud: GRAPH_RESOURCE,
          iss: `https://sts.windows.net/${o.tenantId}/`,
          iat: nowS,
          nbf: nowS,
          exp,
          appid: o.clientId,
          appidacr: "1",
          idtyp: "app",
          oid,
          sub: oid,
          tid: o.tenantId,
          roles: o.roles,
          ver: "1.0",
        }
      : {
          aud: o.audience.replace(/^api:\/\//, ""),
          iss: this.issuerV2(o.tenantId),
          iat: nowS,
          nbf: nowS,
          exp,
          azp: o.clientId,
          azpacr: "1",
          idtyp: "app",
          oid,
          rh: "0.AAAA",
          sub: oid,
          tid: o.tenantId,
          roles: o.roles,
          uti,
          ver: "2.0",
        };
    if (!o.roles.length) delete payload.roles;
    return signJwt(this.signingKey, payload);
  }

  mintIdToken(o: { userId: string; clientId: string; nonce?: string }): string {
    const user = this.directory.requireUser(o.userId);
    const nowS = this.nowSeconds();
    const payload: JwtPayload = {
      aud: o.clientId,
      iss: this.issuerV2(user.tenantId),
      iat: nowS,
      nbf: nowS,
      exp: nowS + 3600,
      name: user.displayName,
      oid: user.id,
      preferred_username: user.userPrincipalName,
      rh: "0.AAAA",
      sub: pairwiseSub(user.id, o.clientId),
      tid: user.tenantId,
      uti: b64url(crypto.randomBytes(16)),
      ver: "2.0",
    };
    if (o.nonce) payload.nonce = o.nonce;
    return signJwt(this.signingKey, payload);
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}
