/**
 * The data layer, one suite, run against every available database (SQLite always; PostgreSQL
 * when TEST_DATABASE_URL is set — otherwise that half is reported as skipped by name).
 */
import { sql } from "kysely";
import { databaseTargets, type TestDatabase } from "./databases";
import { dbKind, migrateToLatest, type Db } from "../../server/db";
import { provisionUser, getUserByOid, setUserAddresses } from "../../server/store/users";
import { getOrganization } from "../../server/store/organizations";
import { createClient, deleteClient, getClient, listClients, updateClient } from "../../server/store/clients";
import {
  createContact,
  deleteContact,
  findLiveContactsByEmails,
  getContactView,
  importContacts,
  listContacts,
  listLiveContactFacts,
  updateContact,
} from "../../server/store/contacts";
import { getDecision, messageKey, recordCaptureBatch, type CaptureItem } from "../../server/store/capture-decisions";
import { getEngagementView, listEngagements } from "../../server/store/engagements";
import { addBlockEntry, blocklistFor, deleteBlockEntry, listBlockEntries } from "../../server/store/blocklist";
import {
  disconnectConnection,
  getConnection,
  saveConnection,
  setConnectionStatus,
  toConnectionView,
} from "../../server/store/mailbox-connections";
import { listSweeps, lastSuccessfulSweep } from "../../server/store/sweeps";
import { ruleChangesSince, rulesChangedAt } from "../../server/store/rule-inputs";
import { ConflictError, NotFoundError, isUniqueViolation } from "../../server/store/errors";

const T0 = "2026-11-26T12:00:00.000Z";
const T1 = "2027-01-01T00:00:00.000Z"; // later than anything else this file writes
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

