/**
 * Continuous access evaluation with the real msal-node: a client that declares the cp1 capability gets
 * long-lived CAE Graph tokens; after a revocation Graph answers them with a claims challenge, and the
 * refresh with those claims is refused (interaction required). A client without cp1 keeps today's
 * behaviour: its access token works until it expires.
 */
import {
  ConfidentialClientApplication,
  InteractionRequiredAuthError,
  type AuthenticationResult,
} from "@azure/msal-node";
import { msalNetworkClient, pkcePair, startTestEmulator, type TestEmulator } from "./helpers";
import { SAMPLE_CLIENT_ID, SAMPLE_CLIENT_SECRET, SAMPLE_TENANT_ID, SAMPLE_USERS } from "../../emulator/sample-data";
import { decodeJwt } from "../../emulator/jwt";
import { declaresCp1 } from "../../emulator/state/cae";

const REDIRECT = "https://localhost:3000/auth/callback";
const SCOPES = ["https://graph.microsoft.com/Mail.Read", "https://graph.microsoft.com/User.Read"];

describe("CAE (cp1 clients) against the emulator", () => {
  let t: TestEmulator;
  const tokenBodies: string[] = [];
  beforeAll(async () => {
    t = await startTestEmulator();
  });
  afterAll(() => t.close());
  afterEach(() => {
    for (const id of Object.values(SAMPLE_USERS)) t.emulator.state.restoreGrant(id);
  });

  function app(capabilities: string[] | undefined): ConfidentialClientApplication {
    const net = msalNetworkClient(t.outbound);
    return new ConfidentialClientApplication({
      auth: {
        clientId: SAMPLE_CLIENT_ID,
        clientSecret: SAMPLE_CLIENT_SECRET,
        authority: `${t.emulator.url}/${SAMPLE_TENANT_ID}`,
        knownAuthorities: [`localhost:${t.emulator.port}`],
        clientCapabilities: capabilities,
      },
      system: {
        networkClient: {
          sendGetRequestAsync: (url, o) => net.sendGetRequestAsync(url, o),
          sendPostRequestAsync: (url, o) => {
            if (url.includes("/oauth2/v2.0/token")) tokenBodies.push(String(o?.body ?? ""));
            return net.sendPostRequestAsync(url, o);
          },
        },
      },
    });
  }

  async function signIn(cca: ConfidentialClientApplication, loginHint: string): Promise<AuthenticationResult> {
    const { verifier, challenge } = pkcePair();
    const url = await cca.getAuthCodeUrl({
      scopes: SCOPES,
      redirectUri: REDIRECT,
      codeChallenge: challenge,
      codeChallengeMethod: "S256",
      loginHint,
    });
    const loc = new URL((await t.outbound.fetch(url, { redirect: "manual" })).headers.get("location")!);
    return cca.acquireTokenByCode({
      code: loc.searchParams.get("code")!,
      scopes: SCOPES,
      redirectUri: REDIRECT,
      codeVerifier: verifier,
    });
  }

  const me = (token: string) =>
    t.outbound.fetch(`${t.emulator.url}/v1.0/me`, { headers: { Authorization: `Bearer ${token}` } });

  function parseChallenge(h: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const m of h.matchAll(/(\w+)="([^"]*)"/g)) out[m[1]] = m[2];
    return out;
  }

  it("msal-node sends the cp1 capability in `claims` on token requests; the emulator issues a long-lived CAE token", async () => {
    tokenBodies.length = 0;
    const res = await signIn(app(["cp1"]), "ada@contoso.com");
    const sent = new URLSearchParams(tokenBodies[0]).get("claims");
    expect(JSON.parse(sent!)).toMatchObject({ access_token: { xms_cc: { values: ["cp1"] } } });
    expect(declaresCp1(sent)).toBe(true);
    const at = decodeJwt(res.accessToken)!;
    expect(at.xms_cc).toEqual(["CP1"]);
    expect(Number(at.exp) - Number(at.iat)).toBe(86_399);
    expect(res.refreshOn).toBeDefined();
  });

  it("after a revocation Graph answers the CAE token with a claims challenge, and the refresh with those claims is refused", async () => {
    const cca = app(["cp1"]);
    const first = await signIn(cca, "ada@contoso.com");
    expect((await me(first.accessToken)).status).toBe(200);
    t.emulator.state.revokeGrant(SAMPLE_USERS.ada, 50173);
    const r = await me(first.accessToken);
    expect(r.status).toBe(401);
    const www = r.headers.get("www-authenticate")!;
    expect(www.startsWith("Bearer ")).toBe(true);
    const c = parseChallenge(www);
    expect(c).toMatchObject({
      realm: "",
      authorization_uri: `${t.emulator.url}/common/oauth2/authorize`,
      error: "insufficient_claims",
      client_id: "00000003-0000-0000-c000-000000000000",
    });
    const claims = Buffer.from(c.claims, "base64").toString("utf8");
    const parsed = JSON.parse(claims) as { access_token: { nbf: { essential: boolean; value: string } } };
    expect(parsed.access_token.nbf.essential).toBe(true);
    expect(Number(parsed.access_token.nbf.value)).toBeGreaterThanOrEqual(Number(decodeJwt(first.accessToken)!.iat));
    expect((await r.json()).error.code).toBe("InvalidAuthenticationToken");

    tokenBodies.length = 0;
    const err = await cca
      .acquireTokenSilent({ account: first.account!, scopes: SCOPES, claims })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    expect((err as InteractionRequiredAuthError).errorCode).toBe("invalid_grant");
    expect((err as InteractionRequiredAuthError).errorMessage).toContain("AADSTS50173:");
    // The refresh went to the token endpoint with the challenge's claims merged with cp1.
    const sent = JSON.parse(new URLSearchParams(tokenBodies[0]).get("claims")!);
    expect(sent.access_token).toMatchObject({ nbf: { essential: true }, xms_cc: { values: ["cp1"] } });

    // A fresh sign-in gets a token the revocation does not cover.
    const again = await signIn(cca, "ada@contoso.com");
    expect((await me(again.accessToken)).status).toBe(200);
  });

  it("a client without cp1 keeps its access token working after a revocation until it expires", async () => {
    const cca = app(undefined);
    const first = await signIn(cca, "ben@contoso.com");
    const at = decodeJwt(first.accessToken)!;
    expect(at.xms_cc).toBeUndefined();
    expect(Number(at.exp) - Number(at.iat)).toBe(3599);
    t.emulator.state.revokeGrant(SAMPLE_USERS.ben, 50173);
    expect((await me(first.accessToken)).status).toBe(200);
  });

  it("restoring the grant lifts the challenge; raw token requests may carry any claims", async () => {
    const cca = app(["cp1"]);
    const first = await signIn(cca, "cleo@contoso.com");
    t.emulator.state.revokeGrant(SAMPLE_USERS.cleo, 700082);
    expect((await me(first.accessToken)).status).toBe(401);
    t.emulator.state.restoreGrant(SAMPLE_USERS.cleo);
    expect((await me(first.accessToken)).status).toBe(200);
    const rt = Object.values(
      JSON.parse(cca.getTokenCache().serialize()).RefreshToken as Record<string, { secret: string }>,
    )[0].secret;
    const form = new URLSearchParams({
      client_id: SAMPLE_CLIENT_ID,
      client_secret: SAMPLE_CLIENT_SECRET,
      grant_type: "refresh_token",
      refresh_token: rt,
      scope: "User.Read",
      claims: "not json",
    });
    const r = await t.outbound.fetch(`${t.emulator.url}/${SAMPLE_TENANT_ID}/oauth2/v2.0/token`, {
      method: "POST",
      body: form,
    });
    expect(r.status).toBe(200);
    expect(decodeJwt(String((await r.json()).access_token))!.xms_cc).toBeUndefined();
  });
});
