/**
 * Sweeps:
 * - POST /api/sweeps — sweep my mailbox now. Answers 202 with the sweep as it starts (status
 *   "running"; the pane follows it through GET /api/sweeps or /api/me) — or the sweep already running
 *   for this mailbox, which is never started twice — or, in distributed mode when no worker runs it
 *   yet, the queued job and what it waits for. `?wait=true` waits for the end, wherever the sweep runs,
 *   and answers 200 with the finished sweep (at most WAIT_LIMIT_MS; then as without wait). 409
 *   not_connected / reauth_required when the mailbox cannot be read.
 * - GET /api/sweeps?limit=N — my recent sweeps, newest first, with counts and errors.
 * - POST /api/messages/capture — the pane's "Capture now": fetch this message by its REST/immutable id,
 *   decide it by the rules, store the decision (and engagement); answers the same shape as
 *   POST /api/messages/status.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { Page, SweepQueuedView, SweepView } from "../../../shared/api/contract";
import { NotConnectedError, ReauthRequiredError } from "../../identity/errors";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { ApiError } from "../errors";
import { messageStatus } from "../message-status";
import { JSON_ERRORS, STANDARD, createRoute, err, json, jsonRequest, mountApi } from "../operations";
import { jsonBody, query } from "../request";
import {
  captureNowSchema,
  messageStatusResponseSchema,
  pageOf,
  sweepListQuery,
  sweepNowQuery,
  sweepQueuedSchema,
  sweepViewSchema,
} from "../../../shared/api/schemas";
import { tokenSourceError } from "../../graph/client";

/** `?wait=true` answers within this; a sweep still running then is answered as without wait. */
export const WAIT_LIMIT_MS = 10 * 60_000;

const sweepNowOp = createRoute({
  method: "post",
  path: "/api/sweeps",
  operationId: "sweepNow",
  tags: ["sweeps"],
  summary: "Sweep the caller's mailbox now",
  description:
    "Answers at once with the sweep as it starts (status running), or with the sweep already running for this mailbox, which is " +
    "never started twice. In distributed mode, when no worker runs it yet, answers with the queued job (status queued): waiting " +
    "for a free worker, or for another worker to take over from one that stopped mid-sweep. With `wait=true` the answer waits for " +
    "the sweep to end wherever it runs, at most 10 minutes. 409 not_connected or reauth_required when the mailbox cannot be read.",
  request: { query: sweepNowQuery },
  responses: {
    "202": json(
      z.union([sweepViewSchema, sweepQueuedSchema]),
      "Accepted: the sweep as it starts, the one already running, or the queued job",
    ),
    "200": json(sweepViewSchema, "With wait=true: the finished sweep"),
    ...STANDARD,
    "409": err("Conflict"),
  },
});
const listOp = createRoute({
  method: "get",
  path: "/api/sweeps",
  operationId: "listSweeps",
  tags: ["sweeps"],
  summary: "The caller's recent sweeps with counts and errors, newest first",
  description: "The most recent `limit` sweeps in one page (nextCursor is always null).",
  request: { query: sweepListQuery },
  responses: { "200": json(pageOf(sweepViewSchema)), ...STANDARD },
});
const captureOp = createRoute({
  method: "post",
  path: "/api/messages/capture",
  operationId: "captureNow",
  tags: ["messages"],
  summary: "Capture now: fetch this one message by its REST/immutable id, decide, store",
  description:
    "Answers the message's status after deciding, describing the message Graph returned for restItemId. 404 when the mailbox has no " +
    "such message; 409 not_connected or reauth_required when the mailbox cannot be read.",
  request: { body: jsonRequest(captureNowSchema) },
  responses: {
    "200": json(messageStatusResponseSchema),
    ...STANDARD,
    ...JSON_ERRORS,
    "404": err("NotFound"),
    "409": err("Conflict"),
  },
});

export const sweepOperations = [sweepNowOp, listOp, captureOp];

/** The connection's state as an API error, or rethrow. */
function connectionError(thrown: unknown): never {
  // A token refused while Graph was being called comes back through the Graph SDK.
  const err = tokenSourceError(thrown);
  if (err instanceof NotConnectedError)
    throw new ApiError(409, "not_connected", "Your mailbox is not connected. Connect Microsoft 365 first.");
  if (err instanceof ReauthRequiredError)
    throw new ApiError(409, "reauth_required", `Reconnect your mailbox: ${err.message}`);
  throw err;
}

export function sweepRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { requestSweep, recentSweeps, captureMessage } = deps.sweeps;

  mountApi(app, sweepNowOp, async (c) => {
    const { wait } = query(c, sweepNowQuery);
    const request = await requestSweep(c.get("orgId"), c.get("userId")).catch(connectionError);
    if (wait === "true" || wait === "1") {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), WAIT_LIMIT_MS)));
      const finished = await Promise.race([request.done(), timeout]).finally(() => clearTimeout(timer));
      if (finished) return c.json<SweepView>(finished, 200);
    }
    if (request.kind === "queued") return c.json<SweepQueuedView>(request.queued, 202);
    return c.json<SweepView>(request.sweep, 202);
  });

  mountApi(app, listOp, async (c) => {
    const { limit } = query(c, sweepListQuery);
    const body: Page<SweepView> = {
      items: await recentSweeps(c.get("orgId"), c.get("userId"), limit),
      nextCursor: null,
    };
    return c.json(body);
  });

  mountApi(app, captureOp, async (c) => {
    const body = await jsonBody(c, captureNowSchema);
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
