/**
 * `GET /v1.0/organization` under delegated User.Read: the caller's tenant with id, displayName and
 * verifiedDomains (capabilities one comma-separated string), every other property null; domains from the
 * dataset or derived from the tenant's users.
 */
import { startTestEmulator, type TestEmulator } from "./helpers";
import { SAMPLE_CLIENT_ID, SAMPLE_TENANT_ID, SAMPLE_USERS } from "../../emulator/sample-data";
import { DANA_ID, demoDataset, DEMO_TENANT_ID } from "../../emulator/demo/dataset";

describe("GET /organization", () => {
  let t: TestEmulator;
  beforeAll(async () => {
    t = await startTestEmulator();
  });
  afterAll(() => t.close());

  const get = (userId: string, scopes: string[], path = "/v1.0/organization") => {
    const token = t.emulator.state.mintAccessToken({
      userId,
      clientId: SAMPLE_CLIENT_ID,
      audience: "https://graph.microsoft.com",
      scopes,
    });
    return t.outbound.fetch(`${t.emulator.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  };

  it("answers the signed-in user's tenant with its verified domains (User.Read is enough)", async () => {
    const r = await get(SAMPLE_USERS.ada, ["User.Read"]);
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body["@odata.context"]).toBe(`${t.emulator.url}/v1.0/$metadata#organization`);
    expect(body.value).toHaveLength(1);
    const org = body.value[0];
    expect(org).toMatchObject({ id: SAMPLE_TENANT_ID, displayName: "Contoso", city: null, tenantType: null });
    expect(org.verifiedDomains).toEqual(
      expect.arrayContaining([
        {
          capabilities: "Email, OfficeCommunicationsOnline",
          isDefault: false,
          isInitial: true,
          name: "contoso.onmicrosoft.com",
          type: "Managed",
        },
        {
          capabilities: "Email, OfficeCommunicationsOnline",
          isDefault: true,
          isInitial: false,
          name: "contoso.com",
          type: "Managed",
        },
      ]),
    );
    expect(org.verifiedDomains.filter((d: { isDefault: boolean }) => d.isDefault)).toHaveLength(1);
    const one = await (await get(SAMPLE_USERS.ada, ["User.Read"], `/v1.0/organization/${SAMPLE_TENANT_ID}`)).json();
    expect(one.id).toBe(SAMPLE_TENANT_ID);
  });

  it("refuses a token without User.Read", async () => {
    const r = await get(SAMPLE_USERS.ada, ["Mail.Read"]);
    expect(r.status).toBe(403);
    expect((await r.json()).error.code).toBe("Authorization_RequestDenied");
  });

  it("serves the demo's Contoso with contoso.com, and a dataset's own domain list", async () => {
    t.emulator.state.loadDataset(demoDataset("https://localhost:3000"));
    const demo = (await (await get(DANA_ID, ["User.Read"])).json()).value[0];
    expect(demo.id).toBe(DEMO_TENANT_ID);
    expect(demo.verifiedDomains.find((d: { isDefault: boolean }) => d.isDefault).name).toBe("contoso.com");
    t.emulator.state.loadDataset({
      tenants: [
        {
          id: "aaaaaaaa-0000-4000-8000-000000000001",
          displayName: "Fabrikam",
          domain: "fabrikam.com",
          verifiedDomains: [
            "fabrikam.onmicrosoft.com",
            { name: "fabrikam.com", isDefault: true },
            { name: "fabrikam.co.uk", type: "Federated", capabilities: "Email" },
          ],
        },
      ],
      users: [
        {
          tenantId: "aaaaaaaa-0000-4000-8000-000000000001",
          id: "aaaaaaaa-0000-4000-8000-0000000000u1",
          displayName: "Fay",
          mail: "fay@fabrikam.co.uk",
          userPrincipalName: "fay@fabrikam.com",
        },
      ],
    });
    const fab = (await (await get("aaaaaaaa-0000-4000-8000-0000000000u1", ["User.Read"])).json()).value[0];
    expect(fab.verifiedDomains).toEqual([
      {
        capabilities: "Email, OfficeCommunicationsOnline",
        isDefault: false,
        isInitial: true,
        name: "fabrikam.onmicrosoft.com",
        type: "Managed",
      },
      {
        capabilities: "Email, OfficeCommunicationsOnline",
        isDefault: true,
        isInitial: false,
        name: "fabrikam.com",
        type: "Managed",
      },
      { capabilities: "Email", isDefault: false, isInitial: false, name: "fabrikam.co.uk", type: "Federated" },
    ]);
  });
});
