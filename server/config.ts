/**
 * Configuration from the environment, validated once at start-up: the only place that reads an
 * environment variable. Every problem is reported, one line each, naming the variable, never a
 * stack trace, so an operator can fix them all in one go.
 */
import { z } from "zod";
import path from "node:path";

export interface Config {
  /** "production" when an Entra app is configured; otherwise "demo" (the emulator stands in for Microsoft). */
  mode: "production" | "demo";
  entra: {
    clientId: string;
    clientSecret: string;
    tenant: string;
    authorityHost: string; // no trailing slash
  };
  graphBaseUrl: string; // no trailing slash
  publicUrl: string; // no trailing slash
  addinPublicUrl: string; // no trailing slash
  databaseUrl: string; // postgres://… or a SQLite file path
  databaseKind: "sqlite" | "postgres";
  /** 32-byte key, or null in embedded mode (a key file is generated under dataDir). */
  tokenEncryptionKey: Buffer | null;
  port: number;
  /** The address the HTTPS server listens on: localhost unless the backend sits behind a proxy on another host. */
  listenHost: string;
  dataDir: string;
  sweep: { intervalMinutes: number; windowHours: number; overlapMinutes: number; concurrency: number };
  logLevel: string;
  /** Where a person opens an engagement in the CRM: a URL template containing "{id}"; null when not set. */
  crmEngagementUrl?: string | null;
  /**
   * Distributed mode's sweep jobs. API processes (a connection's first sweep) and workers read the same
   * values, so every job gets the same deadline whoever enqueued it.
   */
  queue: {
    /** A job running longer is taken back and retried (SWEEP_JOB_EXPIRE_SECONDS). */
    expireInSeconds: number;
    /** How often expired jobs are taken back (QUEUE_MAINTENANCE_SECONDS). */
    maintenanceIntervalSeconds: number;
  };
  /** A sweep worker (`npm run worker`). */
  worker: {
    /** Sweeps at once (WORKER_CONCURRENCY, default SWEEP_CONCURRENCY). */
    concurrency: number;
    /** Name in logs and job outputs (WORKER_ID); null = host:pid. */
    id: string | null;
    /** Schedule tick period (ENQUEUER_TICK_SECONDS); 0 = this worker does not tick. */
    enqueuerTickSeconds: number;
    /** On SIGTERM/SIGINT, how long in-flight sweeps may finish (WORKER_STOP_TIMEOUT_SECONDS). */
    stopTimeoutSeconds: number;
  };
  /** The certificate and key to serve (TLS_CERT_FILE, TLS_KEY_FILE); null = the development certificate under dataDir. */
  tls: { certFile: string; keyFile: string } | null;
  /** NODE_EXTRA_CA_CERTS: a PEM file of extra CAs for outbound HTTPS; null when not set. */
  extraCaCertsFile: string | null;
  /** Per-organization bounds (CONTACTS_, BLOCKLIST_ENTRIES_, CLIENTS_PER_ORGANIZATION); absent = DEFAULT_QUOTAS. */
  quotas?: { contactsPerOrganization: number; blocklistEntriesPerOrganization: number; clientsPerOrganization: number };
  /** NODE_ENV as given (null when not set); "development" turns on the pane's development aids. */
  nodeEnv: string | null;
  /** DEMO_RESET: demo mode starts from a fresh database (server/cli/demo-state.ts). */
  demoReset?: boolean;
  /** What is pruned and when (server/retention). */
  retention?: RetentionConfig;
  /** Webhook deliveries (server/webhooks); absent = DEFAULT_WEBHOOKS. */
  webhooks?: WebhookConfig;
  /** Graph change notifications (server/notifications); absent = auto with the default lifetime. */
  notifications?: NotificationsConfig;
}

export interface WebhookConfig {
  /** Host names called even when they resolve to a private or loopback address (WEBHOOK_ALLOW_HOSTS; tests, the demo). */
  allowHosts: string[];
  /** One attempt's deadline (WEBHOOK_TIMEOUT_SECONDS). */
  timeoutMs: number;
  /** An endpoint whose every attempt failed for this many days is disabled (WEBHOOK_DISABLE_AFTER_DAYS). */
  disableAfterDays: number;
  /** Attempts in flight per process (WEBHOOK_CONCURRENCY); per endpoint at most WEBHOOK_ENDPOINT_CONCURRENCY. */
  concurrency: number;
  perEndpoint: number;
  /** How often deliveries are looked for (WEBHOOK_POLL_INTERVAL_MS). */
  pollIntervalMs: number;
  /** Endpoints one organization may register (WEBHOOK_ENDPOINTS_PER_ORGANIZATION). */
  maxEndpoints: number;
}

