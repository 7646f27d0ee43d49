/**
 * The changes feed GET /api/engagements/changes on SQLite and PostgreSQL: every creation, update (another
 * mailbox, another contact) and deletion (a block, an untracked contact) of the organization's engagements,
 * oldest first, numbered without gaps, resumable from any cursor, never another organization's; readable by
 * people and by applications with an app role; and, under many concurrent writing transactions (some rolled
 * back), a reader following the feed meanwhile ends with exactly what committed, in order.
 */
import { APP_READ_ROLE } from "../../shared/api/roles";
import { MAX_PAGE } from "../../shared/api/schemas";
import { recordCaptureBatch, removeEngagements, type CaptureItem } from "../../server/store/capture-decisions";
import { recordEngagementChanges } from "../../server/store/engagement-changes";
import { provisionUser } from "../../server/store/users";
import { databaseTargets } from "../db/databases";
import { CLIENT_ID, TENANT_A, TENANT_B, createHarness, type Harness } from "./harness";

interface Change {
  sequence: number;
  cursor: string;
  type: string;
  engagementId: string;
  occurredAt: string;
  engagement: { id: string; mailboxes: unknown[]; contacts: { id: string }[] } | null;
}
interface ChangePage {
  items: Change[];
  nextCursor: string;
  hasMore: boolean;
}

function item(n: number, contactIds: string[], graphId = `g${n}`): CaptureItem {
  return {
    outcome: "captured",
    engagement: {
      internetMessageId: `<feed${n}@mail.example>`,
      conversationId: null,
      subject: `Subject ${n}`,
      bodyText: "Body",
      bodyPreview: "Body",
      direction: "inbound",
      messageTime: "2026-11-26T10:00:00.000Z",
      sentAt: "2026-11-26T10:00:00.000Z",
      receivedAt: "2026-11-26T10:00:00.000Z",
      fromAddress: "ceo@acme.example",
      participants: [
        { address: "ceo@acme.example", name: null, role: "from" },
        { address: "dana@contoso.com", name: null, role: "to" },
      ],
    },
    graphMessageId: graphId,
    webLink: null,
    contactIds,
  };
}

