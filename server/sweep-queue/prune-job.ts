/**
 * Distributed mode's pruning: a pg-boss queue `retention-prune` beside the sweeps. Every worker ticks;
 * each tick sends the job of the current interval with a deterministic id, so the interval's job is
 * inserted once whoever ticks (pg-boss inserts with ON CONFLICT DO NOTHING), and the `singleton` policy
 * lets only one be active at a time. Any worker runs it (server/retention/runner.ts).
 */
import { createHash } from "node:crypto";
import { pruneOnce, retentionSettings, type RetentionDeps } from "../retention/runner";
import { ensureQueue, type SweepQueue } from "./queue";

export const PRUNE_QUEUE = "retention-prune";

/** A stable UUID per interval slot: every process sends the same job for the same slot. */
export function pruneJobId(slot: Date): string {
  const h = createHash("sha256").update(`${PRUNE_QUEUE}\0${slot.toISOString()}`, "utf8").digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export interface PruneJob {
  /** Sends the current interval's job (idempotent); returns its id when it was new. */
  tick(): Promise<string | null>;
  stop(): Promise<void>;
}

/** Registers the queue, its handler in this worker, and a tick (every minute at most) that sends each interval's job. */
export async function registerPruneJob(
  queue: SweepQueue,
  deps: RetentionDeps,
  opts: { pollingIntervalSeconds?: number } = {},
): Promise<PruneJob> {
  const { boss } = queue;
  const r = retentionSettings(deps.retention, deps.windowHours);
  await ensureQueue(boss, { name: PRUNE_QUEUE, policy: "singleton", retryLimit: 1, expireInSeconds: 3600 });
  const controller = new AbortController();
  await boss.work(
    PRUNE_QUEUE,
    { batchSize: 1, pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 30 },
    async () => {
      await pruneOnce(deps, controller.signal);
    },
  );
  const intervalMs = r.intervalMinutes * 60_000;
  const tick = async (): Promise<string | null> => {
    if (intervalMs <= 0) return null;
    const slot = new Date(Math.floor(deps.clock.now().getTime() / intervalMs) * intervalMs);
    return boss.send(
      PRUNE_QUEUE,
      { slot: slot.toISOString() },
      { id: pruneJobId(slot), expireInSeconds: 3600, retryLimit: 1 },
    );
  };
  const onTick = () =>
    void tick().catch((err: unknown) =>
      deps.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "retention: could not send the prune job",
      ),
    );
  const timer = intervalMs > 0 ? setInterval(onTick, Math.min(intervalMs, 60_000)) : null;
  timer?.unref();
  return {
    tick,
    async stop() {
      if (timer) clearInterval(timer);
      controller.abort();
      await boss.offWork(PRUNE_QUEUE);
    },
  };
}
