/**
 * Load: a fixed overall rate of `POST /api/messages/status` (autocannon, in a process of its own:
 * load-client.ts) against
 * the real HTTPS backend in its own process (server-entry.ts → startServer, embedded mode, production
 * rate limits) with many users' real emulator-issued tokens and real JWT checks, while its scheduler
 * sweeps every mailbox (concurrency as configured, 8) → no non-2xx, no socket errors; latencies
 * reported; the sweep's result exact. The emulator (Graph for the sweep) runs in this process too.
 * Default (`npm test`): 200 req/s for 5 s during a 50-mailbox sweep.
 * Soak (`npm run test:soak`, RELIABILITY_SOAK=1): 1,000 req/s for 60 s during a 500-mailbox sweep.
 */
import { fork } from "node:child_process";
import type autocannon from "autocannon";
import { startEmulator, type Emulator } from "../../emulator";
import { createApp } from "../../server/app";
import { loadConfig } from "../../server/config";
import { createOutbound, type Outbound } from "../../server/http/outbound";
import { createTokenVerifier } from "../../server/identity/token-verifier";
import { createLogger } from "../../server/logger";
import { createServices } from "../../server/cli/compose";
import { openDatabase } from "../../server/db";
import { createContact } from "../../server/store/contacts";
import { appDataset, CLIENT_ID, productEnv, TENANT } from "../connect/harness";
import { expectExact, generateFleet, predict, recordResult, seedFleet } from "./fleet";
import type { LoadRequest } from "./load-client";
import { apiToken, ensureStopped, spawnBackend, tempDir, type BackendProcess } from "./processes";
import fs from "node:fs";
import path from "node:path";
import { stubMail } from "../api/stub-services";

const SOAK = process.env.RELIABILITY_SOAK === "1";

/** autocannon in its own process (load-client.ts), so the emulator in this one does not slow the client. */
function runLoad(req: LoadRequest): Promise<autocannon.Result> {
  const child = fork(path.join(__dirname, "load-client.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("message", (m: { ok: boolean; result?: autocannon.Result; error?: string }) =>
      m.ok ? resolve(m.result!) : reject(new Error(m.error)),
    );
    child.once("exit", (code) => reject(new Error(`the load client exited with ${code} before answering`)));
    child.send(req);
  });
}
const RATE = SOAK ? 1000 : 200;
const SECONDS = SOAK ? 60 : 5;
const MAILBOXES = SOAK ? 500 : 50;

jest.setTimeout(SOAK ? 900_000 : 180_000);

