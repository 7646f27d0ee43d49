/**
 * The status call's compiled-once reads (server/store/prepared.ts) and the SQLite statement cache,
 * on every available database: the same rows as the ordinary Kysely queries, whatever the values
 * and list lengths, and builders that would bind a stale value are refused.
 */
import { databaseTargets, type TestDatabase } from "./databases";
import type { Db } from "../../server/db";
import { prepared } from "../../server/store/prepared";
import { provisionUser, getUser, setUserAddresses } from "../../server/store/users";
import { createClient } from "../../server/store/clients";
import { createContact, deleteContact, findLiveContactsByEmails } from "../../server/store/contacts";
import { addBlockEntry, blocklistFor } from "../../server/store/blocklist";
import { getCallerState } from "../../server/store/caller-state";
import { messageKey } from "../../server/store/capture-decisions";
import { getConnection, saveConnection, setConnectionStatus } from "../../server/store/mailbox-connections";

const T0 = "2026-11-26T12:00:00.000Z";

for (const target of databaseTargets()) {
  const d = target.available ? describe : describe.skip;
  d(`prepared reads on ${target.name}${target.available ? "" : " (skipped: set TEST_DATABASE_URL to run it)"}`, () => {
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
      const tid = `tid-prep-${target.name}-${n}-${Math.random().toString(36).slice(2, 8)}`;
      const user = await provisionUser(
        db,
        { organizationId: tid, oid: `oid-${n}`, email: `Dana${n}@Contoso.com`, displayName: "Dana" },
        T0,
      );
      return { orgId: tid, user };
    }

    /** The caller's addresses and connection as the status call's one statement has them (no decision stored). */
    const getUserAndConnectionState = async (orgId: string, userId: string) => {
      const { user, connection } = await getCallerState(db, orgId, userId, messageKey("<none@example>"));
      return { user, connection };
    };

    test("user addresses and connection state in one query equal getUser's and getConnection's", async () => {
      const { orgId, user } = await freshUser();
      const other = await freshUser();
      // No connection row yet.
      expect(await getUserAndConnectionState(orgId, user.id)).toEqual({
        user: { email: user.email, addresses: user.addresses },
        connection: null,
      });
      await setUserAddresses(db, orgId, user.id, ["dana@contoso.com", "d.alias@contoso.com"], T0, "dana@contoso.com");
      await saveConnection(db, orgId, user.id, { homeAccountId: "h", tokenCache: "secret-cache" }, T0);
      const both = await getUserAndConnectionState(orgId, user.id);
      const stored = await getUser(db, orgId, user.id);
      expect(both.user).toEqual({ email: stored!.email, addresses: stored!.addresses });
      expect(both.user?.addresses).toEqual(["dana@contoso.com", "d.alias@contoso.com"]);
      const full = await getConnection(db, orgId, user.id);
      expect(both.connection).toEqual({
        status: full!.status,
        connectedAt: full!.connectedAt,
        lastSweepAt: full!.lastSweepAt,
        nextSweepAt: full!.nextSweepAt,
      });
      expect(JSON.stringify(both)).not.toContain("secret-cache");
      await setConnectionStatus(db, orgId, user.id, "reauth_required", "revoked", T0);
      expect((await getUserAndConnectionState(orgId, user.id)).connection?.status).toBe("reauth_required");
      // Organization scoping: another organization's id finds nothing, in either direction.
      expect(await getUserAndConnectionState(other.orgId, user.id)).toEqual({ user: null, connection: null });
      expect(await getUserAndConnectionState(orgId, other.user.id)).toEqual({ user: null, connection: null });
    });

    test("contacts by address: any list length, repeated calls, live contacts only, organization-scoped", async () => {
      const { orgId } = await freshUser();
      const other = await freshUser();
      const client = await createClient(db, orgId, "Client", T0);
      for (let i = 0; i < 6; i++)
        await createContact(db, orgId, { email: `p${i}@client.example`, clientId: i % 2 ? client.id : null }, T0);
      const theirs = await createContact(db, other.orgId, { email: "p0@client.example" }, T0);
      const gone = await createContact(db, orgId, { email: "gone@client.example" }, T0);
      await deleteContact(db, orgId, gone.id, T0);
      for (let len = 1; len <= 6; len++) {
        const wanted = Array.from({ length: len }, (_, i) => `P${i}@Client.example`);
        const rows = await findLiveContactsByEmails(db, orgId, [...wanted, "nobody@x.example", "gone@client.example"]);
        expect(rows.map((r) => r.email).sort()).toEqual(wanted.map((w) => w.toLowerCase()).sort());
        expect(rows.some((r) => r.id === theirs.id)).toBe(false);
        expect(rows.find((r) => r.email === "p1@client.example")?.client?.name ?? null).toBe(len > 1 ? "Client" : null);
      }
      // The same shape again with other values answers for those values.
      expect((await findLiveContactsByEmails(db, other.orgId, ["p0@client.example"])).map((r) => r.id)).toEqual([
        theirs.id,
      ]);
      expect(await findLiveContactsByEmails(db, orgId, [])).toEqual([]);
    });

    test("blocklist: organization-wide and own entries, never another user's", async () => {
      const { orgId, user } = await freshUser();
      const second = await provisionUser(
        db,
        { organizationId: orgId, oid: "oid-second", email: "erin@contoso.com", displayName: null },
        T0,
      );
      await addBlockEntry(db, orgId, { entry: "@org.example", scope: "organization", userId: user.id }, T0);
      await addBlockEntry(db, orgId, { entry: "mine@x.example", scope: "personal", userId: user.id }, T0);
      await addBlockEntry(db, orgId, { entry: "theirs@x.example", scope: "personal", userId: second.id }, T0);
      expect((await blocklistFor(db, orgId, user.id)).sort()).toEqual(["@org.example", "mine@x.example"]);
      expect((await blocklistFor(db, orgId, second.id)).sort()).toEqual(["@org.example", "theirs@x.example"]);
    });

    test("prepared(): constants stay, arguments are filled per call; a builder that hides an argument is refused", async () => {
      const { orgId, user } = await freshUser();
      const byEmail = prepared((q, organizationId: string, emails: readonly string[]) =>
        q
          .selectFrom("users")
          .select(["id", "email"])
          .where("organizationId", "=", organizationId)
          .where("email", "in", emails)
          .where("displayName", "=", "Dana"),
      );
      expect(await byEmail(db, orgId, [user.email, "x@y.example"])).toEqual([{ id: user.id, email: user.email }]);
      expect(await byEmail(db, orgId, ["x@y.example", "z@y.example"])).toEqual([]);
      expect(await byEmail(db, "other-org", [user.email, "x@y.example"])).toEqual([]);
      // An argument that never reaches the bound parameters (here: ignored) must not compile into a cached query.
      const ignoring = prepared((q, organizationId: string) =>
        q
          .selectFrom("users")
          .select("id")
          .where("organizationId", "=", organizationId.length > 0 ? "fixed" : "fixed"),
      );
      await expect(ignoring(db, orgId)).rejects.toThrow(/bound parameter/);
      const transformed = prepared((q, organizationId: string) =>
        q.selectFrom("users").select("id").where("organizationId", "=", organizationId.toUpperCase()),
      );
      await expect(transformed(db, orgId)).rejects.toThrow(/prepared query/);
    });
  });
}
