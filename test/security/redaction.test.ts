/**
 * Secrets never reach a log line or an HTTP answer, on the error paths where they are most likely to
 * leak: a bad bearer token, an identity-provider failure while redeeming the code, Graph failures and
 * a revoked grant during a sweep, and a database that has gone away. The captured pino output (at
 * trace level) and every answer body are searched for the bearer token, the client secret, the
 * authorization code and the stored access / refresh tokens.
 */
import { Writable } from "node:stream";
import { createLogger } from "../../server/logger";
import { authorize, cacheSecrets, callback, connectRow, startConnect } from "../connect/harness";
import { DANA, startSweepHarness, type SweepHarness } from "../sweep/harness";

jest.setTimeout(60_000);

let s: SweepHarness;
let userId: string;
/** Everything answered to a client during the suite (bodies and headers). */
const answers: string[] = [];
const secrets = new Set<string>();

async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await s.app.request(path, init);
  const text = await res.clone().text();
  answers.push(`${res.status} ${[...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${text}`);
  return res;
}
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/** Distinctive slices, so a token cut or re-encoded in part is still found. */
function needles(secret: string): string[] {
  return secret.length > 60
    ? [secret, secret.slice(0, 40), secret.slice(-40), secret.slice(secret.length / 2 - 20, secret.length / 2 + 20)]
    : [secret];
}
function expectNowhere(haystacks: { name: string; text: string }[], found: Iterable<string>) {
  const list = [...found];
  expect(list.length).toBeGreaterThan(0);
  for (const secret of list) {
    expect(secret.length).toBeGreaterThanOrEqual(16);
    for (const needle of needles(secret))
      for (const h of haystacks)
        expect({ where: h.name, leaked: h.text.includes(needle) }).toEqual({ where: h.name, leaked: false });
  }
}

async function storedSecrets() {
  const row = await connectRow(s.h, userId);
  const found = cacheSecrets(s.h, s.orgId, userId, row!.tokenCache!);
  [...found.accessTokens, ...found.refreshTokens, ...found.idTokens].forEach((t) => secrets.add(t));
}

beforeAll(async () => {
  s = await startSweepHarness({ graph: { maxRetries: 1 } });
  s.h.emulator.state.addUser(DANA);
  secrets.add(s.h.config.entra.clientSecret);
});
afterAll(async () => {
  await s?.close().catch(() => undefined);
});

