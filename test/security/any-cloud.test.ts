/**
 * Any cloud: the product's token verifier against the emulator started as a national cloud whose tokens
 * name another host (`iss` https://login.partner.microsoftonline.cn/{tid}/v2.0) than the sign-in host.
 * The verifier learns the issuer from the authority's OpenID metadata, so the pane's tokens there are
 * accepted; a token whose issuer names the sign-in host is refused.
 */
import * as jose from "jose";
import { createTokenVerifier } from "../../server/identity/token-verifier";
import { signJwt } from "../../emulator/jwt";
import { authCodeTokens, startTestEmulator, type TestEmulator } from "../emulator/helpers";
import { SAMPLE_CLIENT_ID, SAMPLE_CLIENT_SECRET, SAMPLE_TENANT_ID, SAMPLE_USERS } from "../../emulator/sample-data";

const ISSUER_HOST = "login.partner.microsoftonline.cn";
const WEB = "https://localhost:3000/auth/callback";

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator({ issuerHost: ISSUER_HOST });
});
afterAll(() => t.close());

async function apiToken(): Promise<string> {
  const tokens = await authCodeTokens(t, {
    tenant: SAMPLE_TENANT_ID,
    clientId: SAMPLE_CLIENT_ID,
    clientSecret: SAMPLE_CLIENT_SECRET,
    redirectUri: WEB,
    loginHint: "ada@contoso.com",
    scope: `api://${SAMPLE_CLIENT_ID}/access_as_user openid`,
  });
  return String(tokens.access_token);
}

function verifierFor(tenant: string) {
  return createTokenVerifier({
    authorityHost: t.emulator.url,
    clientId: SAMPLE_CLIENT_ID,
    tenant,
    fetch: t.outbound.fetch,
  });
}

test.each(["organizations", SAMPLE_TENANT_ID])(
  "a token issued from another host than the sign-in host is accepted (ENTRA_TENANT=%s)",
  async (tenant) => {
    const token = await apiToken();
    expect(jose.decodeJwt(token).iss).toBe(`https://${ISSUER_HOST}/${SAMPLE_TENANT_ID}/v2.0`);
    const caller = await verifierFor(tenant).verify(`Bearer ${token}`);
    expect(caller).toMatchObject({ organizationId: SAMPLE_TENANT_ID, oid: SAMPLE_USERS.ada });
  },
);

test("a token naming the sign-in host as issuer is refused there, though signed with the authority's own key", async () => {
  // Exactly the token a verifier that built the issuer from the sign-in host would accept.
  const claims = jose.decodeJwt(await apiToken());
  const forged = signJwt(t.emulator.state.tokens.signingKey, {
    ...claims,
    iss: `${t.emulator.url}/${SAMPLE_TENANT_ID}/v2.0`,
  });
  await expect(verifierFor("organizations").verify(`Bearer ${forged}`)).rejects.toThrow(/issued by another authority/);
});
