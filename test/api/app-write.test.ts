/**
 * Applications with the write role (Engagements.ReadWrite.All) on SQLite and PostgreSQL: they track,
 * change and untrack contacts and manage the ORGANIZATION's blocklist, attributed to the application;
 * the read role is refused (403 forbidden); a personal blocklist entry is a person's (403 user_only).
 */
import { APP_READ_ROLE, APP_WRITE_ROLE } from "../../shared/api/roles";
import { databaseTargets } from "../db/databases";
import { CLIENT_ID, TENANT_A, createHarness, type Harness } from "./harness";

const CRM_CLIENT_ID = "99999999-8888-7777-6666-555555555555";
const CRM_SP = "crm-service-principal";

for (const target of databaseTargets()) {
  const describeIf = target.available ? describe : describe.skip;

  describeIf(`application writes on ${target.name}`, () => {
    let t: Harness;
    const appToken = (roles: string[]) =>
      t.token({
        tid: TENANT_A,
        aud: CLIENT_ID,
        oid: CRM_SP,
        sub: CRM_SP,
        azp: CRM_CLIENT_ID,
        idtyp: "app",
        scp: undefined,
        preferred_username: undefined,
        name: undefined,
        roles,
      });
    const asApp = async (roles: string[], method: string, path: string, body?: unknown) => {
      const res = await t.call(method, path, { token: await appToken(roles), body });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };

    beforeAll(async () => {
      t = await createHarness({}, {}, target.open);
    });
    afterAll(() => t.close());

    it("tracks, changes and untracks a contact, attributed to the application", async () => {
      const created = await asApp([APP_WRITE_ROLE], "POST", "/api/contacts", { email: "cfo@acme.example" });
      expect(created.status).toBe(201);
      expect(created.body.trackedBy).toEqual({
        id: `app:${CRM_CLIENT_ID}`,
        email: "",
        displayName: `Application ${CRM_CLIENT_ID}`,
      });
      const seenByUser = await (await t.call("GET", `/api/contacts/${created.body.id}`)).json();
      expect(seenByUser.trackedBy.id).toBe(`app:${CRM_CLIENT_ID}`);
      const patched = await asApp([APP_WRITE_ROLE], "PATCH", `/api/contacts/${created.body.id}`, { name: "CFO" });
      expect(patched.status).toBe(200);
      expect(patched.body.name).toBe("CFO");
      const preview = await asApp([APP_WRITE_ROLE], "GET", `/api/contacts/${created.body.id}/removal-preview`);
      expect(preview.body.reach).toBe("organization");
      expect((await asApp([APP_WRITE_ROLE], "DELETE", `/api/contacts/${created.body.id}`)).status).toBe(204);
      expect((await t.call("GET", `/api/contacts/${created.body.id}`)).status).toBe(404);
    });

    it("adds, lists and removes an organization blocklist entry", async () => {
      const added = await asApp([APP_WRITE_ROLE], "POST", "/api/blocklist", {
        entry: "@spam.example",
        scope: "organization",
      });
      expect(added.status).toBe(201);
      expect(added.body.scope).toBe("organization");
      const userView = await (await t.call("GET", "/api/blocklist")).json();
      expect(userView.items.map((e: { entry: string }) => e.entry)).toContain("@spam.example");
      expect((await asApp([APP_READ_ROLE], "GET", "/api/blocklist")).status).toBe(200);
      expect((await asApp([APP_WRITE_ROLE], "DELETE", `/api/blocklist/${added.body.id}`)).status).toBe(204);
    });

    it("refuses writes to an application with only the read role (403 forbidden)", async () => {
      const contact = await t.call("POST", "/api/contacts", { body: { email: "coo@acme.example" } });
      const id = ((await contact.json()) as { id: string }).id;
      for (const [method, path, body] of [
        ["POST", "/api/contacts", { email: "x@acme.example" }],
        ["PATCH", `/api/contacts/${id}`, { name: "X" }],
        ["DELETE", `/api/contacts/${id}`, undefined],
        ["POST", "/api/blocklist", { entry: "@x.example", scope: "organization" }],
        ["DELETE", "/api/blocklist/any", undefined],
        ["POST", "/api/webhooks", { url: "https://crm.example.com/hook", eventTypes: ["engagement.created"] }],
      ] as const) {
        const r = await asApp([APP_READ_ROLE], method, path, body);
        expect([method, path, r.status, r.body.error.code]).toEqual([method, path, 403, "forbidden"]);
      }
    });

    it("refuses a personal blocklist entry to an application (403 user_only)", async () => {
      for (const body of [{ entry: "@mine.example" }, { entry: "@mine.example", scope: "personal" }]) {
        const r = await asApp([APP_WRITE_ROLE], "POST", "/api/blocklist", body);
        expect(r.status).toBe(403);
        expect(r.body.error.code).toBe("user_only");
      }
      const preview = await asApp([APP_WRITE_ROLE], "GET", "/api/blocklist/preview?entry=%40mine.example");
      expect(preview.body.error.code).toBe("user_only");
    });
  });
}
