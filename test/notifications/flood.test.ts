/**
 * The public notification endpoints under a flood: forged items whose clientState is not shaped like
 * ours cost no database work; an address whose POSTs keep verifying nothing is answered 429 before its
 * body is read, while other addresses (and verified traffic from any address) go on; one subscription's
 * burst past its rate is not queued item by item but answered by one sweep of its mailbox (never
 * dropped silently). The receiver runs on every available database.
 */
import { Hono } from "hono";
import type { Db } from "../../server/db";
import type { AppEnv } from "../../server/api/context";
import { notificationRoutes } from "../../server/api/routes/notifications";
import { createLogger } from "../../server/logger";
import { hashClientState, newClientState } from "../../server/notifications/client-state";
import type { CaptureWork } from "../../server/notifications/processing";
import { createNotificationReceiver, type NotificationReceiver } from "../../server/notifications/receiver";
import { saveSubscription } from "../../server/store/graph-subscriptions";
import { provisionUser } from "../../server/store/users";
import { databaseTargets, type TestDatabase } from "../db/databases";

const T0 = new Date("2026-12-06T12:00:00.000Z");
const ORG = "org-flood";
const SUB = "5ab1e000-0000-4000-8000-000000000001";
const SUB_B = "5ab1e000-0000-4000-8000-00000000000b";
const SUB_OTHER = "5ab1e000-0000-4000-8000-0000000000cc";

/** A database that fails the test if anything touches it. */
const untouchable = new Proxy({} as Db, {
  get() {
    throw new Error("the database was touched");
  },
});

const change = (clientState: string | null, n: number, subscriptionId = SUB) => ({
  subscriptionId,
  clientState,
  changeType: "created" as const,
  tenantId: ORG,
  resourceData: { id: `msg-${n}` },
});

function receiver(
  db: Db,
  submitted: CaptureWork[],
  sweeps: string[],
  now = () => 0,
  perOrganization = { perSecond: 1, burst: 1000 },
): NotificationReceiver {
  return createNotificationReceiver({
    db,
    logger: createLogger("silent"),
    sink: { submit: async (w: CaptureWork[]) => void submitted.push(...w) },
    manager: { markForRenewal: async () => undefined, forget: async () => undefined },
    requestSweep: async (_org: string, userId: string) => void sweeps.push(userId),
    perSubscription: { perSecond: 1, burst: 3 },
    perOrganization,
    nowMs: now,
  } as Parameters<typeof createNotificationReceiver>[0]);
}

describe("forged items are dropped before any lookup", () => {
  test("a clientState missing, too short, too long or with foreign characters costs no database work", async () => {
    const r = receiver(untouchable, [], []);
    const forged = [null, "", "x", "a".repeat(42), "a".repeat(44), `${"a".repeat(42)}=`, `${"a".repeat(42)} `];
    expect(
      await r.receiveChanges(
        forged.map((s, i) => change(s, i)),
        0,
      ),
    ).toBe(0);
    expect(await r.receiveLifecycle([{ subscriptionId: SUB, clientState: "nope", lifecycleEvent: "missed" }], 0)).toBe(
      0,
    );
    expect(r.stats().rejected).toBe(forged.length + 1);
    // One shaped like ours is looked up (and here the lookup is what fails).
    await expect(r.receiveChanges([change(newClientState(), 1)], 0)).rejects.toThrow("touched");
  });
});

