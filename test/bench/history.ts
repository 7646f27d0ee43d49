/**
 * Item 6 — history: GET /api/engagements?clientId=… (and ?contactId=…), the one call behind the pane's
 * client and person history, for a client with 10,000 engagements [quick: 1,000], on SQLite and (with
 * BENCH_DATABASE_URL or TEST_DATABASE_URL) PostgreSQL.
 *
 * Rows are inserted directly (not by sweeps): the organization holds the client's engagements (10 contacts,
 * one engagement a minute apart, in one or both of two teammates' mailboxes) and as many again of another
 * client, so the filter has something to filter. The caller is a third teammate, so every answer goes through
 * the sharing levels (the mailboxes' levels are loaded and each view redacted), as in production.
 *
 * In process: the product's app (createApp) answers app.request() with a real RS256 token verified in full,
 * so a call is routing, auth, zod, the page query, the views' queries, redaction and JSON — no TLS or sockets
 * (item 4 measures those). Calls are sequential, one at a time: the figure is one history view's latency.
 * Per database: 50 warm-up calls, then 500 [quick: 50] of each: the client's first page, the client's page
 * 100 [quick: 25] (by cursor; 20 a page), one contact's first page, and the first page of a client with 10
 * engagements older than all the others (the case a planner alone makes slow: server/store/engagement-pages.ts). Also recorded: each database's plan of the
 * client's first-page query, so a missing index shows up as a scan in docs/benchmarks.md.
 */
import { CompiledQuery } from "kysely";
import type { Db } from "../../server/db";
import { WALK_BOUND, walkQuery } from "../../server/store/engagement-pages";
import { provisionUser } from "../../server/store/users";
import { TENANT_A, createHarness, type Harness } from "../api/harness";
import { openPostgresTestDatabase, openSqliteTestDatabase, type TestDatabase } from "../db/databases";
import { log, round } from "./common";
import type { Section } from "./run";

const CLIENT_ENGAGEMENTS_FULL = 10_000;
const CALLS_FULL = 500;
const PAGE = 20;
export const HISTORY_P99_TARGET_MS = 50;

export interface LatencyResult {
  calls: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface HistoryDatabaseResult {
  database: "sqlite" | "postgres";
  clientFirstPage: LatencyResult;
  /** The page `deepPage` of the client's history, reached by cursor. */
  clientDeepPage: LatencyResult;
  deepPage: number;
  contactFirstPage: LatencyResult;
  /** A client with 10 engagements, all older than the large client's. */
  smallClientFirstPage: LatencyResult;
  /** The database's plan of the client's first-page query (EXPLAIN QUERY PLAN / EXPLAIN), one line per step. */
  plan: string[];
}

export interface HistoryResult {
  clientEngagements: number;
  otherEngagements: number;
  pageSize: number;
  databases: HistoryDatabaseResult[];
  /** Skipped databases and why (PostgreSQL without a URL). */
  skipped: string[];
  targets: { p99UnderTarget: boolean };
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))], 1);
}

/** Insert rows in slices small enough for SQLite's bound-parameter limit. */
async function insertAll<T>(db: Db, table: "engagements" | "engagementContacts" | "engagementMailboxes", rows: T[]) {
  for (let i = 0; i < rows.length; i += 400)
    await db
      .insertInto(table)
      .values(rows.slice(i, i + 400) as never)
      .execute();
}

interface Seeded {
  clientId: string;
  contactId: string;
  /** A client with 10 engagements, older than the large client's: a page not among the newest. */
  smallClientId: string;
}

