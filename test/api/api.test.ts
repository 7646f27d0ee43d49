/** The HTTP API end to end through app.request(): every endpoint, its validation and its organization scope. */
import { TENANT_B, createHarness, type Harness } from "./harness";
import { recordCaptureBatch, type CaptureItem } from "../../server/store/capture-decisions";
import { Writable } from "node:stream";
import { openApiDocument } from "../../server/api/api-document";
import { createLogger } from "../../server/logger";
import { ADMIN_APP_ROLE } from "../../shared/api/contract";

let t: Harness;
beforeAll(async () => {
  t = await createHarness();
});
afterAll(() => t.close());

const json = async (res: Response) => ({ status: res.status, body: await res.json() });
const B = { tenant: TENANT_B, oid: "oid-bob" }; // a caller of another organization

describe("system", () => {
  test("a known /api path with the wrong method answers 405 with Allow (from the OpenAPI description); an unknown one 404", async () => {
    const wrong = async (method: string, path: string) => {
      const res = await t.call(method, path);
      return {
        status: res.status,
        allow: res.headers.get("allow"),
        code: ((await res.json()) as { error: { code: string } }).error.code,
      };
    };
    expect(await wrong("PUT", "/api/clients")).toEqual({
      status: 405,
      allow: "GET, POST, HEAD",
      code: "method_not_allowed",
    });
    expect(await wrong("DELETE", "/api/me")).toEqual({ status: 405, allow: "GET, HEAD", code: "method_not_allowed" });
    expect(await wrong("GET", "/api/blocklist/some-id")).toEqual({
      status: 405,
      allow: "DELETE",
      code: "method_not_allowed",
    });
    expect(await wrong("GET", "/api/messages/status")).toEqual({
      status: 405,
      allow: "POST",
      code: "method_not_allowed",
    });
    expect(await wrong("POST", "/api/nothing-here")).toEqual({ status: 404, allow: null, code: "not_found" });
    expect(await wrong("GET", "/api/clients/a/b")).toEqual({ status: 404, allow: null, code: "not_found" });
    // The token is still checked first: no route information for callers without one.
    expect((await t.call("PUT", "/api/clients", { token: null })).status).toBe(401);
    // Outside the API, plain 404s.
    expect((await t.app.request("/healthz", { method: "DELETE" })).status).toBe(404);
  });

  test("GET /healthz checks the database", async () => {
    expect(await json(await t.app.request("/healthz"))).toEqual({
      status: 200,
      body: { status: "ok", database: "ok" },
    });
    const lines: string[] = [];
    const broken = await createHarness({
      logger: createLogger("debug", new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) })),
    });
    await broken.h.db.destroy();
    const res = await broken.app.request("/healthz");
    expect(res.status).toBe(503);
    expect((await res.json()).error.code).toBe("database_unavailable");
    // An unavailable dependency is a warning, not an error of this server's (alerts watch level 50).
    expect(lines.some((l) => /"level":40/.test(l) && /"status":503/.test(l))).toBe(true);
    expect(lines.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
    await broken.close().catch(() => {});
  });

  test("the OpenAPI description lists every route the app serves", async () => {
    const doc = await (await t.app.request("/api/openapi.json")).json();
    expect(doc.openapi).toBe("3.1.0");
    const registered = t.app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    const documented = new Set(
      Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => `${m} ${p}`),
      ),
    );
    for (const r of new Set(registered)) expect(documented).toContain(r);
    for (const r of [
      "post /api/connection",
      "delete /api/connection",
      "get /auth/callback",
      "get /api/sweeps",
      "post /api/sweeps",
      "post /api/messages/capture",
      "post /api/mail",
    ]) {
      expect(documented).toContain(r);
    }
    expect(doc).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
  });

  test("unknown routes → 404 in the error shape", async () => {
    expect(await json(await t.app.request("/nope"))).toMatchObject({
      status: 404,
      body: { error: { code: "not_found" } },
    });
    expect(await json(await t.call("GET", "/api/nope"))).toMatchObject({
      status: 404,
      body: { error: { code: "not_found" } },
    });
  });
});

