/**
 * The composition root: builds the backend's services from configuration. Only the entry points in
 * server/cli/ (and tests standing in for them) import this; nothing it builds imports it back.
 * Nothing here knows about the emulator: demo mode only points the configuration at it.
 */
import os from "node:os";
import { systemClock, type Clock } from "../clock";
import type { Config } from "../config";
import { migrateToLatest, openDatabase, type Db } from "../db";
import { createOutbound, type Outbound } from "../http/outbound";
import { createLogger, type Logger } from "../logger";
import { createConnectionServiceFromConfig, type ConnectionService } from "../mailbox-connection";
import { createSweepService, type SweepService } from "../sweep/service";
import { closeInterruptedSweeps, type SweepDeps } from "../sweep/engine";
import { enqueueConnectSweep } from "../sweep-queue/enqueuer";
import { startSweepQueue, type QueueSettings, type SweepQueue } from "../sweep-queue/queue";
import { runSweepWorker, type SweepWorker } from "../sweep-queue/worker";
import { createQueuedSweepService } from "../sweep-queue/queued-service";
import { createSweepLiveness } from "../sweep-queue/liveness";
import { registerPruneJob } from "../sweep-queue/prune-job";
import { registerUnsubscribeJob } from "../sweep-queue/unsubscribe-job";
import { startRetentionTimer } from "../retention/runner";
import { createWebhooks, type Webhooks } from "../webhooks";
import { createNotifications, type Notifications } from "../notifications";

export interface ServicesOptions {
  config: Config;
  /** CA to trust for outbound HTTPS besides the system's (the emulator's in demo and tests). */
  extraCaPem?: string | null;
  clock?: Clock;
  logger?: Logger;
  /** Run the embedded hourly scheduler (default true; never in distributed mode, where workers sweep). */
  scheduler?: boolean;
  /** Distributed mode: the sweep queue to use (a worker passes its own); created from config.queue when absent. */
  queue?: SweepQueue;
  /** The outbound HTTPS client to use (tests tag an API process's traffic); created from extraCaPem when absent. */
  outbound?: Outbound;
  /** Distributed mode: how long "capture now" waits for a worker (default 30 s). */
  captureWaitMs?: number;
  /** Send webhook deliveries from this process (default true). */
  webhookSender?: boolean;
}

export interface Services {
  db: Db;
  logger: Logger;
  clock: Clock;
  connections: ConnectionService;
  sweeps: SweepService;
  /** Distributed mode (PostgreSQL): the sweep queue; null in embedded mode. */
  queue: SweepQueue | null;
  /** The one outbound HTTPS client (Entra, JWKS, Graph). */
  outbound: Outbound;
  /** Webhook endpoints and the delivery runner. */
  webhooks: Webhooks;
  /** Graph change notifications: subscriptions, the receiver, processing. */
  notifications: Notifications;
  close(): Promise<void>;
}

