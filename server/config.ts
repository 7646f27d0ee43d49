/**
 * Configuration from the environment, validated once at start-up. Every problem is reported,
 * one line each, naming the variable — never a stack trace (issue: "Startup fails with a clear
 * message naming each missing or malformed setting").
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
}

const httpsUrl = (name: string) =>
  z
    .string()
    .url({ message: `${name} must be a URL` })
    .refine((u) => u.startsWith("https://"), { message: `${name} must be an https:// URL` })
    .transform((u) => u.replace(/\/+$/, ""));

/** Digits only: Number() would take "0x50" or "1e3" as a port. */
const intIn = (name: string, min: number, max: number, dflt: number) =>
  z
    .string()
    .regex(/^\s*\d+\s*$/, { message: `${name} must be a whole number` })
    .transform(Number)
    .pipe(z.number().min(min, { message: `${name} must be at least ${min}` }).max(max, { message: `${name} must be at most ${max}` }))
    .default(dflt);

const schema = z.object({
  ENTRA_CLIENT_ID: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
    message: "ENTRA_CLIENT_ID must be the app registration's Application (client) ID, a GUID",
  }).optional(),
  ENTRA_CLIENT_SECRET: z.string().min(1, { message: "ENTRA_CLIENT_SECRET must not be empty" }).optional(),
  ENTRA_TENANT: z.string().regex(/^[A-Za-z0-9.-]+$/, { message: "ENTRA_TENANT must be a tenant id, domain, 'organizations' or 'common'" }).default("organizations"),
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
    .regex(/^([A-Za-z0-9.-]+|[0-9a-fA-F:]+)$/, { message: "LISTEN_HOST must be a host name or an IP address (0.0.0.0 or :: for every interface)" })
    .default("localhost"),
  DATA_DIR: z.string().default("./data"),
  SWEEP_INTERVAL_MINUTES: intIn("SWEEP_INTERVAL_MINUTES", 1, 24 * 60, 60),
  SWEEP_WINDOW_HOURS: intIn("SWEEP_WINDOW_HOURS", 1, 24 * 14, 24),
  SWEEP_OVERLAP_MINUTES: intIn("SWEEP_OVERLAP_MINUTES", 0, 24 * 60, 15),
  SWEEP_CONCURRENCY: intIn("SWEEP_CONCURRENCY", 1, 256, 8),
  CRM_ENGAGEMENT_URL: httpsUrl("CRM_ENGAGEMENT_URL")
    .refine((u) => u.includes("{id}") || u.includes("%7Bid%7D"), { message: "CRM_ENGAGEMENT_URL must contain {id}, e.g. https://crm.contoso.com/engagements/{id}" })
    .transform((u) => u.replace("%7Bid%7D", "{id}"))
    .optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

export function loadConfig(env: Record<string, string | undefined> = process.env): ConfigResult {
  // Empty strings count as unset, as shells and .env files often leave them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(cleaned);
  // Each problem names its variable, whatever the validator's own wording.
  const problems: string[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => {
        const name = String(i.path[0] ?? "");
        return name && !i.message.startsWith(name) ? `${name}: ${i.message}` : i.message;
      });
  if (!parsed.success) return { ok: false, problems };
  const e = parsed.data;

  if (e.ENTRA_CLIENT_ID && !e.ENTRA_CLIENT_SECRET) problems.push("ENTRA_CLIENT_SECRET is required when ENTRA_CLIENT_ID is set");
  if (!e.ENTRA_CLIENT_ID && e.ENTRA_CLIENT_SECRET) problems.push("ENTRA_CLIENT_ID is required when ENTRA_CLIENT_SECRET is set");
  const mode = e.ENTRA_CLIENT_ID ? "production" : "demo";
  const databaseUrl = e.DATABASE_URL ?? path.join(e.DATA_DIR, "engagement-capture.db");
  const databaseKind = /^postgres(ql)?:\/\//.test(databaseUrl) ? "postgres" : "sqlite";
  if (/^[a-z]+:\/\//i.test(databaseUrl) && databaseKind !== "postgres") {
    problems.push("DATABASE_URL must be a postgres:// URL or a SQLite file path");
  }
  if (mode === "production" && databaseKind === "postgres" && !e.TOKEN_ENCRYPTION_KEY) {
    problems.push("TOKEN_ENCRYPTION_KEY is required with PostgreSQL (every process must share the key)");
  }
  if (problems.length) return { ok: false, problems };

  const publicUrl = e.PUBLIC_URL ?? `https://localhost:${e.PORT}`;
  return {
    ok: true,
    config: {
      mode,
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
      databaseKind,
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
      logLevel: e.LOG_LEVEL,
      crmEngagementUrl: e.CRM_ENGAGEMENT_URL ?? null,
    },
  };
}
