/**
 * One attempt at one delivery — the only attempt logic, whoever runs it (the in-process poller in
 * embedded mode, a queue job in distributed mode): claim it, sign the payload, POST it through the
 * SSRF guard, record the outcome, and schedule the next attempt or give up; the outcome feeds the
 * endpoint's health (health.ts).
 */
import type { Clock } from "../clock";
import type { Db } from "../db";
import { guardedPost, type GuardedPostOptions } from "../http/guarded-post";
import type { TokenCipher } from "../identity/token-crypto";
import type { Logger } from "../logger";
import {
  claimDelivery,
  recordAttempt,
  releaseDelivery,
  type AttemptOutcome,
  type WebhookDeliveryRecord,
} from "../store/webhook-deliveries";
import { getEndpoint, type WebhookEndpointRecord } from "../store/webhook-endpoints";
import { trackEndpointHealth } from "./health";
import { buildPayloads } from "./payload";
import { nextAttemptAfter } from "./schedule";
import { signingSecrets } from "./secrets";
import { signDelivery } from "./signing";

export interface SenderDeps {
  db: Db;
  /** Schedules attempts (tests move it). */
  clock: Clock;
  /** Stamps webhook-timestamp: receivers compare it with their own wall clock. */
  wallClock: Clock;
  logger: Logger;
  cipher: TokenCipher;
  http: Omit<GuardedPostOptions, "timeoutMs"> & { timeoutMs: number };
  /** Every attempt failing for this long disables the endpoint (WEBHOOK_DISABLE_AFTER_DAYS). */
  disableAfterMs: number;
  /** Stand-in for the POST (tests); guardedPost by default. */
  post?: typeof guardedPost;
}

export type AttemptResult = "succeeded" | "failed" | "skipped";

/** Attempt the delivery once, if this sender wins the claim. */
export async function attemptDelivery(deps: SenderDeps, d: WebhookDeliveryRecord): Promise<AttemptResult> {
  // Long enough for the attempt (its timeout) with room to spare; a dead process's lock expires after it.
  const until = new Date(deps.clock.now().getTime() + deps.http.timeoutMs * 3);
  if (!(await claimDelivery(deps.db, d, until))) return "skipped";
  const endpoint = await getEndpoint(deps.db, d.organizationId, d.endpointId);
  if (!endpoint || endpoint.status !== "active") {
    await releaseDelivery(deps.db, d, until);
    return "skipped";
  }
  const outcome = await post(deps, endpoint, d);
  if (!(await recordAttempt(deps.db, d, until, outcome))) return "skipped";
  await trackEndpointHealth(deps, endpoint, outcome);
  return outcome.ok ? "succeeded" : "failed";
}

async function post(
  deps: SenderDeps,
  endpoint: WebhookEndpointRecord,
  d: WebhookDeliveryRecord,
): Promise<AttemptOutcome> {
  const body = (await buildPayloads(deps.db, d.organizationId, [d])).get(d.id)!;
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const headers = signDelivery(
      signingSecrets(deps.cipher, endpoint, deps.clock.now()),
      d.id,
      deps.wallClock.now(),
      body,
    );
    const res = await (deps.post ?? guardedPost)(
      endpoint.url,
      { ...headers, "content-type": "application/json", "user-agent": "EngagementCapture-Webhooks/1" },
      body,
      deps.http,
    );
    statusCode = res.status;
    if (res.status < 200 || res.status >= 300)
      error =
        res.status >= 300 && res.status < 400
          ? `HTTP ${res.status}: redirects are not followed`
          : `HTTP ${res.status}${res.body ? `: ${res.body.slice(0, 200)}` : ""}`;
  } catch (err) {
    error = (err instanceof Error ? err.message : String(err)).slice(0, 300);
  }
  const at = deps.clock.now();
  const ok = error === null;
  return { ok, statusCode, error, at, nextAttemptAt: ok ? null : nextAttemptAfter(d.attempts + 1, at) };
}
