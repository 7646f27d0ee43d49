/**
 * JSON $batch of GETs with per-item retry. The SDK's RetryHandler retries the outer request, but a
 * batch answers 200 while its items are throttled one by one (each with its own Retry-After), so the
 * throttled items are sent again in a new batch after the longest Retry-After — up to a bound.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { GraphRequestFailedError, MalformedGraphResponseError, SweepAbortedError } from "./errors";

export const MAX_BATCH_ITEMS = 20;

export interface BatchGet {
  id: string;
  /** Relative to the version root, e.g. "/me/messages/{id}?$select=body". */
  url: string;
  headers?: Record<string, string>;
}

export interface BatchItemResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface BatchOptions {
  /** Rounds of re-sending throttled items (default 5). */
  maxRounds?: number;
  /** Upper bound on one wait, in ms (default 60 s); Retry-After beyond it is cut. */
  maxWaitMs?: number;
  signal?: AbortSignal;
  /** Counts re-sent items (the sweep adds them to its retries). */
  onRetry?: (items: number) => void;
}

const RETRYABLE = new Set([429, 503, 504]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function retryAfterMs(headers: Record<string, string>, attempt: number): number {
  const raw = Object.entries(headers).find(([k]) => k.toLowerCase() === "retry-after")?.[1];
  if (raw !== undefined) {
    const secs = Number(raw);
    if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
    const date = Date.parse(raw);
    if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  }
  // No Retry-After: exponential backoff with jitter.
  return 1000 * 2 ** attempt * (0.5 + Math.random());
}

function parseResponses(raw: unknown, wanted: Set<string>): BatchItemResponse[] {
  const responses = (raw as { responses?: unknown } | null)?.responses;
  if (!Array.isArray(responses))
    throw new MalformedGraphResponseError("Graph returned a malformed $batch answer: no responses list.");
  const out: BatchItemResponse[] = [];
  for (const r of responses) {
    const item = r as { id?: unknown; status?: unknown; headers?: unknown; body?: unknown };
    if (typeof item?.id !== "string" || typeof item.status !== "number" || !wanted.has(item.id)) {
      throw new MalformedGraphResponseError(
        "Graph returned a malformed $batch answer: an item without a known id or a status.",
      );
    }
    const headers = item.headers && typeof item.headers === "object" ? (item.headers as Record<string, string>) : {};
    out.push({ id: item.id, status: item.status, headers, body: item.body ?? null });
  }
  for (const id of wanted)
    if (!out.some((o) => o.id === id)) throw new MalformedGraphResponseError(`Graph's $batch answer lacks item ${id}.`);
  return out;
}

/**
 * Send up to 20 GETs as one $batch; re-send throttled items until they answer or the bound is hit
 * (then GraphRequestFailedError). Other statuses (200, 404 …) are returned for the caller to judge.
 */
export async function batchGet(
  client: Client,
  requests: readonly BatchGet[],
  opts: BatchOptions = {},
): Promise<Map<string, BatchItemResponse>> {
  if (requests.length > MAX_BATCH_ITEMS) throw new Error(`A $batch holds at most ${MAX_BATCH_ITEMS} requests.`);
  const maxRounds = opts.maxRounds ?? 5;
  const results = new Map<string, BatchItemResponse>();
  let pending = [...requests];
  for (let round = 0; pending.length; round++) {
    if (opts.signal?.aborted) throw new SweepAbortedError();
    const body = {
      requests: pending.map((r) => ({
        id: r.id,
        method: "GET",
        url: r.url,
        ...(r.headers ? { headers: r.headers } : {}),
      })),
    };
    const answer: unknown = await client.api("/$batch").post(body);
    const responses = parseResponses(answer, new Set(pending.map((p) => p.id)));
    const again: BatchGet[] = [];
    let wait = 0;
    for (const r of responses) {
      if (RETRYABLE.has(r.status)) {
        again.push(pending.find((p) => p.id === r.id)!);
        wait = Math.max(wait, retryAfterMs(r.headers, round));
      } else {
        results.set(r.id, r);
      }
    }
    if (!again.length) break;
    if (round + 1 >= maxRounds) {
      const first = responses.find((r) => RETRYABLE.has(r.status))!;
      const code = ((first.body as { error?: { code?: string } } | null)?.error?.code as string | undefined) ?? null;
      throw new GraphRequestFailedError(
        `Graph kept refusing ${again.length} $batch item(s) after ${maxRounds} attempts (HTTP ${first.status}).`,
        first.status,
        code,
      );
    }
    opts.onRetry?.(again.length);
    await sleep(Math.min(wait, opts.maxWaitMs ?? 60_000));
    pending = again;
  }
  return results;
}
