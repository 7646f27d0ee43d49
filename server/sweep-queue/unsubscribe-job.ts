/**
 * Distributed mode's disconnect: deleting a mailbox's Graph subscription is a Graph call, and the API
 * process makes none (workers do). So the API process queues a `subscription-delete` job and waits for
 * a worker to finish it before the mailbox's tokens are deleted — the deletion needs them.
 *
 * When no worker answers within the wait, the disconnect goes on anyway: a later run of the job, or the
 * workers' renewal tick, finds no token and forgets the row; the subscription at Graph expires by itself
 * (at most its lifetime), and its notifications meanwhile name a subscription we no longer have, which
 * the receiver drops without work.
 */
import type { Logger } from "../logger";
import { describeError } from "../sweep/errors";
import { UNSUBSCRIBE_QUEUE, UNSUBSCRIBE_QUEUE_OPTIONS, type SweepQueue } from "./queue";

/** How long a disconnect waits for a worker to delete the subscription (default). */
export const UNSUBSCRIBE_WAIT_MS = 10_000;
const POLL_MS = 100;

export interface UnsubscribeJobData {
  organizationId: string;
  userId: string;
}

function parse(data: unknown): UnsubscribeJobData | null {
  const d = data as Partial<UnsubscribeJobData> | null;
  if (!d || typeof d.organizationId !== "string" || typeof d.userId !== "string") return null;
  return { organizationId: d.organizationId, userId: d.userId };
}

export interface Unsubscriber {
  stop(): Promise<void>;
}

/** A worker's side: run `remove` (the subscription manager's) for every job. */
export async function registerUnsubscribeJob(
  queue: SweepQueue,
  remove: (organizationId: string, userId: string) => Promise<void>,
  logger: Logger,
): Promise<Unsubscriber> {
  const { boss } = queue;
  await boss.work<unknown>(UNSUBSCRIBE_QUEUE, { batchSize: 4, pollingIntervalSeconds: 0.5 }, async (jobs) => {
    for (const job of jobs) {
      const data = parse(job.data);
      if (!data) {
        logger.error({ jobId: job.id }, "subscription-delete job with malformed data dropped");
        continue;
      }
      await remove(data.organizationId, data.userId);
    }
  });
  return { stop: () => boss.offWork(UNSUBSCRIBE_QUEUE) };
}

/**
 * The API process's side: queue the deletion and wait (at most `waitMs`) for a worker to finish it.
 * Resolves whether it finished; never throws for a queue problem (the disconnect must go on).
 */
export async function requestUnsubscribe(
  queue: SweepQueue,
  data: UnsubscribeJobData,
  opts: { logger: Logger; waitMs?: number },
): Promise<boolean> {
  const { boss } = queue;
  try {
    const { retryLimit, expireInSeconds } = UNSUBSCRIBE_QUEUE_OPTIONS;
    const id = await boss.send(UNSUBSCRIBE_QUEUE, { ...data }, { retryLimit, expireInSeconds });
    if (!id) throw new Error("the subscription-delete job was not queued");
    const deadline = Date.now() + (opts.waitMs ?? UNSUBSCRIBE_WAIT_MS);
    while (Date.now() < deadline) {
      const job = await boss.getJobById<unknown>(UNSUBSCRIBE_QUEUE, id, { includeArchive: true });
      if (job?.state === "completed") return true;
      if (!job || job.state === "failed" || job.state === "cancelled") break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    opts.logger.warn(data, "disconnect: no worker deleted the subscription in time; it expires by itself");
  } catch (err) {
    opts.logger.warn({ ...data, err: describeError(err) }, "disconnect: could not queue the subscription's deletion");
  }
  return false;
}
