/**
 * LISTEN_HOST: the HTTPS server binds where it is told — localhost by default (nothing else on the
 * network reaches it), every interface only when asked (a reverse proxy on another host).
 */
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { startEmulator, type Emulator } from "../../emulator";
import { loadConfig } from "../../server/config";
import { createLogger } from "../../server/logger";
import { startServer, type RunningServer } from "../../server/cli/serve";
import { CLIENT_ID, CLIENT_SECRET, dataset } from "../connect/harness";

jest.setTimeout(30_000);

let emulator: Emulator;
let dir: string;
const running: RunningServer[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ dataset });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-listen-"));
});

afterAll(async () => {
  for (const s of running) await s.close();
  await emulator?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(listenHost: string | undefined): Promise<RunningServer> {
  const loaded = loadConfig({
    ENTRA_CLIENT_ID: CLIENT_ID,
    ENTRA_CLIENT_SECRET: CLIENT_SECRET,
    ENTRA_AUTHORITY_HOST: emulator.url,
    GRAPH_BASE_URL: emulator.url,
    DATA_DIR: dir,
    LISTEN_HOST: listenHost,
  });
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  const server = await startServer({
    config: loaded.config,
    extraCaPem: emulator.caPem,
    port: 0,
    scheduler: false,
    logger: createLogger("silent"),
  });
  running.push(server);
  return server;
}

/** GET /healthz at an explicit IP address (not a name), trusting the server's development CA. */
function healthAt(ip: string, server: RunningServer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: ip,
        port: server.port,
        path: "/healthz",
        headers: { host: `localhost:${server.port}` },
        ca: server.caPem,
        servername: "localhost",
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
  });
}

/** A non-loopback IPv4 address of this machine, if it has one. */
const externalIPv4 = Object.values(os.networkInterfaces())
  .flat()
  .find((i) => i && i.family === "IPv4" && !i.internal)?.address;

test("by default the server listens on loopback only", async () => {
  const server = await start(undefined);
  expect(["127.0.0.1", "::1"]).toContain(server.address);
  if (server.address === "127.0.0.1") expect(await healthAt("127.0.0.1", server)).toBe(200);
  if (externalIPv4) await expect(healthAt(externalIPv4, server)).rejects.toThrow(/ECONNREFUSED/);
});

test("LISTEN_HOST=0.0.0.0 listens on every IPv4 interface", async () => {
  const server = await start("0.0.0.0");
  expect(server.address).toBe("0.0.0.0");
  expect(await healthAt("127.0.0.1", server)).toBe(200);
  if (externalIPv4) expect(await healthAt(externalIPv4, server)).toBe(200);
});
