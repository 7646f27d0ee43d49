/**
 * Distributed mode's webhook deliveries: a pg-boss queue `webhook-delivery`, one job = one attempt of one
 * delivery, carrying only the delivery's id (and its organization and endpoint, to scope the read and
 * to count the endpoint's slots before reading). The delivery row stays the record — status, attempts,
 * last error, next attempt — and the claim on it (server/store/webhook-deliveries.ts) decides who sends,
 * so a job run twice sends once.
 *
 * Backoff: each failed attempt sends the NEXT attempt's job with startAfter = the row's nextAttemptAt
 * (server/webhooks/schedule.ts: 5 s … 10 h, eight attempts over about 28 h), rather than pg-boss's own
 * retryDelay/retryBackoff: pg-boss doubles one delay (so ≥ 24 h needs either a long first delay or
 * ~15 retries with a jitter we cannot show), its retries count handler crashes, not receivers saying
 * 500, and the delivery log must show the next attempt's time, which only the row's schedule knows.
 * pg-boss's own retries (retryLimit) are kept for what they are for: a handler that threw (database
 * down) or a process that died mid-job (expireInSeconds, then maintenance hands the job to another).
 *
 * Job ids are deterministic per (delivery, attempts, due time): the dispatcher, a failed attempt and the
 * reconciliation pass (server/webhooks/queued-runner.ts) asking for the same attempt make one job
 * (pg-boss inserts with ON CONFLICT DO NOTHING).
 */
import { createHash } from "node:crypto";
import type PgBoss from "pg-boss";
import { ensureQueue } from "./queue";

export const WEBHOOK_QUEUE = "webhook-delivery";

export interface DeliveryJobData {
  organizationId: string;
  endpointId: string;
  deliveryId: string;
}

export interface DeliveryJobRequest extends DeliveryJobData {
  /** When the attempt is due (startAfter). */
  dueAt: Date;
  /** Distinguishes jobs for the same attempt and due time (the reconciliation's period, a deferral). */
  key: string;
}

/** A stable UUID per (delivery, key, due time). */
export function deliveryJobId(r: Pick<DeliveryJobRequest, "deliveryId" | "key" | "dueAt">): string {
  const h = createHash("sha256")
    .update(`${WEBHOOK_QUEUE}\0${r.deliveryId}\0${r.key}\0${r.dueAt.toISOString()}`, "utf8")
    .digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function parseDeliveryJobData(data: unknown): DeliveryJobData | null {
  const d = data as Partial<DeliveryJobData> | null;
  if (!d || typeof d !== "object") return null;
  if (typeof d.organizationId !== "string" || typeof d.endpointId !== "string" || typeof d.deliveryId !== "string")
    return null;
  return { organizationId: d.organizationId, endpointId: d.endpointId, deliveryId: d.deliveryId };
}

/** pg-boss options of the queue and of every job in it. */
export function deliveryJobOptions(expireInSeconds: number) {
  return { retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds } as const;
}

/**
 * Create the queue, or bring its options up to date. `standard`: any number of jobs per delivery may
 * wait (the claim makes the extra ones no-ops); `expireInSeconds` past the attempt's lock, so a job whose
 * process died is handed on only once its delivery can be claimed again.
 */
export async function ensureWebhookQueue(boss: PgBoss, expireInSeconds: number): Promise<void> {
  await ensureQueue(boss, { name: WEBHOOK_QUEUE, policy: "standard", ...deliveryJobOptions(expireInSeconds) });
}

/** Send jobs, in one statement per few hundred (an id already in the queue is skipped). */
export async function sendDeliveryJobs(
  boss: PgBoss,
  requests: readonly DeliveryJobRequest[],
  expireInSeconds: number,
): Promise<void> {
  const BATCH = 500;
  for (let i = 0; i < requests.length; i += BATCH) {
    await boss.insert(
      requests.slice(i, i + BATCH).map((r) => ({
        id: deliveryJobId(r),
        name: WEBHOOK_QUEUE,
        data: { organizationId: r.organizationId, endpointId: r.endpointId, deliveryId: r.deliveryId },
        startAfter: r.dueAt.toISOString(),
        ...deliveryJobOptions(expireInSeconds),
      })),
    );
  }
}
