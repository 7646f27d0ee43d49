/**
 * The status call's one statement about the caller (server/store/caller-state.ts), on every available
 * database: the same user, connection and decision as the separate reads, and only the caller's own —
 * another user's or another organization's decision for the same message never joins in.
 */
import { databaseTargets, type TestDatabase } from "./databases";
import type { Db } from "../../server/db";
import { getCallerState } from "../../server/store/caller-state";
import { getDecision, messageKey, recordCaptureBatch, removeEngagements } from "../../server/store/capture-decisions";
import { getConnection, saveConnection } from "../../server/store/mailbox-connections";
import { provisionUser } from "../../server/store/users";

const T0 = "2026-11-26T12:00:00.000Z";
const T1 = "2026-11-26T13:00:00.000Z";

for (const target of databaseTargets()) {
  const d = target.available ? describe : describe.skip;
  d(`caller state on ${target.name}${target.available ? "" : " (skipped: set TEST_DATABASE_URL to run it)"}`, () => {
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
    async function user(orgId: string) {
      n++;
      return provisionUser(
        db,
        { organizationId: orgId, oid: `oid-cs-${n}`, email: `Dana${n}@Contoso.com`, displayName: "Dana" },
        T0,
      );
    }
    const newOrg = () => `tid-caller-${target.name}-${Math.random().toString(36).slice(2, 10)}`;

    async function excluded(orgId: string, userId: string, imid: string, folder: string) {
      await db
        .transaction()
        .execute((trx) =>
          recordCaptureBatch(
            trx,
            orgId,
            userId,
            null,
            [{ outcome: "excluded", messageKey: messageKey(imid), reason: "excluded_folder", detail: { folder } }],
            T1,
          ),
        );
    }

    test("user, connection and decision as the separate reads answer them; only the caller's own decision", async () => {
      const orgId = newOrg();
      const otherOrg = newOrg();
      const dana = await user(orgId);
      const lee = await user(orgId);
      const stranger = await user(otherOrg);
      const imid = "<m1@client.example>";
      const key = messageKey(imid);

      // No connection, no decision.
      expect(await getCallerState(db, orgId, dana.id, key)).toEqual({
        user: { email: dana.email, addresses: dana.addresses },
        connection: null,
        decision: null,
      });
      expect((await getCallerState(db, orgId, dana.id, key)).user?.addresses).toEqual(["dana1@contoso.com"]);

      // Someone else's decision for the same message (same organization, and another one) is not the caller's.
      await excluded(orgId, lee.id, imid, "Lee's folder");
      await excluded(otherOrg, stranger.id, imid, "Their folder");
      await saveConnection(db, orgId, dana.id, { homeAccountId: null, tokenCache: null }, T0);
      const before = await getCallerState(db, orgId, dana.id, key);
      expect(before.decision).toBeNull();
      const stored = (await getConnection(db, orgId, dana.id))!;
      expect(before.connection).toEqual({
        status: stored.status,
        connectedAt: stored.connectedAt,
        lastSweepAt: stored.lastSweepAt,
        nextSweepAt: stored.nextSweepAt,
      });
      expect(before.connection?.status).toBe("active");

      await excluded(orgId, dana.id, imid, "Dana's folder");
      const after = await getCallerState(db, orgId, dana.id, key);
      expect(after.decision).toEqual(await getDecision(db, orgId, dana.id, key));
      expect(after.decision).toMatchObject({ outcome: "excluded", detail: { folder: "Dana's folder" }, decidedAt: T1 });
      expect(after.user).toEqual(before.user);

      // Not in the organization: nothing at all, whatever that user has stored elsewhere.
      expect(await getCallerState(db, otherOrg, dana.id, key)).toEqual({
        user: null,
        connection: null,
        decision: null,
      });
      expect(await getCallerState(db, orgId, stranger.id, key)).toEqual({
        user: null,
        connection: null,
        decision: null,
      });
    });

    test("a captured decision whose engagement was removed reads as removed, as getDecision has it", async () => {
      const orgId = newOrg();
      const dana = await user(orgId);
      const imid = "<cap@client.example>";
      const [rec] = await db.transaction().execute((trx) =>
        recordCaptureBatch(
          trx,
          orgId,
          dana.id,
          null,
          [
            {
              outcome: "captured",
              engagement: {
                internetMessageId: imid,
                conversationId: null,
                subject: "s",
                bodyText: null,
                bodyPreview: null,
                direction: "inbound",
                messageTime: T0,
                sentAt: T0,
                receivedAt: T0,
                fromAddress: "p@client.example",
                participants: [{ address: "p@client.example", name: null, role: "from" }],
              },
              graphMessageId: "g-1",
              webLink: null,
              contactIds: [],
            },
          ],
          T0,
        ),
      );
      const key = messageKey(imid);
      const captured = await getCallerState(db, orgId, dana.id, key);
      expect(captured.decision).toMatchObject({ outcome: "captured", engagementId: rec.engagementId, removed: null });
      await db
        .transaction()
        .execute((trx) =>
          removeEngagements(trx, orgId, [rec.engagementId!], { reason: "blocked", removal: "blocklist_entry" }, T1),
        );
      const removed = await getCallerState(db, orgId, dana.id, key);
      expect(removed.decision).toEqual(await getDecision(db, orgId, dana.id, key));
      expect(removed.decision?.removed).toEqual({ at: T1, why: "blocklist_entry" });
    });
  });
}
