/**
 * The real @azure/msal-node ConfidentialClientApplication against the emulator over HTTPS:
 * auth-code URL → authorize (login_hint auto-approval) → acquireTokenByCode → silent refresh after
 * expiry with refresh-token rotation → revoked grant surfaces as InteractionRequiredAuthError.
 */
import {
  ConfidentialClientApplication,
  InteractionRequiredAuthError,
  type AuthenticationResult,
} from "@azure/msal-node";
import { msalNetworkClient, startTestEmulator, type TestEmulator } from "./helpers";
import { SAMPLE_CLIENT_ID, SAMPLE_CLIENT_SECRET, SAMPLE_TENANT_ID, SAMPLE_USERS } from "../../emulator/sample-data";
import { decodeJwt } from "../../emulator/jwt";

const REDIRECT = "https://localhost:3000/auth/callback";
const SCOPES = ["https://graph.microsoft.com/Mail.Read", "https://graph.microsoft.com/User.Read"];

describe("msal-node against the emulator", () => {
  let t: TestEmulator;
  // One clock for MSAL (new Date()) and the emulator, so "after expiry" is after expiry for both:
  // only Date is faked; timers and I/O stay real.
  const advance = (ms: number) => jest.setSystemTime(new Date(Date.now() + ms));
  beforeAll(async () => {
    jest.useFakeTimers({
      now: new Date(),
      doNotFake: [
        "hrtime",
        "nextTick",
        "performance",
        "queueMicrotask",
        "setImmediate",
        "clearImmediate",
        "setInterval",
        "clearInterval",
        "setTimeout",
        "clearTimeout",
      ],
    });
    t = await startTestEmulator({ clock: { now: () => new Date() } });
  });
  afterAll(async () => {
    jest.useRealTimers();
    await t.close();
  });

  function app(): ConfidentialClientApplication {
    return new ConfidentialClientApplication({
      auth: {
        clientId: SAMPLE_CLIENT_ID,
        clientSecret: SAMPLE_CLIENT_SECRET,
        authority: `${t.emulator.url}/${SAMPLE_TENANT_ID}`,
        knownAuthorities: [`localhost:${t.emulator.port}`],
      },
      system: { networkClient: msalNetworkClient(t.outbound) },
    });
  }

  async function signIn(cca: ConfidentialClientApplication, loginHint: string): Promise<AuthenticationResult> {
    const { verifier, challenge } = await import("./helpers").then((h) => h.pkcePair());
    const url = await cca.getAuthCodeUrl({
      scopes: SCOPES,
      redirectUri: REDIRECT,
      codeChallenge: challenge,
      codeChallengeMethod: "S256",
      loginHint,
      state: "st-1",
      nonce: "n-1",
    } as never);
    const r = await t.outbound.fetch(url, { redirect: "manual" });
    expect(r.status).toBe(302);
    const loc = new URL(r.headers.get("location")!);
    expect(loc.origin + loc.pathname).toBe(REDIRECT);
    expect(loc.searchParams.get("state")).toBe("st-1");
    // msal-node 7 checks the id_token nonce against the request's nonce, and state against the payload's.
    const code = loc.searchParams.get("code")!;
    return cca.acquireTokenByCode(
      { code, scopes: SCOPES, redirectUri: REDIRECT, codeVerifier: verifier, nonce: "n-1", state: "st-1" },
      { code, state: loc.searchParams.get("state")! },
    );
  }

  it("signs in with auth code + PKCE and gets Entra-shaped tokens", async () => {
    const cca = app();
    const res = await signIn(cca, "ada@contoso.onmicrosoft.com");
    expect(res.account?.homeAccountId).toBe(`${SAMPLE_USERS.ada}.${SAMPLE_TENANT_ID}`);
    expect(res.account?.username).toBe("ada@contoso.onmicrosoft.com");
    expect(res.tenantId).toBe(SAMPLE_TENANT_ID);
    expect(res.uniqueId).toBe(SAMPLE_USERS.ada);
    const id = res.idTokenClaims as Record<string, unknown>;
    expect(id).toMatchObject({
      aud: SAMPLE_CLIENT_ID,
      iss: `${t.emulator.url}/${SAMPLE_TENANT_ID}/v2.0`,
      tid: SAMPLE_TENANT_ID,
      oid: SAMPLE_USERS.ada,
      nonce: "n-1",
      ver: "2.0",
    });
    const at = decodeJwt(res.accessToken)!;
    expect(at.aud).toBe("https://graph.microsoft.com");
    expect(String(at.scp).split(" ")).toEqual(expect.arrayContaining(["Mail.Read", "User.Read"]));
  });

  it("refreshes silently after expiry, rotating the refresh token (old one stays valid)", async () => {
    const cca = app();
    const first = await signIn(cca, "ada@contoso.onmicrosoft.com");
    const rtBefore = Object.values(
      JSON.parse(cca.getTokenCache().serialize()).RefreshToken as Record<string, { secret: string }>,
    )[0].secret;
    // Before expiry MSAL answers from its cache.
    const cached = await cca.acquireTokenSilent({ account: first.account!, scopes: SCOPES });
    expect(cached.accessToken).toBe(first.accessToken);
    const tokenCallsBefore = t.emulator.state.requestCounts(SAMPLE_USERS.ada).byKind.token;
    advance(2 * 3600_000);
    const refreshed = await cca.acquireTokenSilent({ account: first.account!, scopes: SCOPES });
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(t.emulator.state.requestCounts(SAMPLE_USERS.ada).byKind.token).toBe(tokenCallsBefore + 1);
    const rtAfter = Object.values(
      JSON.parse(cca.getTokenCache().serialize()).RefreshToken as Record<string, { secret: string }>,
    )[0].secret;
    expect(rtAfter).not.toBe(rtBefore);
    // Entra does not revoke the previous refresh token on rotation.
    const form = new URLSearchParams({
      client_id: SAMPLE_CLIENT_ID,
      client_secret: SAMPLE_CLIENT_SECRET,
      grant_type: "refresh_token",
      refresh_token: rtBefore,
      scope: "User.Read offline_access",
    });
    const old = await t.outbound.fetch(`${t.emulator.url}/${SAMPLE_TENANT_ID}/oauth2/v2.0/token`, {
      method: "POST",
      body: form,
    });
    expect(old.status).toBe(200);
  });

  it.each([
    [700082, "bad_token"],
    [50173, "bad_token"],
    [65001, "consent_required"],
  ] as const)("a revoked grant (AADSTS%s) makes acquireTokenSilent require interaction", async (code, suberror) => {
    const cca = app();
    const first = await signIn(cca, "ben@contoso.onmicrosoft.com");
    t.emulator.state.revokeGrant(SAMPLE_USERS.ben, code);
    advance(2 * 3600_000);
    const err = await cca.acquireTokenSilent({ account: first.account!, scopes: SCOPES }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    const e = err as InteractionRequiredAuthError;
    expect(e.errorCode).toBe("invalid_grant");
    expect(e.subError).toBe(suberror);
    expect(e.errorMessage).toContain(`AADSTS${code}:`);
    // Reconnecting (a fresh interactive sign-in) restores the grant.
    const again = await signIn(cca, "ben@contoso.onmicrosoft.com");
    expect(again.accessToken).toBeTruthy();
  });
});