for (const target of databaseTargets()) {
  const d = target.available ? describe : describe.skip;
  d(`bursts of verified changes (${target.name})`, () => {
    let h: TestDatabase;
    let userId: string;
    const users: Record<string, string> = {};
    const clientState = newClientState();
    beforeAll(async () => {
      h = await target.open();
      for (const [key, org, sub] of [
        ["a", ORG, SUB],
        ["b", ORG, SUB_B],
        ["other", "org-quiet", SUB_OTHER],
      ] as const) {
        const user = { organizationId: org, oid: `oid-${key}`, email: `${key}@x.example`, displayName: null };
        users[key] = (await provisionUser(h.db, user, T0)).id;
        await saveSubscription(
          h.db,
          {
            organizationId: org,
            userId: users[key],
            subscriptionId: sub,
            clientStateHash: hashClientState(clientState),
            resource: "me/messages",
            expiresAt: new Date(T0.getTime() + 3600_000),
          },
          T0,
        );
      }
      userId = users.a;
    });
    afterAll(() => h?.close());

    test("past its rate, a mailbox's changes become one sweep of it, not capture work", async () => {
      const submitted: CaptureWork[] = [];
      const sweeps: string[] = [];
      let now = 0;
      const r = receiver(h.db, submitted, sweeps, () => now);
      const items = Array.from({ length: 10 }, (_, i) => change(clientState, i));
      expect(await r.receiveChanges(items, 0)).toBe(10);
      expect(submitted.map((w) => w.messageId)).toEqual(["msg-0", "msg-1", "msg-2"]);
      expect(sweeps).toEqual([userId]);
      expect(r.stats()).toMatchObject({ accepted: 10, overflowed: 7, rejected: 0 });
      // The bucket refills: a later change is captured on its own again.
      now += 2000;
      await r.receiveChanges([change(clientState, 10)], 0);
      expect(submitted.at(-1)?.messageId).toBe("msg-10");
      expect(sweeps).toHaveLength(1);
    });

    test("past its organization's rate, a mailbox's changes become a sweep too; another organization is not held back", async () => {
      const submitted: CaptureWork[] = [];
      const sweeps: string[] = [];
      const r = receiver(h.db, submitted, sweeps, () => 0, { perSecond: 1, burst: 4 });
      const items = [0, 1, 2].map((i) => change(clientState, i));
      items.push(...[3, 4, 5].map((i) => ({ ...change(clientState, i, SUB_B), tenantId: ORG })));
      items.push(...[6, 7, 8].map((i) => ({ ...change(clientState, i, SUB_OTHER), tenantId: "org-quiet" })));
      expect(await r.receiveChanges(items, 0)).toBe(9);
      expect(submitted.map((w) => w.messageId)).toEqual([
        "msg-0",
        "msg-1",
        "msg-2",
        "msg-3",
        "msg-6",
        "msg-7",
        "msg-8",
      ]);
      expect(sweeps).toEqual([users.b]);
      expect(r.stats().overflowed).toBe(2);
    });
  });
}

describe("an address that keeps sending what does not verify", () => {
  const verified = { value: [change("good", 1)] };
  let received: number;
  const app = new Hono<AppEnv>().route(
    "/",
    notificationRoutes({
      notifications: {
        receiveChanges: async (items: { clientState?: string | null }[]) => {
          received++;
          return items.filter((i) => i.clientState === "good").length;
        },
        receiveLifecycle: async () => 0,
        stats: () => ({}) as ReturnType<NotificationReceiver["stats"]>,
      } as unknown as NotificationReceiver,
      rateLimit: { perSecond: 20, burst: 60, rejectedNotifications: { perSecond: 0.001, burst: 3 } },
    }),
  );
  const post = (from: string, body: unknown) =>
    app.request(
      "/api/notifications",
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
      { incoming: { socket: { remoteAddress: from } } },
    );
  const forged = { value: [change("bad", 1)] };

  beforeEach(() => (received = 0));

  test("is answered 429 with Retry-After before its body reaches the receiver; others are not", async () => {
    for (let i = 0; i < 3; i++) expect((await post("203.0.113.7", forged)).status).toBe(202);
    const refused = await post("203.0.113.7", forged);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    expect((await post("203.0.113.7", "not a batch")).status).toBe(429);
    expect(received).toBe(3);
    // Another address, and the validation handshake, are unaffected.
    expect((await post("198.51.100.1", forged)).status).toBe(202);
    const handshake = await app.request("/api/notifications?validationToken=abc", { method: "POST" }, {
      incoming: { socket: { remoteAddress: "203.0.113.7" } },
    } as object);
    expect(handshake.status).toBe(200);
  });

  test("verified POSTs are never counted against their address", async () => {
    for (let i = 0; i < 10; i++) expect((await post("192.0.2.5", verified)).status).toBe(202);
    expect(received).toBe(10);
  });
});
