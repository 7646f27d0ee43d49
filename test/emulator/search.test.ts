/**
 * `$search` on /me/messages as Graph serves it: KQL `participants:`, `from:`/`to:`/`cc:`, `received>=`,
 * AND/OR; newest sent first; refused beside $filter/$orderby; at most 1,000 results, paged by nextLink;
 * an index-lag option that hides messages younger than N ms.
 */
import { ManualClock } from "../../server/clock";
import { startTestEmulator, type TestEmulator } from "./helpers";
import { SAMPLE_CLIENT_ID, SAMPLE_USERS } from "../../emulator/sample-data";
import { generateMailbox } from "../../emulator/generator";

describe("$search on messages", () => {
  let t: TestEmulator;
  const clock = new ManualClock("2026-12-06T12:00:00Z");
  const userId = "5e4f3a2b-0000-4000-8000-00000000beef";
  beforeAll(async () => {
    t = await startTestEmulator({
      clock,
      dataset: {
        tenants: [{ id: "5e4f3a2b-0000-4000-8000-000000000001", domain: "search.example" }],
        users: [
          {
            tenantId: "5e4f3a2b-0000-4000-8000-000000000001",
            id: userId,
            displayName: "Sam Search",
            mail: "sam@search.example",
            userPrincipalName: "sam@search.example",
          },
        ],
      },
    });
    const st = t.emulator.state;
    const add = (
      subject: string,
      from: string,
      to: string[],
      cc: string[],
      received: string,
      folder = "inbox",
      bcc: string[] = [],
    ) =>
      st.addMessage(
        userId,
        { subject, from, to, cc, bcc, receivedDateTime: received, sentDateTime: received, folder },
        { preexisting: true },
      );
    add("Renewal", "Alice Martin <alice@acme.com>", ["sam@search.example"], [], "2026-12-05T09:00:00Z");
    add("Quote", "sam@search.example", ["bob@globex.com"], ["alice@acme.com"], "2026-12-05T15:00:00Z", "sentitems");
    add("Lunch", "carol@initech.com", ["sam@search.example"], [], "2026-12-04T10:00:00Z");
    add("Old", "alice@acme.com", ["sam@search.example"], [], "2026-11-20T10:00:00Z");
    add("Blind", "dave@other.com", ["x@other.com"], [], "2026-12-05T11:00:00Z", "inbox", ["alice@acme.com"]);
  });
  afterAll(() => t.close());

  const token = () =>
    t.emulator.state.mintAccessToken({
      userId,
      clientId: SAMPLE_CLIENT_ID,
      audience: "https://graph.microsoft.com",
      scopes: ["Mail.Read"],
    });
  const search = async (q: string, extra = "") => {
    const r = await t.outbound.fetch(`${t.emulator.url}/v1.0/me/messages?$search=${encodeURIComponent(q)}${extra}`, {
      headers: { Authorization: `Bearer ${token()}` },
    });
    return {
      status: r.status,
      body: (await r.json()) as {
        value: { subject: string }[];
        "@odata.nextLink"?: string;
        error?: { code: string; message: string };
      },
    };
  };
  const subjects = async (q: string) => (await search(q)).body.value.map((m) => m.subject);

  it("participants: matches from, to, cc and bcc, newest sent first", async () => {
    expect(await subjects('"participants:alice@acme.com"')).toEqual(["Quote", "Blind", "Renewal", "Old"]);
    expect(await subjects('"from:alice@acme.com"')).toEqual(["Renewal", "Old"]);
    expect(await subjects('"to:bob@globex.com"')).toEqual(["Quote"]);
    expect(await subjects('"cc:alice@acme.com"')).toEqual(["Quote"]);
    expect(await subjects('"from:alice"')).toEqual(["Renewal", "Old"]); // alias
    expect(await subjects('"from:Martin"')).toEqual(["Renewal"]); // a word of the display name
  });

  it("received>= and ranges bound the dates; AND / OR combine", async () => {
    expect(await subjects('"participants:alice@acme.com AND received>=2026-12-01"')).toEqual([
      "Quote",
      "Blind",
      "Renewal",
    ]);
    expect(await subjects('"participants:alice@acme.com received>=2026-12-05"')).toEqual(["Quote", "Blind", "Renewal"]);
    expect(await subjects('"received:2026-12-04"')).toEqual(["Lunch"]);
    expect(await subjects('"received:12/04/2026..12/05/2026"')).toEqual(["Quote", "Blind", "Renewal", "Lunch"]);
    expect(await subjects('"from:carol@initech.com OR to:bob@globex.com"')).toEqual(["Quote", "Lunch"]);
    expect(await subjects('"renewal"')).toEqual(["Renewal"]);
  });

  it("refuses $filter and $orderby beside $search, and bad syntax", async () => {
    let r = await search('"participants:alice@acme.com"', "&$filter=isRead eq false");
    expect(r.status).toBe(400);
    expect(r.body.error!.message).toBe("The query parameter '$filter' is not supported with '$search'.");
    r = await search('"participants:alice@acme.com"', "&$orderby=receivedDateTime desc");
    expect(r.body.error!.message).toBe("The query parameter '$orderBy' is not supported with '$search'.");
    expect((await search('"from:alice@acme.com AND"')).status).toBe(400);
  });

  it("pages with an opaque nextLink and stops at 1,000 results", async () => {
    const gen = generateMailbox({
      tenantId: "5e4f3a2b-0000-4000-8000-000000000002",
      users: 1,
      messagesPerDay: 1100,
      days: 1,
      seed: 3,
      domain: "bulk.example",
      userIdPrefix: "bulk",
    });
    t.emulator.state.loadDataset(gen.dataset);
    const bulkUser = gen.users[0];
    const bulkToken = t.emulator.state.mintAccessToken({
      userId: bulkUser.id,
      clientId: SAMPLE_CLIENT_ID,
      audience: "https://graph.microsoft.com",
      scopes: ["Mail.Read"],
    });
    const all = t.emulator.state.getMessages(bulkUser.id).length;
    expect(all).toBeGreaterThan(1000);
    let url: string | undefined =
      `${t.emulator.url}/v1.0/me/messages?$search=${encodeURIComponent(`"participants:${bulkUser.mail}"`)}&$top=400&$select=subject`;
    const pages: number[] = [];
    while (url) {
      expect(url).not.toContain("$skip=");
      const r = await t.outbound.fetch(url, { headers: { Authorization: `Bearer ${bulkToken}` } });
      const b = (await r.json()) as { value: unknown[]; "@odata.nextLink"?: string };
      pages.push(b.value.length);
      url = b["@odata.nextLink"];
    }
    expect(pages).toEqual([400, 400, 200]);
    const one = await t.outbound.fetch(
      `${t.emulator.url}/v1.0/me/messages?$search=${encodeURIComponent(`"participants:${bulkUser.mail}"`)}&$top=1000`,
      { headers: { Authorization: `Bearer ${bulkToken}` } },
    );
    const b = (await one.json()) as { value: unknown[]; "@odata.nextLink"?: string };
    expect([b.value.length, b["@odata.nextLink"]]).toEqual([1000, undefined]);
  });

  it("index lag: messages younger than the lag are not found yet (control API sets it)", async () => {
    const st = t.emulator.state;
    const set = (ms: number) =>
      t.outbound.fetch(`${t.emulator.url}/_emulator/search/index-lag`, {
        method: "POST",
        body: JSON.stringify({ ms }),
      });
    expect((await set(60_000)).status).toBe(200);
    st.addMessage(userId, { subject: "Fresh", from: "alice@acme.com", to: ["sam@search.example"] });
    expect(await subjects('"subject:fresh"')).toEqual([]);
    clock.advance(61_000);
    expect(await subjects('"subject:fresh"')).toEqual(["Fresh"]);
    await set(0);
  });

  it("leaves plain listings as they were", async () => {
    const r = await t.outbound.fetch(`${t.emulator.url}/v1.0/me/messages?$top=2`, {
      headers: { Authorization: `Bearer ${token()}` },
    });
    expect(r.status).toBe(200);
    void SAMPLE_USERS;
  });
});