export const DEFAULT_WEBHOOKS: WebhookConfig = {
  allowHosts: [],
  timeoutMs: 10_000,
  disableAfterDays: 5,
  concurrency: 32,
  perEndpoint: 4,
  pollIntervalMs: 1000,
  // Enough for several CRMs and their test systems; each endpoint multiplies every change's deliveries.
  maxEndpoints: 20,
};

export interface NotificationsConfig {
  /** NOTIFICATIONS: on, off, or auto (on when Microsoft 365 can reach PUBLIC_URL; server/notifications/reachability.ts). */
  setting: "on" | "off" | "auto";
  /** Lifetime asked for a subscription (NOTIFICATION_SUBSCRIPTION_MINUTES); renewed when half of it is left. */
  subscriptionMinutes: number;
}

export const DEFAULT_NOTIFICATIONS: NotificationsConfig = { setting: "auto", subscriptionMinutes: 4230 };

export interface RetentionConfig {
  /** Plain exclusions are deleted this long after they were decided (RETENTION_EXCLUDED_DECISION_HOURS; default window + 24 h). */
  excludedDecisionHours: number;
  /** Removal records (the hash and why of a deleted engagement) are deleted this long after the removal (RETENTION_REMOVAL_RECORD_DAYS). */
  removalRecordDays: number;
  /** Finished sweeps older than this are deleted, never a mailbox's latest or latest success (RETENTION_SWEEP_DAYS). */
  sweepDays: number;
  /** Rows per delete statement (RETENTION_BATCH_SIZE). */
  batchSize: number;
  /** Pause between statements, so other writers get the tables (RETENTION_BATCH_PAUSE_MS). */
  batchPauseMs: number;
  /** How often pruning runs (RETENTION_INTERVAL_MINUTES); 0 = never in this process. */
  intervalMinutes: number;
}

export const DEFAULT_QUOTAS: NonNullable<Config["quotas"]> = {
  contactsPerOrganization: 100_000,
  blocklistEntriesPerOrganization: 10_000,
  clientsPerOrganization: 10_000,
};

const httpsUrl = (name: string) =>
  z
    .string()
    .url({ message: `${name} must be a URL` })
    .refine((u) => u.startsWith("https://"), { message: `${name} must be an https:// URL` })
    .transform((u) => u.replace(/\/+$/, ""));

/** Digits only: Number() would take "0x50" or "1e3" as a port. */
const wholeNumberIn = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\s*\d+\s*$/, { message: `${name} must be a whole number` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { message: `${name} must be at least ${min}` })
        .max(max, { message: `${name} must be at most ${max}` }),
    );

const intIn = (name: string, min: number, max: number, dflt: number) => wholeNumberIn(name, min, max).default(dflt);

