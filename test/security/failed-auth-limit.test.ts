/**
 * Failed authentications are limited per client address: past the limit, the address gets 429 with
 * Retry-After, and its requests are not verified at all (no signature check, no outbound request), except
 * tokens already verified and still valid, so colleagues behind the same NAT keep working.
 */
import { createApp } from "../../server/app";
import { createTokenVerifier, type Caller, type TokenVerifier } from "../../server/identity/token-verifier";
import { CLIENT_ID, createHarness, newSigningKey, type Harness } from "../api/harness";

let t: Harness;
let app: ReturnType<typeof createApp>;
let verifications = 0;

beforeAll(async () => {
  t = await createHarness();
  const real = t.deps.verifier;
  const counting: TokenVerifier = {
    verify: (header) => {
      verifications++;
      return real.verify(header);
    },
    known: (header): Caller | null => real.known?.(header) ?? null,
  };
  // Refill slow enough that the test never sees a token come back.
  const rateLimit = { perSecond: 10_000, burst: 10_000, failedAuth: { perSecond: 0.001, burst: 3 } };
  app = createApp({ ...t.deps, verifier: counting, rateLimit });
});
afterAll(() => t.close());

const from = (address: string, token: string | null) =>
  app.request(
    "/api/me",
    { headers: token ? { authorization: `Bearer ${token}` } : {} },
    {
      incoming: { socket: { remoteAddress: address } },
    },
  );

test("after 3 failed authentications an address gets 429 with Retry-After, unverified; other addresses are unaffected", async () => {
  const stranger = await newSigningKey("stranger");
  const signedInEarlier = await t.token({ oid: "oid-early" });
  expect((await from("203.0.113.7", signedInEarlier)).status).toBe(200);

  for (let i = 0; i < 3; i++) {
    const res = await from("203.0.113.7", await t.token({ oid: `x${i}` }, { key: stranger }));
    expect(res.status).toBe(401);
  }
  const before = verifications;
  const keysBefore = t.jwksRequests.length;
  const blocked = await from("203.0.113.7", await t.token({ oid: "x4" }, { key: stranger }));
  expect(blocked.status).toBe(429);
  expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  expect((await blocked.json()).error.code).toBe("rate_limited");
  // A valid token not yet verified is refused too (verifying it is the cost being limited)…
  expect((await from("203.0.113.7", await t.token({ oid: "oid-new" }))).status).toBe(429);
  expect(verifications).toBe(before);
  expect(t.jwksRequests.length).toBe(keysBefore);
  // …but a token verified before keeps working, and a missing token is still told to sign in.
  expect((await from("203.0.113.7", signedInEarlier)).status).toBe(200);
  const missing = await from("203.0.113.7", null);
  expect(missing.status).toBe(401);
  expect((await missing.json()).error.code).toBe("unauthorized");

  // Another address: its own budget.
  expect((await from("198.51.100.9", await t.token({ oid: "y1" }, { key: stranger }))).status).toBe(401);
  expect((await from("198.51.100.9", await t.token({ oid: "oid-other" }))).status).toBe(200);
});

test("missing tokens are not counted as failures", async () => {
  for (let i = 0; i < 10; i++) expect((await from("192.0.2.44", null)).status).toBe(401);
  expect((await from("192.0.2.44", await t.token({ oid: "oid-late" }))).status).toBe(200);
});

test("an authority that cannot be reached is not the caller's failure: 401, not counted", async () => {
  const down = await createHarness();
  try {
    const unreachable = createTokenVerifier({
      authorityHost: "https://login.unreachable.example",
      clientId: CLIENT_ID,
      fetch: (async () => {
        throw new TypeError("fetch failed");
      }) as typeof fetch,
    });
    const rateLimit = { perSecond: 10_000, burst: 10_000, failedAuth: { perSecond: 0.001, burst: 1 } };
    const offline = createApp({ ...down.deps, verifier: unreachable, rateLimit });
    for (let i = 0; i < 3; i++) {
      const res = await offline.request(
        "/api/me",
        { headers: { authorization: `Bearer ${await down.token()}` } },
        {
          incoming: { socket: { remoteAddress: "192.0.2.80" } },
        },
      );
      expect(res.status).toBe(401);
      expect((await res.json()).error.message).toMatch(/signing keys could not be fetched/);
    }
  } finally {
    await down.close();
  }
});

test("requests that did not come over a socket (in-process) have no address to limit", async () => {
  const stranger = await newSigningKey("stranger-2");
  for (let i = 0; i < 5; i++) {
    const res = await app.request("/api/me", {
      headers: { authorization: `Bearer ${await t.token({ oid: `z${i}` }, { key: stranger })}` },
    });
    expect(res.status).toBe(401);
  }
  expect(
    (await app.request("/api/me", { headers: { authorization: `Bearer ${await t.token({ oid: "oid-inproc" })}` } }))
      .status,
  ).toBe(200);
});
