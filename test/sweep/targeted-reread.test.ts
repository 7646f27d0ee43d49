/**
 * Targeted re-reads: a rule change that names addresses (a contact tracked, an address unblocked, a
 * user's own aliases) makes the next sweep list the window's changes and search the mailbox for those
 * addresses — not re-read the whole window. End to end against the emulator with the product's sweep
 * (sweepMailbox), on SQLite and PostgreSQL; the emulator's own per-mailbox counters measure the cost.
 */
import { startEmulator, type Emulator } from "../../emulator";
import type { DatasetUser } from "../../emulator/dataset";
import { ManualClock } from "../../server/clock";
import { createOutbound, type Outbound } from "../../server/http/outbound";
import { createLogger } from "../../server/logger";
import { addBlockEntry, deleteBlockEntry } from "../../server/store/blocklist";
import { messageKey } from "../../server/store/capture-decisions";
import { createContact } from "../../server/store/contacts";
import { setUserAddresses } from "../../server/store/users";
import { sweepMailbox, type SweepDeps } from "../../server/sweep/engine";
import { MAX_TARGETED_ADDRESSES, planListing } from "../../server/sweep/listing-plan";
import { appDataset, mintGraphToken, seedMailboxes, TENANT, tokenSource } from "../bench/common";
import { databaseTargets, type TestDatabase } from "../db/databases";

jest.setTimeout(120_000);

const H = 3600_000;
const MIN = 60_000;
const T0 = new Date("2026-11-20T09:00:00.000Z");

const user = (n: number, name: string): DatasetUser => ({
  tenantId: TENANT,
  id: `7a7a7a7a-000${n}-4000-8000-00000000000${n}`,
  displayName: name,
  mail: `${name.toLowerCase()}@contoso.com`,
  userPrincipalName: `${name.toLowerCase()}@contoso.com`,
  proxyAddresses: [`SMTP:${name.toLowerCase()}@contoso.com`],
});
const USERS = [user(1, "Dana"), user(2, "Lee"), user(3, "Kim")];
const NEWCOMER = user(4, "Noor");
const STRANGERS = 100;

