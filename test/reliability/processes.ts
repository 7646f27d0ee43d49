/**
 * Real backend processes for the reliability suite: spawn `test/reliability/server-entry.ts` (startServer
 * with a configuration from the environment), read its JSON log lines, connect users to it over HTTPS
 * through the real connect flow (the test's emulator issues the tokens and plays Entra's authorize step).
 */
import { spawn, type ChildProcess } from "node:child_process";
import os from "node:os";
import path from "node:path";
import type { Emulator } from "../../emulator";
import type { Outbound } from "../../server/http/outbound";
import { CLIENT_ID } from "../connect/harness";
import { forEachLine } from "../support";

export const REPO_ROOT = path.resolve(__dirname, "../..");

export interface BackendProcess {
  child: ChildProcess;
  url: string;
  logs: Record<string, unknown>[];
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start the backend process and wait for `READY <url>`. */
export function spawnBackend(env: Record<string, string>, timeoutMs = 60_000): Promise<BackendProcess> {
  // node itself with tsx's loader (not the tsx CLI, which runs node as a child of its own): the pid we
  // SIGKILL is the server's, as it would be under a process manager.
  const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "server-entry.ts")], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? os.tmpdir(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the backend did not start within ${timeoutMs} ms:\n${lines.join("\n")}`)),
      timeoutMs,
    );
    forEachLine(child.stdout!, (line) => {
      if (line.startsWith("SWEPT ")) return void lines.push(line);
      if (line.startsWith("READY ")) {
        clearTimeout(timer);
        return resolve({ child, url: line.slice(6).trim(), logs, lines, exited });
      }
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push(line);
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => lines.push(`stderr: ${chunk.toString("utf8").trimEnd()}`));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the backend exited (${code ?? signal}) before it was ready:\n${lines.join("\n")}`));
    });
  });
}

/** Kill a process if it still runs, and wait for it. */
export async function ensureStopped(p: BackendProcess | null, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (!p) return;
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  await p.exited;
}

export const apiToken = (emulator: Emulator, oid: string) =>
  emulator.state.mintAccessToken({ userId: oid, clientId: CLIENT_ID, audience: CLIENT_ID, scopes: ["access_as_user"] });

/** One user through the real flow against a backend over HTTPS; returns the product's user id. */
export async function connectOverHttps(
  backendUrl: string,
  emulator: Emulator,
  outbound: Outbound,
  oid: string,
): Promise<string> {
  const auth = { authorization: `Bearer ${apiToken(emulator, oid)}` };
  const me = await outbound.fetch(`${backendUrl}/api/me`, { headers: auth });
  if (me.status !== 200) throw new Error(`/api/me answered ${me.status}: ${await me.text()}`);
  const userId = ((await me.json()) as { user: { id: string } }).user.id;
  const start = await outbound.fetch(`${backendUrl}/api/connection`, { method: "POST", headers: auth });
  if (start.status !== 200) throw new Error(`POST /api/connection answered ${start.status}: ${await start.text()}`);
  const authorizeUrl = ((await start.json()) as { authorizeUrl: string }).authorizeUrl;
  const consent = await outbound.fetch(authorizeUrl, { redirect: "manual" });
  await consent.arrayBuffer(); // an unread body would hold the connection until GC
  if (consent.status !== 302) throw new Error(`authorize answered ${consent.status}`);
  const back = new URL(consent.headers.get("location")!);
  const cb = await outbound.fetch(`${backendUrl}${back.pathname}${back.search}`);
  if (cb.status !== 200) throw new Error(`callback answered ${cb.status}: ${await cb.text()}`);
  await cb.text();
  return userId;
}

export { tempDir, until } from "../support";
