/**
 * Item 1 — Graph traffic per mailbox-hour in steady state: this product's hourly sweep vs a naive
 * sweep that re-lists the whole 24 hours with bodies every hour (the baseline, implemented here only).
 *
 * One process, one ManualClock shared by the emulator and the product. Per profile (200 and 2,000
 * messages/day, 15% with a tracked contact): the first sweep backfills 24 h; then, hour by hour, the
 * clock moves one hour, an hour's new mail is delivered, the product sweeps (sweepMailbox, product
 * defaults) and the baseline lists — each measured by the emulator's own per-mailbox counters
 * (requests and response bytes), one after the other in the same hour.
 *
 * Baseline, exactly: GET {graph}/v1.0/me/messages?$filter=receivedDateTime ge {now − 24h}&$top=50
 * (no $select, so every property including the full HTML body; no Prefer header), then every
 * @odata.nextLink until the last page. That is what a sweep without incremental windows, without
 * $select and without a separate body fetch for the captured few would cost.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmulator } from "../../emulator";
import { generateMailbox } from "../../emulator/generator";
import { ManualClock } from "../../server/clock";
import { migrateToLatest, openDatabase } from "../../server/db";
import { createOutbound } from "../../server/http/outbound";
import { createLogger } from "../../server/logger";
import { createContact } from "../../server/store/contacts";
import { sweepMailbox, type SweepDeps } from "../../server/sweep/engine";
import { graphDateTime } from "../../server/sweep/listing";
import {
  appDataset,
  log,
  mintGraphToken,
  productDefaults,
  round,
  seedContacts,
  seedMailboxes,
  TENANT,
  tokenSource,
} from "./common";

export interface TrafficProfile {
  messagesPerDay: number;
  mailboxes: number;
  /** Steady-state hours measured (sweeps 2 … hours+1). */
  hours: number;
  product: {
    requestsPerMailboxHour: number;
    bytesPerMailboxHour: number;
    sweepRequestsReported: number;
    listedPerSweep: number;
    newCapturedPerMailboxHour: number;
  };
  baseline: { requestsPerMailboxHour: number; bytesPerMailboxHour: number };
  firstSweep: { requestsPerMailbox: number; bytesPerMailbox: number };
  /** Sweeps of the measured hours that listed only changes (the rest re-read the whole window). */
  incrementalSweeps: number;
  measuredSweeps: number;
  /** One extra hour after the measured ones in which a contact is tracked: every sweep re-reads its window. */
  fullReread: { requestsPerMailbox: number; bytesPerMailbox: number; listedPerSweep: number };
  bytesRatio: number;
  requestsRatio: number;
  /** Whether the folder map's daily refresh fell inside the measured hours. */
  includesDailyFolderRefresh: boolean;
  targets: { bytesRatioAtLeast10: boolean; requestsAtMost2: boolean };
}

export interface TrafficResult {
  trackedShare: number;
  latencyMs: 0;
  baselineRequest: string;
  profiles: TrafficProfile[];
}

const HOUR = 3600_000;
const TRACKED_SHARE = 0.15;
export const BASELINE_PAGE = 50;

export async function runTraffic(opts: { quick: boolean }): Promise<TrafficResult> {
  // The emulator answers each listing page by serialising the whole mailbox (O(mailbox) per page), so the
  // baseline's 40 pages an hour at 2,000/day are slow to emulate: fewer hours there (see the doc).
  const profiles: TrafficProfile[] = [
    await runProfile(200, opts.quick ? 1 : 2, opts.quick ? 2 : 24),
    await runProfile(2000, 1, opts.quick ? 1 : 3),
  ];
  return {
    trackedShare: TRACKED_SHARE,
    latencyMs: 0,
    baselineRequest: `GET /v1.0/me/messages?$filter=receivedDateTime ge <now − 24h>&$top=${BASELINE_PAGE} (all properties, full HTML body), following every @odata.nextLink`,
    profiles,
  };
}

