/**
 * The organization's verified domains (Graph GET /organization) are read at connect and kept fresh by the
 * sweep, once a day: a failure at connect neither fails the connection nor leaves colleagues trackable (the
 * user's own domain stands in), and the next sweep reads them.
 */
import { DANA, startSweepHarness, type SweepHarness } from "./harness";

jest.setTimeout(60_000);

const T0 = "2026-11-20T09:00:00.000Z";
const H = 3600_000;
let s: SweepHarness;

beforeAll(async () => {
  s = await startSweepHarness();
  s.setTime(T0);
});
afterAll(async () => {
  await s?.close();
});

const api = async (method: string, path: string, body?: unknown) => {
  const res = await s.app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${s.apiToken(DANA.id)}`,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
};
const domains = async () => (await api("GET", "/api/me")).body.organization.internalDomains as string[];
const sweep = async (userId: string) => (await (await s.sweeps.sweepNow(s.orgId, userId, "manual")).done).status;

test("connect survives a failing GET /organization; the sweep reads the domains, then once a day", async () => {
  const st = s.h.emulator.state;
  st.addUser(DANA);
  const fault = st.injectFault({ status: 403, match: { path: "/organization" } });
  const dana = await s.connect(DANA);
  st.removeFault(fault);
  expect((await api("GET", "/api/me")).body.connection.status).toBe("active");
  // Not read yet: the signed-in user's own domain stands in, so a colleague is still refused.
  expect(await domains()).toEqual(["contoso.com"]);
  expect((await api("POST", "/api/contacts", { email: "lee@contoso.com" })).body.error.code).toBe("internal_address");

  s.advance(60_000);
  expect(await sweep(dana)).toBe("succeeded");
  const read = await domains();
  expect(read).toContain("contoso.com");
  expect(read.some((d) => d.endsWith(".onmicrosoft.com"))).toBe(true);
  expect(
    (await api("POST", "/api/contacts", { email: `ops@${read.find((d) => d.endsWith(".onmicrosoft.com"))}` })).status,
  ).toBe(422);

  // The tenant gains a domain (a user's mail there): not re-read within the day, read after it.
  st.addUser({
    ...DANA,
    id: "0e0e0e0e-1111-4222-8333-999999999999",
    mail: "kai@contoso.eu",
    userPrincipalName: "kai@contoso.eu",
    proxyAddresses: [],
    displayName: "Kai",
  });
  s.advance(H);
  expect(await sweep(dana)).toBe("succeeded");
  expect(await domains()).not.toContain("contoso.eu");
  s.advance(24 * H);
  expect(await sweep(dana)).toBe("succeeded");
  expect(await domains()).toContain("contoso.eu");
  expect((await api("POST", "/api/contacts", { email: "kai@contoso.eu" })).body.error.code).toBe("internal_address");
});
