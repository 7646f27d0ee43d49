/**
 * Incremental listing: a steady-state hourly sweep lists only what changed since the last success;
 * anything that can turn an excluded message into a captured one makes the next sweep read more: a
 * domain block removed, its whole window; a contact tracked, a search for that address
 * (test/sweep/targeted-reread.test.ts covers those in depth). End to end against the emulator, plus the pure plan.
 */
import { planListing } from "../../server/sweep/listing-plan";
import { DANA, startSweepHarness, type SweepHarness } from "./harness";
import { CLIENT_ID } from "../connect/harness";
import { ADMIN_APP_ROLE } from "../../shared/api/contract";

jest.setTimeout(60_000);

const T0 = "2026-11-20T09:00:00.000Z";
const H = 3600_000;

describe("planListing (pure)", () => {
  const last = "2026-11-20T10:00:00.000Z";
  test("never swept successfully → full", () => {
    expect(planListing({ lastSuccessWindowEnd: null, rulesChangedAt: null, overlapMinutes: 15 })).toEqual({
      kind: "full",
    });
  });
  test("no rule change since the last success began → only changes since then minus the overlap", () => {
    expect(
      planListing({ lastSuccessWindowEnd: last, rulesChangedAt: "2026-11-20T09:58:59.999Z", overlapMinutes: 15 }),
    ).toEqual({
      kind: "changes",
      since: new Date("2026-11-20T09:45:00.000Z"),
    });
  });
  test("a rule change within a minute of the last success's start, or after it → full", () => {
    expect(
      planListing({ lastSuccessWindowEnd: last, rulesChangedAt: "2026-11-20T09:59:00.000Z", overlapMinutes: 15 }).kind,
    ).toBe("full");
    expect(
      planListing({ lastSuccessWindowEnd: last, rulesChangedAt: "2026-11-20T10:30:00.000Z", overlapMinutes: 15 }).kind,
    ).toBe("full");
  });
  test("forced, or unreadable times → full", () => {
    expect(
      planListing({ lastSuccessWindowEnd: last, rulesChangedAt: null, overlapMinutes: 15, forceFull: true }).kind,
    ).toBe("full");
    expect(planListing({ lastSuccessWindowEnd: "garbage", rulesChangedAt: null, overlapMinutes: 15 }).kind).toBe(
      "full",
    );
    expect(planListing({ lastSuccessWindowEnd: last, rulesChangedAt: "garbage", overlapMinutes: 15 }).kind).toBe(
      "full",
    );
  });
});

