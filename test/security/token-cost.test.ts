/**
 * What a token that has not proven anything can cost, and where the expected issuer and audience come
 * from. The authority is a fake behind the verifier's injected fetch (locally generated keys), so every
 * outbound request is counted; cooldowns run on an injected monotonic clock.
 */
import { AuthError, createTokenVerifier, type TokenVerifierOptions } from "../../server/identity/token-verifier";
import { CLIENT_ID, TENANT_A, TENANT_B, fakeAuthority, newKey, randomGuid, type FakeAuthority } from "./fake-authority";

const COOLDOWN_MS = 30_000;

function verifierFor(a: FakeAuthority, extra: Partial<TokenVerifierOptions> = {}) {
  const clock = { ms: 0 };
  const verifier = createTokenVerifier({
    authorityHost: a.signInHost,
    clientId: CLIENT_ID,
    fetch: a.fetch,
    nowMs: () => clock.ms,
    jwksCooldownMs: COOLDOWN_MS,
    ...extra,
  });
  const verify = (token: string) => verifier.verify(`Bearer ${token}`);
  const reason = async (token: string) => {
    const err = await verify(token).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuthError);
    return (err as AuthError).message;
  };
  return { verifier, verify, reason, clock };
}

describe("bounded cost before authentication", () => {
  test("1,000 forged tokens naming random tenants cost at most the metadata and one key set, one request at a time", async () => {
    const a = await fakeAuthority();
    const { verify, clock } = verifierFor(a);
    const attacker = await newKey("attacker-kid");
    const impostor = { ...(await newKey()), kid: a.keys[0].kid }; // the real kid, the attacker's key
    const forged = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => {
        const tid = randomGuid();
        return a.token({ tid, oid: `forged-${i}` }, i % 2 ? attacker : impostor);
      }),
    );
    const outcomes = await Promise.allSettled(forged.map((t) => verify(t)));
    expect(outcomes.every((o) => o.status === "rejected" && o.reason instanceof AuthError)).toBe(true);
    expect(a.requests.length).toBeLessThanOrEqual(2);
    expect(a.maxInFlight).toBe(1);
    expect(a.requests.filter((u) => /\/[0-9a-f-]{36}\//.test(u))).toEqual([]); // no tenant's own URL

    // Another 1,000 in the next window: at most the one key refetch the cooldown allows.
    clock.ms += COOLDOWN_MS + 1;
    const before = a.requests.length;
    const more = await Promise.all(Array.from({ length: 1000 }, () => a.token({ tid: randomGuid() }, attacker)));
    await Promise.allSettled(more.map((t) => verify(t)));
    expect(a.requests.length - before).toBeLessThanOrEqual(1);

    // Non-GUID tenant ids are refused before anything is fetched.
    const fresh = verifierFor(a);
    const n = a.requests.length;
    expect(await fresh.reason(await a.token({ tid: "contoso.example" }))).toMatch(/tenant id/);
    expect(await fresh.reason(await a.token({ tid: "../../evil" }))).toMatch(/tenant id/);
    expect(a.requests.length).toBe(n);

    // Real tenants are not pushed out by the flood: their tokens verify with no further request.
    const after = a.requests.length;
    await expect(verify(await a.token({ tid: TENANT_B }))).resolves.toMatchObject({ organizationId: TENANT_B });
    await expect(verify(await a.token())).resolves.toMatchObject({ organizationId: TENANT_A });
    expect(a.requests.length).toBe(after);
  });

  test("an unknown kid from a real tenant (key rollover) triggers exactly one refresh, subject to the cooldown", async () => {
    const a = await fakeAuthority();
    const { verify, reason, clock } = verifierFor(a);
    await expect(verify(await a.token())).resolves.toMatchObject({ organizationId: TENANT_A });
    const keysUrl = `${a.signInHost}/organizations/discovery/v2.0/keys`;
    const keyFetches = () => a.requests.filter((u) => u === keysUrl).length;
    expect(keyFetches()).toBe(1);

    clock.ms += COOLDOWN_MS + 1;
    const rolled = await newKey("key-2");
    a.keys.push(rolled);
    const tokens = await Promise.all(
      [TENANT_A, TENANT_B, TENANT_A, TENANT_B, TENANT_A].map((tid, i) => a.token({ tid, oid: `u${i}` }, rolled)),
    );
    const callers = await Promise.all(tokens.map((t) => verify(t)));
    expect(callers.map((c) => c.organizationId)).toEqual([TENANT_A, TENANT_B, TENANT_A, TENANT_B, TENANT_A]);
    expect(keyFetches()).toBe(2);

    // A key published within the cooldown waits for it: refused, no request; then accepted with one refresh.
    const next = await newKey("key-3");
    a.keys.push(next);
    expect(await reason(await a.token({}, next))).toMatch(/unknown key/);
    expect(keyFetches()).toBe(2);
    clock.ms += COOLDOWN_MS + 1;
    await expect(verify(await a.token({ oid: "later" }, next))).resolves.toMatchObject({ organizationId: TENANT_A });
    expect(keyFetches()).toBe(3);
  });

  test("an authority that is down is asked again only every 5 s, however many tokens arrive; then verification resumes", async () => {
    const a = await fakeAuthority();
    const { verify, reason, clock } = verifierFor(a);
    a.down = 503;
    const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => a.token({ oid: `u${i}` })));
    const outcomes = await Promise.allSettled(tokens.map((t) => verify(t)));
    expect(outcomes.every((o) => o.status === "rejected")).toBe(true);
    expect(await reason(tokens[0])).toMatch(/signing keys could not be fetched/);
    expect(a.requests).toHaveLength(1);
    clock.ms += 4_000;
    await Promise.allSettled(tokens.map((t) => verify(t)));
    expect(a.requests).toHaveLength(1);
    clock.ms += 1_001;
    await Promise.allSettled(tokens.map((t) => verify(t)));
    expect(a.requests).toHaveLength(2);
    a.down = null;
    clock.ms += 5_001;
    await expect(verify(tokens[0])).resolves.toMatchObject({ organizationId: TENANT_A });
    expect(a.requests).toHaveLength(4); // the retried metadata, then the key set
  });
});

