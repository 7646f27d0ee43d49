/**
 * Distributed mode's webhook deliveries go through the pg-boss queue `webhook-delivery` (PostgreSQL; the
 * embedded table poller is covered on both databases by deliveries.test.ts): each delivery is a job
 * carrying only its ids, a failed attempt's retry is a job due at the row's next attempt with the same
 * webhook-id, a delivery whose job was never sent is found by reconciliation, replay sends a job again,
 * and a capture in this process wakes the sender without waiting for the poll.
 */
import { systemClock } from "../../server/clock";
import { createLogger } from "../../server/logger";
import { PGBOSS_SCHEMA, startSweepQueue, type SweepQueue } from "../../server/sweep-queue/queue";
import { WEBHOOK_QUEUE } from "../../server/sweep-queue/webhook-job";
import { dispatchFeed } from "../../server/webhooks/dispatcher";
import { databaseTargets, type TestDatabase } from "../db/databases";
import { until } from "../support";
import { ORG, openWorld, startReceiver, type Receiver, type World } from "./support";

jest.setTimeout(60_000);

const pgTarget = databaseTargets().find((t) => t.name === "postgres")!;
const describeIf = pgTarget.available ? describe : describe.skip;

describeIf("webhook deliveries through the pg-boss queue (distributed mode)", () => {
  let h: TestDatabase;
  let queue: SweepQueue;
  let w: World;
  let receiver: Receiver;
  let endpointId = "";

  beforeEach(async () => {
    h = await pgTarget.open();
    queue = await startSweepQueue({
      connectionString: h.url,
      logger: createLogger("silent"),
      settings: { maintenanceIntervalSeconds: 1 },
    });
    // The webhooks' clock is the system's: pg-boss starts a job by the database's clock.
    w = await openWorld(h, { pollIntervalMs: 60_000 }, { boss: queue.boss, clock: systemClock });
    receiver = await startReceiver();
    const created = await w.webhooks.admin.create(
      ORG,
      { url: receiver.url, description: null, eventTypes: ["engagement.created"] },
      "user-admin",
    );
    endpointId = created.id;
    receiver.secrets = [created.secret];
  });
  afterEach(async () => {
    await w.webhooks.close();
    await queue.stop({ graceful: false });
    await receiver.close();
    await h.close();
  });

  const log = async () => (await w.webhooks.admin.deliveries(ORG, endpointId, { limit: 100 })).items;
  const jobs = async () =>
    (
      await queue.boss
        .getDb()
        .executeSql(
          `SELECT id, state, data, start_after FROM ${PGBOSS_SCHEMA}.job WHERE name = $1 ORDER BY created_on`,
          [WEBHOOK_QUEUE],
        )
    ).rows as { id: string; state: string; data: Record<string, string>; start_after: Date }[];

  it("sends each new delivery as a job carrying only its ids, and the receiver gets it once, signed", async () => {
    const ids = await w.capture(2);
    expect(await w.webhooks.runner.tick()).toEqual(["succeeded", "succeeded"]);
    expect(
      receiver.received.map((r) => (r.verified as { data: { engagementId: string } }).data.engagementId).sort(),
    ).toEqual([...ids].sort());
    const delivered = await log();
    const all = await jobs();
    expect(all.map((j) => j.state)).toEqual(["completed", "completed"]);
    expect(all.map((j) => j.data.deliveryId).sort()).toEqual(delivered.map((d) => d.id).sort());
    for (const j of all) expect(Object.keys(j.data).sort()).toEqual(["deliveryId", "endpointId", "organizationId"]);
    // A second pass finds nothing to send: no job left, and the delivered rows are not taken again.
    expect(await w.webhooks.runner.tick()).toEqual([]);
    expect(receiver.received).toHaveLength(2);
  });

  it("a failed attempt's retry is a job due at the row's next attempt, sent with the same webhook-id", async () => {
    receiver.behaviour = "fail";
    await w.capture(1);
    expect(await w.webhooks.runner.tick()).toEqual(["failed"]);
    const [d] = await log();
    expect(d).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: 500 });
    const retry = (await jobs()).find((j) => j.state === "created")!;
    expect(retry.data.deliveryId).toBe(d.id);
    expect(Math.abs(new Date(retry.start_after).getTime() - Date.parse(d.nextAttemptAt!))).toBeLessThan(1000);
    expect(await w.webhooks.runner.tick()).toEqual([]); // not due yet: pg-boss holds the job back
    receiver.behaviour = "ok";
    w.webhooks.runner.start();
    await until("the retry succeeded", log, (l) => l[0]?.status === "succeeded", 15_000, 100);
    expect((await log())[0]).toMatchObject({ attempts: 2, lastError: null });
    expect(receiver.received.map((r) => r.id)).toEqual([d.id]);
  });

  it("a delivery whose job was never sent (its process died after committing it) is found by reconciliation", async () => {
    await w.capture(1);
    // What a process dying between the dispatch's commit and sending the jobs leaves: rows, no jobs.
    await dispatchFeed(h.db, new Date());
    expect(await jobs()).toEqual([]);
    // Another process, reconciling every 200 ms with no grace (30 s and 30 s by default).
    await w.webhooks.close();
    w.webhooks = w.another({ pollIntervalMs: 100 }, { reconcile: { intervalMs: 200, graceMs: 0 } });
    w.webhooks.runner.start();
    await until("the stranded delivery succeeded", log, (l) => l[0]?.status === "succeeded", 30_000, 100);
    expect(receiver.received).toHaveLength(1);
    // The job completes just after the attempt is recorded. One job per reconciliation period: a pass on
    // each side of a period's end may make two, and one sends.
    const states = await until(
      "the jobs completed",
      async () => (await jobs()).map((j) => j.state),
      (st) => st.length > 0 && st.every((x) => x === "completed"),
      10_000,
      100,
    );
    expect(states.length).toBeLessThanOrEqual(2);
  });

  it("replays a delivery through a new job with the same webhook-id", async () => {
    await w.capture(1);
    await w.webhooks.runner.tick();
    const [d] = await log();
    expect(await w.webhooks.admin.replay(ORG, endpointId, { deliveryId: d.id })).toBe(1);
    expect(await w.webhooks.runner.tick()).toEqual(["succeeded"]);
    expect(receiver.received.map((r) => r.id)).toEqual([d.id, d.id]);
    expect((await jobs()).filter((j) => j.state === "completed")).toHaveLength(2);
  });

  it("an endpoint whose receiver hangs holds only its own slot: another endpoint's deliveries all arrive", async () => {
    const slow = await startReceiver();
    try {
      slow.behaviour = "hang";
      await w.webhooks.admin.create(
        ORG,
        { url: slow.url, description: null, eventTypes: ["engagement.created"] },
        "user-admin",
      );
      await w.webhooks.close();
      // One attempt per endpoint, four in all; a hanging attempt holds its slot for 10 s.
      w.webhooks = w.another({ concurrency: 4, perEndpoint: 1, timeoutMs: 10_000, pollIntervalMs: 100 });
      await w.capture(8);
      w.webhooks.runner.start();
      await until(
        "the healthy endpoint got all eight",
        async () => receiver.received.length,
        (n) => n === 8,
        9000,
        50,
      );
      // Meanwhile the hanging endpoint had its one attempt in flight, and no second one.
      expect(slow.received).toHaveLength(1);
      expect(new Set(receiver.received.map((r) => r.id)).size).toBe(8);
    } finally {
      await w.webhooks.runner.stop({ abort: true });
      await slow.close();
    }
  });

  it("a capture in this process wakes the sender at once, without waiting for the poll", async () => {
    w.webhooks.runner.start(); // polling every 60 s: only the nudge can send within the test
    await new Promise((r) => setTimeout(r, 300)); // the first pass is over
    const started = performance.now();
    await w.capture(1);
    w.webhooks.onChanges();
    await until(
      "the delivery arrived",
      async () => receiver.received.length,
      (n) => n === 1,
      10_000,
      20,
    );
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