for (const target of databaseTargets()) {
  const d = target.available ? describe : describe.skip;
  d(`targeted re-reads (${target.name})`, () => {
    let tdb: TestDatabase;
    let emulator: Emulator;
    let outbound: Outbound;
    let clock: ManualClock;
    let deps: SweepDeps;
    let userIdOf: Map<string, string>; // oid → product user id
    let logLines: string[];

    beforeEach(async () => {
      clock = new ManualClock(T0);
      emulator = await startEmulator({ clock, dataset: appDataset([...USERS, NEWCOMER]) });
      outbound = createOutbound(emulator.caPem);
      tdb = await target.open();
      const oidOf = await seedMailboxes(tdb.db, USERS, clock.now());
      userIdOf = new Map([...oidOf].map(([id, oid]) => [oid, id]));
      await createContact(tdb.db, TENANT, { email: "alice@acme.com" }, new Date(T0.getTime() - 48 * H));
      logLines = [];
      deps = {
        db: tdb.db,
        clock,
        logger: {
          ...createLogger("silent"),
          info: (obj: object, msg: string) => void logLines.push(`${msg} ${JSON.stringify(obj)}`),
        } as SweepDeps["logger"],
        graph: { baseUrl: emulator.url, outbound },
        tokens: tokenSource(oidOf, (oid) => mintGraphToken(emulator.state, oid)),
        config: { windowHours: 24, overlapMinutes: 15 },
      };
      // A day of mail in every mailbox: 5 from bob (not tracked yet), 5 from alice (tracked), strangers.
      for (const u of USERS) {
        for (let i = 0; i < 5; i++) mail(u, "bob@globex.com", -(i + 1) * 2 * H, `<bob-${i}-${u.id}@t>`);
        for (let i = 0; i < 5; i++) mail(u, "alice@acme.com", -(i + 1) * 3 * H, `<alice-${i}-${u.id}@t>`);
        for (let i = 0; i < STRANGERS; i++)
          mail(u, `stranger${i}@example.net`, -((i + 1) * 23 * H) / STRANGERS, `<s-${i}-${u.id}@t>`);
      }
      clock.advance(H);
      for (const u of USERS) expect(await sweep(u)).toMatchObject({ status: "succeeded", listing: "full" });
      clock.advance(H);
    });

    afterEach(async () => {
      await tdb?.close();
      await outbound?.close();
      await emulator?.close();
    });

    /** Mail received `offsetMs` from T0, created then too (preexisting), or now when `createdNow`. */
    function mail(u: DatasetUser, from: string, offsetMs: number, imid: string, createdNow = false, to = u.mail!) {
      const t = new Date(T0.getTime() + offsetMs).toISOString();
      emulator.state.addMessage(
        u.id,
        {
          from,
          to: [to],
          subject: imid,
          body: `Body of ${imid}`,
          receivedDateTime: t,
          sentDateTime: t,
          internetMessageId: imid,
        },
        { preexisting: !createdNow },
      );
    }

    async function sweep(u: DatasetUser, opts: { full?: boolean } = {}) {
      const before = emulator.state.requestCounts(u.id);
      const view = await sweepMailbox(
        deps,
        { organizationId: TENANT, userId: userIdOf.get(u.id)!, trigger: "schedule" },
        opts,
      );
      const after = emulator.state.requestCounts(u.id);
      const row = await tdb.db
        .selectFrom("sweeps")
        .select("listing")
        .where("id", "=", view.id)
        .executeTakeFirstOrThrow();
      return {
        ...view,
        listing: row.listing,
        requests: after.total - before.total - (after.byKind.token - before.byKind.token),
        lists: after.byKind.list - before.byKind.list,
        bytes: after.responseBytes - before.responseBytes,
      };
    }

    async function outcome(u: DatasetUser, imid: string) {
      const row = await tdb.db
        .selectFrom("captureDecisions")
        .select(["outcome", "reason"])
        .where("organizationId", "=", TENANT)
        .where("userId", "=", userIdOf.get(u.id)!)
        .where("messageKey", "=", messageKey(imid))
        .executeTakeFirst();
      return row ? `${row.outcome}${row.reason ? `:${row.reason}` : ""}` : null;
    }

    test("a contact tracked: every mailbox finds its past day of mail with two requests and a fraction of the bytes", async () => {
      await createContact(tdb.db, TENANT, { email: "bob@globex.com" }, clock.now());
      clock.advance(5 * MIN);
      const targeted = [];
      for (const u of USERS) {
        const s = await sweep(u);
        expect(s).toMatchObject({ status: "succeeded", listing: "targeted", captured: 5 });
        // The changes listing and one search, whose results carry the bodies: no $batch.
        expect(s.requests).toBe(2);
        expect(s.lists).toBe(2);
        for (let i = 0; i < 5; i++) expect(await outcome(u, `<bob-${i}-${u.id}@t>`)).toBe("captured");
        targeted.push(s);
      }
      // The same change answered by re-reading the whole window, measured on the same mailboxes.
      await createContact(tdb.db, TENANT, { email: "carol@initech.com" }, clock.now());
      clock.advance(5 * MIN);
      const full = [];
      for (const u of USERS) full.push(await sweep(u, { full: true }));
      for (let i = 0; i < USERS.length; i++) {
        expect(full[i].listed).toBeGreaterThanOrEqual(100);
        expect(targeted[i].bytes * 3).toBeLessThan(full[i].bytes);
      }
      // Back to changes only once the change is answered.
      clock.advance(H);
      expect(await sweep(USERS[0])).toMatchObject({ listing: "changes", requests: 1 });
    });

    test("the contact's new mail, listed by the changes listing and found by the search, costs no third request", async () => {
      const [dana] = USERS;
      // Arrived since the last sweep (so the changes listing has it) and indexed (so the search has it too).
      mail(dana, "bob@globex.com", H + 20 * MIN, "<bob-new@t>", true);
      clock.advance(20 * MIN);
      await createContact(tdb.db, TENANT, { email: "bob@globex.com" }, clock.now());
      clock.advance(5 * MIN);
      const s = await sweep(dana);
      // Decided with the search's body, not fetched again in a $batch.
      expect(s).toMatchObject({ status: "succeeded", listing: "targeted", captured: 6, requests: 2, lists: 2 });
      expect(await outcome(dana, "<bob-new@t>")).toBe("captured");
      for (let i = 0; i < 5; i++) expect(await outcome(dana, `<bob-${i}-${dana.id}@t>`)).toBe("captured");
    });

    test("the contact's mail younger than the index lag: the one case a third request ($batch for its body) is needed", async () => {
      const [dana] = USERS;
      emulator.state.setSearchIndexLag(10 * MIN);
      await createContact(tdb.db, TENANT, { email: "bob@globex.com" }, clock.now());
      mail(dana, "bob@globex.com", 2 * H + 2 * MIN, "<bob-unindexed-yet@t>", true);
      clock.advance(5 * MIN);
      const s = await sweep(dana);
      expect(s).toMatchObject({ listing: "targeted", captured: 6, requests: 3, lists: 2 });
      expect(await outcome(dana, "<bob-unindexed-yet@t>")).toBe("captured");
    });

    test("an address unblocked → targeted; a domain unblocked → the whole window", async () => {
      const [dana] = USERS;
      const entry = await addBlockEntry(
        tdb.db,
        TENANT,
        { entry: "alice@acme.com", scope: "organization", userId: "" },
        clock.now(),
      );
      clock.advance(5 * MIN);
      // Blocking needs no re-read; the alice mail captured before stays captured (removal is another feature).
      expect(await sweep(dana)).toMatchObject({ listing: "changes" });
      // Alice's mail after the block: excluded as blocked.
      mail(dana, "alice@acme.com", 2 * H + 10 * MIN, "<alice-late@t>", true);
      clock.advance(H);
      expect(await sweep(dana)).toMatchObject({ listing: "changes", captured: 0 });
      expect(await outcome(dana, "<alice-late@t>")).toBe("excluded:blocked");

      clock.advance(H);
      expect(await deleteBlockEntry(tdb.db, TENANT, userIdOf.get(dana.id)!, entry.id, clock.now())).toBe(true);
      clock.advance(5 * MIN);
      const s = await sweep(dana);
      expect(s).toMatchObject({ listing: "targeted", requests: 2 });
      expect(await outcome(dana, "<alice-late@t>")).toBe("captured");

      const domain = await addBlockEntry(
        tdb.db,
        TENANT,
        { entry: "@acme.com", scope: "organization", userId: "" },
        clock.now(),
      );
      clock.advance(H);
      await sweep(dana);
      clock.advance(H);
      await deleteBlockEntry(tdb.db, TENANT, userIdOf.get(dana.id)!, domain.id, clock.now());
      clock.advance(5 * MIN);
      expect(await sweep(dana)).toMatchObject({ listing: "full" });
    });

    test("a teammate connecting costs the other mailboxes nothing; a user's new alias concerns only their mailbox", async () => {
      // Connect does: provision, store the connection, then the addresses Graph /me reports.
      const more = await seedMailboxes(tdb.db, [NEWCOMER], clock.now());
      for (const [id, oid] of more) userIdOf.set(oid, id);
      const noor = userIdOf.get(NEWCOMER.id)!;
      await setUserAddresses(
        tdb.db,
        TENANT,
        noor,
        ["noor@contoso.com", "noor.a@contoso.com"],
        clock.now(),
        "noor@contoso.com",
      );
      clock.advance(5 * MIN);
      for (const u of USERS) expect(await sweep(u)).toMatchObject({ listing: "changes", requests: 1, listed: 0 });

      const [dana, lee] = USERS;
      mail(dana, "bob@globex.com", -3 * H, "<to-alias@t>", false, "dana.k@contoso.com");
      await createContact(tdb.db, TENANT, { email: "bob@globex.com" }, new Date(T0.getTime() - 48 * H));
      clock.advance(H);
      // bob is tracked from long ago (createdAt in the past: no rule change); Dana gains an alias.
      await setUserAddresses(
        tdb.db,
        TENANT,
        userIdOf.get(dana.id)!,
        ["dana@contoso.com", "dana.k@contoso.com"],
        clock.now(),
      );
      clock.advance(5 * MIN);
      const s = await sweep(dana);
      expect(s).toMatchObject({ listing: "targeted", requests: 2 });
      expect(await outcome(dana, "<to-alias@t>")).toBe("captured");
      expect(await sweep(lee)).toMatchObject({ listing: "changes", requests: 1 });
    });

    test("search's 1,000-result cap → the whole window is read instead", async () => {
      const [dana] = USERS;
      for (let i = 0; i < 1000; i++) mail(dana, "bob@globex.com", -((i + 1) * 20 * H) / 1000 - MIN, `<bulk-${i}@t>`);
      await createContact(tdb.db, TENANT, { email: "bob@globex.com" }, clock.now());
      clock.advance(5 * MIN);
      const s = await sweep(dana);
      expect(s.status).toBe("succeeded");
      expect(s.lists).toBe(4); // changes, the capped search, the window's two pages
      // Every captured message of the window decided again (alice's 5 as well), bob's 1,005 now captured.
      expect(s.captured).toBe(1010);
      expect(await outcome(dana, "<bulk-999@t>")).toBe("captured");
      expect(logLines.some((l) => l.includes("fell back") && l.includes("search_cap"))).toBe(true);
    });

    test("index lag within the assumed bound: the changes listing covers what the index lacks", async () => {
      const [dana] = USERS;
      emulator.state.setSearchIndexLag(10 * MIN);
      await createContact(tdb.db, TENANT, { email: "bob@globex.com" }, clock.now());
      mail(dana, "bob@globex.com", 2 * H - 3 * MIN, "<bob-fresh@t>", true);
      clock.advance(5 * MIN);
      const s = await sweep(dana);
      expect(s).toMatchObject({ listing: "targeted", lists: 2, captured: 6 });
      expect(await outcome(dana, "<bob-fresh@t>")).toBe("captured");
    });

    test("index lag beyond the assumed bound is noticed → the whole window is read", async () => {
      const [dana] = USERS;
      emulator.state.setSearchIndexLag(4 * H);
      // Received after the last sweep and older than the assumed lag: the search must have it, and has not.
      mail(dana, "bob@globex.com", 2 * H - 40 * MIN, "<bob-unindexed@t>", true);
      clock.advance(5 * MIN);
      await createContact(tdb.db, TENANT, { email: "bob@globex.com" }, clock.now());
      clock.advance(5 * MIN);
      const s = await sweep(dana);
      expect(s.lists).toBe(3);
      // The whole-window read decides alice's 5 again and finds bob's 6, some of which the index lacked.
      expect(s.captured).toBe(11);
      for (let i = 0; i < 5; i++) expect(await outcome(dana, `<bob-${i}-${dana.id}@t>`)).toBe("captured");
      expect(logLines.some((l) => l.includes("search_index_lag"))).toBe(true);
    });

    test(`more than ${MAX_TARGETED_ADDRESSES} addresses changed at once → the whole window`, async () => {
      for (let i = 0; i <= MAX_TARGETED_ADDRESSES; i++)
        await createContact(tdb.db, TENANT, { email: `many${i}@example.com` }, clock.now());
      clock.advance(5 * MIN);
      expect(await sweep(USERS[0])).toMatchObject({ listing: "full" });
    });
  });
}

