/**
 * Connect, end to end against the emulator: connect → silent refresh after expiry (rotation persisted)
 * → revoked grant flips to reauth_required → reconnect fills the gap → disconnect deletes the tokens.
 */
import fs from "node:fs";
import { NotConnectedError, ReauthRequiredError } from "../../server/identity/errors";
import { createGraphClient } from "../../server/graph/client";
import {
  ADA,
  PUBLIC_URL,
  TENANT,
  authorize,
  cacheSecrets,
  callback,
  connectRow,
  startConnect,
  startHarness,
  type Harness,
} from "./harness";

jest.setTimeout(30_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const tokenCalls = () => h.emulator.state.requestCounts(ADA.id).byKind.token;

describe("connect a mailbox and keep custody of its tokens", () => {
  let userId: string;
  const seen = { accessTokens: new Set<string>(), refreshTokens: new Set<string>(), codes: new Set<string>() };

  it("start → authorize → callback: connection active, addresses stored, first sweep asked for", async () => {
    userId = await h.userIdOf(ADA.id);
    const url = await startConnect(h, ADA.id);
    expect(url.origin).toBe(h.emulator.url);
    expect(url.pathname).toBe("/organizations/oauth2/v2.0/authorize");
    const q = url.searchParams;
    expect(q.get("client_id")).toBe(h.config.entra.clientId);
    expect(q.get("redirect_uri")).toBe(`${PUBLIC_URL}/auth/callback`);
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get("login_hint")).toBe(ADA.upn);
    expect(q.get("state")).toMatch(/^v1\./);
    expect(q.get("scope")!.split(" ")).toEqual(
      expect.arrayContaining(["openid", "profile", "email", "offline_access", "User.Read", "Mail.Read", "Mail.Send"]),
    );

    const redirect = await authorize(h, url);
    expect(`${redirect.origin}${redirect.pathname}`).toBe(`${PUBLIC_URL}/auth/callback`);
    seen.codes.add(redirect.searchParams.get("code")!);
    const page = await callback(h, redirect);
    expect(page.status).toBe(200);
    expect(page.html).toContain('data-status="connected"');
    expect(page.html).toContain("Mailbox connected");
    expect(page.html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    expect(page.headers.get("cache-control")).toBe("no-store");

    const row = await connectRow(h, userId);
    expect(row).toMatchObject({
      status: "active",
      statusReason: null,
      homeAccountId: `${ADA.id}.${TENANT}`,
      connectedAt: h.clock.now().toISOString(),
    });
    expect(row!.tokenCache).toMatch(/^v1\./);
    const user = await h.db.selectFrom("users").selectAll().where("id", "=", userId).executeTakeFirstOrThrow();
    expect(JSON.parse(user.addresses).sort()).toEqual([
      "ada.l@contoso.onmicrosoft.com",
      "ada.lovelace@contoso.com",
      "ada@contoso.com",
    ]);
    expect(user.email).toBe("ada.lovelace@contoso.com");
    expect(user.addressesRefreshedAt).toBe(h.clock.now().toISOString());
    expect(h.connected).toEqual([{ organizationId: TENANT, userId }]);

    const me = await h.app.request("/api/me", { headers: { authorization: `Bearer ${h.apiToken(ADA.id)}` } });
    expect(((await me.json()) as { connection: { status: string } }).connection.status).toBe("active");

    const s = cacheSecrets(h, TENANT, userId, row!.tokenCache!);
    expect(s.refreshTokens).toHaveLength(1);
    s.accessTokens.forEach((t) => seen.accessTokens.add(t));
    s.refreshTokens.forEach((t) => seen.refreshTokens.add(t));
  });

  it("a valid cached access token is served without calling Entra, and Graph accepts it", async () => {
    const before = tokenCalls();
    const token = await h.service.getGraphAccessToken(TENANT, userId);
    expect(seen.accessTokens.has(token)).toBe(true);
    expect(tokenCalls()).toBe(before);
    const { client } = createGraphClient({
      baseUrl: h.emulator.url,
      outbound: h.outbound,
      getAccessToken: async () => token,
    });
    expect(((await client.api("/me").select("id").get()) as { id: string }).id).toBe(ADA.id);
  });

  it("after expiry the token is refreshed silently and the rotated cache is persisted", async () => {
    const before = await connectRow(h, userId);
    const callsBefore = tokenCalls();
    h.advance(2 * 3600_000); // past expires_in (3599 s)
    const token = await h.service.getGraphAccessToken(TENANT, userId);
    expect(tokenCalls()).toBe(callsBefore + 1); // one refresh_token grant
    expect(seen.accessTokens.has(token)).toBe(false);

    const after = await connectRow(h, userId);
    expect(after!.tokenCache).not.toBe(before!.tokenCache);
    const s = cacheSecrets(h, TENANT, userId, after!.tokenCache!);
    expect(s.accessTokens).toContain(token);
    expect(s.refreshTokens).toHaveLength(1);
    expect(seen.refreshTokens.has(s.refreshTokens[0])).toBe(false); // rotated
    s.accessTokens.forEach((t) => seen.accessTokens.add(t));
    s.refreshTokens.forEach((t) => seen.refreshTokens.add(t));

    const { client } = createGraphClient({
      baseUrl: h.emulator.url,
      outbound: h.outbound,
      getAccessToken: async () => token,
    });
    expect(((await client.api("/me").select("id").get()) as { id: string }).id).toBe(ADA.id);
  });

  it("neither the database file nor any log line holds a token, code or the client secret in plain text", async () => {
    await h.db.selectFrom("users").select("id").execute(); // settle
    const files = [h.dbFile, `${h.dbFile}-wal`, `${h.dbFile}-shm`].filter((f) => fs.existsSync(f));
    expect(files.length).toBeGreaterThanOrEqual(2); // WAL mode: the main file and the log
    const raw = Buffer.concat(files.map((f) => fs.readFileSync(f)));
    const logs = h.logLines.join("\n");
    // Positive controls: the bytes and lines searched do hold this connection's row and log records.
    expect(raw.includes(Buffer.from(`${ADA.id}.${TENANT}`, "utf8"))).toBe(true);
    expect(logs).toContain("mailbox connected");
    expect(logs).toContain(userId);
    const secrets = [...seen.accessTokens, ...seen.refreshTokens, ...seen.codes, h.config.entra.clientSecret];
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(20);
      // A distinctive slice is enough: a token cut across a page boundary still shows one of them.
      for (const needle of [secret, secret.slice(0, 40), secret.slice(-40)]) {
        expect(raw.includes(Buffer.from(needle, "utf8"))).toBe(false);
        expect(logs.includes(needle)).toBe(false);
      }
    }
  });

  it("a transient failure at the token endpoint is not a revoked grant: the connection stays active", async () => {
    h.advance(2 * 3600_000);
    for (const fault of [
      { kind: "drop" as const },
      { kind: "status" as const, status: 503, retryAfterSeconds: null },
    ]) {
      const id = h.emulator.state.injectFault({
        ...fault,
        count: 10,
        match: { area: "identity", path: "/oauth2/v2.0/token" },
      });
      const err = await h.service.getGraphAccessToken(TENANT, userId).catch((e: unknown) => e);
      h.emulator.state.removeFault(id);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(ReauthRequiredError);
      expect((await connectRow(h, userId))!.status).toBe("active");
    }
    const token = await h.service.getGraphAccessToken(TENANT, userId);
    expect(seen.accessTokens.has(token)).toBe(false);
  });

  it("concurrent token requests for one mailbox make one refresh; forceRefresh redeems the refresh token at once", async () => {
    h.advance(2 * 3600_000);
    const calls = tokenCalls();
    const tokens = await Promise.all([1, 2, 3].map(() => h.service.getGraphAccessToken(TENANT, userId)));
    expect(new Set(tokens).size).toBe(1);
    expect(tokenCalls()).toBe(calls + 1);
    const forced = await h.service.getGraphAccessToken(TENANT, userId, { forceRefresh: true });
    expect(tokenCalls()).toBe(calls + 2);
    expect(forced).not.toBe(tokens[0]);
  });

  let windowEnd: string;
  it("a revoked grant flips the connection to reauth_required with the reason, on the next token use", async () => {
    // As if a sweep had succeeded up to now.
    windowEnd = h.clock.now().toISOString();
    await h.db
      .updateTable("mailboxConnections")
      .set({ lastSuccessWindowEnd: windowEnd, lastSuccessAt: windowEnd })
      .where("userId", "=", userId)
      .execute();

    h.emulator.state.revokeGrant(ADA.id, 50173);
    h.advance(2 * 3600_000);
    const err = await h.service.getGraphAccessToken(TENANT, userId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReauthRequiredError);
    expect((err as ReauthRequiredError).aadsts).toBe(50173);
    const row = await connectRow(h, userId);
    expect(row!.status).toBe("reauth_required");
    expect(row!.statusReason).toMatch(/revoked.*reconnect/i);

    const me = await h.app.request("/api/me", { headers: { authorization: `Bearer ${h.apiToken(ADA.id)}` } });
    const view = ((await me.json()) as { connection: { status: string; reason: string } }).connection;
    expect(view).toMatchObject({ status: "reauth_required", reason: row!.statusReason });

    // Known gone: no more calls to Entra until the user reconnects.
    const calls = tokenCalls();
    await expect(h.service.getGraphAccessToken(TENANT, userId)).rejects.toBeInstanceOf(ReauthRequiredError);
    expect(tokenCalls()).toBe(calls);
  });

  it("reconnecting restores active, keeps connectedAt and the last success so the sweep fills the gap", async () => {
    const before = await connectRow(h, userId);
    h.advance(5 * 60_000);
    const page = await callback(h, await authorize(h, await startConnect(h, ADA.id)));
    expect(page.status).toBe(200);
    const row = await connectRow(h, userId);
    expect(row).toMatchObject({
      status: "active",
      statusReason: null,
      lastSuccessWindowEnd: windowEnd,
      connectedAt: before!.connectedAt,
    });
    expect(h.connected).toHaveLength(2);
    const token = await h.service.getGraphAccessToken(TENANT, userId);
    expect(typeof token).toBe("string");
  });

  it("other reauth causes carry their own reason: 700082 (inactive) and 65001 (consent withdrawn)", async () => {
    for (const [code, words] of [
      [700082, /expired/i],
      [65001, /withdrawn/i],
    ] as const) {
      h.emulator.state.revokeGrant(ADA.id, code);
      h.advance(2 * 3600_000);
      const err = await h.service.getGraphAccessToken(TENANT, userId).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReauthRequiredError);
      expect((err as ReauthRequiredError).aadsts).toBe(code);
      expect((await connectRow(h, userId))!.statusReason).toMatch(words);
      expect((await callback(h, await authorize(h, await startConnect(h, ADA.id)))).status).toBe(200);
    }
  });

  it("DELETE /api/connection deletes the tokens at once; the next token use says not connected", async () => {
    const res = await h.app.request("/api/connection", {
      method: "DELETE",
      headers: { authorization: `Bearer ${h.apiToken(ADA.id)}` },
    });
    expect(res.status).toBe(204);
    const row = await connectRow(h, userId);
    expect(row).toMatchObject({ status: "disconnected", tokenCache: null, homeAccountId: null });
    await expect(h.service.getGraphAccessToken(TENANT, userId)).rejects.toBeInstanceOf(NotConnectedError);
  });

  it("refreshAddressesIfStale re-reads /me once a day", async () => {
    expect((await callback(h, await authorize(h, await startConnect(h, ADA.id)))).status).toBe(200);
    expect(await h.service.refreshAddressesIfStale(TENANT, userId)).toBe(false);
    h.emulator.state.getUser(ADA.id)!.proxyAddresses.push("smtp:countess@contoso.com");
    h.advance(25 * 3600_000);
    expect(await h.service.refreshAddressesIfStale(TENANT, userId)).toBe(true);
    const user = await h.db.selectFrom("users").selectAll().where("id", "=", userId).executeTakeFirstOrThrow();
    expect(JSON.parse(user.addresses)).toContain("countess@contoso.com");
  });
});
