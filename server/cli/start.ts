/**
 * `npm start`: run the product.
 * - Configuration is checked first; each problem is one line, and the exit code is 1.
 * - The task pane is built when dist/ is missing or older than its sources.
 * - Demo mode (no Entra app configured): the Microsoft 365 emulator runs as a child process, the backend's
 *   configuration is pointed at it exactly as an operator points it at Microsoft, and the demo organization
 *   is set up (once: demo-state.ts) and swept through the public API. `--fresh-demo` or DEMO_RESET=1 starts over.
 * - Production mode: the backend against ENTRA_AUTHORITY_HOST / GRAPH_BASE_URL.
 * Ctrl-C (or SIGTERM) stops the scheduler, the server and the emulator.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { DEFAULT_WEBHOOKS, loadConfig, type Config } from "../config";
import { createOutbound } from "../http/outbound";
import { REPO_ROOT, startServer, type RunningServer } from "./serve";
import { bootstrapDemo } from "./demo-bootstrap";
import { freshDemoRequested, prepareDemoData, type DemoData } from "./demo-state";
import { BUILD_STAMP } from "./build-stamp";
// Type only (erased): serve.ts is the child process that prints this handshake, never imported at run time.
import type { DemoHandshake } from "../../emulator/demo/serve";

const log = (line = "") => process.stdout.write(`${line}\n`);

function newestMtime(paths: string[]): number {
  let newest = 0;
  const walk = (p: string) => {
    if (!fs.existsSync(p)) return;
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const f of fs.readdirSync(p)) walk(path.join(p, f));
    else newest = Math.max(newest, st.mtimeMs);
  };
  paths.forEach(walk);
  return newest;
}

/** Build the pane when it is missing, built for another URL, or older than what it is built from (build-stamp.ts). */
async function ensureBuilt(config: Config): Promise<void> {
  const sources = ["addin", "shared", "webpack.config.js", "manifest.xml", "assets"].map((p) =>
    path.join(REPO_ROOT, p),
  );
  const upToDate =
    fs.existsSync(BUILD_STAMP) &&
    fs.existsSync(path.join(REPO_ROOT, "dist", "addin", "taskpane.html")) &&
    fs.readFileSync(BUILD_STAMP, "utf8") === config.addinPublicUrl &&
    fs.statSync(BUILD_STAMP).mtimeMs >= newestMtime(sources);
  if (upToDate) return;
  log("Building the task pane (first start, or its sources changed)…");
  const { buildAddin } = await import("./build");
  await buildAddin({ publicUrl: config.addinPublicUrl, quiet: true });
}

