/**
 * Token validation attack table against the real emulator as issuer: the API fetches the JWKS over
 * HTTPS (trusting the emulator's CA, as production trusts Microsoft's), and every forged, foreign,
 * misdirected or stale token is a 401 with a Bearer challenge and the error shape.
 */
import crypto from "node:crypto";
import { startEmulator, type Emulator } from "../../emulator";
import { createSigningKey, signJwt, type JwtPayload } from "../../emulator/jwt";
import { createApp } from "../../server/app";
import { systemClock } from "../../server/clock";
import type { Config } from "../../server/config";
import { createOutbound, type Outbound } from "../../server/http/outbound";
import { createTokenVerifier } from "../../server/identity/token-verifier";
import { createLogger } from "../../server/logger";
import { openSqliteTestDatabase, type TestDatabase } from "../db/databases";
import { ADA, CLIENT_ID, CLIENT_SECRET, EVE, OTHER_TENANT, TENANT, dataset } from "../connect/harness";
import { stubServices } from "../api/stub-services";

jest.setTimeout(30_000);

let emulator: Emulator;
let outbound: Outbound;
let db: TestDatabase;
let app: ReturnType<typeof createApp>;

const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
const parts = (token: string) => token.split(".");
const payloadOf = (token: string) =>
  JSON.parse(Buffer.from(parts(token)[1], "base64url").toString("utf8")) as JwtPayload;
const nowS = () => Math.floor(Date.now() / 1000);

/** A valid API token for the emulator's user, with claim overrides (still signed by the emulator's key). */
const apiToken = (overrides: JwtPayload = {}, userId = ADA.id) =>
  emulator.state.mintAccessToken({
    userId,
    clientId: CLIENT_ID,
    audience: CLIENT_ID,
    scopes: ["access_as_user"],
    overrides,
  });

beforeAll(async () => {
  emulator = await startEmulator({ dataset });
  outbound = createOutbound(emulator.caPem);
  db = await openSqliteTestDatabase();
  const config: Config = {
    mode: "production",
    entra: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tenant: "organizations", authorityHost: emulator.url },
    graphBaseUrl: emulator.url,
    publicUrl: "https://engage.contoso.test",
    addinPublicUrl: "https://engage.contoso.test",
    databaseUrl: db.url,
    databaseKind: "sqlite",
    tokenEncryptionKey: null,
    port: 0,
    listenHost: "localhost",
    dataDir: "unused",
    sweep: { intervalMinutes: 60, windowHours: 24, overlapMinutes: 15, concurrency: 1 },
    logLevel: "silent",
    queue: { expireInSeconds: 900, maintenanceIntervalSeconds: 60 },
    worker: { concurrency: 1, id: null, enqueuerTickSeconds: 60, stopTimeoutSeconds: 30 },
    tls: null,
    extraCaCertsFile: null,
    nodeEnv: null,
  };
  // jwksCooldownMs 0: an unknown kid makes jose refetch at once, as it would after the cooldown in production.
  const verifier = createTokenVerifier({
    authorityHost: emulator.url,
    clientId: CLIENT_ID,
    fetch: outbound.fetch,
    clock: systemClock,
    jwksCooldownMs: 0,
  });
  app = createApp({
    db: db.db,
    config,
    clock: systemClock,
    logger: createLogger("silent"),
    verifier,
    ...stubServices(db.db),
    rateLimit: { perSecond: 1000, burst: 1000 },
  });
});

afterAll(async () => {
  await db.close();
  await outbound.close();
  await emulator.close();
});

const me = (token: string) => app.request("/api/me", { headers: { authorization: `Bearer ${token}` } });

interface Attack {
  name: string;
  token: () => string | Promise<string>;
  /** Part of the error message that names the rule that refused it. */
  reason: RegExp;
}