describe("planListing: targeted (pure)", () => {
  const last = "2026-11-20T10:00:00.000Z";
  const now = new Date("2026-11-20T11:05:00.000Z");
  const base = { lastSuccessWindowEnd: last, rulesChangedAt: null, overlapMinutes: 15, now };
  const change = (address: string, at = "2026-11-20T10:30:00.000Z") => ({ address, at });
  test("address changes since the last success → the changes listing plus one search per address", () => {
    expect(
      planListing({ ...base, ruleChanges: [change("bob@globex.com"), change("amy@x.org"), change("bob@globex.com")] }),
    ).toEqual({
      kind: "targeted",
      since: new Date("2026-11-20T09:45:00.000Z"),
      addresses: ["amy@x.org", "bob@globex.com"],
    });
  });
  test("the changes listing reaches back over the assumed index lag when the last sweep is recent", () => {
    const p = planListing({
      ...base,
      lastSuccessWindowEnd: "2026-11-20T11:00:00.000Z",
      ruleChanges: [change("b@x.org", "2026-11-20T11:01:00.000Z")],
    });
    expect(p).toMatchObject({ kind: "targeted", since: new Date("2026-11-20T10:45:00.000Z") });
    const lagged = planListing({
      ...base,
      lastSuccessWindowEnd: "2026-11-20T11:00:00.000Z",
      searchIndexLagMinutes: 60,
      ruleChanges: [change("b@x.org", "2026-11-20T11:01:00.000Z")],
    });
    expect(lagged).toMatchObject({ kind: "targeted", since: new Date("2026-11-20T10:05:00.000Z") });
  });
  test("changes clearly before the last success are answered already", () => {
    expect(planListing({ ...base, ruleChanges: [change("b@x.org", "2026-11-20T09:58:59.999Z")] }).kind).toBe("changes");
    expect(planListing({ ...base, ruleChanges: [change("b@x.org", "2026-11-20T09:59:00.000Z")] }).kind).toBe(
      "targeted",
    );
  });
  test("not address-specific, too many, unsearchable or unreadable → full", () => {
    expect(planListing({ ...base, ruleChanges: [change("@acme.com")] }).kind).toBe("full");
    expect(planListing({ ...base, ruleChanges: "too_many" }).kind).toBe("full");
    const many = Array.from({ length: MAX_TARGETED_ADDRESSES + 1 }, (_, i) => change(`c${i}@x.org`));
    expect(planListing({ ...base, ruleChanges: many }).kind).toBe("full");
    expect(planListing({ ...base, ruleChanges: many.slice(1) }).kind).toBe("targeted");
    for (const hostile of ['a"b@x.org', "a b@x.org", "a@x.org) OR (from:c", "x@y", "a@x.org AND"])
      expect(planListing({ ...base, ruleChanges: [change(hostile)] }).kind).toBe("full");
    // An unreadable time counts as a change (searched for), never as one already answered.
    expect(planListing({ ...base, ruleChanges: [change("b@x.org", "garbage")] }).kind).toBe("targeted");
    expect(planListing({ ...base, now: undefined, ruleChanges: [change("b@x.org")] }).kind).toBe("full");
    expect(
      planListing({ ...base, rulesChangedAt: "2026-11-20T10:30:00.000Z", ruleChanges: [change("b@x.org")] }).kind,
    ).toBe("full");
  });
});
