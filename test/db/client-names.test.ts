/**
 * Client names are one per organization ignoring case — decided by the database (clients.name_key under a
 * unique index, migration 0005), so Unicode case and two concurrent creates are covered, on every
 * available database. And the migration keys existing rows without changing or losing any.
 */
import { Migrator } from "kysely";
import { databaseTargets, type TestDatabase } from "./databases";
import { migrateToLatest } from "../../server/db";
import { migrations } from "../../server/db/migrations";
import { provisionUser } from "../../server/store/users";
import { createClient, ensureClientsByName, listClients, updateClient } from "../../server/store/clients";
import { importContacts, listContacts, InvalidCursorError } from "../../server/store/contacts";
import { encodeCursor } from "../../server/store/util";

const T0 = "2026-11-26T12:00:00.000Z";

for (const target of databaseTargets()) {
  const d = target.available ? describe : describe.skip;
  d(`client names on ${target.name}${target.available ? "" : " (skipped: set TEST_DATABASE_URL to run it)"}`, () => {
    let h: TestDatabase;
    let n = 0;
    const freshOrg = async () => {
      const org = `org-names-${++n}-${Math.random().toString(36).slice(2, 8)}`;
      await provisionUser(h.db, { organizationId: org, oid: "oid", email: "dana@contoso.com", displayName: null }, T0);
      return org;
    };
    beforeAll(async () => {
      h = await target.open();
    }, 30_000);
    afterAll(() => h?.close());

    test("case is lower-cased in all of Unicode (not only ASCII), and compatibility forms fold too", async () => {
      const org = await freshOrg();
      await createClient(h.db, org, "École Polytechnique", T0);
      // SQLite's lower() leaves É alone: the old check let this through there.
      await expect(createClient(h.db, org, "ÉCOLE POLYTECHNIQUE", T0)).rejects.toMatchObject({
        code: "duplicate_client",
      });
      await createClient(h.db, org, "Acme", T0);
      await expect(createClient(h.db, org, "Ａｃｍｅ", T0)).rejects.toMatchObject({ code: "duplicate_client" }); // full-width letters
      const straße = await createClient(h.db, org, "Straße AG", T0);
      expect((await updateClient(h.db, org, straße.id, { name: "STRASSE AG" }, T0))?.name).toBe("STRASSE AG"); // ß does not fold to ss: two names
      await expect(createClient(h.db, org, "straße ag", T0)).resolves.toMatchObject({ name: "straße ag" });
    });

    test("invisible characters, control characters and repeated spaces do not make another client; a name of nothing is refused", async () => {
      const org = await freshOrg();
      await createClient(h.db, org, "Acme Corp", T0);
      for (const lookAlike of [
        "Ac\u200Bme Corp",
        "\uFEFFAcme Corp",
        "\u202EAcme Corp",
        "Acme\u0001 Corp",
        "\u0085Acme Corp\u0085",
        "Acme  Corp",
        "Acme\tCorp",
      ]) {
        await expect(createClient(h.db, org, lookAlike, T0)).rejects.toMatchObject({ code: "duplicate_client" });
      }
      for (const empty of ["\u200B", " \u200D\u2060 ", "\u0001"]) {
        await expect(createClient(h.db, org, empty, T0)).rejects.toMatchObject({ code: "invalid_name" });
      }
      const other = await createClient(h.db, org, "Other", T0);
      await expect(updateClient(h.db, org, other.id, { name: "\u200B" }, T0)).rejects.toMatchObject({
        code: "invalid_name",
      });
    });

    test("two concurrent creates of one name: exactly one client", async () => {
      const org = await freshOrg();
      const results = await Promise.allSettled(
        ["Initech", "INITECH", " initech "].map((name) => createClient(h.db, org, name, T0)),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of results)
        if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "duplicate_client" });
      expect((await listClients(h.db, org)).map((c) => c.name.toLowerCase().trim())).toEqual(["initech"]);
    });

    test("the CSV import's matching uses the same key", async () => {
      const org = await freshOrg();
      const ecole = await createClient(h.db, org, "École", T0);
      const byKey = await ensureClientsByName(h.db, org, ["ÉCOLE", " école ", "Globex"], T0);
      expect(byKey.get("école")?.id).toBe(ecole.id);
      expect([...byKey.keys()].sort()).toEqual(["globex", "école"]);
      expect((await listClients(h.db, org)).map((c) => c.name)).toEqual(["Globex", "École"]);
    });

    test("an import racing with other creations of the same new client name: every call succeeds, one client", async () => {
      // Imports themselves run one at a time per organization (contact-import.test.ts); the client-name race is with other writers.
      const org = await freshOrg();
      const results = await Promise.allSettled([
        importContacts(h.db, org, [{ row: 2, email: "p0@impco.example", name: null, client: "ImpCo" }], T0),
        ...["IMPCO", "impco ", "ImpCo"].map((name) => ensureClientsByName(h.db, org, [name], T0)),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "fulfilled"]);
      const clients = await listClients(h.db, org);
      expect(clients.map((c) => [c.name.toLowerCase().trim(), c.contactCount])).toEqual([["impco", 1]]);
    });

    test("a cursor carrying U+0000 is refused as invalid (PostgreSQL cannot bind it)", async () => {
      const org = await freshOrg();
      await expect(listContacts(h.db, org, { limit: 5, cursor: encodeCursor(["a\u0000"]) })).rejects.toBeInstanceOf(
        InvalidCursorError,
      );
    });

    test("migration 0005 keys existing rows: the oldest of names that fold alike keeps the key, nothing is lost; down and up again", async () => {
      const migrator = new Migrator({ db: h.db, provider: { getMigrations: async () => migrations } });
      const down = await migrator.migrateTo("0004_incremental_listing");
      expect(down.error).toBeUndefined();
      try {
        const [a, b] = [await freshOrg(), await freshOrg()];
        const legacy = [
          { id: `legacy-1-${a}`, organizationId: a, name: "Acme", createdAt: "2026-01-01T00:00:00.000Z" },
          { id: `legacy-2-${a}`, organizationId: a, name: "ACME", createdAt: "2026-02-01T00:00:00.000Z" },
          { id: `legacy-3-${a}`, organizationId: a, name: "Globex", createdAt: "2026-03-01T00:00:00.000Z" },
          { id: `legacy-4-${b}`, organizationId: b, name: "acme", createdAt: "2026-04-01T00:00:00.000Z" },
        ];
        // Before 0005 the table has no name_key: insert through an untyped handle.
        const untyped = h.db as unknown as import("kysely").Kysely<Record<string, Record<string, string>>>;
        await untyped
          .insertInto("clients")
          .values(legacy.map((r) => ({ ...r, updatedAt: r.createdAt })))
          .execute();
        await migrateToLatest(h.db);
        const rows = await h.db
          .selectFrom("clients")
          .select(["id", "name", "nameKey"])
          .where(
            "id",
            "in",
            legacy.map((r) => r.id),
          )
          .orderBy("id")
          .execute();
        expect(rows.map((r) => [r.name, r.nameKey])).toEqual([
          ["Acme", "acme"],
          ["ACME", null],
          ["Globex", "globex"],
          ["acme", "acme"],
        ]);
        await expect(createClient(h.db, a, "acme", T0)).rejects.toMatchObject({ code: "duplicate_client" });
        // Once the key's holder is renamed, the unkeyed twin still holds the name: no look-alike is created,
        // and the import finds it (this answered 500 before: the old exact-name index refused the insert).
        await updateClient(h.db, a, `legacy-1-${a}`, { name: "Acme Holdings" }, T0);
        await expect(createClient(h.db, a, "acme", T0)).rejects.toMatchObject({ code: "duplicate_client" });
        const imported = await importContacts(
          h.db,
          a,
          [
            { row: 2, email: "x@acme.example", name: null, client: "acme" },
            { row: 3, email: "y@acme.example", name: null, client: "ACME" },
          ],
          T0,
        );
        expect(imported).toMatchObject({ ok: true, clientsCreated: 0 });
        expect(
          (await listClients(h.db, a))
            .filter((c) => c.name.toLowerCase() === "acme")
            .map((c) => [c.id, c.contactCount]),
        ).toEqual([[`legacy-2-${a}`, 2]]);
        // The unkeyed twin gets its key when renamed to a free name.
        expect(await updateClient(h.db, a, `legacy-2-${a}`, { name: "Acme Two" }, T0)).toMatchObject({
          name: "Acme Two",
          nameKey: "acme two",
        });
      } finally {
        await migrateToLatest(h.db);
      }
    });
  });
}
