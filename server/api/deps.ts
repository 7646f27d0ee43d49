/**
 * What the HTTP app is built from. Everything is injected so tests call `app.request()` with no
 * network; the services are always wired by the entry points (server/main.ts), so they are required.
 */
import type { Clock } from "../clock";
import type { Config } from "../config";
import type { Db } from "../db";
import type { TokenVerifier } from "../identity/token-verifier";
import type { Logger } from "../logger";

/** Connecting a mailbox: authorize URL, callback, disconnect — implemented by server/mailbox-connection/service. */
export type ConnectionService = Pick<
  import("../mailbox-connection/service").ConnectionService,
  "start" | "handleCallback" | "disconnect"
>;

/** Sweeping: what the routes need of server/sweep/service. */
export type SweepService = Pick<
  import("../sweep/service").SweepService,
  "sweepNow" | "requestSweep" | "recentSweeps" | "captureMessage"
> & {
  /**
   * When the user's mailbox will next be swept; null when no sweep is scheduled (not connected).
   * `connection`: the user's connection row when the caller has just read it (saves reading it again).
   */
  nextSweepAt(
    organizationId: string,
    userId: string,
    connection?: Pick<import("../store/mailbox-connections").ConnectionState, "status" | "lastSweepAt"> | null,
  ): Promise<Date | null>;
};

/** Sending mail as the user — implemented by server/mail/send (createMailService). */
export type MailService = import("../mail/send").MailService;

export interface AppDeps {
  db: Db;
  config: Config;
  clock: Clock;
  logger: Logger;
  verifier: TokenVerifier;
  connections: ConnectionService;
  sweeps: SweepService;
  mail: MailService;
  /** Per-user token bucket on /api/* (default 20/s, burst 60) and per-address on /auth/callback; see api/security.ts. */
  rateLimit?: import("./security").RateLimitSettings;
  /** Sample messages for the task pane's browser preview (demo mode). */
  preview?: import("./routes/addin").PreviewSource;
  /** Managing webhook endpoints (server/webhooks/endpoints.ts); built from config and the token key when absent. */
  webhooks?: import("../webhooks/endpoints").WebhookAdmin;
  /** Graph change notifications' receiver; absent when notifications are off (the endpoints answer 404). */
  notifications?: import("../notifications/receiver").NotificationReceiver;
  /** Where the built pane is (default <repo>/dist/addin). */
  addinDistDir?: string;
}