const attacks: Attack[] = [
  {
    name: "alg none (unsigned)",
    token: () => `${b64({ alg: "none", typ: "JWT" })}.${parts(apiToken())[1]}.`,
    reason: /RS256/,
  },
  {
    name: "alg none with the original signature kept",
    token: () => {
      const [, p, s] = parts(apiToken());
      return `${b64({ alg: "none", typ: "JWT", kid: emulator.state.signingKey.kid })}.${p}.${s}`;
    },
    reason: /RS256/,
  },
  {
    name: "HS256 signed with the public key as HMAC secret (PEM) — key confusion",
    token: () => {
      const secret = emulator.state.signingKey.publicKey.export({ type: "spki", format: "pem" });
      const input = `${b64({ alg: "HS256", typ: "JWT", kid: emulator.state.signingKey.kid })}.${parts(apiToken())[1]}`;
      return `${input}.${crypto.createHmac("sha256", secret).update(input).digest("base64url")}`;
    },
    reason: /RS256/,
  },
  {
    name: "HS256 signed with the JWK's modulus as HMAC secret",
    token: () => {
      const input = `${b64({ alg: "HS256", typ: "JWT", kid: emulator.state.signingKey.kid })}.${parts(apiToken())[1]}`;
      return `${input}.${crypto.createHmac("sha256", emulator.state.signingKey.jwk.n).update(input).digest("base64url")}`;
    },
    reason: /RS256/,
  },
  {
    name: "RS512 header on an otherwise valid key (algorithm substitution)",
    token: () => {
      const input = `${b64({ alg: "RS512", typ: "JWT", kid: emulator.state.signingKey.kid })}.${parts(apiToken())[1]}`;
      return `${input}.${crypto.sign("RSA-SHA512", Buffer.from(input), emulator.state.signingKey.privateKey).toString("base64url")}`;
    },
    reason: /RS256/,
  },
  {
    name: "foreign tenant: tid of one tenant, issuer of another",
    token: () => apiToken({ iss: emulator.state.issuerV2(OTHER_TENANT) }),
    reason: /issued by another authority or tenant/,
  },
  {
    name: "foreign tenant: the other tenant's token with its tid swapped to ours (issuer unchanged)",
    token: () => apiToken({ tid: TENANT }, EVE.id),
    reason: /issued by another authority or tenant/,
  },
  {
    name: "foreign issuer: another authority's v2 issuer for our tenant",
    token: () => apiToken({ iss: `https://login.microsoftonline.com/${TENANT}/v2.0` }),
    reason: /issued by another authority or tenant/,
  },
  {
    name: "foreign issuer: a v1 (sts.windows.net) issuer",
    token: () => apiToken({ iss: `https://sts.windows.net/${TENANT}/` }),
    reason: /issued by another authority or tenant/,
  },
  {
    // Signed with another key: the authority's keys sign every tenant's tokens, and only the authority signs
    // for a tenant (it never does for one it does not know), so the verifier asks nothing about the tenant.
    name: "a tenant the authority does not know",
    token: () =>
      signJwt(
        createSigningKey(),
        payloadOf(
          apiToken({
            tid: "99999999-9999-4999-8999-999999999999",
            iss: emulator.state.issuerV2("99999999-9999-4999-8999-999999999999"),
          }),
        ),
      ),
    reason: /signing keys|unknown key|could not be verified/,
  },
  {
    name: "wrong audience: a Microsoft Graph token",
    token: () =>
      emulator.state.mintAccessToken({
        userId: ADA.id,
        clientId: CLIENT_ID,
        audience: "https://graph.microsoft.com",
        scopes: ["Mail.Read", "User.Read"],
      }),
    reason: /issued by another authority|audience/,
  },
  {
    name: "wrong audience: a Graph token whose issuer is made to look like v2",
    token: () =>
      emulator.state.mintAccessToken({
        userId: ADA.id,
        clientId: CLIENT_ID,
        audience: "https://graph.microsoft.com",
        scopes: ["access_as_user"],
        overrides: { iss: emulator.state.issuerV2(TENANT) },
      }),
    reason: /audience/,
  },
  {
    name: "wrong audience: another app's API",
    token: () =>
      emulator.state.mintAccessToken({
        userId: ADA.id,
        clientId: CLIENT_ID,
        audience: "api://9f9f9f9f-0000-4000-8000-000000000000",
        scopes: ["access_as_user"],
      }),
    reason: /audience/,
  },
  {
    name: "wrong audience: an api:// URI that only contains our client id",
    token: () => apiToken({ aud: `api://${CLIENT_ID}/evil` }),
    reason: /audience/,
  },
  {
    name: "expired",
    token: () => apiToken({ iat: nowS() - 7200, nbf: nowS() - 7200, exp: nowS() - 3600 }),
    reason: /expired/,
  },
  {
    name: "not yet valid",
    token: () => apiToken({ nbf: nowS() + 3600, exp: nowS() + 7200 }),
    reason: /not valid yet/,
  },
  {
    name: "no expiry at all",
    token: () => {
      const claims = payloadOf(apiToken());
      delete claims.exp;
      return signJwt(emulator.state.signingKey, claims);
    },
    reason: /exp/,
  },
  {
    name: "unknown kid (signed by another key, e.g. another authority's)",
    token: () => signJwt(createSigningKey(), payloadOf(apiToken())),
    reason: /unknown key/,
  },
  {
    name: "our kid, someone else's signature",
    token: () => {
      const other = createSigningKey();
      return signJwt({ ...other, kid: emulator.state.signingKey.kid }, payloadOf(apiToken()));
    },
    reason: /signature/,
  },
  {
    name: "tampered payload: oid changed after signing",
    token: () => {
      const [h, , s] = parts(apiToken());
      return `${h}.${b64({ ...payloadOf(apiToken()), oid: EVE.id })}.${s}`;
    },
    reason: /signature/,
  },
  {
    name: "tampered payload: scope widened after signing",
    token: () => {
      const t = emulator.state.mintAccessToken({
        userId: ADA.id,
        clientId: CLIENT_ID,
        audience: CLIENT_ID,
        scopes: ["User.Read"],
      });
      const [h, , s] = parts(t);
      return `${h}.${b64({ ...payloadOf(t), scp: "access_as_user" })}.${s}`;
    },
    reason: /signature/,
  },
  {
    name: "signature stripped",
    token: () => parts(apiToken()).slice(0, 2).join(".") + ".",
    reason: /signature|could not be verified/,
  },
  {
    name: "missing scope (a token for our API without access_as_user)",
    token: () =>
      emulator.state.mintAccessToken({
        userId: ADA.id,
        clientId: CLIENT_ID,
        audience: CLIENT_ID,
        scopes: ["User.Read"],
      }),
    reason: /access_as_user/,
  },
  {
    name: "app-only token for Microsoft Graph (client credentials, another audience)",
    token: () =>
      emulator.state.mintAppToken({
        clientId: CLIENT_ID,
        tenantId: TENANT,
        audience: "https://graph.microsoft.com",
        roles: ["Mail.Read"],
      }),
    reason: /another authority|audience/,
  },
  {
    name: "ID token instead of an access token",
    token: () => emulator.state.mintIdToken({ userId: ADA.id, clientId: CLIENT_ID }),
    reason: /access_as_user/,
  },
  {
    name: "not a JWT",
    token: () => "definitely-not-a-jwt",
    reason: /Bearer|malformed/,
  },
  {
    name: "a JWT with a garbage header",
    token: () => `${b64("{not json")}.${parts(apiToken())[1]}.${parts(apiToken())[2]}`,
    reason: /malformed/,
  },
];

