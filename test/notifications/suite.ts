/**
 * Change notifications end to end, against the emulator's Graph subscriptions and notifier; run in
 * embedded mode (embedded.test.ts) and in distributed mode with two workers (distributed.test.ts):
 * subscribe on connect, the validation handshake, capture without a sweep, clientState rejection with
 * no work done, duplicates and reordering captured once, a dropped notification caught by the next
 * sweep, each lifecycle event, renewal before expiry, disconnect.
 */
import { until, ADA, type NotifyHarness } from "./harness";

export function notificationSuite(start: () => Promise<NotifyHarness>): void {
  jest.setTimeout(120_000);

  let h: NotifyHarness;
  let userId: string;

  beforeAll(async () => {
    h = await start();
    userId = await h.connect();
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(() => h.emulator.state.notifier.resetFaults());
  const graphSubscriptions = () => [...h.emulator.state.subscriptions.records.values()];
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    h.server.app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  async function settle(): Promise<void> {
    await h.emulator.state.flushNotifications();
    await h.idle();
  }

  test("connecting subscribes the mailbox's messages (created, updated) with both URLs and a secret clientState stored only as a hash", async () => {
    const row = (await h.subscriptionRow(userId))!;
    const subs = graphSubscriptions();
    expect(subs).toHaveLength(1);
    const [sub] = subs;
    expect(sub.id).toBe(row.subscriptionId);
    expect(sub.resource).toBe("me/messages");
    expect(sub.changeTypes.sort()).toEqual(["created", "updated"]);
    expect(sub.notificationUrl).toBe(`${h.server.url}/api/notifications`);
    expect(sub.lifecycleNotificationUrl).toBe(`${h.server.url}/api/notifications/lifecycle`);
    expect(sub.immutableIds).toBe(true);
    expect(sub.clientState!.length).toBeGreaterThanOrEqual(32);
    expect(row.clientStateHash).not.toContain(sub.clientState);
    expect(new Date(row.expiresAt).getTime()).toBeGreaterThan(Date.now() + 60 * 60_000);
  });

  test("the validation handshake echoes the decoded token as text/plain, on both URLs", async () => {
    for (const path of ["/api/notifications", "/api/notifications/lifecycle"]) {
      const res = await h.server.app.request(`${path}?validationToken=${encodeURIComponent("Validation: a&b <c>")}`, {
        method: "POST",
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await res.text()).toBe("Validation: a&b <c>");
    }
  });

  test("a message delivered into the mailbox is captured from its notification, without a sweep", async () => {
    const sweeps = await h.sweepsOf(userId);
    const before = await h.engagementsOf(userId);
    h.deliver("Notified proposal");
    await until(
      "the capture",
      () => h.engagementsOf(userId),
      (n) => n === before + 1,
      30_000,
      50,
    );
    expect(await h.sweepsOf(userId)).toBe(sweeps);
  });

  test("a wrong clientState or an unknown subscription is dropped: no Graph request, no write", async () => {
    const row = (await h.subscriptionRow(userId))!;
    // A real message not captured yet, named by forged notifications.
    h.emulator.state.notifier.setFaults({ dropRate: 1 });
    const messageId = h.deliver("Forged target");
    await h.emulator.state.flushNotifications();
    const decisions = await h.decisionsOf(userId);
    const graphBefore = h.emulator.state.requestCounts(ADA.id).total;
    const dropped = () => {
      const s = h.server.notifications.receiver!.stats();
      return s.rejected + s.malformed;
    };
    const droppedBefore = dropped();
    const jobsBefore = await h.captureJobs();
    const item = (clientState: string | null, subscriptionId = row.subscriptionId) => ({
      subscriptionId,
      clientState,
      changeType: "created",
      tenantId: row.organizationId,
      resource: `Users/${ADA.id}/Messages/${messageId}`,
      resourceData: { id: messageId, "@odata.etag": 'W/"x"' },
    });
    const res = await post("/api/notifications", {
      value: [item("wrong"), item(null), item("x".repeat(200)), item("anything", "no-such-subscription")],
    });
    expect(res.status).toBe(202);
    const lifecycle = await post("/api/notifications/lifecycle", {
      value: [{ subscriptionId: row.subscriptionId, clientState: "wrong", lifecycleEvent: "subscriptionRemoved" }],
    });
    expect(lifecycle.status).toBe(202);
    await h.idle();
    expect(dropped() - droppedBefore).toBe(5);
    expect(await h.captureJobs()).toBe(jobsBefore);
    expect(h.emulator.state.requestCounts(ADA.id).total).toBe(graphBefore);
    expect(await h.decisionsOf(userId)).toBe(decisions);
    expect((await h.subscriptionRow(userId))!.subscriptionId).toBe(row.subscriptionId);
  });

  test("hostile bodies are answered with JSON errors, never processed", async () => {
    expect((await post("/api/notifications", "{not json")).status).toBe(400);
    expect((await post("/api/notifications", { value: "x" })).status).toBe(400);
    expect((await post("/api/notifications", { value: new Array(1001).fill({}) })).status).toBe(400);
    const big = await post("/api/notifications", { value: ["x".repeat(3 * 1024 * 1024)] });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
  });

  test("duplicated and reordered notifications capture each message exactly once", async () => {
    h.emulator.state.notifier.setFaults({ duplicateRate: 1, reorder: true, seed: 7 });
    const jobsBefore = await h.captureJobs();
    const decisions = await h.decisionsOf(userId);
    const engagements = await h.engagementsOf(userId);
    for (let i = 0; i < 5; i++) h.deliver(`Batch ${i}`);
    await until(
      "5 captures",
      () => h.engagementsOf(userId),
      (n) => n >= engagements + 5,
      30_000,
      50,
    );
    // The duplicates arrive a second later: wait for them and their (deduplicated) processing.
    await new Promise((r) => setTimeout(r, 1500));
    await settle();
    expect(h.emulator.state.notifier.stats.duplicated).toBeGreaterThanOrEqual(5);
    const sink = h.server.notifications.sink;
    if (sink) expect(sink.stats().duplicates).toBeGreaterThanOrEqual(5);
    // Distributed: one capture job per distinct change, whatever Graph repeated.
    else expect(await h.captureJobs()).toBeLessThanOrEqual(jobsBefore + 10);
    expect(await h.engagementsOf(userId)).toBe(engagements + 5);
    expect(await h.decisionsOf(userId)).toBe(decisions + 5);
  });

  test("a dropped notification is caught by the next sweep", async () => {
    h.emulator.state.notifier.setFaults({ dropRate: 1 });
    // By subject: the sweep also picks up any earlier message whose notification was never acted on
    // (the forged-notification test leaves one), so a count of the mailbox's engagements would race.
    const lost = () =>
      h.server.db
        .selectFrom("engagements")
        .select("id")
        .where("subject", "=", "Lost notification")
        .execute()
        .then((rows) => rows.length);
    h.deliver("Lost notification");
    await settle();
    expect(await lost()).toBe(0);
    // A sweep, not a notification (every one is dropped), finds it. The first sweep asked for may be one
    // already running since before the delivery, so ask again until one that started after it has run.
    const organizationId = (await h.subscriptionRow(userId))!.organizationId;
    const sweepThenCount = async () => {
      await (await h.server.sweeps.requestSweep(organizationId, userId)).done();
      return lost();
    };
    expect(await until("the lost message captured by a sweep", sweepThenCount, (n) => n === 1, 20_000, 200)).toBe(1);
  });

  describe("lifecycle notifications", () => {
    test("reauthorizationRequired renews the subscription", async () => {
      const before = (await h.subscriptionRow(userId))!;
      h.emulator.state.triggerLifecycle(before.subscriptionId, "reauthorizationRequired");
      await h.emulator.state.flushNotifications();
      const after = await until(
        "the renewal",
        () => h.subscriptionRow(userId),
        (r) => !!r?.renewedAt,
        30_000,
        50,
      );
      expect(after!.subscriptionId).toBe(before.subscriptionId);
      expect(new Date(after!.expiresAt).getTime()).toBeGreaterThan(Date.now() + 60 * 60_000);
    });

    test("subscriptionRemoved creates a new subscription, which delivers", async () => {
      const before = (await h.subscriptionRow(userId))!;
      h.emulator.state.triggerLifecycle(before.subscriptionId, "subscriptionRemoved");
      await h.emulator.state.flushNotifications();
      const after = await until(
        "a new subscription",
        () => h.subscriptionRow(userId),
        (r) => !!r && r.subscriptionId !== before.subscriptionId,
        30_000,
        50,
      );
      expect(graphSubscriptions().map((s) => s.id)).toEqual([after!.subscriptionId]);
      const engagements = await h.engagementsOf(userId);
      h.deliver("After recreation");
      await until(
        "the capture",
        () => h.engagementsOf(userId),
        (n) => n === engagements + 1,
        30_000,
        50,
      );
    });

    test("missed sweeps the mailbox", async () => {
      const row = (await h.subscriptionRow(userId))!;
      const sweeps = await h.sweepsOf(userId);
      h.emulator.state.triggerLifecycle(row.subscriptionId, "missed");
      await h.emulator.state.flushNotifications();
      await until(
        "a sweep",
        () => h.sweepsOf(userId),
        (n) => n === sweeps + 1,
        30_000,
        50,
      );
    });
  });

  test("a subscription is renewed before it expires (the server's clock moved past half its lifetime)", async () => {
    const before = (await h.subscriptionRow(userId))!;
    expect((await h.tick()).renewed).toBe(0);
    expect((await h.subscriptionRow(userId))!.expiresAt).toBe(before.expiresAt);
    const lifetime = new Date(before.expiresAt).getTime() - Date.now();
    h.advance(lifetime / 2 + 60_000);
    await h.tick();
    const after = (await until(
      "the renewal",
      () => h.subscriptionRow(userId),
      (r) => !!r && r.expiresAt > before.expiresAt,
      30_000,
      50,
    ))!;
    expect(after.subscriptionId).toBe(before.subscriptionId);
    expect(new Date(after.expiresAt).getTime()).toBeGreaterThan(new Date(before.expiresAt).getTime());
    expect(h.emulator.state.subscriptions.records.get(after.subscriptionId)!.expirationDateTime.toISOString()).toBe(
      new Date(after.expiresAt).toISOString(),
    );
    h.advance(-(lifetime / 2 + 60_000));
  });

  test("disconnecting deletes the subscription at Graph and its row (distributed: by a worker, the API process calls no Graph)", async () => {
    const res = await h.server.app.request("/api/connection", { method: "DELETE", headers: h.apiAuth() });
    expect(res.status).toBe(204);
    const api = h.apiGraphRequests();
    if (api !== null) expect(api).toBe(0);
    expect(await h.subscriptionRow(userId)).toBeUndefined();
    expect(graphSubscriptions()).toHaveLength(0);
    // Nothing re-subscribes a disconnected mailbox.
    expect(await h.tick()).toEqual({ created: 0, renewed: 0, failed: 0 });
  });

  test("a disconnect while the tick is subscribing the mailbox keeps no subscription row", async () => {
    await h.connect();
    await h.forgetSubscription(userId);
    h.emulator.state.subscriptions.records.clear();
    // Graph's answer to the tick's create is held until the disconnect has finished.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const fault = h.emulator.state.injectFault({
      kind: "stall",
      stallUntil: gate,
      count: 1,
      match: { path: "/subscriptions", method: "POST" },
    });
    const ticking = h.tick();
    try {
      await until(
        "the create to be held",
        async () => h.emulator.state.faults.fired(fault),
        (n) => n === 1,
        30_000,
        20,
      );
      const res = await h.server.app.request("/api/connection", { method: "DELETE", headers: h.apiAuth() });
      expect(res.status).toBe(204);
    } finally {
      release();
    }
    expect(await ticking).toEqual({ created: 0, renewed: 0, failed: 0 });
    expect(await h.subscriptionRow(userId)).toBeUndefined();
    expect(await h.tick()).toEqual({ created: 0, renewed: 0, failed: 0 });
  });
}
