/**
 * Fault suite: the database is unavailable for a while (the CI PostgreSQL server stopped with
 * `pg_ctl -m fast` and started again ~15 s later; a full minute would add nothing but CI time) while
 * sweeps and API calls run. Distributed mode: the API as a real process (server-entry.ts → startServer,
 * over HTTPS) and a sweep worker (startWorker, what `npm run worker` runs) in this process, the emulator
 * slowed so sweeps are in flight when the database goes. (The API runs outside Jest on purpose: in
 * Jest's sandbox, errors made by Node itself, such as ECONNREFUSED, are not `instanceof Error`, so
 * Hono would not hand them to the app's error handler as it does in a real process.) Meanwhile the API answers 503 with a JSON error (`/healthz` and `/api/*`);
 * afterwards it answers 200 again by itself, failed sweep jobs are retried (or swept at the next slot),
 * and the database holds exactly what the rules predict.
 * Skipped when the PostgreSQL control variables are absent (see pg-control.ts).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { startEmulator, type Emulator } from "../../emulator";
import { loadConfig } from "../../server/config";
import { createEnqueuer } from "../../server/sweep-queue/enqueuer";
import { startSweepQueue, SWEEP_QUEUE, type SweepQueue } from "../../server/sweep-queue/queue";
import { startWorker, type RunningWorker } from "../../server/cli/compose";
import { createOutbound, type Outbound } from "../../server/http/outbound";
import { createLogger } from "../../server/logger";
import { systemClock } from "../../server/clock";
import { openPostgresTestDatabase, type TestDatabase } from "../db/databases";
import { appDataset, productEnv, TENANT } from "../connect/harness";
import { expectExact, generateFleet, predict, recordResult } from "./fleet";
import { pgToolsFromEnv, startPrivatePostgres, type PgControl } from "./pg-control";
import {
  apiToken,
  connectOverHttps,
  ensureStopped,
  spawnBackend,
  tempDir,
  until,
  type BackendProcess,
} from "./processes";

const tools = pgToolsFromEnv();
const suite = tools ? describe : describe.skip;
const MAILBOXES = 12;
const OUTAGE_MS = 15_000;
const HOUR = 3600_000;

suite(
  tools
    ? "database outage (a private PostgreSQL stopped and restarted)"
    : "database outage (skipped: TEST_PG_CTL / TEST_PGBIN not set — .ci/run sets them)",
  () => {
    jest.setTimeout(240_000);
    let emulator: Emulator;
    let database: TestDatabase | null = null;
    let queue: SweepQueue | null = null;
    let backend: BackendProcess | null = null;
    let worker: RunningWorker | null = null;
    let outbound: Outbound | null = null;
    let dir = "";
    let pg: PgControl | null = null;

    afterAll(async () => {
      await worker?.stop({ timeoutMs: 2000 }).catch(() => undefined);
      await ensureStopped(backend, "SIGTERM");
      await queue?.stop({ graceful: false }).catch(() => undefined);
      await outbound?.close();
      await emulator?.close();
      await database?.close().catch(() => undefined);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      await pg?.destroy();
    });

    test("API answers 503 with a JSON error during the outage and recovers by itself; sweeps are retried; exactly the expected engagements", async () => {
      const fleet = generateFleet({
        tenantId: TENANT,
        mailboxes: MAILBOXES,
        messagesPerDay: 30,
        seed: 81,
        userIdPrefix: "be0c0000",
      });
      emulator = await startEmulator({ dataset: appDataset(fleet.users, fleet.messages) });
      pg = await startPrivatePostgres(tools!);
      database = await openPostgresTestDatabase(pg.adminUrl);
      dir = tempDir("ec-dbout-");
      const env = productEnv(emulator.url, dir, {
        DATABASE_URL: database.url,
        TOKEN_ENCRYPTION_KEY: crypto.randomBytes(32).toString("base64"),
        LOG_LEVEL: "info",
      });
      const loaded = loadConfig(env);
      if (!loaded.ok) throw new Error(loaded.problems.join("; "));
      const config = loaded.config;
      const logger = createLogger(process.env.RELIABILITY_LOG ?? "silent");
      // Short job deadline: a job whose outcome could not be recorded (database down) comes back in seconds.
      const settings = { expireInSeconds: 20, maintenanceIntervalSeconds: 1 };
      queue = await startSweepQueue({ connectionString: database.url, logger, settings });
      const caFile = path.join(dir, "emulator-ca.pem");
      fs.writeFileSync(caFile, emulator.caPem);
      // The backend process must run the queue with the same settings as this process's (it refuses otherwise).
      backend = await spawnBackend({
        ...env,
        SWEEP_JOB_EXPIRE_SECONDS: "20",
        QUEUE_MAINTENANCE_SECONDS: "1",
        RELIABILITY_CA_FILE: caFile,
        LOG_LEVEL: "warn",
      });
      worker = await startWorker({
        config,
        extraCaPem: emulator.caPem,
        concurrency: 4,
        logger,
        queue: settings,
        pollIntervalMs: 250,
        graph: { timeoutMs: 10_000 },
      });
      outbound = createOutbound(`${emulator.caPem}\n${fs.readFileSync(path.join(dir, "certs", "ca.crt"), "utf8")}`);
      const out = outbound;
      const url = backend.url;
      const db = database.db;

      const auth = (oid: string) => ({
        authorization: `Bearer ${apiToken(emulator, oid)}`,
        "content-type": "application/json",
      });
      /** The status, with the body read: an unread body holds its connection until the garbage collector runs. */
      const statusOf = async (u: string, init?: RequestInit) => {
        const res = await out.fetch(u, init);
        await res.arrayBuffer();
        return res.status;
      };
      const first = fleet.users[0].id;
      expect(await statusOf(`${url}/api/me`, { headers: auth(first) })).toBe(200);
      for (const email of fleet.trackedContacts)
        expect(
          await statusOf(`${url}/api/contacts`, {
            method: "POST",
            headers: auth(first),
            body: JSON.stringify({ email }),
          }),
        ).toBe(201);
      const userIds = new Map<string, string>();
      for (const u of fleet.users) userIds.set(u.id, await connectOverHttps(url, emulator, out, u.id));
      const oidOf = new Map([...userIds].map(([oid, id]) => [id, oid]));
      const jobsDone = async () => {
        const { rows } = await queue!.boss
          .getDb()
          .executeSql(`SELECT state, count(*)::int AS n FROM pgboss.job WHERE name = $1 GROUP BY state`, [SWEEP_QUEUE]);
        const s = Object.fromEntries(rows.map((r: { state: string; n: number }) => [r.state, r.n])) as Record<
          string,
          number
        >;
        return !s.created && !s.retry && !s.active;
      };
      await until(
        "the connect sweeps",
        async () => (await db.selectFrom("sweeps").select("id").where("status", "=", "succeeded").execute()).length,
        (n) => n === MAILBOXES,
        60_000,
      );
      // A sweep row succeeds a moment before its job completes: tick only once no connect job is left, or
      // the queue (one job per mailbox at a time) rightly refuses the slot's job for that mailbox.
      await until("the connect jobs", jobsDone, (done) => done, 30_000);

      // New mail everywhere, a slot's jobs enqueued, Graph slowed: sweeps are in flight when the database goes.
      const more = generateFleet({
        tenantId: TENANT,
        mailboxes: MAILBOXES,
        messagesPerDay: 30,
        seed: 82,
        userIdPrefix: "be0c0000",
      });
      for (const m of more.messages) {
        const { userId, ...input } = m;
        emulator.state.addMessage(userId, { ...input, receivedDateTime: "-120s", sentDateTime: "-120s" });
      }
      emulator.state.setLatency(400);
      const enqueuer = createEnqueuer({ db, queue, clock: systemClock, logger, intervalMinutes: 60 });
      const slot1 = new Date(Date.now() + HOUR);
      expect((await enqueuer.tick(slot1)).enqueued).toBe(MAILBOXES);
      const tickAt = new Date().toISOString();
      await until(
        "sweeps in flight",
        async () => (await db.selectFrom("sweeps").select("id").where("status", "=", "running").execute()).length,
        (n) => n >= 2,
        30_000,
        50,
      );

      // ---- the outage
      const down = Date.now();
      await pg!.stop();
      const seen: { path: string; status: number; code: string | null; retryAfter: string | null }[] = [];
      const call = async (p: string) => {
        try {
          const res = await out.fetch(`${url}${p}`, { headers: auth(fleet.users[1].id) });
          const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
          seen.push({
            path: p,
            status: res.status,
            code: body?.error?.code ?? null,
            retryAfter: res.headers.get("retry-after"),
          });
        } catch (err) {
          seen.push({ path: p, status: 0, code: String(err), retryAfter: null });
        }
      };
      while (Date.now() - down < OUTAGE_MS) {
        await Promise.all([call("/healthz"), call("/api/me"), call("/api/engagements")]);
        await new Promise((r) => setTimeout(r, 1000));
      }
      await pg!.start();
      const outageSeconds = (Date.now() - down) / 1000;

      // Every answer during the outage was a 503 with the JSON error shape — no 500, no dropped connection.
      expect(seen.length).toBeGreaterThanOrEqual(30);
      expect(seen.filter((s) => s.status !== 503)).toEqual([]);
      expect(seen.filter((s) => s.path === "/healthz").every((s) => s.code === "database_unavailable")).toBe(true);
      expect(
        seen
          .filter((s) => s.path !== "/healthz")
          .every((s) => s.code === "database_unavailable" && s.retryAfter === "5"),
      ).toBe(true);

      // ---- recovery, with no restart of anything
      const up = Date.now();
      await until(
        "healthz answers 200 again",
        () => statusOf(`${url}/healthz`),
        (s) => s === 200,
        30_000,
        250,
      );
      const recoverySeconds = (Date.now() - up) / 1000;
      expect(await statusOf(`${url}/api/me`, { headers: auth(fleet.users[1].id) })).toBe(200);
      expect(await statusOf(`${url}/api/engagements`, { headers: auth(fleet.users[1].id) })).toBe(200);
      emulator.state.setLatency(0);

      // Every mailbox gets a successful sweep that started after the slot's jobs were enqueued: retried jobs,
      // or — for a job whose retries ran out while the database was away — the next slot's job.
      const sweptSince = async () => {
        const rows = await db
          .selectFrom("sweeps")
          .select(["userId", "status"])
          .where("startedAt", ">=", tickAt)
          .execute();
        return new Set(rows.filter((r) => r.status === "succeeded").map((r) => r.userId)).size;
      };
      let slots = 1;
      for (; slots <= 3; slots++) {
        await until("the slot's jobs", jobsDone, (d) => d, 90_000, 500);
        if ((await sweptSince()) === MAILBOXES) break;
        await enqueuer.tick(new Date(slot1.getTime() + slots * HOUR));
      }
      expect(await sweptSince()).toBe(MAILBOXES);
      const failedDuring = (
        await db.selectFrom("sweeps").select(["status"]).where("startedAt", ">=", tickAt).execute()
      ).filter((s) => s.status !== "succeeded").length;

      const expected = predict(
        emulator.state,
        fleet.users.map((u) => u.id),
        fleet.trackedContacts,
      );
      const report = await expectExact(db, TENANT, oidOf, expected);
      const byStatus: Record<string, number> = {};
      for (const s of seen) byStatus[`${s.path} ${s.status}`] = (byStatus[`${s.path} ${s.status}`] ?? 0) + 1;
      recordResult("db-outage", {
        mailboxes: MAILBOXES,
        outageSeconds: Math.round(outageSeconds * 10) / 10,
        apiCallsDuringOutage: seen.length,
        answers: byStatus,
        recoverySeconds: Math.round(recoverySeconds * 10) / 10,
        sweepsNotSucceededSinceTick: failedDuring,
        slotsNeeded: slots,
        ...report,
      });
    });
  },
);