for (const target of databaseTargets()) {
  const d = target.available ? describe : describe.skip;
  d(`data layer on ${target.name}${target.available ? "" : " (skipped: set TEST_DATABASE_URL to run it)"}`, () => {
    let h: TestDatabase;
    let db: Db;
    beforeAll(async () => {
      h = await target.open();
      db = h.db;
    }, 30_000);
    afterAll(async () => {
      await h?.close();
    });

    let n = 0;
    /** A fresh organization + user per test, so tests do not depend on each other's rows. */
    async function freshUser(suffix = "") {
      n++;
      const tid = `tid-${target.name}-${n}${suffix}-${Math.random().toString(36).slice(2, 8)}`;
      const user = await provisionUser(
        db,
        { organizationId: tid, oid: `oid-${n}`, email: `Dana${n}@Contoso.com`, displayName: "Dana" },
        T0,
      );
      return { orgId: tid, user };
    }

    test("knows its dialect and migrations are idempotent", async () => {
      expect(dbKind(db)).toBe(target.name);
      await migrateToLatest(db);
      const r = await sql<{ one: number }>`select 1 as one`.execute(db);
      expect(Number(r.rows[0].one)).toBe(1);
    });

    test("provisioning an organization and user is idempotent, also concurrently", async () => {
      const tid = `tid-prov-${target.name}`;
      const input = { organizationId: tid, oid: "oid-x", email: " Dana@Contoso.com ", displayName: "Dana Kim" };
      const users = await Promise.all([1, 2, 3, 4, 5].map(() => provisionUser(db, input, T0)));
      expect(new Set(users.map((u) => u.id)).size).toBe(1);
      expect(users[0].email).toBe("dana@contoso.com");
      expect(users[0].addresses).toEqual(["dana@contoso.com"]);
      expect((await getOrganization(db, tid))?.id).toBe(tid);
      await setUserAddresses(db, tid, users[0].id, ["DANA@contoso.com", "dana.kim@contoso.com", "junk"], at(1));
      const again = await getUserByOid(db, tid, "oid-x");
      expect(again?.addresses).toEqual(["dana@contoso.com", "dana.kim@contoso.com"]);
      expect(again?.addressesRefreshedAt).toBe(at(1));
    });

    test("clients: create, duplicate name, rename, list with contact counts, delete keeps contacts", async () => {
      const { orgId } = await freshUser();
      const acme = await createClient(db, orgId, " Acme ", T0);
      expect(acme.name).toBe("Acme");
      await expect(createClient(db, orgId, "Acme", T0)).rejects.toMatchObject({ code: "duplicate_client" });
      // One client per name ignoring case, as the CSV import matches names.
      await expect(createClient(db, orgId, "ACME ", T0)).rejects.toMatchObject({ code: "duplicate_client" });
      const globex = await createClient(db, orgId, "Globex", T0);
      await expect(updateClient(db, orgId, globex.id, { name: "acme" }, at(1))).rejects.toMatchObject({
        code: "duplicate_client",
      });
      expect((await updateClient(db, orgId, acme.id, { name: "ACME" }, at(1)))?.name).toBe("ACME"); // its own name, recased
      expect((await updateClient(db, orgId, acme.id, { name: "Acme" }, at(1)))?.name).toBe("Acme");
      await createContact(db, orgId, { email: "a@acme.com", clientId: acme.id }, T0);
      await createContact(db, orgId, { email: "b@acme.com", clientId: acme.id }, T0);
      const list = await listClients(db, orgId);
      expect(list.map((c) => [c.name, c.contactCount])).toEqual([
        ["Acme", 2],
        ["Globex", 0],
      ]);
      expect((await updateClient(db, orgId, globex.id, { name: "Globex Corp" }, at(1)))?.name).toBe("Globex Corp");
      expect(await deleteClient(db, orgId, acme.id)).toBe(true);
      expect(await getClient(db, orgId, acme.id)).toBeNull();
      const contacts = await listContacts(db, orgId, { limit: 10 });
      expect(contacts.items.map((c) => [c.email, c.clientId])).toEqual([
        ["a@acme.com", null],
        ["b@acme.com", null],
      ]);
    });

    test("contacts: normalised, duplicate → conflict, soft delete, revive with a new createdAt", async () => {
      const { orgId } = await freshUser();
      const c = await createContact(db, orgId, { email: "  Alice@ACME.com ", name: "Alice" }, T0);
      expect(c.email).toBe("alice@acme.com");
      await expect(createContact(db, orgId, { email: "alice@acme.com" }, T0)).rejects.toBeInstanceOf(ConflictError);
      expect(await deleteContact(db, orgId, c.id, at(10))).toBe(true);
      expect(await deleteContact(db, orgId, c.id, at(10))).toBe(false);
      expect(await getContactView(db, orgId, c.id)).toBeNull();
      expect(await findLiveContactsByEmails(db, orgId, ["alice@acme.com"])).toEqual([]);
      const back = await createContact(db, orgId, { email: "alice@acme.com", name: "Alice B" }, at(60));
      expect(back.id).toBe(c.id); // same row, so old engagement links stay attached
      expect(back.createdAt).toBe(at(60));
      expect(back.name).toBe("Alice B");
    });

    test("contacts: a client of another organization is not found", async () => {
      const a = await freshUser("a");
      const b = await freshUser("b");
      const foreign = await createClient(db, b.orgId, "Theirs", T0);
      await expect(createContact(db, a.orgId, { email: "x@y.com", clientId: foreign.id }, T0)).rejects.toBeInstanceOf(
        NotFoundError,
      );
      const mine = await createContact(db, a.orgId, { email: "x@y.com" }, T0);
      await expect(updateContact(db, a.orgId, mine.id, { clientId: foreign.id }, T0)).rejects.toBeInstanceOf(
        NotFoundError,
      );
      expect(await updateContact(db, b.orgId, mine.id, { name: "hijack" }, T0)).toBeNull();
      expect(await deleteContact(db, b.orgId, mine.id, T0)).toBe(false);
    });

    test("contacts: search (literal wildcards, unicode, SQL-looking text verbatim), client filter, cursor pages", async () => {
      const { orgId } = await freshUser();
      const client = await createClient(db, orgId, "Zürich AG'; DROP TABLE contacts;--", T0);
      const names = ["Jürgen Groß", "Robert'); DROP TABLE contacts;--", "50%_off", "李小龙", "Plain"];
      for (let i = 0; i < names.length; i++) {
        await createContact(
          db,
          orgId,
          { email: `p${i}@example.com`, name: names[i], clientId: i < 2 ? client.id : null },
          T0,
        );
      }
      expect((await listContacts(db, orgId, { q: "groß", limit: 10 })).items.map((c) => c.name)).toEqual([
        "Jürgen Groß",
      ]);
      expect((await listContacts(db, orgId, { q: "DROP TABLE", limit: 10 })).items.map((c) => c.name)).toEqual([
        names[1],
      ]);
      expect((await listContacts(db, orgId, { q: "%_", limit: 10 })).items.map((c) => c.name)).toEqual(["50%_off"]);
      expect((await listContacts(db, orgId, { q: "小龙", limit: 10 })).items.map((c) => c.email)).toEqual([
        "p3@example.com",
      ]);
      expect((await listContacts(db, orgId, { q: "P4@EXAMPLE", limit: 10 })).items.map((c) => c.email)).toEqual([
        "p4@example.com",
      ]);
      const byClient = await listContacts(db, orgId, { clientId: client.id, limit: 10 });
      expect(byClient.items.map((c) => c.client?.name)).toEqual([client.name, client.name]);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await listContacts(db, orgId, { limit: 2, cursor });
        seen.push(...page.items.map((c) => c.email));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(seen).toEqual(["p0@example.com", "p1@example.com", "p2@example.com", "p3@example.com", "p4@example.com"]);
      expect((await listLiveContactFacts(db, orgId)).length).toBe(5);
    });

    test("contacts import is all-or-nothing and reports every bad row", async () => {
      const { orgId } = await freshUser();
      await createContact(db, orgId, { email: "exists@acme.com" }, T0);
      const gone = await createContact(db, orgId, { email: "gone@acme.com" }, T0);
      await deleteContact(db, orgId, gone.id, T0);
      const bad = await importContacts(
        db,
        orgId,
        [
          { row: 2, email: "new@acme.com", name: "New", client: "Acme" },
          { row: 3, email: "not-an-address", name: null, client: null },
          { row: 4, email: "NEW@acme.com", name: null, client: null },
          { row: 5, email: "exists@acme.com", name: null, client: null },
        ],
        at(5),
      );
      expect(bad.ok).toBe(false);
      if (!bad.ok)
        expect(bad.errors.map((e) => [e.row, e.field])).toEqual([
          [3, "email"],
          [4, "email"],
          [5, "email"],
        ]);
      expect((await listContacts(db, orgId, { limit: 10 })).items.map((c) => c.email)).toEqual(["exists@acme.com"]);
      expect(await listClients(db, orgId)).toEqual([]);

      const good = await importContacts(
        db,
        orgId,
        [
          { row: 2, email: "new@acme.com", name: "New", client: "Acme" },
          { row: 3, email: "gone@acme.com", name: "Back", client: " acme " },
          { row: 4, email: "solo@x.org", name: null, client: null },
        ],
        at(5),
      );
      expect(good).toMatchObject({ ok: true, created: 2, revived: 1, clientsCreated: 1 });
      const list = (await listContacts(db, orgId, { limit: 10 })).items;
      expect(list.map((c) => [c.email, c.client?.name ?? null])).toEqual([
        ["exists@acme.com", null],
        ["gone@acme.com", "Acme"],
        ["new@acme.com", "Acme"],
        ["solo@x.org", null],
      ]);
      expect(list.find((c) => c.email === "gone@acme.com")?.createdAt).toBe(at(5));
    });

    function captured(imid: string, graphMessageId: string, contactIds: string[], minutes = 0): CaptureItem {
      return {
        outcome: "captured",
        engagement: {
          internetMessageId: imid,
          conversationId: "conv-1",
          subject: "Ünïcode ' ; DROP TABLE engagements; --",
          bodyText: "body",
          bodyPreview: "body",
          direction: "inbound",
          messageTime: at(minutes),
          sentAt: at(minutes),
          receivedAt: at(minutes),
          fromAddress: "alice@acme.com",
          participants: [
            { address: "alice@acme.com", name: "Alice", role: "from" },
            { address: "dana@contoso.com", name: null, role: "to" },
          ],
        },
        graphMessageId,
        webLink: `https://outlook.example/${graphMessageId}`,
        contactIds,
      };
    }

    async function snapshot(orgId: string) {
      const tables = ["engagements", "engagementContacts", "engagementMailboxes", "captureDecisions"] as const;
      const out: Record<string, unknown[]> = {};
      for (const t of tables) {
        out[t] = await db.selectFrom(t).selectAll().where("organizationId", "=", orgId).execute();
        (out[t] as Record<string, unknown>[]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      }
      return out;
    }

    test("recordCaptureBatch: one engagement per message across mailboxes; re-running changes nothing", async () => {
      const { orgId, user: dana } = await freshUser();
      const lee = await provisionUser(
        db,
        { organizationId: orgId, oid: "lee", email: "lee@contoso.com", displayName: null },
        T0,
      );
      const client = await createClient(db, orgId, "Acme", T0);
      const alice = await createContact(db, orgId, { email: "alice@acme.com", clientId: client.id }, T0);
      const items: CaptureItem[] = [
        captured("<m1@acme.com>", "g-dana-1", [alice.id], 1),
        {
          outcome: "excluded",
          messageKey: messageKey("<m2@acme.com>"),
          reason: "excluded_folder",
          detail: { folder: "junkemail" },
        },
        {
          outcome: "excluded",
          messageKey: messageKey("<m3@acme.com>"),
          reason: "blocked",
          detail: { addresses: ["x@noisy.example"], entry: "@noisy.example" },
        },
      ];
      const first = await db
        .transaction()
        .execute((trx) => recordCaptureBatch(trx, orgId, dana.id, null, items, at(2)));
      expect(first[0]).toMatchObject({ outcome: "captured", engagementCreated: true });
      const before = await snapshot(orgId);
      const again = await db
        .transaction()
        .execute((trx) => recordCaptureBatch(trx, orgId, dana.id, null, items, at(70)));
      expect(again[0]).toMatchObject({ engagementId: first[0].engagementId, engagementCreated: false });
      expect(await snapshot(orgId)).toEqual(before);

      // The same message in a teammate's mailbox: still one engagement, now two mailbox links.
      await db
        .transaction()
        .execute((trx) =>
          recordCaptureBatch(trx, orgId, lee.id, null, [captured(" <m1@acme.com> ", "g-lee-1", [alice.id], 1)], at(3)),
        );
      const page = await listEngagements(db, orgId, { kind: "app" }, { limit: 10 });
      expect(page.items).toHaveLength(1);
      const view = await getEngagementView(db, orgId, { kind: "app" }, first[0].engagementId!);
      expect(view?.mailboxes.map((m) => m.userId).sort()).toEqual([dana.id, lee.id].sort());
      expect(view?.contacts.map((c) => c.email)).toEqual(["alice@acme.com"]);
      expect(view?.clients).toEqual([{ id: client.id, name: "Acme" }]);
      expect(view?.subject).toBe("Ünïcode ' ; DROP TABLE engagements; --");
      expect(view?.bodyText).toBe("body");

      // Excluded mail keeps only the hash and non-personal detail.
      const blocked = await getDecision(db, orgId, dana.id, messageKey("<m3@acme.com>"));
      expect(blocked).toMatchObject({ outcome: "excluded", reason: "blocked", detail: null, engagementId: null });
      expect((await getDecision(db, orgId, dana.id, messageKey("<m2@acme.com>")))?.detail).toEqual({
        folder: "junkemail",
      });
      const raw = JSON.stringify(await snapshot(orgId));
      expect(raw).not.toContain("noisy.example");
      expect(raw).not.toContain("<m2@acme.com>");
      expect(messageKey(" <m2@acme.com>\n")).toBe(messageKey("<m2@acme.com>"));
      expect(messageKey("<m2@acme.com>")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    test("recordCaptureBatch: an exclusion can become a capture, never the reverse", async () => {
      const { orgId, user } = await freshUser();
      const bob = await createContact(db, orgId, { email: "bob@globex.com" }, T0);
      const key = messageKey("<late@globex.com>");
      await recordCaptureBatch(
        db,
        orgId,
        user.id,
        null,
        [{ outcome: "excluded", messageKey: key, reason: "no_tracked_contact" }],
        at(1),
      );
      expect((await getDecision(db, orgId, user.id, key))?.reason).toBe("no_tracked_contact");
      await recordCaptureBatch(db, orgId, user.id, null, [captured("<late@globex.com>", "g1", [bob.id])], at(60));
      const d1 = await getDecision(db, orgId, user.id, key);
      expect(d1).toMatchObject({ outcome: "captured", reason: null, decidedAt: at(60) });
      await recordCaptureBatch(
        db,
        orgId,
        user.id,
        null,
        [{ outcome: "excluded", messageKey: key, reason: "no_tracked_contact" }],
        at(120),
      );
      expect(await getDecision(db, orgId, user.id, key)).toEqual(d1);
    });

    test("a failing batch stores nothing (one transaction per batch)", async () => {
      const { orgId, user } = await freshUser();
      const alice = await createContact(db, orgId, { email: "alice@acme.com" }, T0);
      await expect(
        db.transaction().execute(async (trx) => {
          await recordCaptureBatch(trx, orgId, user.id, null, [captured("<tx@acme.com>", "g1", [alice.id])], T0);
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      expect((await listEngagements(db, orgId, { kind: "app" }, { limit: 10 })).items).toEqual([]);
      expect(await getDecision(db, orgId, user.id, messageKey("<tx@acme.com>"))).toBeNull();
    });

    test("engagements: newest first, filters by contact, client and time, cursor pages, organization scope", async () => {
      const { orgId, user } = await freshUser();
      const other = await freshUser("other");
      const acme = await createClient(db, orgId, "Acme", T0);
      const alice = await createContact(db, orgId, { email: "alice@acme.com", clientId: acme.id }, T0);
      const carl = await createContact(db, orgId, { email: "carl@else.com" }, T0);
      const items: CaptureItem[] = [];
      for (let i = 0; i < 5; i++)
        items.push(captured(`<e${i}@x>`, `g${i}`, [i % 2 === 0 ? alice.id : carl.id], i * 10));
      items.push(captured("<same-time@x>", "gs", [alice.id], 20)); // ties with e2 on messageTime
      await db.transaction().execute((trx) => recordCaptureBatch(trx, orgId, user.id, null, items, T0));
      await recordCaptureBatch(db, other.orgId, other.user.id, null, [captured("<e0@x>", "o0", [], 0)], T0);

      const all: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await listEngagements(db, orgId, { kind: "app" }, { limit: 2, cursor });
        all.push(...page.items.map((e) => e.internetMessageId));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(all).toHaveLength(6);
      expect(all.slice(0, 2)).toEqual(["<e4@x>", "<e3@x>"]);
      expect(all.slice(2, 4).sort()).toEqual(["<e2@x>", "<same-time@x>"]);
      expect(all.slice(4)).toEqual(["<e1@x>", "<e0@x>"]);

      const byAlice = await listEngagements(db, orgId, { kind: "app" }, { contactId: alice.id, limit: 10 });
      expect(byAlice.items.map((e) => e.internetMessageId).sort()).toEqual([
        "<e0@x>",
        "<e2@x>",
        "<e4@x>",
        "<same-time@x>",
      ]);
      const byClient = await listEngagements(db, orgId, { kind: "app" }, { clientId: acme.id, limit: 10 });
      expect(byClient.items).toHaveLength(4);
      const ranged = await listEngagements(db, orgId, { kind: "app" }, { from: at(10), to: at(30), limit: 10 });
      expect(ranged.items.map((e) => e.internetMessageId).sort()).toEqual(["<e1@x>", "<e2@x>", "<same-time@x>"]);
      expect(await getEngagementView(db, other.orgId, { kind: "app" }, byAlice.items[0].id)).toBeNull();
      expect(
        (await listEngagements(db, other.orgId, { kind: "app" }, { limit: 10 })).items.map((e) => e.internetMessageId),
      ).toEqual(["<e0@x>"]);
    });

    test("blocklist: organization and personal scopes, duplicates, someone else's personal entry", async () => {
      const { orgId, user } = await freshUser();
      const mate = await provisionUser(
        db,
        { organizationId: orgId, oid: "mate", email: "mate@contoso.com", displayName: null },
        T0,
      );
      const org = await addBlockEntry(
        db,
        orgId,
        { entry: " @Noisy.Example ", scope: "organization", userId: user.id },
        T0,
      );
      expect(org).toMatchObject({ entry: "@noisy.example", scope: "organization" });
      await expect(
        addBlockEntry(db, orgId, { entry: "@noisy.example", scope: "organization", userId: mate.id }, T0),
      ).rejects.toMatchObject({
        code: "duplicate_block_entry",
      });
      await expect(
        addBlockEntry(db, orgId, { entry: "not valid", scope: "personal", userId: user.id }, T0),
      ).rejects.toMatchObject({ code: "invalid_entry" });
      const mine = await addBlockEntry(
        db,
        orgId,
        { entry: "Spam@Example.com", scope: "personal", userId: user.id },
        T0,
      );
      await addBlockEntry(db, orgId, { entry: "spam@example.com", scope: "personal", userId: mate.id }, T0); // same entry, other person: fine
      await addBlockEntry(db, orgId, { entry: "@noisy.example", scope: "personal", userId: mate.id }, T0); // personal copy of an org entry: fine
      expect((await listBlockEntries(db, orgId, user.id)).map((e) => [e.entry, e.scope])).toEqual([
        ["@noisy.example", "organization"],
        ["spam@example.com", "personal"],
      ]);
      expect((await blocklistFor(db, orgId, user.id)).sort()).toEqual(["@noisy.example", "spam@example.com"]);
      const changes = () => ruleChangesSince(db, orgId, user.id, T0, 10);
      expect(await deleteBlockEntry(db, orgId, mate.id, mine.id, T1)).toBe(false);
      expect(await changes()).toEqual([]); // nothing removed, nothing to re-read
      expect(await deleteBlockEntry(db, orgId, user.id, mine.id, T1)).toBe(true);
      // A removal can turn "blocked" mail into captured mail: this user's sweeps look for that address.
      expect(await changes()).toEqual([
        { kind: "block_removed", address: "spam@example.com", at: new Date(T1).toISOString() },
      ]);
      expect(await ruleChangesSince(db, orgId, mate.id, T0, 10)).toEqual([]); // a personal entry: only its owner's
      expect(await rulesChangedAt(db, orgId)).toBeNull(); // no organization-wide re-read
      const otherOrg = await freshUser("o");
      expect(await deleteBlockEntry(db, otherOrg.orgId, otherOrg.user.id, org.id, T1)).toBe(false);
    });

    test("mailbox connection: connect, reauth, reconnect keeps connectedAt, disconnect drops tokens", async () => {
      const { orgId, user } = await freshUser();
      expect(toConnectionView(await getConnection(db, orgId, user.id)).status).toBe("not_connected");
      await saveConnection(db, orgId, user.id, { homeAccountId: "oid.tid", tokenCache: "enc:1" }, T0);
      expect(await setConnectionStatus(db, orgId, user.id, "reauth_required", "The grant was revoked.", at(60))).toBe(
        true,
      );
      const reauth = toConnectionView(await getConnection(db, orgId, user.id), at(120));
      expect(reauth).toMatchObject({
        status: "reauth_required",
        reason: "The grant was revoked.",
        nextSweepAt: null,
        connectedAt: T0,
      });
      const again = await saveConnection(db, orgId, user.id, { homeAccountId: "oid.tid", tokenCache: "enc:2" }, at(90));
      expect(again).toMatchObject({ status: "active", connectedAt: T0, tokenCache: "enc:2" });
      expect(toConnectionView(again, at(120)).nextSweepAt).toBe(at(120));
      expect(await disconnectConnection(db, orgId, user.id, at(100))).toBe(true);
      expect(await getConnection(db, orgId, user.id)).toMatchObject({ status: "disconnected", tokenCache: null });
      expect(
        (await saveConnection(db, orgId, user.id, { homeAccountId: "h", tokenCache: "enc:3" }, at(200))).connectedAt,
      ).toBe(at(200));
    });

    test("sweeps: newest first, counts as numbers, last success", async () => {
      const { orgId, user } = await freshUser();
      const base = {
        organizationId: orgId,
        userId: user.id,
        trigger: "schedule" as const,
        windowStart: T0,
        windowEnd: T0,
        finishedAt: null,
        graphRequests: 2,
        retries: 1,
        error: null,
      };
      await db
        .insertInto("sweeps")
        .values([
          {
            ...base,
            id: "s1",
            status: "succeeded",
            startedAt: at(0),
            listed: 10,
            captured: 2,
            excluded: 8,
            excludedByReason: JSON.stringify({ no_tracked_contact: 8 }),
          },
          {
            ...base,
            id: "s2",
            status: "failed",
            startedAt: at(60),
            listed: 0,
            captured: 0,
            excluded: 0,
            excludedByReason: "{}",
            error: "throttled",
          },
        ])
        .execute();
      const list = await listSweeps(db, orgId, user.id);
      expect(list.map((s) => s.id)).toEqual(["s2", "s1"]);
      expect(list[1]).toMatchObject({ listed: 10, captured: 2, excludedByReason: { no_tracked_contact: 8 } });
      expect((await lastSuccessfulSweep(db, orgId, user.id))?.id).toBe("s1");
      expect(await listSweeps(db, (await freshUser("z")).orgId, user.id)).toEqual([]);
    });

    test("unique constraints hold at the database level", async () => {
      const { orgId } = await freshUser();
      const row = {
        organizationId: orgId,
        clientId: null,
        email: "u@x.com",
        name: null,
        createdAt: T0,
        updatedAt: T0,
        deletedAt: null,
      };
      await db
        .insertInto("contacts")
        .values({ ...row, id: "c-1-" + orgId })
        .execute();
      let failure: unknown = null;
      try {
        await db
          .insertInto("contacts")
          .values({ ...row, id: "c-2-" + orgId })
          .execute();
      } catch (err) {
        failure = err;
      }
      // Checked by code, not instanceof: driver errors may come from another realm under Jest.
      expect(isUniqueViolation(failure)).toBe(true);
    });
  });
}
