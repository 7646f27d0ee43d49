/**
 * The callback is public; only the signed state says who it is for. Each way of abusing it is
 * rejected with a 400 page that says what was wrong — and nothing is stored.
 */
import {
  ADA,
  BOB,
  EVE,
  TENANT,
  authorize,
  callback,
  connectRow,
  startConnect,
  startHarness,
  type Harness,
} from "./harness";

jest.setTimeout(30_000);

let h: Harness;
let ada: string;
let bob: string;
beforeAll(async () => {
  h = await startHarness();
  ada = await h.userIdOf(ADA.id);
  bob = await h.userIdOf(BOB.id);
});
afterAll(async () => {
  await h?.close();
});

async function connectionCount(): Promise<number> {
  return (await h.db.selectFrom("mailboxConnections").select("id").execute()).length;
}

async function addressesOf(userId: string): Promise<string> {
  return (await h.db.selectFrom("users").select("addresses").where("id", "=", userId).executeTakeFirstOrThrow())
    .addresses;
}

/** The page is a clear rejection: 400, failed, the expected code and words, no inline script. */
function expectRejected(page: { status: number; html: string }, code: string, words: RegExp) {
  expect(page.status).toBe(400);
  expect(page.html).toContain('data-status="failed"');
  expect(page.html).toContain(`data-code="${code}"`);
  expect(page.html).toMatch(words);
  expect(page.html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
}

describe("callback attacks: nothing stored", () => {
  beforeEach(async () => {
    // Each case starts without a connection for anyone (the replay case makes one on purpose).
    await h.db.deleteFrom("mailboxConnections").execute();
    h.connected.length = 0;
  });

  afterEach(async () => {
    if (expect.getState().currentTestName?.includes("replayed")) return;
    expect(await connectionCount()).toBe(0);
    expect(h.connected).toHaveLength(0);
  });

  it("missing state", async () => {
    expectRejected(await callback(h, "/auth/callback?code=abc"), "missing_state", /did not say which connect request/);
  });

  it("tampered state: edited user id, or a flipped signature byte", async () => {
    const url = await startConnect(h, ADA.id);
    const redirect = await authorize(h, url);
    const state = redirect.searchParams.get("state")!;
    const [v, body, sig] = state.split(".");
    const payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    const forgedBody = Buffer.from(JSON.stringify({ ...payload, u: bob }), "utf8").toString("base64url");
    const sigBytes = Buffer.from(sig, "base64url");
    sigBytes[0] ^= 0x01;
    for (const forged of [
      `${v}.${forgedBody}.${sig}`,
      `${v}.${body}.${sigBytes.toString("base64url")}`,
      "not-a-state",
    ]) {
      const r = new URL(redirect);
      r.searchParams.set("state", forged);
      expectRejected(await callback(h, r), "invalid_state", /not issued by this server or was altered/);
    }
    // The genuine state is still unused and works: the rejections did not consume it.
    expect((await callback(h, redirect)).status).toBe(200);
    await h.db.deleteFrom("mailboxConnections").execute();
    h.connected.length = 0;
  });

  it("replayed state: the second use is refused and changes nothing", async () => {
    const redirect = await authorize(h, await startConnect(h, ADA.id));
    expect((await callback(h, redirect)).status).toBe(200);
    const before = await connectRow(h, ada);
    const tokenCalls = h.emulator.state.requestCounts(ADA.id).byKind.token;
    h.advance(60_000);
    expectRejected(await callback(h, redirect), "used_state", /already used/);
    expect(await connectRow(h, ada)).toEqual(before);
    expect(h.emulator.state.requestCounts(ADA.id).byKind.token).toBe(tokenCalls); // the code was not even tried again
    expect(h.connected).toHaveLength(1);
  });

  it("expired state (older than 10 minutes)", async () => {
    const url = await startConnect(h, ADA.id);
    h.advance(11 * 60_000);
    const redirect = await authorize(h, url); // a fresh code from Microsoft, but the request is stale
    const tokenCalls = h.emulator.state.requestCounts(ADA.id).byKind.token;
    expectRejected(await callback(h, redirect), "expired_state", /valid for 10 minutes/);
    expect(h.emulator.state.requestCounts(ADA.id).byKind.token).toBe(tokenCalls);
  });

  it("state bound to Ada, consent given by Bob (another account of the same tenant)", async () => {
    const bobAddresses = await addressesOf(bob);
    const url = await startConnect(h, ADA.id);
    url.searchParams.set("login_hint", BOB.upn);
    const page = await callback(h, await authorize(h, url));
    expectRejected(page, "wrong_account", /not the account you use in Outlook/);
    expect(page.html).toContain(BOB.upn);
    expect(await connectRow(h, ada)).toBeNull();
    expect(await connectRow(h, bob)).toBeNull();
    expect(await addressesOf(bob)).toBe(bobAddresses);
  });

  it("callback with an account of another tenant", async () => {
    const url = await startConnect(h, ADA.id);
    url.searchParams.set("login_hint", EVE.upn);
    expectRejected(await callback(h, await authorize(h, url)), "wrong_account", /nothing was stored/);
  });

  it("state from another user's request: Bob's code pasted under Ada's state fails PKCE", async () => {
    const adaRedirect = await authorize(h, await startConnect(h, ADA.id));
    const bobRedirect = await authorize(h, await startConnect(h, BOB.id));
    const swapped = new URL(adaRedirect);
    swapped.searchParams.set("code", bobRedirect.searchParams.get("code")!);
    expectRejected(await callback(h, swapped), "code_rejected", /rejected by Microsoft/);
    // …and Ada's state is spent: it cannot be retried with her own code either.
    expectRejected(await callback(h, adaRedirect), "used_state", /already used/);
  });

  it("missing code", async () => {
    const redirect = await authorize(h, await startConnect(h, ADA.id));
    redirect.searchParams.delete("code");
    expectRejected(await callback(h, redirect), "missing_code", /no authorization code/);
  });

  it("forged code", async () => {
    const redirect = await authorize(h, await startConnect(h, ADA.id));
    redirect.searchParams.set("code", "1.AQforged-code-that-microsoft-never-issued");
    expectRejected(await callback(h, redirect), "code_rejected", /rejected by Microsoft/);
  });

  it("consent declined at Microsoft", async () => {
    const url = await startConnect(h, ADA.id);
    url.searchParams.set("emulator_action", "cancel");
    const redirect = await authorize(h, url);
    expect(redirect.searchParams.get("error")).toBe("access_denied");
    const page = await callback(h, redirect);
    expectRejected(page, "consent_declined", /access was declined/);
    expect(page.html).toContain("AADSTS65004"); // the number only, parsed from Microsoft's description
    expect(page.html).not.toContain("Trace ID");
  });

  it("the query's error text is never shown: a fixed sentence per error code, the AADSTS number, the description logged", async () => {
    const redirect = await authorize(h, await startConnect(h, ADA.id));
    redirect.searchParams.delete("code");
    redirect.searchParams.set("error", "server_error");
    redirect.searchParams.set(
      "error_description",
      "AADSTS50011: Your account is locked. Call +1 555 0100 or visit https://evil.example/unlock <img src=x>",
    );
    const logged = h.logLines.length;
    const page = await callback(h, redirect);
    expectRejected(page, "authorize_error", /reported an error/);
    expect(page.html).toContain("Microsoft had an internal error. Microsoft error AADSTS50011.");
    for (const text of ["locked", "555", "evil.example", "img"]) expect(page.html).not.toContain(text);
    const log = h.logLines.slice(logged).join("");
    expect(log).toContain("connect callback: authorization error");
    expect(log).toContain("evil.example/unlock"); // whoever investigates sees what Microsoft (or the link) said
  });

  it("an unknown error code, or a description that only mentions an AADSTS number, adds nothing to the page", async () => {
    for (const [error, description] of [
      ["<b>pwned</b>", "AADSTS9 is fine: call us"],
      ["server_error", "Please call support, AADSTS50011: locked"],
      ["server_error", "AADSTS50011x: locked"],
    ]) {
      const redirect = await authorize(h, await startConnect(h, ADA.id));
      redirect.searchParams.delete("code");
      redirect.searchParams.set("error", error);
      redirect.searchParams.set("error_description", description);
      const page = await callback(h, redirect);
      expectRejected(page, "authorize_error", /reported an error/);
      for (const text of ["pwned", "call us", "support", "AADSTS", "locked"]) expect(page.html).not.toContain(text);
    }
  });
});

describe("callback page", () => {
  it("serves its script externally, and the page is not cacheable nor leaks its URL", async () => {
    const js = await h.app.request("/auth/callback.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect(await js.text()).toContain("messageParent");
    const page = await callback(h, "/auth/callback");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    expect(page.html).toContain('src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js"');
    expect(page.html).toContain('data-parent-origin="https://addin.contoso.test"');
  });

  it("POST /api/connection needs a signed-in user", async () => {
    expect((await h.app.request("/api/connection", { method: "POST" })).status).toBe(401);
    expect((await h.app.request("/api/connection", { method: "DELETE" })).status).toBe(401);
  });

  it("the org id in the state is the caller's tenant", async () => {
    const url = await startConnect(h, ADA.id);
    const payload = JSON.parse(Buffer.from(url.searchParams.get("state")!.split(".")[1], "base64url").toString("utf8"));
    expect(payload).toMatchObject({ o: TENANT, u: ada });
  });
});
