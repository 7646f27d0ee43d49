/**
 * Webhooks as the composition root builds them: the endpoint administration the routes use and the
 * runner that dispatches and sends deliveries in this process — polling the deliveries table in
 * embedded mode (runner.ts), through the pg-boss queue in distributed mode (queued-runner.ts). Secrets are sealed with the token
 * encryption key (TOKEN_ENCRYPTION_KEY, or the embedded key file), the same every process shares.
 */
import type PgBoss from "pg-boss";
import { systemClock, type Clock } from "../clock";
import { DEFAULT_WEBHOOKS, type Config } from "../config";
import type { Db } from "../db";
import { closeGuardedAgents, type Resolve } from "../http/guarded-post";
import { createTokenCipher, resolveEncryptionKey } from "../identity/token-crypto";
import type { Logger } from "../logger";
import { createWebhookAdmin, type WebhookAdmin } from "./endpoints";
import { createQueuedWebhookRunner, deliveryJobExpireSeconds } from "./queued-runner";
import { createWebhookRunner, type WebhookRunner } from "./runner";

export interface Webhooks {
  admin: WebhookAdmin;
  runner: WebhookRunner;
  /** A capture recorded changes in this process: make and send their deliveries now, not at the next poll. */
  onChanges(): void;
  close(): Promise<void>;
}

export interface WebhookOptions {
  db: Db;
  config: Pick<Config, "tokenEncryptionKey" | "dataDir" | "webhooks">;
  clock: Clock;
  logger: Logger;
  /** CA to trust besides the system's (the demo's receiver, tests). */
  extraCaPem?: string | null;
  /** DNS stand-in (tests). */
  resolve?: Resolve;
  /** webhook-timestamp's clock (default the system's). */
  wallClock?: Clock;
  /** Distributed mode: deliveries go through this pg-boss (queue `webhook-delivery`); absent = the table poller. */
  boss?: PgBoss | null;
  /** Distributed mode: stranded deliveries are looked for this often, and after this grace (tests shorten both). */
  reconcile?: { intervalMs: number; graceMs: number };
}

export function createWebhooks(opts: WebhookOptions): Webhooks {
  const settings = opts.config.webhooks ?? DEFAULT_WEBHOOKS;
  const cipher = createTokenCipher(resolveEncryptionKey(opts.config, opts.logger));
  const senderDeps = {
    db: opts.db,
    clock: opts.clock,
    wallClock: opts.wallClock ?? systemClock,
    logger: opts.logger,
    cipher,
    http: {
      timeoutMs: settings.timeoutMs,
      allowHosts: settings.allowHosts,
      resolve: opts.resolve,
      extraCaPem: opts.extraCaPem,
    },
    disableAfterMs: settings.disableAfterDays * 86_400_000,
  };
  const runnerOptions = {
    concurrency: settings.concurrency,
    perEndpoint: settings.perEndpoint,
    pollIntervalMs: settings.pollIntervalMs,
  };
  const runner = opts.boss
    ? createQueuedWebhookRunner(senderDeps, opts.boss, {
        ...runnerOptions,
        expireInSeconds: deliveryJobExpireSeconds(settings.timeoutMs),
        reconcileIntervalMs: opts.reconcile?.intervalMs,
        graceMs: opts.reconcile?.graceMs,
      })
    : createWebhookRunner(senderDeps, runnerOptions);
  const admin = createWebhookAdmin({
    db: opts.db,
    clock: opts.clock,
    cipher,
    allowHosts: settings.allowHosts,
    maxEndpoints: settings.maxEndpoints,
    nudge: (o) => runner.nudge(o),
  });
  return {
    admin,
    runner,
    onChanges: () => runner.nudge(),
    async close() {
      await runner.stop();
      closeGuardedAgents();
    },
  };
}
