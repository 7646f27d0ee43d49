/**
 * Notifications end to end in embedded mode: the emulator (Entra + Graph + its notifier), the real
 * server over HTTPS on a free port with PUBLIC_URL pointing at it, a SQLite file database. The
 * emulator trusts the server's development CA, as Graph trusts a public certificate.
 * The server's clock follows real time plus an offset the test can move (renewal).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmulator, type Emulator } from "../../emulator";
import type { DatasetUser } from "../../emulator/dataset";
import type { Clock } from "../../server/clock";
import { loadConfig } from "../../server/config";
import { startServer, type RunningServer } from "../../server/cli/serve";
import { startWorker, type RunningWorker } from "../../server/cli/compose";
import type { TickResult } from "../../server/notifications/subscription-manager";
import { CAPTURE_QUEUE } from "../../server/sweep-queue/queue";
import { openPostgresTestDatabase, type TestDatabase } from "../db/databases";
import { taggedOutbound } from "../distributed/harness";
import { createContact } from "../../server/store/contacts";
import { CLIENT_ID, CLIENT_SECRET, TENANT } from "../connect/harness";
import { freePort, until } from "../support";

export { TENANT, until };
export type { DatasetUser };

export const ADA: DatasetUser = {
  tenantId: TENANT,
  id: "a0a0a0a0-1111-4222-8333-444444444444",
  displayName: "Ada Lovelace",
  mail: "ada@contoso.com",
  userPrincipalName: "ada@contoso.com",
};
export const CLIENT = "client@fabrikam.com";
/** The User-Agent of the API process's requests in distributed mode (the emulator counts per User-Agent). */
const API_AGENT = "ec-notify-api";

export interface NotifyHarness {
  emulator: Emulator;
  server: RunningServer;
  dir: string;
  /** Distributed mode: the two workers (empty in embedded mode). */
  workers: RunningWorker[];
  /** Resolves when no notified capture waits or runs (in process, or as queued jobs). */
  idle(): Promise<void>;
  /** Capture jobs ever queued (distributed mode; 0 in embedded mode). */
  captureJobs(): Promise<number>;
  /** Renew and create subscriptions now, where this mode does it (the server, or a worker). */
  tick(): Promise<TickResult>;
  /** Distributed mode: Graph requests the API process made (null in embedded mode, where it makes them all). */
  apiGraphRequests(): number | null;
  /** Moves the server's clock (not the emulator's). */
  advance(ms: number): void;
  /** Connect ADA through the real flow; resolves with her user id once her first sweep ended and she is subscribed. */
  connect(): Promise<string>;
  /** A message from the tracked client arrives in ADA's inbox; returns its immutable id. */
  deliver(subject: string): string;
  engagementsOf(userId: string): Promise<number>;
  decisionsOf(userId: string): Promise<number>;
  sweepsOf(userId: string): Promise<number>;
  subscriptionRow(
    userId: string,
  ): Promise<import("../../server/store/graph-subscriptions").GraphSubscriptionRecord | undefined>;
  /** Drops the mailbox's subscription row (as if it had never been made): the next tick creates one. */
  forgetSubscription(userId: string): Promise<void>;
  apiAuth(): { authorization: string };
  close(): Promise<void>;
}

export interface NotifyOptions {
  env?: Record<string, string>;
  /** Distributed mode on this PostgreSQL server (admin URL), with two in-process workers. */
  postgres?: string;
}

