/**
 * Processing verified change notifications off the request: each names one message, fetched and
 * decided by the same capture code as the sweep (captureMessageNow). Graph delivers at least once and
 * in any order, so work is deduplicated by (mailbox, message, etag) before any Graph request: a
 * duplicate costs a set lookup (embedded) or a refused insert (distributed). Order does not matter: a
 * capture reads the message as it is now, and storing a decision is idempotent per message.
 */
import { createHash } from "node:crypto";
import type { Logger } from "../logger";
import { describeError } from "../sweep/errors";

export interface CaptureWork {
  organizationId: string;
  userId: string;
  /** The message's id as the notification names it (immutable: the subscription asked for immutable ids). */
  messageId: string;
  /** @odata.etag (or the change type when absent): a later change of the same message is new work. */
  etag: string;
}

export interface NotificationSink {
  submit(work: CaptureWork[]): Promise<void>;
}

export const dedupeKey = (w: CaptureWork): string => `${w.userId}\0${w.messageId}\0${w.etag}`;

/** A UUID from the dedupe key: the capture job's id, so a duplicate insert is refused by the queue. */
export function dedupeJobId(w: CaptureWork): string {
  const h = createHash("sha256")
    .update(`notification\0${dedupeKey(w)}`, "utf8")
    .digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export interface InProcessSinkOptions {
  capture(organizationId: string, userId: string, messageId: string): Promise<unknown>;
  logger: Logger;
  /** Captures at once (default 4). */
  concurrency?: number;
  /** Work waiting beyond this is dropped: the next sweep finds those messages (default 10,000). */
  maxPending?: number;
  /** Keys remembered for deduplication (default 50,000; oldest forgotten first). */
  rememberKeys?: number;
}

export interface InProcessSink extends NotificationSink {
  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void>;
  stats(): { submitted: number; duplicates: number; captured: number; failed: number; overflow: number };
  stop(): Promise<void>;
}

/** Embedded mode: a bounded in-memory queue drained by a few concurrent captures. */
export function createInProcessSink(opts: InProcessSinkOptions): InProcessSink {
  const concurrency = opts.concurrency ?? 4;
  const maxPending = opts.maxPending ?? 10_000;
  const remember = opts.rememberKeys ?? 50_000;
  const seen = new Set<string>();
  const pending: CaptureWork[] = [];
  const stats = { submitted: 0, duplicates: 0, captured: 0, failed: 0, overflow: 0 };
  let running = 0;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];

  const settle = () => {
    if (running === 0 && pending.length === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const r of w) r();
    }
  };
  const pump = () => {
    while (!stopped && running < concurrency && pending.length) {
      const w = pending.shift()!;
      running++;
      opts
        .capture(w.organizationId, w.userId, w.messageId)
        .then(
          () => void stats.captured++,
          (err: unknown) => {
            stats.failed++;
            // Deleted before we read it, or no longer connected: nothing to capture; the sweep covers the rest.
            opts.logger.debug(
              { organizationId: w.organizationId, userId: w.userId, err: describeError(err) },
              "notifications: capture did not complete",
            );
          },
        )
        .finally(() => {
          running--;
          pump();
          settle();
        });
    }
    settle();
  };
  return {
    async submit(work) {
      for (const w of work) {
        stats.submitted++;
        const key = dedupeKey(w);
        if (seen.has(key)) {
          stats.duplicates++;
          continue;
        }
        if (pending.length >= maxPending) {
          stats.overflow++;
          continue;
        }
        seen.add(key);
        if (seen.size > remember) seen.delete(seen.values().next().value as string);
        pending.push(w);
      }
      pump();
    },
    idle: () =>
      new Promise<void>((resolve) => (running === 0 && pending.length === 0 ? resolve() : idleWaiters.push(resolve))),
    stats: () => ({ ...stats }),
    async stop() {
      stopped = true;
      pending.length = 0;
      while (running) await new Promise((r) => setTimeout(r, 10));
      settle();
    },
  };
}

/** Distributed mode: one capture job per new piece of work, run by the workers. */
export function createQueueSink(
  enqueue: (work: CaptureWork, jobId: string) => Promise<string | null>,
): NotificationSink {
  return {
    async submit(work) {
      const unique = [...new Map(work.map((w) => [dedupeKey(w), w])).values()];
      await Promise.all(unique.map((w) => enqueue(w, dedupeJobId(w))));
    },
  };
}