/** The client's engagements and as many of another client's, two teammates' mailboxes, inserted directly. */
export async function seed(t: Harness, clientEngagements: number): Promise<Seeded> {
  const db = t.h.db;
  const now = t.clock.now().toISOString();
  const teammates: string[] = [];
  for (const name of ["lee", "sam"])
    teammates.push(
      (
        await provisionUser(
          db,
          { organizationId: TENANT_A, oid: `oid-${name}`, email: `${name}@contoso.com`, displayName: name },
          now,
        )
      ).id,
    );
  await t.call("GET", "/api/me"); // the caller (dana)
  const clientIds: string[] = [];
  const contactsOf: string[][] = [];
  for (const name of ["Acme", "Globex"]) {
    const res = await t.call("POST", "/api/clients", { body: { name } });
    const id = ((await res.json()) as { id: string }).id;
    clientIds.push(id);
    const contacts: string[] = [];
    for (let k = 0; k < 10; k++) {
      const c = await t.call("POST", "/api/contacts", {
        body: { email: `p${k}@${name.toLowerCase()}.example`, clientId: id },
      });
      contacts.push(((await c.json()) as { id: string }).id);
    }
    contactsOf.push(contacts);
  }
  const start = Date.parse("2025-01-01T00:00:00Z");
  for (let side = 0; side < 2; side++) {
    const engagements = [];
    const links = [];
    const boxes = [];
    for (let i = 0; i < clientEngagements; i++) {
      const id = `e${side}-${String(i).padStart(6, "0")}-${Math.random().toString(36).slice(2, 10)}`;
      // Both clients' mail interleaves in time, so the client filter has something to skip.
      const time = new Date(start + (i * 2 + side) * 60_000).toISOString();
      const contact = contactsOf[side][i % 10];
      engagements.push({
        id,
        organizationId: TENANT_A,
        internetMessageId: `<h${side}-${i}@bench.example>`,
        conversationId: null,
        subject: `Quarterly review ${i}`,
        bodyText: `Body of message ${i}. `.repeat(20),
        bodyPreview: `Body of message ${i}.`,
        direction: i % 3 === 0 ? "outbound" : "inbound",
        messageTime: time,
        sentAt: time,
        receivedAt: time,
        fromAddress: `p${i % 10}@bench.example`,
        participants: JSON.stringify([
          { address: `p${i % 10}@bench.example`, name: `Person ${i % 10}`, role: "from" },
          { address: "lee@contoso.com", name: "Lee", role: "to" },
        ]),
        createdAt: now,
      });
      links.push({ organizationId: TENANT_A, engagementId: id, contactId: contact });
      const owners = i % 10 === 0 ? teammates : [teammates[i % 2]];
      for (const userId of owners)
        boxes.push({
          organizationId: TENANT_A,
          engagementId: id,
          userId,
          graphMessageId: `g-${id}`,
          webLink: null,
          createdAt: now,
        });
    }
    await insertAll(db, "engagements", engagements);
    await insertAll(db, "engagementContacts", links);
    await insertAll(db, "engagementMailboxes", boxes);
  }
  const small = await t.call("POST", "/api/clients", { body: { name: "Initech" } });
  const smallClientId = ((await small.json()) as { id: string }).id;
  const smallContact = await t.call("POST", "/api/contacts", {
    body: { email: "p@initech.example", clientId: smallClientId },
  });
  const smallContactId = ((await smallContact.json()) as { id: string }).id;
  const old = Array.from({ length: 10 }, (_, i) => ({
    id: `old-${i}`,
    organizationId: TENANT_A,
    internetMessageId: `<old-${i}@bench.example>`,
    conversationId: null,
    subject: `Old ${i}`,
    bodyText: null,
    bodyPreview: null,
    direction: "inbound",
    messageTime: new Date(start - (i + 1) * 86_400_000).toISOString(),
    sentAt: null,
    receivedAt: null,
    fromAddress: "p@initech.example",
    participants: "[]",
    createdAt: now,
  }));
  await insertAll(db, "engagements", old);
  await insertAll(
    db,
    "engagementContacts",
    old.map((e) => ({ organizationId: TENANT_A, engagementId: e.id, contactId: smallContactId })),
  );
  await insertAll(
    db,
    "engagementMailboxes",
    old.map((e) => ({
      organizationId: TENANT_A,
      engagementId: e.id,
      userId: teammates[0],
      graphMessageId: `g-${e.id}`,
      webLink: null,
      createdAt: now,
    })),
  );
  return { clientId: clientIds[0], contactId: contactsOf[0][3], smallClientId };
}

async function planOf(db: Db, postgres: boolean, clientId: string): Promise<string[]> {
  await db.executeQuery(CompiledQuery.raw("analyze"));
  const q = walkQuery(db, TENANT_A, { clientId, limit: PAGE }, WALK_BOUND).compile();
  const explained = await db.executeQuery<Record<string, unknown>>(
    CompiledQuery.raw(`${postgres ? "explain" : "explain query plan"} ${q.sql}`, [...q.parameters]),
  );
  return explained.rows.map((r) => String(postgres ? r["QUERY PLAN"] : r.detail));
}

async function timeCalls(t: Harness, path: string, token: string, calls: number): Promise<LatencyResult> {
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    const res = await t.call("GET", path, { token });
    const body = await res.text();
    ms.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
  }
  ms.sort((a, b) => a - b);
  return { calls, p50Ms: quantile(ms, 0.5), p99Ms: quantile(ms, 0.99), maxMs: quantile(ms, 1) };
}

