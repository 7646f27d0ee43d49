/**
 * Item 2 — sweep throughput and memory of one worker. The emulator (50 ms per Graph call) runs in this
 * process; the sweeping runs in a child (test/bench/sweeper.ts) with the product's embedded scheduler at
 * the product's default concurrency, so its RSS is the sweep's alone.
 *
 * Throughput, one sweeping process at the default concurrency (quick mode in brackets):
 *  1. first sweeps of 1,000 [50] new mailboxes (24 h backfill: folders, listing, bodies of captured mail);
 *  2. an hour later, with an hour's new mail delivered: the hourly sweep of the same mailboxes — the
 *     steady state a worker spends its life in (the headline throughput).
 * Memory, a second sweeping process with its own database: mailboxes added in steps to 100 / 1,000 / 5,000
 * [20/50/100], first sweeps, and after each step (nothing in flight) its retained memory read. To fit
 * the bench's time budget this process runs at concurrency 32 throughout (full mode; quick: the default),
 * the same at every checkpoint.
 * The latency-bound limit of a round is Σ(Graph requests) × latency ÷ concurrency: the time the round
 * would take if the worker only ever waited on Graph, always with `concurrency` calls in flight.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmulator, type Emulator } from "../../emulator";
import type { DatasetUser } from "../../emulator/dataset";
import { generateMailbox } from "../../emulator/generator";
import { forkTs, type BenchChild } from "./child";
import { appDataset, log, mintGraphToken, round, TENANT } from "./common";
import type { MemoryPoint, RoundResult } from "./sweeper";

export const LATENCY_MS = 50;
const MEMORY_CONCURRENCY = 32;
const MESSAGES_PER_DAY = 50;
const TRACKED_SHARE = 0.15;
const HOUR = 3600_000;

export interface RoundSummary extends RoundResult {
  name: string;
  mailboxesPerMinute: number;
  requestsPerSweep: number;
  limitMs: number;
  limitMailboxesPerMinute: number;
  /** measured time ÷ latency-bound time (target ≤ 2). */
  slowdown: number;
}

export interface ThroughputResult {
  latencyMs: number;
  messagesPerDay: number;
  trackedShare: number;
  concurrency: number;
  mailboxes: number;
  rounds: RoundSummary[];
  memory: MemoryPoint[];
  memoryConcurrency: number;
  memoryGrowthMiB: number;
  targets: { hourlyWithin2xOfLimit: boolean; firstWithin2xOfLimit: boolean };
}

function summarize(name: string, r: RoundResult): RoundSummary {
  const limitMs = (r.graphRequests * LATENCY_MS) / r.concurrency;
  return {
    name,
    ...r,
    mailboxesPerMinute: round((r.sweeps / r.elapsedMs) * 60_000, 0),
    requestsPerSweep: round(r.graphRequests / Math.max(1, r.sweeps), 2),
    limitMs: Math.round(limitMs),
    limitMailboxesPerMinute: round((r.sweeps / limitMs) * 60_000, 0),
    slowdown: round(r.elapsedMs / limitMs, 2),
  };
}

function addMailboxes(
  emulator: Emulator,
  count: number,
  prefix: string,
  domain: string,
  seed: number,
): { users: DatasetUser[]; tracked: string[] } {
  const gen = generateMailbox({
    tenantId: TENANT,
    users: count,
    messagesPerDay: MESSAGES_PER_DAY,
    days: 0.9,
    trackedShare: TRACKED_SHARE,
    seed,
    userIdPrefix: prefix,
    domain,
  });
  for (const u of gen.users) emulator.state.addUser(u);
  for (const m of gen.dataset.messages ?? []) {
    const { userId, ...input } = m;
    emulator.state.addMessage(userId, input, { preexisting: true }); // a day of mail the mailbox already had
  }
  return { users: gen.users, tracked: gen.trackedContacts };
}

async function startSweeper(emulator: Emulator, dir: string): Promise<{ c: BenchChild; concurrency: number }> {
  const c = forkTs(path.join(__dirname, "sweeper.ts"), ["--expose-gc"]);
  c.onMessage((m) => {
    if (m.type === "token")
      c.child.send({ type: "token", id: m.id, token: mintGraphToken(emulator.state, m.oid as string) });
  });
  fs.mkdirSync(dir, { recursive: true });
  const { concurrency } = await c.request<{ concurrency: number }>({
    type: "init",
    emulatorUrl: emulator.url,
    caPem: emulator.caPem,
    dir,
  });
  return { c, concurrency };
}

