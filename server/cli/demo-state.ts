/**
 * What the demo keeps between starts. The product's database (SQLite under DATA_DIR) is the users': the demo
 * organization is seeded into it once, and what people do afterwards — tracked and untracked contacts,
 * clients, blocklist changes, removed engagements, disconnected mailboxes — stays. The emulator is Microsoft's
 * side and starts afresh each time (its mailboxes and grants are re-created), so mailboxes that were connected
 * are connected again at start; a disconnected one stays disconnected.
 *
 * A fresh demo: `npm start -- --fresh-demo`, DEMO_RESET=1, or delete the data folder.
 */
import fs from "node:fs";
import path from "node:path";
import type { Config } from "../config";

export const FRESH_DEMO_FLAG = "--fresh-demo";
const MARKER = "demo-seeded.json";

/** `--fresh-demo` on the command line, or DEMO_RESET=1 (config.ts). */
export function freshDemoRequested(argv: readonly string[], config: Pick<Config, "demoReset">): boolean {
  return argv.includes(FRESH_DEMO_FLAG) || config.demoReset === true;
}

/** The SQLite database's files (the database, its WAL and shared-memory files, a rollback journal). */
function sqliteFiles(databaseUrl: string): string[] {
  return ["", "-wal", "-shm", "-journal"].map((suffix) => `${databaseUrl}${suffix}`);
}

export interface DemoData {
  /** The demo organization was seeded into this database before: do not seed it again. */
  seeded: boolean;
  /** Call once the organization is seeded. */
  markSeeded(): void;
  /** What was reset, for the start-up output (null when nothing was). */
  reset: string | null;
}

/**
 * Before the server opens the database: on a fresh demo, delete the SQLite database (never a PostgreSQL one:
 * that is the operator's to drop). Seeded means the marker exists and so does the database it was written for.
 */
export function prepareDemoData(
  config: Pick<Config, "dataDir" | "databaseUrl" | "databaseKind">,
  fresh: boolean,
): DemoData {
  const marker = path.join(config.dataDir, MARKER);
  let reset: string | null = null;
  if (fresh) {
    if (config.databaseKind === "sqlite") {
      for (const f of sqliteFiles(config.databaseUrl)) fs.rmSync(f, { force: true });
      reset = `deleted ${config.databaseUrl}`;
    } else {
      reset = "PostgreSQL is not reset by the demo: drop its database yourself for a fresh demo";
    }
    fs.rmSync(marker, { force: true });
  }
  const databaseThere = config.databaseKind !== "sqlite" || fs.existsSync(config.databaseUrl);
  let seeded: boolean;
  try {
    const written = JSON.parse(fs.readFileSync(marker, "utf8")) as { databaseUrl?: unknown };
    seeded = databaseThere && written.databaseUrl === config.databaseUrl;
  } catch {
    seeded = false;
  }
  return {
    seeded,
    reset,
    markSeeded: () =>
      fs.writeFileSync(
        marker,
        `${JSON.stringify({ databaseUrl: config.databaseUrl, seededAt: new Date().toISOString() })}\n`,
        { mode: 0o600 },
      ),
  };
}
