/**
 * The administrator role (Entra app role Capture.Admin in the token's `roles` claim): what it opens
 * (the organization's blocklist, everyone's mailbox health) and what every member keeps (personal
 * entries). The role is read from each token, so granting or removing it takes effect with the next one.
 */
import { ADMIN_APP_ROLE } from "../../shared/api/contract";
import { saveConnection, setConnectionStatus } from "../../server/store/mailbox-connections";
import { MAX_PAGE } from "../../shared/api/schemas";
import { TENANT_A, TENANT_B, createHarness, type Harness } from "./harness";

let t: Harness;
beforeAll(async () => {
  t = await createHarness();
});
afterAll(() => t.close());

const ADMIN = { oid: "oid-admin", roles: [ADMIN_APP_ROLE] };
const MEMBER = { oid: "oid-member" };
const json = async (res: Response) => ({ status: res.status, body: await res.json() });
const entries = async (who: object) =>
  (await json(await t.call("GET", "/api/blocklist", who))).body.items.map(
    (e: { entry: string; scope: string }) => `${e.scope}:${e.entry}`,
  );

test("GET /api/me says whether the caller is an administrator; only the exact role value counts", async () => {
  const isAdmin = async (roles?: string[]) =>
    (await json(await t.call("GET", "/api/me", { oid: "oid-me", roles }))).body.user.isAdmin;
  expect(await isAdmin()).toBe(false);
  expect(await isAdmin([ADMIN_APP_ROLE])).toBe(true);
  expect(await isAdmin(["Reader", ADMIN_APP_ROLE])).toBe(true);
  // App role values are case-sensitive in Entra; a look-alike is not the role.
  expect(await isAdmin([ADMIN_APP_ROLE.toLowerCase(), "Admin"])).toBe(false);
  // A roles claim of the wrong type is ignored, not a crash.
  const odd = await t.token({ oid: "oid-me", roles: ADMIN_APP_ROLE });
  expect(await json(await t.call("GET", "/api/me", { token: odd }))).toMatchObject({
    status: 200,
    body: { user: { isAdmin: false } },
  });
});

