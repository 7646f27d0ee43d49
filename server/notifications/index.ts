/**
 * Graph change notifications, wired for one process: whether they are on (reachability.ts), the
 * subscription manager, the receiver the routes call, and where verified changes are processed — an
 * in-process queue in embedded mode, capture jobs on the workers in distributed mode. The hourly sweep
 * stays the safety net: a lost notification is caught by it.
 */
import { sql } from "kysely";
import type { Clock } from "../clock";
import type { Config } from "../config";
import { DEFAULT_NOTIFICATIONS } from "../config";
import type { Db } from "../db";
import type { GraphTokenSource } from "../identity/errors";
import type { Logger } from "../logger";
import type { SweepGraphOptions } from "../sweep/engine";
import { describeError } from "../sweep/errors";
import type { SweepQueue } from "../sweep-queue/queue";
import { requestUnsubscribe } from "../sweep-queue/unsubscribe-job";
import { deleteSubscription, getSubscription } from "../store/graph-subscriptions";
import { createInProcessSink, createQueueSink, type InProcessSink, type NotificationSink } from "./processing";
import { decideNotifications, type NotificationsDecision } from "./reachability";
import { createNotificationReceiver, type NotificationReceiver } from "./receiver";
import { createSubscriptionManager, type SubscriptionManager, type TickResult } from "./subscription-manager";

export { decideNotifications, isPrivateHost } from "./reachability";
export type { NotificationReceiver } from "./receiver";
export type { SubscriptionManager } from "./subscription-manager";

/** How often subscriptions are renewed and missing ones created (embedded timer, worker timer). */
export const SUBSCRIPTION_TICK_MS = 60_000;
/** One ticking process at a time across workers (PostgreSQL advisory lock key). */
const TICK_LOCK_KEY = 0x45434e54;

export interface NotificationsOptions {
  config: Pick<Config, "mode" | "publicUrl" | "notifications" | "databaseKind">;
  db: Db;
  clock: Clock;
  logger: Logger;
  graph: SweepGraphOptions;
  tokens: GraphTokenSource;
  /** `missed`: sweep the mailbox. */
  requestSweep(organizationId: string, userId: string): Promise<unknown>;
  /** Embedded mode: capture one message in this process. */
  capture(organizationId: string, userId: string, messageId: string): Promise<unknown>;
  /** Distributed mode: captures and subscription deletions become jobs on this queue. */
  queue: SweepQueue | null;
  /** Distributed mode: how long a disconnect waits for a worker to delete the subscription. */
  unsubscribeWaitMs?: number;
}

export interface Notifications {
  readonly decision: NotificationsDecision;
  readonly manager: SubscriptionManager;
  /** Undefined when notifications are off. */
  readonly receiver: NotificationReceiver | undefined;
  /** Embedded mode's processing queue (null in distributed mode or when off). */
  readonly sink: InProcessSink | null;
  /** A mailbox connected: subscribe it now (embedded) or at the next worker tick (distributed). */
  onConnected(organizationId: string, userId: string): void;
  /**
   * Before the tokens go: delete the mailbox's subscription — in this process (embedded), or as a job a
   * worker runs while this process waits (distributed: the API process makes no Graph request).
   */
  beforeDisconnect(organizationId: string, userId: string): Promise<void>;
  /**
   * After the connection is marked disconnected: forget any subscription row a tick saved between the
   * deletion and the mark (the manager's create checks the other way round). No Graph call: without
   * tokens it cannot be deleted there; it expires, and its notifications name no subscription we keep.
   */
  afterDisconnect(organizationId: string, userId: string): Promise<void>;
  /** Renew and create now (single-flight; across workers behind an advisory lock). Null when another ran it. */
  tick(): Promise<TickResult | null>;
  /** Tick every `intervalMs` (default SUBSCRIPTION_TICK_MS), the first at once. */
  startTimer(intervalMs?: number): void;
  stop(): Promise<void>;
}

/** In distributed mode every worker ticks; the advisory lock lets one of them do the work at a time. */
async function underTickLock<T>(db: Db, fn: () => Promise<T>): Promise<T | null> {
  return db.connection().execute(async (conn) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${TICK_LOCK_KEY}) as locked`.execute(
      conn,
    );
    if (!rows[0]?.locked) return null;
    try {
      return await fn();
    } finally {
      await sql`select pg_advisory_unlock(${TICK_LOCK_KEY})`.execute(conn);
    }
  });
}

export function createNotifications(o: NotificationsOptions): Notifications {
  const decision = decideNotifications(o.config);
  const manager = createSubscriptionManager({
    db: o.db,
    clock: o.clock,
    logger: o.logger,
    graph: o.graph,
    tokens: o.tokens,
    publicUrl: o.config.publicUrl,
    subscriptionMinutes: (o.config.notifications ?? DEFAULT_NOTIFICATIONS).subscriptionMinutes,
  });
  const distributed = o.config.databaseKind === "postgres";
  const sink: InProcessSink | null =
    decision.enabled && !o.queue ? createInProcessSink({ capture: o.capture, logger: o.logger }) : null;
  const queueSink: NotificationSink | null = o.queue
    ? createQueueSink((w, id) =>
        o.queue!.enqueueNotifiedCapture(
          { organizationId: w.organizationId, userId: w.userId, restItemId: w.messageId },
          id,
        ),
      )
    : null;
  let running: Promise<TickResult | null> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const tick = (): Promise<TickResult | null> => {
    if (!decision.enabled) return Promise.resolve(null);
    running ??= (distributed ? underTickLock(o.db, () => manager.tick()) : manager.tick())
      .catch((err: unknown) => {
        o.logger.warn({ err: describeError(err) }, "notifications: subscription tick failed");
        return null;
      })
      .finally(() => (running = null));
    return running;
  };
  const receiver =
    decision.enabled && (sink ?? queueSink)
      ? createNotificationReceiver({
          db: o.db,
          logger: o.logger,
          sink: (sink ?? queueSink)!,
          manager,
          requestSweep: o.requestSweep,
          // Embedded: renew or recreate at once; distributed: the API process leaves Graph to the workers' tick.
          onSubscriptionsChanged: distributed ? undefined : () => void tick(),
        })
      : undefined;
  return {
    decision,
    manager,
    receiver,
    sink,
    onConnected(organizationId, userId) {
      if (!decision.enabled || distributed) return;
      void manager.ensure(organizationId, userId);
    },
    async beforeDisconnect(organizationId, userId) {
      if (!o.queue) return manager.remove(organizationId, userId);
      if (!(await getSubscription(o.db, organizationId, userId))) return;
      await requestUnsubscribe(o.queue, { organizationId, userId }, { logger: o.logger, waitMs: o.unsubscribeWaitMs });
    },
    async afterDisconnect(organizationId, userId) {
      const row = await getSubscription(o.db, organizationId, userId);
      if (row) await deleteSubscription(o.db, organizationId, row.subscriptionId);
    },
    tick,
    startTimer(intervalMs = SUBSCRIPTION_TICK_MS) {
      if (!decision.enabled || timer) return;
      void tick();
      timer = setInterval(() => void tick(), intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
      await sink?.stop();
    },
  };
}
