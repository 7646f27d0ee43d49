/**
 * The receiving end of Graph's notifications. Every item must name a subscription we hold, carry its
 * clientState (checked in constant time against the stored hash) and, when present, the subscription's
 * tenant; anything else is dropped and counted, with no Graph request and no write. Verified changes go
 * to the processing sink (off the request); lifecycle events only mark the subscription or ask for a
 * sweep, so the answer never waits on Graph.
 */
import type { Db } from "../db";
import type { Logger } from "../logger";
import { findBySubscriptionIds, type GraphSubscriptionRecord } from "../store/graph-subscriptions";
import { clientStateMatches } from "./client-state";
import type { ChangeNotification, LifecycleNotification } from "./payload";
import type { CaptureWork, NotificationSink } from "./processing";
import type { SubscriptionManager } from "./subscription-manager";

export interface ReceiverStats {
  received: number;
  accepted: number;
  /** Unknown subscription, wrong clientState or tenant. */
  rejected: number;
  malformed: number;
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
}

type Item = { subscriptionId: string; clientState?: string | null; tenantId?: string };

async function verify<T extends Item>(db: Db, items: T[]): Promise<{ item: T; sub: GraphSubscriptionRecord }[]> {
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
    lifecycle: { reauthorizationRequired: 0, subscriptionRemoved: 0, missed: 0 },
  };
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
      const work: CaptureWork[] = verified
        .filter(({ item }) => item.changeType !== "deleted")
        .map(({ item, sub }) => ({
          organizationId: sub.organizationId,
          userId: sub.userId,
          messageId: item.resourceData.id,
          etag: item.resourceData["@odata.etag"] ?? item.changeType,
        }));
      if (work.length) await deps.sink.submit(work);
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
        } else {
          // Not awaited: a sweep may take minutes, and Graph wants its answer within 3 s.
          void deps
            .requestSweep(organizationId, userId)
            .catch((err: unknown) =>
              deps.logger.warn(
                { organizationId, userId, err: String(err) },
                "notifications: could not request a sweep",
              ),
            );
        }
      }
      if (changed) deps.onSubscriptionsChanged?.();
      return verified.length;
    },
  };
}
