/**
 * End to end, as a newcomer and a user would see it: the real `npm start` process (demo mode: backend +
 * Microsoft 365 emulator child, SQLite in a temp DATA_DIR), then the browser preview in Debian's Chromium:
 * sign in through MSAL against the emulator, open a captured message, open one with no tracked contact,
 * track its sender (creating a client), see "Will be captured", press Capture now, see "Captured"; then, as the
 * demo's administrator, see Unblock for everyone and every user's mailbox health.
 * Screenshots go to test-results/e2e/. Ctrl-C (SIGINT) must stop everything with exit code 0.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import {
  CHROMIUM,
  SHOTS,
  createDemo,
  extendExpect,
  haveChromium,
  launchChromium,
  newPage,
  type Demo,
} from "./demo-harness";

const describeIf = haveChromium ? describe : describe.skip;

jest.setTimeout(240_000);
extendExpect();

describeIf(`npm start in demo mode, driven in Chromium (${CHROMIUM})`, () => {
  let demo: Demo & { dispose(): Promise<void> };
  let base = "";
  let browser: Browser;
  let page: Page;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    demo = await createDemo("ec-e2e-");
    base = demo.base;
    await demo.start();
    browser = await launchChromium();
    // The development certificate is self-signed (README: trust data/certs/ca.crt); the test browser is told to accept it.
    page = await newPage(browser, browserErrors);
  });

  afterEach(async () => {
    // On failure, keep what the browser showed and said.
    if (page && !page.isClosed()) await page.screenshot({ path: path.join(SHOTS, "last.png") }).catch(() => {});
    if (browserErrors.length) fs.writeFileSync(path.join(SHOTS, "browser-errors.txt"), browserErrors.join("\n"));
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.dispose();
  });

  test("start-up says which mode it is in, sets up the demo and sweeps both users", () => {
    expect(demo.output()).toContain("DEMO mode");
    expect(demo.output()).toMatch(
      /Dana Kim <dana@contoso.com>: connected; first sweep succeeded: \d+ listed, [1-9]\d* captured/,
    );
    expect(demo.output()).toMatch(/Lee Park <lee@contoso.com>: connected; first sweep succeeded/);
    expect(demo.output()).toContain(`${base}/preview`);
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
    const emulatorUrl = /Emulator:\s+(https:\/\/localhost:\d+)/.exec(demo.output())![1];
    // What a terminal's Ctrl-C does: SIGINT to the whole foreground process group (npm, the launcher, the emulator).
    const { code, signal } = await demo.interrupt();
    // npm itself ends by the signal; the launcher below it exits 0 after closing everything.
    expect(code === 0 || signal === "SIGINT").toBe(true);
    expect(demo.output()).toContain("Stopping…");
    expect(demo.output()).not.toMatch(/stopped unexpectedly|Start-up failed/);
    await expect(page.request.get(`${base}/healthz`, { timeout: 3000 })).rejects.toThrow();
    await expect(page.request.get(`${emulatorUrl}/_emulator/health`, { timeout: 3000 })).rejects.toThrow();
  });
});

if (!haveChromium) {
  test.skip(`browser end-to-end tests need Chromium at ${CHROMIUM} (apt-get install chromium)`, () => {});
}
