/**
 * A process that sends webhook deliveries as a distributed-mode process does (createWebhooks over the
 * pg-boss queue, as server/cli/compose.ts wires it), for the kill test (killed.test.ts). Settings
 * come from the environment: DATABASE_URL, WEBHOOK_KEY (hex), RECEIVER_CA_FILE.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { systemClock } from "../../server/clock";
import { DEFAULT_WEBHOOKS } from "../../server/config";
import { openDatabase } from "../../server/db";
import { createLogger } from "../../server/logger";
import { startSweepQueue } from "../../server/sweep-queue/queue";
import { createWebhooks } from "../../server/webhooks";

async function main() {
  const url = process.env.DATABASE_URL!;
  const logger = createLogger("warn");
  const queue = await startSweepQueue({
    connectionString: url,
    logger,
    settings: { maintenanceIntervalSeconds: 1 },
  });
  const db = await openDatabase(url);
  const webhooks = createWebhooks({
    db,
    config: {
      tokenEncryptionKey: Buffer.from(process.env.WEBHOOK_KEY!, "hex"),
      dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "ec-sender-")),
      webhooks: { ...DEFAULT_WEBHOOKS, allowHosts: ["localhost"], timeoutMs: 2000, pollIntervalMs: 100 },
    },
    clock: systemClock,
    logger,
    extraCaPem: fs.readFileSync(process.env.RECEIVER_CA_FILE!, "utf8"),
    boss: queue.boss,
  });
  webhooks.runner.start();
  process.stdout.write("ready\n");
  const stop = async () => {
    await webhooks.close();
    await queue.stop();
    await db.destroy();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
