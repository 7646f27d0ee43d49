/**
 * Distributed-mode harness: a fresh PostgreSQL database (TEST_DATABASE_URL), the HTTPS emulator with
 * generated mailboxes (real time: worker processes check token expiry against their own clock), the
 * API side of the product in this process (createServices in distributed mode + the app, so
 * connecting goes through the real connect flow and enqueues the first sweep), and what a worker
 * process needs to point at all of it (env + the emulator's CA in a file for NODE_EXTRA_CA_CERTS).
 * Benchmarks can reuse it to drive 1/2/4 workers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { pathToFileURL } from "node:url";
import { Agent } from "undici";
import { startEmulator, type Emulator } from "../../emulator";
import { generateMailbox } from "../../emulator/generator";
import type { DatasetMessage, DatasetUser } from "../../emulator/dataset";
import { createApp } from "../../server/app";
import { loadConfig, type Config } from "../../server/config";
import { startSweepQueue, type QueueSettings, type SweepQueue } from "../../server/sweep-queue/queue";
import { createOutbound, type Outbound } from "../../server/http/outbound";
import { createTokenVerifier } from "../../server/identity/token-verifier";
import { createLogger } from "../../server/logger";
import { createServices, type Services } from "../../server/cli/compose";
import { createContact } from "../../server/store/contacts";
import { openPostgresTestDatabase, type TestDatabase } from "../db/databases";
import { appDataset, CLIENT_ID, productEnv, TENANT } from "../connect/harness";
import { forEachLine } from "../support";
import { stubMail } from "../api/stub-services";

export const REPO_ROOT = path.resolve(__dirname, "../..");
export { TENANT };
export { until } from "../support";

export interface DistributedOptions {
  mailboxes: number;
  messagesPerDay: number;
  /** Share of the day generated (≤ 0.9 keeps every message inside the first sweep's 24 h window). */
  days?: number;
  queue?: Partial<QueueSettings>;
  seed?: number;
  /** Tag every request the API side sends with this User-Agent (the emulator counts per User-Agent). */
  apiUserAgent?: string;
}

export interface DistributedHarness {
  emulator: Emulator;
  database: TestDatabase;
  config: Config;
  /** Environment for a worker process (add WORKER_* settings per process). */
  env: Record<string, string>;
  services: Services;
  queue: SweepQueue;
  app: ReturnType<typeof createApp>;
  outbound: Outbound;
  users: DatasetUser[];
  messages: DatasetMessage[];
  trackedContacts: string[];
  /** oid → user id in the product's database, after connect(). */
  userIds: Map<string, string>;
  /** Provision every user through the API and connect them through the real connect flow. */
  connectAll(concurrency?: number): Promise<void>;
  /** Provision and connect one user (the first call provisions the organization: call trackContacts after it). */
  connect(oid: string): Promise<void>;
  /** The generated tracked contacts, tracked since a day ago. */
  trackContacts(): Promise<void>;
  /** A bearer header for calling the API as this user. */
  auth(oid: string): { authorization: string };
  /** Messages the capture rules must capture, per oid (generated data: every message with a tracked contact). */
  expectedCaptured(): Map<string, number>;
  close(): Promise<void>;
}