export async function startNotifyHarness(o: NotifyOptions = {}): Promise<NotifyHarness> {
  const emulator = await startEmulator({
    dataset: {
      tenants: [{ id: TENANT, displayName: "Contoso", domain: "contoso.com" }],
      apps: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, displayName: "EC", redirectUris: [] }],
      users: [ADA],
    },
  });
  const port = await freePort();
  const publicUrl = `https://localhost:${port}`;
  emulator.state.apps.get(CLIENT_ID)!.redirectUris.push(`${publicUrl}/auth/callback`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-notify-"));
  const database: TestDatabase | null = o.postgres ? await openPostgresTestDatabase(o.postgres) : null;
  const distributedEnv: Record<string, string> = database
    ? {
        DATABASE_URL: database.url,
        TOKEN_ENCRYPTION_KEY: crypto.randomBytes(32).toString("base64"),
        ENQUEUER_TICK_SECONDS: "1",
        QUEUE_MAINTENANCE_SECONDS: "1",
      }
    : {};
  const loaded = loadConfig({
    ENTRA_CLIENT_ID: CLIENT_ID,
    ENTRA_CLIENT_SECRET: CLIENT_SECRET,
    ENTRA_AUTHORITY_HOST: emulator.url,
    GRAPH_BASE_URL: emulator.url,
    PUBLIC_URL: publicUrl,
    DATA_DIR: dir,
    LOG_LEVEL: "silent",
    NOTIFICATIONS: "on",
    ...distributedEnv,
    ...o.env,
  });
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  let offset = 0;
  const clock: Clock = { now: () => new Date(Date.now() + offset) };
  const apiOutbound = database ? taggedOutbound(emulator.caPem, API_AGENT) : undefined;
  const server = await startServer({
    config: loaded.config,
    extraCaPem: emulator.caPem,
    clock,
    port,
    outbound: apiOutbound,
  });
  emulator.state.notifier.trustedCas.push(server.caPem);
  const { db } = server;
  // One after the other: two pg-boss instances creating the same queues at once can deadlock.
  const workers: RunningWorker[] = [];
  for (const workerId of database ? ["A", "B"] : [])
    workers.push(
      await startWorker({ config: loaded.config, extraCaPem: emulator.caPem, clock, workerId, pollIntervalMs: 100 }),
    );
  const pendingCaptures = async () =>
    Number(
      (
        await server
          .queue!.boss.getDb()
          .executeSql(`SELECT count(*) AS n FROM pgboss.job WHERE name = $1 AND state < 'completed'`, [CAPTURE_QUEUE])
      ).rows[0].n,
    );
  const apiToken = () =>
    emulator.state.mintAccessToken({
      userId: ADA.id,
      clientId: CLIENT_ID,
      audience: CLIENT_ID,
      scopes: ["access_as_user"],
    });
  const count = async (table: "engagementMailboxes" | "captureDecisions" | "sweeps", userId: string) =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as("n"))
          .where("userId", "=", userId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const h: NotifyHarness = {
    emulator,
    server,
    dir,
    workers,
    async idle() {
      if (!server.queue) return server.notifications.sink!.idle();
      await until("the capture jobs", pendingCaptures, (n) => n === 0, 30_000, 50);
    },
    async captureJobs() {
      if (!server.queue) return 0;
      const { rows } = await server.queue.boss
        .getDb()
        .executeSql(`SELECT count(*) AS n FROM pgboss.job WHERE name = $1`, [CAPTURE_QUEUE]);
      return Number(rows[0].n);
    },
    async tick() {
      const notifications = workers.length ? workers[0].services.notifications : server.notifications;
      // Another worker may hold the tick for a moment.
      return (await until(
        "a tick",
        () => notifications.tick(),
        (r) => r !== null,
        30_000,
        50,
      ))!;
    },
    apiGraphRequests: () => (database ? emulator.state.counter.callerCounts(API_AGENT).graph : null),
    advance: (ms) => void (offset += ms),
    apiAuth: () => ({ authorization: `Bearer ${apiToken()}` }),
    async connect() {
      const auth = h.apiAuth();
      const me = await server.app.request("/api/me", { headers: auth });
      if (me.status !== 200) throw new Error(`/api/me answered ${me.status}`);
      const userId = ((await me.json()) as { user: { id: string } }).user.id;
      // Connecting again (after a disconnect) keeps the contact tracked the first time.
      const tracked = await db.selectFrom("contacts").select("id").where("email", "=", CLIENT).executeTakeFirst();
      if (!tracked) await createContact(db, TENANT, { email: CLIENT }, new Date(Date.now() - 86_400_000));
      const start = await server.app.request("/api/connection", { method: "POST", headers: auth });
      const { authorizeUrl } = (await start.json()) as { authorizeUrl: string };
      const consent = await server.outbound.fetch(authorizeUrl, { redirect: "manual" });
      const back = new URL(consent.headers.get("location")!);
      const cb = await server.app.request(`${back.pathname}${back.search}`);
      if (cb.status !== 200) throw new Error(`callback answered ${cb.status}`);
      await cb.text();
      await until(
        "the subscription",
        () => h.subscriptionRow(userId),
        (r) => r !== undefined,
        30_000,
      );
      await until(
        "the first sweep to end",
        () => db.selectFrom("sweeps").select("status").where("userId", "=", userId).executeTakeFirst(),
        (r) => !!r && r.status !== "running",
        30_000,
      );
      return userId;
    },
    deliver(subject) {
      const m = emulator.state.addMessage(ADA.id, {
        subject,
        body: "Hello",
        bodyContentType: "text",
        from: CLIENT,
        to: [ADA.mail],
      });
      return m.immutableId ?? m.id;
    },
    engagementsOf: (userId) => count("engagementMailboxes", userId),
    decisionsOf: (userId) => count("captureDecisions", userId),
    sweepsOf: (userId) => count("sweeps", userId),
    async forgetSubscription(userId) {
      await db.deleteFrom("graphSubscriptions").where("userId", "=", userId).execute();
    },
    subscriptionRow: (userId) =>
      db.selectFrom("graphSubscriptions").selectAll().where("userId", "=", userId).executeTakeFirst(),
    async close() {
      for (const w of workers) await w.stop({ timeoutMs: 2000 });
      await server.close();
      await apiOutbound?.close();
      await emulator.close();
      await database?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
