/**
 * Migration 0015_compact_decisions on SQLite and PostgreSQL: every decision row is kept with every value
 * (the key converted from hex to base64url: the same digest), the product's own lookups find the migrated
 * rows by message, pruning still removes exactly the old plain exclusions, and the migration goes back down
 * with every row too.
 */
import { Migrator, sql } from "kysely";
import { migrateToLatest } from "../../server/db";
import { migrations } from "../../server/db/migrations";
import { getDecision, messageKey, pruneExcludedDecisions } from "../../server/store/capture-decisions";
import { provisionUser } from "../../server/store/users";
import { databaseTargets, type TestDatabase } from "./databases";

const T = (h: number) => new Date(Date.UTC(2026, 10, 20, h)).toISOString();
const hex = (imid: string) => Buffer.from(messageKey(imid), "base64url").toString("hex");

for (const target of databaseTargets()) {
  const describeIf = target.available ? describe : describe.skip;

  describeIf(`migration 0015_compact_decisions on ${target.name}`, () => {
    let h: TestDatabase;
    beforeAll(async () => {
      h = await target.open();
    });
    afterAll(() => h.close());

    test("keeps every row and value; lookups and pruning work on the migrated rows; down keeps them too", async () => {
      const migrator = new Migrator({ db: h.db, provider: { getMigrations: async () => migrations } });
      expect((await migrator.migrateTo("0014_sweep_newly_captured")).error).toBeUndefined();
      const users: Record<string, string> = {};
      for (const org of ["org-a", "org-b"])
        users[org] = (
          await provisionUser(
            h.db,
            { organizationId: org, oid: `oid-${org}`, email: `dana@${org}.example`, displayName: null },
            T(0),
          )
        ).id;
      const untyped = h.db as unknown as import("kysely").Kysely<any>;
      await untyped
        .insertInto("engagements")
        .values({
          id: "e1",
          organizationId: "org-a",
          internetMessageId: "<cap@x>",
          copyFingerprint: "f",
          direction: "inbound",
          messageTime: T(1),
          participants: "[]",
          createdAt: T(1),
        })
        .execute();
      await untyped
        .insertInto("sweeps")
        .values({
          id: "s1",
          organizationId: "org-a",
          userId: users["org-a"],
          trigger: "manual",
          status: "succeeded",
          windowStart: T(0),
          windowEnd: T(1),
          startedAt: T(1),
        })
        .execute();
      const old = [
        ["org-a", "<cap@x>", "captured", null, null, "e1", "s1", T(1), null, null],
        ["org-a", "<old@x>", "excluded", "no_tracked_contact", null, null, "s1", T(2), null, null],
        ["org-a", "<folder@x>", "excluded", "excluded_folder", '{"folder":"Private"}', null, null, T(30), null, null],
        ["org-a", "<removed@x>", "excluded", "blocked", null, null, null, T(3), T(4), "blocklist_entry"],
        ["org-b", "<old@x>", "excluded", "no_tracked_contact", null, null, null, T(2), null, null],
      ] as const;
      const row = (r: (typeof old)[number]) => ({
        organizationId: r[0],
        userId: users[r[0]],
        messageKey: hex(r[1]),
        outcome: r[2],
        reason: r[3],
        detail: r[4],
        engagementId: r[5],
        sweepId: r[6],
        decidedAt: r[7],
        removedAt: r[8],
        removal: r[9],
      });
      await untyped
        .insertInto("captureDecisions")
        .values(old.map((r, i) => ({ id: `d${i}`, ...row(r) })))
        .execute();
      // A key that is not a hex digest (none should exist) is kept as it is.
      await untyped
        .insertInto("captureDecisions")
        .values({ id: "odd", ...row(old[1]), messageKey: "not-a-digest" })
        .execute();

      await migrateToLatest(h.db);
      const byKey = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r)).sort();
      const after = await h.db.selectFrom("captureDecisions").selectAll().execute();
      expect(byKey(after)).toEqual(
        byKey([
          ...old.map((r) => ({ ...row(r), messageKey: messageKey(r[1]) })),
          { ...row(old[1]), messageKey: "not-a-digest" },
        ]).map((s) => s),
      );
      expect(await getDecision(h.db, "org-a", users["org-a"], messageKey("<cap@x>"))).toMatchObject({
        outcome: "captured",
        engagementId: "e1",
        sweepId: "s1",
      });
      expect(await getDecision(h.db, "org-a", users["org-a"], messageKey("<folder@x>"))).toMatchObject({
        detail: { folder: "Private" },
      });

      // Pruning by the composite key: the old plain exclusions before T(10), this organization only.
      expect(await pruneExcludedDecisions(h.db, "org-a", T(10), 1000)).toBe(2);
      const left = await h.db.selectFrom("captureDecisions").select(["organizationId", "messageKey"]).execute();
      expect(left.map((r) => `${r.organizationId} ${r.messageKey}`).sort()).toEqual(
        [
          `org-a ${messageKey("<cap@x>")}`,
          `org-a ${messageKey("<folder@x>")}`,
          `org-a ${messageKey("<removed@x>")}`,
          `org-b ${messageKey("<old@x>")}`,
        ].sort(),
      );

      // Down: the same rows, hex keys, an id each.
      expect((await migrator.migrateTo("0014_sweep_newly_captured")).error).toBeUndefined();
      const down = (await sql`select * from capture_decisions`.execute(h.db)).rows as Record<string, unknown>[];
      expect(down).toHaveLength(4);
      expect(down.every((r) => typeof r.id === "string" && (r.id as string).length > 0)).toBe(true);
      expect(down.map((r) => r.messageKey).sort()).toEqual(
        [hex("<cap@x>"), hex("<folder@x>"), hex("<removed@x>"), hex("<old@x>")].sort(),
      );
      await migrateToLatest(h.db);
    });
  });
}