describe("sweeps against the emulator", () => {
  let s: SweepHarness;
  let dana: string;
  const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
  afterEach(async () => {
    await s?.close();
  });

  async function sweep(opts: { full?: boolean } = {}) {
    const done = await s.sweeps.sweepNow(s.orgId, dana, "manual", opts);
    const view = await done.done;
    const row = await s.h.db.selectFrom("sweeps").select("listing").where("id", "=", view.id).executeTakeFirstOrThrow();
    return { ...view, listing: row.listing };
  }
  /** Mail delivered at its receivedDateTime (so created and last modified then, as in a real mailbox). Tests only add mail received after the last sweep. */
  function mail(from: string, receivedMs: number, imid: string, folder?: string) {
    const t = at(receivedMs);
    return s.h.emulator.state.addMessage(DANA.id, {
      from,
      to: ["dana@contoso.com"],
      subject: imid,
      body: `Body of ${imid}`,
      receivedDateTime: t,
      sentDateTime: t,
      lastModifiedDateTime: t,
      internetMessageId: imid,
      folder,
    });
  }

  beforeEach(async () => {
    s = await startSweepHarness();
    s.setTime(T0);
    dana = await s.connect(DANA);
    await s.addContact("alice@acme.com", "2026-01-01T00:00:00Z");
    s.advance(H);
    // A day of mail before the first sweep: 10 from a tracked contact, 30 from strangers.
    for (let i = 0; i < 40; i++)
      mail(i < 10 ? "alice@acme.com" : `stranger${i}@example.net`, H - (i + 1) * 30 * 60_000, `<day-${i}@t>`);
  });

  test("steady state: one listing of the new mail and one $batch for its bodies; nothing re-read", async () => {
    const first = await sweep();
    expect(first).toMatchObject({ status: "succeeded", listing: "full", listed: 40, captured: 10 });

    s.advance(H);
    // Arrived during the hour, before the last 15 minutes (the overlap the next sweep re-reads).
    mail("alice@acme.com", 70 * 60_000, "<new-1@t>");
    mail("alice@acme.com", 80 * 60_000, "<new-2@t>");
    mail("stranger@example.net", 95 * 60_000, "<new-3@t>");
    const second = await sweep();
    expect(second).toMatchObject({ status: "succeeded", listing: "changes", listed: 3, captured: 2, excluded: 1 });
    expect(second.graphRequests).toBe(2); // the listing + one $batch; the folder map is cached for a day
    // The window it answers for is still the whole 24 h (a later full pass would find the same).
    expect(Date.parse(second.windowEnd) - Date.parse(second.windowStart)).toBeGreaterThanOrEqual(24 * H);
    expect((await s.engagementIds()).length).toBe(12);

    // Nothing new: one listing request, nothing listed, nothing written.
    s.advance(H);
    const quiet = await sweep();
    expect(quiet).toMatchObject({ listing: "changes", listed: 0, captured: 0, graphRequests: 1 });
  });

  test("mail moved out of Junk after it was seen → the incremental sweep captures it", async () => {
    const junk = mail("alice@acme.com", 20 * 60_000, "<was-junk@t>", "junkemail");
    const first = await sweep();
    expect((await s.decisionOf(dana, "<was-junk@t>"))?.reason).toBe("excluded_folder");
    expect(first.captured).toBe(10);

    s.advance(H);
    s.h.emulator.state.moveMessage(DANA.id, junk.id, "inbox"); // sets lastModifiedDateTime, as Exchange does
    const next = await sweep();
    expect(next).toMatchObject({ listing: "changes", listed: 1, captured: 1 });
    expect((await s.decisionOf(dana, "<was-junk@t>"))?.outcome).toBe("captured");
  });

  test("a contact tracked after its mail was seen → the next sweep searches for that address, then back to changes", async () => {
    mail("bob@globex.com", 10 * 60_000, "<from-bob@t>");
    await sweep();
    expect((await s.decisionOf(dana, "<from-bob@t>"))?.reason).toBe("no_tracked_contact");

    s.advance(H);
    await s.addContact("bob@globex.com", s.h.clock.now());
    s.advance(5 * 60_000);
    const targeted = await sweep();
    expect(targeted).toMatchObject({ listing: "targeted", listed: 1, captured: 1 });
    expect((await s.decisionOf(dana, "<from-bob@t>"))?.outcome).toBe("captured");

    s.advance(H);
    expect((await sweep()).listing).toBe("changes");
  });

  test("a blocklist entry removed through the API → full re-read captures the mail it had blocked", async () => {
    // Fresh API tokens per call: the clock moves by hours in between.
    const auth = () => ({ authorization: `Bearer ${s.apiToken(DANA.id)}`, "content-type": "application/json" });
    s.h.emulator.state.setAppRoles(DANA.id, CLIENT_ID, [ADMIN_APP_ROLE]); // the organization's blocklist is the administrators'
    const created = await s.app.request("/api/blocklist", {
      method: "POST",
      headers: auth(),
      body: JSON.stringify({ entry: "@acme.com", scope: "organization" }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const first = await sweep();
    expect(first.captured).toBe(0);
    expect((await s.decisionOf(dana, "<day-0@t>"))?.reason).toBe("blocked");

    s.advance(H);
    expect((await sweep()).listing).toBe("changes"); // adding the block needed no re-read
    s.advance(H);
    expect((await s.app.request(`/api/blocklist/${id}`, { method: "DELETE", headers: auth() })).status).toBe(204);
    const after = await sweep();
    expect(after).toMatchObject({ listing: "full", captured: 10 });
    expect((await s.engagementIds()).length).toBe(10);
  });

  test("incremental and forced-full sweeps agree: the full pass finds nothing new", async () => {
    await sweep();
    for (let h = 1; h <= 3; h++) {
      s.advance(H);
      mail("alice@acme.com", (h + 1) * H - 10 * 60_000, `<hour-${h}@t>`);
      expect((await sweep()).listing).toBe("changes");
    }
    const engagements = await s.engagementIds();
    const decisions = await s.h.db
      .selectFrom("captureDecisions")
      .select(["messageKey", "outcome", "reason"])
      .where("userId", "=", dana)
      .orderBy("messageKey")
      .execute();
    s.advance(60_000);
    const full = await sweep({ full: true });
    expect(full.listing).toBe("full");
    expect(await s.engagementIds()).toEqual(engagements);
    expect(
      await s.h.db
        .selectFrom("captureDecisions")
        .select(["messageKey", "outcome", "reason"])
        .where("userId", "=", dana)
        .orderBy("messageKey")
        .execute(),
    ).toEqual(decisions);
  });
});
