/**
 * End to end (issue 21, the pane): people control what is captured from Outlook. The real `npm start`
 * in demo mode and the browser preview in Chromium, the pane at Outlook's narrowest (320 px): edit and
 * untrack a contact, move a contact to another client, no Track for a colleague and a warning for a role
 * address, a personal block added and removed, a personal block and an administrator's organization-wide
 * block that remove engagements already captured (the count before, the message's status after), untrack
 * with removal, a member who sees the organization's entries read-only, and a demo restart in the same data
 * folder that keeps the blocks, the untracked contacts and a disconnect. Each pane view is scanned with axe-core (no serious or critical violation) in the
 * light and the dark theme. Screenshots go to test-results/e2e/control-*.png.
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
  narrow as narrowPane,
  newPage,
  paneOf,
  scanPane,
  type Demo,
} from "./demo-harness";

const describeIf = haveChromium ? describe : describe.skip;

jest.setTimeout(240_000);
extendExpect();

describeIf(`control from the pane: npm start in demo mode, in Chromium (${CHROMIUM})`, () => {
  let demo: Demo & { dispose(): Promise<void> };
  let base = "";
  let browser: Browser;
  let page: Page;
  const browserErrors: string[] = [];
  const pane = () => paneOf(page);
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `control-${name}.png`) });
  const narrow = () => narrowPane(page);

  /** axe-core on the pane's document only; serious and critical violations fail the test. */
  async function scan(view: string) {
    expect(await scanPane(page, `control-axe-${view}.json`)).toEqual([]);
  }

  async function tab(name: string) {
    // The keyboard, as in demo.test.ts: headless Chromium stops painting the pane's iframe after the
    // sign-in popup, and a mouse click waits for paint.
    await pane().getByRole("tab", { name }).press("Enter");
  }

  async function signIn() {
    await pane().getByRole("button", { name: "Sign in" }).click();
    await expect(pane().getByRole("tab", { name: "Contacts" })).toBeVisibleSoon();
  }

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    demo = await createDemo("ec-e2e-control-");
    base = demo.base;
    await demo.start();
    browser = await launchChromium();
    page = await newPage(browser, browserErrors);
  });

  afterEach(async () => {
    if (page && !page.isClosed()) await page.screenshot({ path: path.join(SHOTS, "control-last.png") }).catch(() => {});
    if (browserErrors.length)
      fs.writeFileSync(path.join(SHOTS, "control-browser-errors.txt"), browserErrors.join("\n"));
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.dispose();
  });

  test("Dana signs in; the message view passes axe at 320 px", async () => {
    await page.goto(`${base}/preview?user=dana@contoso.com`);
    await narrow();
    await page.getByRole("button", { name: /Pilot feedback from the Globex team/ }).click();
    await signIn();
    await expect(pane().getByRole("heading", { name: "Captured", level: 2 })).toBeVisibleSoon();
    await shot("1-message-light");
    await scan("message-light");
  });

  test("edit a contact's name, move a contact to another client, untrack a contact", async () => {
    await tab("Contacts");
    const list = pane().getByRole("list", { name: "Contacts" });
    await expect(list.getByRole("listitem", { name: /bob@globex\.com/ })).toBeVisibleSoon();
    await shot("2-contacts");
    await scan("contacts-light");

    // Edit Bob's name.
    await pane().getByRole("button", { name: "Edit bob@globex.com" }).press("Enter");
    const edit = pane().getByRole("form", { name: "Edit bob@globex.com" });
    await edit.getByRole("textbox", { name: "Name" }).fill("Bob R. Novak");
    await shot("3-contact-edit");
    await edit.getByRole("button", { name: "Save" }).press("Enter");
    await expect(list.getByText("Bob R. Novak")).toBeVisibleSoon();

    // Move Ravi from Acme Corp to Initech.
    await pane().getByRole("button", { name: "Edit ravi@acme.com" }).press("Enter");
    const move = pane().getByRole("form", { name: "Edit ravi@acme.com" });
    const client = move.getByRole("combobox", { name: /Client/ });
    await client.fill("");
    await client.pressSequentially("Initech", { delay: 20 });
    await move.getByRole("button", { name: "Save" }).press("Enter");
    await expect(list.getByRole("listitem", { name: /ravi@acme\.com/ }).getByText("Client: Initech")).toBeVisibleSoon();
    await shot("4-contact-moved");

    // Initech's contacts: Carol and, now, Ravi.
    const filter = pane().getByRole("combobox", { name: "Client", exact: true });
    // Fluent's Dropdown: Enter opens the list, typing moves to the matching option, Enter chooses it.
    await filter.press("Enter");
    await filter.pressSequentially("Init", { delay: 20 });
    await filter.press("Enter");
    await expect(filter).toHaveTextSoon("Initech");
    await expect(list.getByRole("listitem")).toHaveCountSoon(2);
    await shot("5-client-contacts");

    // Untrack Ravi: the question says engagements stay.
    await pane().getByRole("button", { name: "Untrack ravi@acme.com" }).press("Enter");
    const question = pane().getByRole("group", { name: /^Stop tracking ravi@acme\.com\?/ });
    await expect(
      question.getByText(/Engagements already captured with them stay unless you remove them/),
    ).toBeVisibleSoon();
    await shot("6-untrack-confirm");
    await question.getByRole("button", { name: "Yes, untrack" }).press("Enter");
    await expect(list.getByRole("listitem")).toHaveCountSoon(1);
    expect(await list.getByRole("listitem", { name: /ravi@acme\.com/ }).count()).toBe(0);
    await shot("7-untracked");

    // Untrack Carol and remove what was captured with her: the preview's count first, unchecked.
    await pane().getByRole("button", { name: "Untrack carol@initech.com" }).press("Enter");
    const carol = pane().getByRole("group", { name: /^Stop tracking carol@initech\.com\?/ });
    const remove = carol.getByRole("checkbox", {
      name: /^Also remove the \d+ engagements? already captured with carol@initech\.com$/,
    });
    await expect(remove).toBeVisibleSoon();
    expect(await remove.isChecked()).toBe(false);
    const count = Number(/the (\d+) engagement/.exec((await carol.textContent()) ?? "")![1]);
    expect(count).toBeGreaterThan(0);
    await expect(carol.getByText(/As an administrator, you remove them for your whole organization/)).toBeVisibleSoon();
    await remove.check();
    await shot("7b-untrack-with-removal");
    await scan("untrack-removal-light");
    await carol.getByRole("button", { name: "Yes, untrack" }).press("Enter");
    await expect(list).toBeHiddenSoon();
    await expect(pane().getByTestId("announcer")).toHaveTextSoon(
      `Stopped tracking carol@initech.com. Removed ${count} engagement${count === 1 ? "" : "s"} already captured.`,
    );
    await shot("7c-untracked-removed");
  });

  test("no Track for a colleague; a warning before tracking a role address", async () => {
    await tab("This message");
    await page.getByRole("button", { name: /^Lunch\?/ }).click();
    const people = pane().getByRole("list", { name: "People on this message" });
    await expect(people.getByRole("listitem", { name: "Lee Park, From, Colleague" })).toBeVisibleSoon();
    expect(await people.getByRole("button", { name: /^(Track|Block)/ }).count()).toBe(0);
    await shot("8-colleague-no-track");

    await page.getByRole("button", { name: /Your weekly digest/ }).click();
    await pane().getByRole("button", { name: "Track news@vendor.example" }).first().press("Enter");
    const dialog = pane().getByRole("dialog");
    await expect(dialog.getByText("This looks like a shared address")).toBeVisibleSoon();
    await expect(dialog.getByText(/tracked for everyone in your organization/)).toBeVisibleSoon();
    await expect(dialog.getByRole("button", { name: "Track anyway" })).toBeVisibleSoon();
    await page.waitForTimeout(500); // the dialog's fade-in
    await shot("9-role-address-warning");
    await scan("track-dialog-light");
    await dialog.getByRole("button", { name: "Cancel" }).press("Enter");
    await expect(dialog).toBeHiddenSoon();
  });

  test("Block on a person, and a message captured before the block says so", async () => {
    await page.getByRole("button", { name: /Pilot feedback from the Globex team/ }).click();
    await expect(pane().getByRole("heading", { name: "Captured", level: 2 })).toBeVisibleSoon();
    await pane().getByRole("button", { name: "Block bob@globex.com" }).press("Enter");
    // An administrator chooses the list; personal is the default.
    await expect(pane().getByRole("radio", { name: "Only my mailbox" })).toBeVisibleSoon();
    await pane().getByRole("button", { name: "Yes, block", exact: true }).press("Enter");
    await expect(pane().getByText("Captured before the block")).toBeVisibleSoon();
    await expect(pane().getByRole("listitem", { name: "Bob Novak, From, Tracked, blocked" })).toBeVisibleSoon();
    await shot("10a-captured-before-block");
  });

  test("a personal block added and removed; an administrator's organization-wide block", async () => {
    await tab("Blocklist");
    // Bob, blocked from the People list above, is on the personal list; removing him leaves it empty.
    const personal = pane().getByRole("region", { name: "Your blocklist" });
    await personal.getByRole("button", { name: "Remove bob@globex.com" }).press("Enter");
    await personal.getByRole("button", { name: "Yes, remove" }).press("Enter");
    await expect(personal.getByText("You haven't blocked anyone.", { exact: false })).toBeVisibleSoon();
    const input = pane().getByRole("textbox", { name: /Block an address or domain/ });
    await expect(input).toBeVisibleSoon();
    await scan("blocklist-admin-light");
    await input.fill("@spam.example");
    await pane().getByRole("button", { name: "Block", exact: true }).press("Enter");
    await pane().getByRole("button", { name: "Yes, block", exact: true }).press("Enter");
    const mine = pane().getByRole("region", { name: "Your blocklist" });
    await expect(mine.getByText("@spam.example")).toBeVisibleSoon();
    await shot("10-personal-block");

    await mine.getByRole("button", { name: "Remove @spam.example" }).press("Enter");
    await mine.getByRole("button", { name: "Yes, remove" }).press("Enter");
    await expect(mine.getByText("You haven't blocked anyone.", { exact: false })).toBeVisibleSoon();
    await shot("11-personal-block-removed");

    // A personal block of Bob WITH removal: the count before (Pilot feedback, in Dana's mailbox alone).
    await input.fill("bob@globex.com");
    await pane().getByRole("button", { name: "Block", exact: true }).press("Enter");
    const removeBob = pane().getByRole("checkbox", {
      name: "Also remove the 1 engagement already captured with bob@globex.com",
    });
    await expect(removeBob).toBeVisibleSoon();
    await expect(pane().getByText(/Only engagements captured from your mailbox alone are removed/)).toBeVisibleSoon();
    await removeBob.check();
    await shot("11b-personal-block-with-removal");
    await scan("block-removal-light");
    await pane().getByRole("button", { name: "Yes, block", exact: true }).press("Enter");
    await expect(mine.getByText("bob@globex.com")).toBeVisibleSoon();
    await expect(pane().getByTestId("announcer")).toHaveTextSoon("Removed 1 engagement already captured.");
    // The message's status afterwards: not captured, removed, in the server's words.
    await tab("This message");
    await page.getByRole("button", { name: /Pilot feedback from the Globex team/ }).click();
    await expect(pane().getByRole("heading", { name: "Not captured", level: 2 })).toBeVisibleSoon();
    await expect(pane().getByText(/^Removed /)).toBeVisibleSoon();
    await expect(
      pane().getByText(/its engagement was removed when a participant was added to the blocklist/),
    ).toBeVisibleSoon();
    await shot("11c-message-removed");
    await scan("message-removed-light");
    await tab("Blocklist");

    // An administrator's organization-wide block of Alice, with removal across mailboxes.
    await pane().getByRole("radio", { name: "Everyone in the organization" }).check();
    await input.fill("alice@acme.com");
    await pane().getByRole("button", { name: "Block for everyone" }).press("Enter");
    const removeAlice = pane().getByRole("checkbox", {
      name: /^Also remove the \d+ engagements? already captured with alice@acme\.com$/,
    });
    await expect(removeAlice).toBeVisibleSoon();
    await expect(
      pane().getByText(/As an administrator, you remove them for your whole organization/),
    ).toBeVisibleSoon();
    const aliceAsk = pane().getByRole("group", { name: /^Block alice@acme\.com for everyone\?/ });
    const aliceCount = Number(/the (\d+) engagement/.exec((await aliceAsk.textContent()) ?? "")?.[1] ?? NaN);
    expect(aliceCount).toBeGreaterThan(0);
    await removeAlice.check();
    await shot("11d-organization-block-with-removal");
    await pane().getByRole("button", { name: "Yes, block for everyone" }).press("Enter");
    const org = pane().getByRole("region", { name: "Your organization's blocklist" });
    await expect(org.getByText("alice@acme.com")).toBeVisibleSoon();
    await expect(pane().getByTestId("announcer")).toHaveTextSoon(
      `Removed ${aliceCount} engagement${aliceCount === 1 ? "" : "s"} already captured.`,
    );
    // And one without removal.
    await input.fill("@adverts.example");
    await pane().getByRole("button", { name: "Block for everyone" }).press("Enter");
    await pane().getByRole("button", { name: "Yes, block for everyone" }).press("Enter");
    await expect(org.getByText("@adverts.example")).toBeVisibleSoon();
    await expect(org.getByRole("button", { name: "Remove @adverts.example" })).toBeVisibleSoon();
    await shot("12-organization-block");
    await tab("Mailboxes");
    await expect(pane().getByRole("heading", { name: "Mailbox health" })).toBeVisibleSoon();
    await scan("mailboxes-light");
    await tab("Blocklist");
    // Four tabs for an administrator: none is cut off at 320 px.
    const mailboxes = await pane().getByRole("tab", { name: "Mailboxes" }).boundingBox();
    const frame = await page.locator("#pane").boundingBox();
    expect(mailboxes!.x + mailboxes!.width).toBeLessThanOrEqual(frame!.x + frame!.width);
  });

  test("Lee, a member, sees the organization's entries read-only", async () => {
    await page.getByLabel("Mailbox shown:").selectOption("lee@contoso.com");
    await narrow();
    await signIn();
    await tab("Blocklist");
    const org = pane().getByRole("region", { name: "Your organization's blocklist" });
    await expect(org.getByText("@adverts.example")).toBeVisibleSoon();
    await expect(org.getByText(/Only an administrator can change them/)).toBeVisibleSoon();
    expect(await org.getByRole("button").count()).toBe(0);
    expect(await pane().getByRole("radio").count()).toBe(0);
    await shot("13-member-read-only");
    await scan("blocklist-member-light");
  });

  test("every view passes axe in the dark theme at 320 px", async () => {
    await page.getByLabel("Dark theme").check();
    await narrow();
    const signInButton = pane().getByRole("button", { name: "Sign in" });
    const tabs = pane().getByRole("tab", { name: "Contacts" });
    await Promise.race([signInButton.waitFor({ timeout: 20_000 }), tabs.waitFor({ timeout: 20_000 })]);
    if (await signInButton.isVisible()) await signIn();
    await page
      .getByRole("button", { name: /Initech order form/ })
      .first()
      .click();
    await expect(
      pane().getByRole("heading", { level: 2, name: /Captured|Will be captured|Not captured/ }),
    ).toBeVisibleSoon();
    await shot("14-message-dark");
    await scan("message-dark");
    await tab("Contacts");
    await expect(pane().getByRole("list", { name: "Contacts" })).toBeVisibleSoon();
    await shot("15-contacts-dark");
    await scan("contacts-dark");
    await tab("Blocklist");
    await expect(pane().getByRole("region", { name: "Your organization's blocklist" })).toBeVisibleSoon();
    await shot("16-blocklist-dark");
    await scan("blocklist-dark");

    // Back to Dana, the administrator, for the Mailboxes view.
    await page.getByLabel("Mailbox shown:").selectOption("dana@contoso.com");
    await narrow();
    await Promise.race([signInButton.waitFor({ timeout: 20_000 }), tabs.waitFor({ timeout: 20_000 })]);
    if (await signInButton.isVisible()) await signIn();
    await tab("Mailboxes");
    await expect(pane().getByRole("heading", { name: "Mailbox health" })).toBeVisibleSoon();
    await shot("17-mailboxes-dark");
    await scan("mailboxes-dark");
  });

  test("a demo restart keeps the blocks and a disconnect", async () => {
    // Dana disconnects her mailbox, then the demo restarts in the same data folder.
    await tab("This message");
    await pane().getByRole("button", { name: "Disconnect" }).press("Enter");
    await pane().getByRole("button", { name: "Yes, disconnect" }).press("Enter");
    await expect(pane().getByText("Mailbox disconnected", { exact: true })).toBeVisibleSoon();
    await demo.stop();
    await demo.start();

    // A new browser profile: the old one's sign-in belonged to the emulator that stopped with the demo.
    const old = page.context();
    page = await newPage(browser, browserErrors);
    await old.close();
    await page.goto(`${base}/preview?user=dana@contoso.com`);
    await narrow();
    await page.getByRole("button", { name: /Pilot feedback from the Globex team/ }).click();
    await signIn();
    await expect(pane().getByText("Mailbox disconnected", { exact: true })).toBeVisibleSoon();
    await tab("Blocklist");
    const org = pane().getByRole("region", { name: "Your organization's blocklist" });
    await expect(org.getByText("alice@acme.com")).toBeVisibleSoon();
    await expect(org.getByText("@adverts.example")).toBeVisibleSoon();
    await expect(pane().getByRole("region", { name: "Your blocklist" }).getByText("bob@globex.com")).toBeVisibleSoon();
    await shot("18-after-restart-blocklist");
    await tab("Contacts");
    const list = pane().getByRole("list", { name: "Contacts" });
    await expect(list.getByRole("listitem", { name: /bob@globex\.com/ })).toBeVisibleSoon();
    // Untracked contacts stay untracked.
    expect(await list.getByRole("listitem", { name: /carol@initech\.com|ravi@acme\.com/ }).count()).toBe(0);
    await shot("19-after-restart-contacts");
  });
});

if (!haveChromium) {
  test.skip(`browser end-to-end tests need Chromium at ${CHROMIUM} (apt-get install chromium)`, () => {});
}
