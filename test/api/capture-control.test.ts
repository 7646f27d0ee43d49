/**
 * Users control what is captured, through the API, on SQLite and PostgreSQL: colleagues (the organization's
 * own domains) are never contacts; a blocklist entry or an untracked contact may take the engagements already
 * captured with it (previewed first, deleted for real, recorded in the decisions), within the caller's reach and
 * never across organizations; a captured message with a participant blocked since says so.
 */
import { ADMIN_APP_ROLE } from "../../shared/api/contract";
import { messageKey, recordCaptureBatch, type CaptureItem } from "../../server/store/capture-decisions";
import { setInternalDomains } from "../../server/store/organizations";
import { databaseTargets } from "../db/databases";
import { TENANT_A, TENANT_B, createHarness, type Harness } from "./harness";

const ADMIN = { oid: "oid-admin", username: "ada@contoso.com", roles: [ADMIN_APP_ROLE] };
const DANA = { oid: "oid-dana", username: "dana@contoso.com" };
const LEE = { oid: "oid-lee", username: "lee@contoso.com" };
const EVE = { oid: "oid-eve", username: "eve@fabrikam.com", tenant: TENANT_B };
type Who = { oid: string; username: string; roles?: string[]; tenant?: string };

for (const target of databaseTargets()) {
  const describeIf = target.available ? describe : describe.skip;

  describeIf(`capture control on ${target.name}`, () => {
    let t: Harness;
    const ids: Record<string, string> = {};
    let n = 0;

    const call = async (
      who: Who,
      method: string,
      path: string,
      body?: unknown,
      rawBody?: string,
      headers?: Record<string, string>,
    ) => {
      const tenant = who.tenant ?? TENANT_A;
      const token = await t.token({
        tid: tenant,
        oid: who.oid,
        preferred_username: who.username,
        ...(who.roles ? { roles: who.roles } : {}),
      });
      const res = await t.call(method, path, { token, body, rawBody, headers });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const userId = async (who: Who) => (await call(who, "GET", "/api/me")).body.user.id as string;
    const track = async (who: Who, email: string) => {
      const r = await call(who, "POST", "/api/contacts", { email });
      expect(r.status).toBe(201);
      return r.body.id as string;
    };

    /** One captured message, found in the given mailboxes, linked to the given contacts. */
    const capture = async (org: string, mailboxes: string[], contactIds: string[], from: string) => {
      const imid = `<m${++n}-${target.name}@mail.example>`;
      const item: CaptureItem = {
        outcome: "captured",
        engagement: {
          internetMessageId: imid,
          conversationId: null,
          subject: `Subject ${n}`,
          bodyText: "Body",
          bodyPreview: "Body",
          direction: "inbound",
          messageTime: "2026-11-26T10:00:00.000Z",
          sentAt: "2026-11-26T10:00:00.000Z",
          receivedAt: "2026-11-26T10:00:00.000Z",
          fromAddress: from,
          participants: [
            { address: from, name: null, role: "from" },
            { address: "dana@contoso.com", name: null, role: "to" },
          ],
        },
        graphMessageId: `g${n}`,
        webLink: null,
        contactIds,
      };
      let engagementId = "";
      for (const user of mailboxes) {
        const [r] = await t.h.db
          .transaction()
          .execute((trx) => recordCaptureBatch(trx, org, user, null, [item], t.clock.now()));
        engagementId = r.engagementId!;
      }
      return { imid, engagementId };
    };
    const exists = async (engagementId: string) =>
      !!(await t.h.db.selectFrom("engagements").select("id").where("id", "=", engagementId).executeTakeFirst());
    const links = async (engagementId: string) => {
      const contacts = await t.h.db
        .selectFrom("engagementContacts")
        .select("contactId")
        .where("engagementId", "=", engagementId)
        .execute();
      const mailboxes = await t.h.db
        .selectFrom("engagementMailboxes")
        .select("userId")
        .where("engagementId", "=", engagementId)
        .execute();
      return contacts.length + mailboxes.length;
    };
    const decision = (user: string, imid: string) =>
      t.h.db
        .selectFrom("captureDecisions")
        .selectAll()
        .where("userId", "=", user)
        .where("messageKey", "=", messageKey(imid))
        .executeTakeFirstOrThrow();

    beforeAll(async () => {
      t = await createHarness({}, {}, target.open);
      for (const [name, who] of Object.entries({ ADMIN, DANA, LEE, EVE })) ids[name] = await userId(who);
    });
    afterAll(() => t?.close());

    describe("internal addresses are never contacts", () => {
      test("before any connection, the caller's own domain (and its subdomains) is internal: 422 internal_address", async () => {
        const me = await call(DANA, "GET", "/api/me");
        expect(me.body.organization.internalDomains).toEqual(["contoso.com"]);
        for (const email of ["lee@contoso.com", " Lee@CONTOSO.com ", "all-staff@eu.contoso.com"]) {
          const r = await call(DANA, "POST", "/api/contacts", { email });
          expect(r.status).toBe(422);
          expect(r.body.error.code).toBe("internal_address");
          expect(r.body.error.message).toContain("contoso.com");
        }
        // A look-alike domain is not a subdomain.
        expect((await call(DANA, "POST", "/api/contacts", { email: "pat@notcontoso.com" })).status).toBe(201);
        expect(
          (await call(DANA, "GET", "/api/contacts?q=contoso")).body.items.map((c: { email: string }) => c.email),
        ).toEqual(["pat@notcontoso.com"]);
      });

      test("the verified domains from Graph replace the fallback, in /api/me, POST and the CSV import", async () => {
        await setInternalDomains(
          t.h.db,
          TENANT_A,
          ["Contoso.com", "contoso.onmicrosoft.com", "contoso.co.uk"],
          t.clock.now(),
        );
        expect((await call(LEE, "GET", "/api/me")).body.organization.internalDomains).toEqual([
          "contoso.co.uk",
          "contoso.com",
          "contoso.onmicrosoft.com",
        ]);
        expect((await call(LEE, "POST", "/api/contacts", { email: "sam@contoso.co.uk" })).body.error.code).toBe(
          "internal_address",
        );
        expect((await call(LEE, "POST", "/api/contacts", { email: "x@contoso.onmicrosoft.com" })).status).toBe(422);

        const csv = "email,name\nnew@tailspin.example,New\nlee@contoso.com,Lee\n";
        const r = await call(LEE, "POST", "/api/contacts/import", undefined, csv, { "content-type": "text/csv" });
        expect(r.status).toBe(422);
        expect(r.body.error.details.errors).toEqual([
          { row: 3, field: "email", message: expect.stringContaining("contoso.com") },
        ]);
        expect((await call(LEE, "GET", "/api/contacts?q=tailspin")).body.items).toEqual([]);
      });

      test("another organization's domains are its own: Fabrikam may track a Contoso address", async () => {
        expect((await call(EVE, "GET", "/api/me")).body.organization.internalDomains).toEqual(["fabrikam.com"]);
        expect((await call(EVE, "POST", "/api/contacts", { email: "lee@contoso.com" })).status).toBe(201);
        expect((await call(EVE, "POST", "/api/contacts", { email: "x@fabrikam.com" })).status).toBe(422);
      });
    });

    test("a contact says who tracked it and when; a colleague's edit keeps who tracked it", async () => {
      const created = await call(DANA, "POST", "/api/contacts", { email: "who@tracked.example" });
      expect(created.body).toMatchObject({
        trackedBy: { id: ids.DANA, email: "dana@contoso.com" },
        createdAt: t.clock.now().toISOString(),
      });
      const moved = await call(LEE, "PATCH", `/api/contacts/${created.body.id}`, { name: "Who" });
      expect(moved.body.trackedBy).toMatchObject({ id: ids.DANA });
      const listed = await call(LEE, "GET", "/api/contacts?q=who%40tracked");
      expect(listed.body.items[0].trackedBy).toMatchObject({ id: ids.DANA, email: "dana@contoso.com" });
      // Untracked and tracked again by Lee: Lee tracked it, now.
      expect((await call(LEE, "DELETE", `/api/contacts/${created.body.id}`)).status).toBe(204);
      expect((await call(LEE, "POST", "/api/contacts", { email: "who@tracked.example" })).body.trackedBy).toMatchObject(
        { id: ids.LEE },
      );
    });

    describe("blocking, with removal of what was captured", () => {
      let alex = "";
      let alexB = "";
      let onlyDana: { imid: string; engagementId: string };
      let shared: { imid: string; engagementId: string };
      let onlyLee: { imid: string; engagementId: string };
      let otherOrg: { imid: string; engagementId: string };
      let keep: { imid: string; engagementId: string };

      beforeAll(async () => {
        alex = await track(DANA, "alex@fabrikam.example");
        const sam = await track(DANA, "sam@northwind.example");
        alexB = await track(EVE, "alex@fabrikam.example");
        onlyDana = await capture(TENANT_A, [ids.DANA], [alex], "alex@fabrikam.example");
        shared = await capture(TENANT_A, [ids.DANA, ids.LEE], [alex], "alex@fabrikam.example");
        onlyLee = await capture(TENANT_A, [ids.LEE], [alex], "Alex@Mail.Fabrikam.example");
        keep = await capture(TENANT_A, [ids.DANA], [sam], "sam@northwind.example");
        otherOrg = await capture(TENANT_B, [ids.EVE], [alexB], "alex@fabrikam.example");
      });

      test("a personal entry previews, then removes only what is in the caller's mailbox alone", async () => {
        const preview = await call(DANA, "GET", "/api/blocklist/preview?entry=@FABRIKAM.example");
        expect(preview).toEqual({
          status: 200,
          body: { engagements: 1, keptShared: 1, keptOtherContact: 0, reach: "mailbox" },
        });
        // The preview changed nothing.
        expect(await exists(onlyDana.engagementId)).toBe(true);

        const added = await call(DANA, "POST", "/api/blocklist", { entry: "@fabrikam.example", removeCaptured: true });
        expect(added.status).toBe(201);
        expect(added.body).toMatchObject({ entry: "@fabrikam.example", scope: "personal", removedEngagements: 1 });
        expect(await exists(onlyDana.engagementId)).toBe(false);
        expect(await links(onlyDana.engagementId)).toBe(0);
        expect((await call(DANA, "GET", `/api/engagements/${onlyDana.engagementId}`)).status).toBe(404);
        for (const e of [shared, onlyLee, keep, otherOrg]) expect(await exists(e.engagementId)).toBe(true);

        // Only the hash stays, now an exclusion that says when and why.
        const d = await decision(ids.DANA, onlyDana.imid);
        expect(d).toMatchObject({
          outcome: "excluded",
          reason: "blocked",
          engagementId: null,
          removal: "blocklist_entry",
          detail: null,
        });
        expect(d.removedAt).toBe(t.clock.now().toISOString());
        expect(JSON.stringify(d)).not.toContain("fabrikam");

        // The status card says what happened to it.
        const status = await call(DANA, "POST", "/api/messages/status", {
          internetMessageId: onlyDana.imid,
          from: "alex@fabrikam.example",
          to: ["dana@contoso.com"],
        });
        expect(status.body).toMatchObject({
          status: "not_captured",
          engagement: null,
          decision: {
            source: "stored",
            reason: "blocked",
            removed: { at: t.clock.now().toISOString(), why: "blocklist_entry" },
          },
        });
        expect(status.body.decision.explanation).toMatch(
          /engagement was removed when a participant was added to the blocklist/,
        );
      });

      test("a captured message with a participant blocked since says so on the status card", async () => {
        const r = await call(DANA, "POST", "/api/messages/status", {
          internetMessageId: shared.imid,
          from: "alex@fabrikam.example",
          to: ["dana@contoso.com"],
        });
        expect(r.status).toBe(200);
        expect(r.body.status).toBe("captured");
        expect(r.body.capturedButBlocked).toMatchObject({
          address: "alex@fabrikam.example",
          entry: "@fabrikam.example",
          scope: "personal",
        });
        expect(r.body.capturedButBlocked.explanation).toMatch(
          /captured before alex@fabrikam.example was put on your personal blocklist/,
        );
        expect(r.body.people[0].blockedBy).toEqual({ entry: "@fabrikam.example", scope: "personal" });
        expect(r.body.people[1].blockedBy).toBeNull();
        // Lee has not blocked anyone: the same message is plainly captured for him.
        const lee = await call(LEE, "POST", "/api/messages/status", {
          internetMessageId: shared.imid,
          from: "alex@fabrikam.example",
          to: ["dana@contoso.com"],
        });
        expect(lee.body).toMatchObject({ status: "captured", capturedButBlocked: null });
      });

      test("a duplicate entry is 409 and removes nothing; a bad entry is 400", async () => {
        const again = await call(DANA, "POST", "/api/blocklist", { entry: "@fabrikam.example", removeCaptured: true });
        expect(again.status).toBe(409);
        expect(again.body.error.code).toBe("duplicate_block_entry");
        expect((await call(DANA, "GET", "/api/blocklist/preview?entry=not-an-entry")).body.error.code).toBe(
          "invalid_entry",
        );
        expect((await call(DANA, "GET", "/api/blocklist/preview")).status).toBe(400);
        expect(
          (await call(DANA, "POST", "/api/blocklist", { entry: "@x.example", removeCaptured: "yes" })).status,
        ).toBe(400);
      });

      test("organization entries: members get 403 (preview and add); administrators remove across the organization, never another's", async () => {
        const denied = await call(LEE, "GET", "/api/blocklist/preview?entry=@fabrikam.example&scope=organization");
        expect(denied.status).toBe(403);
        expect(
          (
            await call(LEE, "POST", "/api/blocklist", {
              entry: "@fabrikam.example",
              scope: "organization",
              removeCaptured: true,
            })
          ).status,
        ).toBe(403);
        expect(await exists(onlyLee.engagementId)).toBe(true);

        const preview = await call(ADMIN, "GET", "/api/blocklist/preview?entry=@fabrikam.example&scope=organization");
        expect(preview.body).toEqual({ engagements: 2, keptShared: 0, keptOtherContact: 0, reach: "organization" });
        const added = await call(ADMIN, "POST", "/api/blocklist", {
          entry: "@fabrikam.example",
          scope: "organization",
          removeCaptured: true,
        });
        expect(added).toMatchObject({ status: 201, body: { scope: "organization", removedEngagements: 2 } });
        for (const e of [shared, onlyLee]) expect(await exists(e.engagementId)).toBe(false);
        expect(await decision(ids.LEE, shared.imid)).toMatchObject({
          outcome: "excluded",
          reason: "blocked",
          removal: "blocklist_entry",
        });
        expect(await decision(ids.DANA, shared.imid)).toMatchObject({
          outcome: "excluded",
          reason: "blocked",
          removal: "blocklist_entry",
        });
        // Fabrikam's own engagement with the same address, and Contoso's unrelated one, stay.
        expect(await exists(otherOrg.engagementId)).toBe(true);
        expect(await exists(keep.engagementId)).toBe(true);
        expect(await decision(ids.EVE, otherOrg.imid)).toMatchObject({ outcome: "captured", removal: null });
      });

      test("without removeCaptured an entry deletes nothing", async () => {
        const r = await call(DANA, "POST", "/api/blocklist", { entry: "sam@northwind.example" });
        expect(r).toMatchObject({ status: 201, body: { removedEngagements: 0 } });
        expect(await exists(keep.engagementId)).toBe(true);
      });
    });

    describe("untracking, with removal of what was captured", () => {
      test("a member removes only the contact's engagements found in their mailbox alone and on no other tracked contact", async () => {
        const kim = await track(DANA, "kim@tailspin.example");
        const other = await track(DANA, "ola@tailspin.example");
        const mine = await capture(TENANT_A, [ids.DANA], [kim], "kim@tailspin.example");
        const withOther = await capture(TENANT_A, [ids.DANA], [kim, other], "kim@tailspin.example");
        const sharedCopy = await capture(TENANT_A, [ids.DANA, ids.LEE], [kim], "kim@tailspin.example");
        const leesOnly = await capture(TENANT_A, [ids.LEE], [kim], "kim@tailspin.example");

        // Another organization can neither preview nor untrack it.
        expect((await call(EVE, "GET", `/api/contacts/${kim}/removal-preview`)).status).toBe(404);
        expect((await call(EVE, "DELETE", `/api/contacts/${kim}?removeCaptured=true`)).status).toBe(404);
        expect((await call(DANA, "DELETE", `/api/contacts/${kim}?removeCaptured=maybe`)).status).toBe(400);

        const preview = await call(DANA, "GET", `/api/contacts/${kim}/removal-preview`);
        expect(preview.body).toEqual({ engagements: 1, keptShared: 1, keptOtherContact: 1, reach: "mailbox" });
        const del = await call(DANA, "DELETE", `/api/contacts/${kim}?removeCaptured=true`);
        expect(del).toEqual({ status: 200, body: { removedEngagements: 1 } });
        expect(await exists(mine.engagementId)).toBe(false);
        for (const e of [withOther, sharedCopy, leesOnly]) expect(await exists(e.engagementId)).toBe(true);
        expect(await decision(ids.DANA, mine.imid)).toMatchObject({
          outcome: "excluded",
          reason: "no_tracked_contact",
          removal: "untracked_contact",
          engagementId: null,
        });
        expect((await call(DANA, "GET", `/api/contacts/${kim}`)).status).toBe(404);
        expect((await call(DANA, "DELETE", `/api/contacts/${kim}?removeCaptured=true`)).status).toBe(404);
      });

      test("an administrator removes the contact's engagements in every mailbox; without the flag nothing goes", async () => {
        const pat = await track(DANA, "pat@litware.example");
        const a = await capture(TENANT_A, [ids.DANA, ids.LEE], [pat], "pat@litware.example");
        const b = await capture(TENANT_A, [ids.LEE], [pat], "pat@litware.example");
        expect((await call(ADMIN, "GET", `/api/contacts/${pat}/removal-preview`)).body).toEqual({
          engagements: 2,
          keptShared: 0,
          keptOtherContact: 0,
          reach: "organization",
        });
        expect((await call(ADMIN, "DELETE", `/api/contacts/${pat}?removeCaptured=true`)).body).toEqual({
          removedEngagements: 2,
        });
        for (const e of [a, b]) expect(await exists(e.engagementId)).toBe(false);

        const quinn = await track(DANA, "quinn@litware.example");
        const c = await capture(TENANT_A, [ids.DANA], [quinn], "quinn@litware.example");
        expect((await call(DANA, "DELETE", `/api/contacts/${quinn}`)).status).toBe(204);
        expect(await exists(c.engagementId)).toBe(true);
      });
    });
  });
}
