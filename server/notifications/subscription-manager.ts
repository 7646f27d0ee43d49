/**
 * Keeps one Graph subscription per connected mailbox: creates it, renews it when half its lifetime is
 * gone, recreates it when Graph lost it, deletes it on disconnect. All Graph work happens in `ensure`,
 * `remove` and `tick`; lifecycle notifications only mark rows (markForRenewal, forget) so the receiver
 * never waits on Graph and, in distributed mode, the API process never calls it.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import type { Clock } from "../clock";
import type { Db } from "../db";
import { createGraphClient } from "../graph/client";
import {
  createMessageSubscription,
  deleteGraphSubscription,
  renewSubscription,
  type GraphSubscription,
} from "../graph/subscriptions";
import { NotConnectedError, ReauthRequiredError, type GraphTokenSource } from "../identity/errors";
import type { Logger } from "../logger";
import type { SweepGraphOptions } from "../sweep/engine";
import { describeError } from "../sweep/errors";
import {
  deleteSubscription,
  getSubscription,
  listExpiringBefore,
  listUnsubscribedMailboxes,
  markRenewalDue,
  recordRenewal,
  saveSubscription,
  type GraphSubscriptionRecord,
} from "../store/graph-subscriptions";
import { getConnection } from "../store/mailbox-connections";
import { iso } from "../store/util";
import { hashClientState, newClientState } from "./client-state";

export interface SubscriptionManagerDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  graph: SweepGraphOptions;
  tokens: GraphTokenSource;
  /** PUBLIC_URL (no trailing slash). */
  publicUrl: string;
  subscriptionMinutes: number;
  /** Mailboxes handled per tick (default 200); the rest wait for the next one. */
  batchSize?: number;
  /** After a failed create, wait this long before trying that mailbox again, doubled per failure (default 1 min). */
  retryAfterMs?: number;
  /** The longest wait between attempts (default 15 min). */
  maxRetryAfterMs?: number;
}

export interface TickResult {
  created: number;
  renewed: number;
  failed: number;
}

export interface SubscriptionManager {
  /** Create the mailbox's subscription, or renew it when due. */
  ensure(organizationId: string, userId: string): Promise<void>;
  /** Best effort at Graph; the row is always deleted. */
  remove(organizationId: string, userId: string): Promise<void>;
  /** reauthorizationRequired: renew at the next tick. */
  markForRenewal(organizationId: string, subscriptionId: string): Promise<void>;
  /** subscriptionRemoved: Graph has deleted it; the next tick creates a new one. */
  forget(organizationId: string, subscriptionId: string): Promise<void>;
  /** Renew what is due, subscribe mailboxes that have none. */
  tick(): Promise<TickResult>;
  readonly notificationUrl: string;
  readonly lifecycleUrl: string;
}

interface ManagerContext {
  deps: SubscriptionManagerDeps;
  notificationUrl: string;
  lifecycleUrl: string;
  /** userId → when a failed create may be tried again, and after how many failures (this process only). */
  backoff: Map<string, { at: number; failures: number }>;
  /** userId → the ensure under way: connect and the tick never subscribe one mailbox twice at once. */
  inFlight: Map<string, Promise<"created" | "renewed" | null>>;
}

function clientFor(ctx: ManagerContext, organizationId: string, userId: string): Client {
  const { graph, tokens } = ctx.deps;
  return createGraphClient({
    baseUrl: graph.baseUrl,
    outbound: graph.outbound,
    getAccessToken: () => tokens.getGraphAccessToken(organizationId, userId),
    refreshAccessToken: ({ claims }) =>
      tokens.getGraphAccessToken(organizationId, userId, claims ? { claims } : { forceRefresh: true }),
    maxRetries: graph.maxRetries ?? 3,
    timeoutMs: graph.timeoutMs,
    backoffSeconds: graph.backoffSeconds,
  }).client;
}

const lifetimeMs = (ctx: ManagerContext) => ctx.deps.subscriptionMinutes * 60_000;
const expiryFrom = (ctx: ManagerContext, now: Date) => new Date(now.getTime() + lifetimeMs(ctx));
/** Renewed once half the lifetime is gone: a missed tick or two never lets one lapse. */
const renewBefore = (ctx: ManagerContext, now: Date) => new Date(now.getTime() + lifetimeMs(ctx) / 2);

/** Null when the mailbox was disconnected meanwhile (nothing is kept). */
async function create(ctx: ManagerContext, organizationId: string, userId: string): Promise<GraphSubscription | null> {
  const { db, clock, logger } = ctx.deps;
  const clientState = newClientState();
  const sub = await createMessageSubscription(clientFor(ctx, organizationId, userId), {
    notificationUrl: ctx.notificationUrl,
    lifecycleNotificationUrl: ctx.lifecycleUrl,
    clientState,
    expirationDateTime: expiryFrom(ctx, clock.now()),
  });
  await saveSubscription(
    db,
    {
      organizationId,
      userId,
      subscriptionId: sub.id,
      clientStateHash: hashClientState(clientState),
      resource: sub.resource,
      expiresAt: sub.expirationDateTime,
    },
    clock.now(),
  );
  // A disconnect may have run while Graph was creating this one (its own deletion found nothing to delete).
  // Saving first and then reading the connection pairs with the disconnect, which marks the connection
  // first and then forgets any subscription row (Notifications.afterDisconnect): one of the two sees the other.
  const connection = await getConnection(db, organizationId, userId);
  if (connection?.status !== "active") {
    await deleteSubscription(db, organizationId, sub.id);
    await deleteGraphSubscription(clientFor(ctx, organizationId, userId), sub.id).catch(() => {
      // No token any more: it expires by itself, and its notifications name no subscription we keep.
    });
    logger.info({ organizationId, userId }, "notifications: mailbox disconnected while subscribing; not kept");
    return null;
  }
  logger.info({ organizationId, userId, subscriptionId: sub.id }, "notifications: mailbox subscribed");
  return sub;
}

