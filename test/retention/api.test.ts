/**
 * Retention through the API, on every available database: the organization's setting is the
 * administrators' (members 403, bad values 400 with a code), it deletes only that organization's old
 * engagements, and the pane's status for a message whose exclusion was pruned falls back to predicting.
 */
import { ADMIN_APP_ROLE } from "../../shared/api/contract";
import type { MessageStatusResponse } from "../../shared/api/contract";
import { databaseTargets } from "../db/databases";
import { TENANT_A, TENANT_B, createHarness, type Harness } from "../api/harness";
import { messageKey, recordCaptureBatch, type CaptureItem } from "../../server/store/capture-decisions";
import { saveConnection } from "../../server/store/mailbox-connections";
import { pruneAll } from "../../server/retention/pruner";
import { DEFAULT_POLICY } from "../../server/retention/policy";

const ADMIN = { oid: "oid-admin", roles: [ADMIN_APP_ROLE] };
const MEMBER = { oid: "oid-member" };
const DAY = 24 * 3600_000;

for (const target of databaseTargets()) {
  const d = target.available ? describe : describe.skip;
  d(`retention API on ${target.name}${target.available ? "" : " (skipped: set TEST_DATABASE_URL to run it)"}`, () => {
    let t: Harness;
    beforeEach(async () => {
      t = await createHarness({}, {}, () => target.open());
    });
    afterEach(() => t?.close());

    const me = async (who: object) =>
      (await (await t.call("GET", "/api/me", who)).json()) as { organization: { id: string }; user: { id: string } };
    const prune = () =>
      pruneAll(t.h.db, {
        policy: DEFAULT_POLICY(t.config.sweep.windowHours),
        batchSize: 1000,
        batchPauseMs: 0,
        now: t.clock.now(),
      });

    test("members are refused (403) and change nothing; administrators read and set it; bad values are 400", async () => {
      expect((await t.call("GET", "/api/organization/retention", MEMBER)).status).toBe(403);
      const refused = await t.call("PUT", "/api/organization/retention", { ...MEMBER, body: { engagementDays: 1 } });
      expect(refused.status).toBe(403);
      expect((await refused.json()).error.code).toBe("forbidden");
      expect(await (await t.call("GET", "/api/organization/retention", ADMIN)).json()).toEqual({
        engagementDays: null,
      });
      const set = await t.call("PUT", "/api/organization/retention", { ...ADMIN, body: { engagementDays: 30 } });
      expect(set.status).toBe(200);
      expect(await set.json()).toEqual({ engagementDays: 30 });
      expect(await (await t.call("GET", "/api/organization/retention", ADMIN)).json()).toEqual({ engagementDays: 30 });
      for (const body of [
        { engagementDays: 0 },
        { engagementDays: 3651 },
        { engagementDays: 1.5 },
        { engagementDays: "30" },
        {},
        { engagementDays: 30, x: 1 },
        [],
      ]) {
        const res = await t.call("PUT", "/api/organization/retention", { ...ADMIN, body });
        expect(res.status).toBe(400);
        expect((await res.json()).error.code).toEqual(expect.any(String));
      }
      // Another organization's administrator sees its own setting.
      expect(await (await t.call("GET", "/api/organization/retention", { ...ADMIN, tenant: TENANT_B })).json()).toEqual(
        { engagementDays: null },
      );
      expect(
        await (await t.call("PUT", "/api/organization/retention", { ...ADMIN, body: { engagementDays: null } })).json(),
      ).toEqual({ engagementDays: null });
    });

    test("the setting deletes the organization's old engagements, not another organization's", async () => {
      const a = await me({ ...ADMIN, tenant: TENANT_A });
      const b = await me({ ...ADMIN, tenant: TENANT_B });
      const old = new Date(t.clock.now().getTime() - 40 * DAY).toISOString();
      for (const who of [a, b]) {
        const item: CaptureItem = {
          outcome: "captured",
          engagement: {
            internetMessageId: "<old@x>",
            conversationId: null,
            subject: "Old",
            bodyText: "b",
            bodyPreview: "b",
            direction: "inbound",
            messageTime: old,
            sentAt: old,
            receivedAt: old,
            fromAddress: "c@client.example",
            participants: [{ address: "c@client.example", name: null, role: "from" }],
          },
          graphMessageId: "g",
          webLink: null,
          contactIds: [],
        };
        await t.h.db
          .transaction()
          .execute((trx) => recordCaptureBatch(trx, who.organization.id, who.user.id, null, [item], old));
      }
      expect(
        (await t.call("PUT", "/api/organization/retention", { ...ADMIN, body: { engagementDays: 30 } })).status,
      ).toBe(200);
      expect((await prune()).engagements).toBe(1);
      const list = async (tenant: string) =>
        (await (await t.call("GET", "/api/engagements", { ...ADMIN, tenant })).json()).items.length;
      expect(await list(TENANT_A)).toBe(0);
      expect(await list(TENANT_B)).toBe(1);
    });

    test("a pruned exclusion: the pane's status is predicted again, through the real status call", async () => {
      const who = await me(MEMBER);
      const now = t.clock.now();
      await saveConnection(
        t.h.db,
        who.organization.id,
        who.user.id,
        { homeAccountId: null, tokenCache: null },
        new Date(now.getTime() - 30 * DAY),
      );
      const received = new Date(now.getTime() - 3 * DAY).toISOString();
      const excluded: CaptureItem = {
        outcome: "excluded",
        messageKey: messageKey("<folder@x>"),
        reason: "excluded_folder",
        detail: { folder: "Private" },
      };
      await t.h.db
        .transaction()
        .execute((trx) => recordCaptureBatch(trx, who.organization.id, who.user.id, null, [excluded], received));
      const status = async (): Promise<MessageStatusResponse> => {
        const res = await t.call("POST", "/api/messages/status", {
          ...MEMBER,
          body: {
            internetMessageId: "<folder@x>",
            from: { address: "c@client.example", name: null },
            to: ["member@a.example"],
            cc: [],
            subject: "s",
            sentDateTime: received,
            receivedDateTime: received,
            itemClass: "IPM.Note",
          },
        });
        expect(res.status).toBe(200);
        return res.json();
      };
      expect((await status()).decision).toMatchObject({ source: "stored", reason: "excluded_folder" });
      expect((await prune()).excludedDecisions).toBe(1);
      const after = await status();
      expect(after.decision.source).toBe("predicted");
      expect(after.decision.reason).not.toBe("excluded_folder");
      expect(after.decision.sweepId).toBeNull();
    });
  });
}
