/**
 * Graph mail semantics and failure modes, over raw HTTPS so headers and bodies are visible:
 * query options, Prefer headers, ids, folders, classes, send, errors, throttling and faults.
 */
import { startTestEmulator, type TestEmulator } from "./helpers";
import { SAMPLE_CLIENT_ID, SAMPLE_USERS } from "../../emulator/sample-data";
import { GRAPH_CONTENT_TYPE } from "../../emulator/graph";

const ada = SAMPLE_USERS.ada;

describe("Graph mail emulation", () => {
  let t: TestEmulator;
  let token: string;
  beforeAll(async () => {
    t = await startTestEmulator();
    token = mint(["Mail.ReadWrite", "Mail.Send", "User.Read"]);
  });
  afterAll(() => t.close());
  afterEach(() => {
    t.emulator.state.clearFaults();
    t.emulator.state.setLatency(0);
  });

  function mint(scopes: string[], userId: string = ada, expiresInSeconds?: number): string {
    return t.emulator.state.mintAccessToken({
      userId,
      clientId: SAMPLE_CLIENT_ID,
      audience: "https://graph.microsoft.com",
      scopes,
      expiresInSeconds,
    });
  }

  async function g(
    path: string,
    o: { token?: string | null; method?: string; headers?: Record<string, string>; body?: unknown } = {},
  ) {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const tok = o.token === undefined ? token : o.token;
    if (tok) headers.Authorization = `Bearer ${tok}`;
    if (o.body !== undefined) headers["Content-Type"] = "application/json";
    const res = await t.outbound.fetch(`${t.emulator.url}/v1.0${path}`, {
      method: o.method ?? "GET",
      headers,
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
  }

  describe("listing", () => {
    it("returns all folders' messages from /me/messages, newest first, with Graph headers and shapes", async () => {
      const r = await g("/me/messages?$top=100", { headers: { "client-request-id": "abc-123" } });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe(GRAPH_CONTENT_TYPE);
      expect(r.headers.get("client-request-id")).toBe("abc-123");
      expect(r.headers.get("request-id")).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.json["@odata.context"]).toBe(`${t.emulator.url}/v1.0/$metadata#users('${ada}')/messages`);
      const all = t.emulator.state.getMessages(ada);
      expect(r.json.value).toHaveLength(all.length);
      const times = r.json.value.map((m: { receivedDateTime: string }) => m.receivedDateTime);
      expect([...times].sort().reverse()).toEqual(times);
      const folderNames = new Set(
        r.json.value.map((m: { parentFolderId: string }) => t.emulator.state.folders.get(m.parentFolderId)!.key),
      );
      for (const f of ["junkemail", "drafts", "deleteditems", "teamchat", "rssfeeds", "fabrikam"])
        expect(folderNames).toContain(f);
      const m = r.json.value[0];
      expect(m["@odata.etag"]).toBe(`W/"${m.changeKey}"`);
      expect(m.webLink).toBe(
        `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(m.id)}&exvsurl=1&viewmodel=ReadMessageItem`,
      );
      expect(m.id).toMatch(/^AAMk.*=$/);
      const meeting = r.json.value.find((x: { subject: string }) => x.subject === "QBR");
      expect(meeting["@odata.type"]).toBe("#microsoft.graph.eventMessage");
      expect(meeting.meetingMessageType).toBe("meetingRequest");
    });

    it("defaults to 10 per page and builds $skip nextLinks that keep every parameter", async () => {
      const r = await g("/me/messages?$select=subject&$filter=receivedDateTime ge 2000-01-01T00:00:00Z");
      expect(r.json.value).toHaveLength(10);
      const next = new URL(r.json["@odata.nextLink"]);
      expect(next.origin).toBe(t.emulator.url);
      expect(next.searchParams.get("$skip")).toBe("10");
      expect(next.searchParams.get("$select")).toBe("subject");
      expect(next.searchParams.get("$filter")).toBe("receivedDateTime ge 2000-01-01T00:00:00Z");
      const r2 = await g(next.pathname.slice("/v1.0".length) + next.search);
      expect(r2.json.value.length).toBe(t.emulator.state.getMessages(ada).length - 10);
      expect(r2.json["@odata.nextLink"]).toBeUndefined();
    });

    it("applies $filter on dates with and/or and parentheses, and $select", async () => {
      const cutoff = new Date(Date.now() - 10.5 * 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
      const r = await g(
        `/me/messages?$filter=${encodeURIComponent(`(receivedDateTime ge ${cutoff}) and (isRead eq false or isRead eq true)`)}&$select=subject,receivedDateTime&$top=50`,
      );
      expect(r.status).toBe(200);
      const expected = t.emulator.state
        .getMessages(ada)
        .filter((m) => m.receivedDateTime.toISOString() >= cutoff.replace("Z", ".000Z"));
      expect(r.json.value).toHaveLength(expected.length);
      expect(Object.keys(r.json.value[0]).sort()).toEqual(["@odata.etag", "id", "receivedDateTime", "subject"]);
      expect(r.json["@odata.context"]).toContain("/messages(subject,receivedDateTime)");
      const lt = await g(`/me/messages?$filter=${encodeURIComponent(`sentDateTime lt ${cutoff}`)}&$top=50`);
      for (const m of lt.json.value) expect(m.sentDateTime < cutoff).toBe(true);
    });

    it("rejects $orderby that does not lead the $filter with 400 InefficientFilter", async () => {
      const ok = await g(
        `/me/messages?$filter=${encodeURIComponent("receivedDateTime ge 2020-01-01T00:00:00Z")}&$orderby=receivedDateTime desc`,
      );
      expect(ok.status).toBe(200);
      const bad = await g(
        `/me/messages?$filter=${encodeURIComponent("isRead eq false and receivedDateTime ge 2020-01-01T00:00:00Z")}&$orderby=receivedDateTime`,
      );
      expect(bad.status).toBe(400);
      expect(bad.json.error.code).toBe("InefficientFilter");
      expect(bad.json.error.message).toBe("The restriction or sort order is too complex for this operation.");
      expect(bad.json.error.innerError["request-id"]).toBe(bad.headers.get("request-id"));
    });

    it("caps $top at 1000 and rejects bad query options", async () => {
      expect((await g("/me/messages?$top=1000")).status).toBe(200);
      const big = await g("/me/messages?$top=1001");
      expect(big.status).toBe(400);
      expect(big.json.error.message).toContain("1000");
      expect((await g("/me/messages?$filter=receivedDateTime%20gx%202020-01-01T00:00:00Z")).status).toBe(400);
      const sel = await g("/me/messages?$select=nope");
      expect(sel.status).toBe(400);
      expect(sel.json.error.message).toContain("nope");
    });

    it("returns the message class through the extended property expansion", async () => {
      const r = await g(
        `/me/messages?$top=100&$select=subject&$expand=${encodeURIComponent("singleValueExtendedProperties($filter=id eq 'String 0x001A')")}`,
      );
      const bySubject = Object.fromEntries(
        r.json.value.map((m: { subject: string; singleValueExtendedProperties: { id: string; value: string }[] }) => [
          m.subject,
          m.singleValueExtendedProperties,
        ]),
      );
      expect(bySubject["Renewal questions"]).toEqual([{ id: "String 0x1a", value: "IPM.Note" }]);
      expect(bySubject["Signed contract"][0].value).toBe("IPM.Note.SMIME");
      expect(bySubject["QBR"][0].value).toBe("IPM.Schedule.Meeting.Request");
      expect(bySubject["IM"][0].value).toBe("IPM.SkypeTeams.Message");
      expect(bySubject["Release notes"][0].value).toBe("IPM.Post.RSS");
      const plain = await g("/me/messages?$select=subject");
      expect(plain.json.value[0].singleValueExtendedProperties).toBeUndefined();
    });

    it("honours Prefer body-content-type and IdType=ImmutableId with Preference-Applied", async () => {
      const r = await g("/me/mailFolders/inbox/messages?$top=50", {
        headers: { Prefer: 'outlook.body-content-type="text", IdType="ImmutableId"' },
      });
      expect(r.headers.get("preference-applied")).toContain('outlook.body-content-type="text"');
      expect(r.headers.get("preference-applied")).toContain('IdType="ImmutableId"');
      const m = r.json.value.find((x: { subject: string }) => x.subject === "Renewal questions");
      expect(m.body).toEqual({ contentType: "text", content: "Hi Ada, a few questions about the renewal." });
      const html = await g("/me/mailFolders/inbox/messages?$top=50");
      const h = html.json.value.find((x: { subject: string }) => x.subject === "Renewal questions");
      expect(h.body.contentType).toBe("html");
      expect(h.id).not.toBe(m.id);
      // Move: the regular id dies, the immutable id survives and now points into Archive.
      const moved = await g(`/me/messages/${encodeURIComponent(h.id)}/move`, {
        method: "POST",
        body: { destinationId: "archive" },
      });
      expect(moved.status).toBe(201);
      expect(moved.json.id).not.toBe(h.id);
      expect((await g(`/me/messages/${encodeURIComponent(h.id)}`)).status).toBe(404);
      const byImmutable = await g(`/me/messages/${encodeURIComponent(m.id)}`, {
        headers: { Prefer: 'IdType="ImmutableId"' },
      });
      expect(byImmutable.status).toBe(200);
      expect(byImmutable.json.id).toBe(m.id);
      expect(byImmutable.json.parentFolderId).toBe(t.emulator.state.findFolder(ada, "archive")!.id);
      await g(`/me/messages/${encodeURIComponent(m.id)}/move`, { method: "POST", body: { destinationId: "inbox" } });
    });
  });

  describe("folders", () => {
    it("lists root folders (hidden ones only on request) and resolves well-known names", async () => {
      t.emulator.state.addFolder(ada, { key: "projects", displayName: "Projects" });
      const r = await g("/me/mailFolders?$top=50");
      const names = r.json.value.map((f: { displayName: string }) => f.displayName);
      expect(names).toEqual(
        expect.arrayContaining([
          "Inbox",
          "Sent Items",
          "Drafts",
          "Deleted Items",
          "Junk Email",
          "Archive",
          "Outbox",
          "Conversation History",
          "RSS Feeds",
        ]),
      );
      expect(names).toContain("Projects");
      expect(names).not.toContain("Clutter");
      const hidden = await g("/me/mailFolders?$top=50&includeHiddenFolders=true");
      const clutter = hidden.json.value.find((f: { displayName: string }) => f.displayName === "Clutter");
      expect(clutter.isHidden).toBe(true);
      const paged = await g("/me/mailFolders");
      expect(paged.json.value).toHaveLength(10);
      expect(paged.json["@odata.nextLink"]).toContain("%24skip=10");
      const inbox = await g("/me/mailFolders/inbox");
      expect(inbox.json.displayName).toBe("Inbox");
      expect(inbox.json.childFolderCount).toBe(1);
      const children = await g(`/me/mailFolders/${encodeURIComponent(inbox.json.id)}/childFolders`);
      expect(children.json.value.map((f: { displayName: string }) => f.displayName)).toEqual(["Clients"]);
      const ch = await g("/me/mailFolders('conversationhistory')/childFolders?includeHiddenFolders=true");
      expect(ch.json.value).toEqual([expect.objectContaining({ displayName: "Team Chat", isHidden: true })]);
      expect((await g("/me/mailFolders/conversationhistory/childFolders")).json.value).toEqual([]);
      expect((await g("/me/mailFolders/notaname")).json.error.code).toBe("ErrorInvalidIdMalformed");
    });

    it("returns container classes through the 0x3613 expansion", async () => {
      const ex = encodeURIComponent("singleValueExtendedProperties($filter=id eq 'String 0x3613')");
      const r = await g(`/me/mailFolders?$top=50&$expand=${ex}`);
      const rss = r.json.value.find((f: { displayName: string }) => f.displayName === "RSS Feeds");
      expect(rss.singleValueExtendedProperties).toEqual([{ id: "String 0x3613", value: "IPF.Note.OutlookHomepage" }]);
      const inbox = r.json.value.find((f: { displayName: string }) => f.displayName === "Inbox");
      expect(inbox.singleValueExtendedProperties[0].value).toBe("IPF.Note");
    });

    it("lists one folder's messages only", async () => {
      const r = await g("/me/mailFolders/junkemail/messages");
      expect(r.json.value.map((m: { subject: string }) => m.subject)).toEqual(["You won!"]);
    });
  });

  describe("sending", () => {
    it("sendMail: 202, lands in Sent Items with a fresh internetMessageId and in an emulated recipient's Inbox", async () => {
      const before = new Set(t.emulator.state.getMessages(ada).map((m) => m.internetMessageId));
      const r = await g("/me/sendMail", {
        method: "POST",
        body: {
          message: {
            subject: "Hello Ben",
            body: { contentType: "Text", content: "hi" },
            toRecipients: [{ emailAddress: { address: "ben@contoso.com" } }],
          },
        },
      });
      expect(r.status).toBe(202);
      expect(r.json).toBeNull();
      const sent = t.emulator.state.getMessages(ada).find((m) => m.subject === "Hello Ben")!;
      expect(t.emulator.state.folders.get(sent.folderId)!.wellKnownName).toBe("sentitems");
      expect(before.has(sent.internetMessageId)).toBe(false);
      expect(sent.sentDateTime).toBeTruthy();
      expect(sent.from?.emailAddress.address).toBe("ada@contoso.com");
      const got = t.emulator.state
        .getMessages(SAMPLE_USERS.ben)
        .find((m) => m.internetMessageId === sent.internetMessageId);
      expect(got && t.emulator.state.folders.get(got.folderId)!.wellKnownName).toBe("inbox");
    });

    it("draft + send: 201 with internetMessageId, then 202 and the same message is in Sent Items", async () => {
      const d = await g("/me/messages", {
        method: "POST",
        body: {
          subject: "Draft then send",
          body: { contentType: "HTML", content: "<p>x</p>" },
          toRecipients: [{ emailAddress: { address: "grace@fabrikam.com" } }],
        },
      });
      expect(d.status).toBe(201);
      expect(d.json.isDraft).toBe(true);
      expect(d.json.internetMessageId).toMatch(/^<.+@.+>$/);
      const s = await g(`/me/messages/${encodeURIComponent(d.json.id)}/send`, { method: "POST" });
      expect(s.status).toBe(202);
      const sent = t.emulator.state.getMessages(ada).find((m) => m.internetMessageId === d.json.internetMessageId)!;
      expect(sent.isDraft).toBe(false);
      expect(t.emulator.state.folders.get(sent.folderId)!.wellKnownName).toBe("sentitems");
    });

    it("requires Mail.Send", async () => {
      const r = await g("/me/sendMail", {
        token: mint(["Mail.Read"]),
        method: "POST",
        body: { message: { subject: "x", toRecipients: [{ emailAddress: { address: "ben@contoso.com" } }] } },
      });
      expect(r.status).toBe(403);
      expect(r.json.error).toMatchObject({
        code: "ErrorAccessDenied",
        message: "Access is denied. Check credentials and try again.",
      });
    });
  });

  describe("errors", () => {
    it("401 InvalidAuthenticationToken with WWW-Authenticate for missing, forged and expired tokens", async () => {
      const none = await g("/me/messages", { token: null });
      expect(none.status).toBe(401);
      expect(none.json.error.code).toBe("InvalidAuthenticationToken");
      expect(none.headers.get("www-authenticate")).toContain('client_id="00000003-0000-0000-c000-000000000000"');
      const [h, p] = token.split(".");
      expect((await g("/me/messages", { token: `${h}.${p}.AAAA` })).status).toBe(401);
      const expired = await g("/me/messages", { token: mint(["Mail.Read"], ada, -10) });
      expect(expired.status).toBe(401);
      expect(expired.json.error.message).toMatch(/expired/);
      const apiToken = t.emulator.state.mintAccessToken({
        userId: ada,
        clientId: SAMPLE_CLIENT_ID,
        audience: SAMPLE_CLIENT_ID,
        scopes: ["access_as_user"],
      });
      expect((await g("/me/messages", { token: apiToken })).status).toBe(401);
    });

    it("403 without a mail scope, 404 ErrorItemNotFound, 404 MailboxNotEnabledForRESTAPI", async () => {
      expect((await g("/me/messages", { token: mint(["User.Read"]) })).json.error.code).toBe("ErrorAccessDenied");
      const nf = await g("/me/messages/AAMkAGI2bm90aGVyZQAAA%3D");
      expect(nf.status).toBe(404);
      expect(nf.json.error).toMatchObject({
        code: "ErrorItemNotFound",
        message: "The specified object was not found in the store.",
      });
      const cleo = mint(["Mail.Read", "User.Read"], SAMPLE_USERS.cleo);
      const nm = await g("/me/messages", { token: cleo });
      expect(nm.status).toBe(404);
      expect(nm.json.error.code).toBe("MailboxNotEnabledForRESTAPI");
      expect((await g("/me", { token: cleo })).status).toBe(200);
    });
  });

  describe("$batch", () => {
    it("rejects more than 20 requests and duplicate ids", async () => {
      const reqs = (n: number) => Array.from({ length: n }, (_, i) => ({ id: String(i), method: "GET", url: "/me" }));
      expect((await g("/$batch", { method: "POST", body: { requests: reqs(21) } })).status).toBe(400);
      expect((await g("/$batch", { method: "POST", body: { requests: reqs(20) } })).status).toBe(200);
      const dup = await g("/$batch", {
        method: "POST",
        body: {
          requests: [
            { id: "1", method: "GET", url: "/me" },
            { id: "1", method: "GET", url: "me" },
          ],
        },
      });
      expect(dup.status).toBe(400);
    });

    it("answers 424 for dependents of a failed request, and per-item 429 with Retry-After", async () => {
      t.emulator.state.injectFault({
        status: 429,
        retryAfterSeconds: 7,
        count: 1,
        match: { path: "/me/mailFolders/inbox" },
      });
      const r = await g("/$batch", {
        method: "POST",
        body: {
          requests: [
            { id: "a", method: "GET", url: "/me/messages/AAMkAGI2bm9uZQAAA%3D" },
            { id: "b", method: "GET", url: "/me", dependsOn: ["a"] },
            { id: "c", method: "GET", url: "me/mailFolders/inbox" },
            { id: "d", method: "GET", url: "/me/mailFolders/drafts" },
          ],
        },
      });
      expect(r.status).toBe(200);
      const by = Object.fromEntries(r.json.responses.map((x: { id: string }) => [x.id, x]));
      expect(by.a.status).toBe(404);
      expect(by.b.status).toBe(424);
      expect(by.c.status).toBe(429);
      expect(by.c.headers["Retry-After"]).toBe("7");
      expect(by.d.status).toBe(200);
      expect(by.d.body.displayName).toBe("Drafts");
    });
  });

  describe("throttling and faults", () => {
    it("allows 4 concurrent requests per app + mailbox, then 429 ApplicationThrottled with Retry-After: 1", async () => {
      t.emulator.state.setLatency(300);
      const rs = await Promise.all(Array.from({ length: 6 }, () => g("/me/mailFolders/inbox")));
      const throttled = rs.filter((r) => r.status === 429);
      expect(rs.filter((r) => r.status === 200)).toHaveLength(4);
      expect(throttled).toHaveLength(2);
      expect(throttled[0].headers.get("retry-after")).toBe("1");
      expect(throttled[0].json.error).toMatchObject({
        code: "ApplicationThrottled",
        message: "Application is over its MailboxConcurrency limit.",
      });
      // Another mailbox is not affected.
      const ben = mint(["Mail.Read"], SAMPLE_USERS.ben);
      const other = await Promise.all([g("/me/mailFolders/inbox"), g("/me/mailFolders/inbox", { token: ben })]);
      expect(other.map((r) => r.status)).toEqual([200, 200]);
    });

    it("enforces the request budget per window with Retry-After until the window ends", async () => {
      const small = await startTestEmulator({ requestBudget: { requests: 3, windowMs: 60_000 } });
      try {
        const tok = small.emulator.state.mintAccessToken({
          userId: ada,
          clientId: SAMPLE_CLIENT_ID,
          audience: "https://graph.microsoft.com",
          scopes: ["Mail.Read"],
        });
        const call = () =>
          small.outbound.fetch(`${small.emulator.url}/v1.0/me/mailFolders/inbox`, {
            headers: { Authorization: `Bearer ${tok}` },
          });
        const statuses = [];
        for (let i = 0; i < 4; i++) statuses.push((await call()).status);
        expect(statuses).toEqual([200, 200, 200, 429]);
        const r = await call();
        const retryAfter = Number(r.headers.get("retry-after"));
        expect(retryAfter).toBeGreaterThan(50);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect(((await r.json()) as { error: { message: string } }).error.message).toBe(
          "Application is over its RequestRate limit.",
        );
      } finally {
        await small.close();
      }
    });

    it("injects 503/504 by script, drops connections and stalls", async () => {
      t.emulator.state.injectFault({
        status: 503,
        retryAfterSeconds: 3,
        after: 1,
        count: 1,
        match: { path: "/me/messages" },
      });
      expect((await g("/me/messages")).status).toBe(200);
      const r503 = await g("/me/messages");
      expect(r503.status).toBe(503);
      expect(r503.headers.get("retry-after")).toBe("3");
      expect((await g("/me/messages")).status).toBe(200);
      t.emulator.state.injectFault({ status: 504, count: 1 });
      expect((await g("/me")).status).toBe(504);
      t.emulator.state.injectFault({ kind: "drop", count: 1, match: { method: "GET", userId: ada } });
      await expect(g("/me")).rejects.toThrow();
      t.emulator.state.injectFault({ kind: "stall", stallMs: 2000, count: 1 });
      await expect(
        t.outbound.fetch(`${t.emulator.url}/v1.0/me`, {
          headers: { Authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(300),
        }),
      ).rejects.toThrow();
      const started = Date.now();
      t.emulator.state.injectFault({ kind: "stall", stallMs: 400, count: 1 });
      expect((await g("/me")).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    });

    it("rate-based faults hit roughly that share of requests", async () => {
      t.emulator.state.injectFault({ status: 503, rate: 0.5, match: { path: "/me/mailFolders/drafts" } });
      const rs = [];
      for (let i = 0; i < 40; i++) rs.push((await g("/me/mailFolders/drafts")).status);
      const failed = rs.filter((s) => s === 503).length;
      expect(failed).toBeGreaterThan(5);
      expect(failed).toBeLessThan(35);
    });

    it("counts requests and response bytes per mailbox", async () => {
      t.emulator.state.resetCounts();
      await g("/me/messages?$top=5");
      await g("/me");
      const c = t.emulator.state.requestCounts(ada);
      expect(c.total).toBe(2);
      expect(c.byKind.list).toBe(1);
      expect(c.byKind.me).toBe(1);
      expect(c.responseBytes).toBeGreaterThan(1000);
      expect(t.emulator.state.requestCounts(SAMPLE_USERS.ben).total).toBe(0);
    });
  });
});
