/**
 * The demo keeps what people do across restarts: a restart (new emulator — Microsoft's side starts afresh — and a
 * new server on the same DATA_DIR) neither re-adds an organization block an administrator removed nor reconnects a
 * mailbox its user disconnected, nor revives an untracked contact; a fresh demo (--fresh-demo / DEMO_RESET=1) does.
 * The demo is started the way `npm start` starts it (start.ts): the emulator with the demo dataset, the server
 * pointed at it, prepareDemoData, then bootstrapDemo through the public API.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmulator, type Emulator } from "../../emulator";
import {
  DANA_ID,
  DEMO_BLOCKLIST,
  DEMO_CLIENT_ID,
  DEMO_CLIENTS,
  DEMO_TENANT_ID,
  LEE_ID,
  demoDataset,
} from "../../emulator/demo/dataset";
import { bootstrapDemo, type BootstrapResult } from "../../server/cli/demo-bootstrap";
import { freshDemoRequested, prepareDemoData } from "../../server/cli/demo-state";
import { startServer, type RunningServer } from "../../server/cli/serve";
import { loadConfig } from "../../server/config";
import { createOutbound, type Outbound } from "../../server/http/outbound";
import { loadServerTls } from "../../server/http/tls";
import { freePort } from "../support";

jest.setTimeout(120_000);

const USERS = [
  { id: DANA_ID, mail: "dana@contoso.com", displayName: "Dana Kim" },
  { id: LEE_ID, mail: "lee@contoso.com", displayName: "Lee Park" },
];

interface RunningDemo {
  server: RunningServer;
  emulator: Emulator;
  outbound: Outbound;
  result: BootstrapResult;
  seeded: boolean;
  lines: string[];
  api(userId: string, method: string, p: string, body?: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

let dataDir = "";
let port = 0;

async function startDemo(fresh = false): Promise<RunningDemo> {
  const publicUrl = `https://localhost:${port}`;
  const tls = await loadServerTls(dataDir, {});
  const emulator = await startEmulator({ dataset: demoDataset(publicUrl), tls });
  const loaded = loadConfig({
    ENTRA_CLIENT_ID: DEMO_CLIENT_ID,
    ENTRA_CLIENT_SECRET: "demo-only-secret-not-for-production",
    ENTRA_TENANT: DEMO_TENANT_ID,
    ENTRA_AUTHORITY_HOST: emulator.url,
    GRAPH_BASE_URL: emulator.url,
    DATA_DIR: dataDir,
    PORT: String(port),
    LOG_LEVEL: "silent",
  });
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  const config = { ...loaded.config, mode: "demo" as const };
  const data = prepareDemoData(config, fresh);
  const server = await startServer({ config, extraCaPem: tls.caPem, port });
  const outbound = createOutbound(tls.caPem);
  const lines: string[] = [];
  const result = await bootstrapDemo({
    backendUrl: server.url,
    emulatorUrl: emulator.url,
    clientId: DEMO_CLIENT_ID,
    users: USERS,
    crm: { clients: DEMO_CLIENTS, blocklist: DEMO_BLOCKLIST },
    fetch: outbound.fetch,
    log: (l) => lines.push(l),
    seeded: data.seeded,
    onSeeded: data.markSeeded,
  });
  const tokenFor = async (userId: string) => {
    const res = await outbound.fetch(`${emulator.url}/_emulator/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ userId, clientId: DEMO_CLIENT_ID, audience: DEMO_CLIENT_ID, scopes: ["access_as_user"] }),
    });
    const b = (await res.json()) as { token?: string; accessToken?: string; access_token?: string };
    return b.token ?? b.accessToken ?? b.access_token;
  };
  return {
    server,
    emulator,
    outbound,
    result,
    seeded: data.seeded,
    lines,
    async api(userId, method, p, body) {
      const res = await outbound.fetch(`${server.url}${p}`, {
        method,
        headers: {
          authorization: `Bearer ${await tokenFor(userId)}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async stop() {
      await server.close();
      await emulator.close();
      await outbound.close();
    },
  };
}

const organizationEntries = async (d: RunningDemo) =>
  (await d.api(DANA_ID, "GET", "/api/blocklist")).body.items
    .filter((e: { scope: string }) => e.scope === "organization")
    .map((e: { entry: string }) => e.entry);
const connectionOf = async (d: RunningDemo, userId: string) =>
  (await d.api(userId, "GET", "/api/me")).body.connection.status;
const contactEmails = async (d: RunningDemo) =>
  (await d.api(LEE_ID, "GET", "/api/contacts?limit=200")).body.items.map((c: { email: string }) => c.email);

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-demo-restart-"));
  port = await freePort();
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

test("--fresh-demo and DEMO_RESET=1 ask for a fresh demo; nothing else does; a bad DEMO_RESET is a config problem", () => {
  const config = (env: Record<string, string>) => {
    const r = loadConfig(env);
    if (!r.ok) throw new Error(r.problems.join("; "));
    return r.config;
  };
  expect(freshDemoRequested(["--fresh-demo"], config({}))).toBe(true);
  expect(freshDemoRequested([], config({ DEMO_RESET: "1" }))).toBe(true);
  expect(freshDemoRequested([], config({ DEMO_RESET: "true" }))).toBe(true);
  expect(freshDemoRequested([], config({ DEMO_RESET: "0" }))).toBe(false);
  expect(freshDemoRequested(["--fresh"], config({}))).toBe(false);
  expect(loadConfig({ DEMO_RESET: "please" })).toEqual({
    ok: false,
    problems: [expect.stringContaining("DEMO_RESET")],
  });
});

test("a restart keeps a removed organization block, a disconnected mailbox and an untracked contact; a fresh demo restores them", async () => {
  // First start: seeded, both mailboxes connected.
  let demo = await startDemo();
  try {
    expect(demo.seeded).toBe(false);
    expect(await organizationEntries(demo)).toEqual(["@noisy.example"]);
    expect(await connectionOf(demo, LEE_ID)).toBe("active");
    // Connecting read the organization's verified domains from Graph GET /organization: colleagues are refused.
    expect((await demo.api(LEE_ID, "GET", "/api/me")).body.organization.internalDomains).toEqual([
      "contoso.com",
      "contoso.onmicrosoft.com",
    ]);
    expect(
      (await demo.api(LEE_ID, "POST", "/api/contacts", { email: "ops@contoso.onmicrosoft.com" })).body.error.code,
    ).toBe("internal_address");
    // What people do: the administrator unblocks for everyone, Lee disconnects, someone untracks Bob.
    const entry = (await demo.api(DANA_ID, "GET", "/api/blocklist")).body.items.find(
      (e: { entry: string }) => e.entry === "@noisy.example",
    );
    expect((await demo.api(DANA_ID, "DELETE", `/api/blocklist/${entry.id}`)).status).toBe(204);
    expect((await demo.api(LEE_ID, "DELETE", "/api/connection")).status).toBe(204);
    const bob = (await demo.api(LEE_ID, "GET", "/api/contacts?q=bob")).body.items[0];
    expect((await demo.api(LEE_ID, "DELETE", `/api/contacts/${bob.id}`)).status).toBe(204);
  } finally {
    await demo.stop();
  }

  // Restart: the database is the users'; only Microsoft's side (the emulator) is new.
  demo = await startDemo();
  try {
    expect(demo.seeded).toBe(true);
    expect(await organizationEntries(demo)).toEqual([]);
    expect(await connectionOf(demo, LEE_ID)).toBe("disconnected");
    expect(demo.result.keptDisconnected.map((u) => u.id)).toEqual([LEE_ID]);
    expect(await connectionOf(demo, DANA_ID)).toBe("active");
    expect(demo.result.sweeps.map((s) => [s.user.id, s.sweep?.status])).toEqual([[DANA_ID, "succeeded"]]);
    expect(await contactEmails(demo)).not.toContain("bob@globex.com");
    expect(demo.lines.join("\n")).toContain("Lee Park <lee@contoso.com>: disconnected (kept");
  } finally {
    await demo.stop();
  }

  // A fresh demo starts over.
  demo = await startDemo(true);
  try {
    expect(demo.seeded).toBe(false);
    expect(await organizationEntries(demo)).toEqual(["@noisy.example"]);
    expect(await connectionOf(demo, LEE_ID)).toBe("active");
    expect(await contactEmails(demo)).toContain("bob@globex.com");
  } finally {
    await demo.stop();
  }
});