describe("request validation", () => {
  test("malformed JSON → 400 invalid_json; empty body too", async () => {
    expect(await json(await t.call("POST", "/api/clients", { rawBody: '{"name": "Acme",' }))).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_json" } },
    });
    expect(await json(await t.call("POST", "/api/clients", { rawBody: "" }))).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_json" } },
    });
  });

  test("wrong types and unknown fields → 400 invalid_request with details", async () => {
    const wrong = await json(await t.call("POST", "/api/clients", { body: { name: 42 } }));
    expect(wrong).toMatchObject({ status: 400, body: { error: { code: "invalid_request" } } });
    expect(wrong.body.error.details[0].path).toBe("name");
    const extra = await json(await t.call("POST", "/api/contacts", { body: { email: "x@y.com", isAdmin: true } }));
    expect(extra).toMatchObject({ status: 400, body: { error: { code: "invalid_request" } } });
    expect(JSON.stringify(extra.body.error.details)).toContain("isAdmin");
    expect((await t.call("POST", "/api/contacts", { body: ["x@y.com"] })).status).toBe(400);
    expect(
      (await t.call("POST", "/api/messages/status", { body: { internetMessageId: "<a@b>", to: "not-an-array" } }))
        .status,
    ).toBe(400);
    expect((await t.call("GET", "/api/contacts?limit=500")).status).toBe(400);
    expect((await t.call("GET", "/api/contacts?limit=abc")).status).toBe(400);
    expect((await t.call("GET", "/api/contacts?bogus=1")).status).toBe(400);
    expect(await json(await t.call("GET", "/api/contacts?cursor=garbage"))).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_cursor" } },
    });
    expect((await t.call("GET", "/api/engagements?from=yesterday")).status).toBe(400);
  });

  test("a non-JSON content type → 415", async () => {
    expect(
      (
        await t.call("POST", "/api/clients", {
          rawBody: "name=Acme",
          headers: { "content-type": "application/x-www-form-urlencoded" },
        })
      ).status,
    ).toBe(415);
  });

  test("oversized bodies → 413 payload_too_large (JSON over 256 KB; CSV over 2 MB)", async () => {
    const big = JSON.stringify({ name: "x".repeat(300 * 1024) });
    expect(await json(await t.call("POST", "/api/clients", { rawBody: big }))).toMatchObject({
      status: 413,
      body: { error: { code: "payload_too_large" } },
    });
    const csv = "email,name,client\n" + "a@b.com,".padEnd(3 * 1024 * 1024, "x") + ",c\n";
    expect(
      (await t.call("POST", "/api/contacts/import", { rawBody: csv, headers: { "content-type": "text/csv" } })).status,
    ).toBe(413);
  });
});

describe("clients", () => {
  test("CRUD, with duplicate names refused and another organization's ids not found", async () => {
    const created = await json(await t.call("POST", "/api/clients", { body: { name: "  Initech  " } }));
    expect(created).toMatchObject({ status: 201, body: { name: "Initech", contactCount: 0 } });
    const id = created.body.id;
    expect((await t.call("POST", "/api/clients", { body: { name: "Initech" } })).status).toBe(409);
    expect((await json(await t.call("GET", `/api/clients/${id}`))).body.name).toBe("Initech");
    expect((await json(await t.call("PATCH", `/api/clients/${id}`, { body: { name: "Initrode" } }))).body.name).toBe(
      "Initrode",
    );
    const list = await json(await t.call("GET", "/api/clients"));
    expect(list.body.items.map((c: { name: string }) => c.name)).toContain("Initrode");
    expect(list.body.nextCursor).toBeNull();
    // Another organization sees nothing of it.
    expect((await t.call("GET", `/api/clients/${id}`, B)).status).toBe(404);
    expect((await t.call("PATCH", `/api/clients/${id}`, { ...B, body: { name: "Mine now" } })).status).toBe(404);
    expect((await t.call("DELETE", `/api/clients/${id}`, B)).status).toBe(404);
    expect((await json(await t.call("GET", "/api/clients", B))).body.items).toEqual([]);
    expect((await t.call("DELETE", `/api/clients/${id}`)).status).toBe(204);
    expect((await t.call("GET", `/api/clients/${id}`)).status).toBe(404);
  });
});

