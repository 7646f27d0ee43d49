/**
 * Webhook deliveries on SQLite and PostgreSQL, to a real HTTPS receiver that verifies each request with
 * the `standardwebhooks` library: every change of the feed arrives signed; failures are retried with the
 * same webhook-id on the backoff schedule; an endpoint failing for days is disabled with a reason and
 * enabled again; replay sends the same id again; a rotated secret and the old one both sign during the
 * overlap; a receiver down for an hour gets every event exactly once; an attempt cut off by a stopped
 * process (its lock left behind) is sent again by the next one.
 */
import { databaseTargets, type TestDatabase } from "../db/databases";
import { ORG, openWorld, startReceiver, verifyWith, type Receiver, type World } from "./support";

jest.setTimeout(60_000);

for (const target of databaseTargets()) {
  const describeIf = target.available ? describe : describe.skip;

  describeIf(`webhook deliveries on ${target.name}`, () => {
    let h: TestDatabase;
    let w: World;
    let receiver: Receiver;
    let endpointId = "";
    let secret = "";

    beforeEach(async () => {
      h = await target.open();
      w = await openWorld(h);
      receiver = await startReceiver();
      const created = await w.webhooks.admin.create(
        ORG,
        {
          url: receiver.url,
          description: null,
          eventTypes: ["engagement.created", "engagement.updated", "engagement.deleted"],
        },
        "user-admin",
      );
      endpointId = created.id;
      secret = created.secret;
      receiver.secrets = [secret];
    });
    afterEach(async () => {
      await w.webhooks.close();
      await receiver.close();
      await h.close();
    });

    const log = async () => (await w.webhooks.admin.deliveries(ORG, endpointId, { limit: 200 })).items;
    /** Passes until nothing is due now. */
    const drain = async () => {
      for (let i = 0; i < 20; i++) if ((await w.webhooks.runner.tick()).length === 0) return;
    };

    it("delivers each change signed as Standard Webhooks, with the engagement in the payload", async () => {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
      const ids = await w.capture(3);
      await drain();
      expect(receiver.received).toHaveLength(3);
      for (const r of receiver.received) expect(r.verified).not.toBeNull();
      const payloads = receiver.received.map((r) => r.verified as { type: string; data: any });
      expect(payloads.map((p) => p.type)).toEqual(["engagement.created", "engagement.created", "engagement.created"]);
      expect(payloads.map((p) => p.data.engagementId).sort()).toEqual([...ids].sort());
      expect(payloads[0].data.engagement.subject).toMatch(/^Subject/);
      expect(payloads[0].data.engagement).not.toHaveProperty("bodyText");
      const delivered = await log();
      expect(delivered.map((d) => d.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
      expect(new Set(delivered.map((d) => d.id))).toEqual(new Set(receiver.received.map((r) => r.id)));
      // The secret is sealed at rest.
      const row = await h.db.selectFrom("webhookEndpoints").select("secret").executeTakeFirstOrThrow();
      expect(row.secret).not.toContain(secret.slice(6));
      // Deleting the endpoint deletes its delivery log.
      await w.webhooks.admin.remove(ORG, endpointId);
      expect(await h.db.selectFrom("webhookDeliveries").selectAll().execute()).toEqual([]);
    });

    it("retries a failed delivery with the same webhook-id on the backoff schedule", async () => {
      receiver.behaviour = "fail";
      await w.capture(1);
      await drain();
      let [d] = await log();
      expect(d).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: 500 });
      expect(d.lastError).toMatch(/^HTTP 500/);
      expect(d.lastError!.length).toBeLessThan(300);
      expect(Date.parse(d.nextAttemptAt!) - w.clock.now().getTime()).toBe(5000);
      await drain(); // not due yet
      expect((await log())[0].attempts).toBe(1);
      w.clock.advance(5000);
      await drain();
      expect((await log())[0]).toMatchObject({ attempts: 2, status: "pending" });
      receiver.behaviour = "ok";
      w.clock.advance(5 * 60_000);
      await drain();
      [d] = await log();
      expect(d).toMatchObject({ status: "succeeded", attempts: 3, lastError: null });
      expect(receiver.received.map((r) => r.id)).toEqual([d.id]);
    });

    it("treats a redirect as a failure and does not follow it", async () => {
      receiver.behaviour = "redirect";
      await w.capture(1);
      await drain();
      const [d] = await log();
      expect(d).toMatchObject({ status: "pending", lastStatusCode: 302 });
      expect(d.lastError).toMatch(/redirects are not followed/);
    });

    it("a receiver down for an hour then back gets every event exactly once by id", async () => {
      await receiver.stop();
      const ids = await w.capture(4);
      for (let minute = 0; minute < 60; minute++) {
        if (minute === 20) ids.push(...(await w.capture(2)));
        await drain();
        w.clock.advance(60_000);
      }
      expect(receiver.received).toHaveLength(0);
      await receiver.start();
      for (let i = 0; i < 12 && (await log()).some((d) => d.status !== "succeeded"); i++) {
        w.clock.advance(30 * 60_000);
        await drain();
      }
      const got = receiver.received.map((r) => (r.verified as { data: { engagementId: string } }).data.engagementId);
      expect(got.sort()).toEqual([...ids].sort());
      expect(new Set(receiver.received.map((r) => r.id)).size).toBe(receiver.received.length);
    });

    it("disables an endpoint whose every attempt failed for WEBHOOK_DISABLE_AFTER_DAYS, and enables it again", async () => {
      // One day instead of the default five keeps the test short; the rule is the same.
      await w.webhooks.close();
      w.webhooks = w.another({ disableAfterDays: 1 });
      receiver.behaviour = "fail";
      await w.capture(1);
      for (let step = 0; step < 8 * 2; step++) {
        await w.capture(1); // a change every 3 hours: new deliveries keep failing
        await drain();
        w.clock.advance(3 * 3_600_000);
        if ((await w.webhooks.admin.get(ORG, endpointId)).status === "disabled") break;
      }
      const ep = await w.webhooks.admin.get(ORG, endpointId);
      expect(ep.status).toBe("disabled");
      expect(ep.disabledReason).toMatch(/Every delivery attempt since .* failed \(1 days\); the last: HTTP 500/);
      // While disabled nothing is sent.
      receiver.behaviour = "ok";
      await w.capture(1);
      w.clock.advance(12 * 3_600_000);
      await drain();
      expect(receiver.received).toHaveLength(0);
      expect((await w.webhooks.admin.enable(ORG, endpointId)).status).toBe("active");
      await drain();
      await drain();
      const log1 = await log();
      expect(receiver.received.length).toBe(log1.filter((d) => d.status === "succeeded").length);
      expect(log1.filter((d) => d.status === "pending")).toEqual([]);
    });

    it("disables an endpoint whose deliveries all gave up, though no new change arrives to fail again", async () => {
      await w.webhooks.close();
      w.webhooks = w.another({ disableAfterDays: 2 });
      receiver.behaviour = "fail";
      const start = w.clock.now().getTime();
      await w.capture(1);
      await drain();
      // Each attempt when it is due, until the delivery gives up (its eighth, about 28 h after the first).
      for (let next = (await log())[0].nextAttemptAt; next; next = (await log())[0].nextAttemptAt) {
        w.clock.advance(Date.parse(next) - w.clock.now().getTime());
        await drain();
      }
      expect((await log())[0]).toMatchObject({ status: "failed", attempts: 8 });
      expect((await w.webhooks.admin.get(ORG, endpointId)).status).toBe("active");
      w.clock.advance(start + 47 * 3_600_000 - w.clock.now().getTime()); // not yet two days
      await drain();
      expect((await w.webhooks.admin.get(ORG, endpointId)).status).toBe("active");
      w.clock.advance(2 * 3_600_000); // 49 h, and nothing was attempted since the 28th hour
      await drain();
      const ep = await w.webhooks.admin.get(ORG, endpointId);
      expect(ep).toMatchObject({ status: "disabled", disabledAt: w.clock.now().toISOString() });
      expect(ep.disabledReason).toMatch(/Every delivery attempt since .* failed \(2 days\); the last: HTTP 500/);
    });

    it("gives a delivery up after 8 attempts over about 28 hours (status failed)", async () => {
      receiver.behaviour = "fail";
      await w.capture(1);
      for (let i = 0; i < 12 && (await log())[0]?.status !== "failed"; i++) {
        await drain();
        w.clock.advance(10 * 3_600_000);
      }
      const [d] = await log();
      expect(d).toMatchObject({ status: "failed", attempts: 8, nextAttemptAt: null });
      receiver.behaviour = "ok";
      expect(await w.webhooks.admin.replay(ORG, endpointId, { deliveryId: d.id })).toBe(1);
      await drain();
      expect((await log())[0]).toMatchObject({ status: "succeeded", attempts: 1 });
    });

    it("replays one delivery, or every one since a time, with the same webhook-id", async () => {
      await w.capture(2);
      await drain();
      const first = receiver.received.map((r) => r.id);
      expect(first).toHaveLength(2);
      expect(await w.webhooks.admin.replay(ORG, endpointId, { deliveryId: first[0] })).toBe(1);
      await drain();
      expect(receiver.received.map((r) => r.id)).toEqual([...first, first[0]]);
      const since = new Date(w.clock.now().getTime() - 60_000).toISOString();
      expect(await w.webhooks.admin.replay(ORG, endpointId, { since })).toBe(2);
      await drain();
      expect(
        receiver.received
          .slice(3)
          .map((r) => r.id)
          .sort(),
      ).toEqual([...first].sort());
      await expect(w.webhooks.admin.replay(ORG, endpointId, { deliveryId: "msg_nope" })).rejects.toMatchObject({
        code: "not_found",
      });
    });

    it("signs with the new and the old secret during a rotation's overlap, then with the new only", async () => {
      const rotated = await w.webhooks.admin.rotate(ORG, endpointId, 24);
      expect(rotated.secret).not.toBe(secret);
      receiver.secrets = [];
      await w.capture(1);
      await drain();
      const during = receiver.received[0];
      expect(during.signature.split(" ")).toHaveLength(2);
      expect(verifyWith(secret, during)).not.toBeNull();
      expect(verifyWith(rotated.secret, during)).not.toBeNull();
      w.clock.advance(25 * 3_600_000);
      await w.capture(1);
      await drain();
      const after = receiver.received[1];
      expect(after.signature.split(" ")).toHaveLength(1);
      expect(verifyWith(secret, after)).toBeNull();
      expect(verifyWith(rotated.secret, after)).not.toBeNull();
    });

    it("a process stopped mid-delivery leaves it to the next process, which sends it with the same id", async () => {
      receiver.behaviour = "hang";
      await w.capture(1);
      void w.webhooks.runner.tick();
      for (let i = 0; i < 100 && receiver.received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(receiver.received).toHaveLength(1);
      await w.webhooks.runner.stop({ abort: true }); // as if killed: the attempt never completes
      const next = w.another();
      try {
        receiver.behaviour = "ok";
        expect(await next.runner.tick()).toEqual([]); // the dead attempt's lock still holds
        w.clock.advance(3 * 2000 + 1);
        expect(await next.runner.tick()).toEqual(["succeeded"]);
        expect(receiver.received.map((r) => r.id)).toEqual([receiver.received[0].id, receiver.received[0].id]);
        expect(receiver.received[1].verified).not.toBeNull();
        // The cut-off attempt ends (its timeout) after the next process took over: it records nothing.
        await new Promise((r) => setTimeout(r, 2500));
        expect((await log())[0]).toMatchObject({ status: "succeeded", attempts: 1 });
      } finally {
        await next.close();
      }
    });
  });
}