describe("any cloud: the issuer comes from the authority's metadata", () => {
  const signInHost = "https://login.chinacloudapi.example";
  const issuerHost = "https://login.partner.microsoftonline.example";

  test("a token issued from another host than the sign-in host is accepted; the sign-in host's issuer is refused", async () => {
    const a = await fakeAuthority({ signInHost, issuerHost });
    const { verify, reason } = verifierFor(a);
    await expect(verify(await a.token())).resolves.toMatchObject({ organizationId: TENANT_A });
    await expect(verify(await a.token({ tid: TENANT_B }))).resolves.toMatchObject({ organizationId: TENANT_B });
    expect(await reason(await a.token({ iss: `${signInHost}/${TENANT_A}/v2.0` }))).toMatch(
      /issued by another authority or tenant/,
    );
    // The metadata is the tenant-independent one, fetched once.
    expect(a.requests.filter((u) => u.endsWith("openid-configuration"))).toEqual([
      `${signInHost}/organizations/v2.0/.well-known/openid-configuration`,
    ]);
  });

  test("a single-tenant deployment reads its own tenant's metadata (concrete issuer) and refuses other tenants unfetched", async () => {
    const a = await fakeAuthority({ signInHost, issuerHost });
    const { verify, reason } = verifierFor(a, { tenant: TENANT_A.toUpperCase() });
    await expect(verify(await a.token())).resolves.toMatchObject({ organizationId: TENANT_A });
    const n = a.requests.length;
    expect(await reason(await a.token({ tid: TENANT_B }))).toMatch(/another tenant/);
    expect(a.requests.length).toBe(n);
    expect(a.requests[0]).toBe(`${signInHost}/${TENANT_A}/v2.0/.well-known/openid-configuration`);
  });

  test("a key published with its own issuer signs only that issuer's tokens", async () => {
    const a = await fakeAuthority();
    const { verify, reason } = verifierFor(a);
    // Entra publishes an application's own signing keys with the tenant's concrete issuer.
    const pinned = await newKey("pinned");
    a.keys.push({ ...pinned, jwk: { ...pinned.jwk, issuer: `${a.issuerHost}/${TENANT_A}/v2.0` } as typeof pinned.jwk });
    await expect(verify(await a.token({}, pinned))).resolves.toMatchObject({ organizationId: TENANT_A });
    expect(await reason(await a.token({ tid: TENANT_B }, pinned))).toMatch(/issued by another authority or tenant/);
  });
});

describe("audience: exactly the client id or the application ID URI", () => {
  test("api://something-else/<clientId> and look-alikes are refused; the client id and api://<clientId> pass", async () => {
    const a = await fakeAuthority();
    const { verify, reason } = verifierFor(a);
    await expect(verify(await a.token({ aud: CLIENT_ID }))).resolves.toBeTruthy();
    await expect(verify(await a.token({ aud: `api://${CLIENT_ID}`, oid: "b" }))).resolves.toBeTruthy();
    for (const aud of [
      `api://something-else/${CLIENT_ID}`,
      `api://${CLIENT_ID}/evil`,
      `api://${CLIENT_ID}x`,
      `API://${CLIENT_ID}`,
    ]) {
      expect(await reason(await a.token({ aud }))).toMatch(/audience/);
    }
  });

  test("a configured application ID URI replaces the default one", async () => {
    const a = await fakeAuthority();
    const { verify, reason } = verifierFor(a, { appIdUri: "https://capture.contoso.example/api" });
    await expect(verify(await a.token({ aud: "https://capture.contoso.example/api" }))).resolves.toBeTruthy();
    await expect(verify(await a.token({ aud: CLIENT_ID, oid: "b" }))).resolves.toBeTruthy();
    expect(await reason(await a.token({ aud: `api://${CLIENT_ID}` }))).toMatch(/audience/);
  });
});
