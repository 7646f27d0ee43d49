/**
 * `npm run bench` — measures the product on this machine and writes docs/benchmarks.md and
 * docs/benchmarks.json. Every figure is a ratio of two things measured side by side in the same run.
 *
 *   npm run bench                      full run (several minutes)
 *   npm run bench -- --quick           small sizes, short runs (the test suite runs this)
 *   npm run bench -- --out <dir>       write the two files elsewhere (default docs/)
 *   npm run bench -- --only 1,4        some sections only (the others are reported as not run); 6 = freshness
 *   npm run bench -- --only 4 --keep  measure some sections, keep the others from the existing benchmarks.json
 *   npm run bench -- --render <json>   rewrite the .md beside a benchmarks.json without measuring again
 * PostgreSQL for items 3 and 6: BENCH_DATABASE_URL (or TEST_DATABASE_URL), an admin URL; without it they are skipped.
 * Item 6 (storage at size) runs only when asked: BENCH_STORAGE=1 or --only 6 (BENCH_STORAGE_ROWS sets its sizes).
 */
import fs from "node:fs";
import path from "node:path";
import { log, machineInfo, type MachineInfo } from "./common";
import { runDistributed, type DistributedResult } from "./distributed";
import { runFreshness, type FreshnessResult } from "./freshness";
import { runHistory, type HistoryResult } from "./history";
import { runPane, type PaneResult } from "./pane";
import { renderMarkdown } from "./report";
import { runRuleChange, type RuleChangeResult } from "./rule-change";
import { runStatusApi, type StatusApiResult } from "./status-api";
import { runStorage, type StorageResult } from "./storage";
import { runThroughput, type ThroughputResult } from "./throughput";
import { runTraffic, type TrafficResult } from "./traffic";
import { runWebhooks, type WebhooksResult } from "./webhooks";

export type Section<T> =
  | { ok: true; seconds: number; result: T; /** set when kept from an earlier run by --keep */ measuredOn?: string }
  | { ok: false; seconds: number; error: string }
  | { ok: false; seconds: 0; error: "not run (--only)" };

export interface BenchReport {
  quick: boolean;
  machine: MachineInfo;
  command: string;
  totalSeconds: number;
  traffic: Section<TrafficResult>;
  throughput: Section<ThroughputResult>;
  distributed: Section<DistributedResult>;
  statusApi: Section<StatusApiResult>;
  pane: Section<PaneResult>;
  history?: Section<HistoryResult>;
  ruleChange?: Section<RuleChangeResult>;
  webhooks?: Section<WebhooksResult>;
  /** Item 9, opt-in (BENCH_STORAGE=1 or --only 9): absent from reports written before it existed. */
  storage?: Section<StorageResult>;
  freshness?: Section<FreshnessResult>;
}

export const SECTIONS = [
  "traffic",
  "throughput",
  "distributed",
  "statusApi",
  "pane",
  "history",
  "ruleChange",
  "webhooks",
  "storage",
  "freshness",
] as const;

export interface BenchOptions {
  quick: boolean;
  outDir: string;
  only?: number[];
  /** With --only: sections not run keep their result from the benchmarks.json already in outDir. */
  keep?: boolean;
  databaseUrl?: string | null;
}

