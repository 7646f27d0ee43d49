/**
 * Sweeps (issue 6):
 * - POST /api/sweeps — sweep my mailbox now. Answers 202 with the sweep as it starts (status
 *   "running"; the pane follows it through GET /api/sweeps or /api/me) — or the sweep already running
 *   for this mailbox, which is never started twice. `?wait=true` waits for the end and answers 200 with
 *   the finished sweep (CLI-like callers and tests). 409 not_connected / reauth_required when the
 *   mailbox cannot be read.
 * - GET /api/sweeps?limit=N — my recent sweeps, newest first, with counts and errors.
 * - POST /api/messages/capture — the pane's "Capture now": fetch this message by its REST/immutable id,
 *   decide it by the rules, store the decision (and engagement); answers the same shape as
 *   POST /api/messages/status.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { Page, SweepView } from "../../../shared/api/contract";
import { NotConnectedError, ReauthRequiredError } from "../../identity/errors";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { ApiError, notAvailable } from "../errors";
import { messageStatus } from "../message-status";
import { jsonBody, query } from "../request";

const sweepNowQuery = z.strictObject({ wait: z.enum(["true", "false", "1", "0"]).optional() });
const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) });
const captureSchema = z.strictObject({
  restItemId: z.string().trim().min(1).max(2000),
  /** What Office.js says; the answer describes the message Graph returned for restItemId. */
  internetMessageId: z.string().trim().min(1).max(2000).optional(),
});

/** The connection's state as an API error, or rethrow. */
function connectionError(err: unknown): never {
  if (err instanceof NotConnectedError) throw new ApiError(409, "not_connected", "Your mailbox is not connected. Connect Microsoft 365 first.");
  if (err instanceof ReauthRequiredError) throw new ApiError(409, "reauth_required", `Reconnect your mailbox: ${err.message}`);
  throw err;
}

export function sweepRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const sweeps = deps.sweeps;
  if (!sweeps?.sweepNow || !sweeps.recentSweeps || !sweeps.captureMessage) {
    app.on(["GET", "POST"], "/sweeps", notAvailable("Sweeping"));
    app.post("/messages/capture", notAvailable("Capture now"));
    return app;
  }
  const { sweepNow, recentSweeps, captureMessage } = sweeps as Required<typeof sweeps>;

  app.post("/sweeps", async (c) => {
    const { wait } = query(c, sweepNowQuery);
    const started = await sweepNow(c.get("orgId"), c.get("userId"), "manual").catch(connectionError);
    if (wait === "true" || wait === "1") return c.json<SweepView>(await started.done, 200);
    return c.json<SweepView>(started.sweep, 202);
  });

  app.get("/sweeps", async (c) => {
    const { limit } = query(c, listQuery);
    const body: Page<SweepView> = { items: await recentSweeps(c.get("orgId"), c.get("userId"), limit), nextCursor: null };
    return c.json(body);
  });

  app.post("/messages/capture", async (c) => {
    const body = await jsonBody(c, captureSchema);
    const orgId = c.get("orgId");
    const userId = c.get("userId");
    const outcome = await captureMessage(orgId, userId, body.restItemId).catch(connectionError);
    const m = outcome.message;
    return c.json(
      await messageStatus(deps, orgId, userId, {
        internetMessageId: m.internetMessageId,
        from: m.from,
        to: m.to,
        cc: m.cc,
        sentDateTime: m.sentDateTime,
        receivedDateTime: m.receivedDateTime,
        itemClass: m.itemClass,
        restItemId: body.restItemId,
      }),
    );
  });
  return app;
}
