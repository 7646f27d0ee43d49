/**
 * Entra v2 endpoints beyond the msal-node flow: discovery and JWKS (verified with jose, as the API
 * does), API tokens (access_as_user), OBO, client credentials, SPA redemption with CORS, and the
 * AADSTS error bodies.
 */
import * as jose from "jose";
import { authCodeTokens, pkcePair, startTestEmulator, type TestEmulator } from "./helpers";
import { SAMPLE_CLIENT_ID, SAMPLE_CLIENT_SECRET, SAMPLE_TENANT_ID, SAMPLE_USERS } from "../../emulator/sample-data";
import { decodeJwt } from "../../emulator/jwt";
import { generateMailbox } from "../../emulator/generator";

const WEB = "https://localhost:3000/auth/callback";
const SPA = "https://localhost:3000/auth.html";
const API_SCOPE = `api://${SAMPLE_CLIENT_ID}/access_as_user`;

describe("Entra v2 emulation", () => {
  let t: TestEmulator;
  beforeAll(async () => {
    t = await startTestEmulator();
  });
  afterAll(() => t.close());

  const post = (form: Record<string, string>, headers: Record<string, string> = {}, tenant = SAMPLE_TENANT_ID) =>
    t.outbound.fetch(`${t.emulator.url}/${tenant}/oauth2/v2.0/token`, {
      method: "POST",
      body: new URLSearchParams(form),
      headers,
    });

  it("serves tenant and multi-tenant discovery documents", async () => {
    const byName = await (
      await t.outbound.fetch(`${t.emulator.url}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration`)
    ).json();
    expect(byName.issuer).toBe(`${t.emulator.url}/${SAMPLE_TENANT_ID}/v2.0`);
    expect(byName.token_endpoint).toBe(`${t.emulator.url}/${SAMPLE_TENANT_ID}/oauth2/v2.0/token`);
    const orgs = await (
      await t.outbound.fetch(`${t.emulator.url}/organizations/v2.0/.well-known/openid-configuration`)
    ).json();
    expect(orgs.issuer).toBe(`${t.emulator.url}/{tenantid}/v2.0`);
    expect(orgs.authorization_endpoint).toBe(`${t.emulator.url}/organizations/oauth2/v2.0/authorize`);
    const unknown = await t.outbound.fetch(`${t.emulator.url}/nope.example/v2.0/.well-known/openid-configuration`);
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).error_codes).toEqual([90002]);
  });

  it("issues v2 API tokens (access_as_user) that verify against the JWKS with jose", async () => {
    const tokens = await authCodeTokens(t, {
      tenant: SAMPLE_TENANT_ID,
      clientId: SAMPLE_CLIENT_ID,
      clientSecret: SAMPLE_CLIENT_SECRET,
      redirectUri: WEB,
      loginHint: "ada@contoso.com",
      scope: `${API_SCOPE} openid offline_access`,
    });
    expect(tokens).toMatchObject({
      token_type: "Bearer",
      scope: `${API_SCOPE} openid`,
      expires_in: 3599,
      ext_expires_in: 3599,
    });
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.id_token).toBeTruthy();
    expect(tokens.client_info).toBeUndefined();
    const jwks = jose.createRemoteJWKSet(new URL(`${t.emulator.url}/${SAMPLE_TENANT_ID}/discovery/v2.0/keys`), {
      [jose.customFetch]: t.outbound.fetch,
    });
    const { payload, protectedHeader } = await jose.jwtVerify(String(tokens.access_token), jwks, {
      issuer: `${t.emulator.url}/${SAMPLE_TENANT_ID}/v2.0`,
      audience: SAMPLE_CLIENT_ID,
    });
    expect(protectedHeader.alg).toBe("RS256");
    expect(payload).toMatchObject({
      scp: "access_as_user",
      tid: SAMPLE_TENANT_ID,
      oid: SAMPLE_USERS.ada,
      preferred_username: "ada@contoso.onmicrosoft.com",
      name: "Ada Lovelace",
      azp: SAMPLE_CLIENT_ID,
      ver: "2.0",
    });
    // mintAccessToken makes the same kind of token, with overrides for negative tests.
    const minted = t.emulator.state.mintAccessToken({
      userId: SAMPLE_USERS.ada,
      clientId: SAMPLE_CLIENT_ID,
      audience: SAMPLE_CLIENT_ID,
      scopes: ["access_as_user"],
      overrides: { tid: "other" },
    });
    const v = await jose.jwtVerify(minted, jwks, { audience: SAMPLE_CLIENT_ID });
    expect(v.payload.tid).toBe("other");
  });

  it("puts a user's app roles on the API in the roles claim of that API's tokens only (never Graph's); the control API assigns them", async () => {
    const put = (values: string[], resourceAppId = SAMPLE_CLIENT_ID) =>
      t.outbound.fetch(`${t.emulator.url}/_emulator/users/${SAMPLE_USERS.ada}/app-roles`, {
        method: "PUT",
        body: JSON.stringify({ resourceAppId, values }),
      });
    expect((await put(["Capture.Admin"])).status).toBe(200);
    expect((await put(["Other.Role"], "another-api")).status).toBe(200);
    try {
      const tokens = await authCodeTokens(t, {
        tenant: SAMPLE_TENANT_ID,
        clientId: SAMPLE_CLIENT_ID,
        clientSecret: SAMPLE_CLIENT_SECRET,
        redirectUri: WEB,
        loginHint: "ada@contoso.com",
        scope: `${API_SCOPE} openid offline_access`,
      });
      expect(decodeJwt(String(tokens.access_token))!.roles).toEqual(["Capture.Admin"]);
      const graph = t.emulator.state.mintAccessToken({
        userId: SAMPLE_USERS.ada,
        clientId: SAMPLE_CLIENT_ID,
        audience: "https://graph.microsoft.com",
        scopes: ["Mail.Read"],
      });
      expect(decodeJwt(graph)!.roles).toBeUndefined();
      // Someone without an assignment gets no roles claim at all, as in Entra.
      expect(
        decodeJwt(
          t.emulator.state.mintAccessToken({
            userId: SAMPLE_USERS.ben,
            clientId: SAMPLE_CLIENT_ID,
            audience: SAMPLE_CLIENT_ID,
            scopes: ["access_as_user"],
          }),
        )!.roles,
      ).toBeUndefined();
      const bad = await t.outbound.fetch(`${t.emulator.url}/_emulator/users/${SAMPLE_USERS.ada}/app-roles`, {
        method: "PUT",
        body: JSON.stringify({ resourceAppId: SAMPLE_CLIENT_ID, values: [1] }),
      });
      expect(bad.status).toBe(400);
      const noApp = await t.outbound.fetch(`${t.emulator.url}/_emulator/users/${SAMPLE_USERS.ada}/app-roles`, {
        method: "PUT",
        body: JSON.stringify({ values: ["x"] }),
      });
      expect(noApp.status).toBe(400);
    } finally {
      await put([]);
      await put([], "another-api");
    }
    expect(
      decodeJwt(
        t.emulator.state.mintAccessToken({
          userId: SAMPLE_USERS.ada,
          clientId: SAMPLE_CLIENT_ID,
          audience: SAMPLE_CLIENT_ID,
          scopes: ["access_as_user"],
        }),
      )!.roles,
    ).toBeUndefined();
  });

  it("exchanges an API token on behalf of the user for a Graph token", async () => {
    const assertion = t.emulator.state.mintAccessToken({
      userId: SAMPLE_USERS.ada,
      clientId: SAMPLE_CLIENT_ID,
      audience: SAMPLE_CLIENT_ID,
      scopes: ["access_as_user"],
    });
    const r = await post({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      client_id: SAMPLE_CLIENT_ID,
      client_secret: SAMPLE_CLIENT_SECRET,
      assertion,
      scope: "https://graph.microsoft.com/Mail.Read offline_access",
      requested_token_use: "on_behalf_of",
    });
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.refresh_token).toBeTruthy();
    expect(decodeJwt(body.access_token)).toMatchObject({
      aud: "https://graph.microsoft.com",
      oid: SAMPLE_USERS.ada,
      scp: "Mail.Read",
    });
    const graphToken = t.emulator.state.mintAccessToken({
      userId: SAMPLE_USERS.ada,
      clientId: SAMPLE_CLIENT_ID,
      audience: "https://graph.microsoft.com",
      scopes: ["Mail.Read"],
    });
    const wrongAud = await post({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      client_id: SAMPLE_CLIENT_ID,
      client_secret: SAMPLE_CLIENT_SECRET,
      assertion: graphToken,
      scope: "Mail.Read",
      requested_token_use: "on_behalf_of",
    });
    expect(wrongAud.status).toBe(400);
  });

  it("client credentials: /.default only, app-only token", async () => {
    const r = await post({
      grant_type: "client_credentials",
      client_id: SAMPLE_CLIENT_ID,
      client_secret: SAMPLE_CLIENT_SECRET,
      scope: "https://graph.microsoft.com/.default",
    });
    const body = await r.json();
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3599 });
    expect(body.refresh_token).toBeUndefined();
    expect(decodeJwt(body.access_token)).toMatchObject({
      idtyp: "app",
      tid: SAMPLE_TENANT_ID,
      appid: SAMPLE_CLIENT_ID,
    });
    const bad = await post({
      grant_type: "client_credentials",
      client_id: SAMPLE_CLIENT_ID,
      client_secret: SAMPLE_CLIENT_SECRET,
      scope: "Mail.Read",
    });
    expect((await bad.json()).error_codes).toEqual([1002012]);
  });

  it("SPA redirect: redeemed without a secret only cross-origin, with CORS headers", async () => {
    const { verifier, challenge } = pkcePair();
    const q = new URLSearchParams({
      client_id: SAMPLE_CLIENT_ID,
      response_type: "code",
      redirect_uri: SPA,
      scope: `${API_SCOPE} openid offline_access`,
      code_challenge: challenge,
      code_challenge_method: "S256",
      login_hint: "ben@contoso.com",
      client_info: "1",
    });
    const a = await t.outbound.fetch(`${t.emulator.url}/${SAMPLE_TENANT_ID}/oauth2/v2.0/authorize?${q}`, {
      redirect: "manual",
    });
    const loc = new URL(a.headers.get("location")!);
    const form = {
      client_id: SAMPLE_CLIENT_ID,
      grant_type: "authorization_code",
      code: loc.searchParams.get("code")!,
      redirect_uri: SPA,
      code_verifier: verifier,
      client_info: "1",
    };
    const noOrigin = await post(form);
    expect((await noOrigin.json()).error_codes).toEqual([9002327]);
    // Rejected attempts do not consume the code.
    const r = await post(form, { Origin: "https://localhost:3000" });
    expect(r.status).toBe(200);
    expect(r.headers.get("access-control-allow-origin")).toBe("https://localhost:3000");
    const body = await r.json();
    expect(JSON.parse(Buffer.from(body.client_info, "base64url").toString())).toEqual({
      uid: SAMPLE_USERS.ben,
      utid: SAMPLE_TENANT_ID,
    });
    expect(body.refresh_token_expires_in).toBeGreaterThan(0);
  });

  it("AADSTS bodies: wrong secret, PKCE mismatch, code reuse, revoked grant", async () => {
    const { verifier, challenge } = pkcePair();
    const q = new URLSearchParams({
      client_id: SAMPLE_CLIENT_ID,
      response_type: "code",
      redirect_uri: WEB,
      scope: "Mail.Read offline_access",
      code_challenge: challenge,
      code_challenge_method: "S256",
      login_hint: "ada@contoso.com",
      state: "x",
    });
    const a = await t.outbound.fetch(`${t.emulator.url}/${SAMPLE_TENANT_ID}/oauth2/v2.0/authorize?${q}`, {
      redirect: "manual",
    });
    const code = new URL(a.headers.get("location")!).searchParams.get("code")!;
    const base = { client_id: SAMPLE_CLIENT_ID, grant_type: "authorization_code", code, redirect_uri: WEB };
    const wrongSecret = await post({ ...base, client_secret: "nope", code_verifier: "x" });
    expect(wrongSecret.status).toBe(401);
    const ws = await wrongSecret.json();
    expect(ws).toMatchObject({ error: "invalid_client", error_codes: [7000215] });
    expect(ws.error_description).toMatch(
      /^AADSTS7000215: .*\r\nTrace ID: [0-9a-f-]+\r\nCorrelation ID: [0-9a-f-]+\r\nTimestamp: /,
    );
    for (const k of ["timestamp", "trace_id", "correlation_id", "error_uri"]) expect(ws[k]).toBeTruthy();
    const pkce = await post({ ...base, client_secret: SAMPLE_CLIENT_SECRET, code_verifier: "not-the-verifier" });
    expect((await pkce.json()).error_codes).toEqual([501481]);
    expect((await post({ ...base, client_secret: SAMPLE_CLIENT_SECRET, code_verifier: verifier })).status).toBe(200);
    expect(
      (await (await post({ ...base, client_secret: SAMPLE_CLIENT_SECRET, code_verifier: verifier })).json())
        .error_codes,
    ).toEqual([54005]);

    const tokens = await authCodeTokens(t, {
      tenant: SAMPLE_TENANT_ID,
      clientId: SAMPLE_CLIENT_ID,
      clientSecret: SAMPLE_CLIENT_SECRET,
      redirectUri: WEB,
      loginHint: "ben@contoso.com",
      scope: "Mail.Read offline_access",
    });
    t.emulator.state.revokeGrant(SAMPLE_USERS.ben, 65001);
    const r = await post({
      client_id: SAMPLE_CLIENT_ID,
      client_secret: SAMPLE_CLIENT_SECRET,
      grant_type: "refresh_token",
      refresh_token: String(tokens.refresh_token),
      scope: "Mail.Read",
    });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({
      error: "invalid_grant",
      error_codes: [65001],
      suberror: "consent_required",
    });
    // A sign-in after the revocation (here the same app; the pane's own sign-in alike) gets tokens that work,
    // but does not revive the refresh token from before: that still needs Reconnect, as in Entra.
    const fresh = await authCodeTokens(t, {
      tenant: SAMPLE_TENANT_ID,
      clientId: SAMPLE_CLIENT_ID,
      clientSecret: SAMPLE_CLIENT_SECRET,
      redirectUri: WEB,
      loginHint: "ben@contoso.com",
      scope: "Mail.Read offline_access",
    });
    const refresh = (rt: unknown) =>
      post({
        client_id: SAMPLE_CLIENT_ID,
        client_secret: SAMPLE_CLIENT_SECRET,
        grant_type: "refresh_token",
        refresh_token: String(rt),
        scope: "Mail.Read",
      });
    expect((await refresh(fresh.refresh_token)).status).toBe(200);
    expect((await (await refresh(tokens.refresh_token)).json()).error_codes).toEqual([65001]);
    t.emulator.state.restoreGrant(SAMPLE_USERS.ben);
    expect((await refresh(tokens.refresh_token)).status).toBe(200);
  });

  it("shows a sign-in page listing the tenant's users when there is no login_hint", async () => {
    const { challenge } = pkcePair();
    const q = new URLSearchParams({
      client_id: SAMPLE_CLIENT_ID,
      response_type: "code",
      redirect_uri: WEB,
      scope: "Mail.Read",
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    const r = await t.outbound.fetch(`${t.emulator.url}/${SAMPLE_TENANT_ID}/oauth2/v2.0/authorize?${q}`);
    const html = await r.text();
    expect(r.headers.get("content-type")).toContain("text/html");
    expect(html).toContain("ada@contoso.onmicrosoft.com");
    expect(html).toContain("login_hint=ben%40contoso.onmicrosoft.com");
    const noPkce = await t.outbound.fetch(
      `${t.emulator.url}/${SAMPLE_TENANT_ID}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: SAMPLE_CLIENT_ID, response_type: "code", redirect_uri: WEB, scope: "Mail.Read", login_hint: "ada@contoso.com" })}`,
      { redirect: "manual" },
    );
    expect(new URL(noPkce.headers.get("location")!).searchParams.get("error")).toBe("invalid_request");
    const badRedirect = await t.outbound.fetch(
      `${t.emulator.url}/${SAMPLE_TENANT_ID}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: SAMPLE_CLIENT_ID, response_type: "code", redirect_uri: "https://evil.example/cb", scope: "Mail.Read" })}`,
      { redirect: "manual" },
    );
    expect(badRedirect.status).toBe(400);
    expect(await badRedirect.text()).toContain("AADSTS50011");
  });

  it("control API: add a message over HTTP and read counts", async () => {
    const r = await t.outbound.fetch(`${t.emulator.url}/_emulator/users/${SAMPLE_USERS.ben}/messages`, {
      method: "POST",
      body: JSON.stringify({
        subject: "via control",
        from: "x@y.example",
        to: ["ben@contoso.com"],
        receivedDateTime: "-5m",
      }),
    });
    expect(r.status).toBe(201);
    const m = await r.json();
    expect(m.internetMessageId).toBeTruthy();
    expect(t.emulator.state.getMessages(SAMPLE_USERS.ben).some((x) => x.subject === "via control")).toBe(true);
    const c = await (await t.outbound.fetch(`${t.emulator.url}/_emulator/users/${SAMPLE_USERS.ben}/counts`)).json();
    expect(c.byKind).toHaveProperty("list");
    const f = await t.outbound.fetch(`${t.emulator.url}/_emulator/faults`, {
      method: "POST",
      body: JSON.stringify({ status: 503, count: 1, match: { path: "/me" } }),
    });
    expect((await f.json()).id).toBeGreaterThan(0);
    await t.outbound.fetch(`${t.emulator.url}/_emulator/faults`, { method: "DELETE" });
  });
});

