/**
 * `GET /{tenant}/oauth2/v2.0/authorize`: authorization code with PKCE (S256). With a `login_hint` of a
 * known user the request is approved at once; without one a person picks an account on a page whose
 * links repeat the request with that hint (or cancel it).
 */
import crypto from "node:crypto";
import { type HttpContext, escapeHtml, send } from "../http";
import type { AppRecord, EmulatorState, TenantRecord } from "../state";
import { HTML, htmlPage } from "./pages";
import { planScopes } from "./scopes";

type Reply = (params: Record<string, string>) => void;

/** Answer to the redirect URI in the requested response mode (query, fragment or form_post), with `state`. */
function replier(ctx: HttpContext, redirectUri: string): Reply {
  const q = ctx.url.searchParams;
  const state = q.get("state");
  const responseMode = q.get("response_mode") ?? "query";
  return (params) => {
    if (state !== null) params.state = state;
    if (responseMode === "form_post") {
      const inputs = Object.entries(params)
        .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
        .join("");
      return void send(
        ctx.res,
        200,
        htmlPage(
          "Working...",
          `<form method="POST" name="hiddenform" action="${escapeHtml(redirectUri)}">${inputs}<noscript><button>Continue</button></noscript></form><script>document.forms[0].submit()</script>`,
        ),
        HTML,
      );
    }
    const target = new URL(redirectUri);
    const enc = new URLSearchParams(params).toString();
    if (responseMode === "fragment") target.hash = enc;
    else for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
    send(ctx.res, 302, null, { Location: target.toString() });
  };
}

/** A person picks an account; each link repeats the request with login_hint (auto-approval). */
function accountPicker(st: EmulatorState, ctx: HttpContext, tenant: TenantRecord | null, app: AppRecord): void {
  const users = [...st.users.values()].filter((u) => !tenant || u.tenantId === tenant.id);
  const link = (extra: Record<string, string>) => {
    const u = new URL(ctx.url.toString());
    for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
    return `${u.pathname}${u.search}`;
  };
  const items = users
    .map(
      (u) =>
        `<a class="user" href="${escapeHtml(link({ login_hint: u.userPrincipalName }))}"><b>${escapeHtml(u.displayName)}</b><br><small>${escapeHtml(u.userPrincipalName)}</small></a>`,
    )
    .join("");
  send(
    ctx.res,
    200,
    htmlPage(
      "Sign in to your account",
      `<h1>Pick an account</h1><p><small>Microsoft 365 emulator — ${escapeHtml(app.displayName)} wants to access your mailbox.</small></p>${items || "<p>No users in this tenant.</p>"}<p><a href="${escapeHtml(link({ emulator_action: "cancel" }))}">Cancel</a></p>`,
    ),
    HTML,
  );
}

export function clientInfo(oid: string, tid: string): string {
  return Buffer.from(JSON.stringify({ uid: oid, utid: tid })).toString("base64url");
}

export function authorize(st: EmulatorState, ctx: HttpContext, tenant: TenantRecord | null): void {
  const q = ctx.url.searchParams;
  st.count(null, "authorize");
  const clientId = q.get("client_id") ?? "";
  const app = st.apps.get(clientId);
  const errorPage = (code: number, msg: string) =>
    send(
      ctx.res,
      400,
      htmlPage(
        "Sign in",
        `<h1>Sorry, but we're having trouble signing you in.</h1><p>AADSTS${code}: ${escapeHtml(msg)}</p>`,
      ),
      HTML,
    );
  if (!app)
    return void errorPage(
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant?.displayName ?? "common"}'.`,
    );
  const redirectUri = q.get("redirect_uri") ?? "";
  const spa = app.spaRedirectUris.includes(redirectUri);
  if (!spa && !app.redirectUris.includes(redirectUri)) {
    return void errorPage(
      50011,
      `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`,
    );
  }
  const reply = replier(ctx, redirectUri);
  const fail = (error: string, code: number, msg: string) =>
    reply({
      error,
      error_description: `AADSTS${code}: ${msg}\r\nTrace ID: ${crypto.randomUUID()}\r\nCorrelation ID: ${crypto.randomUUID()}\r\nTimestamp: ${st.now().toISOString()}`,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    });

  if (q.get("response_type") !== "code")
    return void fail(
      "unsupported_response_type",
      700054,
      "response_type 'id_token' is not enabled for the application.",
    );
  const challenge = q.get("code_challenge");
  const method = q.get("code_challenge_method") ?? "plain";
  if (!challenge)
    return void fail(
      "invalid_request",
      9002325,
      "Proof Key for Code Exchange is required for cross-origin authorization code redemption.",
    );
  if (method !== "S256")
    return void fail("invalid_request", 9002326, "Only the S256 code challenge method is supported.");
  const scopes = (q.get("scope") ?? "").split(/\s+/).filter(Boolean);
  const plan = planScopes(scopes);
  if ("error" in plan)
    return void fail(
      "invalid_scope",
      28000,
      "Provided value for the input parameter scope is not valid because it contains more than one resource.",
    );
  if (q.get("emulator_action") === "cancel")
    return void fail("access_denied", 65004, "User declined to consent to access the app.");

  const hint = q.get("login_hint");
  const user = hint ? st.findUserByLogin(hint, tenant?.id) : undefined;
  if (!user) {
    if (q.get("prompt") === "none")
      return void fail("login_required", 50058, "A silent sign-in request was sent but no user is signed in.");
    return accountPicker(st, ctx, tenant, app);
  }
  const code = `1.AQ${crypto.randomBytes(64).toString("base64url")}`;
  st.authCodes.set(code, {
    clientId,
    userId: user.id,
    tenantId: user.tenantId,
    redirectUri,
    spa,
    scopes,
    codeChallenge: challenge,
    codeChallengeMethod: method,
    nonce: q.get("nonce") ?? undefined,
    expiresAt: st.now().getTime() + 10 * 60_000,
    redeemed: false,
  });
  const params: Record<string, string> = { code };
  if (q.get("client_info") === "1") params.client_info = clientInfo(user.id, user.tenantId);
  params.session_state = crypto.randomUUID();
  reply(params);
}
