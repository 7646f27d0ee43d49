/**
 * Microsoft Entra ID v2 endpoints: discovery, JWKS, authorize (code + PKCE S256) and token
 * (authorization_code, refresh_token with rotation, on-behalf-of, client_credentials), with
 * response and error bodies shaped like Entra's so msal-node and jose cannot tell the difference.
 */
import crypto from "node:crypto";
import { type HttpContext, corsHeaders, escapeHtml, header, send, sendJson } from "./http";
import { verifyJwt } from "./jwt";
import { type AppRecord, type EmulatorState, GRAPH_RESOURCE, type RevocationCode, type TenantRecord, isGraphAudience } from "./state";

const OIDC_SCOPES = new Set(["openid", "profile", "email", "offline_access"]);
const DEFAULT_GRAPH_SCOPES = ["User.Read", "Mail.Read", "Mail.Send"];
const MULTI_TENANT = new Set(["common", "organizations", "consumers"]);

/** Entra's AADSTS error body (token endpoint). */
export function aadErrorBody(error: string, code: number, message: string, extra: Record<string, unknown> = {}, now = new Date()): Record<string, unknown> {
  const traceId = crypto.randomUUID();
  const correlationId = crypto.randomUUID();
  const ts = now.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  return {
    error,
    error_description: `AADSTS${code}: ${message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${ts}`,
    error_codes: [code],
    timestamp: ts,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    ...extra,
  };
}

export function revocationError(code: RevocationCode, app: AppRecord, issuedAt: Date, now: Date): Record<string, unknown> {
  const d = (x: Date) => x.toISOString().replace(/\.\d+Z$/, "Z");
  switch (code) {
    case 700082:
      return aadErrorBody("invalid_grant", 700082,
        `The refresh token has expired due to inactivity. The token was issued on ${d(issuedAt)} and was inactive for 90.00:00:00.`,
        { suberror: "bad_token" }, now);
    case 50173:
      return aadErrorBody("invalid_grant", 50173,
        `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${d(issuedAt)}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${d(now)}'.`,
        { suberror: "bad_token" }, now);
    case 65001:
      return aadErrorBody("invalid_grant", 65001,
        `The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.displayName}'. Send an interactive authorization request for this user and resource.`,
        { suberror: "consent_required" }, now);
  }
}

interface ScopePlan {
  resource: "graph" | "api";
  /** For api: the audience (client id of the API). */
  audience: string;
  /** Resource scopes as the client wrote them (echoed in `scope`). */
  requested: string[];
  /** Short scope names for the `scp` claim. */
  scp: string[];
  oidc: string[];
}

