/**
 * `POST /$batch` (JSON batching): up to 20 items, `dependsOn` ordering (a failed dependency → 424),
 * at most 4 items at a time. Each item is counted, faulted and throttled like the same request sent
 * alone, and answered by the same executor.
 */
import { requestId as newRequestId } from "../ids";
import type { EmulatorState } from "../state";
import {
  type Caller,
  GRAPH_CONTENT_TYPE,
  type GraphRequest,
  type GraphResponse,
  errorBody,
  faultResponse,
  ok,
  throttled,
} from "./protocol";

/** What a batch item runs through: the executor of top-level requests. */
export interface GraphExecutor {
  execute(caller: Caller, req: GraphRequest): GraphResponse;
  targetUserId(caller: Caller, path: string): string | null;
}

interface BatchItem {
  id?: unknown;
  method?: unknown;
  url?: unknown;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: unknown;
}

interface BatchResult {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

function dependsOn(it: BatchItem): string[] {
  return (Array.isArray(it.dependsOn) ? it.dependsOn : []) as string[];
}

/** Why the batch payload is rejected as a whole (400), or null when it is well formed. */
function payloadError(body: unknown): string | null {
  const b = body as { requests?: unknown } | null | undefined;
  if (!b || typeof b !== "object" || !Array.isArray(b.requests)) return "Invalid batch payload format.";
  const items = b.requests as BatchItem[];
  if (items.length > 20) return "The number of batch requests exceeds the limit of 20.";
  if (!items.length) return "Invalid batch payload format.";
  const ids = new Set<string>();
  for (const it of items) {
    if (typeof it.id !== "string" || !it.id || typeof it.method !== "string" || typeof it.url !== "string")
      return "Invalid batch payload format.";
    if (ids.has(it.id)) return "Batch request ids must be unique.";
    ids.add(it.id);
  }
  for (const it of items) {
    for (const d of dependsOn(it))
      if (!ids.has(d)) return `Batch request with id '${it.id}' depends on an unknown request '${d}'.`;
    if (it.body !== undefined && !Object.keys(it.headers ?? {}).some((k) => k.toLowerCase() === "content-type")) {
      return `Content-Type header is required for batch request '${it.id}' with a body.`;
    }
  }
  return null;
}

function itemRequest(st: EmulatorState, outer: GraphRequest, it: BatchItem): GraphRequest {
  const u = new URL((it.url as string).replace(/^\/?(v1\.0\/)?/, "/v1.0/"), st.url);
  const hdrs = Object.fromEntries(Object.entries(it.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  return {
    method: (it.method as string).toUpperCase(),
    path: u.pathname.slice("/v1.0".length),
    query: u.searchParams,
    header: (n: string) => hdrs[n.toLowerCase()],
    body: it.body ?? null,
    clientRequestId: outer.clientRequestId,
    requestId: newRequestId(),
  };
}

function asResult(id: string, r: GraphResponse): BatchResult {
  const entry: BatchResult = { id, status: r.status, headers: r.headers };
  if (r.body !== null && r.body !== undefined) entry.body = r.body;
  return entry;
}

async function runItem(
  st: EmulatorState,
  graph: GraphExecutor,
  caller: Caller,
  outer: GraphRequest,
  it: BatchItem,
  results: Map<string, BatchResult>,
): Promise<void> {
  const id = it.id as string;
  const req = itemRequest(st, outer, it);
  const mailboxUser = graph.targetUserId(caller, req.path);
  st.count(mailboxUser, "batchItems");
  if (dependsOn(it).some((d) => (results.get(d)?.status ?? 0) >= 400)) {
    const body = errorBody("FailedDependency", "The request failed because a dependent request failed.", req, st.now());
    results.set(id, { id, status: 424, headers: { "Content-Type": GRAPH_CONTENT_TYPE }, body });
    return;
  }
  const fault = st.takeFault({
    area: "graph",
    path: req.path,
    method: req.method,
    userId: mailboxUser,
    batchItem: true,
  });
  if (fault) {
    const r = faultResponse(fault, req, st.now());
    results.set(id, { id, status: r.status, headers: r.headers, body: r.body });
    return;
  }
  if (mailboxUser) {
    const t = st.admit(caller.clientId, mailboxUser);
    if (t) {
      const r = throttled(t, req, st.now());
      results.set(id, { id, status: r.status, headers: r.headers, body: r.body });
      return;
    }
  }
  try {
    results.set(id, asResult(id, graph.execute(caller, req)));
  } finally {
    if (mailboxUser) st.release(caller.clientId, mailboxUser);
  }
}

export async function batch(
  st: EmulatorState,
  graph: GraphExecutor,
  caller: Caller,
  outer: GraphRequest,
): Promise<GraphResponse> {
  const bad = (message: string): GraphResponse => ({
    status: 400,
    headers: { "Content-Type": GRAPH_CONTENT_TYPE },
    body: errorBody("BadRequest", message, outer, st.now()),
  });
  if (outer.method !== "POST")
    return {
      status: 405,
      headers: { "Content-Type": GRAPH_CONTENT_TYPE },
      body: errorBody("BadRequest", "Method not allowed.", outer, st.now()),
    };
  const invalid = payloadError(outer.body);
  if (invalid) return bad(invalid);
  const items = (outer.body as { requests: BatchItem[] }).requests;
  const results = new Map<string, BatchResult>();
  // Run items whose dependencies are done, at most 4 at a time (Outlook's batch parallelism).
  const pending = [...items];
  while (pending.length) {
    const ready = pending.filter((it) => dependsOn(it).every((d) => results.has(d)));
    if (!ready.length) return bad("Batch requests have a circular dependency.");
    for (let i = 0; i < ready.length; i += 4)
      await Promise.all(ready.slice(i, i + 4).map((it) => runItem(st, graph, caller, outer, it, results)));
    for (const r of ready) pending.splice(pending.indexOf(r), 1);
  }
  return ok({ responses: items.map((it) => results.get(it.id as string)!) });
}
