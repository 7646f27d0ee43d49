/**
 * Distributed disconnect's `subscription-delete` job on its own: the API side waits for a worker to run
 * it, and goes on (answering false) when none does within the wait — a disconnect never hangs on the queue.
 * End to end (the emulator's subscription deleted, the API process making no Graph call): suite.ts.
 */
import { createLogger } from "../../server/logger";
import { startSweepQueue, type SweepQueue } from "../../server/sweep-queue/queue";
import { registerUnsubscribeJob, requestUnsubscribe } from "../../server/sweep-queue/unsubscribe-job";
import { openPostgresTestDatabase, type TestDatabase } from "../db/databases";

const PG = process.env.TEST_DATABASE_URL;
const suite = PG ? describe : describe.skip;
const logger = createLogger("silent");

suite("subscription-delete jobs (PostgreSQL)", () => {
  jest.setTimeout(60_000);
  let database: TestDatabase;
  let api: SweepQueue;
  let worker: SweepQueue;
  beforeAll(async () => {
    database = await openPostgresTestDatabase(PG!);
    api = await startSweepQueue({ connectionString: database.url, logger, supervise: false });
    worker = await startSweepQueue({ connectionString: database.url, logger, supervise: false });
  });
  afterAll(async () => {
    await api?.stop({ graceful: false });
    await worker?.stop({ graceful: false });
    await database?.close();
  });

  test("with no worker, the disconnect waits only as long as it is told to", async () => {
    const started = Date.now();
    expect(await requestUnsubscribe(api, { organizationId: "o", userId: "nobody" }, { logger, waitMs: 500 })).toBe(
      false,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test("a worker runs the deletion for the named mailbox, and the API side sees it finished", async () => {
    const removed: string[] = [];
    const registered = await registerUnsubscribeJob(
      worker,
      async (organizationId, userId) => void removed.push(`${organizationId}/${userId}`),
      logger,
    );
    try {
      expect(await requestUnsubscribe(api, { organizationId: "org-1", userId: "dana" }, { logger })).toBe(true);
      expect(removed).toContain("org-1/dana");
    } finally {
      await registered.stop();
    }
  });
});