let emulator: Emulator;
let backend: BackendProcess | null = null;
let outbound: Outbound | null = null;
let dir = "";
afterAll(async () => {
  await ensureStopped(backend, "SIGTERM");
  await outbound?.close();
  await emulator?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test(`${RATE} status requests/s for ${SECONDS} s during a ${MAILBOXES}-mailbox sweep → no errors, p99 reported, sweep exact`, async () => {
  const fleet = generateFleet({
    tenantId: TENANT,
    mailboxes: MAILBOXES,
    messagesPerDay: 20,
    seed: 91,
    userIdPrefix: "ce0c0000",
  });
  // Users first, mail later: the connect sweeps find empty mailboxes, the load's sweep does the work.
  emulator = await startEmulator({ dataset: appDataset(fleet.users) });
  dir = tempDir("ec-load-");
  const caFile = path.join(dir, "emulator-ca.pem");
  fs.writeFileSync(caFile, emulator.caPem);
  const env = productEnv(emulator.url, dir, { DATABASE_URL: path.join(dir, "ec.db"), LOG_LEVEL: "warn" });
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  const config = loaded.config;
  const logger = createLogger("silent");

  // Setup in this process, on the same data directory (database file, token key): hundreds of users
  // connect through the real flow from one address, so through an app with the per-address callback
  // limit raised. The backend under load keeps the production limits.
  const setup = await createServices({ config, extraCaPem: emulator.caPem, logger, scheduler: false });
  outbound = createOutbound(emulator.caPem);
  const out = outbound;
  const verifier = createTokenVerifier({
    authorityHost: emulator.url,
    clientId: CLIENT_ID,
    fetch: setup.outbound.fetch,
  });
  const side = createApp({
    db: setup.db,
    config,
    clock: setup.clock,
    logger,
    verifier,
    connections: setup.connections,
    sweeps: setup.sweeps,
    mail: stubMail(),
    rateLimit: { perSecond: 1e4, burst: 1e4, unauthenticated: { perSecond: 1e4, burst: 1e4 } },
  });
  const userIds = new Map<string, string>();
  const connect = async (oid: string) => {
    const auth = { authorization: `Bearer ${apiToken(emulator, oid)}` };
    const me = await side.request("/api/me", { headers: auth });
    userIds.set(oid, ((await me.json()) as { user: { id: string } }).user.id);
    const start = await side.request("/api/connection", { method: "POST", headers: auth });
    const consent = await out.fetch(((await start.json()) as { authorizeUrl: string }).authorizeUrl, {
      redirect: "manual",
    });
    const back = new URL(consent.headers.get("location")!);
    const cb = await side.request(`${back.pathname}${back.search}`);
    if (cb.status !== 200) throw new Error(`callback answered ${cb.status}`);
  };
  await connect(fleet.users[0].id);
  const dayAgo = new Date(Date.now() - 86_400_000);
  for (const email of fleet.trackedContacts) await createContact(setup.db, TENANT, { email }, dayAgo);
  const oids = fleet.users.map((u) => u.id);
  for (let i = 1; i < oids.length; i += 10) await Promise.all(oids.slice(i, i + 10).map(connect));
  await setup.sweeps.scheduler.idle(); // the (empty) connect sweeps
  await setup.close();
  seedFleet(emulator.state, { ...fleet, users: [] });

  backend = await spawnBackend({ ...env, RELIABILITY_CA_FILE: caFile });
  const serverCa = fs.readFileSync(path.join(dir, "certs", "ca.crt"), "utf8");
  const b = backend;

  // What the pane sends: the open message's id and participants, with its mailbox owner's own token.
  const pairs = oids.flatMap((oid) => {
    const token = apiToken(emulator, oid);
    return emulator.state
      .getMessages(oid)
      .slice(0, 4)
      .map((m) => ({
        token,
        body: JSON.stringify({
          internetMessageId: m.internetMessageId,
          from: m.from?.emailAddress.address ?? null,
          to: m.toRecipients.map((r) => r.emailAddress.address),
          cc: m.ccRecipients.map((r) => r.emailAddress.address),
          receivedDateTime: m.receivedDateTime.toISOString(),
        }),
      }));
  });

  // The sweep: every mailbox due (the backend's scheduler ticks for the next hour), 8 at a time.
  backend.child.kill("SIGUSR2");
  const sweepDone = new Promise<number>((resolve) => {
    const timer = setInterval(() => {
      const line = b.lines.find((l) => l.startsWith("SWEPT "));
      if (line) {
        clearInterval(timer);
        resolve(Number(line.slice(6)));
      }
    }, 100);
  });
  let sweepEnded = false;
  void sweepDone.then(() => (sweepEnded = true));

  const result = await runLoad({
    url: `${backend.url}/api/messages/status`,
    // Enough connections that the fixed rate is offered even when answers slow down (autocannon sends one
    // request per connection at a time); its latencies are corrected for coordinated omission.
    connections: SOAK ? 100 : 50,
    rate: RATE,
    seconds: SECONDS,
    caPem: serverCa,
    pairs,
  });
  const sweptWhileLoaded = !sweepEnded;
  process.stdout.write(
    `load: ${JSON.stringify({ requests: result.requests.total, non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, latency: result.latency })}\n`,
  );
  const sweepSeconds = await sweepDone;
  const non2xx = result.non2xx;
  const summary = {
    rate: RATE,
    seconds: SECONDS,
    mailboxes: MAILBOXES,
    users: oids.length,
    requests: result.requests.total,
    achievedRps: Math.round(result.requests.total / SECONDS),
    non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    sweepSeconds: Math.round(sweepSeconds * 10) / 10,
    sweepStillRunningWhenLoadEnded: sweptWhileLoaded,
  };
  process.stdout.write(`load: ${JSON.stringify(summary)}\n`);
  // Nothing failed: every request answered 2xx, no socket error or timeout, and about the rate asked for.
  expect({ non2xx, errors: result.errors, timeouts: result.timeouts }).toEqual({ non2xx: 0, errors: 0, timeouts: 0 });
  expect((result as unknown as Record<"2xx", number>)["2xx"]).toBe(result.requests.total);
  // The rate actually held is recorded, not asserted: on a shared two-core machine (emulator, autocannon
  // and backend on the same cores) it falls short of the target; a collapse below half of it fails.
  expect(result.requests.total).toBeGreaterThanOrEqual(RATE * SECONDS * 0.5);

  const db = await openDatabase(path.join(dir, "ec.db"));
  const swept = await db.selectFrom("sweeps").select(["status", "userId"]).where("trigger", "=", "schedule").execute();
  // Every mailbox was swept by the load's tick. The backend's own scheduler keeps running on the real
  // clock, so a mailbox whose hourly slot passes during the run can be swept once more (about
  // MAILBOXES × run time / 1 h: the soak saw 509 for 500) — legitimate, sweeps are idempotent.
  expect(new Set(swept.map((s) => s.userId)).size).toBe(MAILBOXES);
  expect(swept.length).toBeLessThanOrEqual(MAILBOXES * 1.1);
  expect(swept.every((s) => s.status === "succeeded")).toBe(true);
  const oidOf = new Map([...userIds].map(([oid, id]) => [id, oid]));
  const report = await expectExact(db, TENANT, oidOf, predict(emulator.state, oids, fleet.trackedContacts));
  await db.destroy();
  recordResult(SOAK ? "load-soak" : "load-short", { ...summary, scheduledSweeps: swept.length, ...report });
});