test("the logger redacts credentials wherever they sit in a logged object (camelCase and OAuth wire names)", () => {
  const lines: string[] = [];
  const logger = createLogger("trace", new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  const secret = "s3cr3t-value-that-must-not-appear-0123456789";
  logger.info(
    {
      authorization: `Bearer ${secret}`,
      token: secret,
      accessToken: secret,
      client_secret: secret,
      refresh_token: secret,
    },
    "top level",
  );
  logger.info({ req: { headers: { authorization: `Bearer ${secret}`, cookie: secret } } }, "request headers");
  logger.info(
    { err: { request: { headers: { authorization: `Bearer ${secret}` } } } },
    "an HTTP client's error with its request",
  );
  logger.info(
    { response: { body: { access_token: secret, id_token: secret, refresh_token: secret } } },
    "a token endpoint answer",
  );
  logger.info({ connection: { tokenCache: secret, secret } }, "nested");
  expect(lines).toHaveLength(5);
  for (const line of lines) expect(line).not.toContain(secret);
  expect(lines.join("")).toContain("[redacted]");

  // Every credential key, under either spelling, at each depth docs/security.md promises (0, 1, 2).
  const keys = [
    "authorization",
    "cookie",
    "token",
    "accessToken",
    "refreshToken",
    "idToken",
    "tokenCache",
    "clientSecret",
    "secret",
    "password",
    "codeVerifier",
    "tokenEncryptionKey",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "client_assertion",
    "code_verifier",
  ];
  lines.length = 0;
  for (const k of keys) {
    logger.info({ [k]: secret }, `${k} at the top`);
    logger.info({ outer: { [k]: secret } }, `${k} one level down`);
    logger.info({ outer: { inner: { [k]: secret } } }, `${k} two levels down`);
  }
  expect(lines).toHaveLength(keys.length * 3);
  for (const line of lines) expect(line).not.toContain(secret);
});

test("a bad bearer token is neither logged nor echoed", async () => {
  const valid = s.apiToken(DANA.id);
  const [h, p] = valid.split(".");
  const forged = `${h}.${p}.${"A".repeat(342)}`;
  const res = await request("/api/me", bearer(forged));
  expect(res.status).toBe(401);
  expectNowhere(
    [
      { name: "logs", text: s.h.logLines.join("\n") },
      { name: "answers", text: answers.join("\n") },
    ],
    [forged.split(".")[2], p],
  );
});

// Before any successful connect: MSAL keeps the authority metadata once it has resolved it.
test("the identity provider unreachable when a connect starts: 503 identity_unavailable with Retry-After, no MSAL internals", async () => {
  for (const fault of [{ kind: "status" as const, status: 503 }, { kind: "drop" as const }]) {
    const id = s.h.emulator.state.injectFault({ ...fault, match: { area: "identity", path: "openid-configuration" } });
    const res = await request("/api/connection", { method: "POST", ...bearer(s.apiToken(DANA.id)) });
    s.h.emulator.state.removeFault(id);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("identity_unavailable");
    expect(JSON.stringify(body)).not.toMatch(/msal|aka\.ms|endpoints_resolution|stack|https?:\/\//i);
  }
  // And it recovers by itself.
  expect((await request("/api/connection", { method: "POST", ...bearer(s.apiToken(DANA.id)) })).status).toBe(200);
});

test("the identity provider failing while the code is redeemed: no code, state or client secret in logs or the page", async () => {
  const url = await startConnect(s.h, DANA.id);
  const redirect = await authorize(s.h, url);
  const code = redirect.searchParams.get("code")!;
  const state = redirect.searchParams.get("state")!;
  const fault = s.h.emulator.state.injectFault({
    kind: "status",
    status: 500,
    retryAfterSeconds: null,
    count: 5,
    match: { area: "identity", path: "/oauth2/v2.0/token" },
  });
  const page = await callback(s.h, redirect);
  s.h.emulator.state.removeFault(fault);
  answers.push(page.html);
  expect(page.status).toBeGreaterThanOrEqual(400);
  expect(page.html).toContain('data-status="failed"');
  // Positive control: the failure was logged.
  expect(s.h.logLines.join("\n")).toMatch(/"level":(40|50)/);
  expectNowhere(
    [
      { name: "logs", text: s.h.logLines.join("\n") },
      { name: "page", text: page.html },
    ],
    [code, state, s.h.config.entra.clientSecret],
  );
});

test("Graph failing during a sweep (500, then 401 → forced refresh), and a revoked grant: no token in logs or answers", async () => {
  userId = await s.connect(DANA);
  await storedSecrets();
  const token = s.apiToken(DANA.id);
  s.h.emulator.state.addMessage(DANA.id, {
    from: "x@acme.example",
    to: [DANA.mail!],
    subject: "hello",
    receivedDateTime: new Date(s.h.clock.now().getTime() - 3600_000).toISOString(),
  });

  const f500 = s.h.emulator.state.injectFault({
    kind: "status",
    status: 500,
    retryAfterSeconds: null,
    match: { path: "/me/messages", userId: DANA.id },
  });
  const failed = await request("/api/sweeps?wait=true", { method: "POST", ...bearer(token) });
  s.h.emulator.state.removeFault(f500);
  expect(failed.status).toBe(200);
  expect(((await failed.json()) as { status: string }).status).not.toBe("succeeded");

  const f401 = s.h.emulator.state.injectFault({
    kind: "status",
    status: 401,
    count: 1,
    match: { path: "/me/messages", userId: DANA.id },
  });
  await request("/api/sweeps?wait=true", { method: "POST", ...bearer(token) });
  s.h.emulator.state.removeFault(f401);
  await storedSecrets(); // the forced refresh rotated them

  s.advance(2 * 3600_000); // the access token expires; the refresh is refused
  s.h.emulator.state.revokeGrant(DANA.id, 700082);
  await request("/api/sweeps?wait=true", { method: "POST", ...bearer(s.apiToken(DANA.id)) });
  expect((await connectRow(s.h, userId))!.status).toBe("reauth_required");
  await request("/api/sweeps", bearer(s.apiToken(DANA.id)));
  await request("/api/me", bearer(s.apiToken(DANA.id)));

  const logs = s.h.logLines.join("\n");
  expect(logs).toContain(userId); // positive control: these lines are about this mailbox
  expect(secrets.size).toBeGreaterThanOrEqual(4); // the client secret, an ID token, access and refresh tokens
  expectNowhere(
    [
      { name: "logs", text: logs },
      { name: "answers", text: answers.join("\n") },
    ],
    secrets,
  );
});

test("the database gone: 5xx in the error shape, no stack, no SQL, no token", async () => {
  const token = s.apiToken(DANA.id);
  await s.h.db.destroy();
  const res = await request("/api/clients", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Acme" }),
  });
  expect(res.status).toBeGreaterThanOrEqual(500);
  const body = (await res.json()) as { error: { code: string; message: string; details?: unknown } };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(typeof body.error.code).toBe("string");
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/\bat .+:\d+|\.ts\b|node_modules|sqlite|insert into|select |kysely|driver/i);
  expectNowhere(
    [
      { name: "logs", text: s.h.logLines.join("\n") },
      { name: "answers", text: answers.join("\n") },
    ],
    [token.split(".")[2], ...secrets],
  );
});