describe("contacts", () => {
  let clientId: string;
  beforeAll(async () => {
    clientId = (await json(await t.call("POST", "/api/clients", { body: { name: "Acme" } }))).body.id;
  });

  test("create normalises the address; a duplicate → 409 duplicate_contact", async () => {
    const c = await json(
      await t.call("POST", "/api/contacts", { body: { email: " Alice@ACME.com ", name: "Alice", clientId } }),
    );
    expect(c).toMatchObject({
      status: 201,
      body: { email: "alice@acme.com", name: "Alice", client: { id: clientId, name: "Acme" } },
    });
    expect(await json(await t.call("POST", "/api/contacts", { body: { email: "alice@acme.com" } }))).toMatchObject({
      status: 409,
      body: { error: { code: "duplicate_contact" } },
    });
    expect(await json(await t.call("POST", "/api/contacts", { body: { email: "not an address" } }))).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_email" } },
    });
  });

  test("unicode and SQL-looking strings are stored and returned verbatim", async () => {
    const name = "Robert'); DROP TABLE contacts;-- 👩‍💼 Zoë Ångström 李";
    const c = await json(await t.call("POST", "/api/contacts", { body: { email: "bobby@tables.example", name } }));
    expect(c.body.name).toBe(name);
    expect((await json(await t.call("GET", `/api/contacts/${c.body.id}`))).body.name).toBe(name);
    const found = await json(await t.call("GET", `/api/contacts?q=${encodeURIComponent("DROP TABLE")}`));
    expect(found.body.items.map((x: { name: string }) => x.name)).toEqual([name]);
    const client = await json(await t.call("POST", "/api/clients", { body: { name: "'; DELETE FROM clients; --" } }));
    expect(client.body.name).toBe("'; DELETE FROM clients; --");
  });

  test("list: search, client filter, cursor pagination up to 200 per page", async () => {
    for (let i = 0; i < 5; i++)
      await t.call("POST", "/api/contacts", { body: { email: `page${i}@list.example`, clientId } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = `q=list.example&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = await json(await t.call("GET", `/api/contacts?${qs}`));
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((c: { email: string }) => c.email));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => `page${i}@list.example`));
    const byClient = await json(await t.call("GET", `/api/contacts?clientId=${clientId}&limit=200`));
    expect(byClient.body.items.every((c: { clientId: string }) => c.clientId === clientId)).toBe(true);
    expect(byClient.body.items.length).toBe(6);
  });

  test("update and delete; re-adding a deleted contact revives it with a new createdAt", async () => {
    const c = (await json(await t.call("POST", "/api/contacts", { body: { email: "carol@initech.com" } }))).body;
    const upd = await json(await t.call("PATCH", `/api/contacts/${c.id}`, { body: { name: "Carol", clientId } }));
    expect(upd.body).toMatchObject({ name: "Carol", clientId });
    expect((await t.call("PATCH", `/api/contacts/${c.id}`, { body: { email: "new@x.com" } })).status).toBe(400);
    expect((await t.call("PATCH", `/api/contacts/${c.id}`, { body: {} })).status).toBe(400);
    expect((await t.call("DELETE", `/api/contacts/${c.id}`)).status).toBe(204);
    expect((await t.call("GET", `/api/contacts/${c.id}`)).status).toBe(404);
    expect((await t.call("DELETE", `/api/contacts/${c.id}`)).status).toBe(404);
    t.clock.advance(3600_000);
    const back = await json(await t.call("POST", "/api/contacts", { body: { email: "carol@initech.com" } }));
    expect(back.status).toBe(201);
    expect(back.body.id).toBe(c.id);
    expect(Date.parse(back.body.createdAt)).toBe(t.clock.now().getTime());
  });

  test("another organization cannot read, change or delete them, nor use their client", async () => {
    const c = (await json(await t.call("POST", "/api/contacts", { body: { email: "private@acme.com" } }))).body;
    expect((await t.call("GET", `/api/contacts/${c.id}`, B)).status).toBe(404);
    expect((await t.call("PATCH", `/api/contacts/${c.id}`, { ...B, body: { name: "x" } })).status).toBe(404);
    expect((await t.call("DELETE", `/api/contacts/${c.id}`, B)).status).toBe(404);
    expect((await json(await t.call("GET", "/api/contacts?q=private", B))).body.items).toEqual([]);
    expect((await t.call("POST", "/api/contacts", { ...B, body: { email: "mine@b.example", clientId } })).status).toBe(
      404,
    );
    // The same address is free to track in another organization.
    expect((await t.call("POST", "/api/contacts", { ...B, body: { email: "private@acme.com" } })).status).toBe(201);
  });

  test("CSV import: per-row errors and nothing stored, then a clean import creating clients", async () => {
    const csvHeaders = { "content-type": "text/csv; charset=utf-8" };
    const bad = [
      "email,name,client",
      "ok1@imp.example,Ok One,Imported Co",
      "broken,Nope,",
      "OK1@imp.example,Dup,",
      "alice@acme.com,Exists,",
      "ok2@imp.example,Ok Two,",
    ].join("\n");
    const r1 = await json(await t.call("POST", "/api/contacts/import", { rawBody: bad, headers: csvHeaders }));
    expect(r1.status).toBe(422);
    expect(r1.body.error.code).toBe("invalid_rows");
    expect(r1.body.error.details.errors.map((e: { row: number; field: string }) => [e.row, e.field])).toEqual([
      [3, "email"],
      [4, "email"],
      [5, "email"],
    ]);
    expect((await json(await t.call("GET", "/api/contacts?q=imp.example"))).body.items).toEqual([]);
    expect(
      (await json(await t.call("GET", "/api/clients"))).body.items.map((c: { name: string }) => c.name),
    ).not.toContain("Imported Co");

    const good =
      '\uFEFFemail,name,client\r\nok1@imp.example,"Ok, One",Imported Co\r\nok2@imp.example,,imported co\r\n\r\nok3@imp.example,Zoë,\r\n';
    const r2 = await json(await t.call("POST", "/api/contacts/import", { rawBody: good, headers: csvHeaders }));
    expect(r2).toMatchObject({ status: 201, body: { created: 3, revived: 0, clientsCreated: 1 } });
    const imported = (await json(await t.call("GET", "/api/contacts?q=imp.example"))).body.items;
    expect(
      imported.map((c: { email: string; name: string | null; client: { name: string } | null }) => [
        c.email,
        c.name,
        c.client?.name ?? null,
      ]),
    ).toEqual([
      ["ok1@imp.example", "Ok, One", "Imported Co"],
      ["ok2@imp.example", null, "Imported Co"],
      ["ok3@imp.example", "Zoë", null],
    ]);
  });

  test("client names: one with nothing visible is refused on every path; length counts characters alike in JSON and CSV", async () => {
    const h = { "content-type": "text/csv" };
    expect(await json(await t.call("POST", "/api/clients", { body: { name: "\u200B\u200D" } }))).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_name" } },
    });
    const invisible = await json(
      await t.call("POST", "/api/contacts/import", { rawBody: "email,client\nzw@x.example,\u200B", headers: h }),
    );
    expect(invisible).toMatchObject({
      status: 422,
      body: { error: { code: "invalid_rows", details: { errors: [{ row: 2, field: "client" }] } } },
    });
    // 150 emoji: 150 characters (300 UTF-16 units) — within the 200 allowed, in JSON and in CSV.
    const emoji = "🙂".repeat(150);
    expect((await t.call("POST", "/api/clients", { body: { name: emoji } })).status).toBe(201);
    const csv = await json(
      await t.call("POST", "/api/contacts/import", { rawBody: `email,client\nemoji@x.example,${emoji}`, headers: h }),
    );
    expect(csv).toMatchObject({ status: 201, body: { clientsCreated: 0 } });
  });

  test("CSV import: bad header, empty file, wrong content type", async () => {
    const h = { "content-type": "text/csv" };
    expect(
      await json(await t.call("POST", "/api/contacts/import", { rawBody: "mail,name\nx@y.com,X", headers: h })),
    ).toMatchObject({ status: 400, body: { error: { code: "invalid_csv" } } });
    expect((await t.call("POST", "/api/contacts/import", { rawBody: "", headers: h })).status).toBe(400);
    expect((await t.call("POST", "/api/contacts/import", { rawBody: "email,name,client\n", headers: h })).status).toBe(
      400,
    );
    const broken = await json(
      await t.call("POST", "/api/contacts/import", { rawBody: 'email\n"unterminated=HYPERLINK', headers: h }),
    );
    expect(broken).toMatchObject({ status: 400, body: { error: { code: "invalid_csv" } } });
    // Where, never what: the file's text is not echoed back.
    expect(JSON.stringify(broken.body)).not.toMatch(/HYPERLINK|unterminated/);
    const header = await json(
      await t.call("POST", "/api/contacts/import", { rawBody: "<script>x</script>,name\nx@y.com,X", headers: h }),
    );
    expect(JSON.stringify(header.body)).not.toContain("<script>");
    expect((await t.call("POST", "/api/contacts/import", { body: { email: "x@y.com" } })).status).toBe(415);
    const tooMany = await json(
      await t.call("POST", "/api/contacts/import", { rawBody: "email,name\nmany@x.example,A,extra", headers: h }),
    );
    expect(tooMany.body.error.details.errors).toEqual([expect.objectContaining({ row: 2, field: "row" })]);
  });
});

describe("engagements", () => {
  test("list newest first with filters and cursors, get one with its body; other organizations see nothing", async () => {
    const me = (await json(await t.call("GET", "/api/me"))).body;
    const orgId = me.organization.id;
    const client = (await json(await t.call("POST", "/api/clients", { body: { name: "Engaged Co" } }))).body;
    const ann = (
      await json(await t.call("POST", "/api/contacts", { body: { email: "ann@engaged.example", clientId: client.id } }))
    ).body;
    const ben = (await json(await t.call("POST", "/api/contacts", { body: { email: "ben@other.example" } }))).body;
    const item = (i: number, contactId: string): CaptureItem => ({
      outcome: "captured",
      engagement: {
        internetMessageId: `<eng${i}@engaged.example>`,
        conversationId: null,
        subject: `Subject ${i} — ünïcödé`,
        bodyText: `Body ${i}`,
        bodyPreview: `Body ${i}`,
        direction: "inbound",
        messageTime: new Date(Date.parse("2026-11-20T00:00:00Z") + i * 3600_000).toISOString(),
        sentAt: null,
        receivedAt: null,
        fromAddress: "ann@engaged.example",
        participants: [{ address: "ann@engaged.example", name: "Ann", role: "from" }],
      },
      graphMessageId: `g${i}`,
      webLink: null,
      contactIds: [contactId],
    });
    await t.h.db
      .transaction()
      .execute((trx) =>
        recordCaptureBatch(
          trx,
          orgId,
          me.user.id,
          null,
          [item(1, ann.id), item(2, ben.id), item(3, ann.id)],
          t.clock.now(),
        ),
      );

    const all = await json(await t.call("GET", "/api/engagements?limit=2"));
    expect(all.body.items.map((e: { subject: string }) => e.subject)).toEqual([
      "Subject 3 — ünïcödé",
      "Subject 2 — ünïcödé",
    ]);
    expect(all.body.items[0].bodyText).toBeUndefined();
    const rest = await json(
      await t.call("GET", `/api/engagements?limit=2&cursor=${encodeURIComponent(all.body.nextCursor)}`),
    );
    expect(rest.body.items.map((e: { subject: string }) => e.subject)).toEqual(["Subject 1 — ünïcödé"]);
    expect(rest.body.nextCursor).toBeNull();
    const byContact = await json(await t.call("GET", `/api/engagements?contactId=${ben.id}`));
    expect(byContact.body.items.map((e: { internetMessageId: string }) => e.internetMessageId)).toEqual([
      "<eng2@engaged.example>",
    ]);
    const byClient = await json(await t.call("GET", `/api/engagements?clientId=${client.id}`));
    expect(byClient.body.items).toHaveLength(2);
    const ranged = await json(
      await t.call(
        "GET",
        `/api/engagements?from=${encodeURIComponent("2026-11-20T02:30:00+01:00")}&to=2026-11-20T03:00:00Z`,
      ),
    );
    expect(ranged.body.items.map((e: { internetMessageId: string }) => e.internetMessageId)).toEqual([
      "<eng2@engaged.example>",
    ]);
    expect((await t.call("GET", "/api/engagements?from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z")).status).toBe(
      400,
    );

    const one = await json(await t.call("GET", `/api/engagements/${all.body.items[0].id}`));
    expect(one.body).toMatchObject({
      bodyText: "Body 3",
      clients: [{ id: client.id, name: "Engaged Co" }],
      contacts: [{ id: ann.id }],
    });
    expect((await t.call("GET", `/api/engagements/${all.body.items[0].id}`, B)).status).toBe(404);
    expect((await json(await t.call("GET", "/api/engagements", B))).body.items).toEqual([]);
    expect((await t.call("GET", "/api/engagements/does-not-exist")).status).toBe(404);
  });
});

describe("blocklist", () => {
  test("add (normalised), list organization + personal, duplicate → 409, invalid → 400, delete; scoped", async () => {
    const admin = { roles: [ADMIN_APP_ROLE] };
    const org = await json(
      await t.call("POST", "/api/blocklist", { body: { entry: " @Noisy.EXAMPLE ", scope: "organization" }, ...admin }),
    );
    expect(org).toMatchObject({ status: 201, body: { entry: "@noisy.example", scope: "organization" } });
    const mine = await json(await t.call("POST", "/api/blocklist", { body: { entry: "Spam@Example.com" } }));
    expect(mine.body).toMatchObject({ entry: "spam@example.com", scope: "personal" });
    expect(
      await json(
        await t.call("POST", "/api/blocklist", { body: { entry: "@noisy.example", scope: "organization" }, ...admin }),
      ),
    ).toMatchObject({
      status: 409,
      body: { error: { code: "duplicate_block_entry" } },
    });
    expect(await json(await t.call("POST", "/api/blocklist", { body: { entry: "not valid" } }))).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_entry" } },
    });
    expect((await t.call("POST", "/api/blocklist", { body: { entry: "@x.com", scope: "global" } })).status).toBe(400);

    // A teammate sees the organization entry but not my personal one, and cannot delete mine.
    const mate = { oid: "oid-mate" };
    const theirs = (await json(await t.call("GET", "/api/blocklist", mate))).body.items.map(
      (e: { entry: string }) => e.entry,
    );
    expect(theirs).toEqual(["@noisy.example"]);
    expect((await t.call("DELETE", `/api/blocklist/${mine.body.id}`, mate)).status).toBe(404);
    // Another organization sees neither.
    expect((await json(await t.call("GET", "/api/blocklist", B))).body.items).toEqual([]);
    expect((await t.call("DELETE", `/api/blocklist/${org.body.id}`, B)).status).toBe(404);

    const list = (await json(await t.call("GET", "/api/blocklist"))).body.items.map(
      (e: { entry: string; scope: string }) => [e.entry, e.scope],
    );
    expect(list).toEqual([
      ["@noisy.example", "organization"],
      ["spam@example.com", "personal"],
    ]);
    expect((await t.call("DELETE", `/api/blocklist/${mine.body.id}`)).status).toBe(204);
    expect((await t.call("DELETE", `/api/blocklist/${org.body.id}`, { ...mate, ...admin })).status).toBe(204);
    expect((await json(await t.call("GET", "/api/blocklist"))).body.items).toEqual([]);
  });
});
