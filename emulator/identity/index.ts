/**
 * Microsoft Entra ID v2 endpoints: discovery, JWKS, authorize (code + PKCE S256, authorize.ts) and token
 * (authorization_code, refresh_token with rotation, on-behalf-of, client_credentials; token.ts), with
 * response and error bodies shaped like Entra's (errors.ts) so msal-node and jose cannot tell the difference.
 */
import { type HttpContext, corsHeaders, send, sendJson } from "../http";
import type { EmulatorState, TenantRecord } from "../state";
import { authorize } from "./authorize";
import { aadErrorBody } from "./errors";
import { HTML, htmlPage } from "./pages";
import { token } from "./token";

export { aadErrorBody, revocationError } from "./errors";

const MULTI_TENANT = new Set(["common", "organizations", "consumers"]);

export class IdentityEndpoints {
  constructor(private readonly state: EmulatorState) {}

  /** Resolve the tenant path segment: a tenant, a multi-tenant alias, or an error. */
  private tenantOf(segment: string): { tenant: TenantRecord | null; segment: string } | null {
    if (MULTI_TENANT.has(segment.toLowerCase())) return { tenant: null, segment: segment.toLowerCase() };
    const t = this.state.findTenant(segment);
    return t ? { tenant: t, segment: t.id } : null;
  }

  private tenantNotFound(ctx: HttpContext, segment: string): void {
    sendJson(
      ctx.res,
      400,
      aadErrorBody(
        "invalid_tenant",
        90002,
        `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        {},
        this.state.now(),
      ),
      corsHeaders(ctx.req),
    );
  }

  /** Returns false when the path is not an identity endpoint. */
  async handle(ctx: HttpContext): Promise<boolean> {
    const m =
      /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys|oauth2\/v2\.0\/(authorize|token|logout))\/?$/.exec(
        ctx.url.pathname,
      );
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
    else if (m[3] === "authorize") authorize(this.state, ctx, t.tenant);
    else if (m[3] === "token") token(this.state, ctx, t.tenant, seg);
    else this.logout(ctx);
    return true;
  }

  private openidConfiguration(ctx: HttpContext, tenant: TenantRecord | null, segment: string): void {
    const u = this.state.url;
    const base = `${u}/${segment}`;
    sendJson(
      ctx.res,
      200,
      {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ["query", "fragment", "form_post"],
        subject_types_supported: ["pairwise"],
        id_token_signing_alg_values_supported: ["RS256"],
        response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
        scopes_supported: ["openid", "profile", "email", "offline_access"],
        issuer: this.state.issuerV2(tenant ? tenant.id : "{tenantid}"),
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${u}/oidc/userinfo`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: [
          "sub",
          "iss",
          "cloud_instance_name",
          "cloud_instance_host_name",
          "cloud_graph_host_name",
          "msgraph_host",
          "aud",
          "exp",
          "iat",
          "auth_time",
          "acr",
          "nonce",
          "preferred_username",
          "name",
          "tid",
          "ver",
          "at_hash",
          "c_hash",
          "email",
        ],
        kerberos_endpoint: `${base}/kerberos`,
        tenant_region_scope: tenant ? "EU" : null,
        cloud_instance_name: "microsoftonline.com",
        cloud_graph_host_name: "graph.windows.net",
        msgraph_host: "graph.microsoft.com",
        rbac_url: "https://pas.windows.net",
      },
      { ...corsHeaders(ctx.req), "Cache-Control": "max-age=86400, private" },
    );
  }

  private keys(ctx: HttpContext, tenant: TenantRecord | null): void {
    const issuer = this.state.issuerV2(tenant ? tenant.id : "{tenantid}");
    sendJson(
      ctx.res,
      200,
      { keys: [{ ...this.state.signingKey.jwk, issuer }] },
      { ...corsHeaders(ctx.req), "Cache-Control": "max-age=86400, private" },
    );
  }

  private logout(ctx: HttpContext): void {
    const to = ctx.url.searchParams.get("post_logout_redirect_uri");
    if (to) send(ctx.res, 302, null, { Location: to });
    else send(ctx.res, 200, htmlPage("Signed out", "<h1>You signed out of your account</h1>"), HTML);
  }
}
