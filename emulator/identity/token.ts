/**
 * `POST /{tenant}/oauth2/v2.0/token`: authorization_code (PKCE; SPA codes only cross-origin),
 * refresh_token (rotation; revoked or expired grants fail as in Entra), on-behalf-of (jwt-bearer) and
 * client_credentials, with client authentication by secret (form or Basic) for confidential apps.
 */
import crypto from "node:crypto";
import { type HttpContext, corsHeaders, header, sendJson } from "../http";
import { verifyJwt } from "../jwt";
import {
  type AppRecord,
  type EmulatorState,
  GRAPH_RESOURCE,
  type TenantRecord,
  declaresCp1,
  isGraphAudience,
} from "../state";
import { clientInfo } from "./authorize";
import { aadErrorBody, revocationError } from "./errors";
import { type ScopePlan, dedupe, planScopes } from "./scopes";

const NO_STORE = { "Cache-Control": "no-store, no-cache", Pragma: "no-cache" };
const SPA_CROSS_ORIGIN_ONLY =
  "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.";
const PUBLIC_CLIENT_SECRET = "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.";
const MULTIPLE_RESOURCES =
  "Provided value for the input parameter scope is not valid because it contains more than one resource.";

/** One token request, its client identified (not yet authenticated). */
interface TokenRequest {
  st: EmulatorState;
  ctx: HttpContext;
  tenant: TenantRecord | null;
  app: AppRecord;
  clientId: string;
  secret: string | null;
  form: URLSearchParams;
  requestedScopes: string[];
  now: Date;
  cors: Record<string, string>;
}

interface Issue {
  userId: string;
  tenantId: string;
  plan: ScopePlan;
  nonce?: string;
  offline: boolean;
  openid: boolean;
  spa: boolean;
  priorScp?: string[];
}

function err(
  t: Pick<TokenRequest, "ctx" | "now" | "cors">,
  status: number,
  error: string,
  code: number,
  msg: string,
  extra: Record<string, unknown> = {},
): void {
  sendJson(t.ctx.res, status, aadErrorBody(error, code, msg, extra, t.now), { ...t.cors, ...NO_STORE });
}

function has(scopes: string[], s: string): boolean {
  return scopes.some((x) => x.toLowerCase() === s);
}