function startDemoEmulator(config: Config): Promise<{ child: ChildProcess; handshake: DemoHandshake }> {
  const tsx = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
  const child = spawn(tsx, [path.join(REPO_ROOT, "emulator", "demo", "serve.ts")], {
    cwd: REPO_ROOT,
    env: { ...process.env, DEMO_PUBLIC_URL: config.publicUrl, DATA_DIR: config.dataDir },
    stdio: ["pipe", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error("the emulator did not start within 60 s")), 60_000);
    lines.on("line", (line) => {
      if (line.startsWith("DEMO_READY ")) {
        clearTimeout(timer);
        resolve({ child, handshake: JSON.parse(line.slice("DEMO_READY ".length)) as DemoHandshake });
      } else log(`[emulator] ${line}`);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited (code ${code}) before it was ready`));
    });
  });
}

interface Demo {
  emulator: ChildProcess;
  handshake: DemoHandshake;
  caPem: string;
}

/** Demo mode: start the emulator and point the backend at it, as an operator would point it at Microsoft. */
async function startDemo(config: Config): Promise<{ config: Config; demo: Demo }> {
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 }); // database, keys and certificates: owner-only
  const { child, handshake } = await startDemoEmulator(config);
  const pointed = loadConfig({
    ...process.env,
    ENTRA_CLIENT_ID: handshake.clientId,
    ENTRA_CLIENT_SECRET: handshake.clientSecret,
    ENTRA_TENANT: handshake.tenantId,
    ENTRA_AUTHORITY_HOST: handshake.url,
    GRAPH_BASE_URL: handshake.url,
  });
  if (!pointed.ok) throw new Error(pointed.problems.join("; "));
  const caPem = fs.readFileSync(path.join(config.dataDir, "certs", "ca.crt"), "utf8");
  await trustBackendForNotifications(handshake.url, caPem);
  // The demo's example receiver (npm run receiver) listens on localhost: allowed unless configured otherwise.
  const webhooks = pointed.config.webhooks ?? DEFAULT_WEBHOOKS;
  const demoWebhooks = { ...webhooks, allowHosts: webhooks.allowHosts.length ? webhooks.allowHosts : ["localhost"] };
  return {
    config: { ...pointed.config, mode: "demo", webhooks: demoWebhooks },
    demo: { emulator: child, handshake, caPem },
  };
}

/** The emulator posts change notifications over HTTPS, as Graph does: it must trust the backend's development CA. */
async function trustBackendForNotifications(emulatorUrl: string, caPem: string): Promise<void> {
  const outbound = createOutbound(caPem);
  try {
    const res = await outbound.fetch(`${emulatorUrl}/_emulator/notifications/ca`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ pem: caPem }),
    });
    if (!res.ok) log(`The emulator refused the backend's CA (${res.status}); mail is captured by sweeps alone.`);
    await res.text();
  } finally {
    await outbound.close();
  }
}

/** Set up the demo organization (Contoso) through the public API, as a person would. */
async function bootstrapThroughApi(server: RunningServer, demo: Demo, data: DemoData): Promise<void> {
  log();
  log(
    data.seeded
      ? "Reconnecting the demo organization (Contoso), as its users left it…"
      : "Setting up the demo organization (Contoso) through the API…",
  );
  const outbound = createOutbound(demo.caPem);
  try {
    await bootstrapDemo({
      backendUrl: server.url,
      emulatorUrl: demo.handshake.url,
      clientId: demo.handshake.clientId,
      users: demo.handshake.users,
      crm: demo.handshake.crm,
      fetch: outbound.fetch,
      log,
      seeded: data.seeded,
      onSeeded: data.markSeeded,
    });
  } finally {
    await outbound.close();
  }
}

function printWhereToGo(config: Config, server: RunningServer, demo: Demo | null): void {
  log();
  log("Open:");
  if (demo) log(`  ${server.url}/preview            the task pane beside the demo mailboxes (sign in as Dana or Lee)`);
  log(`  ${server.url}/api/openapi.json   the API description`);
  log(`  ${server.url}/manifest.xml       the add-in manifest to sideload in Outlook`);
  log(`  ${server.url}/healthz            health`);
  if (demo) {
    log();
    log('Try: open "Pilot feedback from the Globex team" (captured: Bob was tracked 20 hours after it arrived),');
    log('     "Lunch?" (not captured: only a colleague on it), the junk and draft items (excluded, with the reason),');
    log('     and, signed in as Lee, "Re: Initech order form": Track Priya, then Capture now.');
    log(
      `The demo keeps what you do (contacts, blocklist, removals, disconnects) across restarts; \`npm start -- --fresh-demo\` starts over.`,
    );
  }
  log(
    `The development certificate's CA is ${path.join(config.dataDir, "certs", "ca.crt")} (trust it to load the pane in Outlook).`,
  );
  log("Press Ctrl-C to stop.");
}

async function main(): Promise<void> {
  const first = loadConfig(process.env);
  if (!first.ok) {
    for (const p of first.problems) console.error(`config: ${p}`);
    process.exit(1);
  }
  let config = first.config;
  await ensureBuilt(config);

  let demo: Demo | null = null;
  let demoData: DemoData | null = null;
  if (config.mode === "demo") {
    ({ config, demo } = await startDemo(config));
    // Before the server opens the database: a fresh demo deletes it.
    demoData = prepareDemoData(config, freshDemoRequested(process.argv.slice(2), config));
    if (demoData.reset) log(`Fresh demo: ${demoData.reset}.`);
  }

  let server: RunningServer | null = null;
  let stopping = false;
  const stop = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    log("\nStopping…");
    await server?.close().catch(() => {});
    demo?.emulator.kill("SIGTERM");
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  demo?.emulator.once("exit", (code) => {
    if (!stopping) {
      console.error(`The emulator stopped unexpectedly (code ${code}).`);
      void stop(1);
    }
  });

  const previewMessages = demo?.handshake.previewMessages ?? [];
  server = await startServer({
    config,
    extraCaPem: demo?.caPem ?? null,
    preview: demo ? { messages: async () => previewMessages } : undefined,
  });

  log();
  log(
    `Engagement Capture is running in ${config.mode === "demo" ? "DEMO mode (Microsoft 365 emulator, no Microsoft tenant needed)" : "PRODUCTION mode"}.`,
  );
  log(
    `  Backend:   ${server.url}   (database: ${config.databaseKind === "sqlite" ? config.databaseUrl : "PostgreSQL"})`,
  );
  if (demo) {
    log(`  Emulator:  ${demo.handshake.url}   (Entra authority and Graph)`);
    await bootstrapThroughApi(server, demo, demoData!);
  } else {
    log(`  Identity:  ${config.entra.authorityHost}/${config.entra.tenant}`);
    log(`  Graph:     ${config.graphBaseUrl}`);
  }
  printWhereToGo(config, server, demo);
}

main().catch((e: unknown) => {
  console.error(`Start-up failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
