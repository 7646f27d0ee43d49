/**
 * API test harness: a real app over a temporary SQLite database, real RS256 JWTs signed here,
 * and the authority's metadata and JWKS served through the verifier's injected fetch (no network).
 */
import * as jose from "jose";
import { ManualClock } from "../../server/clock";
import { loadConfig, type Config } from "../../server/config";
import { createApp, type AppDeps } from "../../server/app";
import { createTokenVerifier } from "../../server/identity/token-verifier";
import { createLogger } from "../../server/logger";
import { openSqliteTestDatabase, type TestDatabase } from "../db/databases";
import { stubServices } from "./stub-services";

export const AUTHORITY = "https://login.test.example";
export const CLIENT_ID = "11111111-2222-3333-4444-555555555555";
export const TENANT_A = "aaaaaaaa-0000-0000-0000-000000000001";
export const TENANT_B = "bbbbbbbb-0000-0000-0000-000000000002";
/** A tenant id Entra does not know: its keys URL answers 400 (AADSTS90002), as login.microsoftonline.com does. */
export const UNKNOWN_TENANT = "dddddddd-0000-0000-0000-00000000dead";
export const NOW = new Date("2026-11-26T12:00:00Z");

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: jose.JWK;
}

export async function newSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await jose.generateKeyPair("RS256", { extractable: true });
  const publicJwk = { ...(await jose.exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  return { kid, privateKey, publicJwk };
}

export interface Harness {
  app: ReturnType<typeof createApp>;
  deps: AppDeps;
  h: TestDatabase;
  clock: ManualClock;
  config: Config;
  key: SigningKey;
  /** JWKS requests seen by the fake fetch, by URL. */
  jwksRequests: string[];
  /** The keys the fake JWKS endpoint serves (mutable: push a new key to simulate a rotation). */
  jwks: jose.JWK[];
  token(claims?: Record<string, unknown>, opts?: { key?: SigningKey; kid?: string }): Promise<string>;
  /** JSON request with a valid token for (tenant, oid, app roles) unless `token` is given. */
  call(
    method: string,
    path: string,
    opts?: {
      body?: unknown;
      rawBody?: string;
      token?: string | null;
      tenant?: string;
      oid?: string;
      roles?: string[];
      headers?: Record<string, string>;
    },
  ): Promise<Response>;
  close(): Promise<void>;
}

export function testConfig(): Config {
  const r = loadConfig({
    ENTRA_CLIENT_ID: CLIENT_ID,
    ENTRA_CLIENT_SECRET: "secret",
    ENTRA_AUTHORITY_HOST: AUTHORITY,
    LOG_LEVEL: "silent",
  });
  if (!r.ok) throw new Error(r.problems.join("; "));
  return r.config;
}

/** Deps to replace; `sweeps` may replace only some of the stand-in's methods. */
export type HarnessOverrides = Partial<Omit<AppDeps, "sweeps">> & { sweeps?: Partial<AppDeps["sweeps"]> };

export async function createHarness(
  overrides: HarnessOverrides = {},
  verifierOptions: { jwksCooldownMs?: number } = {},
  /** The database to run on (test/db/databases.ts); a temporary SQLite file by default. */
  openDb: () => Promise<TestDatabase> = openSqliteTestDatabase,
): Promise<Harness> {
  const h = await openDb();
  const clock = new ManualClock(NOW);
  const config = testConfig();
  const key = await newSigningKey("key-1");
  const jwksRequests: string[] = [];
  const jwks: jose.JWK[] = [key.publicJwk];
  const fakeFetch = (async (input: RequestInfo | URL) => {
    const url = String(input);
    if (url === `${AUTHORITY}/organizations/v2.0/.well-known/openid-configuration`) {
      const metadata = {
        issuer: `${AUTHORITY}/{tenantid}/v2.0`,
        jwks_uri: `${AUTHORITY}/organizations/discovery/v2.0/keys`,
      };
      return new Response(JSON.stringify(metadata), { status: 200, headers: { "content-type": "application/json" } });
    }
    jwksRequests.push(url);
    const m = new RegExp(`^${AUTHORITY}/([^/]+)/discovery/v2.0/keys$`).exec(url);
    if (!m) return new Response("not found", { status: 404 });
    if (m[1] === UNKNOWN_TENANT)
      return new Response(
        JSON.stringify({ error: "invalid_tenant", error_description: "AADSTS90002: Tenant not found." }),
        { status: 400 },
      );
    return new Response(JSON.stringify({ keys: jwks }), {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  }) as typeof fetch;
  const verifier = createTokenVerifier({
    authorityHost: AUTHORITY,
    clientId: CLIENT_ID,
    fetch: fakeFetch,
    clock,
    ...verifierOptions,
  });
  // Suites here fire ~100 calls as one user within a second; the rate limit has its own tests (test/security).
  const stubs = stubServices(h.db);
  const deps: AppDeps = {
    db: h.db,
    config,
    clock,
    logger: createLogger("silent"),
    verifier,
    rateLimit: { perSecond: 10_000, burst: 10_000 },
    ...stubs,
    ...overrides,
    sweeps: { ...stubs.sweeps, ...overrides.sweeps },
  };
  const app = createApp(deps);

  async function token(
    claims: Record<string, unknown> = {},
    opts: { key?: SigningKey; kid?: string } = {},
  ): Promise<string> {
    const k = opts.key ?? key;
    const tid = (claims.tid as string) ?? TENANT_A;
    const nowSec = Math.floor(clock.now().getTime() / 1000);
    const payload = {
      aud: `api://${CLIENT_ID}`,
      iss: `${AUTHORITY}/${tid}/v2.0`,
      tid,
      oid: "oid-dana",
      preferred_username: "dana@contoso.com",
      name: "Dana Kim",
      scp: "access_as_user",
      ver: "2.0",
      iat: nowSec - 60,
      nbf: nowSec - 60,
      exp: nowSec + 3600,
      ...claims,
    };
    return new jose.SignJWT(payload as jose.JWTPayload)
      .setProtectedHeader({ alg: "RS256", kid: opts.kid ?? k.kid, typ: "JWT" })
      .sign(k.privateKey);
  }

  async function call(method: string, path: string, opts: Parameters<Harness["call"]>[2] = {}): Promise<Response> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const claims = {
      tid: opts.tenant ?? TENANT_A,
      oid: opts.oid ?? "oid-dana",
      ...(opts.roles ? { roles: opts.roles } : {}),
    };
    const t = opts.token === undefined ? await token(claims) : opts.token;
    if (t !== null) headers.authorization = `Bearer ${t}`;
    let body: string | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === "content-type"))
      headers["content-type"] = "application/json";
    return app.request(path, { method, headers, body });
  }

  return { app, deps, h, clock, config, key, jwksRequests, jwks, token, call, close: () => h.close() };
}
