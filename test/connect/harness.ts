/**
 * The connect flow against the real emulator: HTTPS Entra + Graph, SQLite file DB, the real app.
 * Time: one ManualClock drives the emulator and the server; Date is faked to follow it, because
 * msal-node decides whether a cached access token is still valid from Date.now().
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { startEmulator, type Emulator, type EmulatorDataset } from "../../emulator";
import type { DatasetMessage, DatasetUser } from "../../emulator/dataset";
import { createApp } from "../../server/app";
import { ManualClock } from "../../server/clock";
import type { Config } from "../../server/config";
import { migrateToLatest, openDatabase, type Db } from "../../server/db";
import { createOutbound, type Outbound } from "../../server/http/outbound";
import { createTokenCipher, type TokenCipher } from "../../server/identity/token-crypto";
import { createTokenVerifier } from "../../server/identity/token-verifier";
import { createLogger, type Logger } from "../../server/logger";
import { createConnectionService, type ConnectionService } from "../../server/mailbox-connection/service";
import { openTokenCache } from "../../server/identity/msal-client";
import { stubMail, stubSweeps } from "../api/stub-services";

export const TENANT = "5c1f2b3a-0d4e-4f60-9a7b-8c9d0e1f2a3b";
export const OTHER_TENANT = "7e6d5c4b-3a29-4180-8f7e-6d5c4b3a2910";
export const CLIENT_ID = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9";
export const CLIENT_SECRET = "emulated-client-secret-value-0123456789";
export const PUBLIC_URL = "https://engage.contoso.test";

/** The emulated Contoso tenant with this app registered, and these users and their mail. */
export function appDataset(users: DatasetUser[] = [], messages?: DatasetMessage[]): EmulatorDataset {
  return {
    tenants: [{ id: TENANT, displayName: "Contoso", domain: "contoso.com" }],
    apps: [
      {
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        displayName: "Engagement Capture",
        redirectUris: [`${PUBLIC_URL}/auth/callback`],
      },
    ],
    users,
    ...(messages ? { messages } : {}),
  };
}

/** Environment for the product's configuration pointed at the emulator (what an operator would set). */
export function productEnv(
  emulatorUrl: string,
  dataDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ENTRA_CLIENT_ID: CLIENT_ID,
    ENTRA_CLIENT_SECRET: CLIENT_SECRET,
    ENTRA_AUTHORITY_HOST: emulatorUrl,
    GRAPH_BASE_URL: emulatorUrl,
    PUBLIC_URL,
    DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
    ...extra,
  };
}

export const ADA = { id: "a0a0a0a0-1111-4222-8333-444444444444", upn: "ada@contoso.com" };
export const BOB = { id: "b0b0b0b0-1111-4222-8333-555555555555", upn: "bob@contoso.com" };
export const EVE = { id: "e0e0e0e0-1111-4222-8333-666666666666", upn: "eve@fabrikam.com" };

export const dataset: EmulatorDataset = {
  tenants: [
    { id: TENANT, displayName: "Contoso", domain: "contoso.com" },
    { id: OTHER_TENANT, displayName: "Fabrikam", domain: "fabrikam.com" },
  ],
  apps: [
    {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      displayName: "Engagement Capture",
      redirectUris: [`${PUBLIC_URL}/auth/callback`],
    },
  ],
  users: [
    {
      tenantId: TENANT,
      id: ADA.id,
      displayName: "Ada Lovelace",
      mail: "Ada.Lovelace@contoso.com",
      userPrincipalName: ADA.upn,
      proxyAddresses: [
        "SMTP:Ada.Lovelace@contoso.com",
        "smtp:ada@contoso.com",
        "smtp:ada.l@contoso.onmicrosoft.com",
        "X500:/o=ExchangeLabs/ou=x/cn=ada",
        "SIP:ada@contoso.com",
      ],
    },
    {
      tenantId: TENANT,
      id: BOB.id,
      displayName: "Bob Baker",
      mail: "bob@contoso.com",
      userPrincipalName: BOB.upn,
      proxyAddresses: ["SMTP:bob@contoso.com", "smtp:robert@contoso.com"],
    },
    { tenantId: OTHER_TENANT, id: EVE.id, displayName: "Eve", mail: "eve@fabrikam.com", userPrincipalName: EVE.upn },
  ],
};

