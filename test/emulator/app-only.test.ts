/**
 * Client-credentials (app-only) tokens for our own API, as Entra issues them to an integration app: v2,
 * aud = the API's client id, azp = the caller, idtyp = app, oid = sub = its service principal, roles = the
 * app roles granted to it on the API (dataset or control API), no scp. Through msal-node and raw.
 */
import * as jose from "jose";
import { ConfidentialClientApplication } from "@azure/msal-node";
import { msalNetworkClient, startTestEmulator, type TestEmulator } from "./helpers";
import { SAMPLE_CLIENT_ID, SAMPLE_TENANT_ID } from "../../emulator/sample-data";
import { decodeJwt } from "../../emulator/jwt";

const CRM_ID = "7c7c7c7c-0000-4000-8000-0000000000c1";
const CRM_SECRET = "crm-secret";
const CRM_SP = "7c7c7c7c-0000-4000-8000-00000000005b";

describe("app-only tokens for our API (client credentials)", () => {
  let t: TestEmulator;
  beforeAll(async () => {
    t = await startTestEmulator();
    t.emulator.state.addApp({
      clientId: CRM_ID,
      clientSecret: CRM_SECRET,
      displayName: "Acme CRM",
      tenantId: SAMPLE_TENANT_ID,
      servicePrincipalId: CRM_SP,
      appRoleAssignments: [
        { resourceAppId: SAMPLE_CLIENT_ID, value: "Engagements.Read.All" },
        { resourceAppId: "another-api", value: "Other" },
      ],
    });
  });
  afterAll(() => t.close());

  const post = (form: Record<string, string>) =>
    t.outbound.fetch(`${t.emulator.url}/${SAMPLE_TENANT_ID}/oauth2/v2.0/token`, {
      method: "POST",
      body: new URLSearchParams(form),
    });

  it("msal-node acquireTokenByClientCredential gets a v2 app token with the app's roles on the API, verifiable with the JWKS", async () => {
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: CRM_ID,
        clientSecret: CRM_SECRET,
        authority: `${t.emulator.url}/${SAMPLE_TENANT_ID}`,
        knownAuthorities: [`localhost:${t.emulator.port}`],
      },
      system: { networkClient: msalNetworkClient(t.outbound) },
    });
    const res = await cca.acquireTokenByClientCredential({ scopes: [`api://${SAMPLE_CLIENT_ID}/.default`] });
    const jwks = jose.createRemoteJWKSet(new URL(`${t.emulator.url}/${SAMPLE_TENANT_ID}/discovery/v2.0/keys`), {
      [jose.customFetch]: t.outbound.fetch,
    });
    const { payload } = await jose.jwtVerify(res!.accessToken, jwks, {
      issuer: `${t.emulator.url}/${SAMPLE_TENANT_ID}/v2.0`,
      audience: SAMPLE_CLIENT_ID,
    });
    expect(payload).toMatchObject({
      aud: SAMPLE_CLIENT_ID,
      tid: SAMPLE_TENANT_ID,
      azp: CRM_ID,
      azpacr: "1",
      idtyp: "app",
      oid: CRM_SP,
      sub: CRM_SP,
      roles: ["Engagements.Read.All"],
      ver: "2.0",
    });
    expect(payload.scp).toBeUndefined();
  });

  it("the control API sets the app's roles; none granted → no roles claim", async () => {
    const put = (values: string[]) =>
      t.outbound.fetch(`${t.emulator.url}/_emulator/apps/${CRM_ID}/app-roles`, {
        method: "PUT",
        body: JSON.stringify({ resourceAppId: SAMPLE_CLIENT_ID, values }),
      });
    expect((await put(["Engagements.Read.All", "Engagements.ReadWrite.All"])).status).toBe(200);
    const form = {
      grant_type: "client_credentials",
      client_id: CRM_ID,
      client_secret: CRM_SECRET,
      scope: `api://${SAMPLE_CLIENT_ID}/.default`,
    };
    let claims = decodeJwt(String((await (await post(form)).json()).access_token))!;
    expect(claims.roles).toEqual(["Engagements.Read.All", "Engagements.ReadWrite.All"]);
    expect((await put([])).status).toBe(200);
    claims = decodeJwt(String((await (await post(form)).json()).access_token))!;
    expect(claims.roles).toBeUndefined();
    expect(claims.idtyp).toBe("app");
    expect(
      (
        await t.outbound.fetch(`${t.emulator.url}/_emulator/apps/${CRM_ID}/app-roles`, {
          method: "PUT",
          body: JSON.stringify({ values: "x" }),
        })
      ).status,
    ).toBe(400);
  });

  it("refuses an unknown resource (AADSTS500011) and a wrong secret (AADSTS7000215)", async () => {
    const unknown = await post({
      grant_type: "client_credentials",
      client_id: CRM_ID,
      client_secret: CRM_SECRET,
      scope: "api://00000000-1111-4222-8333-444444444444/.default",
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: "invalid_resource", error_codes: [500011] });
    const wrong = await post({
      grant_type: "client_credentials",
      client_id: CRM_ID,
      client_secret: "nope",
      scope: `api://${SAMPLE_CLIENT_ID}/.default`,
    });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error_codes).toEqual([7000215]);
  });
});