async function renew(ctx: ManagerContext, row: GraphSubscriptionRecord): Promise<"renewed" | "created" | null> {
  const { db, clock, logger } = ctx.deps;
  const { organizationId, userId, subscriptionId } = row;
  const sub = await renewSubscription(
    clientFor(ctx, organizationId, userId),
    subscriptionId,
    expiryFrom(ctx, clock.now()),
  );
  if (!sub) {
    logger.info({ organizationId, userId, subscriptionId }, "notifications: subscription gone at Graph; recreating");
    await deleteSubscription(db, organizationId, subscriptionId);
    return (await create(ctx, organizationId, userId)) ? "created" : null;
  }
  await recordRenewal(db, organizationId, subscriptionId, sub.expirationDateTime, clock.now());
  return "renewed";
}

/** A mailbox whose grant is gone keeps no subscription: reconnecting subscribes it again. */
async function handleFailure(ctx: ManagerContext, organizationId: string, userId: string, err: unknown): Promise<void> {
  const { db, clock, logger } = ctx.deps;
  if (err instanceof NotConnectedError || err instanceof ReauthRequiredError) {
    const row = await getSubscription(db, organizationId, userId);
    if (row) await deleteSubscription(db, organizationId, row.subscriptionId);
    return;
  }
  const failures = (ctx.backoff.get(userId)?.failures ?? 0) + 1;
  const wait = Math.min(
    ctx.deps.maxRetryAfterMs ?? 15 * 60_000,
    (ctx.deps.retryAfterMs ?? 60_000) * 2 ** (failures - 1),
  );
  ctx.backoff.set(userId, { at: clock.now().getTime() + wait, failures });
  logger.warn({ organizationId, userId, err: describeError(err) }, "notifications: could not subscribe or renew");
}

function ensure(ctx: ManagerContext, organizationId: string, userId: string): Promise<"created" | "renewed" | null> {
  let running = ctx.inFlight.get(userId);
  if (!running) {
    running = ensureNow(ctx, organizationId, userId).finally(() => ctx.inFlight.delete(userId));
    ctx.inFlight.set(userId, running);
  }
  return running;
}

async function ensureNow(
  ctx: ManagerContext,
  organizationId: string,
  userId: string,
): Promise<"created" | "renewed" | null> {
  const now = ctx.deps.clock.now();
  const row = await getSubscription(ctx.deps.db, organizationId, userId);
  if (row && row.expiresAt >= iso(renewBefore(ctx, now))) return null;
  if (row) return renew(ctx, row);
  return (await create(ctx, organizationId, userId)) ? "created" : null;
}

async function remove(ctx: ManagerContext, organizationId: string, userId: string): Promise<void> {
  const { db, logger } = ctx.deps;
  const row = await getSubscription(db, organizationId, userId);
  if (!row) return;
  try {
    await deleteGraphSubscription(clientFor(ctx, organizationId, userId), row.subscriptionId);
  } catch (err) {
    // It expires by itself; its notifications meanwhile name a subscription we no longer have and are dropped.
    logger.warn(
      { organizationId, userId, err: describeError(err) },
      "notifications: could not delete the subscription",
    );
  } finally {
    await deleteSubscription(db, organizationId, row.subscriptionId);
  }
}

async function tick(ctx: ManagerContext): Promise<TickResult> {
  const { db, clock } = ctx.deps;
  const limit = ctx.deps.batchSize ?? 200;
  const result: TickResult = { created: 0, renewed: 0, failed: 0 };
  const now = clock.now();
  const due = await listExpiringBefore(db, renewBefore(ctx, now), limit);
  const missing = (await listUnsubscribedMailboxes(db, limit)).filter(
    (m) => (ctx.backoff.get(m.userId)?.at ?? 0) <= now.getTime(),
  );
  for (const m of [...due, ...missing]) {
    try {
      const done = await ensure(ctx, m.organizationId, m.userId);
      if (done) result[done]++;
      ctx.backoff.delete(m.userId);
    } catch (err) {
      result.failed++;
      await handleFailure(ctx, m.organizationId, m.userId, err);
    }
  }
  return result;
}

export function createSubscriptionManager(deps: SubscriptionManagerDeps): SubscriptionManager {
  const ctx: ManagerContext = {
    deps,
    notificationUrl: `${deps.publicUrl}/api/notifications`,
    lifecycleUrl: `${deps.publicUrl}/api/notifications/lifecycle`,
    backoff: new Map(),
    inFlight: new Map(),
  };
  return {
    notificationUrl: ctx.notificationUrl,
    lifecycleUrl: ctx.lifecycleUrl,
    async ensure(organizationId, userId) {
      try {
        await ensure(ctx, organizationId, userId);
      } catch (err) {
        await handleFailure(ctx, organizationId, userId, err);
      }
    },
    remove: (organizationId, userId) => remove(ctx, organizationId, userId),
    async markForRenewal(organizationId, subscriptionId) {
      await markRenewalDue(deps.db, organizationId, subscriptionId, deps.clock.now());
    },
    async forget(organizationId, subscriptionId) {
      await deleteSubscription(deps.db, organizationId, subscriptionId);
    },
    tick: () => tick(ctx),
  };
}
