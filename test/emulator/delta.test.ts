/**
 * Mail delta queries against the emulator with the real @microsoft/microsoft-graph-client over HTTPS:
 * a round of $skiptoken pages ending in a $deltatoken deltaLink, the next round holding exactly what
 * changed in the folder, and 410 SyncStateNotFound for bogus, invalidated and expired tokens.
 */
import { Client, GraphError, PageIterator, type PageCollection } from "@microsoft/microsoft-graph-client";
import { ManualClock } from "../../server/clock";
import { startTestEmulator, type TestEmulator } from "./helpers";
import { SAMPLE_CLIENT_ID, SAMPLE_USERS } from "../../emulator/sample-data";
import type { FolderRecord } from "../../emulator/index";

type Item = { id: string; subject?: string; isRead?: boolean; "@odata.type"?: string; "@removed"?: { reason: string } };

describe("Graph mail delta against the emulator", () => {
  let t: TestEmulator;
  const clock = new ManualClock("2025-03-03T09:00:00Z");
  const user = SAMPLE_USERS.ben;
  let folder: FolderRecord;

  beforeAll(async () => {
    t = await startTestEmulator({ clock });
    folder = t.emulator.state.addFolder(user, { key: "delta-clients", displayName: "Delta Clients", parent: "inbox" });
    for (let i = 0; i < 7; i++) {
      t.emulator.state.addMessage(user, {
        folder: "delta-clients",
        subject: `client ${i}`,
        from: "x@fabrikam.com",
        to: ["ben@contoso.com"],
        receivedDateTime: `-${i + 1}h`,
      });
    }
  });
  afterAll(() => t.close());

  // Minted per call: the clock moves days ahead in the expiry tests.
  function client(): Client {
    const token = t.emulator.state.mintAccessToken({
      userId: user,
      clientId: SAMPLE_CLIENT_ID,
      audience: "https://graph.microsoft.com",
      scopes: ["Mail.ReadWrite", "User.Read"],
    });
    return Client.init({
      baseUrl: t.emulator.url,
      authProvider: (done) => done(null, token),
      fetchOptions: t.outbound.fetchOptions,
      customHosts: new Set(["localhost"]),
    });
  }

  const PREFER = "odata.maxpagesize=3";

  /** A whole round from its first response: every item, and the deltaLink it ends with. */
  async function round(first: PageCollection): Promise<{ items: Item[]; deltaLink: string }> {
    const items: Item[] = [];
    const it = new PageIterator(
      client(),
      first,
      (m: Item) => {
        items.push(m);
        return true;
      },
      { headers: { Prefer: PREFER } },
    );
    await it.iterate();
    return { items, deltaLink: it.getDeltaLink()! };
  }

  async function initialSync(
    select = "subject,isRead",
  ): Promise<{ items: Item[]; deltaLink: string; first: PageCollection }> {
    const first: PageCollection = await client()
      .api(`/me/mailFolders/${encodeURIComponent(folder.id)}/messages/delta`)
      .select(select)
      .header("Prefer", PREFER)
      .get();
    return { ...(await round(first)), first };
  }

  async function follow(link: string): Promise<{ items: Item[]; deltaLink: string }> {
    return round(await client().api(link).header("Prefer", PREFER).get());
  }

  async function failure(p: Promise<unknown>): Promise<GraphError> {
    const e = await p.then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(GraphError);
    return e as GraphError;
  }

  function folderMessages() {
    return t.emulator.state.getMessages(user).filter((m) => m.folderId === folder.id);
  }

  it("pages the first round through $skiptoken nextLinks to a $deltatoken deltaLink", async () => {
    t.emulator.state.resetCounts();
    const { items, deltaLink, first } = await initialSync();
    const base = `${t.emulator.url}/v1.0/me/mailFolders('${folder.id}')/messages/delta`;
    expect(first["@odata.context"]).toBe(`${t.emulator.url}/v1.0/$metadata#Collection(message)`);
    expect(first["@odata.nextLink"]!.startsWith(`${base}?$skiptoken=`)).toBe(true);
    expect(first["@odata.deltaLink"]).toBeUndefined();
    expect(first.value).toHaveLength(3);
    expect(deltaLink.startsWith(`${base}?$deltatoken=`)).toBe(true);
    expect(items.map((m) => m.id).sort()).toEqual(
      folderMessages()
        .map((m) => m.id)
        .sort(),
    );
    // $select of the first request holds for every page (the tokens carry it).
    for (const m of items) {
      expect(Object.keys(m).sort()).toEqual(["@odata.etag", "@odata.type", "id", "isRead", "subject"]);
      expect(m["@odata.type"]).toBe("#microsoft.graph.message");
    }
    expect(t.emulator.state.requestCounts(user).byKind.delta).toBe(3); // 3 + 3 + 1
  });

  it("following the deltaLink returns exactly what was created, updated, moved in, moved out and deleted", async () => {
    const { deltaLink } = await initialSync();
    const st = t.emulator.state;
    const before = folderMessages().sort((a, b) => b.receivedDateTime.getTime() - a.receivedDateTime.getTime());
    const [toMoveOut, toDelete, toRead] = before;
    const movedOutId = toMoveOut.id;
    const deletedId = toDelete.id;
    const fromInbox = st.addMessage(user, {
      folder: "inbox",
      subject: "will move in",
      from: "y@fabrikam.com",
      to: ["ben@contoso.com"],
      receivedDateTime: "-10m",
    });

    clock.advance(60_000);
    const created = st.addMessage(user, {
      folder: "delta-clients",
      subject: "brand new",
      from: "z@fabrikam.com",
      to: ["ben@contoso.com"],
    });
    await client()
      .api(`/me/messages/${encodeURIComponent(movedOutId)}/move`)
      .post({ destinationId: "archive" });
    await client()
      .api(`/me/messages/${encodeURIComponent(deletedId)}`)
      .delete();
    await client()
      .api(`/me/messages/${encodeURIComponent(toRead.id)}`)
      .patch({ isRead: true });
    const movedIn = await client()
      .api(`/me/messages/${encodeURIComponent(fromInbox.id)}/move`)
      .post({ destinationId: folder.id });

    const next = await follow(deltaLink);
    const removed = next.items.filter((m) => m["@removed"]);
    const changed = next.items.filter((m) => !m["@removed"]);
    expect(removed).toEqual(
      expect.arrayContaining([
        { "@odata.type": "#microsoft.graph.message", id: movedOutId, "@removed": { reason: "deleted" } },
        { "@odata.type": "#microsoft.graph.message", id: deletedId, "@removed": { reason: "deleted" } },
      ]),
    );
    expect(removed).toHaveLength(2);
    expect(changed.map((m) => m.id).sort()).toEqual([created.id, toRead.id, movedIn.id].sort());
    expect(changed.find((m) => m.id === toRead.id)).toMatchObject({ isRead: true, subject: toRead.subject });
    expect(next.deltaLink).toMatch(/\?\$deltatoken=/);

    // Nothing changed since: an empty round, and a deltaLink again.
    const quiet = await follow(next.deltaLink);
    expect(quiet.items).toEqual([]);
    expect(quiet.deltaLink).toMatch(/\?\$deltatoken=/);
  });

  it('ids follow Prefer: IdType="ImmutableId" on every request, removals included', async () => {
    const immutable = { Prefer: `${PREFER}, IdType="ImmutableId"` };
    const first: PageCollection = await client()
      .api(`/me/mailFolders('${folder.id}')/messages/delta`)
      .headers(immutable)
      .get();
    const items: Item[] = [];
    const it = new PageIterator(client(), first, (m: Item) => (items.push(m), true), { headers: immutable });
    await it.iterate();
    const msgs = folderMessages();
    expect(items.map((m) => m.id).sort()).toEqual(msgs.map((m) => m.immutableId).sort());
    const gone = msgs[0];
    t.emulator.state.moveMessage(user, gone.id, "deleteditems");
    const next = await client().api(it.getDeltaLink()!).headers(immutable).get();
    expect(next.value).toEqual([
      { "@odata.type": "#microsoft.graph.message", id: gone.immutableId, "@removed": { reason: "deleted" } },
    ]);
  });

  it("changeType=created, given on the first request, keeps only creations in later rounds", async () => {
    const first: PageCollection = await client()
      .api(`/me/mailFolders/${encodeURIComponent(folder.id)}/messages/delta`)
      .query({ changeType: "created" })
      .header("Prefer", PREFER)
      .get();
    const initial = await round(first);
    expect(initial.items).toHaveLength(folderMessages().length);
    const [gone, read] = folderMessages();
    t.emulator.state.deleteMessage(user, gone.id);
    t.emulator.state.touch(read);
    const added = t.emulator.state.addMessage(user, {
      folder: "delta-clients",
      subject: "created only",
      from: "x@fabrikam.com",
      to: ["ben@contoso.com"],
    });
    const next = await follow(initial.deltaLink);
    expect(next.items.map((m) => m.id)).toEqual([added.id]);
  });

  it("accepts only the $filter delta supports: receivedDateTime ge|gt", async () => {
    const since = new Date(clock.now().getTime() - 3.5 * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const res = await client()
      .api(`/me/mailFolders/${encodeURIComponent(folder.id)}/messages/delta`)
      .filter(`receivedDateTime ge ${since}`)
      .get();
    const expected = folderMessages().filter((m) => m.receivedDateTime.getTime() >= Date.parse(since));
    expect(res.value.map((m: Item) => m.id).sort()).toEqual(expected.map((m) => m.id).sort());
    expect(res["@odata.deltaLink"]).toBeDefined();
    const e = await failure(
      client()
        .api(`/me/mailFolders/${encodeURIComponent(folder.id)}/messages/delta`)
        .filter("isRead eq false")
        .get(),
    );
    expect(e).toMatchObject({ statusCode: 400, code: "ErrorInvalidUrlQuery" });
  });

  it("answers /me/messages/delta with 400: Graph tracks message changes per folder only", async () => {
    const e = await failure(client().api("/me/messages/delta").get());
    expect(e).toMatchObject({ statusCode: 400, code: "BadRequest" });
    expect(e.message).toBe("Unsupported request: Change tracking is not supported against 'microsoft.graph.message'.");
  });

  it("a bogus token → 410 SyncStateNotFound with Graph's error body", async () => {
    for (const q of ["$deltatoken=bogus", "$skiptoken=GwcAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "$deltatoken="]) {
      const e = await failure(
        client()
          .api(`/me/mailFolders/${encodeURIComponent(folder.id)}/messages/delta?${q}`)
          .header("client-request-id", "c0ffee00-0000-4000-8000-000000000001")
          .get(),
      );
      expect(e.statusCode).toBe(410);
      expect(e.code).toBe("SyncStateNotFound");
      const body = JSON.parse(e.body as string);
      expect(body).toEqual({
        code: "SyncStateNotFound",
        message: expect.stringMatching(/^The sync state generation is not found; generation=\d+;\[highest=\d+\]/),
        innerError: {
          date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          "request-id": expect.any(String),
          "client-request-id": "c0ffee00-0000-4000-8000-000000000001",
        },
      });
      expect(e.requestId).toBe(body.innerError["request-id"]);
    }
    // A token of another folder is no token of this one.
    const { deltaLink } = await initialSync();
    const other = deltaLink.replace(folder.id, t.emulator.state.findFolder(user, "inbox")!.id);
    expect((await failure(client().api(other).get())).statusCode).toBe(410);
  });

  it("tokens invalidated through the control API → 410, and a fresh round works", async () => {
    const { deltaLink, first } = await initialSync();
    const res = await t.outbound.fetch(`${t.emulator.url}/_emulator/users/${user}/sync-states/invalidate`, {
      method: "POST",
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { invalidated: number }).invalidated).toBeGreaterThan(0);
    for (const link of [deltaLink, first["@odata.nextLink"]!]) {
      const e = await failure(client().api(link).get());
      expect(e).toMatchObject({ statusCode: 410, code: "SyncStateNotFound" });
    }
    const again = await initialSync();
    expect(again.items).toHaveLength(folderMessages().length);
  });

  it("tokens expire after the sync-state lifetime on the emulator clock", async () => {
    const day = 24 * 3600_000;
    expect(t.emulator.state.syncStateLifetimeMs).toBe(7 * day);
    const { deltaLink } = await initialSync();
    clock.advance(6 * day);
    const fresh = await follow(deltaLink); // still within the lifetime
    clock.advance(day + 60_000);
    expect(await failure(client().api(deltaLink).get())).toMatchObject({ statusCode: 410, code: "SyncStateNotFound" });
    await follow(fresh.deltaLink); // issued a day later, still alive

    const res = await t.outbound.fetch(`${t.emulator.url}/_emulator/sync-states/lifetime`, {
      method: "POST",
      body: JSON.stringify({ ms: 60_000 }),
    });
    expect(res.status).toBe(200);
    try {
      const short = await initialSync();
      clock.advance(61_000);
      expect(await failure(client().api(short.deltaLink).get())).toMatchObject({
        statusCode: 410,
        code: "SyncStateNotFound",
      });
    } finally {
      t.emulator.state.setSyncStateLifetime(7 * day);
    }
  });
});