describe("a valid token passes", () => {
  test("the emulator's access token for this API → 200; a user of another tenant is their own organization", async () => {
    const res = await me(apiToken());
    expect(res.status).toBe(200);
    expect((await res.json()).organization.id).toBe(TENANT);
    const eve = await me(apiToken({}, EVE.id));
    expect(eve.status).toBe(200);
    expect((await eve.json()).organization.id).toBe(OTHER_TENANT);
  });
});

describe("attack table → 401 invalid_token with a Bearer challenge", () => {
  test.each(attacks.map((a) => [a.name, a] as const))("%s", async (_name, attack) => {
    const token = await attack.token();
    const res = await me(token);
    expect(res.status).toBe(401);
    const challenge = res.headers.get("www-authenticate") ?? "";
    expect(challenge).toMatch(/^Bearer realm="engagement-capture", error="invalid_token", error_description="[^"]+"$/);
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body).toEqual({ error: { code: "invalid_token", message: expect.any(String) } });
    expect(body.error.message).toMatch(attack.reason);
    // The answer never echoes the token (or its signature) back.
    expect(text).not.toContain(token.split(".")[1] || token);
    expect(challenge).not.toContain(token.split(".")[1] || token);
  });

  test("no attack provisioned anyone: only the two legitimate users exist", async () => {
    const users = await db.db.selectFrom("users").select(["organizationId", "oid"]).orderBy("oid").execute();
    expect(users).toEqual([
      { organizationId: TENANT, oid: ADA.id },
      { organizationId: OTHER_TENANT, oid: EVE.id },
    ]);
  });
});