/** Build the backend's services (database, identity, sweep) without serving HTTP. */
export async function createServices(opts: ServicesOptions): Promise<Services> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger(config.logLevel);
  const db = await openDatabase(config.databaseUrl);
  await migrateToLatest(db);
  const ownOutbound = opts.outbound ? null : createOutbound(opts.extraCaPem);
  const outbound = opts.outbound ?? ownOutbound!;
  // Distributed mode (PostgreSQL): every sweep and capture runs in workers (npm run worker) fed by the
  // pg-boss queue; this process enqueues them (with the same job settings as the workers) and follows them.
  const distributed = config.databaseKind === "postgres";
  const ownQueue =
    distributed && !opts.queue
      ? await startSweepQueue({
          connectionString: config.databaseUrl,
          logger,
          settings: config.queue,
          intervalMinutes: config.sweep.intervalMinutes,
        })
      : null;
  const queue = distributed ? (opts.queue ?? ownQueue) : null;

  // Connect and sweep refer to each other (a new connection starts its first sweep; a sweep needs the
  // connection's token), so the connect hook is bound late.
  const late: { sweeps?: SweepService; notifications?: Notifications; webhooks?: Webhooks } = {};
  const connections = createConnectionServiceFromConfig({
    db,
    config,
    clock,
    logger,
    outbound,
    graphReadsInWorkers: distributed,
    onConnected: (orgId, userId) => {
      late.notifications?.onConnected(orgId, userId);
      return queue ? enqueueFirstSweep(queue, logger, orgId, userId) : late.sweeps?.onConnected(orgId, userId);
    },
    beforeDisconnect: async (orgId, userId) => late.notifications?.beforeDisconnect(orgId, userId),
    afterDisconnect: async (orgId, userId) => late.notifications?.afterDisconnect(orgId, userId),
  });
  const localSweeps = createSweepService({
    db,
    clock,
    logger,
    graph: { baseUrl: config.graphBaseUrl, outbound },
    tokens: connections,
    config: { windowHours: config.sweep.windowHours, overlapMinutes: config.sweep.overlapMinutes },
    intervalMinutes: config.sweep.intervalMinutes,
    concurrency: config.sweep.concurrency,
    onEngagementChanges: () => late.webhooks?.onChanges(),
  });
  const sweeps = queue
    ? createQueuedSweepService(localSweeps, { db, clock, logger, queue, captureWaitMs: opts.captureWaitMs })
    : localSweeps;
  late.sweeps = sweeps;
  const notifications = createNotifications({
    config,
    db,
    clock,
    logger,
    graph: { baseUrl: config.graphBaseUrl, outbound },
    tokens: connections,
    requestSweep: (orgId, userId) => sweeps.requestSweep(orgId, userId),
    capture: (orgId, userId, messageId) => localSweeps.captureMessage(orgId, userId, messageId),
    queue,
  });
  late.notifications = notifications;
  logger.info(
    { notifications: notifications.decision.enabled ? "on" : "off" },
    `change notifications ${notifications.decision.enabled ? "on" : "off"}: ${notifications.decision.reason}`,
  );
  // Embedded mode renews and creates subscriptions on its own timer; distributed mode's workers do (startWorker).
  if (opts.scheduler !== false && !distributed) notifications.startTimer();
  if (opts.scheduler !== false && !distributed) await startEmbeddedScheduler(db, clock, logger, sweeps);
  // Embedded mode prunes on its own timer; distributed mode's workers run the prune job (startWorker).
  const retention =
    opts.scheduler !== false && !distributed
      ? startRetentionTimer({ db, clock, logger, retention: config.retention, windowHours: config.sweep.windowHours })
      : null;

  // Deliveries are claimed row by row in the database, so every process may send them: embedded mode
  // polls the deliveries table, distributed mode takes them as jobs from the pg-boss queue.
  const webhooks = createWebhooks({ db, config, clock, logger, extraCaPem: opts.extraCaPem, boss: queue?.boss });
  late.webhooks = webhooks;
  if (opts.webhookSender !== false) webhooks.runner.start();

  return {
    db,
    logger,
    clock,
    connections,
    sweeps,
    queue,
    outbound,
    webhooks,
    notifications,
    async close() {
      await notifications.stop();
      await webhooks.close();
      await retention?.stop();
      await sweeps.stop({ abort: true });
      await ownQueue?.stop();
      await db.destroy();
      await ownOutbound?.close();
    },
  };
}

function enqueueFirstSweep(queue: SweepQueue, logger: Logger, organizationId: string, userId: string): void {
  enqueueConnectSweep(queue, organizationId, userId).then(
    (jobId) =>
      logger.info(
        { organizationId, userId, jobId },
        jobId ? "first sweep enqueued" : "first sweep not enqueued: a sweep job is already pending",
      ),
    (err: unknown) =>
      logger.warn(
        { organizationId, userId, err: err instanceof Error ? err.message : String(err) },
        "could not enqueue the first sweep",
      ),
  );
}

