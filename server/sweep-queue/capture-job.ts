/**
 * "Capture now" as a job (distributed mode): the worker fetches and decides the one message, and the
 * job's output carries the outcome — or the domain error — back to the API process waiting for it.
 */
import type PgBoss from "pg-boss";
import { DomainError } from "../domain-error";
import { NotConnectedError, ReauthRequiredError } from "../identity/errors";
import type { Logger } from "../logger";
import type { SweepDeps } from "../sweep/engine";
import { describeError } from "../sweep/errors";
import { captureMessageNow, type CaptureOutcome } from "../sweep/service";
import { CAPTURE_QUEUE, parseCaptureJobData, type SweepQueue } from "./queue";

/** What a capture job's output holds. */
export type CaptureJobOutput =
  | { outcome: CaptureOutcome; worker: string }
  | { error: { code: string; message: string; retryAfterSeconds: number | null } | null; worker: string };

export interface CaptureJobDeps {
  id: string;
  queue: SweepQueue;
  sweep: SweepDeps;
  logger: Logger;
}

export async function runCaptureJob(deps: CaptureJobDeps, job: PgBoss.JobWithMetadata<unknown>): Promise<void> {
  const data = parseCaptureJobData(job.data);
  let output: CaptureJobOutput;
  if (!data) output = { error: null, worker: deps.id };
  else {
    try {
      output = {
        outcome: await captureMessageNow(deps.sweep, data.organizationId, data.userId, data.restItemId),
        worker: deps.id,
      };
    } catch (err) {
      // Domain errors travel as code and message; anything else is answered as unexpected, like in-process.
      const error =
        err instanceof DomainError
          ? { code: err.code, message: err.message, retryAfterSeconds: err.retryAfterSeconds }
          : null;
      if (!error) deps.logger.warn({ jobId: job.id, err: describeError(err) }, "capture job failed");
      output = { error, worker: deps.id };
    }
  }
  try {
    await deps.queue.boss.complete(CAPTURE_QUEUE, job.id, output as object);
  } catch (err) {
    deps.logger.warn({ jobId: job.id, err: describeError(err) }, "could not record the capture job's outcome");
  }
}

/** The API process's side: the outcome, or the error the worker met, rethrown as the routes expect it. */
export function captureResult(output: Record<string, unknown> | null): CaptureOutcome {
  const o = output as Partial<{
    outcome: CaptureOutcome;
    error: { code: string; message: string; retryAfterSeconds: number | null } | null;
  }> | null;
  if (o?.outcome) return o.outcome;
  const e = o?.error;
  if (!e) throw new Error("the capture failed on the worker");
  if (e.code === "not_connected") throw new NotConnectedError(e.message);
  if (e.code === "reauth_required") throw new ReauthRequiredError(e.message);
  throw new DomainError(e.code, e.message, undefined, e.retryAfterSeconds);
}
