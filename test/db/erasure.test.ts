/**
 * Erasing a person, through the API, on every available database: afterwards no column of any table holds
 * the address in the organization's rows (a scan of the whole schema, so a future table is covered too),
 * another organization is untouched, the counts say what went, the feed tells CRMs, and only
 * administrators (people) may ask.
 */
import { ADMIN_APP_ROLE, APP_WRITE_ROLE } from "../../shared/api/roles";
import type { ErasureResult } from "../../shared/api/schemas";
import type { KyselyPlugin } from "kysely";
import { erasePerson } from "../../server/erasure/erase-person";
import { messageKey, recordCaptureBatch, type CaptureItem } from "../../server/store/capture-decisions";
import { saveConnection } from "../../server/store/mailbox-connections";
import { recordSweepStarted } from "../../server/store/sweeps";
import { CLIENT_ID, TENANT_A, TENANT_B, createHarness, type Harness } from "../api/harness";
import { databaseTargets } from "./databases";
import { columnsHolding } from "./text-scan";

const ADMIN = { oid: "oid-admin", roles: [ADMIN_APP_ROLE] };
const MEMBER = { oid: "oid-member" };
const PAT = "pat.o_neil@client.example";
const OTHER = "other@client.example";

for (const target of databaseTargets()) {
  const d = target.available ? describe : describe.skip;
  d(`erasing a person on ${target.name}${target.available ? "" : " (skipped: set TEST_DATABASE_URL)"}`, () => {
    let t: Harness;
    beforeEach(async () => {
      t = await createHarness({}, {}, () => target.open());
    });
    afterEach(() => t?.close());

    const me = async (who: object) =>
      (await (await t.call("GET", "/api/me", who)).json()) as { organization: { id: string }; user: { id: string } };

    const engagement = (imid: string, from: string, cc: string[], body: string): CaptureItem => ({
      outcome: "captured",
      engagement: {
        internetMessageId: imid,
        conversationId: null,
        subject: `About ${imid}`,
        bodyText: body,
        bodyPreview: body.slice(0, 40),
        direction: "inbound",
        messageTime: t.clock.now().toISOString(),
        sentAt: t.clock.now().toISOString(),
        receivedAt: t.clock.now().toISOString(),
        fromAddress: from,
        participants: [
          { address: from, name: "Sender", role: "from" },
          ...cc.map((a) => ({ address: a, name: "Pat O'Neil", role: "cc" as const })),
        ],
      },
      graphMessageId: `g-${imid}`,
      webLink: null,
      contactIds: [],
    });

    /** The same stored traces of PAT in the tenant's organization; returns the engagement ids. */
    async function seed(tenant: string) {
      const admin = await me({ ...ADMIN, tenant });
      const member = await me({ ...MEMBER, tenant });
      const [org, user] = [member.organization.id, member.user.id];
      const contact = async (email: string) =>
        (
          (await (
            await t.call("POST", "/api/contacts", { ...MEMBER, tenant, body: { email, name: "Pat" } })
          ).json()) as {
            id: string;
          }
        ).id;
      const [pat, other] = [await contact(PAT.toUpperCase()), await contact(OTHER)];
      const now = t.clock.now();
      await saveConnection(t.h.db, org, user, { homeAccountId: null, tokenCache: null }, now);
      const only = { ...engagement("<only@x>", PAT, [], "hi"), contactIds: [pat] };
      const shared = { ...engagement("<shared@x>", OTHER, [PAT], "hello"), contactIds: [pat, other] };
      const mention = {
        ...engagement("<mention@x>", OTHER, [], `write to ${PAT.toUpperCase()} or me`),
        contactIds: [other],
      };
      const excluded: CaptureItem = {
        outcome: "excluded",
        messageKey: messageKey("<excluded@x>"),
        reason: "excluded_folder",
        detail: { folder: PAT },
      };
      const recorded = await t.h.db
        .transaction()
        .execute((trx) => recordCaptureBatch(trx, org, user, null, [only, shared, mention, excluded], now));
      const blockIds: string[] = [];
      for (const [who, scope] of [
        [ADMIN, "organization"],
        [MEMBER, "personal"],
      ] as const) {
        const res = await t.call("POST", "/api/blocklist", { ...who, tenant, body: { entry: PAT, scope } });
        expect(res.status).toBe(201);
        blockIds.push(((await res.json()) as { id: string }).id);
      }
      // The organization's block of the address removed again: the removal records a rule change naming it.
      expect((await t.call("DELETE", `/api/blocklist/${blockIds[0]}`, { ...ADMIN, tenant })).status).toBe(204);
      expect(
        await t.h.db.selectFrom("ruleChanges").select("address").where("organizationId", "=", org).execute(),
      ).toEqual([{ address: PAT }]);
      await t.h.db
        .insertInto("idempotencyKeys")
        .values({
          organizationId: org,
          userId: user,
          key: "k1",
          requestHash: "h",
          response: JSON.stringify({ status: 201, body: { to: [PAT] } }),
          status: "done",
          createdAt: now.toISOString(),
          sendMarker: null,
          sendStartedAt: null,
          lockedUntil: null,
        })
        .execute();
      const sweep = await recordSweepStarted(t.h.db, {
        id: `sweep-${tenant}`,
        organizationId: org,
        userId: user,
        trigger: "manual",
        windowStart: now,
        windowEnd: now,
        startedAt: now,
        listing: "full",
      });
      await t.h.db
        .updateTable("sweeps")
        .set({ error: `bounce from ${PAT}` })
        .where("id", "=", sweep.id)
        .execute();
      await t.h.db
        .updateTable("mailboxConnections")
        .set({ lastError: `${PAT} rejected` })
        .where("userId", "=", user)
        .execute();
      const [onlyId, sharedId, mentionId] = recorded.slice(0, 3).map((r) => r.engagementId!);
      return { org, admin, onlyId, sharedId, mentionId };
    }

    const erase = (body: unknown, who: object = ADMIN) =>
      t.call("POST", "/api/organization/erasures", { ...who, body });
    const engagementIds = async (tenant = TENANT_A) =>
      (
        (await (await t.call("GET", "/api/engagements", { ...ADMIN, tenant })).json()) as { items: { id: string }[] }
      ).items
        .map((e) => e.id)
        .sort();

    test("scope sole: deletes what only Pat made tracked, rewrites the rest, no trace left; B untouched", async () => {
      const a = await seed(TENANT_A);
      const b = await seed(TENANT_B);
      expect((await columnsHolding(t.h.db, PAT, a.org)).length).toBeGreaterThan(8);
      const inB = await columnsHolding(t.h.db, PAT, b.org);
      const bEngagements = await engagementIds(TENANT_B);

      const res = await erase({ address: ` ${PAT.toUpperCase()} `, scope: "sole" });
      expect(res.status).toBe(200);
      const result = (await res.json()) as ErasureResult;
      expect(result.scope).toBe("sole");
      expect(result.counts).toEqual({
        contacts: 1,
        contactLinks: 1,
        engagementsDeleted: 1,
        engagementsRedacted: 2,
        decisionsReleased: 1,
        decisionsRedacted: 1,
        blockEntries: 1,
        sentAnswersRedacted: 1,
        otherRedacted: 3,
      });
      expect(await columnsHolding(t.h.db, PAT, a.org)).toEqual([]);
      expect(await engagementIds()).toEqual([a.sharedId, a.mentionId].sort());
      const shared = await (await t.call("GET", `/api/engagements/${a.sharedId}`, ADMIN)).json();
      expect(shared.participants).toContainEqual({ address: "erased@erased.invalid", name: null, role: "cc" });

      const changes = (await (await t.call("GET", "/api/engagements/changes?limit=100", ADMIN)).json()) as {
        items: { type: string; engagementId: string }[];
      };
      const tail = changes.items.filter((c) => c.type !== "created");
      expect(tail).toContainEqual(expect.objectContaining({ type: "deleted", engagementId: a.onlyId }));
      expect(tail).toContainEqual(expect.objectContaining({ type: "updated", engagementId: a.sharedId }));
      expect(tail).toContainEqual(expect.objectContaining({ type: "updated", engagementId: a.mentionId }));

      // The record keeps no address, only a salted hash; another organization keeps all of its own.
      const records = await t.h.db.selectFrom("erasures").selectAll().execute();
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ organizationId: a.org, scope: "sole", erasedByUserId: a.admin.user.id });
      expect(records[0].addressHash).toMatch(/^[0-9a-f]{64}$/);
      expect(await columnsHolding(t.h.db, PAT, b.org)).toEqual(inB);
      expect(await engagementIds(TENANT_B)).toEqual(bEngagements);

      // Asking again finds nothing left.
      const again = (await (await erase({ address: PAT, scope: "sole" })).json()) as ErasureResult;
      expect(Object.values(again.counts).every((n) => n === 0)).toBe(true);
    });

    test("a large footprint goes in statements of at most batchSize rows (no long lock); no trace left", async () => {
      const member = await me(MEMBER);
      const admin = await me(ADMIN);
      const [org, user] = [member.organization.id, member.user.id];
      const contact = async (email: string) =>
        ((await (await t.call("POST", "/api/contacts", { ...MEMBER, body: { email } })).json()) as { id: string }).id;
      const [pat, other] = [await contact(PAT), await contact(OTHER)];
      // Kept (another tracked participant) yet naming Pat, linked to Pat or not: 30 rows to rewrite, 20 links.
      const items: CaptureItem[] = Array.from({ length: 30 }, (_, i) =>
        i % 3 === 0
          ? { ...engagement(`<shared-${i}@x>`, OTHER, [PAT], "hello"), contactIds: [pat, other] }
          : {
              ...engagement(`<mention-${i}@x>`, OTHER, [], `ask ${PAT}`),
              contactIds: i % 3 === 1 ? [pat, other] : [other],
            },
      );
      await t.h.db.transaction().execute((trx) => recordCaptureBatch(trx, org, user, null, items, t.clock.now()));
      const affected: number[] = [];
      const counting: KyselyPlugin = {
        transformQuery: (a) => a.node,
        transformResult: async (a) => {
          if (a.result.numAffectedRows !== undefined) affected.push(Number(a.result.numAffectedRows));
          return a.result;
        },
      };
      const { counts } = await erasePerson(t.h.db.withPlugin(counting), {
        organizationId: org,
        address: PAT,
        scope: "sole",
        erasedByUserId: admin.user.id,
        now: t.clock.now(),
        batchSize: 3,
      });
      expect(counts).toMatchObject({ contacts: 1, contactLinks: 20, engagementsDeleted: 0, engagementsRedacted: 30 });
      expect(Math.max(...affected)).toBe(3);
      expect(await columnsHolding(t.h.db, PAT, org)).toEqual([]);
    });

    test("scope full: every engagement Pat took part in is deleted; a mere mention is rewritten", async () => {
      const a = await seed(TENANT_A);
      const result = (await (await erase({ address: PAT, scope: "full" })).json()) as ErasureResult;
      expect(result.counts).toMatchObject({
        contacts: 1,
        contactLinks: 0,
        engagementsDeleted: 2,
        engagementsRedacted: 1,
        decisionsReleased: 2,
      });
      expect(await engagementIds()).toEqual([a.mentionId]);
      expect(await columnsHolding(t.h.db, PAT, a.org)).toEqual([]);
    });

    test("members are refused (403), applications too (user_only); bad input is 400; a member's address 422", async () => {
      await seed(TENANT_A);
      const refused = await erase({ address: PAT, scope: "full" }, MEMBER);
      expect(refused.status).toBe(403);
      expect((await refused.json()).error.code).toBe("forbidden");
      const app = await t.token({
        tid: TENANT_A,
        aud: CLIENT_ID,
        oid: "crm-sp",
        sub: "crm-sp",
        azp: "99999999-8888-7777-6666-555555555555",
        azpacr: "1",
        idtyp: "app",
        scp: undefined,
        preferred_username: undefined,
        name: undefined,
        roles: [APP_WRITE_ROLE, ADMIN_APP_ROLE],
      });
      const asApp = await t.call("POST", "/api/organization/erasures", {
        token: app,
        body: { address: PAT, scope: "full" },
      });
      expect(asApp.status).toBe(403);
      expect((await asApp.json()).error.code).toBe("user_only");
      for (const body of [
        {},
        { address: PAT },
        { address: PAT, scope: "some" },
        { address: "nope", scope: "full" },
        [],
      ]) {
        const res = await erase(body);
        expect(res.status).toBe(400);
        expect((await res.json()).error.code).toEqual(expect.any(String));
      }
      const colleague = await erase({ address: "DANA@contoso.com", scope: "full" });
      expect(colleague.status).toBe(422);
      expect((await colleague.json()).error.code).toBe("erasure_of_member");
      expect(await engagementIds()).toHaveLength(3);
      expect(await t.h.db.selectFrom("erasures").selectAll().execute()).toEqual([]);
    });
  });
}
