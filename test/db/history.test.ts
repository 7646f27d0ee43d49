/**
 * A contact's and a client's history (listEngagements with contactId / clientId) on SQLite and PostgreSQL:
 * newest first, every engagement once (also one linked through two contacts of the client), pages that
 * join without gap or repeat, the from/to bounds, never another organization's — whichever of the
 * ways a page is found (server/store/engagement-pages.ts): from a few links (the small client), among the
 * newest WALK_BOUND (the recent client's first pages), from up to LINKS_BOUND links (its later pages), or by
 * an unbounded walk (the big client: past LINKS_BOUND links, all older than WALK_BOUND others).
 */
import { FEW_LINKS, LINKS_BOUND, WALK_BOUND } from "../../server/store/engagement-pages";
import { listEngagements, type EngagementQuery } from "../../server/store/engagements";
import { databaseTargets, type TestDatabase } from "./databases";

const ORG = "org-history";
const OTHER = "org-elsewhere";
const APP = { kind: "app" } as const;

async function insertAll(db: TestDatabase["db"], table: "engagements" | "engagementContacts", rows: object[]) {
  for (let i = 0; i < rows.length; i += 400)
    await db
      .insertInto(table)
      .values(rows.slice(i, i + 400) as never)
      .execute();
}

const engagement = (org: string, id: string, minute: number) => {
  const time = new Date(Date.UTC(2026, 0, 1) + minute * 60_000).toISOString();
  return {
    id,
    organizationId: org,
    internetMessageId: `<${id}@history.example>`,
    conversationId: null,
    subject: `Subject ${id}`,
    bodyText: null,
    bodyPreview: null,
    direction: "inbound",
    messageTime: time,
    sentAt: time,
    receivedAt: time,
    fromAddress: "x@acme.example",
    participants: "[]",
    createdAt: time,
  };
};

