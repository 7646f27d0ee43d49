/**
 * Item 4's server process (a child of the bench, so autocannon in the parent does not share its event
 * loop): the real HTTPS server from startServer (embedded mode, SQLite, scheduler off), its JWT checks
 * pointed at the emulator running in the parent. Seeds 5,000 tracked contacts and an active mailbox
 * connection for every bench user (users themselves are provisioned by their first API call, as in
 * production).
 *
 * The status-shaped floor (bench only): POST /api/bench/status-floor on the same app, behind the same
 * /api middleware (security headers, request log, CORS, token check, rate limit, body limit) and with the
 * same body parse (jsonBody + messageStatusSchema), answering a fixed status response (one real answer,
 * given by the parent): everything a status call costs except deciding it.
 */
import crypto from "node:crypto";
import { Hono } from "hono";
import { messageStatusSchema } from "../../shared/api/schemas";
import type { AppEnv } from "../../server/api/context";
import { jsonBody } from "../../server/api/request";
import { startServer, type RunningServer } from "../../server/cli/serve";
import { createLogger } from "../../server/logger";
import { createContact } from "../../server/store/contacts";
import { saveConnection } from "../../server/store/mailbox-connections";
import { provisionUser } from "../../server/store/users";
import { productConfig, productEnv, TENANT } from "./common";
import { FLOOR_PATH } from "./status-floor";

let server: RunningServer | null = null;
let floorAnswer: object = {};

/** Mounted under /api, after the app's own /api routes: the /api middleware applies to it as to them. */
function floorRoutes(): Hono<AppEnv> {
  const floor = new Hono<AppEnv>();
  floor.post(FLOOR_PATH.slice("/api".length), async (c) => {
    await jsonBody(c, messageStatusSchema);
    return c.json(floorAnswer);
  });
  return floor;
}

async function handle(m: Record<string, unknown>): Promise<object> {
  if (m.type === "start") {
    const config = productConfig(
      productEnv(m.emulatorUrl as string, m.dir as string, {
        TOKEN_ENCRYPTION_KEY: crypto.randomBytes(32).toString("base64"),
      }),
    );
    server = await startServer({
      config,
      extraCaPem: m.caPem as string,
      port: 0,
      scheduler: false,
      logger: createLogger("silent"),
      // The per-user limit (20/s) is the product's; here a few hundred users make thousands of calls a
      // second, and a 429 is not a status answer: lifted, so every measured request is a real one.
      rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
    });
    server.app.route("/api", floorRoutes()); // before the first request: Hono builds its router then
    const now = server.clock.now();
    const dayAgo = new Date(now.getTime() - 86_400_000);
    for (const u of m.users as { id: string; mail: string; displayName: string }[]) {
      const user = await provisionUser(
        server.db,
        { organizationId: TENANT, oid: u.id, email: u.mail, displayName: u.displayName },
        now,
      );
      await saveConnection(server.db, TENANT, user.id, { homeAccountId: null, tokenCache: null }, now);
    }
    // After the first user: the organization exists.
    for (const email of m.contacts as string[]) await createContact(server.db, TENANT, { email }, dayAgo);
    return { url: server.url, caPem: server.caPem };
  }
  if (m.type === "settle") {
    // Between warm-up and measurement: collect the warm-up's garbage (the child runs with --expose-gc)
    // and let its connections close, so the measured run does not inherit either.
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { settled: true };
  }
  if (m.type === "floorAnswer") {
    floorAnswer = m.answer as object;
    return { set: true };
  }
  if (m.type === "cpu") {
    const u = process.cpuUsage();
    return { us: u.user + u.system };
  }
  if (m.type === "rss") return { rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) };
  await server?.close();
  setImmediate(() => process.exit(0));
  return { bye: true };
}

process.on("message", (raw: unknown) => {
  const m = raw as Record<string, unknown>;
  handle(m).then(
    (v) => process.send!({ type: "reply", id: m.id, ok: true, value: v }),
    (err: unknown) =>
      process.send!({ type: "reply", id: m.id, ok: false, error: err instanceof Error ? err.stack : String(err) }),
  );
});