describe("application tokens (client credentials) as the emulator mints them for this API", () => {
  const appToken = (roles: string[], tenantId = TENANT) =>
    emulator.state.mintAppToken({ clientId: "crm-sync-client", tenantId, audience: CLIENT_ID, roles });
  const get = (path: string, token: string) => app.request(path, { headers: { authorization: `Bearer ${token}` } });

  test("with Engagements.Read.All: the tenant's engagements 200; /api/me 403 user_only", async () => {
    expect((await get("/api/engagements", appToken(["Engagements.Read.All"]))).status).toBe(200);
    expect((await get("/api/engagements/changes", appToken(["Engagements.ReadWrite.All"], OTHER_TENANT))).status).toBe(
      200,
    );
    const me = await get("/api/me", appToken(["Engagements.Read.All"]));
    expect(me.status).toBe(403);
    expect(((await me.json()) as { error: { code: string } }).error.code).toBe("user_only");
  });

  test("without one of our app roles (a role of another API, a person's role): 403 forbidden", async () => {
    for (const roles of [[], ["access_as_user"], ["Capture.Admin"]]) {
      const res = await get("/api/engagements", appToken(roles));
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    }
  });
});

describe("single-tenant deployment (ENTRA_TENANT is a tenant id)", () => {
  test("a genuine, correctly signed token from another tenant is refused; the configured tenant's is accepted", async () => {
    const verifier = createTokenVerifier({
      authorityHost: emulator.url,
      clientId: CLIENT_ID,
      tenant: TENANT.toUpperCase(),
      fetch: outbound.fetch,
      clock: systemClock,
    });
    await expect(verifier.verify(`Bearer ${apiToken({}, EVE.id)}`)).rejects.toThrow("another tenant");
    await expect(verifier.verify(`Bearer ${apiToken()}`)).resolves.toMatchObject({
      organizationId: TENANT,
      oid: ADA.id,
    });
  });
  test("'organizations' and domain names keep accepting any tenant", async () => {
    for (const tenant of ["organizations", "contoso.onmicrosoft.com"]) {
      const verifier = createTokenVerifier({
        authorityHost: emulator.url,
        clientId: CLIENT_ID,
        tenant,
        fetch: outbound.fetch,
        clock: systemClock,
      });
      await expect(verifier.verify(`Bearer ${apiToken({}, EVE.id)}`)).resolves.toMatchObject({
        organizationId: OTHER_TENANT,
      });
    }
  });
});
