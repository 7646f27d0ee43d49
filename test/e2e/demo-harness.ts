/**
 * What a Chromium end-to-end test of the demo needs: the real `npm start` in demo mode (its own process
 * group, its own DATA_DIR and port), headless Chromium on the browser preview with the pane at Outlook's
 * narrowest width, an axe-core scan of the pane's document, and polling matchers (playwright-core has no
 * expect of its own).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { chromium, type Browser, type FrameLocator, type Page } from "playwright-core";
import { freePort } from "../support";

export const ROOT = path.resolve(__dirname, "../..");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const haveChromium = fs.existsSync(CHROMIUM);
export const SHOTS = path.join(ROOT, "test-results", "e2e");
export const PANE_WIDTH = 320;

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Demo {
  base: string;
  dataDir: string;
  output(): string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** What a terminal's Ctrl-C does: SIGINT to the whole process group; resolves with how `npm start` ended. */
  interrupt(): Promise<{ code: number | null; signal: string | null }>;
}

/** `npm start` in demo mode on a free port, in a fresh DATA_DIR (kept across stop/start, removed by dispose). */
export async function createDemo(prefix: string): Promise<Demo & { dispose(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const port = await freePort();
  let child: ChildProcess | null = null;
  let output = "";
  const demo = {
    base: `https://localhost:${port}`,
    dataDir,
    output: () => output,
    async start() {
      output = "";
      const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: "warn" };
      for (const k of [
        "ENTRA_CLIENT_ID",
        "ENTRA_CLIENT_SECRET",
        "DATABASE_URL",
        "TOKEN_ENCRYPTION_KEY",
        "PUBLIC_URL",
        "ADDIN_PUBLIC_URL",
        "DEMO_RESET",
      ])
        delete env[k];
      const c = spawn("npm", ["start"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
      child = c;
      c.stdout!.on("data", (d) => (output += d));
      c.stderr!.on("data", (d) => (output += d));
      const deadline = Date.now() + 200_000;
      while (!output.includes("Press Ctrl-C to stop.")) {
        if (c.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
        if (Date.now() > deadline) throw new Error(`npm start not ready in time:\n${output}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    /** Stops the demo this test started (its own process group), and waits until it is gone. */
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null) return;
      const gone = new Promise((r) => c.once("exit", r));
      try {
        process.kill(-c.pid!, "SIGTERM");
      } catch {
        /* already gone */
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
      clearTimeout(timer);
      if (c.exitCode === null && c.signalCode === null) process.kill(-c.pid!, "SIGKILL");
      c.stdout?.destroy();
      c.stderr?.destroy();
    },
    async interrupt() {
      const c = child;
      if (!c || c.exitCode !== null) throw new Error("the demo is not running");
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        c.once("exit", (code, signal) => resolve({ code, signal })),
      );
      process.kill(-c.pid!, "SIGINT");
      return exited;
    },
    async dispose() {
      await demo.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return demo;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export async function newPage(browser: Browser, errors: string[]): Promise<Page> {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  return page;
}

export const paneOf = (page: Page): FrameLocator => page.frameLocator('iframe[title="Engagement Capture task pane"]');

/** Outlook's narrowest pane: the preview's iframe at 320 px (kept across the pane's reloads). */
export const narrow = (page: Page) =>
  page.evaluate((w) => {
    const frame = document.getElementById("pane") as HTMLIFrameElement;
    frame.style.width = `${w}px`;
  }, PANE_WIDTH);

/** axe-core on the pane's document only; returns the serious and critical violations (written to `file`). */
export async function scanPane(page: Page, file: string): Promise<string[]> {
  // Tabster's focus-trap sentinels (Fluent's <i data-tabster-dummy tabindex=0 aria-hidden>) hand focus on
  // to the next real control as soon as they get it; axe cannot see that, and flags each one.
  const results = await new AxeBuilder({ page })
    .include({ fromFrames: ["#pane", "body"] })
    .exclude({ fromFrames: ["#pane", "[data-tabster-dummy]"] })
    .analyze();
  fs.writeFileSync(path.join(SHOTS, file), JSON.stringify(results.violations, null, 2));
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

// Polling matchers: playwright-core has no expect of its own.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      toBeVisibleSoon(): Promise<R>;
      toBeHiddenSoon(): Promise<R>;
      toHaveCountSoon(n: number): Promise<R>;
      toHaveTextSoon(text: string): Promise<R>;
    }
  }
}
interface Waitable {
  waitFor(o: { state: "visible" | "hidden"; timeout: number }): Promise<void>;
}
async function waitState(locator: Waitable, state: "visible" | "hidden") {
  try {
    await locator.waitFor({ state, timeout: 20_000 });
    return { pass: true, message: () => state };
  } catch (e) {
    return { pass: false, message: () => `not ${state} within 20 s: ${(e as Error).message.split("\n")[0]}` };
  }
}

/** Registers the polling matchers (once per test file). */
export function extendExpect(): void {
  expect.extend({
    toBeVisibleSoon: (locator: Waitable) => waitState(locator, "visible"),
    toBeHiddenSoon: (locator: Waitable) => waitState(locator, "hidden"),
    async toHaveTextSoon(locator: { textContent(): Promise<string | null> }, text: string) {
      const deadline = Date.now() + 20_000;
      let last: string | null = null;
      while (Date.now() < deadline) {
        last = await locator.textContent();
        if (last?.includes(text)) return { pass: true, message: () => `has “${text}”` };
        await new Promise((r) => setTimeout(r, 200));
      }
      return { pass: false, message: () => `expected “${text}” within 20 s, saw “${last}”` };
    },
    async toHaveCountSoon(locator: { count(): Promise<number> }, n: number) {
      const deadline = Date.now() + 20_000;
      let last = -1;
      while (Date.now() < deadline) {
        last = await locator.count();
        if (last === n) return { pass: true, message: () => `${n} items` };
        await new Promise((r) => setTimeout(r, 200));
      }
      return { pass: false, message: () => `expected ${n} items within 20 s, saw ${last}` };
    },
  });
}