describe("generateMailbox", () => {
  it("makes N users × M messages/day with the requested tracked share, deterministically", () => {
    const a = generateMailbox({
      tenantId: SAMPLE_TENANT_ID,
      users: 3,
      messagesPerDay: 200,
      trackedShare: 0.25,
      seed: 7,
    });
    const b = generateMailbox({
      tenantId: SAMPLE_TENANT_ID,
      users: 3,
      messagesPerDay: 200,
      trackedShare: 0.25,
      seed: 7,
    });
    expect(a).toEqual(b);
    expect(a.users).toHaveLength(3);
    expect(a.dataset.messages).toHaveLength(600);
    const tracked = new Set(a.trackedContacts);
    const withTracked = a.dataset.messages!.filter((m) =>
      [m.from, ...(m.to ?? [])].some((x) => typeof x === "string" && tracked.has(x)),
    ).length;
    expect(withTracked / 600).toBeGreaterThan(0.18);
    expect(withTracked / 600).toBeLessThan(0.32);
    expect(a.dataset.messages!.some((m) => m.meetingMessageType)).toBe(true);
  });
});

describe("identity faults", () => {
  it("answers an injected 503 at the token endpoint with an AADSTS body and Retry-After", async () => {
    const t = await startTestEmulator();
    try {
      t.emulator.state.injectFault({
        status: 503,
        retryAfterSeconds: 5,
        count: 1,
        match: { area: "identity", path: "/oauth2/v2.0/token" },
      });
      const r = await t.outbound.fetch(`${t.emulator.url}/${SAMPLE_TENANT_ID}/oauth2/v2.0/token`, {
        method: "POST",
        body: new URLSearchParams({ grant_type: "client_credentials" }),
      });
      expect(r.status).toBe(503);
      expect(r.headers.get("retry-after")).toBe("5");
      expect((await r.json()).error).toBe("temporarily_unavailable");
    } finally {
      await t.close();
    }
  });
});