async function startEmbeddedScheduler(db: Db, clock: Clock, logger: Logger, sweeps: SweepService): Promise<void> {
  // This process is the embedded database's only scheduler: sweeps still `running` were left by a
  // predecessor that died; close them so the first tick sweeps those mailboxes again.
  const closed = await closeInterruptedSweeps(db, clock.now());
  if (closed)
    logger.warn(
      { sweeps: closed },
      "closed sweeps left running by a previous process; their mailboxes are swept again now",
    );
  sweeps.start();
}

export interface WorkerOptions {
  config: Config;
  extraCaPem?: string | null;
  /** Sweeps run at once by this worker (default config.worker.concurrency). */
  concurrency?: number;
  clock?: Clock;
  logger?: Logger;
  /** Shown in logs and job outputs (default config.worker.id, else host:pid). */
  workerId?: string;
  /** Overrides of config.queue (tests shorten the job deadline). */
  queue?: Partial<QueueSettings>;
  /** Idle polling period (default 1000 ms). */
  pollIntervalMs?: number;
  /** Graph client options for the sweeps (retries, timeouts). */
  graph?: Pick<SweepDeps["graph"], "maxRetries" | "timeoutMs" | "backoffSeconds">;
}

export interface RunningWorker extends SweepWorker {
  readonly services: Services;
}

/** A sweep worker (`npm run worker`): its own queue connection and services, then jobs until stopped. */
export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const { config } = opts;
  if (config.databaseKind !== "postgres")
    throw new Error(
      "Sweep workers need PostgreSQL (DATABASE_URL=postgres://…); embedded mode sweeps in the server process.",
    );
  const id = opts.workerId ?? config.worker.id ?? `${os.hostname()}:${process.pid}`;
  const clock = opts.clock ?? systemClock;
  const logger = (opts.logger ?? createLogger(config.logLevel)).child({ worker: id });
  const settings = { ...config.queue, ...opts.queue };
  const queue = await startSweepQueue({
    connectionString: config.databaseUrl,
    logger,
    settings,
    intervalMinutes: config.sweep.intervalMinutes,
  });
  const services = await createServices({
    config,
    extraCaPem: opts.extraCaPem,
    clock,
    logger,
    scheduler: false,
    queue,
  });
  const outbound = createOutbound(opts.extraCaPem);
  const concurrency = opts.concurrency ?? config.worker.concurrency;
  const liveness = createSweepLiveness(config.databaseUrl, concurrency);
  // Everything that can fail at start is done before the first job is taken: a process that dies
  // during start-up must not leave jobs behind it.
  const prune = await registerPruneJob(queue, {
    db: services.db,
    clock,
    logger,
    retention: config.retention,
    windowHours: config.sweep.windowHours,
  });
  const unsubscriber = await registerUnsubscribeJob(
    queue,
    (organizationId, userId) => services.notifications.manager.remove(organizationId, userId),
    logger,
  );
  void prune
    .tick()
    .catch((err: unknown) => logger.warn({ err: String(err) }, "retention: could not send the prune job"));
  const worker = runSweepWorker({
    id,
    queue,
    logger,
    concurrency,
    liveness,
    pollIntervalMs: opts.pollIntervalMs,
    sweep: {
      db: services.db,
      clock,
      logger,
      graph: { baseUrl: config.graphBaseUrl, outbound, ...opts.graph },
      tokens: services.connections,
      config: { windowHours: config.sweep.windowHours, overlapMinutes: config.sweep.overlapMinutes },
      onEngagementChanges: () => services.webhooks.onChanges(),
    },
  });
  if (config.worker.enqueuerTickSeconds > 0)
    services.notifications.startTimer(config.worker.enqueuerTickSeconds * 1000);
  let stopping = false;
  return {
    ...worker,
    services,
    async stop(o) {
      if (stopping) return;
      stopping = true;
      await worker.stop(o);
      await liveness.close();
      await prune.stop();
      await unsubscriber.stop();
      // Its attempts end (and their jobs complete) while the queue is still open.
      await services.webhooks.runner.stop();
      await queue.stop({ graceful: true, timeoutMs: 5000 });
      await services.close();
      await outbound.close();
      logger.info(worker.stats(), "sweep worker stopped");
    },
  };
}
