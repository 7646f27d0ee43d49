/**
 * The backend as a real process for the crash test: configuration from the environment exactly as
 * `npm start` in production mode reads it (ENTRA_* and GRAPH_BASE_URL pointing at the test's emulator),
 * the emulator's CA from RELIABILITY_CA_FILE, a random port. Prints `READY <url>` once it listens.
 * (`npm start` itself would also build the task pane first, which this test does not need.)
 */
import fs from "node:fs";
import { loadConfig } from "../../server/config";
import { startServer } from "../../server/cli/serve";

async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  const caFile = process.env.RELIABILITY_CA_FILE;
  const server = await startServer({
    config: loaded.config,
    extraCaPem: caFile ? fs.readFileSync(caFile, "utf8") : null,
    port: 0,
  });
  process.stdout.write(`READY ${server.url}\n`);
  // The load test's trigger: SIGUSR2 = one scheduler tick as if the next hour had come (every mailbox
  // due, `concurrency` at a time); prints `SWEPT <seconds>` when those sweeps have ended.
  process.on("SIGUSR2", () => {
    const t0 = Date.now();
    void server.sweeps.scheduler
      .tick(new Date(Date.now() + 3600_000))
      .then(() => server.sweeps.scheduler.idle())
      .then(() => process.stdout.write(`SWEPT ${(Date.now() - t0) / 1000}\n`));
  });
  const stop = () => void server.close().finally(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`start-up failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
