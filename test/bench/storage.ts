/**
 * Item 9 — storage at size, on PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL; skipped without).
 *
 * Rows are generated in the database (INSERT … SELECT generate_series), not through Graph: a mailbox
 * receives 200 messages a day, 1 in 10 captured (an engagement with a 3 KB body, one contact link, one
 * mailbox copy, one change), the rest excluded (no_tracked_contact), one sweep per mailbox per hour.
 *
 * - Bytes on disk per message per mailbox (pg_total_relation_size: heap, TOAST and indexes) of
 *   capture_decisions, plus the captured share of engagements and their links, before (the schema up to
 *   0014) and after the compaction migration, on the same generated rows.
 * - At size: the status call's decision lookup (getDecision, the product's prepared statement) p50/p99 and
 *   the sweep's insert rate (recordCaptureBatch, 4 mailboxes at once, 50 decisions per batch) with
 *   capture_decisions empty and holding each size in BENCH_STORAGE_ROWS (default 1,000,000; quick 100,000;
 *   the 10 M figures in docs/benchmarks.md come from BENCH_STORAGE_ROWS=10000000, which takes several
 *   minutes, hence opt-in).
 * - Pruning: the retention pruner (pruneAll, default policy, batches of 1000, no pause) on the largest table,
 *   where 1 in 3 rows is an exclusion past the horizon (captured ones are only the first 100,000): rows/s, and the lookup's p99 while it runs against idle;
 *   stopped after BENCH_STORAGE_PRUNE_SECONDS (default 180; 0 = until done) once the lookups are measured.
 */
import fs from "node:fs";
import path from "node:path";
import { Migrator, sql } from "kysely";
import pg from "pg";
import { randomBytes } from "node:crypto";
import { openDatabase, type Db } from "../../server/db";
import { migrations } from "../../server/db/migrations";
import { pruneAll } from "../../server/retention/pruner";
import { DEFAULT_POLICY } from "../../server/retention/policy";
import { getDecision, recordCaptureBatch, type CaptureItem } from "../../server/store/capture-decisions";
import { log, round } from "./common";
import type { Section } from "./run";

/** The migration that compacts capture_decisions: "before" is the schema without it. */
export const COMPACTION = "0015_compact_decisions";
const MAILBOXES = 1000;
const ORGS = 10;
const PER_HOUR = 8; // ≈ 200 messages a day
const CAPTURED_EVERY = 10;
/** Tracked contacts per organization; a captured message is linked to one. */
const CONTACTS = 5000;
const BODY_MD5S = 96; // 96 × 32 hex characters ≈ 3 KB of body text
const NOW = new Date("2026-12-01T00:00:00Z");
/** Decisions are spread over the exclusions' retention horizon (SWEEP_WINDOW_HOURS 48 + 24). */
const HOURS = 72;

export interface LayoutSize {
  layout: "before" | "after";
  decisions: number;
  /** Per table: total bytes (heap + TOAST + indexes) and the indexes alone. */
  tables: Record<string, { total: number; indexes: number }>;
  /** capture_decisions' indexes, bytes each. */
  decisionIndexes: Record<string, number>;
  bytesPerDecision: number;
  /** Decision + a captured message's share (1 in 10) of its engagement, links and change. */
  bytesPerMessage: number;
}

export interface AtSize {
  rows: number;
  fillSeconds: number;
  lookupP50Ms: number;
  lookupP99Ms: number;
  insertRowsPerSecond: number;
}

export interface StorageMeasured {
  skipped: false;
  /** Said under the figures (a recorded run's caveats). */
  notes?: string[];
  sizes: LayoutSize[];
  atSize: AtSize[];
  pruning: {
    rows: number;
    rowsPerSecond: number;
    idleP99Ms: number;
    duringP99Ms: number;
    statements: number;
    /** How long it ran, and the exclusions past the horizon (1 in 3 rows): a bounded run stops before all are gone. */
    seconds?: number;
    due?: number;
  };
}

export type StorageResult =
  | {
      skipped: true;
      reason: string;
      /** The last run recorded in docs/benchmarks-storage.json (`--record`), shown when this run did not measure. */
      recorded?: StorageMeasured & { date: string; command: string };
    }
  | StorageMeasured;