/** Client authentication: public apps present no secret, confidential ones their own. False when refused (answered). */
function checkSecret(t: TokenRequest): boolean {
  const { app, secret } = t;
  if (!app.clientSecret) {
    if (secret) {
      err(t, 401, "invalid_client", 700025, PUBLIC_CLIENT_SECRET);
      return false;
    }
    return true;
  }
  if (!secret) {
    err(
      t,
      401,
      "invalid_client",
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
    return false;
  }
  if (secret !== app.clientSecret) {
    err(
      t,
      401,
      "invalid_client",
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
    );
    return false;
  }
  return true;
}

/** The token response for a user: access token, and refresh and id tokens when the grant allows them. */
function issue(t: TokenRequest, o: Issue): void {
  const { st, clientId } = t;
  const user = st.getUser(o.userId)!;
  st.count(user.id, "token");
  const scp =
    o.plan.resource === "graph"
      ? dedupe([...o.plan.scp, ...(o.priorScp ?? []), ...o.plan.oidc.filter((s) => s !== "offline_access")])
      : o.plan.scp;
  // msal sends `claims` on every token request; a client that declared the cp1 capability gets CAE tokens.
  const cae = declaresCp1(t.form.get("claims"));
  const accessToken = st.mintAccessToken({ userId: user.id, clientId, audience: o.plan.audience, scopes: scp, cae });
  const lifetime = st.tokens.lifetimeOf(o.plan.audience, cae);
  const body: Record<string, unknown> = {
    token_type: "Bearer",
    scope: [...o.plan.requested, ...o.plan.oidc.filter((s) => s !== "offline_access")].join(" "),
    expires_in: lifetime,
    ext_expires_in: lifetime,
    // Entra tells clients to renew long-lived tokens at half their life.
    ...(cae && lifetime >= 7200 ? { refresh_in: Math.floor(lifetime / 2) } : {}),
    access_token: accessToken,
  };
  if (o.offline) {
    body.refresh_token = st.issueRefreshToken({
      clientId,
      userId: user.id,
      tenantId: user.tenantId,
      spa: o.spa,
      scopes: [...o.plan.requested, ...o.plan.oidc],
    });
    if (o.spa) body.refresh_token_expires_in = 86399;
  }
  if (o.openid) body.id_token = st.mintIdToken({ userId: user.id, clientId, nonce: o.nonce });
  if (t.form.get("client_info") === "1") body.client_info = clientInfo(user.id, user.tenantId);
  sendJson(t.ctx.res, 200, body, { ...t.cors, ...NO_STORE });
}

function authorizationCode(t: TokenRequest): void {
  const { st, form, now } = t;
  const g = st.authCodes.get(form.get("code") ?? "");
  if (!g) return err(t, 400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.");
  if (g.clientId !== t.clientId)
    return err(t, 400, "invalid_grant", 70000, "The provided authorization code was issued to a different client.");
  if (g.redeemed)
    return err(
      t,
      400,
      "invalid_grant",
      54005,
      "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
    );
  if (now.getTime() > g.expiresAt)
    return err(
      t,
      400,
      "invalid_grant",
      70008,
      "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
    );
  if ((form.get("redirect_uri") ?? "") !== g.redirectUri)
    return err(
      t,
      400,
      "invalid_grant",
      50148,
      "The redirect_uri does not match the redirect_uri used in the authorization request.",
    );
  if (g.spa) {
    if (!header(t.ctx.req, "origin")) return err(t, 400, "invalid_request", 9002327, SPA_CROSS_ORIGIN_ONLY);
    if (t.secret) return err(t, 401, "invalid_client", 700025, PUBLIC_CLIENT_SECRET);
  } else if (!checkSecret(t)) return;
  const verifier = form.get("code_verifier");
  if (!verifier || crypto.createHash("sha256").update(verifier).digest("base64url") !== g.codeChallenge) {
    return err(
      t,
      400,
      "invalid_grant",
      501481,
      "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
    );
  }
  g.redeemed = true;
  const scopes = t.requestedScopes.length ? t.requestedScopes : g.scopes;
  const plan = planScopes(scopes);
  if ("error" in plan) return err(t, 400, "invalid_scope", 28000, MULTIPLE_RESOURCES);
  // A fresh sign-in gets fresh tokens, which a revocation before it does not cover (state.revokedRefresh);
  // it does not revive the refresh tokens the revocation covers, whichever app holds them.
  const offline = has(g.scopes, "offline_access") || has(scopes, "offline_access");
  return issue(t, {
    userId: g.userId,
    tenantId: g.tenantId,
    plan,
    nonce: g.nonce,
    offline,
    openid: has(g.scopes, "openid") || has(scopes, "openid"),
    spa: g.spa,
  });
}

function refreshToken(t: TokenRequest): void {
  const { st, now, app } = t;
  const g = st.refreshTokens.get(t.form.get("refresh_token") ?? "");
  if (!g)
    return err(t, 400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.", {
      suberror: "bad_token",
    });
  if (g.clientId !== t.clientId)
    return err(
      t,
      400,
      "invalid_grant",
      700005,
      "Provided Authorization Code is intended to use against other tenant, thus rejected.",
    );
  if (!g.spa && !checkSecret(t)) return;
  if (g.spa && !header(t.ctx.req, "origin")) return err(t, 400, "invalid_request", 9002327, SPA_CROSS_ORIGIN_ONLY);
  const revoked = st.revokedRefresh(g);
  if (revoked) {
    st.count(g.userId, "token");
    return void sendJson(t.ctx.res, 400, revocationError(revoked, app, new Date(g.issuedAt), now), {
      ...t.cors,
      "Cache-Control": "no-store, no-cache",
    });
  }
  if (now.getTime() > g.expiresAt) {
    st.count(g.userId, "token");
    return void sendJson(t.ctx.res, 400, revocationError(700082, app, new Date(g.issuedAt), now), t.cors);
  }
  const scopes = t.requestedScopes.length ? t.requestedScopes : g.scopes;
  const plan = planScopes(scopes);
  if ("error" in plan) return err(t, 400, "invalid_scope", 28000, MULTIPLE_RESOURCES);
  // Rotation: a new refresh token each time; the old one stays valid (as in Entra).
  return issue(t, {
    userId: g.userId,
    tenantId: g.tenantId,
    plan,
    offline: true,
    openid: has(scopes, "openid"),
    spa: g.spa,
  });
}

function onBehalfOf(t: TokenRequest): void {
  const { st, form, now, clientId } = t;
  if (!checkSecret(t)) return;
  if (form.get("requested_token_use") !== "on_behalf_of")
    return err(
      t,
      400,
      "invalid_request",
      900144,
      "The request body must contain the following parameter: 'requested_token_use'.",
    );
  const claims = verifyJwt(st.signingKey, form.get("assertion") ?? "");
  if (!claims) return err(t, 400, "invalid_grant", 50013, "Assertion failed signature validation.");
  const nowS = Math.floor(now.getTime() / 1000);
  if (typeof claims.exp !== "number" || claims.exp < nowS)
    return err(t, 400, "invalid_grant", 500133, "Assertion is not within its valid time range.");
  if (claims.aud !== clientId && claims.aud !== `api://${clientId}`)
    return err(
      t,
      400,
      "invalid_grant",
      50013,
      "Assertion audience does not match the Client app presenting the assertion.",
    );
  const userId = String(claims.oid ?? "");
  const user = st.getUser(userId);
  if (!user) return err(t, 400, "invalid_grant", 50034, "The user account does not exist in the directory.");
  const revoked = st.revokedAssertion(userId, typeof claims.iat === "number" ? claims.iat * 1000 : 0);
  if (revoked) return void sendJson(t.ctx.res, 400, revocationError(revoked, t.app, now, now), t.cors);
  const plan = planScopes(t.requestedScopes);
  if ("error" in plan) return err(t, 400, "invalid_scope", 28000, MULTIPLE_RESOURCES);
  return issue(t, {
    userId,
    tenantId: user.tenantId,
    plan,
    offline: has(t.requestedScopes, "offline_access"),
    openid: false,
    spa: false,
  });
}

function clientCredentials(t: TokenRequest): void {
  const { st, app, requestedScopes } = t;
  if (!app.clientSecret) return err(t, 400, "unauthorized_client", 700025, PUBLIC_CLIENT_SECRET);
  if (!checkSecret(t)) return;
  if (requestedScopes.length !== 1 || !requestedScopes[0].endsWith("/.default")) {
    return err(
      t,
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope ${requestedScopes.join(" ")} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  const tid = t.tenant?.id ?? app.tenantId;
  if (!tid)
    return err(
      t,
      400,
      "invalid_request",
      90009,
      "Application is requesting a token for itself. This scenario is supported only if resource is specified using the GUID based App Identifier.",
    );
  const resource = requestedScopes[0].slice(0, -"/.default".length);
  const graph = isGraphAudience(resource);
  let roles = app.graphAppRoles;
  if (!graph) {
    // Our own API: its app registration must exist; the token carries the roles granted to the caller on it.
    const apiId = resource.replace(/^api:\/\//i, "");
    if (!st.apps.has(apiId)) {
      return err(
        t,
        400,
        "invalid_resource",
        500011,
        `The resource principal named ${resource} was not found in the tenant named ${t.tenant?.displayName ?? tid}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      );
    }
    roles = app.appRoleAssignments.filter((a) => a.resourceAppId === apiId).map((a) => a.value);
  }
  const spId = app.tenantId === undefined || app.tenantId === tid ? app.servicePrincipalId : undefined;
  const token = st.mintAppToken({
    clientId: t.clientId,
    tenantId: tid,
    audience: graph ? GRAPH_RESOURCE : resource,
    roles,
    servicePrincipalId: spId,
  });
  const body = {
    token_type: "Bearer",
    expires_in: st.accessTokenLifetimeSeconds,
    ext_expires_in: st.accessTokenLifetimeSeconds,
    access_token: token,
  };
  sendJson(t.ctx.res, 200, body, { ...t.cors, "Cache-Control": "no-store, no-cache" });
}

const GRANTS: Record<string, (t: TokenRequest) => void> = {
  authorization_code: authorizationCode,
  refresh_token: refreshToken,
  "urn:ietf:params:oauth:grant-type:jwt-bearer": onBehalfOf,
  client_credentials: clientCredentials,
};

export function token(st: EmulatorState, ctx: HttpContext, tenant: TenantRecord | null, segment: string): void {
  const cors = corsHeaders(ctx.req);
  const now = st.now();
  if (ctx.method !== "POST")
    return err({ ctx, now, cors }, 405, "invalid_request", 900561, "The endpoint only accepts POST requests.");
  const form = new URLSearchParams(ctx.body.toString("utf8"));
  let clientId = form.get("client_id") ?? "";
  let secret = form.get("client_secret");
  const basic = header(ctx.req, "authorization");
  if (basic?.startsWith("Basic ")) {
    const [id, pw] = Buffer.from(basic.slice(6), "base64").toString("utf8").split(":");
    clientId = decodeURIComponent(id);
    secret = decodeURIComponent(pw ?? "");
  }
  const app = st.apps.get(clientId);
  if (!app)
    return err(
      { ctx, now, cors },
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant?.displayName ?? segment}'.`,
    );
  const grantType = form.get("grant_type");
  const requestedScopes = (form.get("scope") ?? "").split(/\s+/).filter(Boolean);
  const grant = grantType !== null && Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
  if (!grant)
    return err(
      { ctx, now, cors },
      400,
      "unsupported_grant_type",
      70003,
      `The app requested an unsupported grant type '${grantType ?? ""}'.`,
    );
  grant({ st, ctx, tenant, app, clientId, secret, form, requestedScopes, now, cors });
}
