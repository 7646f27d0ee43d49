/**
 * Graph's wire conventions shared by every route: the request and response shapes, error bodies,
 * permission checks, throttling and injected-fault answers, and the request kinds counted per mailbox.
 */
import { type HttpContext, corsHeaders, header, send, sleep } from "../http";
import { requestId as newRequestId } from "../ids";
import type { FaultRule, RequestKind } from "../state";

export const GRAPH_CONTENT_TYPE =
  "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

export interface GraphResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface Caller {
  clientId: string;
  /** Signed-in user (delegated) or null for app-only tokens. */
  userId: string | null;
  tenantId: string;
  scopes: Set<string>;
  roles: Set<string>;
}

export interface GraphRequest {
  method: string;
  /** Path after /v1.0, e.g. "/me/messages". */
  path: string;
  query: URLSearchParams;
  header(name: string): string | undefined;
  body: unknown;
  clientRequestId: string;
  requestId: string;
}

interface RequestIds {
  requestId: string;
  clientRequestId: string;
}

export const MAIL_READ = ["mail.read", "mail.readwrite", "mail.readbasic", "mail.read.shared", "mail.readwrite.shared"];
export const MAIL_WRITE = ["mail.readwrite"];
export const MAIL_SEND = ["mail.send"];
export const USER_READ = [
  "user.read",
  "user.readwrite",
  "user.readbasic.all",
  "user.read.all",
  "user.readwrite.all",
  "directory.read.all",
];

export function iso(d: Date | null): string | null {
  return d ? d.toISOString().replace(/\.\d{3}Z$/, "Z") : null;
}

/** An error Graph answers with: thrown by routes, turned into a response by the executor. */
export class GraphFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extraHeaders: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function errorBody(code: string, message: string, req: RequestIds, now: Date): unknown {
  return {
    error: {
      code,
      message,
      innerError: { date: iso(now), "request-id": req.requestId, "client-request-id": req.clientRequestId },
    },
  };
}

export function ok(body: unknown, headers: Record<string, string> = {}): GraphResponse {
  return { status: 200, headers: { "Content-Type": GRAPH_CONTENT_TYPE, ...headers }, body };
}

export function methodNotAllowed(): GraphFailure {
  return new GraphFailure(405, "ErrorInvalidRequest", "The OData request is not supported.");
}

export function throttled(t: { reason: string; retryAfter: number }, req: RequestIds, now: Date): GraphResponse {
  return {
    status: 429,
    headers: { "Content-Type": GRAPH_CONTENT_TYPE, "Retry-After": String(t.retryAfter) },
    body: errorBody("ApplicationThrottled", `Application is over its ${t.reason} limit.`, req, now),
  };
}

export function requireScope(caller: Caller, anyOf: string[], directory = false): void {
  const ok = anyOf.some((s) => caller.scopes.has(s) || caller.roles.has(s.replace(/^user\.read$/, "user.read.all")));
  if (ok) return;
  if (directory)
    throw new GraphFailure(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
  throw new GraphFailure(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
}

export async function applyFault(
  ctx: HttpContext,
  fault: FaultRule,
  userId: string | null,
): Promise<"handled" | "continue"> {
  const kind = fault.kind ?? "status";
  if (kind === "drop") {
    ctx.req.socket.destroy();
    return "handled";
  }
  if (kind === "stall") {
    if (fault.stallUntil) await fault.stallUntil.catch(() => undefined);
    else await sleep(fault.stallMs ?? 30_000);
    if (fault.stallThenDrop || ctx.res.destroyed || ctx.req.socket.destroyed) {
      ctx.req.socket.destroy();
      return "handled";
    }
    return "continue";
  }
  const status = fault.status ?? 503;
  const r = faultResponse(
    fault,
    { requestId: newRequestId(), clientRequestId: header(ctx.req, "client-request-id") ?? "" },
    new Date(),
  );
  void userId;
  send(ctx.res, status, JSON.stringify(r.body), { ...r.headers, ...corsHeaders(ctx.req) });
  return "handled";
}

export function faultResponse(fault: FaultRule, ids: RequestIds, now: Date): GraphResponse {
  const status = fault.status ?? 503;
  const headers: Record<string, string> = {
    "Content-Type": GRAPH_CONTENT_TYPE,
    "request-id": ids.requestId,
    "client-request-id": ids.clientRequestId || ids.requestId,
  };
  const retryAfter =
    fault.retryAfterSeconds === undefined ? (status === 429 || status === 503 ? 1 : null) : fault.retryAfterSeconds;
  if (retryAfter !== null) headers["Retry-After"] = String(retryAfter);
  const body =
    status === 429
      ? {
          error: {
            code: "TooManyRequests",
            message: "Please retry again later.",
            innerError: {
              code: "429",
              date: iso(now),
              message: "Please retry after",
              "request-id": ids.requestId,
              status: "429",
            },
          },
        }
      : status === 503
        ? errorBody("serviceNotAvailable", "The service is temporarily unavailable. Please retry later.", ids, now)
        : status === 504
          ? errorBody("UnknownError", "", ids, now)
          : errorBody("UnknownError", `Injected fault ${status}`, ids, now);
  return { status, headers, body };
}

export function classify(method: string, path: string): RequestKind {
  const p = path.toLowerCase().replace(/\/+$/, "");
  if (p === "/$batch") return "batch";
  if (/^\/(me|users\/[^/]+)$/.test(p)) return "me";
  if (/\/sendmail$/.test(p)) return "sendMail";
  if (/\/messages\/[^/]+\/send$/.test(p)) return "send";
  if (/\/messages\/[^/]+\/move$/.test(p)) return "move";
  if (/\/messages\/(microsoft\.graph\.)?delta(\(\))?$/.test(p)) return "delta";
  if (/\/messages\/[^/]+\/createreply(all)?$/.test(p)) return "createDraft";
  if (/\/messages\/[^/]+\/reply(all)?$/.test(p)) return "reply";
  if (/\/messages$/.test(p)) return method === "POST" ? "createDraft" : "list";
  if (/\/messages\/[^/]+$/.test(p)) return "get";
  if (/\/mailfolders/.test(p)) return "folders";
  return "other";
}
