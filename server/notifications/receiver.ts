/**
 * The receiving end of Graph's notifications. Every item must name a subscription we hold, carry its
 * clientState (checked in constant time against the stored hash) and, when present, the subscription's
 * tenant; anything else is dropped and counted, with no Graph request and no write. An item whose
 * clientState does not even have the shape of ours is dropped before the subscription is looked up, so
 * a body of forged items costs no database work. Verified changes go to the processing sink (off the
 * request); lifecycle events only mark the subscription or ask for a sweep, so the answer never waits on
 * Graph.
 *
 * Bursts are bounded per subscription and per organization (token buckets): past either, the rest of
 * that mailbox's changes are not queued one by one — the mailbox is swept instead (one sweep, coalesced
 * with any pending one, on the sweep queue), so neither a mailbox flooded with mail nor an organization
 * of many such mailboxes can fill the capture queue ahead of other organizations, and no change is
 * dropped silently: the sweep lists what changed since its last success.
 */
import type { Db } from "../db";
import type { Logger } from "../logger";
import { TokenBuckets, type RateLimit } from "../api/security";
import { findBySubscriptionIds, type GraphSubscriptionRecord } from "../store/graph-subscriptions";
import { clientStateMatches, isOurClientStateShape } from "./client-state";
import type { ChangeNotification, LifecycleNotification } from "./payload";
import type { CaptureWork, NotificationSink } from "./processing";
import type { SubscriptionManager } from "./subscription-manager";

export interface ReceiverStats {
  received: number;
  accepted: number;
  /** Unknown subscription, wrong clientState or tenant. */
  rejected: number;
  malformed: number;
  /** Verified changes past their subscription's rate, answered by a sweep of the mailbox instead. */
  overflowed: number;
  lifecycle: Record<LifecycleNotification["lifecycleEvent"], number>;
}

export interface NotificationReceiver {
  /** Verified changes are handed to the sink; returns how many were accepted. */
  receiveChanges(items: ChangeNotification[], malformed: number): Promise<number>;
  receiveLifecycle(items: LifecycleNotification[], malformed: number): Promise<number>;
  stats(): ReceiverStats;
}

export interface ReceiverDeps {
  db: Db;
  logger: Logger;
  sink: NotificationSink;
  manager: Pick<SubscriptionManager, "markForRenewal" | "forget">;
  /** `missed`: sweep the mailbox (in-process, or a queued sweep job). */
  requestSweep(organizationId: string, userId: string): Promise<unknown>;
  /** After a lifecycle event changed a subscription row: renew/recreate soon (embedded mode). */
  onSubscriptionsChanged?: () => void;
  /** Change items queued per subscription (default DEFAULT_PER_SUBSCRIPTION_LIMIT); tests inject the clock. */
  perSubscription?: RateLimit;
  /** Change items queued per organization (default DEFAULT_PER_ORGANIZATION_LIMIT). */
  perOrganization?: RateLimit;
  nowMs?: () => number;
}

/**
 * Per subscription (one mailbox): a person's mailbox receives a few messages a minute; a burst of 300
 * (a mail merge, a migration) is queued as it comes, and a sustained 5 per second beyond it is swept.
 */
export const DEFAULT_PER_SUBSCRIPTION_LIMIT: RateLimit = { perSecond: 5, burst: 300 };
/**
 * Per organization: a thousand mailboxes receiving 10 messages a second in all are far below it; past it,
 * one organization's mail is swept rather than queued ahead of everyone else's captures.
 */
export const DEFAULT_PER_ORGANIZATION_LIMIT: RateLimit = { perSecond: 50, burst: 3000 };

type Item = { subscriptionId: string; clientState?: string | null; tenantId?: string };

async function verify<T extends Item>(db: Db, all: T[]): Promise<{ item: T; sub: GraphSubscriptionRecord }[]> {
  const items = all.filter((i) => isOurClientStateShape(i.clientState));
  if (!items.length) return [];
  const ids = [...new Set(items.map((i) => i.subscriptionId))];
  const subs = new Map((await findBySubscriptionIds(db, ids)).map((s) => [s.subscriptionId, s]));
  const out: { item: T; sub: GraphSubscriptionRecord }[] = [];
  for (const item of items) {
    const sub = subs.get(item.subscriptionId);
    if (!sub || !clientStateMatches(sub.clientStateHash, item.clientState)) continue;
    if (item.tenantId !== undefined && item.tenantId !== sub.organizationId) continue;
    out.push({ item, sub });
  }
  return out;
}

