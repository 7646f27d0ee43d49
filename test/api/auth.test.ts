/** Authentication of /api/*: every bad token is a 401 with a WWW-Authenticate header; a good one provisions the caller. */
import * as jose from "jose";
import {
  AUTHORITY,
  CLIENT_ID,
  TENANT_A,
  TENANT_B,
  UNKNOWN_TENANT,
  createHarness,
  newSigningKey,
  type Harness,
} from "./harness";

let t: Harness;
beforeAll(async () => {
  t = await createHarness();
});
afterAll(() => t.close());

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

async function expect401(token: string | null, code = "invalid_token") {
  const res = await t.call("GET", "/api/me", { token });
  expect(res.status).toBe(401);
  const www = res.headers.get("www-authenticate") ?? "";
  expect(www).toMatch(/^Bearer /);
  if (code === "invalid_token") expect(www).toContain('error="invalid_token"');
  const body = await res.json();
  expect(body.error.code).toBe(code);
  expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  return body.error.message as string;
}

test("a valid token provisions the organization and user on first call, once", async () => {
  const res = await t.call("GET", "/api/me");
  expect(res.status).toBe(200);
  const me = await res.json();
  expect(me.organization.id).toBe(TENANT_A);
  expect(me.user).toMatchObject({
    email: "dana@contoso.com",
    displayName: "Dana Kim",
    addresses: ["dana@contoso.com"],
  });
  expect(me.connection.status).toBe("not_connected");
  const again = await (await t.call("GET", "/api/me")).json();
  expect(again.user.id).toBe(me.user.id);
  const users = await t.h.db.selectFrom("users").selectAll().execute();
  expect(users).toHaveLength(1);
});

test("audience is exactly the bare client id or the application ID URI (api://<client id>)", async () => {
  expect((await t.call("GET", "/api/me", { token: await t.token({ aud: CLIENT_ID }) })).status).toBe(200);
  expect((await t.call("GET", "/api/me", { token: await t.token({ aud: `api://${CLIENT_ID}` }) })).status).toBe(200);
  expect(await expect401(await t.token({ aud: `api://contoso.example/${CLIENT_ID}` }))).toMatch(/audience/);
});

test("missing token → 401 with a plain Bearer challenge", async () => {
  const res = await t.call("GET", "/api/me", { token: null });
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toBe('Bearer realm="engagement-capture"');
  expect((await res.json()).error.code).toBe("unauthorized");
});

test("not a Bearer JWT → 401", async () => {
  const res = await t.app.request("/api/me", { headers: { authorization: "Basic ZGFuYTpwdw==" } });
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  await expect401("not-a-jwt");
});

test("expired token → 401; within the 60 s skew it still passes", async () => {
  const now = Math.floor(t.clock.now().getTime() / 1000);
  expect(await expect401(await t.token({ exp: now - 120 }))).toMatch(/expired/);
  expect((await t.call("GET", "/api/me", { token: await t.token({ exp: now - 30 }) })).status).toBe(200);
});

test("a token that passed once is refused after it expires (the verified-token cache re-checks time)", async () => {
  const fresh = await createHarness();
  try {
    const token = await fresh.token();
    expect((await fresh.call("GET", "/api/me", { token })).status).toBe(200);
    fresh.clock.advance(3600_000 + 61_000);
    const res = await fresh.call("GET", "/api/me", { token });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  } finally {
    await fresh.close();
  }
});

test("not-yet-valid token → 401", async () => {
  const now = Math.floor(t.clock.now().getTime() / 1000);
  await expect401(await t.token({ nbf: now + 600 }));
});

test("wrong audience → 401 (another app's client id, a Graph token, a look-alike api:// URI)", async () => {
  await expect401(await t.token({ aud: "99999999-2222-3333-4444-555555555555" }));
  await expect401(await t.token({ aud: "https://graph.microsoft.com" }));
  await expect401(await t.token({ aud: `api://localhost/${CLIENT_ID}-evil` }));
});

test("wrong issuer → 401: another authority, another tenant than the token's tid, a v1 issuer", async () => {
  await expect401(await t.token({ iss: `https://evil.example/${TENANT_A}/v2.0` }));
  await expect401(await t.token({ tid: TENANT_A, iss: `${AUTHORITY}/${TENANT_B}/v2.0` }));
  await expect401(await t.token({ iss: `https://sts.windows.net/${TENANT_A}/` }));
});

test("missing access_as_user scope (e.g. an ID token) → 401", async () => {
  await expect401(await t.token({ scp: "User.Read" }));
  await expect401(await t.token({ scp: undefined }));
});

