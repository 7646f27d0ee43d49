/**
 * The demo captures new mail within seconds, without "Capture now" and without a sweep: the real
 * `npm start` in demo mode (emulator child process, server, bootstrap), a message from a tracked client
 * delivered into Dana's mailbox through the emulator's control API, and the pane's status call seeing it
 * go from will_be_captured to captured. The bound is generous (shared CI machines): 20 s.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DANA_ID, DEMO_CLIENT_ID } from "../../emulator/demo/dataset";
import { createOutbound, type Outbound } from "../../server/http/outbound";
import { freePort, until } from "../support";

const ROOT = path.resolve(__dirname, "../..");
const CAPTURE_BOUND_MS = 20_000;

jest.setTimeout(300_000);

let child: ChildProcess;
let output = "";
let dataDir = "";
let outbound: Outbound;
let base = "";
let emulatorUrl = "";

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-demo-notify-"));
  const port = await freePort();
  base = `https://localhost:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: "info" };
  for (const k of ["ENTRA_CLIENT_ID", "ENTRA_CLIENT_SECRET", "DATABASE_URL", "TOKEN_ENCRYPTION_KEY", "PUBLIC_URL"])
    delete env[k];
  delete env.NOTIFICATIONS;
  child = spawn("npm", ["start"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const deadline = Date.now() + 240_000;
  while (!output.includes("Press Ctrl-C to stop.")) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start not ready in time:\n${output}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  emulatorUrl = /Emulator:\s+(https:\/\/localhost:\d+)/.exec(output)![1];
  outbound = createOutbound(fs.readFileSync(path.join(dataDir, "certs", "ca.crt"), "utf8"));
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const gone = new Promise((r) => child.once("exit", r));
    process.kill(-child.pid!, "SIGTERM");
    await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
    child.stdout?.destroy();
    child.stderr?.destroy();
  }
  await outbound?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function call(method: string, url: string, body?: unknown, token?: string): Promise<any> {
  const res = await outbound.fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

test("the demo says notifications are on, and a delivered message is captured within seconds without Capture now", async () => {
  expect(output).toMatch(/change notifications on/);
  const tokenBody = await call("POST", `${emulatorUrl}/_emulator/tokens`, {
    userId: DANA_ID,
    clientId: DEMO_CLIENT_ID,
    audience: DEMO_CLIENT_ID,
    scopes: ["access_as_user"],
  });
  const token: string = tokenBody.token ?? tokenBody.accessToken ?? tokenBody.access_token;
  const sweepsBefore = (await call("GET", `${base}/api/sweeps?limit=100`, undefined, token)).items.length;
  const delivered = await call("POST", `${emulatorUrl}/_emulator/users/${DANA_ID}/messages`, {
    subject: "Renewal terms for next year",
    body: "Dana, here are the terms we discussed.",
    bodyContentType: "text",
    from: "alice@acme.com",
    to: ["dana@contoso.com"],
  });
  const arrived = Date.now();
  const status = () =>
    call(
      "POST",
      `${base}/api/messages/status`,
      { internetMessageId: delivered.internetMessageId, from: "alice@acme.com", to: ["dana@contoso.com"] },
      token,
    );
  const final = await until("the capture", status, (s) => s.status === "captured", CAPTURE_BOUND_MS, 250);
  expect(final.status).toBe("captured");
  expect(Date.now() - arrived).toBeLessThan(CAPTURE_BOUND_MS);
  // Captured by its notification: no sweep ran for it.
  expect((await call("GET", `${base}/api/sweeps?limit=100`, undefined, token)).items.length).toBe(sweepsBefore);
});