/** Where `npx tsx test/bench/storage.ts --record` keeps its run, so the opt-in figures survive reports that skip it. */
export const RECORDED = path.resolve(__dirname, "../../docs/benchmarks-storage.json");

function recorded(): (StorageMeasured & { date: string; command: string }) | undefined {
  try {
    return JSON.parse(fs.readFileSync(RECORDED, "utf8")) as StorageMeasured & { date: string; command: string };
  } catch {
    return undefined;
  }
}

async function createDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `ec_bench_storage_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

async function migrate(db: Db, layout: "before" | "after"): Promise<void> {
  const chosen =
    layout === "after" ? migrations : Object.fromEntries(Object.entries(migrations).filter(([k]) => k !== COMPACTION));
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => chosen } }).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

const uuidOf = (prefix: string, expr: string) => `md5('${prefix}' || (${expr}))::uuid::text`;
const isoOf = (expr: string) => `to_char((${expr}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Organizations, mailboxes (users) and their hourly sweeps for `hours` hours. */
async function fillMailboxes(db: Db, hours: number): Promise<void> {
  await sql
    .raw(
      `insert into organizations (id, name, created_at) select ${uuidOf("o", "o")}, 'Org ' || o, '2026-01-01T00:00:00.000Z' from generate_series(0, ${ORGS - 1}) o`,
    )
    .execute(db);
  await sql
    .raw(
      `insert into users (id, organization_id, oid, email, display_name, addresses, created_at)
       select ${uuidOf("u", "u")}, ${uuidOf("o", `u % ${ORGS}`)}, ${uuidOf("oid", "u")}, 'user' || u || '@org.example', null, '[]', '2026-01-01T00:00:00.000Z'
       from generate_series(0, ${MAILBOXES - 1}) u`,
    )
    .execute(db);
  await sql
    .raw(
      `insert into contacts (id, organization_id, client_id, email, name, created_at, updated_at)
       select ${uuidOf("c", "o || '-' || k")}, ${uuidOf("o", "o")}, null, 'client' || k || '@client.example', 'Client ' || k, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'
       from generate_series(0, ${ORGS - 1}) o, generate_series(0, ${CONTACTS - 1}) k`,
    )
    .execute(db);
  await sql
    .raw(
      `insert into sweeps (id, organization_id, user_id, trigger, status, window_start, window_end, started_at, finished_at, listed, captured, excluded, excluded_by_reason, graph_requests, retries, error, listing)
       select ${uuidOf("s", "u || '-' || h")}, ${uuidOf("o", `u % ${ORGS}`)}, ${uuidOf("u", "u")}, 'schedule', 'succeeded',
         ${isoOf(`timestamptz '${NOW.toISOString()}' - (h + 49) * interval '1 hour'`)}, ${isoOf(`timestamptz '${NOW.toISOString()}' - h * interval '1 hour'`)},
         ${isoOf(`timestamptz '${NOW.toISOString()}' - h * interval '1 hour'`)}, ${isoOf(`timestamptz '${NOW.toISOString()}' - h * interval '1 hour' + interval '2 second'`)},
         ${PER_HOUR}, 1, ${PER_HOUR - 1}, '{"no_tracked_contact":7}', 2, 0, null, 'changes'
       from generate_series(0, ${hours}) h, generate_series(0, ${MAILBOXES - 1}) u`,
    )
    .execute(db);
}

/**
 * Decisions g in [from, to): mailbox g % MAILBOXES, hour g / (MAILBOXES × PER_HOUR) before NOW. With
 * `engagements`, every 10th is captured with its own engagement; without, captured ones share a pool of
 * 10,000 engagements (the at-size runs: the decision table is what is measured).
 */
async function fillDecisions(db: Db, from: number, to: number, engagements: boolean): Promise<void> {
  const perHour = MAILBOXES * PER_HOUR;
  const user = uuidOf("u", `g % ${MAILBOXES}`);
  const org = uuidOf("o", `(g % ${MAILBOXES}) % ${ORGS}`);
  const hour = `((g / ${perHour}) % ${HOURS})`;
  // One exclusion in three is past the retention horizon (decided 72 h earlier still): what pruning finds.
  const due = `case when g % 3 = 1 and g % ${CAPTURED_EVERY} <> 0 then ${HOURS} else 0 end`;
  const at = isoOf(
    `timestamptz '${NOW.toISOString()}' - (${hour} + ${due}) * interval '1 hour' - (g % 3600) * interval '1 second'`,
  );
  const engagement = engagements ? uuidOf("e", "g") : uuidOf("e", "g % 100000");
  const captured = engagements ? `g % ${CAPTURED_EVERY} = 0` : `g % ${CAPTURED_EVERY} = 0 and g < 100000`;
  if (engagements || from === 0) {
    const body = `(select string_agg(md5(g::text || '-' || k), ' ') from generate_series(1, ${engagements ? BODY_MD5S : 1}) k)`;
    await sql
      .raw(
        `insert into engagements (id, organization_id, internet_message_id, copy_fingerprint, conversation_id, subject, body_text, body_truncated, body_preview, direction, message_time, sent_at, received_at, from_address, participants, created_at)
         select ${engagement}, ${org}, '<' || md5('m' || g) || '@mail.client.example>', encode(sha256(('f' || g)::bytea), 'hex'), 'AAQkAD' || md5('c' || g),
           'Re: proposal ' || g, ${body}, 0, left(${body}, 255), 'inbound', ${at}, ${at}, ${at}, 'client' || (g % ${CONTACTS}) || '@client.example',
           '[{"address":"client' || (g % ${CONTACTS}) || '@client.example","name":"Client ' || (g % ${CONTACTS}) || '","role":"from"},{"address":"user' || (g % ${MAILBOXES}) || '@org.example","name":null,"role":"to"}]', ${at}
         from generate_series(${from}, ${engagements ? to - 1 : 99999}) g where g % ${CAPTURED_EVERY} = 0`,
      )
      .execute(db);
    await sql
      .raw(
        `insert into engagement_mailboxes (organization_id, engagement_id, user_id, graph_message_id, web_link, created_at)
         select ${org}, ${engagement}, ${user}, 'AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A' || md5('gm' || g) || md5('gn' || g), 'https://outlook.office365.com/owa/?ItemID=AAkALgAAAAAAHYQDEapmEc2byACqAC' || md5('gm' || g) || '&exvsurl=1&viewmodel=ReadMessageItem', ${at}
         from generate_series(${from}, ${engagements ? to - 1 : 99999}) g where g % ${CAPTURED_EVERY} = 0`,
      )
      .execute(db);
    if (engagements)
      await sql
        .raw(
          `insert into engagement_contacts (organization_id, engagement_id, contact_id)
           select ${org}, ${engagement}, ${uuidOf("c", `((g % ${MAILBOXES}) % ${ORGS}) || '-' || (g % ${CONTACTS})`)}
           from generate_series(${from}, ${to - 1}) g where g % ${CAPTURED_EVERY} = 0`,
        )
        .execute(db);
  }
  const sweep = uuidOf("s", `(g % ${MAILBOXES}) || '-' || ${hour}`);
  await sql
    .raw(
      `insert into capture_decisions (${(await decisionColumns(db)).join(", ")})
       select ${(await decisionColumns(db))
         .map((c) => DECISION_VALUES(user, org, at, engagement, captured, sweep)[c])
         .join(", ")}
       from generate_series(${from}, ${to - 1}) g`,
    )
    .execute(db);
}

/** The message key as the latest schema stores it (store/capture-decisions.ts messageKey); hex before 0015. */
let hexKeys = false;
const keyOf = (g: string) => {
  const digest = `sha256(('<' || md5('m' || ${g}) || '@mail.client.example>')::bytea)`;
  return hexKeys ? `encode(${digest}, 'hex')` : `rtrim(translate(encode(${digest}, 'base64'), '+/', '-_'), '=')`;
};

const DECISION_VALUES = (
  user: string,
  org: string,
  at: string,
  engagement: string,
  captured: string,
  sweep: string,
): Record<string, string> => ({
  id: "gen_random_uuid()::text",
  organization_id: org,
  user_id: user,
  message_key: keyOf("g"),
  outcome: `case when ${captured} then 'captured' else 'excluded' end`,
  reason: `case when ${captured} then null else 'no_tracked_contact' end`,
  detail: "null",
  engagement_id: `case when ${captured} then ${engagement} else null end`,
  sweep_id: sweep,
  decided_at: at,
  removed_at: "null",
  removal: "null",
});

async function decisionColumns(db: Db): Promise<string[]> {
  const r = await sql<{ columnName: string }>`
    select column_name from information_schema.columns
    where table_schema = current_schema() and table_name = 'capture_decisions' order by ordinal_position`.execute(db);
  const columns = r.rows.map((x) => x.columnName);
  hexKeys = columns.includes("id");
  return columns;
}

/**
 * Drops capture_decisions' indexes and unique key; returns what builds them again. Filling 10 M rows into
 * a random-keyed index that does not fit in memory takes far longer than building it once (the at-size
 * runs measure lookups and inserts, not how the indexes grew; the bytes item fills with indexes in place).
 */
async function dropIndexes(db: Db): Promise<() => Promise<void>> {
  const constraints = await sql<{ conname: string; def: string }>`
    select conname, pg_get_constraintdef(oid) as def from pg_constraint
    where conrelid = 'capture_decisions'::regclass and contype in ('u', 'p')`.execute(db);
  const indexes = await sql<{ indexname: string; indexdef: string }>`
    select indexname, indexdef from pg_indexes where tablename = 'capture_decisions'
      and indexname not in (select conname from pg_constraint where conrelid = 'capture_decisions'::regclass)`.execute(
    db,
  );
  for (const c of constraints.rows)
    await sql.raw(`alter table capture_decisions drop constraint ${c.conname}`).execute(db);
  for (const i of indexes.rows) await sql.raw(`drop index ${i.indexname}`).execute(db);
  return async () => {
    for (const c of constraints.rows)
      await sql.raw(`alter table capture_decisions add constraint ${c.conname} ${c.def}`).execute(db);
    for (const i of indexes.rows) await sql.raw(i.indexdef).execute(db);
  };
}

async function tableSizes(db: Db): Promise<LayoutSize["tables"]> {
  const r = await sql<{ relname: string; total: string; indexes: string }>`
    select relname, pg_total_relation_size(oid) as total, pg_indexes_size(oid) as indexes
    from pg_class where relkind = 'r' and relnamespace = current_schema()::regnamespace`.execute(db);
  return Object.fromEntries(r.rows.map((x) => [x.relname, { total: Number(x.total), indexes: Number(x.indexes) }]));
}

async function indexSizes(db: Db, table: string): Promise<Record<string, number>> {
  const r = await sql<{ indexname: string; bytes: string }>`
    select indexrelid::regclass::text as indexname, pg_relation_size(indexrelid) as bytes
    from pg_index where indrelid = ${table}::regclass`.execute(db);
  return Object.fromEntries(r.rows.map((x) => [x.indexname, Number(x.bytes)]));
}

async function measureLayout(adminUrl: string, layout: "before" | "after", decisions: number): Promise<LayoutSize> {
  const target = await createDatabase(adminUrl);
  const db = await openDatabase(target.url);
  try {
    await migrate(db, layout);
    await fillMailboxes(db, HOURS);
    await fillDecisions(db, 0, decisions, true);
    await sql`insert into engagement_changes (organization_id, sequence, engagement_id, type, occurred_at)
      select organization_id, row_number() over (partition by organization_id order by id), id, 'created', created_at from engagements`.execute(
      db,
    );
    await sql`vacuum analyze`.execute(db);
    const tables = await tableSizes(db);
    const t = (n: string) => tables[n]?.total ?? 0;
    const captured = t("engagements") + t("engagement_mailboxes") + t("engagement_contacts") + t("engagement_changes");
    return {
      layout,
      decisions,
      tables,
      decisionIndexes: await indexSizes(db, "capture_decisions"),
      bytesPerDecision: round(t("capture_decisions") / decisions, 0),
      bytesPerMessage: round((t("capture_decisions") + captured) / decisions, 0),
    };
  } finally {
    await db.destroy();
    await target.drop();
  }
}

/** `calls` lookups of random stored messages (and 1 in 4 never stored), 8 at a time. */
async function lookupLatency(db: Db, stored: number, calls: number): Promise<{ p50: number; p99: number }> {
  const keys = await sql<{ k: string; u: string; o: string }>`
    select ${sql.raw(keyOf("g"))} as k,
      md5('u' || (g % ${sql.lit(MAILBOXES)}))::uuid::text as u, md5('o' || ((g % ${sql.lit(MAILBOXES)}) % ${sql.lit(ORGS)}))::uuid::text as o
    from (select case when random() < 0.75 and ${stored} > 0 then floor(random() * ${stored})::int else -1 - floor(random() * 1000000)::int end as g
      from generate_series(1, ${calls})) s`.execute(db);
  const times: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < keys.rows.length) {
      const r = keys.rows[next++];
      const t = performance.now();
      await getDecision(db, r.o, r.u, r.k);
      times.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  times.sort((a, b) => a - b);
  const q = (p: number) => round(times[Math.min(times.length - 1, Math.floor(p * times.length))], 2);
  return { p50: q(0.5), p99: q(0.99) };
}

/** Excluded decisions for new messages, 50 per transaction, 4 mailboxes at once, for `ms`. */
async function insertRate(db: Db, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let rows = 0;
  const worker = async (w: number) => {
    const [u, o] = [
      (await sql<{ u: string }>`select md5(${`u${w}`})::uuid::text as u`.execute(db)).rows[0].u,
      (await sql<{ o: string }>`select md5(${`o${w % ORGS}`})::uuid::text as o`.execute(db)).rows[0].o,
    ];
    while (performance.now() < end) {
      const items: CaptureItem[] = Array.from({ length: 50 }, () => ({
        outcome: "excluded",
        messageKey: randomBytes(32).toString("base64url"),
        reason: "no_tracked_contact",
      }));
      await db.transaction().execute((trx) => recordCaptureBatch(trx, o, u, null, items, NOW));
      rows += items.length;
    }
  };
  const t = performance.now();
  await Promise.all([0, 1, 2, 3].map(worker));
  return round(rows / ((performance.now() - t) / 1000), 0);
}

async function measureAtSizes(
  adminUrl: string,
  sizes: number[],
  quick: boolean,
): Promise<{ atSize: AtSize[]; pruning: Extract<StorageResult, { skipped: false }>["pruning"] }> {
  const target = await createDatabase(adminUrl);
  const db = await openDatabase(target.url);
  const calls = quick ? 2000 : 20000;
  const insertMs = quick ? 3000 : 15000;
  const out: AtSize[] = [];
  try {
    await migrate(db, "after");
    const largest = Math.max(...sizes);
    await fillMailboxes(db, HOURS);
    let filled = 0;
    for (const rows of [0, ...sizes]) {
      const t = performance.now();
      const rebuild = rows > filled ? await dropIndexes(db) : null;
      for (let from = filled; from < rows; from += 1_000_000) {
        await fillDecisions(db, from, Math.min(rows, from + 1_000_000), false);
        log(`storage: ${Math.min(rows, from + 1_000_000).toLocaleString("en")} decisions`);
      }
      await rebuild?.();
      filled = rows;
      await sql`vacuum analyze capture_decisions`.execute(db);
      const fillSeconds = round((performance.now() - t) / 1000);
      // Warm-up (discarded): the pool's connections, prepared statements and the first pages in cache.
      await lookupLatency(db, rows, 500);
      await insertRate(db, 1000);
      const l = await lookupLatency(db, rows, calls);
      const insertRowsPerSecond = await insertRate(db, insertMs);
      out.push({ rows, fillSeconds, lookupP50Ms: l.p50, lookupP99Ms: l.p99, insertRowsPerSecond });
      log(`storage: ${rows} rows: lookup p99 ${l.p99} ms, insert ${insertRowsPerSecond}/s`);
    }
    const idle = await lookupLatency(db, largest, calls);
    // At 50 M rows the 15 M due take the pruner over 20 minutes: a bounded run measures the same rate.
    const limitSeconds = Number(process.env.BENCH_STORAGE_PRUNE_SECONDS ?? (quick ? 0 : 180));
    const stop = new AbortController();
    const t = performance.now();
    const pruning = pruneAll(db, {
      policy: DEFAULT_POLICY(48),
      batchSize: 1000,
      batchPauseMs: 0,
      now: NOW,
      signal: stop.signal,
    });
    const during = await lookupLatency(db, largest, calls);
    if (limitSeconds > 0) {
      const left = limitSeconds * 1000 - (performance.now() - t);
      if (left > 0) await Promise.race([pruning, new Promise((r) => setTimeout(r, left))]);
      stop.abort();
    }
    const counts = await pruning;
    const seconds = (performance.now() - t) / 1000;
    return {
      atSize: out,
      pruning: {
        rows: counts.excludedDecisions,
        rowsPerSecond: round(counts.excludedDecisions / seconds, 0),
        idleP99Ms: idle.p99,
        duringP99Ms: during.p99,
        statements: counts.statements,
        seconds: round(seconds),
        due: Math.round(largest / 3),
      },
    };
  } finally {
    await db.destroy();
    await target.drop();
  }
}

export async function runStorage(opts: {
  quick: boolean;
  databaseUrl: string | null;
  optedIn?: boolean;
}): Promise<StorageResult> {
  if (!opts.optedIn && process.env.BENCH_STORAGE !== "1" && !process.env.BENCH_STORAGE_ROWS)
    return {
      skipped: true,
      reason:
        "opt-in (it fills PostgreSQL with millions of rows: about 25 minutes at 1 M + 10 M rows here): BENCH_STORAGE=1 or --only 9",
      recorded: recorded(),
    };
  if (!opts.databaseUrl)
    return { skipped: true, reason: "no PostgreSQL: set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to an admin URL" };
  const sizeRows = Number(process.env.BENCH_STORAGE_LAYOUT_ROWS ?? (opts.quick ? 200_000 : 1_000_000));
  const sizes: LayoutSize[] = [];
  // BENCH_STORAGE_LAYOUT_ROWS=0 skips the before/after sizes (only the at-size runs, e.g. to repeat a baseline).
  for (const layout of sizeRows > 0 ? (["before", "after"] as const) : []) {
    sizes.push(await measureLayout(opts.databaseUrl, layout, sizeRows));
    log(`storage: ${layout}: ${sizes[sizes.length - 1].bytesPerMessage} bytes per message`);
  }
  const atSizes = (process.env.BENCH_STORAGE_ROWS ?? (opts.quick ? "100000" : "1000000"))
    .split(",")
    .map(Number)
    .filter((n) => Number.isSafeInteger(n) && n > 0);
  const { atSize, pruning } = await measureAtSizes(opts.databaseUrl, atSizes, opts.quick);
  return { skipped: false, sizes, atSize, pruning };
}

if (require.main === module) {
  runStorage({
    optedIn: true,
    quick: process.argv.includes("--quick"),
    databaseUrl: process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || null,
  }).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      if (process.argv.includes("--record") && !r.skipped) {
        const command = `BENCH_STORAGE_ROWS=${process.env.BENCH_STORAGE_ROWS ?? "1000000"} npx tsx test/bench/storage.ts --record`;
        fs.writeFileSync(RECORDED, `${JSON.stringify({ date: new Date().toISOString(), command, ...r }, null, 2)}\n`);
      }
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const n = (x: number) => x.toLocaleString("en-US");

/** Item 9 of docs/benchmarks.md. */
export function renderStorage(section: Section<StorageResult>): string[] {
  const out = ["## 9. Storage at size (PostgreSQL)", ""];
  if (!section.ok)
    return [
      ...out,
      section.seconds === 0 ? "_Not run in this invocation (`--only`)._" : `_This section failed: ${section.error}_`,
      "",
    ];
  let r: StorageMeasured;
  if (section.result.skipped) {
    const last = section.result.recorded;
    if (!last) return [...out, `_Skipped: ${section.result.reason}._`, ""];
    out.push(
      `_Not measured in this run (${section.result.reason}). The figures below are the run recorded on ${last.date.slice(0, 10)} by \`${last.command}\` (docs/benchmarks-storage.json)._`,
      "",
    );
    r = last;
  } else r = section.result;
  const [before, after] = r.sizes;
  if (before && after) out.push(...renderSizes(before, after));
  out.push(
    "At size (schema after compaction; indexes rebuilt after each fill). Lookup = the status call's stored-decision query (`getDecision`, the product's prepared statement), 8 at a time, 3 in 4 for stored messages and 1 in 4 for messages never stored. Insert = `recordCaptureBatch` of 50 new exclusions per transaction, 4 mailboxes at once (a sweep's write path).",
    "",
    "| rows in capture_decisions | fill time | lookup p50 | lookup p99 | sweep inserts / s |",
    "|---|---|---|---|---|",
    ...r.atSize.map(
      (a) =>
        `| ${n(a.rows)}${a.rows === 0 ? " (baseline)" : ""} | ${a.fillSeconds} s | ${a.lookupP50Ms} ms | ${a.lookupP99Ms} ms | ${n(a.insertRowsPerSecond)} |`,
    ),
    "",
    `Pruning (the retention pruner, default policy, batches of 1,000, no pause) on the largest table${r.pruning.due && r.pruning.seconds && r.pruning.rows < r.pruning.due ? ` (stopped after ${r.pruning.seconds} s, BENCH_STORAGE_PRUNE_SECONDS, of ${n(r.pruning.due)} exclusions due)` : ""}: **${n(r.pruning.rows)} exclusions in ${n(r.pruning.statements)} statements, ${n(r.pruning.rowsPerSecond)} rows/s**; the lookup's p99 **${r.pruning.duringP99Ms} ms while it ran** against ${r.pruning.idleP99Ms} ms idle just before.`,
    "",
    ...(r.notes ?? []).flatMap((note) => [note, ""]),
  );
  return out;
}

function renderSizes(before: LayoutSize, after: LayoutSize): string[] {
  return [
    `Rows generated in PostgreSQL (INSERT … SELECT generate_series; test/bench/storage.ts), not through Graph: ${n(MAILBOXES)} mailboxes in ${ORGS} organizations, ${PER_HOUR} messages per mailbox per hour (≈ 200 a day), 1 in ${CAPTURED_EVERY} captured (an engagement with a ≈ 3 KB body, one contact link, one mailbox copy with Graph id and web link, one change), the rest excluded; decisions spread over the ${HOURS} h the default retention keeps exclusions. Sizes are pg_total_relation_size (heap, TOAST, indexes) after VACUUM ANALYZE, on ${n(before.decisions)} decisions filled with the indexes in place (so they grew as in production).`,
    "",
    "| | before (schema up to 0014) | after 0015_compact_decisions | change |",
    "|---|---|---|---|",
    `| capture_decisions, bytes per decision | ${before.bytesPerDecision} | ${after.bytesPerDecision} | ${Math.round((after.bytesPerDecision / before.bytesPerDecision - 1) * 100)}% |`,
    `| … of which indexes | ${Math.round(before.tables.capture_decisions.indexes / before.decisions)} | ${Math.round(after.tables.capture_decisions.indexes / after.decisions)} | |`,
    `| **bytes per message per mailbox** (decision + 1/${CAPTURED_EVERY} of engagement, links, change) | **${before.bytesPerMessage}** | **${after.bytesPerMessage}** | ${Math.round((after.bytesPerMessage / before.bytesPerMessage - 1) * 100)}% |`,
    `| sweeps, bytes per mailbox-hour | ${Math.round(before.tables.sweeps.total / (MAILBOXES * (HOURS + 1)))} | ${Math.round(after.tables.sweeps.total / (MAILBOXES * (HOURS + 1)))} | |`,
    "",
    `capture_decisions' indexes (bytes per decision), before: ${Object.entries(before.decisionIndexes)
      .map(([k, v]) => `${k} ${Math.round(v / before.decisions)}`)
      .join(", ")}; after: ${Object.entries(after.decisionIndexes)
      .map(([k, v]) => `${k} ${Math.round(v / after.decisions)}`)
      .join(", ")}. Tables: ${Object.entries(after.tables)
      .filter(([, v]) => v.total > 1e6)
      .map(([k, v]) => `${k} ${mb(v.total)}`)
      .join(", ")} (after).`,
    "",
  ];
}