const schema = z.object({
  ENTRA_CLIENT_ID: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
      message: "ENTRA_CLIENT_ID must be the app registration's Application (client) ID, a GUID",
    })
    .optional(),
  ENTRA_CLIENT_SECRET: z.string().min(1, { message: "ENTRA_CLIENT_SECRET must not be empty" }).optional(),
  ENTRA_TENANT: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$/, { message: "ENTRA_TENANT must be a tenant id, domain, 'organizations' or 'common'" })
    .default("organizations"),
  ENTRA_AUTHORITY_HOST: httpsUrl("ENTRA_AUTHORITY_HOST").default("https://login.microsoftonline.com"),
  GRAPH_BASE_URL: httpsUrl("GRAPH_BASE_URL").default("https://graph.microsoft.com"),
  PUBLIC_URL: httpsUrl("PUBLIC_URL").optional(),
  ADDIN_PUBLIC_URL: httpsUrl("ADDIN_PUBLIC_URL").optional(),
  DATABASE_URL: z.string().min(1).optional(),
  TOKEN_ENCRYPTION_KEY: z
    .string()
    .refine((k) => Buffer.from(k, "base64").length === 32 && /^[A-Za-z0-9+/=]+$/.test(k), {
      message: "TOKEN_ENCRYPTION_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32)",
    })
    .optional(),
  PORT: intIn("PORT", 1, 65535, 3000),
  // Not HOST: some shells export HOST as the machine's name, which would quietly expose the server.
  LISTEN_HOST: z
    .string()
    .regex(/^([A-Za-z0-9.-]+|[0-9a-fA-F:]+)$/, {
      message: "LISTEN_HOST must be a host name or an IP address (0.0.0.0 or :: for every interface)",
    })
    .default("localhost"),
  DATA_DIR: z.string().default("./data"),
  SWEEP_INTERVAL_MINUTES: intIn("SWEEP_INTERVAL_MINUTES", 1, 24 * 60, 60),
  SWEEP_WINDOW_HOURS: intIn("SWEEP_WINDOW_HOURS", 1, 24 * 14, 24),
  SWEEP_OVERLAP_MINUTES: intIn("SWEEP_OVERLAP_MINUTES", 0, 24 * 60, 15),
  SWEEP_CONCURRENCY: intIn("SWEEP_CONCURRENCY", 1, 256, 8),
  CRM_ENGAGEMENT_URL: httpsUrl("CRM_ENGAGEMENT_URL")
    .refine((u) => u.includes("{id}") || u.includes("%7Bid%7D"), {
      message: "CRM_ENGAGEMENT_URL must contain {id}, e.g. https://crm.contoso.com/engagements/{id}",
    })
    .transform((u) => u.replace("%7Bid%7D", "{id}"))
    .optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional(),
  SWEEP_JOB_EXPIRE_SECONDS: intIn("SWEEP_JOB_EXPIRE_SECONDS", 5, 24 * 3600 - 1, 15 * 60),
  QUEUE_MAINTENANCE_SECONDS: intIn("QUEUE_MAINTENANCE_SECONDS", 1, 3600, 60),
  WORKER_CONCURRENCY: wholeNumberIn("WORKER_CONCURRENCY", 1, 256).optional(),
  WORKER_ID: z.string().max(100, { message: "WORKER_ID must be at most 100 characters" }).optional(),
  ENQUEUER_TICK_SECONDS: intIn("ENQUEUER_TICK_SECONDS", 0, 3600, 60),
  WORKER_STOP_TIMEOUT_SECONDS: intIn("WORKER_STOP_TIMEOUT_SECONDS", 1, 3600, 30),
  RETENTION_EXCLUDED_DECISION_HOURS: wholeNumberIn("RETENTION_EXCLUDED_DECISION_HOURS", 2, 24 * 3650).optional(),
  RETENTION_REMOVAL_RECORD_DAYS: intIn("RETENTION_REMOVAL_RECORD_DAYS", 1, 3650, 365),
  RETENTION_SWEEP_DAYS: intIn("RETENTION_SWEEP_DAYS", 1, 3650, 30),
  RETENTION_BATCH_SIZE: intIn("RETENTION_BATCH_SIZE", 1, 10_000, 1000),
  RETENTION_BATCH_PAUSE_MS: intIn("RETENTION_BATCH_PAUSE_MS", 0, 10_000, 50),
  RETENTION_INTERVAL_MINUTES: intIn("RETENTION_INTERVAL_MINUTES", 0, 24 * 60, 60),
  TLS_CERT_FILE: z.string().optional(),
  TLS_KEY_FILE: z.string().optional(),
  NODE_EXTRA_CA_CERTS: z.string().optional(),
  NODE_ENV: z.string().optional(),
  DEMO_RESET: z
    .string()
    .regex(/^(0|1|true|false|yes|no)$/i, { message: "DEMO_RESET must be 1 or 0 (true/false, yes/no)" })
    .optional(),
  NOTIFICATIONS: z
    .enum(["on", "off", "auto"], { message: "NOTIFICATIONS must be on, off or auto" })
    .default(DEFAULT_NOTIFICATIONS.setting),
  // Graph's limit for messages is 10,080 minutes (older documents: 4,230); under 45 Graph raises it to 45.
  NOTIFICATION_SUBSCRIPTION_MINUTES: intIn(
    "NOTIFICATION_SUBSCRIPTION_MINUTES",
    45,
    10_080,
    DEFAULT_NOTIFICATIONS.subscriptionMinutes,
  ),
  CONTACTS_PER_ORGANIZATION: intIn("CONTACTS_PER_ORGANIZATION", 1, 10_000_000, DEFAULT_QUOTAS.contactsPerOrganization),
  BLOCKLIST_ENTRIES_PER_ORGANIZATION: intIn(
    "BLOCKLIST_ENTRIES_PER_ORGANIZATION",
    1,
    1_000_000,
    DEFAULT_QUOTAS.blocklistEntriesPerOrganization,
  ),
  CLIENTS_PER_ORGANIZATION: intIn("CLIENTS_PER_ORGANIZATION", 1, 1_000_000, DEFAULT_QUOTAS.clientsPerOrganization),
  WEBHOOK_ALLOW_HOSTS: z
    .string()
    .regex(/^\s*[A-Za-z0-9.:-]+(\s*,\s*[A-Za-z0-9.:-]+)*\s*$/, {
      message: "WEBHOOK_ALLOW_HOSTS must be host names separated by commas, e.g. localhost,receiver.test",
    })
    .optional(),
  WEBHOOK_TIMEOUT_SECONDS: intIn("WEBHOOK_TIMEOUT_SECONDS", 1, 60, DEFAULT_WEBHOOKS.timeoutMs / 1000),
  WEBHOOK_DISABLE_AFTER_DAYS: intIn("WEBHOOK_DISABLE_AFTER_DAYS", 1, 30, DEFAULT_WEBHOOKS.disableAfterDays),
  WEBHOOK_CONCURRENCY: intIn("WEBHOOK_CONCURRENCY", 1, 1024, DEFAULT_WEBHOOKS.concurrency),
  WEBHOOK_ENDPOINT_CONCURRENCY: intIn("WEBHOOK_ENDPOINT_CONCURRENCY", 1, 64, DEFAULT_WEBHOOKS.perEndpoint),
  WEBHOOK_POLL_INTERVAL_MS: intIn("WEBHOOK_POLL_INTERVAL_MS", 50, 60_000, DEFAULT_WEBHOOKS.pollIntervalMs),
  WEBHOOK_ENDPOINTS_PER_ORGANIZATION: intIn(
    "WEBHOOK_ENDPOINTS_PER_ORGANIZATION",
    1,
    100,
    DEFAULT_WEBHOOKS.maxEndpoints,
  ),
});

