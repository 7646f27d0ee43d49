/**
 * Fault suite: the backend process is killed (SIGKILL) in the middle of a sweep and started
 * again. A real process (server-entry.ts → startServer, embedded mode: SQLite file, in-process
 * scheduler) against the emulator in this process; the emulator is slowed so the kill lands while
 * sweeps are writing. After the restart the sweeps the dead process left `running` are closed as
 * interrupted, the scheduler's first tick sweeps those mailboxes again, and the database holds exactly
 * what the rules predict.
 */
import fs from "node:fs";
import path from "node:path";
import { startEmulator, type Emulator } from "../../emulator";
import { openDatabase, type Db } from "../../server/db";
import { createOutbound, type Outbound } from "../../server/http/outbound";
import { appDataset, productEnv, TENANT } from "../connect/harness";
import { expectExact, generateFleet, predict, recordResult } from "./fleet";
import {
  apiToken,
  connectOverHttps,
  ensureStopped,
  spawnBackend,
  tempDir,
  until,
  type BackendProcess,
} from "./processes";

jest.setTimeout(180_000);

const MAILBOXES = 16;
let emulator: Emulator;
let dir: string;
let backend: BackendProcess | null = null;
let outbound: Outbound | null = null;
let db: Db | null = null;

afterAll(async () => {
  await ensureStopped(backend);
  await db?.destroy();
  await outbound?.close();
  await emulator?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test("SIGKILL in the middle of sweeps, restart → interrupted sweeps closed, every mailbox swept, exactly the expected engagements", async () => {
  const fleet = generateFleet({
    tenantId: TENANT,
    mailboxes: MAILBOXES,
    messagesPerDay: 40,
    seed: 71,
    userIdPrefix: "ae0c0000",
  });
  emulator = await startEmulator({ dataset: appDataset(fleet.users, fleet.messages) });
  dir = tempDir("ec-crash-");
  const caFile = path.join(dir, "emulator-ca.pem");
  fs.writeFileSync(caFile, emulator.caPem);
  const dbFile = path.join(dir, "engagement-capture.db");
  const env = productEnv(emulator.url, dir, {
    DATABASE_URL: dbFile,
    SWEEP_CONCURRENCY: "4",
    LOG_LEVEL: "info",
    RELIABILITY_CA_FILE: caFile,
  });

  backend = await spawnBackend(env);
  const serverCa = fs.readFileSync(path.join(dir, "certs", "ca.crt"), "utf8");
  outbound = createOutbound(`${emulator.caPem}\n${serverCa}`);
  const out = outbound;

  // Contacts first (through the API), then the users connect; each connection starts its first sweep.
  const first = fleet.users[0].id;
  const auth = { authorization: `Bearer ${apiToken(emulator, first)}`, "content-type": "application/json" };
  expect((await out.fetch(`${backend.url}/api/me`, { headers: auth })).status).toBe(200);
  for (const email of fleet.trackedContacts) {
    const res = await out.fetch(`${backend.url}/api/contacts`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ email }),
    });
    expect(res.status).toBe(201);
  }
  // Slow Graph down so the first sweeps (each connection starts one) are still writing when the process dies.
  emulator.state.setLatency(1200);
  const userIds = new Map<string, string>();
  await Promise.all(
    fleet.users.map(async (u) => userIds.set(u.id, await connectOverHttps(backend!.url, emulator, out, u.id))),
  );
  const oidOf = new Map([...userIds].map(([oid, id]) => [id, oid]));

  db = await openDatabase(dbFile);
  const d = db;
  const progress = async () => {
    const rows = await d.selectFrom("sweeps").select(["status"]).execute();
    const decisions = await d.selectFrom("captureDecisions").select("messageKey").execute();
    return {
      running: rows.filter((r) => r.status === "running").length,
      succeeded: rows.filter((r) => r.status === "succeeded").length,
      decisions: decisions.length,
    };
  };
  // Kill once sweeps have stored part of their work and several are still running.
  const atKill = await until("sweeps halfway", progress, (p) => p.decisions > 0 && p.running >= 3, 60_000, 50);
  backend.child.kill("SIGKILL");
  expect(await backend.exited).toMatchObject({ signal: "SIGKILL" });
  backend = null;
  const orphaned = await d.selectFrom("sweeps").select(["id", "userId"]).where("status", "=", "running").execute();
  expect(orphaned.length).toBeGreaterThanOrEqual(3);
  const partial = await progress();

  // Restart: same configuration, same database. Graph is back to normal speed.
  emulator.state.setLatency(0);
  const restartedAt = Date.now();
  backend = await spawnBackend(env);
  await until(
    "every mailbox swept successfully after the restart",
    async () => {
      const rows = await d.selectFrom("sweeps").select(["userId", "status"]).execute();
      const ok = new Set(rows.filter((r) => r.status === "succeeded").map((r) => r.userId));
      return { ok: ok.size, running: rows.filter((r) => r.status === "running").length };
    },
    (p) => p.ok === MAILBOXES && p.running === 0,
    60_000,
  );
  const recoverySeconds = (Date.now() - restartedAt) / 1000;
  // The dead process's sweeps were closed as interrupted — not left blocking their mailboxes.
  for (const o of orphaned) {
    const row = await d
      .selectFrom("sweeps")
      .select(["status", "error"])
      .where("id", "=", o.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: "failed", error: "Interrupted: the process running this sweep stopped." });
  }
  expect(
    backend.logs.some(
      (l) =>
        l.msg === "closed sweeps left running by a previous process; their mailboxes are swept again now" &&
        l.sweeps === orphaned.length,
    ),
  ).toBe(true);
  // Every connection is still active, its last sweep a success.
  const conns = await d.selectFrom("mailboxConnections").select(["status", "lastError"]).execute();
  expect(conns).toHaveLength(MAILBOXES);
  expect(conns.every((c) => c.status === "active" && c.lastError === null)).toBe(true);

  const expected = predict(
    emulator.state,
    fleet.users.map((u) => u.id),
    fleet.trackedContacts,
  );
  const report = await expectExact(d, TENANT, oidOf, expected);
  recordResult("crash-restart", {
    mailboxes: MAILBOXES,
    atKill,
    afterKill: partial,
    interruptedSweeps: orphaned.length,
    recoverySeconds: Math.round(recoverySeconds * 10) / 10,
    ...report,
  });
});
