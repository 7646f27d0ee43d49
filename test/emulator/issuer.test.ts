/**
 * OpenID metadata as Entra serves it, in any cloud: a tenant's document names its concrete issuer, the
 * multi-tenant aliases a `{tenantid}` template; the keys are the same at the tenant's jwks_uri and at the
 * tenant-independent /common/discovery/v2.0/keys; `issuerHost` makes tokens and metadata name another
 * issuer host than the sign-in host (Azure China), and msal-node still signs in.
 */
import * as jose from "jose";
import { ConfidentialClientApplication } from "@azure/msal-node";
import { authCodeTokens, msalNetworkClient, pkcePair, startTestEmulator, type TestEmulator } from "./helpers";
import { SAMPLE_CLIENT_ID, SAMPLE_CLIENT_SECRET, SAMPLE_TENANT_ID, SAMPLE_USERS } from "../../emulator/sample-data";
import { decodeJwt } from "../../emulator/jwt";
import { issuerOrigin } from "../../emulator/index";

const WEB = "https://localhost:3000/auth/callback";
const API_SCOPE = `api://${SAMPLE_CLIENT_ID}/access_as_user`;

async function json(t: TestEmulator, path: string): Promise<Record<string, unknown>> {
  const r = await t.outbound.fetch(`${t.emulator.url}${path}`);
  expect(r.status).toBe(200);
  return (await r.json()) as Record<string, unknown>;
}

describe("OpenID metadata (default cloud)", () => {
  let t: TestEmulator;
  beforeAll(async () => {
    t = await startTestEmulator();
  });
  afterAll(() => t.close());

  it("names the concrete issuer for a tenant and the {tenantid} template for organizations and common", async () => {
    const tenant = await json(t, `/${SAMPLE_TENANT_ID}/v2.0/.well-known/openid-configuration`);
    expect(tenant.issuer).toBe(`${t.emulator.url}/${SAMPLE_TENANT_ID}/v2.0`);
    expect(tenant.jwks_uri).toBe(`${t.emulator.url}/${SAMPLE_TENANT_ID}/discovery/v2.0/keys`);
    for (const alias of ["organizations", "common"]) {
      const doc = await json(t, `/${alias}/v2.0/.well-known/openid-configuration`);
      expect(doc.issuer).toBe(`${t.emulator.url}/{tenantid}/v2.0`);
      expect(doc.jwks_uri).toBe(`${t.emulator.url}/${alias}/discovery/v2.0/keys`);
    }
  });

  it("serves the same keys at the tenant's jwks_uri and at /common/discovery/v2.0/keys", async () => {
    const tenantKeys = (await json(t, `/${SAMPLE_TENANT_ID}/discovery/v2.0/keys`)).keys as Record<string, unknown>[];
    const commonKeys = (await json(t, `/common/discovery/v2.0/keys`)).keys as Record<string, unknown>[];
    expect(commonKeys.map((k) => k.kid)).toEqual(tenantKeys.map((k) => k.kid));
    expect(commonKeys.map((k) => k.n)).toEqual(tenantKeys.map((k) => k.n));
    expect(commonKeys[0].issuer).toBe(`${t.emulator.url}/{tenantid}/v2.0`);
    expect(tenantKeys[0].issuer).toBe(`${t.emulator.url}/${SAMPLE_TENANT_ID}/v2.0`);
  });
});

describe("a different issuer host (national cloud)", () => {
  let t: TestEmulator;
  const ISSUER_HOST = "login.partner.microsoftonline.cn";
  beforeAll(async () => {
    t = await startTestEmulator({ issuerHost: ISSUER_HOST });
  });
  afterAll(() => t.close());

  it("normalizes the option to an https origin", () => {
    expect(issuerOrigin("login.partner.microsoftonline.cn")).toBe("https://login.partner.microsoftonline.cn");
    expect(issuerOrigin("https://issuer.example:8443/")).toBe("https://issuer.example:8443");
  });

  it("names the issuer host in the metadata while every endpoint stays on the sign-in host", async () => {
    const tenant = await json(t, `/${SAMPLE_TENANT_ID}/v2.0/.well-known/openid-configuration`);
    expect(tenant.issuer).toBe(`https://${ISSUER_HOST}/${SAMPLE_TENANT_ID}/v2.0`);
    expect(tenant.token_endpoint).toBe(`${t.emulator.url}/${SAMPLE_TENANT_ID}/oauth2/v2.0/token`);
    expect(tenant.jwks_uri).toBe(`${t.emulator.url}/${SAMPLE_TENANT_ID}/discovery/v2.0/keys`);
    const orgs = await json(t, `/organizations/v2.0/.well-known/openid-configuration`);
    expect(orgs.issuer).toBe(`https://${ISSUER_HOST}/{tenantid}/v2.0`);
    const keys = (await json(t, `/common/discovery/v2.0/keys`)).keys as Record<string, unknown>[];
    expect(keys[0].issuer).toBe(`https://${ISSUER_HOST}/{tenantid}/v2.0`);
  });

  it("issues API tokens whose iss is the issuer host, verifiable with the metadata's issuer after {tenantid} substitution", async () => {
    const tokens = await authCodeTokens(t, {
      tenant: SAMPLE_TENANT_ID,
      clientId: SAMPLE_CLIENT_ID,
      clientSecret: SAMPLE_CLIENT_SECRET,
      redirectUri: WEB,
      loginHint: "ada@contoso.com",
      scope: `${API_SCOPE} openid`,
    });
    const claims = decodeJwt(String(tokens.access_token))!;
    expect(claims.iss).toBe(`https://${ISSUER_HOST}/${SAMPLE_TENANT_ID}/v2.0`);
    expect(decodeJwt(String(tokens.id_token))!.iss).toBe(`https://${ISSUER_HOST}/${SAMPLE_TENANT_ID}/v2.0`);
    const orgs = await json(t, `/organizations/v2.0/.well-known/openid-configuration`);
    const expected = String(orgs.issuer).replace("{tenantid}", String(claims.tid));
    const jwks = jose.createRemoteJWKSet(new URL(String(orgs.jwks_uri)), { [jose.customFetch]: t.outbound.fetch });
    const v = await jose.jwtVerify(String(tokens.access_token), jwks, { issuer: expected, audience: SAMPLE_CLIENT_ID });
    expect(v.payload.oid).toBe(SAMPLE_USERS.ada);
  });

  it("lets msal-node sign in against the sign-in host", async () => {
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: SAMPLE_CLIENT_ID,
        clientSecret: SAMPLE_CLIENT_SECRET,
        authority: `${t.emulator.url}/${SAMPLE_TENANT_ID}`,
        knownAuthorities: [`localhost:${t.emulator.port}`],
      },
      system: { networkClient: msalNetworkClient(t.outbound) },
    });
    const { verifier, challenge } = pkcePair();
    const scopes = ["https://graph.microsoft.com/User.Read"];
    const url = await cca.getAuthCodeUrl({
      scopes,
      redirectUri: WEB,
      codeChallenge: challenge,
      codeChallengeMethod: "S256",
      loginHint: "ada@contoso.com",
    });
    const loc = new URL((await t.outbound.fetch(url, { redirect: "manual" })).headers.get("location")!);
    const res = await cca.acquireTokenByCode({
      code: loc.searchParams.get("code")!,
      scopes,
      redirectUri: WEB,
      codeVerifier: verifier,
    });
    expect((res.idTokenClaims as Record<string, unknown>).iss).toBe(`https://${ISSUER_HOST}/${SAMPLE_TENANT_ID}/v2.0`);
    expect(res.tenantId).toBe(SAMPLE_TENANT_ID);
  });
});
