/**
 * An Entra-like authority behind an injected fetch, with locally generated keys: OpenID metadata for
 * "organizations" and for each known tenant, the tenant-independent key set, and per-tenant key sets
 * (400 AADSTS90002 for a tenant it does not know, as login.microsoftonline.com answers). Every request is
 * recorded, and how many were in flight at once, so tests can count what unauthenticated callers cost.
 */
import crypto from "node:crypto";
import * as jose from "jose";

export const CLIENT_ID = "11111111-2222-4333-8444-555555555555";
export const TENANT_A = "aaaaaaaa-0000-4000-8000-000000000001";
export const TENANT_B = "bbbbbbbb-0000-4000-8000-000000000002";

export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: jose.JWK;
}

export async function newKey(kid: string = crypto.randomUUID()): Promise<TestKey> {
  const { privateKey, publicKey } = await jose.generateKeyPair("RS256", { extractable: true });
  return { kid, privateKey, jwk: { ...(await jose.exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

export interface FakeAuthority {
  /** Where users sign in (ENTRA_AUTHORITY_HOST). */
  signInHost: string;
  /** The host in the issuer the metadata announces (another host in some national clouds). */
  issuerHost: string;
  fetch: typeof globalThis.fetch;
  requests: string[];
  maxInFlight: number;
  /** Published keys; push one to roll keys over. Each gets the endpoint's `issuer` unless its JWK has one. */
  keys: TestKey[];
  /** When set, every request answers this status. */
  down: number | null;
  /** A valid access token for this API, signed by keys[0] unless `key` is given. */
  token(claims?: Record<string, unknown>, key?: TestKey): Promise<string>;
}

export async function fakeAuthority(opts: { signInHost?: string; issuerHost?: string } = {}): Promise<FakeAuthority> {
  const signInHost = opts.signInHost ?? "https://login.test.example";
  const issuerHost = opts.issuerHost ?? signInHost;
  const known = new Set([TENANT_A, TENANT_B]);
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  const a: FakeAuthority = {
    signInHost,
    issuerHost,
    requests: [],
    maxInFlight: 0,
    keys: [await newKey("key-1")],
    down: null,
    fetch: null as unknown as typeof fetch,
    async token(claims = {}, key = a.keys[0]) {
      const tid = (claims.tid as string) ?? TENANT_A;
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        aud: CLIENT_ID,
        iss: `${issuerHost}/${tid}/v2.0`,
        tid,
        oid: "oid-dana",
        preferred_username: "dana@contoso.com",
        scp: "access_as_user",
        ver: "2.0",
        iat: now - 60,
        nbf: now - 60,
        exp: now + 3600,
        ...claims,
      };
      return new jose.SignJWT(payload)
        .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
        .sign(key.privateKey);
    },
  };
  let inFlight = 0;
  function answer(url: string): Response {
    if (a.down !== null) return json({ error: "temporarily_unavailable" }, a.down);
    const m = new RegExp(
      `^${signInHost}/([^/]+)/(v2\\.0/\\.well-known/openid-configuration|discovery/v2\\.0/keys)$`,
    ).exec(url);
    if (!m) return json({ error: "not_found" }, 404);
    const [, segment, what] = m;
    const tenantIndependent = ["common", "organizations"].includes(segment);
    if (!tenantIndependent && !known.has(segment)) {
      return json({ error: "invalid_tenant", error_description: "AADSTS90002: Tenant not found." }, 400);
    }
    const issuer = `${issuerHost}/${tenantIndependent ? "{tenantid}" : segment}/v2.0`;
    if (what === "discovery/v2.0/keys") return json({ keys: a.keys.map((k) => ({ issuer, ...k.jwk })) });
    return json({
      issuer,
      jwks_uri: `${signInHost}/${segment}/discovery/v2.0/keys`,
      id_token_signing_alg_values_supported: ["RS256"],
    });
  }
  a.fetch = (async (input: RequestInfo | URL) => {
    const url = String(input);
    a.requests.push(url);
    inFlight++;
    a.maxInFlight = Math.max(a.maxInFlight, inFlight);
    try {
      await new Promise((r) => setTimeout(r, 5));
      return answer(url);
    } finally {
      inFlight--;
    }
  }) as typeof fetch;
  return a;
}

export const randomGuid = () => crypto.randomUUID();
