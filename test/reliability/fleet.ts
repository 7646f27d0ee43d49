/**
 * A fleet of generated mailboxes for the reliability suite, and the exactness check every scenario ends
 * with: the engagements, mailbox links and capture decisions in the database compared with what the
 * capture rules predict for the seeded mail.
 *
 * The seed is plain mail (IPM.Note) in the inbox or Sent Items, each with the mailbox's user as sender
 * or recipient, so rules 1–5 and 8 pass for every message and the prediction is rule 6 alone: captured
 * when a tracked contact is in from/to/cc, otherwise excluded as `no_tracked_contact`. The oracle is
 * written here independently of server/ and shared/, so it cannot share a bug with the code under test.
 */
import fs from "node:fs";
import path from "node:path";
import type { Kysely } from "kysely";
import type { DatasetMessage, DatasetUser } from "../../emulator/dataset";
import { generateMailbox } from "../../emulator/generator";
import type { EmulatorState, MessageRecord } from "../../emulator";
import type { Database } from "../../server/db/schema";
import { messageKey } from "../../server/store/capture-decisions";

export interface Fleet {
  users: DatasetUser[];
  messages: DatasetMessage[];
  trackedContacts: string[];
}

export function generateFleet(o: {
  tenantId: string;
  mailboxes: number;
  messagesPerDay: number;
  seed?: number;
  userIdPrefix?: string;
}): Fleet {
  const gen = generateMailbox({
    tenantId: o.tenantId,
    users: o.mailboxes,
    messagesPerDay: o.messagesPerDay,
    // 0.9 of a day: every message lies inside the first sweep's window (24 hours before connecting).
    days: 0.9,
    seed: o.seed ?? 11,
    userIdPrefix: o.userIdPrefix,
    folderMix: { inbox: 1 },
    kindMix: { note: 1, smime: 0, meeting: 0, teams: 0, rss: 0 },
  });
  return { users: gen.users, messages: gen.dataset.messages ?? [], trackedContacts: gen.trackedContacts };
}

/** Load the fleet into an emulator whose dataset does not hold it yet. */
export function seedFleet(st: EmulatorState, fleet: Fleet): void {
  for (const u of fleet.users) if (!st.getUser(u.id)) st.addUser(u);
  for (const m of fleet.messages) {
    const { userId, ...input } = m;
    st.addMessage(userId, input);
  }
}

export interface Expected {
  /** internetMessageId → the emulator user ids (oids) whose mailbox holds it. */
  engagements: Map<string, Set<string>>;
  /** oid → messageKey → "captured" or the exclusion reason. */
  decisions: Map<string, Map<string, string>>;
}

const addr = (a: { emailAddress?: { address?: string } } | null | undefined) =>
  (a?.emailAddress?.address ?? "").trim().toLowerCase();

/** What the rules predict for the messages now in these mailboxes (see the file comment for why this is rule 6). */
export function predict(st: EmulatorState, oids: readonly string[], tracked: readonly string[]): Expected {
  const trackedSet = new Set(tracked.map((t) => t.toLowerCase()));
  const out: Expected = { engagements: new Map(), decisions: new Map() };
  for (const oid of oids) {
    const mine = new Map<string, string>();
    out.decisions.set(oid, mine);
    for (const m of st.getMessages(oid) as MessageRecord[]) {
      const parties = [addr(m.from), ...m.toRecipients.map(addr), ...m.ccRecipients.map(addr)];
      const captured = parties.some((p) => trackedSet.has(p));
      mine.set(messageKey(m.internetMessageId), captured ? "captured" : "no_tracked_contact");
      if (captured) {
        const holders = out.engagements.get(m.internetMessageId) ?? new Set<string>();
        holders.add(oid);
        out.engagements.set(m.internetMessageId, holders);
      }
    }
  }
  return out;
}

export interface Actual {
  engagements: string[];
  /** `${internetMessageId} ${oid}` per engagement-mailbox link. */
  links: string[];
  /** `${oid} ${messageKey} ${outcome or reason}` per decision. */
  decisions: string[];
}

export interface ExactnessReport {
  expectedEngagements: number;
  expectedDecisions: number;
  engagements: number;
  links: number;
  decisions: number;
  /** Rows with the same key more than once (must be 0). */
  duplicates: number;
  missing: number;
  unexpected: number;
}

