/**
 * The intention-named writers of mailbox_connections, sweeps, auth_states and idempotency keys —
 * the only code that writes those tables — on every available database.
 */
import { databaseTargets, type TestDatabase } from "./databases";
import type { Db } from "../../server/db";
import { provisionUser } from "../../server/store/users";
import {
  cacheFolders,
  disconnectConnection,
  getConnection,
  loadFolderCache,
  loadTokenCache,
  markReconnectNeeded,
  recordConnectionSweep,
  saveConnection,
  saveTokenCache,
} from "../../server/store/mailbox-connections";
import {
  closeInterruptedSweeps,
  failInterruptedSweeps,
  INTERRUPTED_ERROR,
  latestRunningSweep,
  recordSweepOutcome,
  recordSweepStarted,
  runningSweepsOf,
  sweepById,
} from "../../server/store/sweeps";
import { forgetExpiredAuthStates, redeemAuthState, savePendingAuthState } from "../../server/store/auth-states";
import { claimKey, completeKey } from "../../server/store/idempotency-keys";
import { messageKey, recordCaptureBatch, storedDecisionsFor } from "../../server/store/capture-decisions";

const T0 = new Date("2026-11-26T12:00:00.000Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

for (const target of databaseTargets()) {
  const d = target.available ? describe : describe.skip;
  d(`store writers on ${target.name}${target.available ? "" : " (skipped: set TEST_DATABASE_URL to run it)"}`, () => {
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
    async function connectedUser() {
      n++;
      const orgId = `tid-w-${target.name}-${n}-${Math.random().toString(36).slice(2, 8)}`;
      const user = await provisionUser(
        db,
        { organizationId: orgId, oid: `oid-w-${n}`, email: `w${n}@contoso.example`, displayName: "W" },
        T0,
      );
      await saveConnection(db, orgId, user.id, { homeAccountId: "home", tokenCache: "sealed-1" }, T0);
      return { orgId, userId: user.id };
    }

    test("reconnect needed flips an active connection only; a disconnected one stays disconnected", async () => {
      const a = await connectedUser();
      await markReconnectNeeded(db, a.orgId, a.userId, "The grant was revoked.", at(1));
      expect(await getConnection(db, a.orgId, a.userId)).toMatchObject({
        status: "reauth_required",
        statusReason: "The grant was revoked.",
        updatedAt: at(1).toISOString(),
      });
      const b = await connectedUser();
      await disconnectConnection(db, b.orgId, b.userId, at(1));
      await markReconnectNeeded(db, b.orgId, b.userId, "late", at(2));
      expect(await getConnection(db, b.orgId, b.userId)).toMatchObject({ status: "disconnected", statusReason: null });
    });

    test("a refreshed token cache is saved, but never revives the tokens of a disconnected connection", async () => {
      const a = await connectedUser();
      await saveTokenCache(db, a.orgId, a.userId, "sealed-2", at(1));
      expect(await loadTokenCache(db, a.orgId, a.userId)).toBe("sealed-2");
      await disconnectConnection(db, a.orgId, a.userId, at(2));
      await saveTokenCache(db, a.orgId, a.userId, "sealed-3", at(3));
      expect(await loadTokenCache(db, a.orgId, a.userId)).toBeNull();
    });

    test("folders are cached with their time", async () => {
      const a = await connectedUser();
      expect(await loadFolderCache(db, a.orgId, a.userId)).toEqual({ folderCache: null, folderCacheAt: null });
      await cacheFolders(db, a.orgId, a.userId, "{}", at(5));
      expect(await loadFolderCache(db, a.orgId, a.userId)).toEqual({
        folderCache: "{}",
        folderCacheAt: at(5).toISOString(),
      });
    });

    test("a sweep's start and outcome, and the connection's bookkeeping after it", async () => {
      const a = await connectedUser();
      const started = await recordSweepStarted(db, {
        id: `sw-${n}`,
        organizationId: a.orgId,
        userId: a.userId,
        trigger: "manual",
        windowStart: at(-60),
        windowEnd: at(0),
        startedAt: at(0),
        listing: "full",
      });
      expect(started).toMatchObject({ status: "running", listed: 0, excludedByReason: {}, error: null });
      expect((await latestRunningSweep(db, a.orgId, a.userId))?.id).toBe(started.id);
      await recordSweepOutcome(db, started.id, {
        finishedAt: at(1),
        listed: 3,
        captured: 1,
        newlyCaptured: 1,
        excluded: 2,
        excludedByReason: { no_tracked_contact: 2 },
        graphRequests: 4,
        retries: 1,
        error: null,
      });
      expect(await sweepById(db, started.id)).toMatchObject({
        status: "succeeded",
        listed: 3,
        captured: 1,
        newlyCaptured: 1,
        excludedByReason: { no_tracked_contact: 2 },
        finishedAt: at(1).toISOString(),
      });
      await recordConnectionSweep(db, a.orgId, a.userId, { finishedAt: at(1), windowEnd: at(0), error: null });
      expect(await getConnection(db, a.orgId, a.userId)).toMatchObject({
        lastSweepAt: at(1).toISOString(),
        lastSuccessWindowEnd: at(0).toISOString(),
        lastError: null,
      });
      // A failure records the words and leaves the last success's window end alone.
      await recordConnectionSweep(db, a.orgId, a.userId, { finishedAt: at(2), windowEnd: at(2), error: "It failed." });
      expect(await getConnection(db, a.orgId, a.userId)).toMatchObject({
        lastSweepAt: at(2).toISOString(),
        lastSuccessWindowEnd: at(0).toISOString(),
        lastError: "It failed.",
      });
    });

    test("running sweeps left by a dead process are closed as interrupted", async () => {
      const a = await connectedUser();
      const base = {
        organizationId: a.orgId,
        userId: a.userId,
        windowStart: at(-60),
        windowEnd: at(0),
        startedAt: at(0),
        listing: "full" as const,
      };
      await recordSweepStarted(db, { ...base, id: `sw-a-${n}`, trigger: "manual" });
      await recordSweepStarted(db, { ...base, id: `sw-b-${n}`, trigger: "cli" });
      expect((await runningSweepsOf(db, a.orgId, a.userId)).map((r) => r.id).sort()).toEqual([
        `sw-a-${n}`,
        `sw-b-${n}`,
      ]);
      await failInterruptedSweeps(db, a.orgId, [`sw-a-${n}`], at(1));
      expect(await sweepById(db, `sw-a-${n}`)).toMatchObject({ status: "failed", error: INTERRUPTED_ERROR });
      expect(await closeInterruptedSweeps(db, at(2))).toBeGreaterThanOrEqual(0);
      // A CLI sweep runs in a process of its own: the server does not close it.
      expect(await sweepById(db, `sw-b-${n}`)).toMatchObject({ status: "running" });
    });

    test("an auth state is redeemed once", async () => {
      const a = await connectedUser();
      const nonce = `nonce-${n}-${Math.random().toString(36).slice(2)}`;
      await forgetExpiredAuthStates(db, at(-24 * 60));
      await savePendingAuthState(db, {
        id: nonce,
        organizationId: a.orgId,
        userId: a.userId,
        codeVerifier: "v",
        expiresAt: at(10).toISOString(),
        usedAt: null,
        createdAt: T0.toISOString(),
      });
      const key = { nonce, organizationId: a.orgId, userId: a.userId };
      expect(await redeemAuthState(db, key, at(1))).toMatchObject({
        redeemed: true,
        row: { usedAt: at(1).toISOString() },
      });
      expect(await redeemAuthState(db, key, at(2))).toMatchObject({
        redeemed: false,
        row: { usedAt: at(1).toISOString() },
      });
      expect(await redeemAuthState(db, { ...key, nonce: "none" }, at(2))).toEqual({ redeemed: false, row: null });
    });

    test("an idempotency key replays its answer", async () => {
      const a = await connectedUser();
      const ref = { organizationId: a.orgId, userId: a.userId, key: `k-${n}` };
      expect(await claimKey(db, ref, "h", T0)).toEqual({ kind: "claimed", attempt: null });
      await completeKey(db, ref, { status: 201, body: { ok: 1 } });
      expect(await claimKey(db, ref, "h", at(1))).toEqual({ kind: "replay", answer: { status: 201, body: { ok: 1 } } });
      expect(await claimKey(db, ref, "other", at(1))).toEqual({ kind: "mismatch" });
    });

    test("what a mailbox has already stored: its decisions and the organization's engagements", async () => {
      const a = await connectedUser();
      const key = messageKey("<x@y>");
      await db
        .transaction()
        .execute((trx) =>
          recordCaptureBatch(
            trx,
            a.orgId,
            a.userId,
            null,
            [{ outcome: "excluded", messageKey: key, reason: "no_tracked_contact" }],
            T0,
          ),
        );
      const stored = await storedDecisionsFor(db, a.orgId, a.userId, [key, messageKey("<other@y>")], ["<x@y>"]);
      expect([...stored.decisions.keys()]).toEqual([key]);
      expect(stored.decisions.get(key)).toMatchObject({ outcome: "excluded", reason: "no_tracked_contact" });
      expect(stored.engaged.size).toBe(0);
    });
  });
}
