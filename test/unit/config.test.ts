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
    for (const name of ["ENTRA_CLIENT_ID", "PORT", "GRAPH_BASE_URL", "TOKEN_ENCRYPTION_KEY", "SWEEP_INTERVAL_MINUTES"]) expect(text).toContain(name);
    expect(r.problems.length).toBeGreaterThanOrEqual(5);
    for (const p of r.problems) expect(p).not.toContain("\n");
  });

  test.each([
    [{ ENTRA_CLIENT_ID: GUID }, "ENTRA_CLIENT_SECRET is required"],
    [{ ENTRA_CLIENT_SECRET: "x" }, "ENTRA_CLIENT_ID is required"],
    [{ ENTRA_CLIENT_ID: GUID, ENTRA_CLIENT_SECRET: "x", DATABASE_URL: "postgres://h/db" }, "TOKEN_ENCRYPTION_KEY is required with PostgreSQL"],
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

test("npm start with malformed settings exits 1 with one line per problem, before starting anything", () => {
  const root = path.resolve(__dirname, "../..");
  const res = spawnSync(process.execPath, [path.join(root, "node_modules", "tsx", "dist", "cli.mjs"), path.join(root, "server", "cli", "start.ts")], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ENTRA_CLIENT_ID: "nope", PORT: "0x50", DATA_DIR: "/nonexistent/never-created" },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(res.status).toBe(1);
  const lines = res.stderr.trim().split("\n");
  expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^config: ENTRA_CLIENT_ID must be/), expect.stringMatching(/^config: PORT must be/)]));
  expect(lines.every((l) => l.startsWith("config: "))).toBe(true);
  expect(res.stdout).not.toContain("Building");
});