describe("the organization's blocklist is the administrators'", () => {
  test("a member cannot add to it (403 forbidden, nothing stored) but keeps their personal list", async () => {
    const refused = await json(
      await t.call("POST", "/api/blocklist", {
        body: { entry: "@member-tried.example", scope: "organization" },
        ...MEMBER,
      }),
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("forbidden");
    expect(refused.body.error.message).toContain(ADMIN_APP_ROLE);
    expect(await entries(ADMIN)).not.toContain("organization:@member-tried.example");

    const personal = await json(
      await t.call("POST", "/api/blocklist", { body: { entry: "@mine.example" }, ...MEMBER }),
    );
    expect(personal).toMatchObject({ status: 201, body: { scope: "personal" } });
    expect((await t.call("DELETE", `/api/blocklist/${personal.body.id}`, MEMBER)).status).toBe(204);
  });

  test("an administrator adds and removes organization entries; a member's removal is refused and changes nothing", async () => {
    const added = await json(
      await t.call("POST", "/api/blocklist", { body: { entry: "@everyone.example", scope: "organization" }, ...ADMIN }),
    );
    expect(added).toMatchObject({ status: 201, body: { scope: "organization", entry: "@everyone.example" } });
    // Every member sees it (it applies to their mailbox too) …
    expect(await entries(MEMBER)).toContain("organization:@everyone.example");
    // … and cannot remove it.
    const refused = await json(await t.call("DELETE", `/api/blocklist/${added.body.id}`, MEMBER));
    expect(refused).toMatchObject({ status: 403, body: { error: { code: "forbidden" } } });
    expect(await entries(MEMBER)).toContain("organization:@everyone.example");
    // Another organization's administrator does not even find it.
    expect((await t.call("DELETE", `/api/blocklist/${added.body.id}`, { tenant: TENANT_B, ...ADMIN })).status).toBe(
      404,
    );
    expect((await t.call("DELETE", `/api/blocklist/${added.body.id}`, ADMIN)).status).toBe(204);
    expect(await entries(MEMBER)).not.toContain("organization:@everyone.example");
    // Gone is gone, for administrators too.
    expect((await t.call("DELETE", `/api/blocklist/${added.body.id}`, ADMIN)).status).toBe(404);
  });

  test("an administrator cannot remove someone else's personal entry (404, as for anyone)", async () => {
    const theirs = await json(
      await t.call("POST", "/api/blocklist", { body: { entry: "boss@private.example" }, ...MEMBER }),
    );
    expect((await t.call("DELETE", `/api/blocklist/${theirs.body.id}`, ADMIN)).status).toBe(404);
    expect(await entries(MEMBER)).toContain("personal:boss@private.example");
    expect((await t.call("DELETE", `/api/blocklist/${theirs.body.id}`, MEMBER)).status).toBe(204);
  });

  test("removing the role takes effect with the next token", async () => {
    const added = await json(
      await t.call("POST", "/api/blocklist", {
        body: { entry: "@revoked.example", scope: "organization" },
        oid: "oid-former",
        roles: [ADMIN_APP_ROLE],
      }),
    );
    expect(added.status).toBe(201);
    expect((await t.call("DELETE", `/api/blocklist/${added.body.id}`, { oid: "oid-former" })).status).toBe(403);
    expect((await t.call("DELETE", `/api/blocklist/${added.body.id}`, ADMIN)).status).toBe(204);
  });
});

describe("GET /api/connections: every user's mailbox health, for administrators", () => {
  test("a member is refused; an administrator sees the organization's users, counts, a filter and pages", async () => {
    const org = TENANT_A;
    // Users exist once they have called the API.
    const ids: Record<string, string> = {};
    for (const oid of ["oid-h1", "oid-h2", "oid-h3"]) {
      const me = await json(
        await t.call("GET", "/api/me", {
          oid,
          token: await t.token({ oid, preferred_username: `${oid.slice(4)}@contoso.com` }),
        }),
      );
      ids[oid] = me.body.user.id;
    }
    await saveConnection(t.h.db, org, ids["oid-h1"], { homeAccountId: null, tokenCache: "sealed" }, t.clock.now());
    await saveConnection(t.h.db, org, ids["oid-h2"], { homeAccountId: null, tokenCache: "sealed" }, t.clock.now());
    await setConnectionStatus(
      t.h.db,
      org,
      ids["oid-h2"],
      "reauth_required",
      "Your Microsoft 365 sign-in was revoked.",
      t.clock.now(),
    );

    const refused = await json(await t.call("GET", "/api/connections", MEMBER));
    expect(refused).toMatchObject({ status: 403, body: { error: { code: "forbidden" } } });

    const all = await json(await t.call("GET", `/api/connections?limit=${MAX_PAGE}`, ADMIN));
    expect(all.status).toBe(200);
    const byId = new Map(all.body.items.map((i: { user: { id: string } }) => [i.user.id, i]));
    expect(byId.get(ids["oid-h1"])).toMatchObject({
      user: { email: "h1@contoso.com" },
      connection: { status: "active", reason: null },
    });
    expect(byId.get(ids["oid-h2"])).toMatchObject({
      connection: { status: "reauth_required", reason: "Your Microsoft 365 sign-in was revoked.", nextSweepAt: null },
    });
    expect(byId.get(ids["oid-h3"])).toMatchObject({ connection: { status: "not_connected" } });
    // Nothing of the grant itself is ever shown.
    expect(JSON.stringify(all.body)).not.toContain("sealed");
    const total = Object.values(all.body.counts as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(total).toBe(all.body.items.length);
    expect(all.body.counts).toMatchObject({ active: 1, reauth_required: 1 });

    const attention = await json(await t.call("GET", "/api/connections?status=reauth_required", ADMIN));
    expect(attention.body.items.map((i: { user: { id: string } }) => i.user.id)).toEqual([ids["oid-h2"]]);
    expect(attention.body.counts).toEqual(all.body.counts);

    const seen: string[] = [];
    let next: string | null = null;
    do {
      const page = await json(
        await t.call("GET", `/api/connections?limit=2${next ? `&cursor=${encodeURIComponent(next)}` : ""}`, ADMIN),
      );
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((i: { user: { id: string } }) => i.user.id));
      next = page.body.nextCursor;
    } while (next);
    expect(seen.sort()).toEqual(all.body.items.map((i: { user: { id: string } }) => i.user.id).sort());

    expect(await json(await t.call("GET", "/api/connections?cursor=bogus", ADMIN))).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_cursor" } },
    });
    expect(await json(await t.call("GET", "/api/connections?status=happy", ADMIN))).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_request" } },
    });
    // Another organization's administrator sees their own organization only.
    const other = await json(await t.call("GET", "/api/connections", { tenant: TENANT_B, ...ADMIN }));
    expect(other.body.items.map((i: { user: { email: string } }) => i.user.email)).not.toContain("h1@contoso.com");
  });
});
