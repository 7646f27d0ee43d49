/**
 * The real @microsoft/microsoft-graph-client against the emulator over HTTPS: paging with
 * PageIterator over absolute nextLinks, $batch, and RetryHandler obeying Retry-After on 429.
 */
import { Client, PageIterator, type PageCollection } from "@microsoft/microsoft-graph-client";
import { startTestEmulator, type TestEmulator } from "./helpers";
import { SAMPLE_CLIENT_ID, SAMPLE_USERS } from "../../emulator/sample-data";

describe("Graph SDK against the emulator", () => {
  let t: TestEmulator;
  let token: string;
  const user = SAMPLE_USERS.ben;

  beforeAll(async () => {
    t = await startTestEmulator();
    for (let i = 0; i < 25; i++) {
      t.emulator.state.addMessage(user, {
        subject: `msg ${i}`,
        from: "x@fabrikam.com",
        to: ["ben@contoso.com"],
        receivedDateTime: `-${i + 1}m`,
      });
    }
    token = t.emulator.state.mintAccessToken({
      userId: user,
      clientId: SAMPLE_CLIENT_ID,
      audience: "https://graph.microsoft.com",
      scopes: ["Mail.Read", "User.Read"],
    });
  });
  afterAll(() => t.close());
  afterEach(() => t.emulator.state.clearFaults());

  function client(): Client {
    return Client.init({
      baseUrl: t.emulator.url,
      authProvider: (done) => done(null, token),
      fetchOptions: t.outbound.fetchOptions,
      customHosts: new Set(["localhost"]),
    });
  }

  it("reads /me with the signed-in user's identity", async () => {
    const me = await client().api("/me").select("id,displayName,mail,userPrincipalName,proxyAddresses").get();
    expect(me).toMatchObject({
      id: user,
      mail: "ben@contoso.com",
      userPrincipalName: "ben@contoso.onmicrosoft.com",
      proxyAddresses: ["SMTP:ben@contoso.com", "smtp:ben@contoso.onmicrosoft.com"],
    });
  });

  it("pages through every message with PageIterator following absolute https nextLinks", async () => {
    t.emulator.state.resetCounts();
    const first: PageCollection = await client()
      .api("/me/messages")
      .select("id,subject,receivedDateTime")
      .top(10)
      .get();
    expect(first["@odata.nextLink"]).toMatch(new RegExp(`^${t.emulator.url}/v1.0/me/messages\\?`));
    expect(first["@odata.nextLink"]).toContain("%24select=id%2Csubject%2CreceivedDateTime");
    const seen: string[] = [];
    const it = new PageIterator(client(), first, (m: { id: string }) => {
      seen.push(m.id);
      return true;
    });
    await it.iterate();
    const total = t.emulator.state.getMessages(user).length;
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect(t.emulator.state.requestCounts(user).byKind.list).toBe(Math.ceil(total / 10));
  });

  it("sends a $batch and gets every response back", async () => {
    const ids = t.emulator.state
      .getMessages(user)
      .slice(0, 3)
      .map((m) => m.id);
    const res = await client()
      .api("/$batch")
      .post({
        requests: ids.map((id, i) => ({
          id: String(i + 1),
          method: "GET",
          url: `/me/messages/${encodeURIComponent(id)}?$select=subject`,
        })),
      });
    expect(res.responses).toHaveLength(3);
    for (const r of res.responses) {
      expect(r.status).toBe(200);
      expect(ids).toContain(r.body.id);
    }
    expect(t.emulator.state.requestCounts(user).byKind.batchItems).toBeGreaterThanOrEqual(3);
  });

  it("RetryHandler waits for Retry-After on 429 and then succeeds", async () => {
    t.emulator.state.injectFault({ status: 429, retryAfterSeconds: 1, count: 2, match: { path: "/me/mailFolders" } });
    t.emulator.state.resetCounts();
    const started = Date.now();
    const res = await client().api("/me/mailFolders").get();
    const elapsed = Date.now() - started;
    expect(res.value.length).toBeGreaterThan(0);
    expect(t.emulator.state.requestCounts(user).byKind.folders).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(1900);
  });

  it("surfaces Graph errors with code and request id", async () => {
    const err = await client()
      .api("/me/messages/AAMkAGI2doesnotexistAAA=")
      .get()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 404, code: "ErrorItemNotFound" });
    expect((err as { requestId?: string }).requestId).toBeTruthy();
  });
});