/** What differs between entry points: `npm run sweep` logs at warn unless LOG_LEVEL says otherwise. */
export interface ConfigDefaults {
  logLevel?: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

type Env = z.infer<typeof schema>;

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  defaults: ConfigDefaults = {},
): ConfigResult {
  // Empty strings count as unset, as shells and .env files often leave them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    // Each problem names its variable, whatever the validator's own wording.
    const problems = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? "");
      return name && !i.message.startsWith(name) ? `${name}: ${i.message}` : i.message;
    });
    return { ok: false, problems };
  }
  const problems = combinationProblems(parsed.data);
  if (problems.length) return { ok: false, problems };
  return { ok: true, config: toConfig(parsed.data, defaults) };
}

const databaseUrlOf = (e: Env) => e.DATABASE_URL ?? path.join(e.DATA_DIR, "engagement-capture.db");
const databaseKindOf = (url: string) => (/^postgres(ql)?:\/\//.test(url) ? "postgres" : "sqlite");

/** Settings each valid alone but not together. */
function combinationProblems(e: Env): string[] {
  const problems: string[] = [];
  if (e.ENTRA_CLIENT_ID && !e.ENTRA_CLIENT_SECRET)
    problems.push("ENTRA_CLIENT_SECRET is required when ENTRA_CLIENT_ID is set");
  if (!e.ENTRA_CLIENT_ID && e.ENTRA_CLIENT_SECRET)
    problems.push("ENTRA_CLIENT_ID is required when ENTRA_CLIENT_SECRET is set");
  const databaseUrl = databaseUrlOf(e);
  const databaseKind = databaseKindOf(databaseUrl);
  if (/^[a-z]+:\/\//i.test(databaseUrl) && databaseKind !== "postgres") {
    problems.push("DATABASE_URL must be a postgres:// URL or a SQLite file path");
  }
  if (e.ENTRA_CLIENT_ID && databaseKind === "postgres" && !e.TOKEN_ENCRYPTION_KEY) {
    problems.push("TOKEN_ENCRYPTION_KEY is required with PostgreSQL (every process must share the key)");
  }
  // A decision deleted while its message is still swept would be decided again every hour: keep it past the window.
  if (
    e.RETENTION_EXCLUDED_DECISION_HOURS !== undefined &&
    e.RETENTION_EXCLUDED_DECISION_HOURS <= e.SWEEP_WINDOW_HOURS
  ) {
    problems.push(`RETENTION_EXCLUDED_DECISION_HOURS must be more than SWEEP_WINDOW_HOURS (${e.SWEEP_WINDOW_HOURS})`);
  }
  if (e.TLS_CERT_FILE && !e.TLS_KEY_FILE) problems.push("TLS_KEY_FILE is required when TLS_CERT_FILE is set");
  if (!e.TLS_CERT_FILE && e.TLS_KEY_FILE) problems.push("TLS_CERT_FILE is required when TLS_KEY_FILE is set");
  return problems;
}

function toConfig(e: Env, defaults: ConfigDefaults): Config {
  const publicUrl = e.PUBLIC_URL ?? `https://localhost:${e.PORT}`;
  const databaseUrl = databaseUrlOf(e);
  return {
    mode: e.ENTRA_CLIENT_ID ? "production" : "demo",
    entra: {
      clientId: e.ENTRA_CLIENT_ID ?? "",
      clientSecret: e.ENTRA_CLIENT_SECRET ?? "",
      tenant: e.ENTRA_TENANT,
      authorityHost: e.ENTRA_AUTHORITY_HOST,
    },
    graphBaseUrl: e.GRAPH_BASE_URL,
    publicUrl,
    addinPublicUrl: e.ADDIN_PUBLIC_URL ?? publicUrl,
    databaseUrl,
    databaseKind: databaseKindOf(databaseUrl),
    tokenEncryptionKey: e.TOKEN_ENCRYPTION_KEY ? Buffer.from(e.TOKEN_ENCRYPTION_KEY, "base64") : null,
    port: e.PORT,
    listenHost: e.LISTEN_HOST,
    dataDir: e.DATA_DIR,
    sweep: {
      intervalMinutes: e.SWEEP_INTERVAL_MINUTES,
      windowHours: e.SWEEP_WINDOW_HOURS,
      overlapMinutes: e.SWEEP_OVERLAP_MINUTES,
      concurrency: e.SWEEP_CONCURRENCY,
    },
    logLevel: e.LOG_LEVEL ?? defaults.logLevel ?? "info",
    crmEngagementUrl: e.CRM_ENGAGEMENT_URL ?? null,
    queue: { expireInSeconds: e.SWEEP_JOB_EXPIRE_SECONDS, maintenanceIntervalSeconds: e.QUEUE_MAINTENANCE_SECONDS },
    worker: {
      concurrency: e.WORKER_CONCURRENCY ?? e.SWEEP_CONCURRENCY,
      id: e.WORKER_ID ?? null,
      enqueuerTickSeconds: e.ENQUEUER_TICK_SECONDS,
      stopTimeoutSeconds: e.WORKER_STOP_TIMEOUT_SECONDS,
    },
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : null,
    extraCaCertsFile: e.NODE_EXTRA_CA_CERTS ?? null,
    nodeEnv: e.NODE_ENV ?? null,
    demoReset: /^(1|true|yes)$/i.test(e.DEMO_RESET ?? ""),
    quotas: {
      contactsPerOrganization: e.CONTACTS_PER_ORGANIZATION,
      blocklistEntriesPerOrganization: e.BLOCKLIST_ENTRIES_PER_ORGANIZATION,
      clientsPerOrganization: e.CLIENTS_PER_ORGANIZATION,
    },
    retention: {
      excludedDecisionHours: e.RETENTION_EXCLUDED_DECISION_HOURS ?? e.SWEEP_WINDOW_HOURS + 24,
      removalRecordDays: e.RETENTION_REMOVAL_RECORD_DAYS,
      sweepDays: e.RETENTION_SWEEP_DAYS,
      batchSize: e.RETENTION_BATCH_SIZE,
      batchPauseMs: e.RETENTION_BATCH_PAUSE_MS,
      intervalMinutes: e.RETENTION_INTERVAL_MINUTES,
    },
    webhooks: {
      allowHosts: (e.WEBHOOK_ALLOW_HOSTS ?? "")
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
      timeoutMs: e.WEBHOOK_TIMEOUT_SECONDS * 1000,
      disableAfterDays: e.WEBHOOK_DISABLE_AFTER_DAYS,
      concurrency: e.WEBHOOK_CONCURRENCY,
      perEndpoint: e.WEBHOOK_ENDPOINT_CONCURRENCY,
      pollIntervalMs: e.WEBHOOK_POLL_INTERVAL_MS,
      maxEndpoints: e.WEBHOOK_ENDPOINTS_PER_ORGANIZATION,
    },
    notifications: { setting: e.NOTIFICATIONS, subscriptionMinutes: e.NOTIFICATION_SUBSCRIPTION_MINUTES },
  };
}