const seedIn = (c: BenchChild, users: DatasetUser[], contacts: string[]) =>
  c.request({
    type: "seed",
    users: users.map((u) => ({ id: u.id, mail: u.mail, displayName: u.displayName })),
    contacts,
  });

export async function runThroughput(opts: { quick: boolean }): Promise<ThroughputResult> {
  const n = opts.quick ? 50 : 1000;
  const stages = opts.quick ? [20, 50, 100] : [100, 1000, 5000];
  const emulator = await startEmulator({ latencyMs: LATENCY_MS, dataset: appDataset() });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-bench-sweep-"));
  const children: BenchChild[] = [];
  try {
    const { c, concurrency } = await startSweeper(emulator, path.join(dir, "throughput"));
    children.push(c);
    log(`throughput: ${n} mailboxes, first sweeps`);
    const a = addMailboxes(emulator, n, "c0000001", "contoso.com", 21);
    await seedIn(c, a.users, a.tracked);
    const first = summarize(
      "first sweep (24 h backfill)",
      await c.request<RoundResult>({ type: "round", nowMs: Date.now() }),
    );

    log(`throughput: ${n} mailboxes, hourly sweeps`);
    const fresh = generateMailbox({
      tenantId: TENANT,
      users: n,
      messagesPerDay: MESSAGES_PER_DAY,
      days: 1 / 24,
      trackedShare: TRACKED_SHARE,
      seed: 22,
      userIdPrefix: "c0000001",
    });
    for (const m of fresh.dataset.messages ?? []) {
      const { userId, ...input } = m;
      emulator.state.addMessage(userId, input);
    }
    // The scheduler is asked at "an hour later" (every mailbox due); the sweeps run on real time.
    const hourly = summarize(
      "hourly sweep (steady state)",
      await c.request<RoundResult>({ type: "round", nowMs: Date.now() + HOUR }),
    );
    await c.stop();

    const memoryConcurrency = opts.quick ? concurrency : MEMORY_CONCURRENCY;
    log(`memory: a fresh sweeping process (concurrency ${memoryConcurrency}), ${n} then ${stages[2]} mailboxes`);
    const { c: m } = await startSweeper(emulator, path.join(dir, "memory"));
    children.push(m);
    // Mailboxes are added in steps (stages[0], then up to stages[1], then stages[2]); each step's first
    // sweeps run to the end, then the process's retained memory is read with nothing in flight.
    const memory: MemoryPoint[] = [];
    const memRounds: ReturnType<typeof summarize>[] = [];
    const step = async (users: DatasetUser[], contacts: string[], total: number) => {
      await seedIn(m, users, contacts);
      memRounds.push(
        summarize(
          `memory: first sweep of ${fmtN(users.length)} more mailboxes → ${fmtN(total)} (concurrency ${memoryConcurrency})`,
          await m.request<RoundResult>({ type: "round", nowMs: Date.now(), concurrency: memoryConcurrency }),
        ),
      );
      memory.push(await m.request<MemoryPoint>({ type: "memory", mailboxes: total }));
    };
    await step(a.users.slice(0, stages[0]), a.tracked, stages[0]);
    await step(a.users.slice(stages[0], stages[1]), [], stages[1]);
    const more = stages[2] - stages[1];
    const b = addMailboxes(emulator, more, "c0000002", "b.contoso.com", 23);
    await step(b.users, [], stages[2]);
    return {
      latencyMs: LATENCY_MS,
      messagesPerDay: MESSAGES_PER_DAY,
      trackedShare: TRACKED_SHARE,
      concurrency,
      mailboxes: n,
      rounds: [first, hourly, ...memRounds],
      memory,
      memoryConcurrency,
      memoryGrowthMiB: memory.length >= 2 ? memory[memory.length - 1].rssMiB - memory[0].rssMiB : 0,
      targets: { hourlyWithin2xOfLimit: hourly.slowdown <= 2, firstWithin2xOfLimit: first.slowdown <= 2 },
    };
  } finally {
    for (const c of children) await c.stop();
    await emulator.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const fmtN = (x: number) => x.toLocaleString("en-US");