export function createNotificationReceiver(deps: ReceiverDeps): NotificationReceiver {
  const stats: ReceiverStats = {
    received: 0,
    accepted: 0,
    rejected: 0,
    malformed: 0,
    overflowed: 0,
    lifecycle: { reauthorizationRequired: 0, subscriptionRemoved: 0, missed: 0 },
  };
  const perSubscription = new TokenBuckets(deps.perSubscription ?? DEFAULT_PER_SUBSCRIPTION_LIMIT, deps.nowMs);
  const perOrganization = new TokenBuckets(deps.perOrganization ?? DEFAULT_PER_ORGANIZATION_LIMIT, deps.nowMs);
  /** Whether this change may be queued on its own: the subscription's bucket, then its organization's. */
  const admit = (sub: GraphSubscriptionRecord) => {
    if (!perSubscription.peek(sub.subscriptionId).ok || !perOrganization.peek(sub.organizationId).ok) return false;
    perSubscription.take(sub.subscriptionId);
    perOrganization.take(sub.organizationId);
    return true;
  };
  const sweepInstead = (organizationId: string, userId: string) =>
    // Not awaited: a sweep may take minutes, and Graph wants its answer within 3 s.
    void deps
      .requestSweep(organizationId, userId)
      .catch((err: unknown) =>
        deps.logger.warn({ organizationId, userId, err: String(err) }, "notifications: could not request a sweep"),
      );
  const count = (total: number, accepted: number, malformed: number) => {
    stats.received += total + malformed;
    stats.accepted += accepted;
    stats.rejected += total - accepted;
    stats.malformed += malformed;
    if (total - accepted || malformed)
      deps.logger.warn(
        { rejected: total - accepted, malformed },
        "notifications: dropped items that failed verification",
      );
  };
  return {
    stats: () => ({ ...stats, lifecycle: { ...stats.lifecycle } }),
    async receiveChanges(items, malformed) {
      const verified = await verify(deps.db, items);
      count(items.length, verified.length, malformed);
      const work: CaptureWork[] = [];
      const swept = new Map<string, GraphSubscriptionRecord>();
      for (const { item, sub } of verified) {
        if (item.changeType === "deleted") continue;
        if (swept.has(sub.subscriptionId) || !admit(sub)) {
          swept.set(sub.subscriptionId, sub);
          stats.overflowed++;
          continue;
        }
        work.push({
          organizationId: sub.organizationId,
          userId: sub.userId,
          messageId: item.resourceData.id,
          etag: item.resourceData["@odata.etag"] ?? item.changeType,
        });
      }
      if (work.length) await deps.sink.submit(work);
      for (const sub of swept.values()) {
        deps.logger.warn(
          { organizationId: sub.organizationId, userId: sub.userId, subscriptionId: sub.subscriptionId },
          "notifications: changes arrive faster than they are captured one by one; sweeping the mailbox instead",
        );
        sweepInstead(sub.organizationId, sub.userId);
      }
      return verified.length;
    },
    async receiveLifecycle(items, malformed) {
      const verified = await verify(deps.db, items);
      count(items.length, verified.length, malformed);
      let changed = false;
      for (const { item, sub } of verified) {
        const { organizationId, userId, subscriptionId } = sub;
        stats.lifecycle[item.lifecycleEvent]++;
        deps.logger.info(
          { organizationId, userId, subscriptionId, event: item.lifecycleEvent },
          "notifications: lifecycle event",
        );
        if (item.lifecycleEvent === "reauthorizationRequired") {
          await deps.manager.markForRenewal(organizationId, subscriptionId);
          changed = true;
        } else if (item.lifecycleEvent === "subscriptionRemoved") {
          await deps.manager.forget(organizationId, subscriptionId);
          changed = true;
        } else sweepInstead(organizationId, userId);
      }
      if (changed) deps.onSubscriptionsChanged?.();
      return verified.length;
    },
  };
}
