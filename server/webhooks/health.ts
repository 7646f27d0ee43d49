/**
 * Endpoint health: a success clears the endpoint's failing streak; a failure starts it. An endpoint whose
 * every attempt has failed for `disableAfterMs` is disabled with a reason its administrators see — at its
 * next failed attempt, or, when its deliveries have all given up and no new change arrives to fail again,
 * by the periodic check (disableLongFailing), so a dead receiver never stays "active" just because the
 * organization went quiet.
 */
import type { Db } from "../db";
import type { Logger } from "../logger";
import { lastDeliveryError, type AttemptOutcome } from "../store/webhook-deliveries";
import { endpointsFailingSince, updateEndpoint, type WebhookEndpointRecord } from "../store/webhook-endpoints";
import { iso } from "../store/util";

export interface HealthDeps {
  db: Db;
  logger: Logger;
  /** WEBHOOK_DISABLE_AFTER_DAYS in milliseconds. */
  disableAfterMs: number;
}

type Endpoint = Pick<WebhookEndpointRecord, "id" | "organizationId" | "failingSince">;

/** After one attempt: clear, start, or (too long) end in disabling the endpoint's failing streak. */
export async function trackEndpointHealth(deps: HealthDeps, endpoint: Endpoint, outcome: AttemptOutcome) {
  const { db } = deps;
  if (outcome.ok) {
    if (endpoint.failingSince)
      await updateEndpoint(db, endpoint.organizationId, endpoint.id, { failingSince: null }, outcome.at);
    return;
  }
  if (!endpoint.failingSince) {
    await updateEndpoint(db, endpoint.organizationId, endpoint.id, { failingSince: iso(outcome.at) }, outcome.at);
    return;
  }
  await disableIfFailingTooLong(deps, endpoint, outcome.at, outcome.error);
}

/** Disable every active endpoint failing for `disableAfterMs` or longer; returns how many. */
export async function disableLongFailing(deps: HealthDeps, now: Date): Promise<number> {
  let n = 0;
  for (const endpoint of await endpointsFailingSince(deps.db, new Date(now.getTime() - deps.disableAfterMs))) {
    const last = await lastDeliveryError(deps.db, endpoint.organizationId, endpoint.id);
    if (await disableIfFailingTooLong(deps, endpoint, now, last)) n++;
  }
  return n;
}

async function disableIfFailingTooLong(
  deps: HealthDeps,
  endpoint: Endpoint,
  at: Date,
  lastError: string | null,
): Promise<boolean> {
  if (!endpoint.failingSince) return false;
  const failingMs = at.getTime() - new Date(endpoint.failingSince).getTime();
  if (failingMs < deps.disableAfterMs) return false;
  const days = Math.round(failingMs / 86_400_000);
  const reason = `Every delivery attempt since ${endpoint.failingSince} failed (${days} days); the last: ${lastError ?? "unknown"}`;
  await updateEndpoint(
    deps.db,
    endpoint.organizationId,
    endpoint.id,
    { status: "disabled", disabledReason: reason.slice(0, 500), disabledAt: iso(at) },
    at,
  );
  deps.logger.warn({ organizationId: endpoint.organizationId, endpointId: endpoint.id }, "webhook endpoint disabled");
  return true;
}
