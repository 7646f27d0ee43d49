/**
 * Serving the app over HTTPS: the services (compose.ts), the token verifier and mail service the API
 * needs, and the HTTPS listener. Used by `npm start` (start.ts), by end-to-end tests (in-process,
 * port 0) and by benchmarks.
 */
import path from "node:path";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import { createApp } from "../app";
import { hardenedHttpsServer } from "../api/security";
import type { AppEnv } from "../api/context";
import type { PreviewSource } from "../api/routes/addin";
import type { Config } from "../config";
import { loadServerTls } from "../http/tls";
import { createTokenVerifier } from "../identity/token-verifier";
import type { Logger } from "../logger";
import { createMailService } from "../mail/send";
import { createServices, type Services, type ServicesOptions } from "./compose";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface StartOptions extends ServicesOptions {
  /** Sample messages for /preview (demo mode). */
  preview?: PreviewSource;
  /** Serve the built pane from here (default dist/addin). */
  addinDistDir?: string;
  /** Listen on this port instead of config.port (0 = random, for tests). */
  port?: number;
  /** Rate limits other than the defaults (benchmarks connect a thousand mailboxes from one address). */
  rateLimit?: import("../api/security").RateLimitSettings;
}

export interface RunningServer extends Services {
  url: string;
  port: number;
  /** The address the server is bound to (LISTEN_HOST resolved, e.g. "127.0.0.1" or "::"). */
  address: string;
  app: Hono<AppEnv>;
  caPem: string;
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { config } = opts;
  const services = await createServices(opts);
  const { db, logger, clock, connections, sweeps, outbound } = services;
  const verifier = createTokenVerifier({
    authorityHost: config.entra.authorityHost,
    clientId: config.entra.clientId,
    tenant: config.entra.tenant,
    fetch: outbound.fetch,
    clock,
  });
  const mail = createMailService({
    db,
    clock,
    logger,
    tokens: connections,
    graph: { baseUrl: config.graphBaseUrl, outbound },
    onEngagementChanges: () => services.webhooks.onChanges(),
  });
  const app = createApp({
    db,
    config,
    clock,
    logger,
    verifier,
    connections,
    sweeps,
    mail,
    webhooks: services.webhooks.admin,
    notifications: services.notifications.receiver,
    rateLimit: opts.rateLimit,
    preview: opts.preview,
    addinDistDir: opts.addinDistDir,
  });
  const listener = await listenHttps(app, config, logger, opts.port ?? config.port);
  return {
    ...services,
    app,
    url: listener.url,
    port: listener.port,
    address: listener.address,
    caPem: listener.caPem,
    async close() {
      await listener.close();
      await services.close();
    },
  };
}

interface HttpsListener {
  url: string;
  port: number;
  address: string;
  caPem: string;
  close(): Promise<void>;
}

async function listenHttps(app: Hono<AppEnv>, config: Config, logger: Logger, port: number): Promise<HttpsListener> {
  const tls = await loadServerTls(config.dataDir, config.tls);
  if (tls.generated)
    logger.info({ ca: tls.caPath }, "generated a development certificate; trust its CA to load the pane in Outlook");
  const server = serve({
    fetch: app.fetch,
    port,
    hostname: config.listenHost,
    createServer: hardenedHttpsServer(app.fetch, "localhost"), // JSON errors for requests rejected before the app (api/security.ts)
    serverOptions: { key: tls.keyPem, cert: tls.certPem },
  });
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve();
    server.once("listening", () => resolve());
    server.once("error", reject);
  });
  const bound = server.address() as AddressInfo;
  const url = `https://localhost:${bound.port}`;
  logger.info({ url, address: bound.address, mode: config.mode, database: config.databaseKind }, "backend listening");
  return {
    url,
    port: bound.port,
    address: bound.address,
    caPem: tls.caPem,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
