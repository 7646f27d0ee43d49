/**
 * Anyone can send a 10 MB email: it is captured with its body capped (256 KiB of UTF-8 stored), and
 * the API says the body was truncated instead of serving 10 MB per read.
 */
import { STORED_BODY_MAX_BYTES } from "../../server/store/capture-decisions";
import { DANA, startSweepHarness, type SweepHarness } from "./harness";

jest.setTimeout(60_000);

const T0 = "2026-11-20T09:00:00.000Z";

let s: SweepHarness;
afterEach(async () => {
  await s?.close();
});

test("a 10 MB inbound body is stored capped; GET /api/engagements/:id answers the capped body with truncated: true", async () => {
  s = await startSweepHarness();
  s.setTime(T0);
  const dana = await s.connect(DANA);
  await s.addContact("alice@acme.com", "2026-01-01T00:00:00Z");
  s.advance(3600_000);
  const body = "0123456789abcdef\n".repeat(620_000); // 10.5 MB
  const t = new Date(Date.parse(T0) + 1800_000).toISOString();
  s.h.emulator.state.addMessage(DANA.id, {
    from: "alice@acme.com",
    to: ["dana@contoso.com"],
    subject: "Big",
    body,
    sentDateTime: t,
    receivedDateTime: t,
    internetMessageId: "<big@acme.com>",
  });
  expect(await (await s.sweeps.sweepNow(s.orgId, dana, "manual")).done).toMatchObject({
    status: "succeeded",
    captured: 1,
  });

  const row = await s.h.db
    .selectFrom("engagements")
    .select(["id", "bodyText", "bodyTruncated"])
    .executeTakeFirstOrThrow();
  expect(row.bodyTruncated).toBe(1);
  expect(Buffer.byteLength(row.bodyText!, "utf8")).toBe(STORED_BODY_MAX_BYTES);

  const res = await s.app.request(`/api/engagements/${row.id}`, {
    headers: { authorization: `Bearer ${s.apiToken(DANA.id)}` },
  });
  expect(res.status).toBe(200);
  const text = await res.text();
  // The capped body, JSON-escaped (each "\n" is two characters), and the rest of the view: not 10 MB.
  expect(text.length).toBeLessThan(STORED_BODY_MAX_BYTES * 1.1);
  expect(JSON.parse(text)).toMatchObject({ truncated: true, bodyText: body.slice(0, STORED_BODY_MAX_BYTES) });
  const list = (await (
    await s.app.request("/api/engagements", { headers: { authorization: `Bearer ${s.apiToken(DANA.id)}` } })
  ).json()) as { items: { truncated: boolean }[] };
  expect(list.items.map((e) => e.truncated)).toEqual([true]);
});
