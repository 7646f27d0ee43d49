/**
 * End to end, the pane as a CRM companion: the real `npm start` in demo mode and the browser preview in
 * Chromium at 320 px. Dana (the demo's administrator) opens a captured email from the status card and from
 * Carol's history, and pages through Acme Corp's history; Lee (a member) sees Dana's email with Carol at
 * "who and when" (no subject, no text), then in full once Dana shares everything; Dana's organization
 * default applies to Lee's mailbox when he connects it again. The new views pass axe-core (no serious or
 * critical violation) in the light and the dark theme. Screenshots: test-results/e2e/history-*.png.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { DANA_ID, DEMO_CLIENT_ID } from "../../emulator/demo/dataset";
import {
  SHOTS,
  createDemo,
  extendExpect,
  haveChromium,
  launchChromium,
  narrow,
  newPage,
  paneOf,
  scanPane,
  type Demo,
} from "./demo-harness";

extendExpect();
const describeIf = haveChromium ? describe : describe.skip;
jest.setTimeout(240_000);

/** Mail from Acme the demo doesn't have: enough for Acme Corp's history to need a second page. */
const EXTRA_ACME = 12;

describeIf("history, engagements and sharing in the pane: npm start in demo mode, in Chromium", () => {
  let demo: Demo & { dispose(): Promise<void> };
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const pane = () => paneOf(page);
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `history-${name}.png`) });
  const scan = async (name: string) => expect(await scanPane(page, `history-axe-${name}.json`)).toEqual([]);
  const press = (name: string | RegExp) => pane().getByRole("button", { name }).first().press("Enter");

  async function signInIfAsked() {
    const signIn = pane().getByRole("button", { name: "Sign in" });
    const tabs = pane().getByRole("tab", { name: "Contacts" });
    await Promise.race([signIn.waitFor({ timeout: 30_000 }), tabs.waitFor({ timeout: 30_000 })]);
    if (await signIn.isVisible()) await signIn.click();
    await expect(tabs).toBeVisibleSoon();
  }

  async function as(user: "dana" | "lee") {
    await page.getByLabel("Mailbox shown:").selectOption(`${user}@contoso.com`);
    await narrow(page);
    await signInIfAsked();
  }

  async function openMessage(subject: RegExp) {
    await page.getByRole("button", { name: subject }).first().click();
    await expect(
      pane().getByRole("heading", { level: 2, name: /Captured|Not captured|Will be captured/ }),
    ).toBeVisibleSoon();
  }

  /** Dana's mailbox gets EXTRA_ACME more emails from Alice, and a sweep captures them (as the scheduler would). */
  async function moreAcmeMail() {
    const emulator = /Emulator:\s+(https:\/\/\S+)/.exec(demo.output())?.[1];
    if (!emulator) throw new Error(`no emulator address in the demo's output:\n${demo.output()}`);
    const http = page.context().request;
    for (let i = 1; i <= EXTRA_ACME; i++) {
      const r = await http.post(`${emulator}/_emulator/users/${DANA_ID}/messages`, {
        data: {
          folder: "inbox",
          subject: `Acme weekly update ${i}`,
          from: "Alice Martin <alice@acme.com>",
          to: ["Dana Kim <dana@contoso.com>"],
          receivedDateTime: `-${i * 5 + 30}m`,
          sentDateTime: `-${i * 5 + 30}m`,
          internetMessageId: `<weekly-${i}.e2e@acme.com>`,
          body: `Update ${i}.`,
          bodyContentType: "text",
        },
      });
      expect(r.status()).toBe(201);
    }
    const minted = await http.post(`${emulator}/_emulator/tokens`, {
      data: { userId: DANA_ID, clientId: DEMO_CLIENT_ID, audience: DEMO_CLIENT_ID, scopes: ["access_as_user"] },
    });
    const t = (await minted.json()) as { token?: string; accessToken?: string; access_token?: string };
    const token = t.token ?? t.accessToken ?? t.access_token;
    const sweep = await http.post(`${demo.base}/api/sweeps?wait=true`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(sweep.status()).toBe(200);
  }

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    demo = await createDemo("ec-e2e-history-");
    await demo.start();
    browser = await launchChromium();
    page = await newPage(browser, errors);
  });

  afterEach(async () => {
    if (page && !page.isClosed()) await page.screenshot({ path: path.join(SHOTS, "history-last.png") }).catch(() => {});
    if (errors.length) fs.writeFileSync(path.join(SHOTS, "history-browser-errors.txt"), errors.join("\n"));
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.dispose();
  });

  test("Dana opens a captured email from the status card, reads it, and goes back with Escape", async () => {
    await page.goto(`${demo.base}/preview?user=dana@contoso.com`);
    await narrow(page);
    await page.getByRole("button", { name: /^Onboarding call notes —/ }).click();
    await signInIfAsked();
    await expect(pane().getByRole("heading", { name: "Captured", level: 2 })).toBeVisibleSoon();
    await press("Open the captured email");
    const heading = pane().getByRole("heading", { level: 2, name: "Onboarding call notes" });
    await expect(heading).toBeVisibleSoon();
    await expect(pane().getByLabel("Text of the email")).toBeVisibleSoon();
    await expect(pane().getByText("Carol Diaz <carol@initech.com>").first()).toBeVisibleSoon();
    const text = (await pane().locator("section[aria-labelledby=engagement-heading]").textContent()) ?? "";
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/i);
    await shot("1-email-from-status-light");
    await scan("email-light");
    await heading.press("Escape");
    await expect(pane().getByRole("button", { name: "Open the captured email" })).toBeVisibleSoon();
    expect(await pane().locator(":focus").textContent()).toBe("Open the captured email");
  });

  test("Carol's history lists Dana's and Lee's emails with her; Lee's shows no subject; one opens and Back returns", async () => {
    await press("History with Carol Diaz");
    await expect(pane().getByRole("heading", { level: 2, name: "History with Carol Diaz" })).toBeVisibleSoon();
    const list = pane().getByRole("list", { name: /^Emails with Carol Diaz/ });
    await expect(list.getByRole("button", { name: "Onboarding call notes" })).toBeVisibleSoon();
    // Lee's "Initech order form": Lee shares the organization's default, who and when.
    await expect(list.getByRole("listitem").filter({ hasText: "Lee Park's mailbox" })).toBeVisibleSoon();
    await expect(
      list
        .getByRole("listitem")
        .filter({ hasText: "Lee Park's mailbox" })
        .getByRole("button", { name: "Subject not shared" }),
    ).toBeVisibleSoon();
    expect(await list.getByText("Initech order form").count()).toBe(0);
    await shot("2-history-carol-light");
    await scan("history-light");
    await list.getByRole("button", { name: "Onboarding call notes" }).press("Enter");
    await expect(pane().getByRole("heading", { level: 2, name: "Onboarding call notes" })).toBeVisibleSoon();
    await shot("3-email-from-history");
    await press(/Back to the history/);
    await expect(list.getByRole("button", { name: "Onboarding call notes" })).toBeVisibleSoon();
    expect(await pane().locator(":focus").textContent()).toBe("Onboarding call notes");
  });

  test("Acme Corp's history in pages: Show more brings the older emails", async () => {
    await moreAcmeMail();
    await page
      .getByRole("button", { name: /^Renewal timeline for Q1 —/ })
      .first()
      .click();
    await press("History with Alice Martin");
    await pane().getByRole("button", { name: "All of Acme Corp" }).press("Enter");
    await expect(pane().getByRole("heading", { level: 2, name: "History with Acme Corp" })).toBeVisibleSoon();
    const items = pane()
      .getByRole("list", { name: /^Emails with Acme Corp/ })
      .getByRole("listitem");
    await expect(items).toHaveCountSoon(10);
    await shot("4-history-acme-page-1");
    await press("Show more");
    await expect(items.nth(10)).toBeVisibleSoon();
    expect(await items.count()).toBeGreaterThan(10);
    expect(await pane().locator(":focus").textContent()).toBe(await items.nth(10).getByRole("button").textContent());
    await shot("5-history-acme-page-2");
  });

  test("Lee sees Dana's email with Carol at who-and-when, then in full once Dana shares everything", async () => {
    await as("lee");
    await openMessage(/^Initech order form —/);
    await press("History with Carol Diaz");
    const list = pane().getByRole("list", { name: /^Emails with Carol Diaz/ });
    const danas = list.getByRole("listitem").filter({ hasText: "Dana Kim's mailbox" });
    await expect(danas.first()).toBeVisibleSoon();
    expect(await list.getByText("Onboarding call notes").count()).toBe(0);
    await danas.first().getByRole("button", { name: "Subject not shared" }).press("Enter");
    await expect(pane().getByText("Dana Kim shares only who and when.")).toBeVisibleSoon();
    expect(await pane().getByLabel("Text of the email").count()).toBe(0);
    await shot("6-lee-sees-metadata");
    await scan("email-metadata-light");

    await as("dana");
    await press("What teammates see of your email");
    // Her own level, in her own panel (an administrator's Mailboxes tab has an "Everything" of its own).
    await pane()
      .getByRole("region", { name: "What teammates see of your email" })
      .getByRole("radio", { name: "Everything" })
      .check();
    await expect(pane().getByTestId("announcer")).toHaveTextSoon(
      "Saved. Teammates see who took part, when, the subject and the text.",
    );
    await shot("7-dana-shares-everything");
    await scan("my-sharing-light");

    await as("lee");
    await openMessage(/^Initech order form —/);
    await press("History with Carol Diaz");
    await list.getByRole("button", { name: "Onboarding call notes" }).press("Enter");
    await expect(pane().getByRole("heading", { level: 2, name: "Onboarding call notes" })).toBeVisibleSoon();
    await expect(pane().getByLabel("Text of the email")).toBeVisibleSoon();
    await shot("8-lee-sees-everything");
  });

  test("the administrator's default applies to Lee's mailbox when he connects it again", async () => {
    await press(/Back to the history/);
    await press(/Back to the message/);
    await press("Disconnect");
    await press("Yes, disconnect");
    await expect(pane().getByText("Mailbox disconnected", { exact: true })).toBeVisibleSoon();

    await as("dana");
    await pane().getByRole("tab", { name: "Mailboxes" }).press("Enter");
    const org = pane().getByRole("region", { name: "What teammates see of each other's email" });
    await org.getByRole("radio", { name: "Who, when and subject" }).check();
    await press("Save sharing settings");
    await expect(org.getByText("Saved.")).toBeVisibleSoon();
    await shot("9-admin-default-subject");
    await scan("organization-sharing-light");

    await as("lee");
    const popup = page.context().waitForEvent("page", { timeout: 30_000 });
    await press("Connect Microsoft 365");
    await (await popup).waitForEvent("close", { timeout: 60_000 }).catch(() => {});
    await expect(pane().getByText(/Connected as lee@contoso\.com/)).toBeVisibleSoon();
    // A reconnect reads mail captured before again: the banner gives no count of it. (The screen-reader
    // announcer may repeat the sentence for a moment, hence first().)
    await expect(
      pane()
        .getByText(/Capture is up to date\./)
        .first(),
    ).toBeVisibleSoon();
    expect(
      await pane()
        .getByText(/Captured \d+ new email/)
        .count(),
    ).toBe(0);
    await press("What teammates see of your email");
    const mine = pane().getByRole("region", { name: "What teammates see of your email" });
    expect(
      await mine.getByRole("radio", { name: /^Your organization's default: who, when and subject$/ }).isChecked(),
    ).toBe(true);
    await shot("10-lee-connected-default");

    await as("dana");
    await openMessage(/^Onboarding call notes —/);
    await press("History with Carol Diaz");
    const list = pane().getByRole("list", { name: /^Emails with Carol Diaz/ });
    await list.getByRole("button", { name: "Initech order form" }).press("Enter");
    await expect(pane().getByText("Lee Park shares only who, when and the subject.")).toBeVisibleSoon();
    expect(await pane().getByLabel("Text of the email").count()).toBe(0);
    await shot("11-dana-sees-lee-subject");
  });

  test("the new views pass axe in the dark theme at 320 px", async () => {
    await page.getByLabel("Dark theme").check();
    await narrow(page);
    await signInIfAsked();
    await openMessage(/^Onboarding call notes —/);
    await press("Open the captured email");
    await expect(pane().getByLabel("Text of the email")).toBeVisibleSoon();
    await shot("12-email-dark");
    await scan("email-dark");
    await press(/Back to the message/);
    await press("History with Carol Diaz");
    await expect(pane().getByRole("list", { name: /^Emails with Carol Diaz/ })).toBeVisibleSoon();
    await shot("13-history-dark");
    await scan("history-dark");
    await press(/Back to the message/);
    await press("What teammates see of your email");
    await expect(pane().getByRole("radiogroup")).toBeVisibleSoon();
    await shot("14-my-sharing-dark");
    await scan("my-sharing-dark");
    await pane().getByRole("tab", { name: "Mailboxes" }).press("Enter");
    await expect(pane().getByRole("region", { name: "What teammates see of each other's email" })).toBeVisibleSoon();
    await shot("15-organization-sharing-dark");
    await scan("organization-sharing-dark");
  });
});

if (!haveChromium) {
  test.skip("browser end-to-end tests need Chromium (apt-get install chromium)", () => {});
}