async function runProfile(messagesPerDay: number, mailboxes: number, hours: number): Promise<TrafficProfile> {
  log(`traffic: ${mailboxes} mailbox(es) × ${messagesPerDay} messages/day, ${hours} steady-state hours`);
  const clock = new ManualClock(new Date());
  const gen = generateMailbox({
    tenantId: TENANT,
    users: mailboxes,
    messagesPerDay,
    days: 1,
    trackedShare: TRACKED_SHARE,
    seed: messagesPerDay,
    userIdPrefix: messagesPerDay === 200 ? "b1000200" : "b1002000",
  });
  const emulator = await startEmulator({ clock, dataset: appDataset(gen.users, gen.dataset.messages) });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-bench-traffic-"));
  const db = await openDatabase(path.join(dir, "bench.db"));
  const outbound = createOutbound(emulator.caPem);
  try {
    await migrateToLatest(db);
    const oidOf = await seedMailboxes(db, gen.users, clock.now());
    await seedContacts(db, gen.trackedContacts, clock.now());
    const defaults = productDefaults();
    const deps: SweepDeps = {
      db,
      clock,
      logger: createLogger("silent"),
      graph: { baseUrl: emulator.url, outbound },
      tokens: tokenSource(oidOf, (oid) => mintGraphToken(emulator.state, oid)),
      config: { windowHours: defaults.windowHours, overlapMinutes: defaults.overlapMinutes },
    };
    const st = emulator.state;
    const graphCount = (oid: string) => {
      const c = st.requestCounts(oid);
      // Identity traffic (token, authorize) is not Graph; the fast path mints tokens without requests anyway.
      return { requests: c.total - c.byKind.token - c.byKind.authorize, bytes: c.responseBytes };
    };

    const engagementCount = async () =>
      Number(
        (
          await db
            .selectFrom("engagements")
            .select((eb) => eb.fn.countAll().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const first = { requests: 0, bytes: 0 };
    for (const [userId, oid] of oidOf) {
      const before = graphCount(oid);
      const s = await sweepMailbox(deps, { organizationId: TENANT, userId, trigger: "schedule" });
      if (s.status !== "succeeded") throw new Error(`first sweep failed: ${s.error}`);
      const after = graphCount(oid);
      first.requests += after.requests - before.requests;
      first.bytes += after.bytes - before.bytes;
    }

    const product = { requests: 0, bytes: 0, reported: 0, listed: 0, newCaptured: 0, incremental: 0 };
    const baseline = { requests: 0, bytes: 0 };
    for (let h = 1; h <= hours; h++) {
      clock.advance(HOUR);
      // An hour's new mail: same generator, same mix, received within the last hour.
      const fresh = generateMailbox({
        tenantId: TENANT,
        users: mailboxes,
        messagesPerDay,
        days: 1 / 24,
        trackedShare: TRACKED_SHARE,
        seed: messagesPerDay * 1000 + h,
        userIdPrefix: messagesPerDay === 200 ? "b1000200" : "b1002000",
      });
      for (const m of fresh.dataset.messages ?? []) {
        const { userId, ...input } = m;
        // Delivered as they were received, spread over the hour (not all at the sweep's instant).
        st.addMessage(userId, { ...input, lastModifiedDateTime: input.lastModifiedDateTime ?? input.receivedDateTime });
      }
      for (const [userId, oid] of oidOf) {
        const engagementsBefore = await engagementCount();
        const b0 = graphCount(oid);
        const s = await sweepMailbox(deps, { organizationId: TENANT, userId, trigger: "schedule" });
        if (s.status !== "succeeded") throw new Error(`hourly sweep failed: ${s.error}`);
        const b1 = graphCount(oid);
        product.requests += b1.requests - b0.requests;
        product.bytes += b1.bytes - b0.bytes;
        product.reported += s.graphRequests;
        product.listed += s.listed;
        const mode = await db.selectFrom("sweeps").select("listing").where("id", "=", s.id).executeTakeFirstOrThrow();
        if (mode.listing === "changes") product.incremental++;
        product.newCaptured += (await engagementCount()) - engagementsBefore;
        await naiveSweep(emulator.url, outbound.fetch, mintGraphToken(st, oid), clock.now());
        const b2 = graphCount(oid);
        baseline.requests += b2.requests - b1.requests;
        baseline.bytes += b2.bytes - b1.bytes;
      }
    }
    // The price of a rule change: a contact tracked now makes the next sweep of every mailbox re-read its
    // whole window (a message excluded before may now be captured). Measured on its own, after the hours above.
    clock.advance(HOUR);
    await createContact(db, TENANT, { email: "newly-tracked@bench.example" }, clock.now());
    clock.advance(5 * 60_000);
    const reread = { requests: 0, bytes: 0, listed: 0 };
    for (const [userId, oid] of oidOf) {
      const b0 = graphCount(oid);
      const s = await sweepMailbox(deps, { organizationId: TENANT, userId, trigger: "schedule" });
      if (s.status !== "succeeded") throw new Error(`re-read sweep failed: ${s.error}`);
      const b1 = graphCount(oid);
      reread.requests += b1.requests - b0.requests;
      reread.bytes += b1.bytes - b0.bytes;
      reread.listed += s.listed;
    }
    const mh = mailboxes * hours;
    const p = { requestsPerMailboxHour: product.requests / mh, bytesPerMailboxHour: product.bytes / mh };
    const b = { requestsPerMailboxHour: baseline.requests / mh, bytesPerMailboxHour: baseline.bytes / mh };
    const bytesRatio = b.bytesPerMailboxHour / p.bytesPerMailboxHour;
    return {
      messagesPerDay,
      mailboxes,
      hours,
      product: {
        requestsPerMailboxHour: round(p.requestsPerMailboxHour, 2),
        bytesPerMailboxHour: Math.round(p.bytesPerMailboxHour),
        sweepRequestsReported: round(product.reported / mh, 2),
        listedPerSweep: Math.round(product.listed / mh),
        newCapturedPerMailboxHour: round(product.newCaptured / mh, 1),
      },
      baseline: {
        requestsPerMailboxHour: round(b.requestsPerMailboxHour, 2),
        bytesPerMailboxHour: Math.round(b.bytesPerMailboxHour),
      },
      firstSweep: {
        requestsPerMailbox: round(first.requests / mailboxes, 1),
        bytesPerMailbox: Math.round(first.bytes / mailboxes),
      },
      incrementalSweeps: product.incremental,
      measuredSweeps: mh,
      fullReread: {
        requestsPerMailbox: round(reread.requests / mailboxes, 1),
        bytesPerMailbox: Math.round(reread.bytes / mailboxes),
        listedPerSweep: Math.round(reread.listed / mailboxes),
      },
      bytesRatio: round(bytesRatio, 1),
      requestsRatio: round(b.requestsPerMailboxHour / p.requestsPerMailboxHour, 1),
      includesDailyFolderRefresh: hours >= 24,
      targets: { bytesRatioAtLeast10: bytesRatio >= 10, requestsAtMost2: p.requestsPerMailboxHour <= 2 },
    };
  } finally {
    await db.destroy();
    await outbound.close();
    await emulator.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The baseline: re-list the last 24 hours with every property (bodies included), $top=50, all pages. */
export async function naiveSweep(
  graphUrl: string,
  fetchFn: typeof fetch,
  token: string,
  now: Date,
): Promise<{ messages: number; pages: number }> {
  const since = graphDateTime(new Date(now.getTime() - 24 * HOUR));
  let next: string | null = `${graphUrl}/v1.0/me/messages?$filter=receivedDateTime ge ${since}&$top=${BASELINE_PAGE}`;
  let messages = 0;
  let pages = 0;
  while (next) {
    const res = await fetchFn(next, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`baseline listing answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { value: unknown[]; "@odata.nextLink"?: string };
    messages += body.value.length;
    pages++;
    next = body["@odata.nextLink"] ?? null;
  }
  return { messages, pages };
}