test("unsigned token (alg none) → 401", async () => {
  const now = Math.floor(t.clock.now().getTime() / 1000);
  const payload = {
    aud: CLIENT_ID,
    iss: `${AUTHORITY}/${TENANT_A}/v2.0`,
    tid: TENANT_A,
    oid: "x",
    preferred_username: "x@y.com",
    scp: "access_as_user",
    exp: now + 600,
  };
  await expect401(`${b64({ alg: "none", typ: "JWT" })}.${b64(payload)}.`);
});

test("HS256 token (e.g. HMAC keyed with the public key) → 401", async () => {
  const secret = new TextEncoder().encode(JSON.stringify(t.key.publicJwk));
  const now = Math.floor(t.clock.now().getTime() / 1000);
  const token = await new jose.SignJWT({
    aud: CLIENT_ID,
    iss: `${AUTHORITY}/${TENANT_A}/v2.0`,
    tid: TENANT_A,
    oid: "x",
    preferred_username: "x@y.com",
    scp: "access_as_user",
    exp: now + 600,
  })
    .setProtectedHeader({ alg: "HS256", kid: t.key.kid })
    .sign(secret);
  await expect401(token);
});

test("tampered payload → 401", async () => {
  const good = await t.token();
  const [h, p, s] = good.split(".");
  const claims = JSON.parse(Buffer.from(p, "base64url").toString());
  claims.oid = "someone-else";
  expect(await expect401(`${h}.${b64(claims)}.${s}`)).toMatch(/signature/);
});

test("signed with a key not in the JWKS (unknown kid, or a known kid with the wrong key) → 401", async () => {
  const stranger = await newSigningKey("stranger");
  await expect401(await t.token({}, { key: stranger }));
  await expect401(await t.token({}, { key: stranger, kid: t.key.kid }));
});

test("a tenant id that could bend the JWKS URL → 401 without fetching", async () => {
  const before = t.jwksRequests.length;
  await expect401(await t.token({ tid: "../../evil", iss: `${AUTHORITY}/../../evil/v2.0` }));
  expect(t.jwksRequests.length).toBe(before);
});

test("tokens naming a tenant Entra does not know cost no request for that tenant (forged tokens cause no outbound flood)", async () => {
  const before = t.jwksRequests.length;
  for (let i = 0; i < 5; i++) {
    const forged = await t.call("GET", "/api/me", {
      token: await t.token({ tid: UNKNOWN_TENANT, oid: `forged-${i}` }, { key: await newSigningKey(`forged-${i}`) }),
    });
    expect(forged.status).toBe(401);
  }
  expect(t.jwksRequests.filter((u) => u.includes(UNKNOWN_TENANT))).toEqual([]);
  // One refetch at most for the unknown kids (then the cooldown), never one per token.
  expect(t.jwksRequests.length - before).toBeLessThanOrEqual(1);
  // Other tenants are unaffected.
  expect((await t.call("GET", "/api/me")).status).toBe(200);
});

test("one tenant-independent JWKS serves every tenant, fetched once and cached", async () => {
  const fresh = await createHarness();
  try {
    for (let i = 0; i < 3; i++) expect((await fresh.call("GET", "/api/me")).status).toBe(200);
    expect((await fresh.call("GET", "/api/me", { tenant: TENANT_B })).status).toBe(200);
    expect(fresh.jwksRequests).toEqual([`${AUTHORITY}/organizations/discovery/v2.0/keys`]);
  } finally {
    await fresh.close();
  }
});

test("a rotated key (new kid) is picked up by refetching the JWKS", async () => {
  const fresh = await createHarness({}, { jwksCooldownMs: 0 });
  try {
    expect((await fresh.call("GET", "/api/me")).status).toBe(200);
    const rotated = await newSigningKey("key-2");
    fresh.jwks.push(rotated.publicJwk);
    expect((await fresh.call("GET", "/api/me", { token: await fresh.token({}, { key: rotated }) })).status).toBe(200);
    expect(fresh.jwksRequests).toHaveLength(2);
  } finally {
    await fresh.close();
  }
});

test("public routes need no token", async () => {
  expect((await t.app.request("/healthz")).status).toBe(200);
  expect((await t.app.request("/api/openapi.json")).status).toBe(200);
});

test("the verified caller is shared by every request with that token, so nothing can change it (a role pushed in would stay)", async () => {
  const token = await t.token({ oid: "oid-frozen", roles: ["Reader"] });
  const a = await t.deps.verifier.verify(`Bearer ${token}`);
  const b = await t.deps.verifier.verify(`Bearer ${token}`);
  expect(b).toBe(a); // the cache's object
  expect(Object.isFrozen(a) && Object.isFrozen(a.roles) && Object.isFrozen(a.scopes)).toBe(true);
  expect(() => (a.roles as string[]).push("Capture.Admin")).toThrow(TypeError);
  expect((await t.call("GET", "/api/connections", { token })).status).toBe(403);
});
