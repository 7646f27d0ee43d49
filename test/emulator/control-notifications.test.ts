/**
 * The control API's change-notification endpoints: state of the notifier, faults (set, validate by use,
 * reset), timings, trusted CAs, flush, the subscription list, and the errors of the lifecycle trigger.
 */
import { generateTls } from "../../server/http/tls";
import { ManualClock } from "../../server/clock";
import { type TestEmulator, startTestEmulator } from "./helpers";

describe("control API: change notifications", () => {
  let t: TestEmulator;
  beforeAll(async () => {
    t = await startTestEmulator({
      clock: new ManualClock("2026-12-06T09:00:00Z"),
      notificationFaults: { delayMs: 5000, seed: 9 },
    });
  });
  afterAll(() => t.close());

  async function call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await t.outbound.fetch(`${t.emulator.url}/_emulator${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  it("reports the notifier, takes faults and timings, and resets faults", async () => {
    const state = await call("GET", "/notifications");
    expect(state.status).toBe(200);
    expect(state.json).toMatchObject({
      pending: 0,
      faults: { delayMs: 5000, seed: 9 },
      stats: { enqueued: 0, delivered: 0 },
      timings: { responseTimeoutMs: 3000, validationTimeoutMs: 10_000 },
    });
    expect((await call("POST", "/notifications/faults", { dropRate: 0.05, reorder: true })).json).toMatchObject({
      delayMs: 5000,
      dropRate: 0.05,
      reorder: true,
    });
    expect((await call("DELETE", "/notifications/faults")).json).toMatchObject({
      delayMs: 0,
      dropRate: 0,
      reorder: false,
      seed: 1,
    });
    expect((await call("POST", "/notifications/timings", { retryBaseMs: 1000 })).json).toMatchObject({
      retryBaseMs: 1000,
      retryWindowMs: 4 * 3600_000,
    });
    expect((await call("POST", "/notifications/flush")).json).toMatchObject({ pending: 0 });
  });

  it("adds a trusted CA for notification URLs and refuses anything else", async () => {
    const { caPem } = await generateTls("Another test CA");
    expect((await call("POST", "/notifications/ca", { pem: caPem })).status).toBe(200);
    expect(t.emulator.state.notifier.trustedCas).toContain(caPem);
    expect((await call("POST", "/notifications/ca", { pem: "nope" })).status).toBe(400);
  });

  it("lists subscriptions and refuses lifecycle events for unknown subscriptions or events", async () => {
    expect(await call("GET", "/subscriptions")).toEqual({ status: 200, json: { value: [] } });
    const unknown = await call("POST", "/subscriptions/00000000-0000-4000-8000-000000000000/lifecycle", {
      event: "missed",
    });
    expect(unknown.status).toBe(400);
    expect(String(unknown.json.error)).toContain("Unknown subscription");
    expect((await call("POST", "/search/index-lag", { ms: -1 })).status).toBe(400);
  });
});
