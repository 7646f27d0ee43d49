/**
 * Item 2's sweeping process (a child of the bench, forked with --expose-gc): the product's embedded
 * scheduler (SweepScheduler + sweepMailbox, product defaults) over a SQLite file, pointed at the
 * emulator that runs in the parent — so this process's RSS holds only what the sweep holds, not the
 * emulated mailboxes. Graph tokens come from the parent over IPC (bench-only token source, see common.ts).
 *
 * IPC: parent → {type:"init"|"seed"|"round"|"exit"}; child → {type:"token", id, oid} and {type:"reply", id, ...}.
 */
import fs from "node:fs";
import path from "node:path";
import { systemClock } from "../../server/clock";
import { migrateToLatest, openDatabase, type Db } from "../../server/db";
import { createOutbound, type Outbound } from "../../server/http/outbound";
import { createLogger } from "../../server/logger";
import { sweepMailbox, type SweepDeps } from "../../server/sweep/engine";
import { SweepScheduler } from "../../server/sweep/scheduler";
import { productDefaults, seedContacts, seedMailboxes, tokenSource } from "./common";

export type SweeperRequest =
  | { type: "init"; id: number; emulatorUrl: string; caPem: string; dir: string }
  | { type: "seed"; id: number; users: { id: string; mail: string; displayName: string }[]; contacts: string[] }
  | { type: "round"; id: number; nowMs: number; concurrency?: number }
  | { type: "memory"; id: number; mailboxes: number }
  | { type: "exit"; id: number };

export interface RoundResult {
  sweeps: number;
  succeeded: number;
  failed: number;
  firstError: string | null;
  graphRequests: number;
  retries: number;
  elapsedMs: number;
  concurrency: number;
  peakRssMiB: number;
}

/** The process's retained memory after `mailboxes` distinct mailboxes were swept (the "memory" request). */
export interface MemoryPoint {
  mailboxes: number;
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  heapTotalMiB: number;
  anonMiB?: number;
  fileMiB?: number;
}

const MiB = 2 ** 20;
const send = (m: object) => process.send!(m);
/** Anonymous vs file-backed resident memory (Linux), to tell allocator growth from mapped files. */
function residentKinds(): { anonMiB?: number; fileMiB?: number } {
  try {
    const text = fs.readFileSync("/proc/self/smaps_rollup", "utf8");
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
    return { anonMiB: Math.round(kb("Anonymous") / 1024), fileMiB: Math.round((kb("Rss") - kb("Anonymous")) / 1024) };
  } catch {
    return {};
  }
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

let db: Db;
let outbound: Outbound;
let deps: SweepDeps;
const schedulers = new Map<number, SweepScheduler>();
const oidOf = new Map<string, string>();
let tally = { sweeps: 0, succeeded: 0, failed: 0, firstError: null as string | null, graphRequests: 0, retries: 0 };

let nextTokenId = 1;
const tokenWaiters = new Map<number, (token: string) => void>();
function tokenFromParent(oid: string): Promise<string> {
  const id = nextTokenId++;
  return new Promise((resolve) => {
    tokenWaiters.set(id, resolve);
    send({ type: "token", id, oid });
  });
}

async function handle(m: SweeperRequest): Promise<object> {
  if (m.type === "init") {
    db = await openDatabase(path.join(m.dir, "sweeper.db"));
    await migrateToLatest(db);
    outbound = createOutbound(m.caPem);
    const defaults = productDefaults();
    deps = {
      db,
      clock: systemClock,
      logger: createLogger("silent"),
      graph: { baseUrl: m.emulatorUrl, outbound },
      tokens: tokenSource(oidOf, tokenFromParent),
      config: { windowHours: defaults.windowHours, overlapMinutes: defaults.overlapMinutes },
    };
    return { concurrency: defaults.concurrency };
  }
  if (m.type === "seed") {
    const now = new Date();
    for (const [userId, oid] of await seedMailboxes(db, m.users, now)) oidOf.set(userId, oid);
    if (m.contacts.length) await seedContacts(db, m.contacts, now);
    return { mailboxes: oidOf.size };
  }
  if (m.type === "memory") {
    // Retained memory between rounds (nothing in flight): full GC, then a second for V8 to hand freed
    // pages back (it unmaps them on a background thread), then GC again and read.
    gc();
    await new Promise((r) => setTimeout(r, 1000));
    gc();
    const mem = process.memoryUsage();
    const point: MemoryPoint = {
      mailboxes: m.mailboxes,
      rssMiB: Math.round(mem.rss / MiB),
      heapUsedMiB: Math.round(mem.heapUsed / MiB),
      externalMiB: Math.round(mem.external / MiB),
      heapTotalMiB: Math.round(mem.heapTotal / MiB),
      ...residentKinds(),
    };
    return point;
  }
  if (m.type === "round") {
    const concurrency = m.concurrency ?? productDefaults().concurrency;
    const scheduler = schedulerFor(concurrency);
    tally = { sweeps: 0, succeeded: 0, failed: 0, firstError: null, graphRequests: 0, retries: 0 };
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const t0 = performance.now();
    await scheduler.tick(new Date(m.nowMs));
    await scheduler.idle();
    const elapsedMs = performance.now() - t0;
    clearInterval(sampler);
    const result: RoundResult = {
      ...tally,
      elapsedMs: Math.round(elapsedMs),
      concurrency,
      peakRssMiB: Math.round(peak / MiB),
    };
    return result;
  }
  for (const s of schedulers.values()) await s.stop({ abort: true });
  await db?.destroy();
  await outbound?.close();
  setImmediate(() => process.exit(0));
  return { bye: true };
}

/** The product's embedded scheduler at this concurrency (one per concurrency asked for). */
function schedulerFor(concurrency: number): SweepScheduler {
  let s = schedulers.get(concurrency);
  if (!s) {
    const defaults = productDefaults();
    s = new SweepScheduler({
      db,
      clock: systemClock,
      logger: deps.logger,
      intervalMinutes: defaults.intervalMinutes,
      concurrency,
      run: async (target, opts) => {
        const v = await sweepMailbox(deps, target, opts);
        tally.sweeps++;
        if (v.status === "succeeded") tally.succeeded++;
        else {
          tally.failed++;
          tally.firstError ??= v.error;
        }
        tally.graphRequests += v.graphRequests;
        tally.retries += v.retries;
        return v;
      },
    });
    schedulers.set(concurrency, s);
  }
  return s;
}

process.on("message", (raw: unknown) => {
  const m = raw as SweeperRequest | { type: "token"; id: number; token: string };
  if (m.type === "token") {
    tokenWaiters.get(m.id)?.(m.token);
    tokenWaiters.delete(m.id);
    return;
  }
  handle(m).then(
    (v) => send({ type: "reply", id: m.id, ok: true, value: v }),
    (err: unknown) =>
      send({ type: "reply", id: m.id, ok: false, error: err instanceof Error ? err.stack : String(err) }),
  );
});
