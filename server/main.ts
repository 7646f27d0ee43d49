/**
 * The composition root: builds every service from configuration and serves the app over HTTPS.
 * Used by `npm start` (server/cli/start.ts), by end-to-end tests (in-process, port 0) and by benchmarks.
 * Nothing here knows about the emulator: demo mode only points the configuration at it.
 */
import path from "node:path";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import { createApp } from "./app";
import { hardenedHttpsServer } from "./api/security";
import type { AppEnv } from "./api/context";
import type { PreviewSource } from "./api/routes/addin";
import { systemClock, type Clock } from "./clock";
import type { Config } from "./config";
import { migrateToLatest, openDatabase, type Db } from "./db";
import { createOutbound } from "./http/outbound";
import { loadServerTls } from "./http/tls";
import { createTokenVerifier } from "./identity/token-verifier";
import { createLogger, type Logger } from "./logger";
import { createConnectionServiceFromConfig, type ConnectionService } from "./mailbox-connection";
import { createMailService } from "./mail/send";
import type { Outbound } from "./http/outbound";
import { createSweepService, type SweepService } from "./sweep/service";
import { closeInterruptedSweeps } from "./sweep/engine";
import { enqueueConnectSweep } from "./sweep-queue/enqueuer";
import { startSweepQueue, type SweepQueue } from "./sweep-queue/queue";

export const REPO_ROOT = path.resolve(__dirname, "..");

export interface StartOptions {
  config: Config;
  /** CA to trust for outbound HTTPS besides the system's (the emulator's in demo and tests). */
  extraCaPem?: string | null;
  clock?: Clock;
  logger?: Logger;
  /** Sample messages for /preview (demo mode). */
  preview?: PreviewSource;
  /** Run the embedded hourly scheduler (default true; never in distributed mode, where workers sweep). */
  scheduler?: boolean;
  /** Distributed mode: the sweep queue to use (a worker passes its own); created when absent. */
  queue?: SweepQueue;
  /** Serve the built pane from here (default dist/addin). */
  addinDistDir?: string;
  /** Listen on this port instead of config.port (0 = random, for tests). */
  port?: number;
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
  close(): Promise<void>;
}

export interface RunningServer extends Services {
  url: string;
  port: number;
  /** The address the server is bound to (LISTEN_HOST resolved, e.g. "127.0.0.1" or "::"). */
  address: string;
  app: Hono<AppEnv>;
  caPem: string;
}

/** Build the backend's services (database, identity, sweep) without serving HTTP: the worker uses this too. */
export async function createServices(opts: Omit<StartOptions, "preview" | "addinDistDir" | "port">): Promise<Services> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger(config.logLevel);
  const db = await openDatabase(config.databaseUrl);
  await migrateToLatest(db);
  const outbound = createOutbound(opts.extraCaPem);
  // Distributed mode (PostgreSQL): sweeps run in workers (npm run worker) fed by the pg-boss queue;
  // this process only enqueues the first sweep of a new connection.
  const distributed = config.databaseKind === "postgres";
  const ownQueue = distributed && !opts.queue ? await startSweepQueue({ connectionString: config.databaseUrl, logger, intervalMinutes: config.sweep.intervalMinutes }) : null;
  const queue = distributed ? (opts.queue ?? ownQueue) : null;

  // Connect and sweep refer to each other (a new connection starts its first sweep; a sweep needs the
  // connection's token), so the connect hook is bound late.
  const late: { sweeps?: SweepService } = {};
  const connections = createConnectionServiceFromConfig({
    db,
    config,
    clock,
    logger,
    outbound,
    onConnected: (orgId, userId) => {
      if (!queue) return late.sweeps?.onConnected(orgId, userId);
      enqueueConnectSweep(queue, orgId, userId).then(
        (jobId) => logger.info({ organizationId: orgId, userId, jobId }, jobId ? "first sweep enqueued" : "first sweep not enqueued: a sweep job is already pending"),
        (err: unknown) => logger.warn({ organizationId: orgId, userId, err: err instanceof Error ? err.message : String(err) }, "could not enqueue the first sweep"),
      );
    },
  });
  const sweepService = createSweepService({
    db,
    clock,
    logger,
    graph: { baseUrl: config.graphBaseUrl, outbound },
    tokens: connections,
    config: { windowHours: config.sweep.windowHours, overlapMinutes: config.sweep.overlapMinutes },
    intervalMinutes: config.sweep.intervalMinutes,
    concurrency: config.sweep.concurrency,
  });
  late.sweeps = sweepService;
  if (opts.scheduler !== false && !distributed) {
    // This process is the embedded database's only scheduler: sweeps still `running` were left by a
    // predecessor that died; close them so the first tick sweeps those mailboxes again.
    const closed = await closeInterruptedSweeps(db, clock.now());
    if (closed) logger.warn({ sweeps: closed }, "closed sweeps left running by a previous process; their mailboxes are swept again now");
    sweepService.start();
  }

  return {
    db,
    logger,
    clock,
    connections,
    sweeps: sweepService,
    queue,
    outbound,
    async close() {
      await sweepService.stop({ abort: true });
      await ownQueue?.stop();
      await db.destroy();
      await outbound.close();
    },
  };
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { config } = opts;
  const services = await createServices(opts);
  const { db, logger, clock, connections, sweeps } = services;
  const verifier = createTokenVerifier({ authorityHost: config.entra.authorityHost, clientId: config.entra.clientId, tenant: config.entra.tenant, fetch: services.outbound.fetch, clock });
  const mail = createMailService({ db, clock, logger, tokens: connections, graph: { baseUrl: config.graphBaseUrl, outbound: services.outbound } });
  const app = createApp({ db, config, clock, logger, verifier, connections, sweeps, mail, preview: opts.preview, addinDistDir: opts.addinDistDir });


  const tls = await loadServerTls(config.dataDir);
  if (tls.generated) logger.info({ ca: tls.caPath }, "generated a development certificate; trust its CA to load the pane in Outlook");
  const server = serve({
    fetch: app.fetch,
    port: opts.port ?? config.port,
    hostname: config.listenHost,
    createServer: hardenedHttpsServer(app.fetch, "localhost"), // JSON errors for requests rejected before the app (api/security.ts)
    serverOptions: { key: tls.keyPem, cert: tls.certPem },
  });
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve();
    server.once("listening", () => resolve());
    server.once("error", reject);
  });
  const { port, address } = server.address() as AddressInfo;
  const url = `https://localhost:${port}`;
  logger.info({ url, address, mode: config.mode, database: config.databaseKind }, "backend listening");

  return {
    ...services,
    app,
    url,
    port,
    address,
    caPem: tls.caPem,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await services.close();
    },
  };
}
