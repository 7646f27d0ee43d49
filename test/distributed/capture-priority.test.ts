/**
 * "Capture now" and notification-triggered captures share the `message-capture` queue; a person waits
 * on the first, nobody on the second. A burst of notified captures (any organization's) must not hold a
 * Capture now back: workers fetch it first.
 */
import { createLogger } from "../../server/logger";
import { CAPTURE_QUEUE, startSweepQueue, type SweepQueue } from "../../server/sweep-queue/queue";
import { openPostgresTestDatabase, type TestDatabase } from "../db/databases";

const PG = process.env.TEST_DATABASE_URL;
const suite = PG ? describe : describe.skip;

suite("capture queue priority (PostgreSQL)", () => {
  jest.setTimeout(60_000);
  let database: TestDatabase;
  let queue: SweepQueue;
  beforeAll(async () => {
    database = await openPostgresTestDatabase(PG!);
    queue = await startSweepQueue({ connectionString: database.url, logger: createLogger("silent"), supervise: false });
  });
  afterAll(async () => {
    await queue?.stop({ graceful: false });
    await database?.close();
  });

  test("a Capture now queued behind a burst of notified captures is fetched first", async () => {
    for (let i = 0; i < 50; i++)
      await queue.enqueueNotifiedCapture(
        { organizationId: "org-busy", userId: `u${i % 5}`, restItemId: `m${i}` },
        `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      );
    const now = await queue.enqueueCapture({ organizationId: "org-quiet", userId: "dana", restItemId: "m-now" });
    const [first] = await queue.boss.fetch<{ restItemId: string }>(CAPTURE_QUEUE, { batchSize: 1 });
    expect(first.id).toBe(now);
    // The burst then runs in arrival order.
    const [next] = await queue.boss.fetch<{ restItemId: string }>(CAPTURE_QUEUE, { batchSize: 1 });
    expect(next.data.restItemId).toBe("m0");
  });
});