for (const target of databaseTargets()) {
  const describeIf = target.available ? describe : describe.skip;

  describeIf(`contact and client history on ${target.name}`, () => {
    let h: TestDatabase;
    const big = LINKS_BOUND + 7;
    const recent = WALK_BOUND + 500; // a tenth of them linked: more than FEW_LINKS

    beforeAll(async () => {
      h = await target.open();
      const now = "2026-01-01T00:00:00.000Z";
      for (const org of [ORG, OTHER])
        await h.db.insertInto("organizations").values({ id: org, name: null, createdAt: now }).execute();
      await h.db
        .insertInto("clients")
        .values([
          { id: "cl-small", organizationId: ORG, name: "Small", nameKey: "small", createdAt: now, updatedAt: now },
          { id: "cl-big", organizationId: ORG, name: "Big", nameKey: "big", createdAt: now, updatedAt: now },
          { id: "cl-recent", organizationId: ORG, name: "Recent", nameKey: "recent", createdAt: now, updatedAt: now },
        ])
        .execute();
      const contact = (id: string, org: string, clientId: string | null) => ({
        id,
        organizationId: org,
        clientId,
        email: `${id}@acme.example`,
        name: null,
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
      });
      await h.db
        .insertInto("contacts")
        .values([
          contact("s1", ORG, "cl-small"),
          contact("s2", ORG, "cl-small"),
          contact("b1", ORG, "cl-big"),
          contact("b2", ORG, "cl-big"),
          contact("r1", ORG, "cl-recent"),
          contact("o1", OTHER, null),
        ])
        .execute();
      const rows = [];
      const links = [];
      // Small client: 30 engagements, every third through both its contacts. Big: past the links bound,
      // interleaved in time with unlinked mail of the organization.
      for (let i = 0; i < 30; i++) {
        rows.push(engagement(ORG, `small-${String(i).padStart(3, "0")}`, i * 7));
        links.push({ organizationId: ORG, engagementId: rows[rows.length - 1].id, contactId: "s1" });
        if (i % 3 === 0) links.push({ organizationId: ORG, engagementId: rows[rows.length - 1].id, contactId: "s2" });
      }
      for (let i = 0; i < big; i++) {
        rows.push(engagement(ORG, `big-${String(i).padStart(5, "0")}`, 1000 + i * 3 + 1));
        links.push({ organizationId: ORG, engagementId: rows[rows.length - 1].id, contactId: i % 2 ? "b1" : "b2" });
        rows.push(engagement(ORG, `none-${String(i).padStart(5, "0")}`, 1000 + i * 3 + 2));
      }
      // The newest mail: every tenth of the recent client.
      for (let i = 0; i < recent; i++) {
        rows.push(engagement(ORG, `new-${String(i).padStart(5, "0")}`, 100_000 + i));
        if (i % 10 === 0) links.push({ organizationId: ORG, engagementId: rows[rows.length - 1].id, contactId: "r1" });
      }
      // Another organization's engagements, linked to its own contact.
      for (let i = 0; i < 5; i++) {
        rows.push(engagement(OTHER, `other-${i}`, i));
        links.push({ organizationId: OTHER, engagementId: `other-${i}`, contactId: "o1" });
      }
      // Same times in one page: the cursor orders them by id.
      rows.push(engagement(ORG, "small-tie-a", 7), engagement(ORG, "small-tie-b", 7));
      links.push(
        { organizationId: ORG, engagementId: "small-tie-a", contactId: "s2" },
        { organizationId: ORG, engagementId: "small-tie-b", contactId: "s2" },
      );
      await insertAll(h.db, "engagements", rows);
      await insertAll(h.db, "engagementContacts", links);
    });
    afterAll(() => h.close());

    const readAll = async (query: Omit<EngagementQuery, "limit" | "cursor">, limit: number, org = ORG) => {
      const ids: string[] = [];
      const times: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await listEngagements(h.db, org, APP, { ...query, limit, cursor });
        ids.push(...page.items.map((e) => e.id));
        times.push(...page.items.map((e) => e.messageTime));
        if (!page.nextCursor) return { ids, times };
        cursor = page.nextCursor;
      }
    };
    const newestFirst = (ids: string[], times: string[]) =>
      ids.every((id, i) => i === 0 || times[i - 1] > times[i] || (times[i - 1] === times[i] && ids[i - 1] > id));

    it("a small client's history: newest first, each engagement once, pages without gaps", async () => {
      const { ids, times } = await readAll({ clientId: "cl-small" }, 7);
      expect(ids).toHaveLength(32);
      expect(new Set(ids).size).toBe(32);
      expect(newestFirst(ids, times)).toBe(true);
      expect(ids.slice(-3)).toEqual(["small-tie-a", "small-001", "small-000"]);
      const contact = await readAll({ contactId: "s2" }, 5);
      expect(contact.ids).toHaveLength(12);
      expect(contact.ids.slice(0, 2)).toEqual(["small-027", "small-024"]);
    });

    it("a large client's history (past the links bound, older than the newest): the same order, and from/to", async () => {
      const { ids, times } = await readAll({ clientId: "cl-big" }, 500);
      expect(ids).toHaveLength(big);
      expect(new Set(ids).size).toBe(big);
      expect(ids.every((id) => id.startsWith("big-"))).toBe(true);
      expect(newestFirst(ids, times)).toBe(true);
      const minute = (m: number) => new Date(Date.UTC(2026, 0, 1) + m * 60_000).toISOString();
      const ranged = await readAll({ clientId: "cl-big", from: minute(1030), to: minute(1060) }, 4);
      expect(ranged.ids).toEqual(Array.from({ length: 10 }, (_, k) => `big-${String(19 - k).padStart(5, "0")}`));
      const small = await readAll({ clientId: "cl-small", from: minute(30), to: minute(60) }, 2);
      expect(small.ids).toEqual(["small-008", "small-007", "small-006", "small-005"]);
    });

    it("a recent client's history: among the newest engagements, then past them, without a seam", async () => {
      const { ids, times } = await readAll({ clientId: "cl-recent" }, 9);
      expect(ids).toEqual(
        Array.from({ length: recent / 10 }, (_, k) => `new-${String(recent - 10 - k * 10).padStart(5, "0")}`),
      );
      expect(newestFirst(ids, times)).toBe(true);
      expect(ids.length).toBeGreaterThan(FEW_LINKS);
    });

    it("never another organization's history, whichever way it is found", async () => {
      expect((await readAll({ contactId: "o1" }, 10)).ids).toEqual([]);
      expect((await readAll({ clientId: "cl-small" }, 10, OTHER)).ids).toEqual([]);
      expect((await readAll({ clientId: "cl-big" }, 10, OTHER)).ids).toEqual([]);
      expect((await readAll({ contactId: "o1" }, 10, OTHER)).ids).toEqual([
        "other-4",
        "other-3",
        "other-2",
        "other-1",
        "other-0",
      ]);
      expect((await readAll({ clientId: "cl-nobody" }, 10)).ids).toEqual([]);
      await expect(
        listEngagements(h.db, ORG, APP, { clientId: "cl-nobody", limit: 5, cursor: "garbage" }),
      ).rejects.toThrow();
    });
  });
}