export interface Harness {
  emulator: Emulator;
  clock: ManualClock;
  db: Db;
  dbFile: string;
  dir: string;
  outbound: Outbound;
  cipher: TokenCipher;
  logLines: string[];
  logger: Logger;
  service: ConnectionService;
  app: ReturnType<typeof createApp>;
  config: Config;
  connected: { organizationId: string; userId: string }[];
  advance(ms: number): void;
  apiToken(oid: string): string;
  /** Provision the user through the API (as the pane's first call does) and return the user id. */
  userIdOf(oid: string): Promise<string>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const clock = new ManualClock(new Date());
  // Started before Date is faked: the TLS certificate is made with real time.
  // The product is a CAE client (cp1), whose Graph tokens Entra makes long-lived (20-28 h); these tests are
  // about what happens once a token expires, so they keep the ordinary hour (revocation.test.ts covers CAE).
  const emulator = await startEmulator({ clock, dataset, caeAccessTokenLifetimeSeconds: 3599 });
  jest.useFakeTimers({
    now: clock.now(),
    doNotFake: [
      "hrtime",
      "nextTick",
      "performance",
      "queueMicrotask",
      "setImmediate",
      "clearImmediate",
      "setInterval",
      "clearInterval",
      "setTimeout",
      "clearTimeout",
    ],
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-connect-"));
  const dbFile = path.join(dir, "engagement-capture.db");
  const db = await openDatabase(dbFile);
  await migrateToLatest(db);
  const outbound = createOutbound(emulator.caPem);
  const cipher = createTokenCipher(crypto.randomBytes(32));
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(chunk.toString("utf8"));
      cb();
    },
  });
  const logger = createLogger("trace", sink);
  const config: Config = {
    mode: "production",
    entra: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tenant: "organizations", authorityHost: emulator.url },
    graphBaseUrl: emulator.url,
    publicUrl: PUBLIC_URL,
    addinPublicUrl: "https://addin.contoso.test",
    databaseUrl: dbFile,
    databaseKind: "sqlite",
    tokenEncryptionKey: null,
    port: 0,
    listenHost: "localhost",
    dataDir: dir,
    sweep: { intervalMinutes: 60, windowHours: 24, overlapMinutes: 15, concurrency: 2 },
    logLevel: "trace",
    queue: { expireInSeconds: 900, maintenanceIntervalSeconds: 60 },
    worker: { concurrency: 1, id: null, enqueuerTickSeconds: 60, stopTimeoutSeconds: 30 },
    tls: null,
    extraCaCertsFile: null,
    nodeEnv: null,
  };
  const connected: { organizationId: string; userId: string }[] = [];
  const service = createConnectionService({
    db,
    config,
    clock,
    logger,
    outbound,
    cipher,
    onConnected: (organizationId, userId) => {
      connected.push({ organizationId, userId });
    },
  });
  const verifier = createTokenVerifier({
    authorityHost: emulator.url,
    clientId: CLIENT_ID,
    fetch: outbound.fetch,
    clock,
  });
  const app = createApp({
    db,
    config,
    clock,
    logger,
    verifier,
    connections: service,
    sweeps: stubSweeps(db),
    mail: stubMail(),
  });
  const h: Harness = {
    emulator,
    clock,
    db,
    dbFile,
    dir,
    outbound,
    cipher,
    logLines,
    logger,
    service,
    app,
    config,
    connected,
    advance(ms) {
      clock.advance(ms);
      jest.setSystemTime(clock.now());
    },
    apiToken: (oid) =>
      emulator.state.mintAccessToken({
        userId: oid,
        clientId: CLIENT_ID,
        audience: CLIENT_ID,
        scopes: ["access_as_user"],
      }),
    async userIdOf(oid) {
      const res = await app.request("/api/me", { headers: { authorization: `Bearer ${h.apiToken(oid)}` } });
      if (res.status !== 200) throw new Error(`/api/me answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { user: { id: string } }).user.id;
    },
    async close() {
      jest.useRealTimers();
      await db.destroy();
      await outbound.close();
      await emulator.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** POST /api/connection as this user → the authorize URL. */
export async function startConnect(h: Harness, oid: string): Promise<URL> {
  const res = await h.app.request("/api/connection", {
    method: "POST",
    headers: { authorization: `Bearer ${h.apiToken(oid)}` },
  });
  if (res.status !== 200) throw new Error(`POST /api/connection answered ${res.status}: ${await res.text()}`);
  // The authorize URL carries a single-use state: it must never be cached.
  if (res.headers.get("cache-control") !== "no-store")
    throw new Error(`POST /api/connection: Cache-Control ${res.headers.get("cache-control")}`);
  return new URL(((await res.json()) as { authorizeUrl: string }).authorizeUrl);
}

/** Follow the authorize URL at the emulator (auto-approves for login_hint); return the redirect, not followed. */
export async function authorize(h: Harness, url: URL): Promise<URL> {
  const res = await h.outbound.fetch(url, { redirect: "manual" });
  if (res.status !== 302) throw new Error(`authorize answered ${res.status}: ${await res.text()}`);
  return new URL(res.headers.get("location")!);
}

/** The browser arriving at our callback. */
export async function callback(
  h: Harness,
  redirect: URL | string,
): Promise<{ status: number; html: string; headers: Headers }> {
  const u = typeof redirect === "string" ? new URL(redirect, PUBLIC_URL) : redirect;
  const res = await h.app.request(`${u.pathname}${u.search}`);
  return { status: res.status, html: await res.text(), headers: res.headers };
}

export async function connectRow(h: Harness, userId: string) {
  return (
    (await h.db.selectFrom("mailboxConnections").selectAll().where("userId", "=", userId).executeTakeFirst()) ?? null
  );
}

/** The secrets in a stored cache (decrypted the way the server does). */
export function cacheSecrets(h: Harness, organizationId: string, userId: string, sealed: string) {
  const cache = JSON.parse(openTokenCache(h.cipher, organizationId, userId, sealed)) as Record<
    string,
    Record<string, { secret: string }>
  >;
  const secrets = (section: string) => Object.values(cache[section] ?? {}).map((e) => e.secret);
  return { accessTokens: secrets("AccessToken"), refreshTokens: secrets("RefreshToken"), idTokens: secrets("IdToken") };
}