async function measureOn(
  name: "sqlite" | "postgres",
  open: () => Promise<TestDatabase>,
  clientEngagements: number,
  calls: number,
): Promise<HistoryDatabaseResult> {
  const t = await createHarness({}, {}, open);
  try {
    log(`history (${name}): inserting ${clientEngagements * 2} engagements`);
    const { clientId, contactId, smallClientId } = await seed(t, clientEngagements);
    const plan = await planOf(t.h.db, name === "postgres", clientId);
    const token = await t.token({ tid: TENANT_A, oid: "oid-dana" });
    const first = `/api/engagements?clientId=${clientId}&limit=${PAGE}`;
    let cursor = "";
    const deepPage = Math.min(100, Math.floor(clientEngagements / PAGE / 2));
    for (let p = 1; p < deepPage; p++) {
      const res = await t.call("GET", `${first}${cursor}`, { token });
      const page = (await res.json()) as { items: { visibility: { level: string } }[]; nextCursor: string | null };
      if (p === 1 && page.items[0]?.visibility.level !== "metadata")
        throw new Error("history bench: the caller should see teammates' engagements at metadata");
      if (!page.nextCursor) throw new Error(`history bench: no page ${p + 1}`);
      cursor = `&cursor=${encodeURIComponent(page.nextCursor)}`;
    }
    await timeCalls(t, first, token, 50);
    log(`history (${name}): measuring`);
    return {
      database: name,
      clientFirstPage: await timeCalls(t, first, token, calls),
      clientDeepPage: await timeCalls(t, `${first}${cursor}`, token, calls),
      deepPage,
      contactFirstPage: await timeCalls(t, `/api/engagements?contactId=${contactId}&limit=${PAGE}`, token, calls),
      smallClientFirstPage: await timeCalls(
        t,
        `/api/engagements?clientId=${smallClientId}&limit=${PAGE}`,
        token,
        calls,
      ),
      plan,
    };
  } finally {
    await t.close();
  }
}

export async function runHistory(o: { quick: boolean; databaseUrl: string | null }): Promise<HistoryResult> {
  const clientEngagements = o.quick ? 1000 : CLIENT_ENGAGEMENTS_FULL;
  const calls = o.quick ? 50 : CALLS_FULL;
  const databases = [await measureOn("sqlite", openSqliteTestDatabase, clientEngagements, calls)];
  const skipped: string[] = [];
  if (o.databaseUrl)
    databases.push(
      await measureOn("postgres", () => openPostgresTestDatabase(o.databaseUrl!), clientEngagements, calls),
    );
  else skipped.push("postgres: no BENCH_DATABASE_URL or TEST_DATABASE_URL");
  const worst = Math.max(
    ...databases.flatMap((d) => [
      d.clientFirstPage.p99Ms,
      d.clientDeepPage.p99Ms,
      d.contactFirstPage.p99Ms,
      d.smallClientFirstPage.p99Ms,
    ]),
  );
  return {
    clientEngagements,
    otherEngagements: clientEngagements,
    pageSize: PAGE,
    databases,
    skipped,
    targets: { p99UnderTarget: worst < HISTORY_P99_TARGET_MS },
  };
}

/** docs/benchmarks.md lines for this item: a summary row and a section (the report calls this, nothing else). */
export function historyMarkdown(s: Section<HistoryResult> | undefined): { summary: string[]; section: string[] } {
  const title = "## 6. History: a client's engagements, one call per page";
  if (!s || !s.ok) {
    const why =
      !s || s.error === "not run (--only)"
        ? "_Not run in this invocation (`--only`)._"
        : `_This section failed: ${s.error}_`;
    return { summary: ["| 6. History | — | — | — | — | not measured |"], section: [title, "", why, ""] };
  }
  const r = s.result;
  const summary = r.databases.map(
    (d) =>
      `| 6. History p99, client with ${r.clientEngagements.toLocaleString("en-US")} engagements (${d.database}) | ${d.clientFirstPage.p99Ms} ms (p50 ${d.clientFirstPage.p50Ms} ms) | page ${d.deepPage}: ${d.clientDeepPage.p99Ms} ms; one contact: ${d.contactFirstPage.p99Ms} ms; a 10-engagement client: ${d.smallClientFirstPage.p99Ms} ms | — | < ${HISTORY_P99_TARGET_MS} ms | ${r.targets.p99UnderTarget ? "**met**" : "**MISSED**"} |`,
  );
  const section = [
    title,
    "",
    `GET /api/engagements?clientId=…&limit=${r.pageSize}, as a teammate (every view redacted by sharing level), in process with a real token; ` +
      `the organization holds the client's ${r.clientEngagements.toLocaleString("en-US")} engagements and ${r.otherEngagements.toLocaleString("en-US")} of another client, interleaved in time, inserted directly. ` +
      "Sequential calls after 50 warm-up calls (test/bench/history.ts).",
    "",
    "| Database | Call | Calls | p50 | p99 | max |",
    "|---|---|---|---|---|---|",
    ...r.databases.flatMap((d) =>
      (
        [
          ["client, first page", d.clientFirstPage],
          [`client, page ${d.deepPage} (cursor)`, d.clientDeepPage],
          ["one contact, first page", d.contactFirstPage],
          ["a client with 10 older engagements", d.smallClientFirstPage],
        ] as const
      ).map(([name, x]) => `| ${d.database} | ${name} | ${x.calls} | ${x.p50Ms} ms | ${x.p99Ms} ms | ${x.maxMs} ms |`),
    ),
    "",
    ...r.skipped.map((x) => `Skipped: ${x}.`),
    "",
    "Query plans of the client's first page: its engagements are half the organization's, so the page is found in the newest 2,000 (server/store/engagement-pages.ts says how a small client's is found):",
    "",
    ...r.databases.flatMap((d) => [`${d.database}:`, "", "```", ...d.plan, "```", ""]),
  ];
  return { summary, section };
}