export async function startDistributedHarness(adminUrl: string, o: DistributedOptions): Promise<DistributedHarness> {
  const gen = generateMailbox({
    tenantId: TENANT,
    users: o.mailboxes,
    messagesPerDay: o.messagesPerDay,
    days: o.days ?? 0.9,
    seed: o.seed ?? 9,
    // Plain mail in the inbox (and sent items): which messages are captured is then simply "has a tracked contact".
    folderMix: { inbox: 1 },
    kindMix: { note: 1, smime: 0, meeting: 0, teams: 0, rss: 0 },
  });
  const emulator = await startEmulator({ dataset: appDataset(gen.users, gen.dataset.messages) });
  const database = await openPostgresTestDatabase(adminUrl);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-dist-"));
  const caFile = path.join(dir, "emulator-ca.pem");
  fs.writeFileSync(caFile, emulator.caPem);
  const env = productEnv(emulator.url, dir, {
    DATABASE_URL: database.url,
    TOKEN_ENCRYPTION_KEY: crypto.randomBytes(32).toString("base64"),
    LOG_LEVEL: "info",
    NODE_EXTRA_CA_CERTS: caFile,
    // Every process reads the queue settings from its environment; workers are spawned with the same.
    ...(o.queue?.expireInSeconds ? { SWEEP_JOB_EXPIRE_SECONDS: String(o.queue.expireInSeconds) } : {}),
    ...(o.queue?.maintenanceIntervalSeconds
      ? { QUEUE_MAINTENANCE_SECONDS: String(o.queue.maintenanceIntervalSeconds) }
      : {}),
  });
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  const config = loaded.config;
  const logger = createLogger("silent");
  // The API side's queue, with the test's job deadline (the enqueuing process sets a job's expiry).
  const queue = await startSweepQueue({ connectionString: database.url, logger, settings: o.queue });
  const apiOutbound = o.apiUserAgent ? taggedOutbound(emulator.caPem, o.apiUserAgent) : undefined;
  const services = await createServices({ config, extraCaPem: emulator.caPem, logger, queue, outbound: apiOutbound });
  const outbound = createOutbound(emulator.caPem);
  const verifier = createTokenVerifier({ authorityHost: emulator.url, clientId: CLIENT_ID, fetch: outbound.fetch });
  const app = createApp({
    db: services.db,
    config,
    clock: services.clock,
    logger,
    verifier,
    connections: services.connections,
    sweeps: services.sweeps,
    mail: stubMail(),
    // 50 users connecting from one test address within seconds: well past the per-address callback limit.
    rateLimit: { perSecond: 1000, burst: 1000, unauthenticated: { perSecond: 1000, burst: 1000 } },
  });
  const userIds = new Map<string, string>();

  const apiToken = (oid: string) =>
    emulator.state.mintAccessToken({
      userId: oid,
      clientId: CLIENT_ID,
      audience: CLIENT_ID,
      scopes: ["access_as_user"],
    });
  async function connect(oid: string): Promise<void> {
    const auth = { authorization: `Bearer ${apiToken(oid)}` };
    const me = await app.request("/api/me", { headers: auth });
    if (me.status !== 200) throw new Error(`/api/me answered ${me.status}`);
    userIds.set(oid, ((await me.json()) as { user: { id: string } }).user.id);
    const start = await app.request("/api/connection", { method: "POST", headers: auth });
    if (start.status !== 200) throw new Error(`POST /api/connection answered ${start.status}`);
    const authorizeUrl = ((await start.json()) as { authorizeUrl: string }).authorizeUrl;
    const consent = await outbound.fetch(authorizeUrl, { redirect: "manual" });
    if (consent.status !== 302) throw new Error(`authorize answered ${consent.status}`);
    const back = new URL(consent.headers.get("location")!);
    const cb = await app.request(`${back.pathname}${back.search}`);
    if (cb.status !== 200) throw new Error(`callback answered ${cb.status}`);
    await cb.text();
  }

  const h: DistributedHarness = {
    emulator,
    database,
    config,
    env,
    services,
    queue,
    app,
    outbound,
    users: gen.users,
    messages: gen.dataset.messages ?? [],
    trackedContacts: gen.trackedContacts,
    userIds,
    connect,
    auth: (oid) => ({ authorization: `Bearer ${apiToken(oid)}` }),
    async trackContacts() {
      const dayAgo = new Date(Date.now() - 86_400_000);
      for (const email of gen.trackedContacts) await createContact(services.db, TENANT, { email }, dayAgo);
    },
    async connectAll(concurrency = 5) {
      const oids = gen.users.map((u) => u.id);
      // The first call provisions the organization; contacts exist (tracked a day ago) before any sweep.
      await connect(oids[0]);
      const dayAgo = new Date(Date.now() - 86_400_000);
      for (const email of gen.trackedContacts) await createContact(services.db, TENANT, { email }, dayAgo);
      for (let i = 1; i < oids.length; i += concurrency) await Promise.all(oids.slice(i, i + concurrency).map(connect));
    },
    expectedCaptured() {
      const tracked = new Set(gen.trackedContacts.map((a) => a.toLowerCase()));
      const addr = (a: DatasetMessage["from"]) => (typeof a === "string" ? a : (a?.address ?? "")).toLowerCase();
      const out = new Map<string, number>(gen.users.map((u) => [u.id, 0]));
      for (const m of gen.dataset.messages ?? []) {
        const parties = [addr(m.from), ...(m.to ?? []).map(addr), ...(m.cc ?? []).map(addr)];
        if (parties.some((p) => tracked.has(p))) out.set(m.userId, (out.get(m.userId) ?? 0) + 1);
      }
      return out;
    },
    async close() {
      await services.close();
      await apiOutbound?.close();
      await queue.stop({ graceful: false });
      await outbound.close();
      await emulator.close();
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/**
 * An outbound client whose every request carries this User-Agent: the emulator counts requests per
 * User-Agent, which tells the API side's requests from the workers'.
 */
export function taggedOutbound(caPem: string, userAgent: string): Outbound {
  class TaggingAgent extends Agent {
    override dispatch(opts: Agent.DispatchOptions, handler: Parameters<Agent["dispatch"]>[1]): boolean {
      const h = opts.headers;
      let headers: Agent.DispatchOptions["headers"];
      if (Array.isArray(h)) {
        const flat: string[] = [];
        for (let i = 0; i + 1 < h.length; i += 2)
          if (String(h[i]).toLowerCase() !== "user-agent") flat.push(String(h[i]), String(h[i + 1]));
        headers = [...flat, "user-agent", userAgent];
      } else {
        const obj = Object.fromEntries(
          Object.entries((h ?? {}) as Record<string, string>).filter(([k]) => k.toLowerCase() !== "user-agent"),
        );
        headers = { ...obj, "user-agent": userAgent };
      }
      return super.dispatch({ ...opts, headers }, handler);
    }
  }
  const dispatcher = new TaggingAgent({ connect: { ca: [...tls.rootCertificates, caPem] } });
  const f = ((input: RequestInfo | URL, init?: RequestInit) =>
    globalThis.fetch(input, { ...init, dispatcher } as RequestInit)) as typeof globalThis.fetch;
  return { fetch: f, fetchOptions: { dispatcher }, close: () => dispatcher.destroy() };
}

export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  /** Plain (non-JSON) lines so far. */
  lines: string[];
  /** Resolves when the process has exited and its output is fully read. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when a log line matching the predicate arrives (or already has). */
  waitFor(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  onLog(fn: (l: Record<string, unknown>) => void): void;
}

/** Start `server/cli/worker.ts` under tsx — what `npm run worker` runs — with this environment. */
export function spawnWorker(name: string, env: Record<string, string>): WorkerProcess {
  // Node with tsx's loader in ONE process (what `tsx file` runs in its child): the `tsx` CLI is a
  // parent that relays signals, so SIGKILL on it would leave the real worker running.
  const tsxDist = path.join(REPO_ROOT, "node_modules", "tsx", "dist");
  const args = [
    "--require",
    path.join(tsxDist, "preflight.cjs"),
    "--import",
    pathToFileURL(path.join(tsxDist, "loader.mjs")).href,
    path.join(REPO_ROOT, "server", "cli", "worker.ts"),
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? os.tmpdir(), ...env, WORKER_ID: name },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  const lines: string[] = [];
  const listeners: ((l: Record<string, unknown>) => void)[] = [];
  forEachLine(child.stdout!, (line) => {
    if (!line.trim()) return;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return void lines.push(line);
    }
    logs.push(parsed);
    for (const fn of listeners) fn(parsed);
  });
  child.stderr!.on("data", (chunk: Buffer) => lines.push(`stderr: ${chunk.toString("utf8").trimEnd()}`));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  return {
    name,
    child,
    logs,
    lines,
    exited,
    onLog: (fn) => listeners.push(fn),
    waitFor(pred, timeoutMs = 30_000) {
      const hit = logs.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () =>
            reject(
              new Error(
                `${name}: no matching log line within ${timeoutMs} ms; output:\n${[...lines, ...logs.slice(-20).map((l) => JSON.stringify(l))].join("\n")}`,
              ),
            ),
          timeoutMs,
        );
        listeners.push((l) => {
          if (pred(l)) {
            clearTimeout(t);
            resolve(l);
          }
        });
      });
    },
  };
}
