/** Change notifications in embedded mode: SQLite, one process, the in-process capture queue (suite.ts). */
import { startNotifyHarness } from "./harness";
import { notificationSuite } from "./suite";

describe("change notifications, embedded (SQLite)", () => notificationSuite(() => startNotifyHarness()));
