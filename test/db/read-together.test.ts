/**
 * Several reads as one unit (server/store/read-together.ts), on every available database: the same
 * answers as each read alone; on SQLite they wait for a transaction open on the shared connection
 * instead of reading inside it, and a failing read leaves the connection usable.
 */
import { databaseTargets, type TestDatabase } from "./databases";
import { sql } from "kysely";
import type { Db } from "../../server/db";
import { addBlockEntry, blockEntriesFor, blockEntriesRead } from "../../server/store/blocklist";
import { createClient } from "../../server/store/clients";
import { createContact, findLiveContactsByEmails, liveContactsRead } from "../../server/store/contacts";
import { messageKey } from "../../server/store/capture-decisions";
import { callerStateRead, getCallerState } from "../../server/store/caller-state";
import { saveConnection } from "../../server/store/mailbox-connections";
import { readTogether, type Read } from "../../server/store/read-together";
import { provisionUser } from "../../server/store/users";

const T0 = "2026-11-26T12:00:00.000Z";

for (const target of databaseTargets()) {
  const d = target.available ? describe : describe.skip;
  d(`reads together on ${target.name}${target.available ? "" : " (skipped: set TEST_DATABASE_URL to run it)"}`, () => {
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
    async function freshUser() {
      n++;
      const orgId = `tid-together-${target.name}-${n}-${Math.random().toString(36).slice(2, 8)}`;
      const user = await provisionUser(
        db,
        { organizationId: orgId, oid: `oid-${n}`, email: `dana${n}@contoso.com`, displayName: "Dana" },
        T0,
      );
      return { orgId, user };
    }

    test("the status call's three reads together answer as each alone, organization-scoped", async () => {
      const { orgId, user } = await freshUser();
      const other = await freshUser();
      await saveConnection(db, orgId, user.id, { homeAccountId: null, tokenCache: null }, T0);
      const client = await createClient(db, orgId, "Client", T0);
      await createContact(db, orgId, { email: "p1@client.example", clientId: client.id }, T0);
      await createContact(db, orgId, { email: "p2@client.example" }, T0);
      await createContact(db, other.orgId, { email: "p3@client.example" }, T0);
      await addBlockEntry(db, orgId, { entry: "@blocked.example", scope: "organization", userId: user.id }, T0);
      await addBlockEntry(
        db,
        other.orgId,
        { entry: "@theirs.example", scope: "organization", userId: other.user.id },
        T0,
      );
      // More addresses than one query takes (500 a chunk): the contacts read is two queries.
      const emails = [
        "p1@client.example",
        "P2@Client.example",
        "p3@client.example",
        ...Array.from({ length: 600 }, (_, i) => `x${i}@nobody.example`),
      ];
      const key = messageKey("<m1@client.example>");
      const [caller, contacts, blocks] = await readTogether(db, [
        callerStateRead(db, orgId, user.id, key),
        liveContactsRead(db, orgId, emails),
        blockEntriesRead(db, orgId, user.id),
      ] as const);
      expect(caller.decision).toBeNull();
      expect(caller).toEqual(await getCallerState(db, orgId, user.id, key));
      expect(caller.connection?.status).toBe("active");
      expect(contacts.map((c) => c.email).sort()).toEqual(["p1@client.example", "p2@client.example"]);
      expect(contacts.find((c) => c.email === "p1@client.example")?.client).toEqual({ id: client.id, name: "Client" });
      expect(contacts).toEqual(await findLiveContactsByEmails(db, orgId, emails));
      expect(blocks).toEqual([{ entry: "@blocked.example", scope: "organization" }]);
      expect(blocks).toEqual(await blockEntriesFor(db, orgId, user.id));
    });

    test("a failing read rejects the whole call and leaves the database usable (no transaction left open)", async () => {
      const { orgId, user } = await freshUser();
      const broken: Read<unknown> = {
        queries: [sql`select * from no_such_table`.compile(db)],
        answer: ([rows]) => rows,
      };
      // By its text: in a reused Jest worker better-sqlite3's error class belongs to another realm, so
      // `rejects.toThrow` would not recognise it as an error.
      const failure = await readTogether(db, [
        callerStateRead(db, orgId, user.id, messageKey("<m1@client.example>")),
        broken,
        blockEntriesRead(db, orgId, user.id),
      ]).then(
        () => "resolved",
        (e: unknown) => String(e),
      );
      expect(failure).toMatch(/no_such_table/);
      // A transaction can start (none was left open) and the next reads answer.
      await db.transaction().execute(async (trx) => {
        await createContact(trx, orgId, { email: "after@client.example" }, T0);
      });
      const [contacts] = await readTogether(db, [liveContactsRead(db, orgId, ["after@client.example"])] as const);
      expect(contacts.map((c) => c.email)).toEqual(["after@client.example"]);
    });

    test("reads issued while another caller's transaction is open never see its uncommitted rows", async () => {
      const { orgId } = await freshUser();
      let inserted!: () => void;
      const insertedPromise = new Promise<void>((resolve) => (inserted = resolve));
      const writer = db
        .transaction()
        .execute(async (trx) => {
          await createContact(trx, orgId, { email: "uncommitted@client.example" }, T0);
          inserted();
          // The transaction stays open across turns of the event loop, as a sweep's does.
          await new Promise((resolve) => setTimeout(resolve, 50));
          throw new Error("rolled back");
        })
        .catch((e: Error) => e.message);
      await insertedPromise;
      const [contacts] = await readTogether(db, [
        liveContactsRead(db, orgId, ["uncommitted@client.example"]),
        blockEntriesRead(db, orgId, "nobody"),
      ] as const);
      expect(contacts).toEqual([]);
      expect(await writer).toBe("rolled back");
      expect(await findLiveContactsByEmails(db, orgId, ["uncommitted@client.example"])).toEqual([]);
    });
  });
}
