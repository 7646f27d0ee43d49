/**
 * Issue 23's item 2 — the price of a rule change, per mailbox, in an organization of N mailboxes at
 * 2,000 messages a day (15% with a tracked contact), one ManualClock shared by the emulator and the product:
 *
 * 1. every mailbox backfills its day (first sweep), then one steady hour (new mail, hourly sweep);
 * 2. a contact is tracked who has mail in most mailboxes (one of the generator's outside correspondents);
 *    five minutes later every mailbox sweeps: the product's plan (a targeted re-read) — measured;
 * 3. baseline, the same run: another such contact tracked, every mailbox sweeps with the whole window
 *    forced (`full`), which is what every rule change cost before targeted re-reads;
 * 4. a teammate connects (provisioned, then their addresses stored as the connect flow does); five
 *    minutes later every other mailbox sweeps — measured against an idle sweep (nothing changed) just before.
 * Requests and response bytes come from the emulator's own per-mailbox counters.
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
import { setUserAddresses } from "../../server/store/users";
import { sweepMailbox, type SweepDeps } from "../../server/sweep/engine";
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

export interface SweepCost {
  requestsPerMailbox: number;
  bytesPerMailbox: number;
  /** Listing kind of each sweep, counted. */
  listings: Record<string, number>;
  capturedPerMailbox: number;
}

export interface RuleChangeResult {
  mailboxes: number;
  messagesPerDay: number;
  /** Mailboxes that had mail with the newly tracked contact in their window. */
  mailboxesWithContactMail: number;
  trackContact: SweepCost;
  fullReread: SweepCost;
  idle: SweepCost;
  teammateConnects: SweepCost;
  bytesRatio: number;
  targets: { bytesRatioAtLeast20: boolean; requestsAtMost2: boolean; teammateCostsNothing: boolean };
}

const HOUR = 3600_000;
const MIN = 60_000;
const TRACKED_SHARE = 0.15;
const PREFIX = "b2300000";

/** `mailboxes`: the standalone runner's `--mailboxes N` (per-mailbox figures do not depend on it). */
export async function runRuleChange(opts: { quick: boolean; mailboxes?: number }): Promise<RuleChangeResult> {
  // Quick mode (the smoke test) is small: its numbers are not quoted.
  const mailboxes = opts.mailboxes ?? (opts.quick ? 2 : 100);
  const messagesPerDay = opts.quick ? 500 : 2000;
  log(`rule change: ${mailboxes} mailboxes × ${messagesPerDay} messages/day`);
  const clock = new ManualClock(new Date());
  const gen = generateMailbox({
    tenantId: TENANT,
    users: mailboxes + 1,
    messagesPerDay,
    days: 1,
    trackedShare: TRACKED_SHARE,
    seed: 23,
    userIdPrefix: PREFIX,
  });
  // The last generated user is the teammate who connects later; their mailbox starts empty here.
  const [teammate] = gen.users.splice(mailboxes);
  const messages = (gen.dataset.messages ?? []).filter((m) => m.userId !== teammate.id);
  const emulator = await startEmulator({ clock, dataset: appDataset([...gen.users, teammate], messages) });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-bench-rule-change-"));
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
    const sweepAll = async (full = false): Promise<SweepCost> => {
      const cost = { requests: 0, bytes: 0, captured: 0, listings: {} as Record<string, number> };
      for (const [userId, oid] of oidOf) {
        const c0 = st.requestCounts(oid);
        const s = await sweepMailbox(deps, { organizationId: TENANT, userId, trigger: "schedule" }, { full });
        if (s.status !== "succeeded") throw new Error(`sweep failed: ${s.error}`);
        const c1 = st.requestCounts(oid);
        cost.requests += c1.total - c0.total - (c1.byKind.token - c0.byKind.token);
        cost.bytes += c1.responseBytes - c0.responseBytes;
        cost.captured += s.captured;
        const row = await db.selectFrom("sweeps").select("listing").where("id", "=", s.id).executeTakeFirstOrThrow();
        cost.listings[row.listing ?? "?"] = (cost.listings[row.listing ?? "?"] ?? 0) + 1;
      }
      const n = oidOf.size;
      return {
        requestsPerMailbox: round(cost.requests / n, 2),
        bytesPerMailbox: Math.round(cost.bytes / n),
        listings: cost.listings,
        capturedPerMailbox: round(cost.captured / n, 1),
      };
    };

    clock.advance(HOUR);
    await sweepAll(); // the first sweep: the day's backfill
    clock.advance(HOUR);
    const fresh = generateMailbox({
      tenantId: TENANT,
      users: mailboxes,
      messagesPerDay,
      days: 1 / 24,
      trackedShare: TRACKED_SHARE,
      seed: 2323,
      userIdPrefix: PREFIX,
    });
    for (const m of fresh.dataset.messages ?? []) {
      const { userId, ...input } = m;
      st.addMessage(userId, { ...input, lastModifiedDateTime: input.lastModifiedDateTime ?? input.receivedDateTime });
    }
    await sweepAll(); // one steady hour

    // The outside correspondents with mail in the most mailboxes: the kind of person one starts tracking.
    const reach = new Map<string, Set<string>>();
    for (const m of messages) {
      for (const a of [m.from, ...(m.to ?? [])]) {
        const addr = typeof a === "string" ? a : a?.address;
        if (addr?.endsWith("@example.org")) reach.set(addr, (reach.get(addr) ?? new Set()).add(m.userId));
      }
    }
    const [first, second] = [...reach].sort((a, b) => b[1].size - a[1].size);

    clock.advance(HOUR);
    await createContact(db, TENANT, { email: first[0] }, clock.now());
    clock.advance(5 * MIN);
    const trackContact = await sweepAll();

    clock.advance(HOUR);
    await createContact(db, TENANT, { email: second[0] }, clock.now());
    clock.advance(5 * MIN);
    const fullReread = await sweepAll(true);

    clock.advance(5 * MIN);
    const idle = await sweepAll();
    const more = await seedMailboxes(db, [teammate], clock.now());
    const [teammateId] = [...more.keys()];
    await setUserAddresses(db, TENANT, teammateId, [teammate.mail!, `alias.${teammate.mail!}`], clock.now());
    clock.advance(5 * MIN);
    const teammateConnects = await sweepAll(); // the others only: oidOf does not hold the teammate

    const bytesRatio = fullReread.bytesPerMailbox / trackContact.bytesPerMailbox;
    return {
      mailboxes,
      messagesPerDay,
      mailboxesWithContactMail: first[1].size,
      trackContact,
      fullReread,
      idle,
      teammateConnects,
      bytesRatio: round(bytesRatio, 1),
      targets: {
        bytesRatioAtLeast20: bytesRatio >= 20,
        requestsAtMost2: trackContact.requestsPerMailbox <= 2,
        teammateCostsNothing:
          teammateConnects.requestsPerMailbox <= idle.requestsPerMailbox &&
          teammateConnects.bytesPerMailbox <= idle.bytesPerMailbox &&
          !teammateConnects.listings.full,
      },
    };
  } finally {
    await db.destroy();
    await outbound.close();
    await emulator.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const at = process.argv.indexOf("--mailboxes");
  const mailboxes = at > 0 ? Number(process.argv[at + 1]) : undefined;
  runRuleChange({ quick: process.argv.includes("--quick"), mailboxes }).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
