/**
 * Webhooks as the composition root builds them: the endpoint administration the routes use and the
 * runner that dispatches and sends deliveries in this process. Secrets are sealed with the token
 * encryption key (TOKEN_ENCRYPTION_KEY, or the embedded key file), the same every process shares.
 */
import { systemClock, type Clock } from "../clock";
import { DEFAULT_WEBHOOKS, type Config } from "../config";
import type { Db } from "../db";
import { closeGuardedAgents, type Resolve } from "../http/guarded-post";
import { createTokenCipher, resolveEncryptionKey } from "../identity/token-crypto";
import type { Logger } from "../logger";
import { createWebhookAdmin, type WebhookAdmin } from "./endpoints";
import { createWebhookRunner, type WebhookRunner } from "./runner";

export interface Webhooks {
  admin: WebhookAdmin;
  runner: WebhookRunner;
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
}

export function createWebhooks(opts: WebhookOptions): Webhooks {
  const settings = opts.config.webhooks ?? DEFAULT_WEBHOOKS;
  const cipher = createTokenCipher(resolveEncryptionKey(opts.config, opts.logger));
  const runner = createWebhookRunner(
    {
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
    },
    { concurrency: settings.concurrency, perEndpoint: settings.perEndpoint, pollIntervalMs: settings.pollIntervalMs },
  );
  const admin = createWebhookAdmin({
    db: opts.db,
    clock: opts.clock,
    cipher,
    allowHosts: settings.allowHosts,
    maxEndpoints: settings.maxEndpoints,
    nudge: () => runner.nudge(),
  });
  return {
    admin,
    runner,
    async close() {
      await runner.stop();
      closeGuardedAgents();
    },
  };
}
