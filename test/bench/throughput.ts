/**
 * Item 2 — sweep throughput and memory of one worker. The emulator (50 ms per Graph call) runs in this
 * process; the sweeping runs in a child (test/bench/sweeper.ts) with the product's embedded scheduler at
 * the product's default concurrency, so its RSS is the sweep's alone.
 *
 * Rounds (quick mode in brackets):
 *  1. first sweeps of 1,000 [50] new mailboxes (24 h backfill: folders, listing, bodies of captured mail);
 *  2. an hour later, with an hour's new mail delivered: the hourly sweep of the same mailboxes — the
 *     steady state a worker spends its life in (the headline throughput);
 *  3. 4,000 [50] more mailboxes connected and swept, so RSS can be read at 100 / 1,000 / 5,000 [20/50/100]
 *     mailboxes swept by the same process. To fit the bench's time budget this round runs at concurrency
 *     32 (full mode): four times the sweeps in flight, so if anything it inflates RSS at 5,000.
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
import { benchDataset, log, mintGraphToken, round, TENANT } from "./common";
import type { RoundResult } from "./sweeper";

export const LATENCY_MS = 50;
const GROWTH_CONCURRENCY = 32;
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
  memory: { mailboxes: number; rssMiB: number; heapUsedMiB: number }[];
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

function addMailboxes(emulator: Emulator, count: number, prefix: string, domain: string, seed: number): { users: DatasetUser[]; tracked: string[] } {
  const gen = generateMailbox({ tenantId: TENANT, users: count, messagesPerDay: MESSAGES_PER_DAY, days: 0.9, trackedShare: TRACKED_SHARE, seed, userIdPrefix: prefix, domain });
  for (const u of gen.users) emulator.state.addUser(u);
  for (const m of gen.dataset.messages ?? []) {
    const { userId, ...input } = m;
    emulator.state.addMessage(userId, input);
  }
  return { users: gen.users, tracked: gen.trackedContacts };
}

export async function runThroughput(opts: { quick: boolean }): Promise<ThroughputResult> {
  const n = opts.quick ? 50 : 1000;
  const stages = opts.quick ? [20, 50, 100] : [100, 1000, 5000];
  const emulator = await startEmulator({ latencyMs: LATENCY_MS, dataset: benchDataset() });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-bench-sweep-"));
  let child: BenchChild | null = null;
  try {
    child = forkTs(path.join(__dirname, "sweeper.ts"), ["--expose-gc"]);
    const c = child;
    c.onMessage((m) => {
      if (m.type === "token") c.child.send({ type: "token", id: m.id, token: mintGraphToken(emulator.state, m.oid as string) });
    });
    const { concurrency } = await c.request<{ concurrency: number }>({ type: "init", emulatorUrl: emulator.url, caPem: emulator.caPem, dir });
    const seed = async (users: DatasetUser[], contacts: string[]) =>
      c.request({ type: "seed", users: users.map((u) => ({ id: u.id, mail: u.mail, displayName: u.displayName })), contacts });

    log(`throughput: ${n} mailboxes, first sweeps`);
    const a = addMailboxes(emulator, n, "c0000001", "contoso.com", 21);
    await seed(a.users, a.tracked);
    const first = summarize("first sweep (24 h backfill)", await c.request<RoundResult>({ type: "round", nowMs: Date.now(), checkpoints: stages.slice(0, 2) }));

    log(`throughput: ${n} mailboxes, hourly sweeps`);
    const fresh = generateMailbox({ tenantId: TENANT, users: n, messagesPerDay: MESSAGES_PER_DAY, days: 1 / 24, trackedShare: TRACKED_SHARE, seed: 22, userIdPrefix: "c0000001" });
    for (const m of fresh.dataset.messages ?? []) {
      const { userId, ...input } = m;
      emulator.state.addMessage(userId, input);
    }
    // The scheduler is asked at "an hour later" (every mailbox due); the sweeps run on real time.
    const hourly = summarize("hourly sweep (steady state)", await c.request<RoundResult>({ type: "round", nowMs: Date.now() + HOUR, checkpoints: [] }));

    const more = stages[2] - n;
    log(`throughput: ${more} more mailboxes (memory up to ${stages[2]})`);
    const b = addMailboxes(emulator, more, "c0000002", "b.contoso.com", 23);
    await seed(b.users, []);
    const growth = summarize(`first sweep of ${more} more mailboxes${opts.quick ? "" : ` (concurrency ${GROWTH_CONCURRENCY})`}`, await c.request<RoundResult>({ type: "round", nowMs: Date.now(), checkpoints: [stages[2]], ...(opts.quick ? {} : { concurrency: GROWTH_CONCURRENCY }) }));

    const memory = [...first.checkpoints, ...hourly.checkpoints, ...growth.checkpoints];
    return {
      latencyMs: LATENCY_MS,
      messagesPerDay: MESSAGES_PER_DAY,
      trackedShare: TRACKED_SHARE,
      concurrency,
      mailboxes: n,
      rounds: [first, hourly, growth],
      memory,
      memoryGrowthMiB: memory.length >= 2 ? memory[memory.length - 1].rssMiB - memory[0].rssMiB : 0,
      targets: { hourlyWithin2xOfLimit: hourly.slowdown <= 2, firstWithin2xOfLimit: first.slowdown <= 2 },
    };
  } finally {
    await child?.stop();
    await emulator.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
