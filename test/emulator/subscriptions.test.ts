/**
 * Graph change notifications on messages: subscriptions (create with the validation handshake over HTTPS
 * to a receiver on its own CA, limits, renew, delete, expiry), change and lifecycle notifications in
 * Graph's shapes, retries with backoff, and the fault options (delay, loss, duplication, reordering).
 * The emulator runs on a manual clock; tests move it and flush.
 */
import https from "node:https";
import type { AddressInfo } from "node:net";
import { ManualClock } from "../../server/clock";
import { generateTls } from "../../server/http/tls";
import { startTestEmulator, type TestEmulator } from "./helpers";
import { SAMPLE_CLIENT_ID, SAMPLE_TENANT_ID, SAMPLE_USERS } from "../../emulator/sample-data";

interface Received {
  path: string;
  query: URLSearchParams;
  contentType: string;
  body: string;
}

/** An HTTPS receiver on its own CA; `answer` decides each response (default: echo validation, 202 otherwise). */
async function receiver() {
  const tls = await generateTls("Receiver test CA");
  const got: Received[] = [];
  type Answer = (r: Received) => Promise<{ status: number; body?: string; type?: string }>;
  const echo: Answer = async (r) =>
    r.query.has("validationToken")
      ? { status: 200, body: r.query.get("validationToken")!, type: "text/plain; charset=utf-8" }
      : { status: 202 };
  let answer = echo;
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const u = new URL(req.url ?? "/", "https://localhost");
      const r = {
        path: u.pathname,
        query: u.searchParams,
        contentType: String(req.headers["content-type"] ?? ""),
        body: Buffer.concat(chunks).toString("utf8"),
      };
      got.push(r);
      void answer(r).then((a) => {
        res.writeHead(a.status, a.type ? { "Content-Type": a.type } : {});
        res.end(a.body ?? "");
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const base = `https://localhost:${(server.address() as AddressInfo).port}`;
  return {
    caPem: tls.caPem,
    base,
    got,
    notifications: () =>
      got
        .filter((r) => !r.query.has("validationToken"))
        .map((r) => ({ path: r.path, ...(JSON.parse(r.body) as { value: Record<string, unknown>[] }) })),
    setAnswer: (f: Answer) => (answer = f),
    reset: () => (got.length = 0),
    echo: () => (answer = echo),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe("Graph change notifications", () => {
  let t: TestEmulator;
  let rx: Awaited<ReturnType<typeof receiver>>;
  const clock = new ManualClock("2026-12-06T10:00:00Z");
  const ada = SAMPLE_USERS.ada;
  beforeAll(async () => {
    rx = await receiver();
    t = await startTestEmulator({ clock, notificationCaPem: rx.caPem });
  });
  afterAll(async () => {
    await t.close();
    await rx.close();
  });
  beforeEach(async () => {
    await t.emulator.state.flushNotifications();
    for (const s of t.emulator.state.subscriptions.list()) t.emulator.state.subscriptions.remove(s.id);
    t.emulator.state.notifier.resetFaults();
    rx.echo();
    rx.reset();
  });

  const token = (scopes = ["Mail.Read"]) =>
    t.emulator.state.mintAccessToken({
      userId: ada,
      clientId: SAMPLE_CLIENT_ID,
      audience: "https://graph.microsoft.com",
      scopes,
    });
  const graph = (method: string, path: string, body?: unknown) =>
    t.outbound.fetch(`${t.emulator.url}/v1.0${path}`, {
      method,
      headers: { Authorization: `Bearer ${token()}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const inMinutes = (m: number) => new Date(clock.now().getTime() + m * 60_000).toISOString();
  const subscribe = async (extra: Record<string, unknown> = {}) => {
    const r = await graph("POST", "/subscriptions", {
      changeType: "created,updated",
      notificationUrl: `${rx.base}/notify?tenant=1`,
      lifecycleNotificationUrl: `${rx.base}/lifecycle`,
      resource: "me/mailFolders('inbox')/messages",
      expirationDateTime: inMinutes(3 * 24 * 60),
      clientState: "secret-1",
      ...extra,
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  it("creates a subscription after the validation handshake on both URLs, and answers Graph's subscription shape", async () => {
    const { status, body } = await subscribe();
    expect(status).toBe(201);
    expect(body).toMatchObject({
      "@odata.context": `${t.emulator.url}/v1.0/$metadata#subscriptions/$entity`,
      resource: "me/mailFolders('inbox')/messages",
      applicationId: SAMPLE_CLIENT_ID,
      changeType: "created,updated",
      clientState: "secret-1",
      notificationUrl: `${rx.base}/notify?tenant=1`,
      lifecycleNotificationUrl: `${rx.base}/lifecycle`,
      creatorId: ada,
      latestSupportedTlsVersion: "v1_2",
    });
    expect(String(body.expirationDateTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    const validations = rx.got.filter((r) => r.query.has("validationToken"));
    expect(validations.map((v) => v.path).sort()).toEqual(["/lifecycle", "/notify"]);
    expect(validations[0].contentType).toMatch(/^text\/plain/);
    expect(validations.find((v) => v.path === "/notify")!.query.get("tenant")).toBe("1");
    const list = await (await graph("GET", "/subscriptions")).json();
    expect(list.value.map((s: { id: string }) => s.id)).toEqual([body.id]);
    expect((await graph("GET", `/subscriptions/${String(body.id)}`)).status).toBe(200);
  });

  it("refuses a subscription whose endpoint fails the handshake, and Graph's other create errors", async () => {
    rx.setAnswer(async (r) =>
      r.query.has("validationToken") ? { status: 200, body: "wrong", type: "text/plain" } : { status: 202 },
    );
    let r = await subscribe();
    expect(r.status).toBe(400);
    expect((r.body.error as { message: string }).message).toMatch(
      /^Subscription validation request failed\. Response must exactly match validationToken/,
    );
    rx.setAnswer(async (q) => (q.query.has("validationToken") ? { status: 404 } : { status: 202 }));
    r = await subscribe();
    expect(r.status).toBe(400);
    expect((r.body.error as { message: string }).message).toBe(
      "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.",
    );
    rx.echo();
    expect((await subscribe({ notificationUrl: "http://localhost/notify" })).status).toBe(400);
    r = await subscribe({ expirationDateTime: inMinutes(-1) });
    expect([r.status, (r.body.error as { code: string }).code]).toEqual([400, "ExtensionError"]);
    r = await subscribe({ expirationDateTime: inMinutes(10_081) });
    expect((r.body.error as { message: string }).message).toBe(
      "Subscription expiration can only be 10080 minutes in the future.",
    );
    expect((await subscribe({ resource: "me/events" })).status).toBe(400);
    expect((await subscribe({ changeType: "created,moved" })).status).toBe(400);
    expect(t.emulator.state.subscriptions.list()).toHaveLength(0);
    // Under 45 minutes is raised to 45.
    r = await subscribe({ expirationDateTime: inMinutes(10) });
    expect(r.status).toBe(201);
    expect(new Date(String(r.body.expirationDateTime)).getTime()).toBe(clock.now().getTime() + 45 * 60_000);
    // The same combination again: 409.
    expect((await subscribe({ expirationDateTime: inMinutes(60) })).status).toBe(409);
  });

  it("delivers created and updated notifications in Graph's shape, for the watched folder only", async () => {
    const { body: sub } = await subscribe();
    rx.reset();
    const st = t.emulator.state;
    const m = st.addMessage(ada, { subject: "hello", from: "grace@fabrikam.com", to: ["ada@contoso.com"] });
    st.addMessage(ada, { folder: "sentitems", subject: "not watched", to: ["grace@fabrikam.com"] });
    await st.flushNotifications();
    const r = await graph("PATCH", `/me/messages/${m.id}`, { isRead: true });
    expect(r.status).toBe(403); // Mail.Read cannot patch; use the state to update
    st.touch(m);
    await st.flushNotifications();
    const posts = rx.notifications();
    expect(posts.map((p) => p.path)).toEqual(["/notify", "/notify"]);
    const [created, updated] = posts.map((p) => p.value[0]);
    expect(created).toEqual({
      subscriptionId: sub.id,
      subscriptionExpirationDateTime: sub.expirationDateTime,
      clientState: "secret-1",
      changeType: "created",
      resource: `Users/${ada}/Messages/${m.id}`,
      tenantId: SAMPLE_TENANT_ID,
      resourceData: {
        "@odata.type": "#Microsoft.Graph.Message",
        "@odata.id": `Users/${ada}/Messages/${m.id}`,
        "@odata.etag": expect.stringMatching(/^W\/"/),
        id: m.id,
      },
    });
    expect(updated.changeType).toBe("updated");
    expect(posts.every((p) => p.value.length === 1)).toBe(true);
    // Moving out of the inbox is a deletion there, which this subscription does not ask for.
    rx.reset();
    st.moveMessage(ada, m.id, "archive");
    await st.flushNotifications();
    expect(rx.notifications()).toEqual([]);
  });

  it("mailbox-wide subscriptions hear deliveries (sendMail) and name immutable ids when created with IdType=ImmutableId", async () => {
    const r = await t.outbound.fetch(`${t.emulator.url}/v1.0/subscriptions`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${token()}`,
        "Content-Type": "application/json",
        Prefer: 'IdType="ImmutableId"',
      },
      body: JSON.stringify({
        changeType: "created",
        notificationUrl: `${rx.base}/all`,
        resource: `/users/${ada}/messages`,
        expirationDateTime: inMinutes(60),
        clientState: "c",
      }),
    });
    expect(r.status).toBe(201);
    rx.reset();
    t.emulator.state.deliver(SAMPLE_USERS.ben, { subject: "to ada", to: ["ada@contoso.com"] });
    await t.emulator.state.flushNotifications();
    const [post] = rx.notifications();
    const inbox = t.emulator.state.getMessages(ada).find((m) => m.subject === "to ada")!;
    expect(post.value).toHaveLength(1);
    expect((post.value[0].resourceData as { id: string }).id).toBe(inbox.immutableId);
  });

  it("retries a failing endpoint with backoff (a reply slower than the limit fails too), then delivers", async () => {
    await subscribe();
    const st = t.emulator.state;
    st.notifier.timings.responseTimeoutMs = 300;
    try {
      rx.setAnswer(async () => {
        await new Promise((r) => setTimeout(r, 600));
        return { status: 202 };
      });
      rx.reset();
      st.addMessage(ada, { subject: "slow" });
      await st.flushNotifications();
      expect(st.notifier.log.at(-1)).toMatchObject({ delivered: false, status: null, error: "timeout" });
      rx.setAnswer(async () => ({ status: 503 }));
      clock.advance(10_000);
      await st.flushNotifications();
      expect(st.notifier.log.at(-1)).toMatchObject({ delivered: false, status: 503 });
      rx.echo();
      clock.advance(10_000); // second retry is due 20 s after the first failure
      await st.flushNotifications();
      expect(st.notifier.pending).toBe(1);
      clock.advance(10_000);
      await st.flushNotifications();
      expect(st.notifier.log.at(-1)).toMatchObject({ delivered: true, status: 202, count: 1 });
      expect(st.notifier.pending).toBe(0);
    } finally {
      st.notifier.timings.responseTimeoutMs = 3000;
    }
  });

  it("sends lifecycle notifications on demand (control API); subscriptionRemoved drops the subscription", async () => {
    const { body: sub } = await subscribe();
    rx.reset();
    const r = await t.outbound.fetch(`${t.emulator.url}/_emulator/subscriptions/${String(sub.id)}/lifecycle`, {
      method: "POST",
      body: JSON.stringify({ event: "reauthorizationRequired" }),
    });
    expect(r.status).toBe(202);
    await t.emulator.state.flushNotifications();
    expect(rx.notifications()).toEqual([
      {
        path: "/lifecycle",
        value: [
          {
            subscriptionId: sub.id,
            subscriptionExpirationDateTime: sub.expirationDateTime,
            tenantId: SAMPLE_TENANT_ID,
            clientState: "secret-1",
            lifecycleEvent: "reauthorizationRequired",
          },
        ],
      },
    ]);
    expect((await graph("POST", `/subscriptions/${String(sub.id)}/reauthorize`)).status).toBe(204);
    t.emulator.state.triggerLifecycle(String(sub.id), "subscriptionRemoved");
    await t.emulator.state.flushNotifications();
    expect(rx.notifications().at(-1)!.value[0].lifecycleEvent).toBe("subscriptionRemoved");
    expect((await graph("GET", `/subscriptions/${String(sub.id)}`)).status).toBe(404);
  });

  it("renews with PATCH, deletes with DELETE, and expires silently", async () => {
    const { body: sub } = await subscribe({ expirationDateTime: inMinutes(60) });
    const id = String(sub.id);
    const p = await graph("PATCH", `/subscriptions/${id}`, { expirationDateTime: inMinutes(120) });
    expect(p.status).toBe(200);
    expect(new Date((await p.json()).expirationDateTime).getTime()).toBe(clock.now().getTime() + 120 * 60_000);
    expect((await graph("PATCH", `/subscriptions/${id}`, { expirationDateTime: inMinutes(20_000) })).status).toBe(400);
    clock.advance(121 * 60_000);
    expect((await graph("GET", `/subscriptions/${id}`)).status).toBe(404);
    rx.reset();
    t.emulator.state.addMessage(ada, { subject: "after expiry" });
    await t.emulator.state.flushNotifications();
    expect(rx.notifications()).toEqual([]);
    const { body: other } = await subscribe();
    expect((await graph("DELETE", `/subscriptions/${String(other.id)}`)).status).toBe(204);
    expect((await graph("GET", `/subscriptions/${String(other.id)}`)).status).toBe(404);
  });

  it("fault options: delay (emulator clock), loss, duplication and seeded reordering", async () => {
    await subscribe();
    const st = t.emulator.state;
    rx.reset();
    st.notifier.setFaults({ delayMs: 30_000 });
    st.addMessage(ada, { subject: "delayed" });
    await st.flushNotifications();
    expect(rx.notifications()).toHaveLength(0);
    clock.advance(30_000);
    await st.flushNotifications();
    expect(rx.notifications()).toHaveLength(1);

    rx.reset();
    const control = await t.outbound.fetch(`${t.emulator.url}/_emulator/notifications/faults`, {
      method: "POST",
      body: JSON.stringify({ delayMs: 0, dropRate: 1 }),
    });
    expect(control.status).toBe(200);
    st.addMessage(ada, { subject: "lost" });
    await st.flushNotifications();
    expect(rx.notifications()).toHaveLength(0);
    expect(st.notifier.stats.dropped).toBeGreaterThanOrEqual(1);

    st.notifier.setFaults({ dropRate: 0, duplicateRate: 1 });
    const dup = st.addMessage(ada, { subject: "twice" });
    await st.flushNotifications();
    clock.advance(1000);
    await st.flushNotifications();
    const ids = rx.notifications().flatMap((p) => p.value.map((v) => (v.resourceData as { id: string }).id));
    expect(ids).toEqual([dup.id, dup.id]);

    const order = async (seed: number) => {
      rx.reset();
      st.notifier.setFaults({ duplicateRate: 0, reorder: true, reorderWindowMs: 0, seed });
      const made = [1, 2, 3, 4, 5, 6].map((i) => st.addMessage(ada, { subject: `r${i}` }).id);
      await st.flushNotifications();
      const got = rx.notifications().flatMap((p) => p.value.map((v) => (v.resourceData as { id: string }).id));
      return got.map((id) => made.indexOf(id));
    };
    const a = await order(7);
    const b = await order(7);
    expect(a).toEqual(b);
    expect([...a].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(a).not.toEqual([0, 1, 2, 3, 4, 5]);
  });
});
