/**
 * `npm run sweep -- --user <email> [--org <tenant id>] [--ca <pem file>] [--full]`: sweep one mailbox now from the
 * command line, with a live progress line (listed / decided / stored), using the configured database and
 * identity (the connect service supplies the user's token, exactly as for the hourly sweep).
 * --ca trusts an extra certificate authority for outbound HTTPS (e.g. the demo emulator's
 * data/certs/ca.crt when GRAPH_BASE_URL and ENTRA_* point at it). --full re-reads the whole window even
 * when only what changed since the last success would do (server/sweep/listing-plan.ts).
 * Exit code: 0 succeeded, 1 the sweep failed, 2 usage or configuration problem.
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { loadConfig } from "../config";
import { createLogger } from "../logger";
import { createServices } from "./compose";
import { findUsersByEmailAcrossOrganizations } from "../store/users";
import type { SweepProgress } from "../sweep/engine";

const out = (line: string) => process.stdout.write(`${line}\n`);
const fail = (line: string, code = 2): never => {
  process.stderr.write(`${line}\n`);
  process.exit(code);
};

export function progressLine(p: SweepProgress): string {
  const phase = p.phase === "folders" ? "resolving folders" : p.phase === "listing" ? "listing" : "done";
  return `  ${phase.padEnd(17)} listed ${String(p.listed).padStart(6)}   decided ${String(p.decided).padStart(6)}   stored ${String(p.stored).padStart(6)}   (captured ${p.captured}, excluded ${p.excluded})`;
}

async function main(): Promise<void> {
  let args: { user?: string; org?: string; ca?: string; full?: boolean };
  try {
    args = parseArgs({
      options: { user: { type: "string" }, org: { type: "string" }, ca: { type: "string" }, full: { type: "boolean" } },
      strict: true,
    }).values;
  } catch (e) {
    return fail(
      `${(e as Error).message}\nusage: npm run sweep -- --user <email> [--org <tenant id>] [--ca <pem file>] [--full]`,
    );
  }
  if (!args.user) return fail("usage: npm run sweep -- --user <email> [--org <tenant id>] [--ca <pem file>] [--full]");
  // Logs go to stderr at warn level unless LOG_LEVEL says otherwise, so the progress display stays readable.
  const loaded = loadConfig(process.env, { logLevel: "warn" });
  if (!loaded.ok) return fail(loaded.problems.map((p) => `config: ${p}`).join("\n"));
  const config = loaded.config;
  if (config.mode === "demo") {
    out(
      "Note: no Entra app is configured (demo mode). Point ENTRA_* and GRAPH_BASE_URL at the emulator that `npm start` runs, with --ca data/certs/ca.crt,",
    );
    out("      or use the running server's POST /api/sweeps.");
  }
  const extraCaPem = args.ca ? fs.readFileSync(args.ca, "utf8") : null;
  const logger = createLogger(config.logLevel, process.stderr as never);
  const services = await createServices({ config, extraCaPem, logger, scheduler: false });
  let code: number;
  try {
    const users = (await findUsersByEmailAcrossOrganizations(services.db, args.user)).filter(
      (u) => !args.org || u.organizationId === args.org,
    );
    if (users.length === 0)
      fail(`No user with the address ${args.user}${args.org ? ` in organization ${args.org}` : ""}.`);
    if (users.length > 1)
      fail(
        `${args.user} exists in several organizations (${users.map((u) => u.organizationId).join(", ")}): pass --org.`,
      );
    const user = users[0];
    out(`Sweeping the mailbox of ${user.email} (user ${user.id}, organization ${user.organizationId})…`);
    const tty = process.stdout.isTTY;
    let last = "";
    const started = await services.sweeps.sweepNow(user.organizationId, user.id, "cli", {
      full: args.full,
      onProgress: (p) => {
        last = progressLine(p);
        if (tty) process.stdout.write(`\r${last}`);
      },
    });
    if (started.alreadyRunning)
      out(`A sweep of this mailbox is already running (started ${started.sweep.startedAt}); waiting for it.`);
    else out(`  window ${started.sweep.windowStart} → ${started.sweep.windowEnd}`);
    const sweep = await started.done;
    if (tty) process.stdout.write("\n");
    else if (last) out(last);
    const reasons = Object.entries(sweep.excludedByReason)
      .map(([r, n]) => `${r} ${n}`)
      .join(", ");
    out(
      `Sweep ${sweep.status}: listed ${sweep.listed}, captured ${sweep.captured}, excluded ${sweep.excluded}${reasons ? ` (${reasons})` : ""}.`,
    );
    out(`  Graph requests ${sweep.graphRequests}, retries ${sweep.retries}.`);
    if (sweep.error) out(`  Error: ${sweep.error}`);
    code = sweep.status === "succeeded" ? 0 : 1;
  } catch (e) {
    process.stderr.write(`The sweep could not run: ${(e as Error).message}\n`);
    code = 1;
  } finally {
    await services.close();
  }
  process.exit(code);
}

if (require.main === module) void main();