async function section<T>(n: number, only: number[] | undefined, fn: () => Promise<T>): Promise<Section<T>> {
  if (only && !only.includes(n)) return { ok: false, seconds: 0, error: "not run (--only)" };
  const t = performance.now();
  try {
    const result = await fn();
    return { ok: true, seconds: Math.round((performance.now() - t) / 100) / 10, result };
  } catch (err) {
    log(`section ${n} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return {
      ok: false,
      seconds: Math.round((performance.now() - t) / 100) / 10,
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

export async function runBench(o: BenchOptions): Promise<{ report: BenchReport; mdPath: string; jsonPath: string }> {
  const t0 = performance.now();
  const quick = o.quick;
  const databaseUrl =
    o.databaseUrl === undefined
      ? process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || null
      : o.databaseUrl;
  const machine = machineInfo();
  const traffic = await section(1, o.only, () => runTraffic({ quick }));
  const throughput = await section(2, o.only, () => runThroughput({ quick }));
  const distributed = await section(3, o.only, () => runDistributed({ quick, databaseUrl }));
  const statusApi = await section(4, o.only, () => runStatusApi({ quick }));
  const pane = await section(5, o.only, () => runPane({ quick }));
  const history = await section(6, o.only, () => runHistory({ quick, databaseUrl }));
  const ruleChange = await section(7, o.only, () => runRuleChange({ quick }));
  const webhooks = await section(8, o.only, () => runWebhooks({ quick }));
  const storage = await section(9, o.only, () => runStorage({ quick, databaseUrl, optedIn: !!o.only?.includes(9) }));
  const freshness = await section(10, o.only, () => runFreshness({ quick }));
  const report: BenchReport = {
    quick,
    machine,
    command: benchCommand(o),
    totalSeconds: Math.round((performance.now() - t0) / 1000),
    traffic,
    throughput,
    distributed,
    statusApi,
    pane,
    history,
    ruleChange,
    webhooks,
    storage,
    freshness,
  };
  fs.mkdirSync(o.outDir, { recursive: true });
  const jsonPath = path.join(o.outDir, "benchmarks.json");
  if (o.keep && fs.existsSync(jsonPath))
    keepEarlier(report, JSON.parse(fs.readFileSync(jsonPath, "utf8")) as BenchReport);
  const mdPath = path.join(o.outDir, "benchmarks.md");
  fs.writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(mdPath, renderMarkdown(report));
  return { report, mdPath, jsonPath };
}

function benchCommand(o: BenchOptions): string {
  const args = [o.quick ? "--quick" : "", o.only ? `--only ${o.only.join(",")}` : "", o.keep ? "--keep" : ""];
  const tail = args.filter(Boolean).join(" ");
  return `npm run bench${tail ? ` -- ${tail}` : ""}`;
}

/**
 * A full run takes about 17 minutes; re-measuring one section after a change to it should not
 * cost the others. Each kept section remembers the date it was measured on, and the report says so.
 */
function keepEarlier(report: BenchReport, earlier: BenchReport): void {
  const target = report as unknown as Record<string, Section<unknown> | undefined>;
  const source = earlier as unknown as Record<string, Section<unknown> | undefined>;
  for (const name of SECTIONS) {
    const now = target[name];
    const before = source[name];
    if (!now || now.ok || now.seconds !== 0 || !before?.ok) continue;
    target[name] = { ...before, measuredOn: before.measuredOn ?? earlier.machine.date.slice(0, 10) };
  }
}

function parseArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = { quick: false, outDir: path.resolve(__dirname, "../../docs") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") o.quick = true;
    else if (a === "--out") o.outDir = path.resolve(argv[++i]);
    else if (a === "--only") o.only = argv[++i].split(",").map(Number);
    else if (a === "--keep") o.keep = true;
    else if (a === "--help" || a === "-h") {
      process.stdout.write("npm run bench [-- --quick] [--out <dir>] [--only 1,4 [--keep]]\n");
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function renderOnly(jsonPath: string): void {
  const report = JSON.parse(fs.readFileSync(jsonPath, "utf8")) as BenchReport;
  const mdPath = path.join(path.dirname(jsonPath), "benchmarks.md");
  fs.writeFileSync(mdPath, renderMarkdown(report));
  process.stdout.write(
    `Wrote ${path.relative(process.cwd(), mdPath)} from ${path.relative(process.cwd(), jsonPath)}.\n`,
  );
}

if (require.main === module && process.argv[2] === "--render") {
  renderOnly(path.resolve(process.argv[3] ?? path.resolve(__dirname, "../../docs/benchmarks.json")));
} else if (require.main === module) {
  runBench(parseArgs(process.argv.slice(2))).then(
    ({ report, mdPath, jsonPath }) => {
      const failed = SECTIONS.filter((s) => report[s] && !report[s].ok && report[s].seconds !== 0);
      process.stdout.write(
        `Wrote ${path.relative(process.cwd(), mdPath)} and ${path.relative(process.cwd(), jsonPath)} in ${report.totalSeconds} s.\n`,
      );
      if (failed.length) {
        process.stderr.write(`Sections that failed: ${failed.join(", ")}\n`);
        process.exit(1);
      }
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