/** The database's engagements, links and decisions for the organization, keyed like `Expected`. */
export async function readActual(
  db: Kysely<Database>,
  organizationId: string,
  oidOfUserId: Map<string, string>,
): Promise<Actual> {
  const engagements = await db
    .selectFrom("engagements")
    .select(["id", "internetMessageId"])
    .where("organizationId", "=", organizationId)
    .execute();
  const imidOf = new Map(engagements.map((e) => [e.id, e.internetMessageId]));
  const links = await db
    .selectFrom("engagementMailboxes")
    .select(["engagementId", "userId"])
    .where("organizationId", "=", organizationId)
    .execute();
  const decisions = await db
    .selectFrom("captureDecisions")
    .select(["userId", "messageKey", "outcome", "reason"])
    .where("organizationId", "=", organizationId)
    .execute();
  const oid = (userId: string) => oidOfUserId.get(userId) ?? `?${userId}`;
  return {
    engagements: engagements.map((e) => e.internetMessageId).sort(),
    links: links.map((l) => `${imidOf.get(l.engagementId) ?? "?"} ${oid(l.userId)}`).sort(),
    decisions: decisions
      .map((d) => `${oid(d.userId)} ${d.messageKey} ${d.outcome === "captured" ? "captured" : d.reason}`)
      .sort(),
  };
}

export function expectedRows(e: Expected): Actual {
  const links: string[] = [];
  for (const [imid, holders] of e.engagements) for (const o of holders) links.push(`${imid} ${o}`);
  const decisions: string[] = [];
  for (const [o, m] of e.decisions) for (const [k, v] of m) decisions.push(`${o} ${k} ${v}`);
  return { engagements: [...e.engagements.keys()].sort(), links: links.sort(), decisions: decisions.sort() };
}

export function compare(expected: Expected, actual: Actual): ExactnessReport {
  const want = expectedRows(expected);
  const diff = (a: string[], b: string[]) => {
    const bs = new Set(b);
    return a.filter((x) => !bs.has(x)).length;
  };
  const dups = (a: string[]) => a.length - new Set(a).size;
  return {
    expectedEngagements: want.engagements.length,
    expectedDecisions: want.decisions.length,
    engagements: actual.engagements.length,
    links: actual.links.length,
    decisions: actual.decisions.length,
    duplicates: dups(actual.engagements) + dups(actual.links) + dups(actual.decisions),
    missing:
      diff(want.engagements, actual.engagements) +
      diff(want.links, actual.links) +
      diff(want.decisions, actual.decisions),
    unexpected:
      diff(actual.engagements, want.engagements) +
      diff(actual.links, want.links) +
      diff(actual.decisions, want.decisions),
  };
}

/** Assert the database holds exactly what the rules predict; returns the counts for the record. */
export async function expectExact(
  db: Kysely<Database>,
  organizationId: string,
  oidOfUserId: Map<string, string>,
  expected: Expected,
): Promise<ExactnessReport> {
  const actual = await readActual(db, organizationId, oidOfUserId);
  const want = expectedRows(expected);
  // Whole-list equality gives a readable diff when it fails; the report is for the results file.
  expect(actual.engagements).toEqual(want.engagements);
  expect(actual.links).toEqual(want.links);
  expect(actual.decisions).toEqual(want.decisions);
  const report = compare(expected, actual);
  expect(report).toMatchObject({ duplicates: 0, missing: 0, unexpected: 0 });
  return report;
}

/** The latest figures of a scenario, for docs/reliability.md (test-results/ is not committed). */
export function recordResult(name: string, result: Record<string, unknown>): void {
  const dir = path.resolve(__dirname, "../../test-results/reliability");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, `${name}.json`),
    `${JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2)}\n`,
  );
}

/** The part of an expectation that concerns these mailboxes only. */
export function restrict(e: Expected, oids: readonly string[]): Expected {
  const keep = new Set(oids);
  const engagements = new Map<string, Set<string>>();
  for (const [imid, holders] of e.engagements) {
    const h = new Set([...holders].filter((o) => keep.has(o)));
    if (h.size) engagements.set(imid, h);
  }
  return { engagements, decisions: new Map([...e.decisions].filter(([o]) => keep.has(o))) };
}

/** Both expectations at once (mailboxes disjoint or not: holder sets are united). */
export function merge(a: Expected, b: Expected): Expected {
  const engagements = new Map<string, Set<string>>();
  for (const src of [a, b])
    for (const [imid, holders] of src.engagements)
      engagements.set(imid, new Set([...(engagements.get(imid) ?? []), ...holders]));
  const decisions = new Map<string, Map<string, string>>();
  for (const src of [a, b])
    for (const [o, m] of src.decisions) decisions.set(o, new Map([...(decisions.get(o) ?? []), ...m]));
  return { engagements, decisions };
}
