/**
 * End to end, as a newcomer and a user would see it: the real `npm start` process (demo mode: backend +
 * Microsoft 365 emulator child, SQLite in a temp DATA_DIR), then the browser preview in Debian's Chromium:
 * sign in through MSAL against the emulator, open a captured message, open one with no tracked contact,
 * track its sender (creating a client), see "Will be captured", press Capture now, see "Captured"; then, as the
 * demo's administrator, see Unblock for everyone and every user's mailbox health.
 * Screenshots go to test-results/e2e/. Ctrl-C (SIGINT) must stop everything with exit code 0.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { freePort } from "../support";

const ROOT = path.resolve(__dirname, "../..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = fs.existsSync(CHROMIUM);
const SHOTS = path.join(ROOT, "test-results", "e2e");
const describeIf = haveChromium ? describe : describe.skip;

jest.setTimeout(240_000);

describeIf(`npm start in demo mode, driven in Chromium (${CHROMIUM})`, () => {
  let child: ChildProcess;
  let output = "";
  let base = "";
  let browser: Browser;
  let page: Page;
  let dataDir = "";
  const browserErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-e2e-"));
    const port = await freePort();
    base = `https://localhost:${port}`;
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: "warn" };
    for (const k of [
      "ENTRA_CLIENT_ID",
      "ENTRA_CLIENT_SECRET",
      "DATABASE_URL",
      "TOKEN_ENCRYPTION_KEY",
      "PUBLIC_URL",
      "ADDIN_PUBLIC_URL",
    ])
      delete env[k];
    child = spawn("npm", ["start"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    const deadline = Date.now() + 200_000;
    while (!output.includes("Press Ctrl-C to stop.")) {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
      if (Date.now() > deadline) throw new Error(`npm start not ready in time:\n${output}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    // The development certificate is self-signed (README: trust data/certs/ca.crt); the test browser is told to accept it.
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    page = await ctx.newPage();
  });

  afterEach(async () => {
    // On failure, keep what the browser showed and said.
    if (page && !page.isClosed()) await page.screenshot({ path: path.join(SHOTS, "last.png") }).catch(() => {});
    if (browserErrors.length) fs.writeFileSync(path.join(SHOTS, "browser-errors.txt"), browserErrors.join("\n"));
  });

  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test("start-up says which mode it is in, sets up the demo and sweeps both users", () => {
    expect(output).toContain("DEMO mode");
    expect(output).toMatch(
      /Dana Kim <dana@contoso.com>: connected; first sweep succeeded: \d+ listed, [1-9]\d* captured/,
    );
    expect(output).toMatch(/Lee Park <lee@contoso.com>: connected; first sweep succeeded/);
    expect(output).toContain(`${base}/preview`);
  });

  test("the API answers: health and the OpenAPI description", async () => {
    const res = await page.request.get(`${base}/healthz`);
    expect(res.status()).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
    const api = await page.request.get(`${base}/api/openapi.json`);
    expect((await api.json()).paths["/api/messages/status"]).toBeDefined();
  });

  test("the preview shows captured mail, explains exclusions, and Track + Capture now captures", async () => {
    await page.goto(`${base}/preview`);
    const pane = page.frameLocator('iframe[title="Engagement Capture task pane"]');

    page.on("console", (m) => {
      if (m.type() === "error") browserErrors.push(m.text());
    });
    await page.getByRole("button", { name: /Pilot feedback from the Globex team/ }).click();
    await pane.getByRole("button", { name: "Sign in" }).click();
    await expect(pane.getByRole("heading", { name: "Captured", level: 2 })).toBeVisibleSoon();
    await expect(pane.getByText("Clients: Globex")).toBeVisibleSoon();
    await page.screenshot({ path: path.join(SHOTS, "1-captured.png") });

    await page.getByRole("button", { name: /Re: your account/ }).click();
    await expect(pane.getByRole("heading", { name: "Not captured", level: 2 })).toBeVisibleSoon();
    await expect(pane.getByTestId("status-explanation").filter({ hasText: /Junk Email/ })).toBeVisibleSoon();
    await page.screenshot({ path: path.join(SHOTS, "2-not-captured-junk.png") });

    await page.getByRole("button", { name: /Your weekly digest/ }).click();
    await expect(pane.getByRole("heading", { name: "Not captured", level: 2 })).toBeVisibleSoon();
    await pane.getByRole("button", { name: "Track news@vendor.example" }).first().click();
    const client = pane.getByRole("combobox", { name: /Client/ });
    await client.click();
    await client.pressSequentially("Vendor Inc", { delay: 20 });
    await expect(pane.getByRole("option", { name: "Create client “Vendor Inc”" })).toBeVisibleSoon();
    // From here on the keyboard, as a keyboard user would: headless Chromium stops painting the pane's
    // iframe after the sign-in popup, and a mouse click waits for paint (Playwright's "stable" check).
    await client.press("Enter");
    expect(await client.inputValue()).toBe("Vendor Inc");
    // news@ names a role, not a person: the dialog warns, and its button says so.
    await pane.getByRole("button", { name: "Track anyway" }).press("Enter");
    await expect(pane.getByRole("heading", { name: "Will be captured", level: 2 })).toBeVisibleSoon();
    await page.screenshot({ path: path.join(SHOTS, "3-will-be-captured.png") });

    await pane.getByRole("button", { name: "Capture now" }).press("Enter");
    await expect(pane.getByRole("heading", { name: "Captured", level: 2 })).toBeVisibleSoon();
    await expect(pane.getByText("Clients: Vendor Inc")).toBeVisibleSoon();
    await page.screenshot({ path: path.join(SHOTS, "4-captured-now.png") });
  });

  test("Dana, the demo's administrator: Unblock for everyone on an organization-blocked message, and every user's mailbox health", async () => {
    // Still signed in as Dana from the test above.
    await page.getByRole("button", { name: /Special offer for Acme partners/ }).click();
    const pane = page.frameLocator('iframe[title="Engagement Capture task pane"]');
    await expect(pane.getByRole("heading", { name: "Not captured", level: 2 })).toBeVisibleSoon();
    await expect(pane.getByRole("button", { name: "Unblock for everyone (@noisy.example)" })).toBeVisibleSoon();
    await page.screenshot({ path: path.join(SHOTS, "5-admin-unblock.png") });

    // Keyboard again (see above): the Mailboxes tab exists only for administrators.
    await pane.getByRole("tab", { name: "Mailboxes" }).press("Enter");
    await expect(pane.getByRole("heading", { name: "Mailbox health" })).toBeVisibleSoon();
    await expect(pane.getByText("2 connected · 0 need reconnecting")).toBeVisibleSoon();
    await expect(pane.getByText("lee@contoso.com")).toBeVisibleSoon();
    await page.screenshot({ path: path.join(SHOTS, "6-mailbox-health.png") });
  });

  test("Ctrl-C stops the backend and the emulator cleanly", async () => {
    const emulatorUrl = /Emulator:\s+(https:\/\/localhost:\d+)/.exec(output)![1];
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    // What a terminal's Ctrl-C does: SIGINT to the whole foreground process group (npm, the launcher, the emulator).
    process.kill(-child.pid!, "SIGINT");
    const { code, signal } = await exited;
    // npm itself ends by the signal; the launcher below it exits 0 after closing everything.
    expect(code === 0 || signal === "SIGINT").toBe(true);
    expect(output).toContain("Stopping…");
    expect(output).not.toMatch(/stopped unexpectedly|Start-up failed/);
    await expect(page.request.get(`${base}/healthz`, { timeout: 3000 })).rejects.toThrow();
    await expect(page.request.get(`${emulatorUrl}/_emulator/health`, { timeout: 3000 })).rejects.toThrow();
  });
});

if (!haveChromium) {
  test.skip(`browser end-to-end tests need Chromium at ${CHROMIUM} (apt-get install chromium)`, () => {});
}

// A small polling matcher: playwright-core has no expect of its own.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      toBeVisibleSoon(): Promise<R>;
    }
  }
}
expect.extend({
  async toBeVisibleSoon(locator: { waitFor(o: { state: "visible"; timeout: number }): Promise<void> }) {
    try {
      await locator.waitFor({ state: "visible", timeout: 20_000 });
      return { pass: true, message: () => "visible" };
    } catch (e) {
      return { pass: false, message: () => `not visible within 20 s: ${(e as Error).message.split("\n")[0]}` };
    }
  },
});
