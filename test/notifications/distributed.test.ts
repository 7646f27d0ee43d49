/**
 * Change notifications in distributed mode: PostgreSQL, an API process that makes no Graph request for
 * notifications (captures are queued jobs; subscriptions are created and renewed by the workers' tick),
 * two workers (suite.ts).
 */
import { startNotifyHarness } from "./harness";
import { notificationSuite } from "./suite";

const PG = process.env.TEST_DATABASE_URL;
const suite = PG ? describe : describe.skip;

suite(
  PG
    ? "change notifications, distributed (PostgreSQL, two workers)"
    : "change notifications, distributed (skipped: TEST_DATABASE_URL is not set)",
  () => notificationSuite(() => startNotifyHarness({ postgres: PG })),
);
