/**
 * Migration 0008 on SQLite and PostgreSQL: engagements that exist before the changes feed get a "created"
 * change each, per organization, numbered 1, 2, … in the order they were captured, so a consumer starting
 * from the beginning gets them all; the next change continues the numbering.
 */
import { Migrator } from "kysely";
import { migrateToLatest } from "../../server/db";
import { migrations } from "../../server/db/migrations";
import { listEngagementChanges, recordEngagementChanges } from "../../server/store/engagement-changes";
import { provisionUser } from "../../server/store/users";
import { databaseTargets, type TestDatabase } from "./databases";

const at = (s: number) => new Date(Date.UTC(2026, 10, 20, 9, 0, s)).toISOString();

for (const target of databaseTargets()) {
  const describeIf = target.available ? describe : describe.skip;

  describeIf(`migration 0010_engagement_changes on ${target.name}`, () => {
    let h: TestDatabase;
    beforeAll(async () => {
      h = await target.open();
    });
    afterAll(() => h.close());

    test("backfills a created change per existing engagement, in capture order, per organization", async () => {
      const migrator = new Migrator({ db: h.db, provider: { getMigrations: async () => migrations } });
      expect((await migrator.migrateTo("0007_internal_domains_removal")).error).toBeUndefined();
      const rows = [
        { id: "e-late", org: "org-a", s: 30 },
        { id: "e-early", org: "org-a", s: 10 },
        { id: "e-b", org: "org-b", s: 20 },
        { id: "e-tie-2", org: "org-a", s: 20 },
        { id: "e-tie-1", org: "org-a", s: 20 },
      ];
      for (const org of ["org-a", "org-b"])
        await provisionUser(
          h.db,
          { organizationId: org, oid: `oid-${org}`, email: `dana@${org}.example`, displayName: null },
          at(0),
        );
      await h.db
        .insertInto("engagements")
        .values(
          rows.map((r) => ({
            id: r.id,
            organizationId: r.org,
            internetMessageId: `<${r.id}@mail.example>`,
            copyFingerprint: r.id,
            conversationId: null,
            subject: null,
            bodyText: null,
            bodyPreview: null,
            direction: "inbound" as const,
            messageTime: at(r.s),
            sentAt: null,
            receivedAt: null,
            fromAddress: null,
            participants: "[]",
            createdAt: at(r.s),
          })),
        )
        .execute();
      await migrateToLatest(h.db);

      const a = await listEngagementChanges(h.db, "org-a", { kind: "app" }, { limit: 50 });
      expect(a.items.map((c) => [c.sequence, c.type, c.engagementId, c.occurredAt])).toEqual([
        [1, "created", "e-early", at(10)],
        [2, "created", "e-tie-1", at(20)],
        [3, "created", "e-tie-2", at(20)],
        [4, "created", "e-late", at(30)],
      ]);
      expect(a.items.every((c) => c.engagement?.id === c.engagementId)).toBe(true);
      const b = await listEngagementChanges(h.db, "org-b", { kind: "app" }, { limit: 50 });
      expect(b.items.map((c) => [c.sequence, c.engagementId])).toEqual([[1, "e-b"]]);

      await h.db
        .transaction()
        .execute((trx) => recordEngagementChanges(trx, "org-a", [{ engagementId: "e-late", type: "deleted" }], at(40)));
      const next = await listEngagementChanges(h.db, "org-a", { kind: "app" }, { cursor: a.nextCursor, limit: 50 });
      expect(next.items.map((c) => [c.sequence, c.type, c.engagement])).toEqual([[5, "deleted", null]]);
    });
  });
}