function planScopes(scopes: string[], fallback?: ScopePlan): ScopePlan | { error: string } {
  const oidc = scopes.filter((s) => OIDC_SCOPES.has(s.toLowerCase()));
  const rest = scopes.filter((s) => !OIDC_SCOPES.has(s.toLowerCase()));
  if (!rest.length) {
    if (fallback) return { ...fallback, oidc };
    return { resource: "graph", audience: GRAPH_RESOURCE, requested: ["User.Read"], scp: ["User.Read"], oidc };
  }
  const resources = new Map<string, { requested: string[]; scp: string[] }>();
  for (const s of rest) {
    let res: string;
    let short: string;
    const i = s.lastIndexOf("/");
    if (i < 0) {
      res = GRAPH_RESOURCE;
      short = s;
    } else {
      res = s.slice(0, i);
      short = s.slice(i + 1);
    }
    if (isGraphAudience(res)) res = GRAPH_RESOURCE;
    const entry = resources.get(res) ?? { requested: [], scp: [] };
    entry.requested.push(s);
    if (short === ".default") entry.scp.push(...(isGraphAudience(res) ? DEFAULT_GRAPH_SCOPES : ["access_as_user"]));
    else entry.scp.push(short);
    resources.set(res, entry);
  }
  if (resources.size > 1) return { error: "multiple" };
  const [res, entry] = [...resources.entries()][0];
  if (res === GRAPH_RESOURCE) return { resource: "graph", audience: GRAPH_RESOURCE, requested: entry.requested, scp: dedupe(entry.scp), oidc };
  return { resource: "api", audience: res.replace(/^api:\/\//, ""), requested: entry.requested, scp: dedupe(entry.scp), oidc };
}

function dedupe(xs: string[]): string[] {
  const seen = new Set<string>();
  return xs.filter((x) => (seen.has(x.toLowerCase()) ? false : (seen.add(x.toLowerCase()), true)));
}

function base64urlSha256(s: string): string {
  return crypto.createHash("sha256").update(s).digest("base64url");
}

function htmlPage(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:Segoe UI,system-ui,sans-serif;max-width:440px;margin:60px auto;color:#1b1b1b}a.user{display:block;padding:12px;border:1px solid #ccc;margin:8px 0;text-decoration:none;color:inherit;border-radius:4px}a.user:hover{background:#f3f3f3}small{color:#666}</style>
</head><body>${body}</body></html>`;
}

export class IdentityEndpoints {
  constructor(private readonly state: EmulatorState) {}

  /** Resolve the tenant path segment: a tenant, a multi-tenant alias, or an error. */
  private tenantOf(segment: string): { tenant: TenantRecord | null; segment: string } | null {
    if (MULTI_TENANT.has(segment.toLowerCase())) return { tenant: null, segment: segment.toLowerCase() };
    const t = this.state.findTenant(segment);
    return t ? { tenant: t, segment: t.id } : null;
  }

  private tenantNotFound(ctx: HttpContext, segment: string): void {
    sendJson(ctx.res, 400, aadErrorBody("invalid_tenant", 90002,
      `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`, {}, this.state.now()),
      corsHeaders(ctx.req));
  }

  /** Returns false when the path is not an identity endpoint. */
  async handle(ctx: HttpContext): Promise<boolean> {
    const m = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys|oauth2\/v2\.0\/(authorize|token|logout))\/?$/.exec(ctx.url.pathname);
    if (!m) return false;
    const seg = decodeURIComponent(m[1]);
    const t = this.tenantOf(seg);
    if (!t) {
      this.tenantNotFound(ctx, seg);
      return true;
    }
    const what = m[2];
    if (what.startsWith("v2.0/.well-known")) this.openidConfiguration(ctx, t.tenant, t.segment);
    else if (what.startsWith("discovery")) this.keys(ctx, t.tenant);
    else if (m[3] === "authorize") this.authorize(ctx, t.tenant);
    else if (m[3] === "token") this.token(ctx, t.tenant, seg);
    else this.logout(ctx);
    return true;
  }

  private openidConfiguration(ctx: HttpContext, tenant: TenantRecord | null, segment: string): void {
    const u = this.state.url;
    const base = `${u}/${segment}`;
    sendJson(ctx.res, 200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: `${u}/${tenant ? tenant.id : "{tenantid}"}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${u}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: tenant ? "EU" : null,
      cloud_instance_name: "microsoftonline.com",
      cloud_graph_host_name: "graph.windows.net",
      msgraph_host: "graph.microsoft.com",
      rbac_url: "https://pas.windows.net",
    }, { ...corsHeaders(ctx.req), "Cache-Control": "max-age=86400, private" });
  }

  private keys(ctx: HttpContext, tenant: TenantRecord | null): void {
    const issuer = `${this.state.url}/${tenant ? tenant.id : "{tenantid}"}/v2.0`;
    sendJson(ctx.res, 200, { keys: [{ ...this.state.signingKey.jwk, issuer }] }, { ...corsHeaders(ctx.req), "Cache-Control": "max-age=86400, private" });
  }

  private logout(ctx: HttpContext): void {
    const to = ctx.url.searchParams.get("post_logout_redirect_uri");
    if (to) send(ctx.res, 302, null, { Location: to });
    else send(ctx.res, 200, htmlPage("Signed out", "<h1>You signed out of your account</h1>"), { "Content-Type": "text/html; charset=utf-8" });
  }

  // ------------------------------------------------------------------ authorize

  private authorize(ctx: HttpContext, tenant: TenantRecord | null): void {
    const q = ctx.url.searchParams;
    const st = this.state;
    st.count(null, "authorize");
    const clientId = q.get("client_id") ?? "";
    const app = st.apps.get(clientId);
    const errorPage = (code: number, msg: string) =>
      send(ctx.res, 400, htmlPage("Sign in", `<h1>Sorry, but we're having trouble signing you in.</h1><p>AADSTS${code}: ${escapeHtml(msg)}</p>`), { "Content-Type": "text/html; charset=utf-8" });
    if (!app) return void errorPage(700016, `Application with identifier '${clientId}' was not found in the directory '${tenant?.displayName ?? "common"}'.`);
    const redirectUri = q.get("redirect_uri") ?? "";
    const spa = app.spaRedirectUris.includes(redirectUri);
    if (!spa && !app.redirectUris.includes(redirectUri)) {
      return void errorPage(50011, `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`);
    }
    const state = q.get("state");
    const responseMode = q.get("response_mode") ?? "query";
    const reply = (params: Record<string, string>) => {
      if (state !== null) params.state = state;
      if (responseMode === "form_post") {
        const inputs = Object.entries(params).map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join("");
        return void send(ctx.res, 200, htmlPage("Working...", `<form method="POST" name="hiddenform" action="${escapeHtml(redirectUri)}">${inputs}<noscript><button>Continue</button></noscript></form><script>document.forms[0].submit()</script>`), { "Content-Type": "text/html; charset=utf-8" });
      }
      const target = new URL(redirectUri);
      const enc = new URLSearchParams(params).toString();
      if (responseMode === "fragment") target.hash = enc;
      else for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
      send(ctx.res, 302, null, { Location: target.toString() });
    };
    const fail = (error: string, code: number, msg: string) =>
      reply({ error, error_description: `AADSTS${code}: ${msg}\r\nTrace ID: ${crypto.randomUUID()}\r\nCorrelation ID: ${crypto.randomUUID()}\r\nTimestamp: ${st.now().toISOString()}`, error_uri: `https://login.microsoftonline.com/error?code=${code}` });

    if (q.get("response_type") !== "code") return void fail("unsupported_response_type", 700054, "response_type 'id_token' is not enabled for the application.");
    const challenge = q.get("code_challenge");
    const method = q.get("code_challenge_method") ?? "plain";
    if (!challenge) return void fail("invalid_request", 9002325, "Proof Key for Code Exchange is required for cross-origin authorization code redemption.");
    if (method !== "S256") return void fail("invalid_request", 9002326, "Only the S256 code challenge method is supported.");
    const scopes = (q.get("scope") ?? "").split(/\s+/).filter(Boolean);
    const plan = planScopes(scopes);
    if ("error" in plan) return void fail("invalid_scope", 28000, "Provided value for the input parameter scope is not valid because it contains more than one resource.");
    if (q.get("emulator_action") === "cancel") return void fail("access_denied", 65004, "User declined to consent to access the app.");

    const hint = q.get("login_hint");
    const user = hint ? st.findUserByLogin(hint, tenant?.id) : undefined;
    if (!user) {
      if (q.get("prompt") === "none") return void fail("login_required", 50058, "A silent sign-in request was sent but no user is signed in.");
      // A person picks an account; each link repeats the request with login_hint (auto-approval).
      const users = [...st.users.values()].filter((u) => !tenant || u.tenantId === tenant.id);
      const link = (extra: Record<string, string>) => {
        const u = new URL(ctx.url.toString());
        for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
        return `${u.pathname}${u.search}`;
      };
      const items = users.map((u) => `<a class="user" href="${escapeHtml(link({ login_hint: u.userPrincipalName }))}"><b>${escapeHtml(u.displayName)}</b><br><small>${escapeHtml(u.userPrincipalName)}</small></a>`).join("");
      return void send(ctx.res, 200, htmlPage("Sign in to your account", `<h1>Pick an account</h1><p><small>Microsoft 365 emulator — ${escapeHtml(app.displayName)} wants to access your mailbox.</small></p>${items || "<p>No users in this tenant.</p>"}<p><a href="${escapeHtml(link({ emulator_action: "cancel" }))}">Cancel</a></p>`), { "Content-Type": "text/html; charset=utf-8" });
    }
    const code = `1.AQ${crypto.randomBytes(64).toString("base64url")}`;
    st.authCodes.set(code, {
      clientId, userId: user.id, tenantId: user.tenantId, redirectUri, spa, scopes, codeChallenge: challenge, codeChallengeMethod: method,
      nonce: q.get("nonce") ?? undefined, expiresAt: st.now().getTime() + 10 * 60_000, redeemed: false,
    });
    const params: Record<string, string> = { code };
    if (q.get("client_info") === "1") params.client_info = this.clientInfo(user.id, user.tenantId);
    params.session_state = crypto.randomUUID();
    reply(params);
  }

  private clientInfo(oid: string, tid: string): string {
    return Buffer.from(JSON.stringify({ uid: oid, utid: tid })).toString("base64url");
  }

  // ------------------------------------------------------------------ token

  private token(ctx: HttpContext, tenant: TenantRecord | null, segment: string): void {
    const st = this.state;
    const cors = corsHeaders(ctx.req);
    const now = st.now();
    const err = (status: number, error: string, code: number, msg: string, extra: Record<string, unknown> = {}) =>
      void sendJson(ctx.res, status, aadErrorBody(error, code, msg, extra, now), { ...cors, "Cache-Control": "no-store, no-cache", Pragma: "no-cache" });
    if (ctx.method !== "POST") return err(405, "invalid_request", 900561, "The endpoint only accepts POST requests.");
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
    if (!app) return err(400, "unauthorized_client", 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant?.displayName ?? segment}'.`);
    const grantType = form.get("grant_type");
    const checkSecret = (): boolean => {
      if (!app.clientSecret) {
        if (secret) {
          err(401, "invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.");
          return false;
        }
        return true;
      }
      if (!secret) {
        err(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
        return false;
      }
      if (secret !== app.clientSecret) {
        err(401, "invalid_client", 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`);
        return false;
      }
      return true;
    };
    const requestedScopes = (form.get("scope") ?? "").split(/\s+/).filter(Boolean);
    const wantClientInfo = form.get("client_info") === "1";

    const issue = (o: { userId: string; tenantId: string; plan: ScopePlan; nonce?: string; offline: boolean; openid: boolean; spa: boolean; priorScp?: string[] }) => {
      const user = st.getUser(o.userId)!;
      st.count(user.id, "token");
      const scp = o.plan.resource === "graph"
        ? dedupe([...o.plan.scp, ...(o.priorScp ?? []), ...o.plan.oidc.filter((s) => s !== "offline_access")])
        : o.plan.scp;
      const accessToken = st.mintAccessToken({ userId: user.id, clientId, audience: o.plan.audience, scopes: scp });
      const body: Record<string, unknown> = {
        token_type: "Bearer",
        scope: [...o.plan.requested, ...o.plan.oidc.filter((s) => s !== "offline_access")].join(" "),
        expires_in: st.accessTokenLifetimeSeconds,
        ext_expires_in: st.accessTokenLifetimeSeconds,
        access_token: accessToken,
      };
      if (o.offline) {
        body.refresh_token = st.issueRefreshToken({ clientId, userId: user.id, tenantId: user.tenantId, spa: o.spa, scopes: [...o.plan.requested, ...o.plan.oidc] });
        if (o.spa) body.refresh_token_expires_in = 86399;
      }
      if (o.openid) body.id_token = st.mintIdToken({ userId: user.id, clientId, nonce: o.nonce });
      if (wantClientInfo) body.client_info = this.clientInfo(user.id, user.tenantId);
      sendJson(ctx.res, 200, body, { ...cors, "Cache-Control": "no-store, no-cache", Pragma: "no-cache" });
    };
    const has = (scopes: string[], s: string) => scopes.some((x) => x.toLowerCase() === s);

    if (grantType === "authorization_code") {
      const code = form.get("code") ?? "";
      const g = st.authCodes.get(code);
      if (!g) return err(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.");
      if (g.clientId !== clientId) return err(400, "invalid_grant", 70000, "The provided authorization code was issued to a different client.");
      if (g.redeemed) return err(400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.");
      if (now.getTime() > g.expiresAt) return err(400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.");
      if ((form.get("redirect_uri") ?? "") !== g.redirectUri) return err(400, "invalid_grant", 50148, "The redirect_uri does not match the redirect_uri used in the authorization request.");
      if (g.spa) {
        if (!header(ctx.req, "origin")) return err(400, "invalid_request", 9002327, "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.");
        if (secret) return err(401, "invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.");
      } else if (!checkSecret()) return;
      const verifier = form.get("code_verifier");
      if (!verifier || base64urlSha256(verifier) !== g.codeChallenge) {
        return err(400, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.");
      }
      g.redeemed = true;
      const scopes = requestedScopes.length ? requestedScopes : g.scopes;
      const plan = planScopes(scopes);
      if ("error" in plan) return err(400, "invalid_scope", 28000, "Provided value for the input parameter scope is not valid because it contains more than one resource.");
      // A fresh sign-in gets fresh tokens, which a revocation before it does not cover (state.revokedRefresh);
      // it does not revive the refresh tokens the revocation covers, whichever app holds them.
      return issue({ userId: g.userId, tenantId: g.tenantId, plan, nonce: g.nonce, offline: has(g.scopes, "offline_access") || has(scopes, "offline_access"), openid: has(g.scopes, "openid") || has(scopes, "openid"), spa: g.spa });
    }

    if (grantType === "refresh_token") {
      const rt = form.get("refresh_token") ?? "";
      const g = st.refreshTokens.get(rt);
      if (!g) return err(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.", { suberror: "bad_token" });
      if (g.clientId !== clientId) return err(400, "invalid_grant", 700005, "Provided Authorization Code is intended to use against other tenant, thus rejected.");
      if (!g.spa && !checkSecret()) return;
      if (g.spa && !header(ctx.req, "origin")) return err(400, "invalid_request", 9002327, "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.");
      const revoked = st.revokedRefresh(g);
      if (revoked) {
        st.count(g.userId, "token");
        return void sendJson(ctx.res, 400, revocationError(revoked, app, new Date(g.issuedAt), now), { ...cors, "Cache-Control": "no-store, no-cache" });
      }
      if (now.getTime() > g.expiresAt) {
        st.count(g.userId, "token");
        return void sendJson(ctx.res, 400, revocationError(700082, app, new Date(g.issuedAt), now), cors);
      }
      const scopes = requestedScopes.length ? requestedScopes : g.scopes;
      const plan = planScopes(scopes);
      if ("error" in plan) return err(400, "invalid_scope", 28000, "Provided value for the input parameter scope is not valid because it contains more than one resource.");
      // Rotation: a new refresh token each time; the old one stays valid (as in Entra).
      return issue({ userId: g.userId, tenantId: g.tenantId, plan, offline: true, openid: has(scopes, "openid"), spa: g.spa });
    }

    if (grantType === "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      if (!checkSecret()) return;
      if (form.get("requested_token_use") !== "on_behalf_of") return err(400, "invalid_request", 900144, "The request body must contain the following parameter: 'requested_token_use'.");
      const assertion = form.get("assertion") ?? "";
      const claims = verifyJwt(st.signingKey, assertion);
      if (!claims) return err(400, "invalid_grant", 50013, "Assertion failed signature validation.");
      const nowS = Math.floor(now.getTime() / 1000);
      if (typeof claims.exp !== "number" || claims.exp < nowS) return err(400, "invalid_grant", 500133, "Assertion is not within its valid time range.");
      if (claims.aud !== clientId && claims.aud !== `api://${clientId}`) return err(400, "invalid_grant", 50013, "Assertion audience does not match the Client app presenting the assertion.");
      const userId = String(claims.oid ?? "");
      const user = st.getUser(userId);
      if (!user) return err(400, "invalid_grant", 50034, "The user account does not exist in the directory.");
      const revoked = st.revokedAssertion(userId, typeof claims.iat === "number" ? claims.iat * 1000 : 0);
      if (revoked) return void sendJson(ctx.res, 400, revocationError(revoked, app, now, now), cors);
      const plan = planScopes(requestedScopes);
      if ("error" in plan) return err(400, "invalid_scope", 28000, "Provided value for the input parameter scope is not valid because it contains more than one resource.");
      return issue({ userId, tenantId: user.tenantId, plan, offline: has(requestedScopes, "offline_access"), openid: false, spa: false });
    }

    if (grantType === "client_credentials") {
      if (!app.clientSecret) return err(400, "unauthorized_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.");
      if (!checkSecret()) return;
      if (requestedScopes.length !== 1 || !requestedScopes[0].endsWith("/.default")) {
        return err(400, "invalid_scope", 1002012, `The provided value for scope ${requestedScopes.join(" ")} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
      }
      const tid = tenant?.id ?? app.tenantId;
      if (!tid) return err(400, "invalid_request", 90009, "Application is requesting a token for itself. This scenario is supported only if resource is specified using the GUID based App Identifier.");
      const resource = requestedScopes[0].slice(0, -"/.default".length);
      const graph = isGraphAudience(resource);
      const token = st.mintAppToken({ clientId, tenantId: tid, audience: graph ? GRAPH_RESOURCE : resource, roles: graph ? app.graphAppRoles : [] });
      return void sendJson(ctx.res, 200, { token_type: "Bearer", expires_in: st.accessTokenLifetimeSeconds, ext_expires_in: st.accessTokenLifetimeSeconds, access_token: token }, { ...cors, "Cache-Control": "no-store, no-cache" });
    }

    return err(400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grantType ?? ""}'.`);
  }
}
