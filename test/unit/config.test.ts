/**
 * Configuration: defaults, modes, and one clear line per problem — in loadConfig and in the real
 * `npm start` process, which must exit non-zero before doing anything else.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { loadConfig } from "../../server/config";

const GUID = "11111111-2222-3333-4444-555555555555";

describe("loadConfig", () => {
  test("no Entra app: demo mode with the documented defaults", () => {
    const r = loadConfig({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toMatchObject({
      mode: "demo",
      port: 3000,
      listenHost: "localhost",
      publicUrl: "https://localhost:3000",
      addinPublicUrl: "https://localhost:3000",
      databaseKind: "sqlite",
      databaseUrl: path.join("data", "engagement-capture.db"),
      graphBaseUrl: "https://graph.microsoft.com",
      entra: { tenant: "organizations", authorityHost: "https://login.microsoftonline.com" },
      sweep: { intervalMinutes: 60, windowHours: 24, overlapMinutes: 15, concurrency: 8 },
      tokenEncryptionKey: null,
      crmEngagementUrl: null,
    });
  });

  test("an Entra app: production mode; PostgreSQL is recognised; trailing slashes dropped", () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    const r = loadConfig({
      ENTRA_CLIENT_ID: GUID,
      ENTRA_CLIENT_SECRET: "s3cret",
      PUBLIC_URL: "https://capture.contoso.com/",
      DATABASE_URL: "postgres://app@db:5432/capture",
      TOKEN_ENCRYPTION_KEY: key,
      CRM_ENGAGEMENT_URL: "https://crm.contoso.com/engagements/{id}",
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.mode).toBe("production");
    expect(r.config.databaseKind).toBe("postgres");
    expect(r.config.publicUrl).toBe("https://capture.contoso.com");
    expect(r.config.tokenEncryptionKey?.length).toBe(32);
    expect(r.config.crmEngagementUrl).toBe("https://crm.contoso.com/engagements/{id}");
  });

  test("empty strings count as unset", () => {
    const r = loadConfig({ ENTRA_CLIENT_ID: "", PORT: "" });
    expect(r.ok && r.config.mode === "demo" && r.config.port === 3000).toBe(true);
  });

  test("every problem is reported, one line each, naming the variable", () => {
    const r = loadConfig({
      ENTRA_CLIENT_ID: "not-a-guid",
      PORT: "70000",
      GRAPH_BASE_URL: "http://graph.example.com",
      TOKEN_ENCRYPTION_KEY: "short",
      SWEEP_INTERVAL_MINUTES: "soon",
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.problems.join("\n");
    for (const name of ["ENTRA_CLIENT_ID", "PORT", "GRAPH_BASE_URL", "TOKEN_ENCRYPTION_KEY", "SWEEP_INTERVAL_MINUTES"])
      expect(text).toContain(name);
    expect(r.problems.length).toBeGreaterThanOrEqual(5);
    for (const p of r.problems) expect(p).not.toContain("\n");
  });

  test.each([
    [{ ENTRA_CLIENT_ID: GUID }, "ENTRA_CLIENT_SECRET is required"],
    [{ ENTRA_CLIENT_SECRET: "x" }, "ENTRA_CLIENT_ID is required"],
    [
      { ENTRA_CLIENT_ID: GUID, ENTRA_CLIENT_SECRET: "x", DATABASE_URL: "postgres://h/db" },
      "TOKEN_ENCRYPTION_KEY is required with PostgreSQL",
    ],
    [{ DATABASE_URL: "mysql://h/db" }, "DATABASE_URL must be a postgres:// URL or a SQLite file path"],
    [{ CRM_ENGAGEMENT_URL: "https://crm.contoso.com/engagements" }, "CRM_ENGAGEMENT_URL must contain {id}"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ LISTEN_HOST: "0.0.0.0:3000" }, "LISTEN_HOST must be a host name or an IP address"],
  ])("%j → %s", (env, message) => {
    const r = loadConfig(env);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.join("\n")).toContain(message);
  });
});

describe("loadConfig: settings of workers, the queue and the HTTPS listener", () => {
  test("defaults: the queue's and workers' documented values; no operator certificate, extra CA or NODE_ENV", () => {
    const r = loadConfig({ SWEEP_CONCURRENCY: "3" });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.queue).toEqual({ expireInSeconds: 900, maintenanceIntervalSeconds: 60 });
    // WORKER_CONCURRENCY defaults to SWEEP_CONCURRENCY.
    expect(r.config.worker).toEqual({ concurrency: 3, id: null, enqueuerTickSeconds: 60, stopTimeoutSeconds: 30 });
    expect(r.config).toMatchObject({ tls: null, extraCaCertsFile: null, nodeEnv: null, logLevel: "info" });
  });

  test("given values are parsed", () => {
    const r = loadConfig({
      WORKER_CONCURRENCY: "16",
      WORKER_ID: "worker-a",
      SWEEP_JOB_EXPIRE_SECONDS: "120",
      QUEUE_MAINTENANCE_SECONDS: " 5 ",
      ENQUEUER_TICK_SECONDS: "0",
      WORKER_STOP_TIMEOUT_SECONDS: "10",
      TLS_CERT_FILE: "/etc/capture/cert.pem",
      TLS_KEY_FILE: "/etc/capture/key.pem",
      NODE_EXTRA_CA_CERTS: "/etc/capture/ca.pem",
      NODE_ENV: "development",
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.queue).toEqual({ expireInSeconds: 120, maintenanceIntervalSeconds: 5 });
    expect(r.config.worker).toEqual({
      concurrency: 16,
      id: "worker-a",
      enqueuerTickSeconds: 0,
      stopTimeoutSeconds: 10,
    });
    expect(r.config.tls).toEqual({ certFile: "/etc/capture/cert.pem", keyFile: "/etc/capture/key.pem" });
    expect(r.config.extraCaCertsFile).toBe("/etc/capture/ca.pem");
    expect(r.config.nodeEnv).toBe("development");
  });

  test("an entry point's own log level applies only when LOG_LEVEL is not set", () => {
    const quiet = loadConfig({}, { logLevel: "warn" });
    expect(quiet.ok && quiet.config.logLevel).toBe("warn");
    const given = loadConfig({ LOG_LEVEL: "debug" }, { logLevel: "warn" });
    expect(given.ok && given.config.logLevel).toBe("debug");
  });

  test.each([
    [{ WORKER_CONCURRENCY: "0" }, "WORKER_CONCURRENCY must be at least 1"],
    [{ WORKER_CONCURRENCY: "1e3" }, "WORKER_CONCURRENCY must be a whole number"],
    [{ WORKER_CONCURRENCY: "257" }, "WORKER_CONCURRENCY must be at most 256"],
    [{ WORKER_ID: "w".repeat(101) }, "WORKER_ID must be at most 100 characters"],
    [{ SWEEP_JOB_EXPIRE_SECONDS: "4" }, "SWEEP_JOB_EXPIRE_SECONDS must be at least 5"],
    [{ SWEEP_JOB_EXPIRE_SECONDS: "86400" }, "SWEEP_JOB_EXPIRE_SECONDS must be at most 86399"],
    [{ QUEUE_MAINTENANCE_SECONDS: "0x10" }, "QUEUE_MAINTENANCE_SECONDS must be a whole number"],
    [{ ENQUEUER_TICK_SECONDS: "-1" }, "ENQUEUER_TICK_SECONDS must be a whole number"],
    [{ WORKER_STOP_TIMEOUT_SECONDS: "3601" }, "WORKER_STOP_TIMEOUT_SECONDS must be at most 3600"],
    [{ TLS_CERT_FILE: "/etc/capture/cert.pem" }, "TLS_KEY_FILE is required when TLS_CERT_FILE is set"],
    [{ TLS_KEY_FILE: "/etc/capture/key.pem" }, "TLS_CERT_FILE is required when TLS_KEY_FILE is set"],
  ])("%j → %s", (env, message) => {
    const r = loadConfig(env);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual([message]);
  });
});

test("npm run worker with malformed settings exits 1 with one line per problem, before connecting to anything", () => {
  const root = path.resolve(__dirname, "../..");
  const res = spawnSync(
    process.execPath,
    [path.join(root, "node_modules", "tsx", "dist", "cli.mjs"), path.join(root, "server", "cli", "worker.ts")],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: "postgres://nobody@127.0.0.1:1/never",
        WORKER_CONCURRENCY: "many",
        SWEEP_JOB_EXPIRE_SECONDS: "2",
      },
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  expect(res.status).toBe(1);
  const lines = res.stderr.trim().split("\n");
  expect([...lines].sort()).toEqual([
    "config: SWEEP_JOB_EXPIRE_SECONDS must be at least 5",
    "config: WORKER_CONCURRENCY must be a whole number",
  ]);
});

test("npm run build reads the pane's URL through config: a malformed one stops it before webpack runs", () => {
  const root = path.resolve(__dirname, "../..");
  const res = spawnSync(
    process.execPath,
    [path.join(root, "node_modules", "tsx", "dist", "cli.mjs"), path.join(root, "server", "cli", "build.ts")],
    {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ADDIN_PUBLIC_URL: "http://capture.contoso.com" },
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  expect(res.status).toBe(1);
  expect(res.stderr.trim().split("\n")).toEqual(["config: ADDIN_PUBLIC_URL must be an https:// URL"]);
  expect(res.stdout).toBe("");
});

test("npm start with malformed settings exits 1 with one line per problem, before starting anything", () => {
  const root = path.resolve(__dirname, "../..");
  const res = spawnSync(
    process.execPath,
    [path.join(root, "node_modules", "tsx", "dist", "cli.mjs"), path.join(root, "server", "cli", "start.ts")],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ENTRA_CLIENT_ID: "nope",
        PORT: "0x50",
        DATA_DIR: "/nonexistent/never-created",
      },
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  expect(res.status).toBe(1);
  const lines = res.stderr.trim().split("\n");
  expect(lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^config: ENTRA_CLIENT_ID must be/),
      expect.stringMatching(/^config: PORT must be/),
    ]),
  );
  expect(lines.every((l) => l.startsWith("config: "))).toBe(true);
  expect(res.stdout).not.toContain("Building");
});
