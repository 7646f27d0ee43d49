/**
 * Fair share between organizations in the data layer, on every available database: a CSV import is
 * checked whole, then written in chunks that let other work through; one import per organization at a
 * time (across processes: a lease row); a contact quota and a blocklist quota per organization.
 */
import { databaseTargets, type TestDatabase } from "./databases";
import { provisionUser } from "../../server/store/users";
import { acquireImportLease, IMPORT_LEASE_MS, releaseImportLease } from "../../server/store/contact-import-leases";
import {
  countLiveContacts,
  createContact,
  deleteContact,
  importContacts,
  IMPORT_CHUNK_ROWS,
  type ImportRow,
} from "../../server/store/contacts";
import { addBlockEntry } from "../../server/store/blocklist";
import { createClient } from "../../server/store/clients";

const T0 = "2026-11-26T12:00:00.000Z";

// Thousands of rows per test, on a machine shared with other suites.
jest.setTimeout(30_000);

const rowsOf = (n: number, prefix: string): ImportRow[] =>
  Array.from({ length: n }, (_, i) => ({
    row: i + 2,
    email: `${prefix}${i}@client${i % 7}.example`,
    name: `P ${i}`,
    client: `Client ${i % 7}`,
  }));

for (const target of databaseTargets()) {
  const d = target.available ? describe : describe.skip;
  d(
    `contact import and quotas on ${target.name}${target.available ? "" : " (skipped: set TEST_DATABASE_URL to run it)"}`,
    () => {
      let h: TestDatabase;
      let n = 0;
      const freshOrg = async () => {
        const org = `org-import-${++n}-${Math.random().toString(36).slice(2, 8)}`;
        await provisionUser(
          h.db,
          { organizationId: org, oid: `oid-${n}`, email: "dana@contoso.com", displayName: null },
          T0,
        );
        return org;
      };
      beforeAll(async () => {
        h = await target.open();
      }, 30_000);
      afterAll(() => h?.close());

      test("one import per organization at a time: a second one → import_in_progress; other organizations import meanwhile", async () => {
        const [a, b] = [await freshOrg(), await freshOrg()];
        const lease = await acquireImportLease(h.db, a, new Date(T0)); // as a running import (here or in another process) holds it
        await expect(importContacts(h.db, a, rowsOf(3, "a"), T0)).rejects.toMatchObject({ code: "import_in_progress" });
        expect(await countLiveContacts(h.db, a)).toBe(0);
        await expect(importContacts(h.db, b, rowsOf(3, "b"), T0)).resolves.toMatchObject({ ok: true, created: 3 });
        await releaseImportLease(h.db, a, lease);
        await expect(importContacts(h.db, a, rowsOf(3, "a"), T0)).resolves.toMatchObject({ ok: true, created: 3 });
        // Released after a refused file too: the next import is not blocked.
        await expect(importContacts(h.db, a, rowsOf(3, "a"), T0)).resolves.toMatchObject({ ok: false });
        await expect(importContacts(h.db, a, rowsOf(2, "c"), T0)).resolves.toMatchObject({ ok: true, created: 2 });
      });

      test("two imports started together in one organization: exactly one runs", async () => {
        const org = await freshOrg();
        const results = await Promise.allSettled([
          importContacts(h.db, org, rowsOf(50, "x"), T0),
          importContacts(h.db, org, rowsOf(50, "y"), T0),
        ]);
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        expect(
          results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.code),
        ).toEqual(["import_in_progress"]);
        expect(await countLiveContacts(h.db, org)).toBe(50);
      });

      test("the lease of an import whose process died is taken over once it has expired", async () => {
        const org = await freshOrg();
        await acquireImportLease(h.db, org, new Date(T0)); // never released
        const later = new Date(Date.parse(T0) + IMPORT_LEASE_MS - 1000);
        await expect(importContacts(h.db, org, rowsOf(1, "z"), later)).rejects.toMatchObject({
          code: "import_in_progress",
        });
        const expired = new Date(Date.parse(T0) + IMPORT_LEASE_MS + 1000);
        await expect(importContacts(h.db, org, rowsOf(1, "z"), expired)).resolves.toMatchObject({
          ok: true,
          created: 1,
        });
      });

      test("a large import is written in chunks: another organization's write completes before it ends", async () => {
        const [a, b] = [await freshOrg(), await freshOrg()];
        const rows = rowsOf(IMPORT_CHUNK_ROWS * 4, "big");
        const order: string[] = [];
        const importing = importContacts(h.db, a, rows, T0).then((r) => (order.push("import"), r));
        await new Promise((resolve) => setImmediate(resolve)); // the import has started
        await createContact(h.db, b, { email: "meanwhile@other.example" }, T0).then(() => order.push("other"));
        const result = await importing;
        expect(result).toMatchObject({ ok: true, created: rows.length, clientsCreated: 7 });
        expect(order).toEqual(["other", "import"]);
        expect(await countLiveContacts(h.db, a)).toBe(rows.length);
      });

      test("a chunk failing while writing withdraws what the import already wrote: nothing stays tracked", async () => {
        const org = await freshOrg();
        const rows = rowsOf(IMPORT_CHUNK_ROWS * 2 + 10, "boom");
        await createContact(h.db, org, { email: "old@keep.example" }, T0);
        // The second chunk's transaction does its writes, then fails (as a lost connection or a full disk would): rolled back.
        let transactions = 0;
        const failing = new Proxy(h.db, {
          get(db, prop) {
            if (prop === "transaction") {
              return () => {
                const builder = db.transaction();
                if (++transactions !== 2) return builder;
                return {
                  execute: (fn: (trx: unknown) => Promise<unknown>) =>
                    builder.execute(async (trx) => {
                      await fn(trx);
                      throw new Error("boom");
                    }),
                };
              };
            }
            const value: unknown = Reflect.get(db, prop, db);
            return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(db) : value;
          },
        });
        await expect(importContacts(failing, org, rows, T0)).rejects.toThrow(/boom/);
        expect(transactions).toBe(2);
        expect(await countLiveContacts(h.db, org)).toBe(1);
        // The file can be imported again as it is.
        await expect(importContacts(h.db, org, rows, T0)).resolves.toMatchObject({
          ok: true,
          revived: IMPORT_CHUNK_ROWS,
          created: IMPORT_CHUNK_ROWS + 10,
        });
      });

      test("contact quota: live contacts plus the file's must fit, else contact_quota_exceeded and nothing stored; single creates too", async () => {
        const org = await freshOrg();
        const limits = { maxContacts: 10 };
        await importContacts(h.db, org, rowsOf(6, "q"), T0, [], limits);
        await expect(importContacts(h.db, org, rowsOf(5, "r"), T0, [], limits)).rejects.toMatchObject({
          code: "contact_quota_exceeded",
          details: { limit: 10, existing: 6, adding: 5 },
        });
        expect(await countLiveContacts(h.db, org)).toBe(6);
        await expect(importContacts(h.db, org, rowsOf(4, "r"), T0, [], limits)).resolves.toMatchObject({
          ok: true,
          created: 4,
        });
        await expect(createContact(h.db, org, { email: "one.more@x.example" }, T0, limits)).rejects.toMatchObject({
          code: "contact_quota_exceeded",
        });
        // A duplicate is still a duplicate, and deleted contacts do not count.
        await expect(createContact(h.db, org, { email: "q0@client0.example" }, T0, limits)).rejects.toMatchObject({
          code: "duplicate_contact",
        });
        const other = await freshOrg();
        await expect(createContact(h.db, other, { email: "one.more@x.example" }, T0, limits)).resolves.toMatchObject({
          email: "one.more@x.example",
        });
        const victim = (
          await h.db
            .selectFrom("contacts")
            .select("id")
            .where("organizationId", "=", org)
            .where("email", "=", "q0@client0.example")
            .executeTakeFirstOrThrow()
        ).id;
        await deleteContact(h.db, org, victim, T0);
        await expect(createContact(h.db, org, { email: "one.more@x.example" }, T0, limits)).resolves.toMatchObject({
          email: "one.more@x.example",
        });
      });

      test("client quota: an import naming more new clients than fit stores nothing; known names do not count; creates too", async () => {
        const org = await freshOrg();
        const limits = { maxContacts: 1000, maxClients: 3 };
        await createClient(h.db, org, "Acme", T0, 3);
        const rows = (clients: string[]) =>
          clients.map((client, i) => ({
            row: i + 2,
            email: `${client.replace(/\W/g, "")}${i}@x.example`,
            name: null,
            client,
          }));
        await expect(
          importContacts(h.db, org, rows(["ACME", "Globex", "Initech", "Umbrella"]), T0, [], limits),
        ).rejects.toMatchObject({
          code: "client_quota_exceeded",
          details: { limit: 3, existing: 1, adding: 3 },
        });
        expect(await countLiveContacts(h.db, org)).toBe(0);
        await expect(
          importContacts(h.db, org, rows(["ACME", "Globex", "globex ", "Initech"]), T0, [], limits),
        ).resolves.toMatchObject({ ok: true, clientsCreated: 2 });
        await expect(createClient(h.db, org, "Umbrella", T0, 3)).rejects.toMatchObject({
          code: "client_quota_exceeded",
        });
      });

      test("blocklist quota: organization and personal entries together, per organization", async () => {
        const [org, other] = [await freshOrg(), await freshOrg()];
        const userOf = async (o: string) =>
          (await h.db.selectFrom("users").select("id").where("organizationId", "=", o).executeTakeFirstOrThrow()).id;
        const [u1, u3] = [await userOf(org), await userOf(other)];
        await addBlockEntry(h.db, org, { entry: "@spam.example", scope: "organization", userId: u1 }, T0, 2);
        await addBlockEntry(h.db, org, { entry: "x@spam.example", scope: "personal", userId: u1 }, T0, 2);
        await expect(
          addBlockEntry(h.db, org, { entry: "y@spam.example", scope: "organization", userId: u1 }, T0, 2),
        ).rejects.toMatchObject({
          code: "blocklist_quota_exceeded",
          details: { limit: 2, existing: 2 },
        });
        await expect(
          addBlockEntry(h.db, other, { entry: "y@spam.example", scope: "personal", userId: u3 }, T0, 2),
        ).resolves.toMatchObject({ entry: "y@spam.example" });
      });
    },
  );
}
