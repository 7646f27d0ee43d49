/**
 * graph_subscriptions (server/store/graph-subscriptions.ts) on every available database: one row per
 * mailbox (a new subscription replaces the old), lookups by Graph's id, renewals and deletes that touch
 * only the named subscription of the named organization, what the tick renews and whom it subscribes.
 */
import { databaseTargets, type TestDatabase } from "../db/databases";
import { provisionUser } from "../../server/store/users";
import { saveConnection, setConnectionStatus } from "../../server/store/mailbox-connections";
import {
  deleteSubscription,
  findBySubscriptionIds,
  getSubscription,
  listExpiringBefore,
  listUnsubscribedMailboxes,
  markRenewalDue,
  recordRenewal,
  saveSubscription,
} from "../../server/store/graph-subscriptions";

const T0 = new Date("2026-12-06T12:00:00.000Z");
const ORG = "org-subs-a";
const OTHER = "org-subs-b";
const H = 3600_000;

for (const target of databaseTargets()) {
  const d = target.available ? describe : describe.skip;
  d(
    `graph subscriptions on ${target.name}${target.available ? "" : " (skipped: set TEST_DATABASE_URL to run it)"}`,
    () => {
      let h: TestDatabase;
      const ids: Record<string, string> = {};
      const sub = (organizationId: string, userId: string, subscriptionId: string, expiresInH: number) => ({
        organizationId,
        userId,
        subscriptionId,
        clientStateHash: "ab".repeat(32),
        resource: "me/messages",
        expiresAt: new Date(T0.getTime() + expiresInH * H),
      });
      beforeAll(async () => {
        h = await target.open();
        for (const [key, org] of [
          ["ann", ORG],
          ["bea", ORG],
          ["cy", ORG],
          ["zed", OTHER],
        ] as const) {
          ids[key] = (
            await provisionUser(
              h.db,
              { organizationId: org, oid: `oid-${key}`, email: `${key}@x.example`, displayName: null },
              T0,
            )
          ).id;
          await saveConnection(h.db, org, ids[key], { homeAccountId: null, tokenCache: "x" }, T0);
        }
        await setConnectionStatus(h.db, ORG, ids.cy, "reauth_required", "expired", T0);
      });
      afterAll(() => h?.close());

      test("one row per mailbox: a new subscription replaces the old one", async () => {
        await saveSubscription(h.db, sub(ORG, ids.ann, "sub-1", 70), T0);
        await saveSubscription(h.db, sub(ORG, ids.ann, "sub-2", 70), T0);
        expect((await getSubscription(h.db, ORG, ids.ann))!.subscriptionId).toBe("sub-2");
        expect(await findBySubscriptionIds(h.db, ["sub-1", "sub-2", "nope"])).toHaveLength(1);
        expect(await findBySubscriptionIds(h.db, [])).toEqual([]);
      });

      test("renewals and deletes touch only the named subscription of the named organization", async () => {
        await saveSubscription(h.db, sub(OTHER, ids.zed, "sub-z", 70), T0);
        expect(await recordRenewal(h.db, ORG, "sub-z", new Date(T0.getTime() + 100 * H), T0)).toBe(false);
        expect(await markRenewalDue(h.db, ORG, "sub-z", T0)).toBe(false);
        expect(await deleteSubscription(h.db, ORG, "sub-z")).toBe(false);
        expect(await deleteSubscription(h.db, ORG, "sub-1")).toBe(false);
        expect((await getSubscription(h.db, OTHER, ids.zed))!.expiresAt).toBe(
          sub(OTHER, ids.zed, "", 70).expiresAt.toISOString(),
        );
        expect(await recordRenewal(h.db, OTHER, "sub-z", new Date(T0.getTime() + 100 * H), T0)).toBe(true);
        const z = (await getSubscription(h.db, OTHER, ids.zed))!;
        expect([z.expiresAt, z.renewedAt]).toEqual([new Date(T0.getTime() + 100 * H).toISOString(), T0.toISOString()]);
      });

      test("the tick renews what expires soonest first, and subscribes active mailboxes without one", async () => {
        await saveSubscription(h.db, sub(ORG, ids.bea, "sub-b", 10), T0);
        const due = await listExpiringBefore(h.db, new Date(T0.getTime() + 80 * H), 10);
        expect(due.map((r) => r.subscriptionId)).toEqual(["sub-b", "sub-2"]);
        expect(await listExpiringBefore(h.db, new Date(T0.getTime() + 80 * H), 1)).toHaveLength(1);
        await markRenewalDue(h.db, ORG, "sub-2", T0);
        expect((await listExpiringBefore(h.db, new Date(T0.getTime() + 1), 10)).map((r) => r.subscriptionId)).toEqual([
          "sub-2",
        ]);
        // cy is reauth_required: not subscribed until she reconnects.
        expect(await listUnsubscribedMailboxes(h.db, 10)).toEqual([]);
        await deleteSubscription(h.db, ORG, "sub-b");
        expect(await listUnsubscribedMailboxes(h.db, 10)).toEqual([{ organizationId: ORG, userId: ids.bea }]);
      });
    },
  );
}