for (const target of databaseTargets()) {
  const describeIf = target.available ? describe : describe.skip;

  describeIf(`the engagement changes feed on ${target.name}`, () => {
    let t: Harness;
    let dana = "";
    let lee = "";
    let contactA = "";
    let contactB = "";

    const feed = async (query = "", opts: { tenant?: string; token?: string } = {}) => {
      const res = await t.call("GET", `/api/engagements/changes${query}`, { tenant: opts.tenant, token: opts.token });
      const body = (await res.json()) as ChangePage & { error?: { code: string } };
      return { status: res.status, body };
    };
    /** Follow the feed from `cursor` to its end, `limit` at a time. */
    const readAll = async (cursor: string | null, limit: number) => {
      const all: Change[] = [];
      let next = cursor;
      for (;;) {
        const q = `?limit=${limit}${next ? `&cursor=${encodeURIComponent(next)}` : ""}`;
        const { status, body } = await feed(q);
        expect(status).toBe(200);
        all.push(...body.items);
        next = body.nextCursor;
        if (!body.hasMore) return { all, cursor: next };
      }
    };
    const capture = (org: string, user: string, items: CaptureItem[]) =>
      t.h.db.transaction().execute((trx) => recordCaptureBatch(trx, org, user, null, items, t.clock.now()));

    beforeAll(async () => {
      t = await createHarness({}, {}, target.open);
      dana = (
        await provisionUser(
          t.h.db,
          { organizationId: TENANT_A, oid: "oid-dana", email: "dana@contoso.com", displayName: null },
          t.clock.now(),
        )
      ).id;
      lee = (
        await provisionUser(
          t.h.db,
          { organizationId: TENANT_A, oid: "oid-lee", email: "lee@contoso.com", displayName: null },
          t.clock.now(),
        )
      ).id;
      const a = await t.call("POST", "/api/contacts", { body: { email: "ceo@acme.example" } });
      const b = await t.call("POST", "/api/contacts", { body: { email: "cfo@acme.example" } });
      contactA = ((await a.json()) as { id: string }).id;
      contactB = ((await b.json()) as { id: string }).id;
    });
    afterAll(() => t.close());

    it("records creations, updates and deletions in order, and resumes from any cursor", async () => {
      const start = await readAll(null, MAX_PAGE);
      const [one] = await capture(TENANT_A, dana, [item(1, [contactA])]);
      const [two] = await capture(TENANT_A, dana, [item(2, [contactA])]);
      // The same batch again changes nothing, so it records nothing.
      await capture(TENANT_A, dana, [item(1, [contactA])]);
      t.clock.advance(1000);
      await capture(TENANT_A, lee, [item(1, [contactA])]); // another mailbox: updated
      await capture(TENANT_A, lee, [item(2, [contactA, contactB])]); // another mailbox and contact: one update
      await t.h.db
        .transaction()
        .execute((trx) =>
          removeEngagements(
            trx,
            TENANT_A,
            [two.engagementId!, "no-such-engagement"],
            { reason: "blocked", removal: "blocklist_entry" },
            t.clock.now(),
          ),
        );

      const { all, cursor } = await readAll(start.cursor, 2);
      expect(all.map((c) => [c.type, c.engagementId])).toEqual([
        ["created", one.engagementId],
        ["created", two.engagementId],
        ["updated", one.engagementId],
        ["updated", two.engagementId],
        ["deleted", two.engagementId],
      ]);
      const seqs = all.map((c) => c.sequence);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
      // The engagement is its current view; a deleted one (and its earlier changes) null.
      expect(all[0].engagement?.mailboxes).toHaveLength(2);
      expect(all[1].engagement).toBeNull();
      expect(all[4].engagement).toBeNull();
      expect(all[2].occurredAt > all[0].occurredAt).toBe(true);

      // Resuming after any change gives exactly the rest; at the end, nothing new and the same cursor.
      for (let i = 0; i < all.length; i++) {
        const rest = await readAll(all[i].cursor, MAX_PAGE);
        expect(rest.all.map((c) => c.sequence)).toEqual(seqs.slice(i + 1));
      }
      const end = await feed(`?cursor=${encodeURIComponent(cursor)}`);
      expect(end.body).toEqual({ items: [], nextCursor: cursor, hasMore: false });

      // Without a cursor, from the beginning (sequence 1).
      const first = await feed("?limit=1");
      expect(first.body.items[0].sequence).toBe(1);
      expect(first.body.hasMore).toBe(true);
    });

    it("is the caller's organization's only, for people and applications with an app role", async () => {
      await capture(
        TENANT_B,
        (
          await provisionUser(
            t.h.db,
            { organizationId: TENANT_B, oid: "oid-eve", email: "eve@fabrikam.com", displayName: null },
            t.clock.now(),
          )
        ).id,
        [item(900, [])],
      );
      const mine = await readAll(null, MAX_PAGE);
      const theirs = await feed(`?limit=${MAX_PAGE}`, { tenant: TENANT_B });
      expect(theirs.body.items.map((c) => c.sequence)).toEqual([1]);
      expect(mine.all.some((c) => c.engagementId === theirs.body.items[0].engagementId)).toBe(false);

      const appToken = await t.token({
        aud: CLIENT_ID,
        oid: "crm-sp",
        sub: "crm-sp",
        azp: "crm-client",
        idtyp: "app",
        scp: undefined,
        preferred_username: undefined,
        roles: [APP_READ_ROLE],
      });
      const asApp = await feed(`?limit=${MAX_PAGE}`, { token: appToken });
      expect(asApp.status).toBe(200);
      expect(asApp.body.items.map((c) => c.sequence)).toEqual(mine.all.map((c) => c.sequence));
    });

    it("answers a bad cursor or limit 400", async () => {
      for (const cursor of [
        "nope",
        Buffer.from(JSON.stringify(["c", "-1"])).toString("base64url"),
        Buffer.from(JSON.stringify(["2026-01-01", "x"])).toString("base64url"),
      ]) {
        const r = await feed(`?cursor=${cursor}`);
        expect(r.status).toBe(400);
        expect(r.body.error?.code).toBe("invalid_cursor");
      }
      expect((await feed(`?limit=${MAX_PAGE + 1}`)).status).toBe(400);
      expect((await feed("?since=1")).status).toBe(400);
    });

    it("keeps one change per engagement and batch, a deletion standing on its own", async () => {
      const before = await readAll(null, MAX_PAGE);
      await t.h.db.transaction().execute((trx) =>
        recordEngagementChanges(
          trx,
          TENANT_A,
          [
            { engagementId: "e1", type: "updated" },
            { engagementId: "e1", type: "created" },
            { engagementId: "e1", type: "deleted" },
            { engagementId: "e2", type: "updated" },
            { engagementId: "e2", type: "updated" },
          ],
          t.clock.now(),
        ),
      );
      const { all } = await readAll(before.cursor, MAX_PAGE);
      expect(all.map((c) => [c.type, c.engagementId])).toEqual([
        ["created", "e1"],
        ["deleted", "e1"],
        ["updated", "e2"],
      ]);
    });

    it("has no gaps under concurrent writers: a reader following meanwhile gets exactly what committed, in order", async () => {
      const start = await readAll(null, MAX_PAGE);
      const writers = 40;
      let writing = true;
      const seen: Change[] = [];
      const reader = (async () => {
        let cursor = start.cursor;
        for (;;) {
          const done = !writing;
          const page = await readAll(cursor, 7);
          seen.push(...page.all);
          cursor = page.cursor;
          if (done) return;
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const committed: string[] = [];
      await Promise.all(
        Array.from({ length: writers }, async (_, i) => {
          const n = 1000 + i;
          const rollBack = i % 5 === 4;
          try {
            const [r] = await t.h.db.transaction().execute(async (trx) => {
              const out = await recordCaptureBatch(
                trx,
                TENANT_A,
                i % 2 ? dana : lee,
                null,
                [item(n, [contactA])],
                t.clock.now(),
              );
              // Hold the transaction open a little while others number and commit.
              await new Promise((res) => setTimeout(res, (i * 7) % 23));
              if (rollBack) throw new Error("rolled back");
              return out;
            });
            committed.push(r.engagementId!);
          } catch (err) {
            if (!rollBack) throw err;
          }
        }),
      );
      writing = false;
      await reader;
      const seqs = seen.map((c) => c.sequence);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
      expect(seqs[0]).toBe((start.all.at(-1)?.sequence ?? 0) + 1);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seen.every((c) => c.type === "created")).toBe(true);
      expect(seen.map((c) => c.engagementId).sort()).toEqual(committed.sort());
      expect(committed).toHaveLength(writers - writers / 5);
    });
  });
}
