/**
 * The administrators' read model of mailbox health (server/store/mailbox-health.ts), on every
 * available database: users with and without a connection, the status filter, (email, id) cursors
 * that visit everyone once, and counts for the whole organization only.
 */
import { databaseTargets, type TestDatabase } from "./databases";
import { provisionUser } from "../../server/store/users";
import { saveConnection, setConnectionStatus } from "../../server/store/mailbox-connections";
import { countMailboxHealth, listMailboxHealth } from "../../server/store/mailbox-health";
import { InvalidCursorError } from "../../server/store/contacts";

const T0 = "2026-11-26T12:00:00.000Z";
const ORG = "org-health-a";
const OTHER = "org-health-b";

for (const target of databaseTargets()) {
  const d = target.available ? describe : describe.skip;
  d(`mailbox health on ${target.name}${target.available ? "" : " (skipped: set TEST_DATABASE_URL to run it)"}`, () => {
    let h: TestDatabase;
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      h = await target.open();
      // Two users share an email (an account re-created in Entra: new oid, same address) — the cursor must not skip one.
      const people = [
        ["oid-ann", "ann@a.example"],
        ["oid-bea", "bea@a.example"],
        ["oid-bea-2", "bea@a.example"],
        ["oid-cy", "cy@a.example"],
        ["oid-dee", "dee@a.example"],
      ];
      for (const [oid, email] of people)
        ids[oid] = (await provisionUser(h.db, { organizationId: ORG, oid, email, displayName: null }, T0)).id;
      ids.other = (
        await provisionUser(
          h.db,
          { organizationId: OTHER, oid: "oid-zed", email: "zed@b.example", displayName: "Zed" },
          T0,
        )
      ).id;
      for (const oid of ["oid-ann", "oid-bea", "oid-cy", "oid-dee"])
        await saveConnection(h.db, ORG, ids[oid], { homeAccountId: null, tokenCache: "x" }, T0);
      await saveConnection(h.db, OTHER, ids.other, { homeAccountId: null, tokenCache: "x" }, T0);
      await setConnectionStatus(
        h.db,
        ORG,
        ids["oid-bea"],
        "reauth_required",
        "Your Microsoft 365 sign-in expired.",
        T0,
      );
      await setConnectionStatus(h.db, ORG, ids["oid-dee"], "disconnected", null, T0);
      await setConnectionStatus(h.db, OTHER, ids.other, "reauth_required", "Other organization", T0);
    });
    afterAll(() => h?.close());

    test("every user of the organization, by email, with their connection (none: not_connected)", async () => {
      const page = await listMailboxHealth(h.db, ORG, { limit: 50 });
      expect(page.nextCursor).toBeNull();
      const rows = page.items.map((r) => [r.user.email, r.connection.status, r.connection.reason]);
      expect(rows).toHaveLength(5);
      expect(rows[0]).toEqual(["ann@a.example", "active", null]);
      expect(
        rows
          .slice(1, 3)
          .map((r) => r[1])
          .sort(),
      ).toEqual(["not_connected", "reauth_required"]);
      expect(rows.find((r) => r[1] === "reauth_required")![2]).toBe("Your Microsoft 365 sign-in expired.");
      expect(rows.slice(3)).toEqual([
        ["cy@a.example", "active", null],
        ["dee@a.example", "disconnected", null],
      ]);
      expect(JSON.stringify(page)).not.toContain("zed@b.example");
      expect(page.items.find((r) => r.user.id === ids["oid-bea-2"])!.connection).toMatchObject({
        connectedAt: null,
        lastSweepAt: null,
      });
    });

    test("status filter, including users who never connected", async () => {
      const emails = async (status: "not_connected" | "active" | "reauth_required" | "disconnected") =>
        (await listMailboxHealth(h.db, ORG, { status, limit: 50 })).items.map((r) => r.user.id);
      expect(await emails("reauth_required")).toEqual([ids["oid-bea"]]);
      expect(await emails("not_connected")).toEqual([ids["oid-bea-2"]]);
      expect(await emails("active")).toEqual([ids["oid-ann"], ids["oid-cy"]]);
      expect(await emails("disconnected")).toEqual([ids["oid-dee"]]);
    });

    test("pages of one visit every user once, across the shared email", async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await listMailboxHealth(h.db, ORG, { limit: 1, cursor });
        seen.push(...page.items.map((r) => r.user.id));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(seen.sort()).toEqual(["oid-ann", "oid-bea", "oid-bea-2", "oid-cy", "oid-dee"].map((o) => ids[o]).sort());
      await expect(listMailboxHealth(h.db, ORG, { limit: 1, cursor: "not-a-cursor" })).rejects.toBeInstanceOf(
        InvalidCursorError,
      );
    });

    test("counts by status cover the whole organization, and only it", async () => {
      expect(await countMailboxHealth(h.db, ORG)).toEqual({
        not_connected: 1,
        active: 2,
        reauth_required: 1,
        disconnected: 1,
      });
      expect(await countMailboxHealth(h.db, OTHER)).toEqual({
        not_connected: 0,
        active: 0,
        reauth_required: 1,
        disconnected: 0,
      });
      expect(await countMailboxHealth(h.db, "org-nobody")).toEqual({
        not_connected: 0,
        active: 0,
        reauth_required: 0,
        disconnected: 0,
      });
    });
  });
}
